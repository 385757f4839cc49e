"""Sign-in protection: throttling per account and per address with a growing pause, no user
enumeration, session timeouts, sessions revoked on password change, the password policy."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth import passwords, services, throttle
from app.auth.models import LoginSession
from app.config import Config
from app.extensions import db
from app.timeutil import utcnow
from tests import factories

T0 = datetime(2026, 11, 23, 9, 0)


def _fail(email: str, at: datetime, ip: str = "192.0.2.1"):
    from flask import current_app

    with current_app.test_request_context(environ_base={"REMOTE_ADDR": ip}):
        return services.authenticate(email, "mauvais mot de passe", now=at)


def _try(email: str, password: str, at: datetime, ip: str = "192.0.2.1"):
    from flask import current_app

    with current_app.test_request_context(environ_base={"REMOTE_ADDR": ip}):
        return services.authenticate(email, password, now=at)


# -- throttling -----------------------------------------------------------------------------------


def test_five_failures_pause_the_account_fifteen_minutes(app, worker):
    for i in range(5):
        assert "incorrect" in _fail(worker.email, T0 + timedelta(seconds=i)).error
    fifth = T0 + timedelta(seconds=4)
    blocked = _try(worker.email, factories.PASSWORD, fifth)
    assert blocked.user is None and "Réessayez dans 15 minutes" in blocked.error
    blocked = _try(worker.email, factories.PASSWORD, fifth + timedelta(minutes=15, seconds=-1))
    assert blocked.user is None and "Réessayez dans 1 minute," in blocked.error
    assert _try(worker.email, factories.PASSWORD, fifth + timedelta(minutes=15)).user == worker


def test_the_pause_grows_with_each_run_of_failures(app, worker):
    at = T0
    for series, pause in enumerate((15, 30, 60, 120, 240, 240), start=1):
        for _ in range(5):
            at += timedelta(seconds=1)
            assert "incorrect" in _fail(worker.email, at).error, series
        assert _try(worker.email, factories.PASSWORD,
                    at + timedelta(minutes=pause) - timedelta(seconds=1)).user is None
        at += timedelta(minutes=pause)  # the pause is over: five more tries
    # Capped at LOGIN_MAX_PAUSE (4 h): the sixth pause was 240 minutes too.
    assert app.config["LOGIN_MAX_PAUSE"] == timedelta(hours=4)


def test_a_success_starts_the_count_again(app, worker):
    for i in range(4):
        _fail(worker.email, T0 + timedelta(seconds=i))
    assert _try(worker.email, factories.PASSWORD, T0 + timedelta(seconds=5)).user == worker
    for i in range(4):
        assert "incorrect" in _fail(worker.email, T0 + timedelta(seconds=10 + i)).error


def test_never_more_than_100_failures_an_hour(app, worker):
    """With the pauses made short, the hourly ceiling still holds."""
    app.config.update(LOGIN_MAX_FAILURES=1000, LOGIN_MAX_FAILURES_PER_IP=10_000)
    for i in range(100):
        db.session.add(AuditEvent(action="auth.login_failed", subject=worker.email,
                                  at=T0 + timedelta(seconds=i)))
    db.session.commit()
    refused = _try(worker.email, factories.PASSWORD, T0 + timedelta(minutes=59))
    assert refused.user is None and "Trop de tentatives" in refused.error
    reason = db.session.scalar(select(AuditEvent.detail).where(
        AuditEvent.action == "auth.login_throttled"))
    assert reason == {"reason": "hour"}
    assert _try(worker.email, factories.PASSWORD,
                T0 + timedelta(hours=1, seconds=1)).user == worker


def test_one_address_trying_many_accounts_is_paused(app, worker):
    limit = app.config["LOGIN_MAX_FAILURES_PER_IP"]
    for i in range(limit):
        _fail(f"inconnu{i}@exemple.test", T0 + timedelta(seconds=i), ip="198.51.100.7")
    late = T0 + timedelta(minutes=1)
    refused = _try(worker.email, factories.PASSWORD, late, ip="198.51.100.7")
    assert refused.user is None and "Trop de tentatives" in refused.error
    # Someone else, elsewhere, is not affected; the address recovers after the window.
    assert _try(worker.email, factories.PASSWORD, late, ip="203.0.113.9").user == worker
    assert _try(worker.email, factories.PASSWORD, T0 + app.config["LOGIN_WINDOW"]
                + timedelta(seconds=1), ip="198.51.100.7").user == worker


def test_pause_lengths_follow_the_settings(app):
    assert [throttle.pause_after(n) for n in (1, 2, 3, 5, 9)] == [
        timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1), timedelta(hours=4),
        timedelta(hours=4)]


# -- no enumeration -------------------------------------------------------------------------------


def test_same_answers_for_unknown_and_known_accounts(app, client, worker, monkeypatch):
    calls = []
    real = passwords.verify_password
    monkeypatch.setattr(services, "verify_password",
                        lambda stored, pw: calls.append(stored) or real(stored, pw))
    known = client.post("/connexion", data={"email": worker.email, "password": "faux mot"})
    unknown = client.post("/connexion", data={"email": "personne@exemple.test",
                                              "password": "faux mot"})
    assert known.status_code == unknown.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in known.page
    assert "Adresse e-mail ou mot de passe incorrect." in unknown.page
    assert len(calls) == 2  # one Argon2 verification each: no timing difference
    # Once paused, both get the same sentence and no password is checked at all.
    for i in range(5):
        _fail(worker.email, utcnow())
        _fail("personne@exemple.test", utcnow())
    calls.clear()
    a = _try(worker.email, "faux mot", utcnow())
    b = _try("personne@exemple.test", "faux mot", utcnow())
    assert a.error == b.error and "Trop de tentatives" in a.error
    assert calls == []


# -- sessions -------------------------------------------------------------------------------------


@pytest.mark.skipif(bool({"TERRAIN_IDLE_MINUTES", "TERRAIN_SESSION_HOURS"}
                         & set(__import__("os").environ)), reason="timeouts set by environment")
def test_default_timeouts():
    assert Config.IDLE_TIMEOUT == timedelta(minutes=30)
    assert Config.ABSOLUTE_TIMEOUT == timedelta(hours=12)


def test_absolute_timeout_is_configurable(app, client, auth, worker):
    app.config["ABSOLUTE_TIMEOUT"] = timedelta(hours=2)
    auth.login(worker.email)
    with client.session_transaction() as sess:
        sess["t0"] = time.time() - 2 * 3600 - 1  # active a second ago, signed in 2 h ago
        sess["seen"] = time.time() - 1
    assert client.get("/plus").status_code == 302
    row = db.session.scalar(select(LoginSession).where(LoginSession.user_id == worker.id))
    assert row.end_reason == "expired"


def test_idle_for_29_minutes_is_fine_30_is_not(app, client, auth, worker):
    auth.login(worker.email)
    with client.session_transaction() as sess:
        sess["seen"] = time.time() - 29 * 60
    assert client.get("/plus").status_code == 200
    with client.session_transaction() as sess:
        sess["seen"] = time.time() - 30 * 60 - 2
    assert client.get("/plus").status_code == 302


def test_password_change_ends_every_other_session_row(app, client, auth, worker):
    other = app.test_client()
    other.post("/connexion", data={"email": worker.email, "password": factories.PASSWORD})
    auth.login(worker.email)
    response = client.post("/compte/mot-de-passe", data={
        "current": factories.PASSWORD, "new": "cheval agrafe batterie correcte",
        "confirm": "cheval agrafe batterie correcte"})
    assert response.status_code == 302
    rows = db.session.scalars(select(LoginSession).where(LoginSession.user_id == worker.id)
                              .order_by(LoginSession.created_at)).all()
    open_rows = [r for r in rows if r.ended_at is None]
    assert len(open_rows) == 1  # the new session of the device that changed it
    assert {r.end_reason for r in rows if r.ended_at} >= {"password"}
    assert other.get("/plus").status_code == 302
    assert client.get("/plus").status_code == 200


def test_deactivation_ends_session_rows(app, client, auth, worker, admin):
    auth.login(worker.email)
    services.set_active(admin, worker, False, now=utcnow())
    row = db.session.scalar(select(LoginSession).where(LoginSession.user_id == worker.id))
    assert row.end_reason == "deactivated"


# -- password policy ------------------------------------------------------------------------------


@pytest.mark.parametrize("password,refused", [
    ("onze caract", "au moins 12 caractères"),
    ("douze caract", None),
    ("azertyuiop12", "plus courants"),
    ("motdepasse2024", "plus courants"),
    ("Soleil2024!!!", "plus courants"),
    ("Marseille13!!", "plus courants"),
    ("qwerty123456", "plus courants"),
    ("123456789012", "plus courants"),
    ("bonjourbonjour", "plus courants"),
    ("aaaaaaaaaaab", "trop simple"),
    ("x" * 257, "dépasser 256"),
    ("cheval agrafe batterie", None),
    ("Tr0p-d'ecureuils-ici", None),
])
def test_password_policy(app, password, refused):
    problem = passwords.password_problem(password)
    if refused is None:
        assert problem is None
    else:
        assert refused in problem


def test_password_must_not_repeat_email_or_name(app):
    assert "adresse e-mail" in passwords.password_problem("camille.roux-2026",
                                                          "camille.roux@exemple.test")
    assert "votre nom" in passwords.password_problem("bernadette-du-73!", "b@exemple.test",
                                                     "Bernadette Dupuis")


def test_common_password_list_is_vendored_with_its_source():
    text = passwords.COMMON_FILE.read_text(encoding="utf-8")
    assert "MIT" in text and "ODC-BY" in text and "docs/licences/zxcvbn-ts.txt" in text
    words = passwords.common_passwords()
    assert len(words) > 12_000
    assert {"123456", "azerty", "motdepasse", "soleil"} <= words


def test_policy_applies_at_invitation_acceptance(app, client, admin, team_a):
    _, token = services.create_invitation(admin, "x@exemple.test", team_a, "worker",
                                          now=utcnow())
    response = client.post(f"/invitation/{token}", data={
        "display_name": "Xavier", "password": "azertyuiop123", "confirm": "azertyuiop123"})
    assert response.status_code == 422
    assert "plus courants" in response.page


def test_policy_applies_at_password_change(client, auth, worker):
    auth.login(worker.email)
    response = client.post("/compte/mot-de-passe", data={
        "current": factories.PASSWORD, "new": "motdepasse2025", "confirm": "motdepasse2025"})
    assert response.status_code == 422
    assert "plus courants" in response.page


def test_policy_applies_to_create_admin(app, runner):
    result = runner.invoke(args=["users", "create-admin", "--email", "chef@exemple.test",
                                 "--name", "Chef", "--team", "Siège", "--password",
                                 "azerty123456"])
    assert result.exit_code != 0 and "plus courants" in result.output
    ok = runner.invoke(args=["users", "create-admin", "--email", "chef@exemple.test",
                             "--name", "Chef", "--team", "Siège", "--password",
                             "cheval agrafe batterie"])
    assert ok.exit_code == 0, ok.output


def test_demo_password_bypasses_the_policy_explicitly(app):
    from app import demo

    assert demo.DEMO_PASSWORD == "terrain-demo"
    assert "bypass the password policy" in open(demo.__file__, encoding="utf-8").read()
