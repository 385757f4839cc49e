"""Signing in and out, throttling, session cookie and timeouts, password change."""
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth import services
from app.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from app.auth.sessions import session_expired
from app.extensions import db
from app.timeutil import utcnow
from tests import factories


def actions(**filters):
    stmt = select(AuditEvent.action).order_by(AuditEvent.id)
    for key, value in filters.items():
        stmt = stmt.where(getattr(AuditEvent, key) == value)
    return list(db.session.scalars(stmt))


def test_argon2id_hash_is_memory_hard(app):
    stored = hash_password("un mot de passe")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "un mot de passe")
    assert not verify_password(stored, "un autre")
    assert not verify_password(None, "un mot de passe")


def test_weaker_hash_is_upgraded_at_sign_in(app, worker):
    app.config["ARGON2_MEMORY_COST"] = 16
    assert needs_rehash(worker.password_hash)
    assert services.authenticate(worker.email, factories.PASSWORD, now=utcnow()).user
    assert "m=16" in worker.password_hash


@pytest.mark.parametrize("password,message", [
    ("court", "au moins 12 caractères"),
    ("aaaaaaaaaaaa", "trop simple"),
])
def test_password_rules(password, message, app):
    assert message in password_problem(password)


def test_login_page_in_french(client):
    body = client.get("/connexion").page
    assert '<html lang="fr">' in body
    assert "Adresse e-mail" in body and "Mot de passe" in body


