"""Web push for real: a push service on loopback receives the encrypted request, the test
decrypts it with the subscription's private key; 410 deletes; two schedulers send once."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
from datetime import date, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from app import create_app
from app.alerts import push, services
from app.alerts.models import Notification, PushPreference, PushSubscription
from app.extensions import db
from tests import factories
from tests.conftest import _test_settings


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Browser:
    """What a browser makes when it subscribes: an ECDH P-256 key pair and an auth secret."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.p256dh = b64(self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth,
                                           version="aes128gcm"))


class PushService:
    """A push service on loopback that records each request and answers a chosen status."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status: dict[str, int] = {}
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                service.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                         "body": body})
                self.send_response(service.status.get(self.path, 201))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_service():
    service = PushService()
    yield service
    service.close()


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute)) - timedelta(hours=1)


def test_vapid_key_is_made_once_in_the_instance_folder(app):
    first = push.public_key()
    path = os.path.join(app.instance_path, push.KEY_FILE)
    assert os.stat(path).st_mode & 0o777 == 0o600
    app.extensions.pop("terrain_vapid")
    assert push.public_key() == first
    assert len(base64.urlsafe_b64decode(first + "=")) == 65  # uncompressed P-256 point


def _public(key) -> bytes:
    return key.public_key.public_bytes(serialization.Encoding.X962,
                                       serialization.PublicFormat.UncompressedPoint)


def test_vapid_key_is_made_when_the_app_starts_not_on_first_use(app):
    path = Path(app.instance_path) / push.KEY_FILE
    assert path.exists()  # create_app made it; nothing has asked for it yet
    again = create_app({**_test_settings(), "SQLALCHEMY_DATABASE_URI":
                        app.config["SQLALCHEMY_DATABASE_URI"], "INSTANCE_PATH": app.instance_path})
    assert _public(again.extensions["terrain_vapid"]) == _public(app.extensions["terrain_vapid"])
    with again.app_context():
        db.engine.dispose()


def test_a_worker_that_loses_the_start_up_race_uses_the_winners_key(tmp_path, monkeypatch):
    """Between this worker's "no key yet" and its link, another one put its key in place."""
    from py_vapid import Vapid

    path = tmp_path / "instance" / push.KEY_FILE
    winner = Vapid()
    winner.generate_keys()
    real_link = os.link

    def link_after_the_other_worker(src, dst):
        Path(dst).write_bytes(winner.private_pem())
        return real_link(src, dst)

    monkeypatch.setattr(os, "link", link_after_the_other_worker)
    assert _public(push.load_or_create(path)) == _public(winner)
    assert os.listdir(path.parent) == [push.KEY_FILE]  # its own temp file is gone


def test_workers_starting_at_once_share_one_vapid_key(tmp_path):
    path = tmp_path / "instance" / push.KEY_FILE
    code = ("import base64, sys; from pathlib import Path; from app.alerts.push import "
            "load_or_create; from cryptography.hazmat.primitives import serialization as s; "
            "k = load_or_create(Path(sys.argv[1])); print(base64.b64encode(k.public_key"
            ".public_bytes(s.Encoding.X962, s.PublicFormat.UncompressedPoint)).decode())")
    root = Path(__file__).resolve().parents[2]
    workers = [subprocess.Popen([sys.executable, "-c", code, str(path)], cwd=root,
                                stdout=subprocess.PIPE, text=True) for _ in range(4)]
    keys = {w.communicate(timeout=60)[0].strip() for w in workers}
    assert [w.returncode for w in workers] == [0] * 4
    assert len(keys) == 1 and _public(push.load_or_create(path)) == base64.b64decode(keys.pop())
    assert os.listdir(path.parent) == [push.KEY_FILE]
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_real_encrypted_push_carries_no_personal_data(app, team_a, worker, push_service):
    hh = factories.household(team_a, referent=worker, name="Famille Zabłocki")
    factories.visit(hh, worker, day=date(2026, 11, 24), at=time(14, 0),
                    purpose="Dossier FSL accès", place_detail="12 rue des Lilas")
    phone = Browser()
    factories.push_subscription(worker, push_service.url + "/push/abc", phone.p256dh,
                                b64(phone.auth))
    result = services.run_pass(at(date(2026, 11, 23), 10))
    assert result.pushes == 1
    [req] = push_service.requests
    assert req["headers"]["content-encoding"] == "aes128gcm"
    assert int(req["headers"]["ttl"]) == 12 * 3600  # visit reminders keep 12 h
    assert req["headers"]["urgency"] == "normal"
    assert req["headers"]["authorization"].startswith("vapid t=")
    assert push.public_key() in req["headers"]["authorization"]
    data = phone.decrypt(req["body"])
    assert data == {"title": "Terrain", "body": "1 nouvelle alerte", "count": 1}
    text = json.dumps(data, ensure_ascii=False)
    for private in ("Zabłocki", "Famille", "FSL", "Lilas", "14", "Wanda", "24"):
        assert private not in text
    assert db.session.scalar(select(Notification.status)) == "sent"


