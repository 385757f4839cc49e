"""Password hashing with Argon2id (memory-hard), parameters from the app config."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 10


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_COST"],
        parallelism=cfg["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    """An Argon2id hash of `password`."""
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored`; a missing hash still costs one verification (timing)."""
    hasher = _hasher()
    try:
        return hasher.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether `stored` was made with weaker parameters than the current ones."""
    return _hasher().check_needs_rehash(stored)


def password_problem(password: str, email: str = "") -> str | None:
    """A French sentence saying why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Le mot de passe doit compter au moins {MIN_LENGTH} caractères."
    if email and password.lower() == email.lower():
        return "Le mot de passe ne doit pas être votre adresse e-mail."
    if len(set(password)) < 4:
        return "Ce mot de passe est trop simple : variez les caractères."
    return None


_DUMMY: dict[tuple, str] = {}


def _dummy_hash() -> str:
    """A hash to verify against when the account is unknown, so timing does not reveal it."""
    cfg = current_app.config
    key = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"])
    if key not in _DUMMY:
        _DUMMY[key] = _hasher().hash("terrain-no-such-account")
    return _DUMMY[key]
