"""Password hashing with Argon2id (memory-hard), parameters from the app config, and the
password policy (docs/security.md, "Mots de passe").

Policy, after the CNIL's recommendation on passwords (délibération 2022-100) and ANSSI's
guidance: at least 12 characters, no composition rule, refused when it is one of the common
passwords of `data/common-passwords.txt` (or one of them with digits and signs around it),
the person's e-mail or name, or too repetitive. Sign-in is throttled on top (app.auth.throttle).
"""
import functools
import re
import unicodedata
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 12
#: Longer inputs are refused before hashing (a megabyte-long password costs nothing to send).
MAX_LENGTH = 256
COMMON_FILE = Path(__file__).parent / "data" / "common-passwords.txt"


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


def password_problem(password: str, email: str = "", name: str = "") -> str | None:
    """A French sentence saying why a new password is refused, or None when it is acceptable."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return (f"Le mot de passe doit compter au moins {MIN_LENGTH} caractères "
                "(une phrase de quelques mots convient très bien).")
    if len(password) > MAX_LENGTH:
        return f"Le mot de passe ne doit pas dépasser {MAX_LENGTH} caractères."
    folded = _fold(password)
    if email:
        local = _fold(email.partition("@")[0])
        if folded == _fold(email) or (len(local) >= 4 and local in folded):
            return "Le mot de passe ne doit pas reprendre votre adresse e-mail."
    if name and any(len(part) >= 4 and part in folded for part in _fold(name).split()):
        return "Le mot de passe ne doit pas reprendre votre nom."
    if len(set(password)) < 5:
        return "Ce mot de passe est trop simple : variez les caractères."
    if is_common(password):
        return ("Ce mot de passe fait partie des plus courants, que les pirates essaient en "
                "premier : choisissez-en un autre, par exemple quatre mots sans rapport entre eux.")
    return None


def _fold(text: str) -> str:
    """Lower case without accents, for comparisons."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_AROUND = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@functools.cache
def common_passwords() -> frozenset[str]:
    """The vendored list of common passwords and words (lower case, without accents)."""
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(_fold(line) for line in lines if line and not line.startswith("#"))


def is_common(password: str) -> bool:
    """Whether `password` is a common one, alone, repeated, or with digits and signs around it."""
    common = common_passwords()
    folded = _fold(password)
    core = _AROUND.sub("", folded)
    if folded in common or not core or core in common:
        return True
    # "azertyazerty", "soleilsoleil": a common word said twice.
    for size in range(1, len(core) // 2 + 1):
        if len(core) % size == 0 and core[:size] * (len(core) // size) == core:
            return len(core[:size]) < 4 or core[:size] in common
    return False


_DUMMY: dict[tuple, str] = {}


def _dummy_hash() -> str:
    """A hash to verify against when the account is unknown, so timing does not reveal it."""
    cfg = current_app.config
    key = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"])
    if key not in _DUMMY:
        _DUMMY[key] = _hasher().hash("terrain-no-such-account")
    return _DUMMY[key]