def test_urgent_kind_goes_with_high_urgency(app, team_a, worker, push_service):
    hh = factories.household(team_a, referent=worker)
    factories.visit(hh, worker, day=date(2026, 11, 20), at=time(10, 0))
    phone = Browser()
    factories.push_subscription(worker, push_service.url + "/push/u", phone.p256dh,
                                b64(phone.auth))
    services.run_pass(at(date(2026, 11, 23), 3))  # at night: urgent goes anyway
    [req] = push_service.requests
    assert req["headers"]["urgency"] == "high"
    assert phone.decrypt(req["body"])["count"] == 1


def test_gone_subscription_is_deleted(app, team_a, worker, push_service):
    factories.visit(factories.household(team_a, referent=worker), worker, day=date(2026, 11, 24))
    phone, old = Browser(), Browser()
    factories.push_subscription(worker, push_service.url + "/push/live", phone.p256dh,
                                b64(phone.auth))
    factories.push_subscription(worker, push_service.url + "/push/gone", old.p256dh,
                                b64(old.auth))
    push_service.status["/push/gone"] = 410
    result = services.run_pass(at(date(2026, 11, 23), 10))
    assert (result.pushes, result.gone) == (1, 1)
    assert db.session.scalars(select(PushSubscription.endpoint)).all() == [
        push_service.url + "/push/live"]


def test_404_also_deletes_and_test_button_reports_it(app, worker, push_service):
    phone = Browser()
    factories.push_subscription(worker, push_service.url + "/push/x", phone.p256dh,
                                b64(phone.auth))
    assert services.send_test(worker, at(date(2026, 11, 23))) == (1, 0)
    assert phone.decrypt(push_service.requests[0]["body"])["count"] == 0
    push_service.status["/push/x"] = 404
    assert services.send_test(worker, at(date(2026, 11, 23))) == (0, 1)
    assert db.session.scalar(select(func.count(PushSubscription.id))) == 0


def test_two_schedulers_at_once_send_each_notification_once(app, team_a, push_service):
    """Two apps (two engines, two connection pools) on the same SQLite file, passes started
    together by a barrier, several rounds."""
    phones = {}
    for n in range(6):
        w = factories.user((team_a, "worker"), email=f"w{n}@exemple.test")
        for _ in range(3):
            factories.visit(factories.household(team_a, referent=w), w, day=date(2026, 11, 24))
        phones[w.id] = Browser()
        factories.push_subscription(w, f"{push_service.url}/push/{w.id}", phones[w.id].p256dh,
                                    b64(phones[w.id].auth))
    settings = {**_test_settings(None), "SQLALCHEMY_DATABASE_URI":
                app.config["SQLALCHEMY_DATABASE_URI"], "INSTANCE_PATH": app.instance_path}
    apps = [create_app(settings), create_app(settings)]
    db.session.remove()
    rounds = 3
    barrier = threading.Barrier(2)
    errors = []

    def scheduler(other):
        try:
            with other.app_context():
                for r in range(rounds):
                    barrier.wait(timeout=30)
                    services.run_pass(at(date(2026, 11, 23), 10) + timedelta(minutes=r))
                db.session.remove()
                db.engine.dispose()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=scheduler, args=(a,)) for a in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    per_device = {}
    for req in push_service.requests:
        per_device[req["path"]] = per_device.get(req["path"], 0) + 1
    assert per_device == {f"/push/{uid}": 1 for uid in phones}
    for req in push_service.requests:
        uid = int(req["path"].rsplit("/", 1)[1])
        assert phones[uid].decrypt(req["body"])["count"] == 3
    rows = db.session.execute(select(Notification.key, Notification.status)).all()
    assert len(rows) == 18 and {s for _, s in rows} == {"sent"}