def test_sign_in_and_out(client, auth, worker):
    response = auth.login("  Worker@Exemple.test ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert "Bonjour Wanda" in home.page
    assert auth.logout().status_code == 302
    assert client.get("/").status_code == 302
    assert actions(actor_id=worker.id) == ["auth.login", "auth.logout"]


def test_wrong_password_french_message_and_email_kept(client, auth, worker):
    response = auth.login("worker@exemple.test", "pas le bon")
    body = response.page
    assert response.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in body
    assert 'value="worker@exemple.test"' in body
    assert actions() == ["auth.login_failed"]


def test_unknown_account_same_message(client, auth):
    body = auth.login("personne@nulle-part.test", "quelconque").page
    assert "Adresse e-mail ou mot de passe incorrect." in body
    assert db.session.scalar(select(AuditEvent.subject)) == "personne@nulle-part.test"


def test_empty_form_shows_errors_in_place(client):
    response = client.post("/connexion", data={"email": "", "password": ""})
    body = response.page
    assert response.status_code == 422
    assert body.count("Ce champ est obligatoire.") == 2
    assert 'aria-invalid="true"' in body


def test_throttled_after_repeated_failures(app, client, auth, worker):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.login(worker.email, "mauvais")
    response = auth.login(worker.email)  # even the right password waits
    assert response.status_code == 401
    assert "Trop de tentatives" in response.page
    assert actions()[-1] == "auth.login_throttled"


def test_throttle_window_passes(app, worker):
    now = utcnow()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        services.authenticate(worker.email, "mauvais", now=now)
    later = now + app.config["LOGIN_WINDOW"] + timedelta(seconds=1)
    assert services.authenticate(worker.email, factories.PASSWORD, now=later).user == worker


def test_deactivated_account_cannot_sign_in(client, auth, worker):
    worker.active = False
    db.session.commit()
    body = auth.login(worker.email).page
    assert "Ce compte est désactivé" in body


def test_next_is_followed_only_on_this_site(client, worker):
    ok = client.post("/connexion?next=/plus", data={"email": worker.email,
                                                    "password": factories.PASSWORD})
    assert ok.headers["Location"] == "/plus"
    client.post("/deconnexion")
    evil = client.post("/connexion?next=//evil.example/x", data={
        "email": worker.email, "password": factories.PASSWORD})
    assert evil.headers["Location"] == "/"


def test_login_required_redirects_with_next(client):
    response = client.get("/plus")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=/plus")


def test_htmx_request_gets_hx_redirect_when_signed_out(client):
    response = client.get("/plus", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/connexion")


def test_json_caller_gets_401_not_a_login_page(client):
    response = client.post("/deconnexion", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert "reconnectez-vous" in response.get_json()["error"]


def test_logout_is_post_only(client, auth, worker):
    auth.login(worker.email)
    assert client.get("/deconnexion").status_code == 405


def test_session_cookie_flags(client, worker):
    response = client.post("/connexion", data={"email": worker.email,
                                               "password": factories.PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_secure_over_https(client, worker):
    response = client.post("/connexion", data={"email": worker.email,
                                               "password": factories.PASSWORD},
                           base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]


def test_session_expiry_rule():
    idle = timedelta(minutes=60)
    t0 = 1_000_000.0
    assert not session_expired(t0, t0 + 100, t0 + 100 + 3600, idle)
    assert session_expired(t0, t0 + 100, t0 + 100 + 3601, idle)
    assert session_expired(t0, t0 + 12 * 3600, t0 + 12 * 3600 + 1, idle)  # absolute limit
    assert session_expired(None, None, t0, idle)


def test_idle_session_is_ended(app, client, auth, worker):
    auth.login(worker.email)
    with client.session_transaction() as sess:
        sess["seen"] = time.time() - app.config["IDLE_TIMEOUT"].total_seconds() - 5
    response = client.get("/plus")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).page
    assert "Votre session a expiré" in page
    assert "auth.session_expired" in actions()
    assert client.get("/plus").status_code == 302


def test_deactivation_ends_open_sessions(client, auth, worker, admin):
    auth.login(worker.email)
    assert client.get("/plus").status_code == 200
    services.set_active(admin, worker, False, now=utcnow())
    assert client.get("/plus").status_code == 302


def test_change_password_signs_out_other_devices(app, client, auth, worker):
    other = app.test_client()
    other.post("/connexion", data={"email": worker.email, "password": factories.PASSWORD})
    auth.login(worker.email)
    response = client.post("/compte/mot-de-passe", data={
        "current": factories.PASSWORD, "new": "nouvelle phrase secrète",
        "confirm": "nouvelle phrase secrète"})
    assert response.status_code == 302
    assert client.get("/plus").status_code == 200  # this device stays signed in
    assert other.get("/plus").status_code == 302  # the other one is out
    assert verify_password(worker.password_hash, "nouvelle phrase secrète")


def test_change_password_errors_in_french(client, auth, worker):
    auth.login(worker.email)
    bad_current = client.post("/compte/mot-de-passe", data={
        "current": "faux", "new": "nouvelle phrase secrète", "confirm": "nouvelle phrase secrète"})
    assert "Le mot de passe actuel est incorrect." in bad_current.page
    mismatch = client.post("/compte/mot-de-passe", data={
        "current": factories.PASSWORD, "new": "nouvelle phrase secrète", "confirm": "autre"})
    assert "Les deux mots de passe diffèrent." in mismatch.page
    assert verify_password(worker.password_hash, factories.PASSWORD)


def test_csrf_enforced_when_enabled(app, client, worker):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/connexion", data={"email": worker.email,
                                               "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "Formulaire expiré" in response.page
    page = client.get("/connexion").page
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    ok = client.post("/connexion", data={"email": worker.email, "password": factories.PASSWORD,
                                         "csrf_token": token})
    assert ok.status_code == 302


def test_csrf_token_accepted_from_header(app, client, auth, worker):
    auth.login(worker.email)
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/plus").page
    token = page.split('"X-CSRFToken": "')[1].split('"')[0]
    assert client.post("/deconnexion").status_code == 400
    assert client.post("/deconnexion", headers={"X-CSRFToken": token}).status_code == 302


def test_old_cookie_is_dead_after_sign_out(app, client, auth, worker):
    """A copy of the session cookie (or a late response re-setting it) signs nobody in."""
    from app.auth.models import LoginSession

    auth.login(worker.email)
    cookie = client.get_cookie("terrain_session").value
    assert client.get("/plus").status_code == 200
    auth.logout()
    row = db.session.scalar(select(LoginSession).where(LoginSession.user_id == worker.id))
    assert row.ended_at is not None and row.end_reason == "logout"
    client.set_cookie("terrain_session", cookie)
    assert client.get("/plus").status_code == 302


def test_each_sign_in_is_its_own_session(app, worker):
    from app.auth.models import LoginSession

    phone, laptop = app.test_client(), app.test_client()
    for c in (phone, laptop):
        c.post("/connexion", data={"email": worker.email, "password": factories.PASSWORD})
    phone.post("/deconnexion")
    assert phone.get("/plus").status_code == 302
    assert laptop.get("/plus").status_code == 200  # signing out one device keeps the other
    live = db.session.scalars(select(LoginSession).where(LoginSession.ended_at.is_(None))).all()
    assert len(live) == 1


def test_prefetch_never_touches_the_session_cookie(app, client, auth, worker):
    """The service worker's background fetches must not overwrite a newer cookie."""
    auth.login(worker.email)
    with client.session_transaction() as sess:
        sess["_flashes"] = [("success", "Message pour la personne")]
    prefetched = client.get("/plus", headers={"X-Terrain-Prefetch": "1"})
    assert prefetched.status_code == 200
    assert "Set-Cookie" not in prefetched.headers
    assert "Message pour la personne" not in prefetched.page
    assert "Message pour la personne" in client.get("/plus").page  # still there for the person


def test_csrf_secret_is_set_by_the_sign_in_answer(app, client, worker):
    """Pages and background requests right after sign-in then share one CSRF secret."""
    client.post("/connexion", data={"email": worker.email, "password": factories.PASSWORD})
    with client.session_transaction() as sess:
        assert sess.get("csrf_token")
