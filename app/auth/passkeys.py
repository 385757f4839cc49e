"""Passkeys (WebAuthn with py_webauthn): registration, sign-in, removal, admin reset, policy.

Every ceremony uses a server-side challenge that is single use (deleted the moment a response
is checked, whatever the outcome) and expires after PASSKEY_CHALLENGE_TTL. Only the public key,
the credential id, the signature counter, the backup flags and the transports are stored.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, request
from sqlalchemy import delete, func, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, options_to_json_dict
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from app.audit.services import record
from app.auth.models import (Membership, PasskeyCredential, SecurityPolicy, User,
                             WebAuthnChallenge)
from app.auth.services import AccountError
from app.extensions import db

#: Roles an admin can oblige to have a passkey.
POLICY_ROLES = ("coordinator", "admin")
#: Passkeys one person may hold (phones, laptops, a spare key).
MAX_PER_USER = 10
#: A browser's response is a few kilobytes; anything far larger is not one.
MAX_RESPONSE_CHARS = 64_000
NAME_MAX = 60

MESSAGES = {
    "expired": "La demande a expiré ou a déjà servi. Réessayez : vous avez 5 minutes pour "
               "confirmer avec votre empreinte, votre visage ou le code de votre appareil.",
    "unknown": "Cette clé d'accès n'est pas reconnue par Terrain : elle a peut-être été supprimée "
               "ou réinitialisée. Connectez-vous avec votre mot de passe.",
    "inactive": "Ce compte est désactivé. Adressez-vous à votre administrateur·rice.",
    "sign_count": "Cette clé d'accès a été refusée par sécurité : son compteur a reculé, ce qui "
                  "arrive quand une clé a été copiée. Connectez-vous avec votre mot de passe et "
                  "prévenez votre administrateur·rice.",
    "invalid": "La clé d'accès n'a pas pu être vérifiée. Réessayez, ou connectez-vous avec votre "
               "mot de passe.",
    "malformed": "La réponse de votre appareil est illisible. Réessayez, ou connectez-vous avec "
                 "votre mot de passe.",
    "ip_host": "Les clés d'accès demandent une adresse avec un nom (par exemple "
               "http://localhost:5000), pas une adresse IP comme {host}.",
    "no_response": "Votre appareil n'a pas répondu : votre navigateur doit permettre les clés "
                   "d'accès (et JavaScript être activé).",
    "duplicate": "Cette clé d'accès est déjà enregistrée.",
    "too_many": f"Vous avez déjà {MAX_PER_USER} clés d'accès : supprimez-en une avant d'en "
                "ajouter une autre.",
}


class PasskeyError(AccountError):
    """A refused passkey operation; `reason` is a key of MESSAGES (for the audit trail)."""

    def __init__(self, reason: str, message: str | None = None):
        super().__init__(message or MESSAGES[reason])
        self.reason = reason
        #: For an unknown credential: its id (base64url), so the browser can be told to forget it.
        self.unknown_credential: str | None = None


# -- relying party --------------------------------------------------------------------------

def relying_party() -> tuple[str, list[str]]:
    """The RP ID and the accepted origins, from config, else PUBLIC_URL, else the request."""
    cfg = current_app.config
    public = cfg.get("PUBLIC_URL")
    rp_id = cfg.get("PASSKEY_RP_ID")
    if not rp_id:
        rp_id = urlsplit(public).hostname if public else urlsplit(request.host_url).hostname
    if cfg.get("PASSKEY_ORIGINS"):
        origins = [o.strip().rstrip("/") for o in cfg["PASSKEY_ORIGINS"].split(",") if o.strip()]
    elif public:
        parts = urlsplit(public)
        origins = [f"{parts.scheme}://{parts.netloc}"]
    else:
        origins = [request.host_url.rstrip("/")]
    rp_id = (rp_id or "").lower()
    if _is_ip(rp_id) or not rp_id:
        raise PasskeyError("ip_host", MESSAGES["ip_host"].format(host=rp_id or "?"))
    return rp_id, origins


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


# -- challenges -----------------------------------------------------------------------------

def _new_challenge(purpose: str, user: User | None, now: datetime) -> bytes:
    """Store a fresh challenge (and sweep expired ones); the caller commits."""
    db.session.execute(delete(WebAuthnChallenge).where(WebAuthnChallenge.expires_at <= now))
    raw = secrets.token_bytes(32)
    db.session.add(WebAuthnChallenge(
        challenge=bytes_to_base64url(raw), purpose=purpose, user_id=getattr(user, "id", None),
        created_at=now, expires_at=now + current_app.config["PASSKEY_CHALLENGE_TTL"]))
    return raw


def _consume_challenge(challenge: str, purpose: str, user: User | None, now: datetime) -> bytes:
    """Delete the challenge named in a response and return it, or raise 'expired'.

    One DELETE … RETURNING: of two requests carrying the same response, only one gets the
    row back, so a challenge can never serve twice.
    """
    row = db.session.execute(
        delete(WebAuthnChallenge)
        .where(WebAuthnChallenge.challenge == challenge, WebAuthnChallenge.purpose == purpose)
        .returning(WebAuthnChallenge.user_id, WebAuthnChallenge.expires_at)
    ).first()
    if row is None or row.expires_at <= now or row.user_id != getattr(user, "id", None):
        raise PasskeyError("expired")
    return base64url_to_bytes(challenge)


def _parse_response(raw: str | None) -> tuple[dict, str]:
    """The browser's credential JSON and the challenge its client data names."""
    if not raw:
        raise PasskeyError("no_response")
    if len(raw) > MAX_RESPONSE_CHARS:
        raise PasskeyError("malformed")
    try:
        credential = json.loads(raw)
        client_data = json.loads(base64url_to_bytes(credential["response"]["clientDataJSON"]))
        challenge = client_data["challenge"]
        if not isinstance(challenge, str) or not isinstance(credential.get("id"), str):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise PasskeyError("malformed") from None
    return credential, challenge