def test_unusable_keys_stored_in_the_database_stop_no_one_in_the_pass(app, team_a, worker,
                                                                    push_service):
    """Keys saved before subscriptions were checked: their device is deleted, and everyone
    else (another device of the same person, the people after) still gets the push."""
    first = factories.user((team_a, "worker"), email="first@exemple.test")
    coord = factories.user((team_a, "coordinator"), email="coord@exemple.test")
    for who in (first, worker, coord):
        factories.visit(factories.household(team_a, referent=who), who, day=date(2026, 11, 24))
    factories.push_subscription(first, push_service.url + "/push/first-bad")  # "B" * 87
    factories.push_subscription(worker, push_service.url + "/push/w-bad")
    phones = {"/push/w": Browser(), "/push/c": Browser()}
    for who, path in ((worker, "/push/w"), (coord, "/push/c")):
        factories.push_subscription(who, push_service.url + path, phones[path].p256dh,
                                    b64(phones[path].auth))
    result = services.run_pass(at(date(2026, 11, 23), 10))
    assert sorted(r["path"] for r in push_service.requests) == ["/push/c", "/push/w"]
    for req in push_service.requests:
        assert phones[req["path"]].decrypt(req["body"])["count"] == 1
    assert (result.pushes, result.gone) == (2, 2)
    assert sorted(db.session.scalars(select(PushSubscription.endpoint))) == [
        push_service.url + "/push/c", push_service.url + "/push/w"]
    status = dict(db.session.execute(select(Notification.user_id, Notification.status)).all())
    assert status == {first.id: "no_device", worker.id: "sent", coord.id: "sent"}


def test_send_never_raises_whatever_pywebpush_does(app, worker, monkeypatch):
    phone = Browser()
    sub = factories.push_subscription(worker, "https://push.example.test/x", phone.p256dh,
                                      b64(phone.auth))

    def broken(*args, **kwargs):
        raise ValueError("Invalid EC key")

    monkeypatch.setattr(push, "webpush", broken)
    assert push.send(sub, push.payload(1), 60) == 0  # failed, retried later; not deleted
    sub.p256dh = "B" * 87
    assert push.send(sub, push.payload(1), 60) == push.UNUSABLE


def test_daily_digest_arrives_at_its_hour_and_says_how_many_deadlines(app, team_a, worker,
                                                                     push_service):
    for name in ("Famille Ouvrard", "Famille Nguyen"):
        hh = factories.household(team_a, referent=worker, name=name,
                                 created_at=at(date(2026, 9, 1)))
        factories.enrolment(hh, date(2026, 9, 1))  # never seen: "not seen" (not urgent)
    db.session.add(PushPreference(user_id=worker.id, muted_rules=[], quiet_start=None,
                                  quiet_end=None, digest=True, digest_at=time(8, 0)))
    db.session.commit()
    phone = Browser()
    factories.push_subscription(worker, push_service.url + "/push/d", phone.p256dh,
                                b64(phone.auth))
    assert services.run_pass(at(date(2026, 11, 23), 10)).queued == 2
    services.run_pass(at(date(2026, 11, 24), 7, 59))
    assert push_service.requests == []  # held until the digest hour
    result = services.run_pass(at(date(2026, 11, 24), 8, 0))
    assert result.pushes == 1
    [req] = push_service.requests
    data = phone.decrypt(req["body"])
    assert data == {"title": "Terrain", "body": "2 échéances aujourd'hui", "count": 2}
    assert "Ouvrard" not in json.dumps(data) and "Nguyen" not in json.dumps(data)
    assert req["headers"]["urgency"] == "low"  # "not seen" travels at low urgency
    assert set(db.session.scalars(select(Notification.status))) == {"sent"}


def test_test_button_over_http_reaches_the_device_past_a_broken_one(app, client, auth, worker,
                                                                   push_service):
    auth.login(worker.email)
    phone = Browser()
    r = client.post("/alertes/push/abonnement", json={
        "endpoint": push_service.url + "/push/me", "device": "Android, Chrome",
        "keys": {"p256dh": phone.p256dh, "auth": b64(phone.auth)}})
    assert r.status_code == 201
    factories.push_subscription(worker, push_service.url + "/push/old")  # unusable keys
    r = client.post("/alertes/push/test")
    assert r.status_code == 302 and r.headers["Location"].endswith("/alertes/notifications")
    assert "Notification d'essai envoyée à 1 appareil." in client.get("/alertes/notifications").page
    [req] = push_service.requests
    assert req["path"] == "/push/me" and int(req["headers"]["ttl"]) == 300
    assert phone.decrypt(req["body"]) == {
        "title": "Terrain", "body": "Notification d'essai : les alertes arriveront sur cet "
        "appareil.", "count": 0}
    assert db.session.scalars(select(PushSubscription.endpoint)).all() == [
        push_service.url + "/push/me"]
    push_service.status["/push/me"] = 410
    client.post("/alertes/push/test")
    assert "Aucun appareil n'a pu être joint" in client.get("/alertes/notifications").page
    assert db.session.scalar(select(PushSubscription)) is None
