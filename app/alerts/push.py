"""Web Push: the VAPID key pair (generated into the instance folder when the app starts), the
checks a browser's subscription must pass, the payload (never personal data) and one send per
subscription with pywebpush."""
from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import threading
from pathlib import Path
from urllib.parse import urlparse

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, current_app
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

log = logging.getLogger("terrain.alerts")

KEY_FILE = "vapid_private.pem"
_lock = threading.Lock()

#: What `send` answers for a subscription whose keys can never work: delete it.
UNUSABLE = -1


def init_app(app: Flask) -> None:
    """Make (or read) the VAPID key when the app starts, not on the first push."""
    app.extensions["terrain_vapid"] = load_or_create(Path(app.instance_path) / KEY_FILE)


def load_or_create(path: Path) -> Vapid:
    """The VAPID key stored at `path`, created owner-only if missing.

    Several workers may start at once: each writes its own temp file whole, then links it into
    place; the first link wins and every process reads that one key.
    """
    with _lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            key = Vapid()
            key.generate_keys()
            tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{threading.get_ident()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(key.private_pem())
                    fh.flush()
                    os.fsync(fh.fileno())
                try:
                    os.link(tmp, path)  # atomic: fails if another process made it first
                except FileExistsError:
                    pass
            finally:
                tmp.unlink()
        return Vapid.from_pem(path.read_bytes())


def vapid() -> Vapid:
    """The server's VAPID key (made at start-up by `init_app`)."""
    cached = current_app.extensions.get("terrain_vapid")
    if cached is None:
        cached = load_or_create(Path(current_app.instance_path) / KEY_FILE)
        current_app.extensions["terrain_vapid"] = cached
    return cached


def public_key() -> str:
    """The VAPID public key as the browser wants it (applicationServerKey, base64url)."""
    raw = vapid().public_key.public_bytes(serialization.Encoding.X962,
                                          serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def payload(count: int, digest: bool = False) -> dict:
    """What a push carries: a count and where to go, never a name, an address or a date."""
    if digest:
        body = (f"{count} échéance{'s' if count > 1 else ''} aujourd'hui"
                if count else "Aucune échéance aujourd'hui")
    elif count == 0:
        body = "Notification d'essai : les alertes arriveront sur cet appareil."
    else:
        body = f"{count} nouvelle{'s' if count > 1 else ''} alerte{'s' if count > 1 else ''}"
    return {"title": "Terrain", "body": body, "count": count}


def _b64url(value: str) -> bytes | None:
    """Decode base64url (padding optional); None when it is not base64url."""
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None


def keys_error(p256dh: str, auth: str) -> str | None:
    """Why a browser's subscription keys cannot be used (French), or None when they can:
    p256dh must be an uncompressed P-256 point (65 bytes) and auth a 16-byte secret."""
    raw = _b64url(p256dh or "")
    try:
        if raw is None or len(raw) != 65 or raw[0] != 4:
            raise ValueError(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        return ("La clé de chiffrement envoyée par le navigateur est invalide : désactivez puis "
                "réactivez les notifications sur cet appareil.")
    secret = _b64url(auth or "")
    if secret is None or len(secret) != 16:
        return ("Le secret d'authentification envoyé par le navigateur est invalide : "
                "désactivez puis réactivez les notifications sur cet appareil.")
    return None


def endpoint_error(url: str, allow_http: bool) -> str | None:
    """Why a push service URL is refused (French), or None: https only, except plain http on
    loopback when `allow_http` (tests, debug, or PUSH_ALLOW_HTTP for a local push service)."""
    parts = urlparse(url or "")
    if len(url or "") > 1000 or not parts.hostname:
        return "L'adresse du service de notification est invalide."
    if parts.scheme == "https":
        return None
    if (allow_http and parts.scheme == "http"
            and parts.hostname in ("127.0.0.1", "localhost", "::1")):
        return None
    return "Le service de notification doit être joint en https."


def send(subscription, data: dict, ttl: int, urgency: str = "normal") -> int:
    """Encrypt and send `data` to one subscription; the push service's status code (0: no
    answer or an error worth retrying; UNUSABLE: the subscription's keys can never work).
    Never raises: one bad subscription must not stop the others. A fresh claims dict per
    call: pywebpush writes `aud` and `exp` into it."""
    if keys_error(subscription.p256dh, subscription.auth):
        log.warning("push subscription %s has unusable keys", subscription.id)
        return UNUSABLE
    claims = {"sub": current_app.config.get("VAPID_SUBJECT")
              or f"mailto:{current_app.config.get('MAIL_FROM') or 'terrain@localhost'}"}
    info = {"endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
    try:
        response = webpush(info, json.dumps(data), vapid_private_key=vapid(), vapid_claims=claims,
                           ttl=ttl, headers={"Urgency": urgency}, timeout=10)
    except WebPushException as exc:
        if exc.response is not None:
            return exc.response.status_code
        log.warning("push to subscription %s failed: %s", subscription.id, exc)
        return 0
    except requests.RequestException as exc:
        log.warning("push to subscription %s got no answer: %s", subscription.id, exc)
        return 0
    except Exception:  # noqa: BLE001 - whatever pywebpush raises, the pass goes on
        log.exception("push to subscription %s failed", subscription.id)
        return 0
    return response.status_code