# -- reads ----------------------------------------------------------------------------------

def passkeys_of(user: User) -> list[PasskeyCredential]:
    """A person's passkeys, newest first (only ever shown to them or to an admin)."""
    return list(db.session.scalars(
        select(PasskeyCredential).where(PasskeyCredential.user_id == user.id)
        .order_by(PasskeyCredential.created_at.desc(), PasskeyCredential.id.desc())))


def count_of(user: User) -> int:
    """How many passkeys a person holds."""
    return db.session.scalar(select(func.count(PasskeyCredential.id))
                             .where(PasskeyCredential.user_id == user.id))


def policy() -> SecurityPolicy | None:
    """The association's security settings, if an admin ever changed them."""
    return db.session.scalar(select(SecurityPolicy).order_by(SecurityPolicy.id).limit(1))


def passkey_required(user: User) -> bool:
    """Whether the policy obliges this person to hold a passkey."""
    if not user.has_role(*POLICY_ROLES):
        return False
    return bool(db.session.scalar(
        select(SecurityPolicy.passkey_required_for_leads).order_by(SecurityPolicy.id).limit(1)))


def must_enroll(user: User) -> bool:
    """Whether this person must register a passkey before using the app."""
    return passkey_required(user) and count_of(user) == 0


def leads_without_passkey() -> list[User]:
    """Active coordinators and admins with no passkey (shown to admins with the policy)."""
    has_key = select(PasskeyCredential.id).where(PasskeyCredential.user_id == User.id).exists()
    return list(db.session.scalars(
        select(User).join(Membership).where(Membership.role.in_(POLICY_ROLES), User.active,
                                            ~has_key)
        .distinct().order_by(User.display_name)))


# -- registration ---------------------------------------------------------------------------

def clean_name(name: str | None, user: User) -> str:
    """A passkey's name, trimmed, or PasskeyError saying what is wrong with it."""
    name = " ".join((name or "").split())
    if not name:
        raise PasskeyError("name", "Donnez un nom à cette clé d'accès, par exemple "
                                   "« Téléphone pro ».")
    if len(name) > NAME_MAX:
        raise PasskeyError("name", f"Le nom ne doit pas dépasser {NAME_MAX} caractères.")
    taken = db.session.scalar(select(PasskeyCredential.id).where(
        PasskeyCredential.user_id == user.id, func.lower(PasskeyCredential.name) == name.lower()))
    if taken:
        raise PasskeyError("name", "Vous avez déjà une clé d'accès portant ce nom : choisissez-en "
                                   "un autre.")
    return name


