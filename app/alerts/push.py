"""Web Push: the VAPID key pair (generated into the instance folder on first use), the payload
(never personal data) and one send per subscription with pywebpush."""
from __future__ import annotations

import base64
import json
import os
import threading
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from flask import current_app
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

KEY_FILE = "vapid_private.pem"
_lock = threading.Lock()


def _key_path() -> Path:
    return Path(current_app.instance_path) / KEY_FILE


def vapid() -> Vapid:
    """The server's VAPID key, created once (owner-only file; the first writer wins a race)."""
    cached = current_app.extensions.get("terrain_vapid")
    if cached is not None:
        return cached
    with _lock:
        path = _key_path()
        if not path.exists():
            key = Vapid()
            key.generate_keys()
            tmp = path.with_name(f"{KEY_FILE}.{os.getpid()}.{threading.get_ident()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(key.private_pem())
            try:
                os.link(tmp, path)  # atomic: fails if another process made it first
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        key = Vapid.from_pem(path.read_bytes())
        current_app.extensions["terrain_vapid"] = key
        return key


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


def send(subscription, data: dict, ttl: int, urgency: str = "normal") -> int:
    """Encrypt and send `data` to one subscription; the push service's status code (0: no
    answer). A fresh claims dict per call: pywebpush writes `aud` and `exp` into it."""
    claims = {"sub": current_app.config.get("VAPID_SUBJECT")
              or f"mailto:{current_app.config.get('MAIL_FROM') or 'terrain@localhost'}"}
    info = {"endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
    try:
        response = webpush(info, json.dumps(data), vapid_private_key=vapid(), vapid_claims=claims,
                           ttl=ttl, headers={"Urgency": urgency}, timeout=10)
    except WebPushException as exc:
        return exc.response.status_code if exc.response is not None else 0
    except requests.RequestException:
        return 0
    return response.status_code