def _user_handle(user: User) -> bytes:
    """The person's WebAuthn user handle: the one of their passkeys, else derived (not personal)."""
    existing = db.session.scalar(select(PasskeyCredential.user_handle)
                                 .where(PasskeyCredential.user_id == user.id).limit(1))
    if existing:
        return existing
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"terrain-passkey-user:{user.id}".encode(), hashlib.sha256).digest()


def registration_options(user: User, name: str, *, now: datetime) -> dict:
    """Options for navigator.credentials.create(): discoverable, user verification required."""
    clean_name(name, user)
    if count_of(user) >= MAX_PER_USER:
        raise PasskeyError("too_many")
    rp_id, _origins = relying_party()
    existing = passkeys_of(user)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=current_app.config["PASSKEY_RP_NAME"],
        user_name=user.email,
        user_id=_user_handle(user),
        user_display_name=user.display_name,
        challenge=_new_challenge("register", user, now),
        timeout=int(current_app.config["PASSKEY_CHALLENGE_TTL"].total_seconds() * 1000),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[_descriptor(p) for p in existing],
    )
    db.session.commit()
    return options_to_json_dict(options)


def _descriptor(passkey: PasskeyCredential) -> PublicKeyCredentialDescriptor:
    known = {t.value for t in AuthenticatorTransport}
    return PublicKeyCredentialDescriptor(
        id=passkey.credential_id,
        transports=[AuthenticatorTransport(t) for t in passkey.transport_list if t in known]
        or None)


def register(user: User, name: str, response: str | None, *, now: datetime) -> PasskeyCredential:
    """Verify a registration response and keep the new passkey; the challenge is spent."""
    name = clean_name(name, user)
    credential, challenge = _parse_response(response)
    try:
        expected = _consume_challenge(challenge, "register", user, now)
        rp_id, origins = relying_party()
        try:
            verified = verify_registration_response(
                credential=credential, expected_challenge=expected, expected_rp_id=rp_id,
                expected_origin=origins, require_user_verification=True)
        except WebAuthnException as exc:
            current_app.logger.info("passkey registration refused: %s", exc)
            raise PasskeyError("invalid", "La clé d'accès n'a pas pu être vérifiée. "
                                          "Réessayez.") from None
        if db.session.scalar(select(PasskeyCredential.id).where(
                PasskeyCredential.credential_id == verified.credential_id)):
            raise PasskeyError("duplicate")
    except PasskeyError:
        db.session.commit()  # the challenge stays spent
        raise
    transports = credential["response"].get("transports") or []
    passkey = PasskeyCredential(
        user_id=user.id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        user_handle=_user_handle(user),
        backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backed_up=verified.credential_backed_up,
        transports=",".join(str(t) for t in transports if isinstance(t, str))[:120] or None,
        name=name,
        created_at=now,
    )
    db.session.add(passkey)
    db.session.flush()
    record("passkey.register", actor=user, object_type="passkey", object_id=passkey.id,
           detail={"name": name}, now=now)
    db.session.commit()
    return passkey


# -- sign-in --------------------------------------------------------------------------------

def authentication_options(*, now: datetime) -> dict:
    """Options for navigator.credentials.get(): any discoverable passkey, user verified."""
    rp_id, _origins = relying_party()
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=_new_challenge("login", None, now),
        timeout=int(current_app.config["PASSKEY_CHALLENGE_TTL"].total_seconds() * 1000),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    db.session.commit()
    return options_to_json_dict(options)


def _refuse(reason: str, *, user: User | None = None, passkey: PasskeyCredential | None = None,
            now: datetime, action: str = "auth.passkey_failed") -> PasskeyError:
    record(action, actor=user, subject=user.email if user else None,
           object_type="passkey" if passkey else None, object_id=passkey.id if passkey else None,
           detail={"reason": reason}, now=now)
    db.session.commit()
    return PasskeyError(reason)


def authenticate(response: str | None, *, now: datetime) -> User:
    """Check a sign-in response; returns the person, or raises PasskeyError (audited)."""
    try:
        credential, challenge = _parse_response(response)
    except PasskeyError as exc:
        raise _refuse(exc.reason, now=now) from None
    try:
        expected = _consume_challenge(challenge, "login", None, now)
        rp_id, origins = relying_party()
    except PasskeyError as exc:
        raise _refuse(exc.reason, now=now) from None

    try:
        raw_id = base64url_to_bytes(credential["id"])
    except ValueError:
        raise _refuse("malformed", now=now) from None
    passkey = db.session.scalar(select(PasskeyCredential)
                                .where(PasskeyCredential.credential_id == raw_id))
    if passkey is None:
        refusal = _refuse("unknown", now=now)
        refusal.unknown_credential = bytes_to_base64url(raw_id)
        raise refusal
    user = passkey.user

    handle = (credential.get("response") or {}).get("userHandle")
    try:
        handle_ok = handle is None or base64url_to_bytes(handle) == passkey.user_handle
    except (ValueError, TypeError):
        handle_ok = False
    if not handle_ok:
        # A response naming another account than the credential's owner: never sign in.
        raise _refuse("unknown", user=user, passkey=passkey, now=now)

    try:
        # The counter is checked below, after the signature, so the refusal can be audited as
        # such and only for a response the real key signed.
        verified = verify_authentication_response(
            credential=credential, expected_challenge=expected, expected_rp_id=rp_id,
            expected_origin=origins, credential_public_key=passkey.public_key,
            credential_current_sign_count=0, require_user_verification=True)
    except WebAuthnException as exc:
        current_app.logger.info("passkey sign-in refused: %s", exc)
        raise _refuse("invalid", user=user, passkey=passkey, now=now) from None

    if ((verified.new_sign_count > 0 or passkey.sign_count > 0)
            and verified.new_sign_count <= passkey.sign_count):
        raise _refuse("sign_count", user=user, passkey=passkey, now=now,
                      action="passkey.sign_count_rejected")
    if not user.active:
        raise _refuse("inactive", user=user, passkey=passkey, now=now)

    passkey.sign_count = verified.new_sign_count
    passkey.backed_up = verified.credential_backed_up
    passkey.last_used_at = now
    user.last_login_at = now
    record("auth.login", actor=user, subject=user.email, object_type="passkey",
           object_id=passkey.id, detail={"method": "passkey"}, now=now)
    db.session.commit()
    return user


# -- removal, reset, policy -----------------------------------------------------------------

def remove(actor: User, passkey_id: int, *, now: datetime) -> str:
    """Delete one of the actor's own passkeys; returns its name. Others' are not found."""
    passkey = db.session.scalar(select(PasskeyCredential).where(
        PasskeyCredential.id == passkey_id, PasskeyCredential.user_id == actor.id))
    if passkey is None:
        raise PasskeyError("unknown", "Cette clé d'accès n'existe pas ou a déjà été supprimée.")
    if passkey_required(actor) and count_of(actor) == 1:
        raise PasskeyError("policy", "Votre rôle demande une clé d'accès : ajoutez-en une autre "
                                     "avant de supprimer la dernière.")
    name = passkey.name
    record("passkey.remove", actor=actor, object_type="passkey", object_id=passkey.id,
           detail={"name": name}, now=now)
    db.session.delete(passkey)
    db.session.commit()
    return name


def reset(actor: User, person: User, *, now: datetime) -> int:
    """Admin reset after a lost phone: revoke all the person's passkeys and end their sessions."""
    if person.id == actor.id:
        raise PasskeyError("self", "Pour vos propres clés d'accès, passez par "
                                   "« Mes clés d'accès ».")
    removed = db.session.execute(
        delete(PasskeyCredential).where(PasskeyCredential.user_id == person.id)).rowcount
    person.session_version += 1
    from app.auth.services import revoke_sessions

    revoke_sessions(person, "revoked", now)
    record("passkey.reset", actor=actor, object_type="user", object_id=person.id,
           subject=person.email, detail={"passkeys_removed": removed}, now=now)
    db.session.commit()
    return removed


def set_policy(actor: User, required: bool, *, now: datetime) -> None:
    """Oblige coordinators and admins to hold a passkey, or stop obliging them."""
    current = policy()
    if current is not None and current.passkey_required_for_leads == required:
        return
    if required and count_of(actor) == 0:
        raise PasskeyError("policy", "Créez d'abord votre propre clé d'accès (Plus › Mes clés "
                                     "d'accès) avant de l'exiger des autres.")
    if current is None:
        current = SecurityPolicy()
        db.session.add(current)
    current.passkey_required_for_leads = required
    current.updated_at = now
    current.updated_by_id = actor.id
    record("settings.passkey_policy", actor=actor, detail={"required": required}, now=now)
    db.session.commit()
