"""Passkeys: registration and sign-in verified with real keys and signatures, removal, reset."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth import passkeys
from app.auth.models import PasskeyCredential, User, WebAuthnChallenge
from app.extensions import db
from app.timeutil import utcnow
from tests import factories
from tests.passkey_device import SoftPasskey, passkey_for

ORIGIN = "http://localhost"  # the Flask test client's default host


def audit(action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def count_passkeys(user=None):
    stmt = select(func.count(PasskeyCredential.id))
    if user is not None:
        stmt = stmt.where(PasskeyCredential.user_id == user.id)
    return db.session.scalar(stmt)


def registration_options(client, name="Téléphone pro"):
    response = client.post("/compte/cles-d-acces/options", data={"name": name})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def register(client, name="Téléphone pro", origin=ORIGIN, **device_kw):
    """Run the whole registration ceremony from the profile page; returns (device, response)."""
    options = registration_options(client, name)
    device = passkey_for(options, **device_kw)
    response = client.post("/compte/cles-d-acces",
                           data={"name": name, "credential": device.attestation(options, origin)})
    return device, response


def sign_in(client, device, origin=ORIGIN, **assertion_kw):
    """Ask for sign-in options and post the device's signed answer."""
    options = client.post("/connexion/cle/options").get_json()
    return client.post("/connexion/cle",
                       data={"credential": device.assertion(options, origin, **assertion_kw)})


@pytest.fixture
def enrolled(client, auth, worker):
    """The worker with one passkey registered through the pages, then signed out."""
    auth.login(worker.email)
    device, response = register(client)
    assert response.status_code == 302
    auth.logout()
    return device


# -- registration ---------------------------------------------------------------------------

def test_options_ask_for_a_discoverable_user_verified_passkey(client, auth, worker):
    auth.login(worker.email)
    options = registration_options(client)
    assert options["rp"] == {"id": "localhost", "name": "Terrain"}
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["user"]["name"] == worker.email
    assert options["user"]["id"] not in (str(worker.id), worker.email)
    assert options["excludeCredentials"] == []


def test_register_keeps_only_public_data_and_lists_it_in_french(client, auth, worker):
    auth.login(worker.email)
    device, response = register(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/compte/cles-d-acces"
    row = db.session.scalar(select(PasskeyCredential))
    assert row.user_id == worker.id and row.name == "Téléphone pro"
    assert row.credential_id == device.credential_id
    assert row.public_key == device.cose_key()
    assert row.sign_count == 0 and row.backup_eligible and row.backed_up
    assert row.transports == "internal,hybrid"
    assert row.user_handle == device.user_handle
    assert [e.object_id for e in audit("passkey.register")] == [row.id]
    page = client.get("/compte/cles-d-acces").page
    assert "Téléphone pro" in page and "Jamais utilisée" in page
    assert "Créée le " + date_medium(row.created_at) in page
    # A second passkey of the same person: the device is told about the first one.
    options = registration_options(client, "Ordinateur du bureau")
    assert [c["id"] for c in options["excludeCredentials"]] == [device_id(device)]
    assert options["user"]["id"] == device_id_bytes(device.user_handle)


def date_medium(value):
    from app.formatting import date_fr

    return date_fr(value, "medium")


def device_id(device):
    return device_id_bytes(device.credential_id)


def device_id_bytes(raw):
    from webauthn.helpers import bytes_to_base64url

    return bytes_to_base64url(raw)


def test_several_passkeys_per_account(client, auth, worker):
    auth.login(worker.email)
    for name in ("Téléphone pro", "Ordinateur du bureau"):
        assert register(client, name)[1].status_code == 302
    assert count_passkeys(worker) == 2
    handles = set(db.session.scalars(select(PasskeyCredential.user_handle)))
    assert len(handles) == 1  # one account, one user handle


def test_registration_refuses_a_device_without_user_verification(client, auth, worker):
    auth.login(worker.email)
    _, response = register(client, verified=False)
    assert response.status_code == 422
    assert "n'a pas pu être vérifiée" in response.page
    assert count_passkeys() == 0


def test_registration_refuses_another_origin(client, auth, worker):
    auth.login(worker.email)
    _, response = register(client, origin="https://terrain.example.org")
    assert response.status_code == 422
    assert count_passkeys() == 0


def test_registration_challenge_serves_once(client, auth, worker):
    auth.login(worker.email)
    options = registration_options(client)
    first = passkey_for(options)
    ok = client.post("/compte/cles-d-acces", data={
        "name": "Téléphone pro", "credential": first.attestation(options, ORIGIN)})
    assert ok.status_code == 302
    again = passkey_for(options)
    replay = client.post("/compte/cles-d-acces", data={
        "name": "Téléphone perso", "credential": again.attestation(options, ORIGIN)})
    assert replay.status_code == 422
    assert "a expiré ou a déjà servi" in replay.page
    assert count_passkeys() == 1


def test_registration_challenge_of_another_person_is_refused(client, auth, worker, team_a):
    other = factories.user((team_a, "worker"))
    auth.login(other.email)
    options = registration_options(client)
    auth.logout()
    auth.login(worker.email)
    response = client.post("/compte/cles-d-acces", data={
        "name": "Téléphone pro", "credential": passkey_for(options).attestation(options, ORIGIN)})
    assert response.status_code == 422
    assert count_passkeys() == 0


def test_registration_challenge_expires(app, worker):
    now = utcnow()
    with app.test_request_context(base_url=ORIGIN):
        options = passkeys.registration_options(worker, "Téléphone pro", now=now)
        device = passkey_for(options)
        late = now + app.config["PASSKEY_CHALLENGE_TTL"]
        with pytest.raises(passkeys.PasskeyError) as refused:
            passkeys.register(worker, "Téléphone pro", device.attestation(options, ORIGIN),
                              now=late)
    assert refused.value.reason == "expired"
    assert db.session.scalar(select(func.count(WebAuthnChallenge.id))) == 0


def test_registration_just_before_expiry_is_accepted(app, worker):
    now = utcnow()
    with app.test_request_context(base_url=ORIGIN):
        options = passkeys.registration_options(worker, "Téléphone pro", now=now)
        almost = now + app.config["PASSKEY_CHALLENGE_TTL"] - timedelta(seconds=1)
        row = passkeys.register(worker, "Téléphone pro",
                                passkey_for(options).attestation(options, ORIGIN), now=almost)
    assert row.created_at == almost


@pytest.mark.parametrize("name,message", [
    ("", "Donnez un nom à cette clé d'accès"),
    ("x" * 61, "ne doit pas dépasser 60 caractères"),
])
def test_registration_name_is_checked_before_the_device_is_asked(client, auth, worker, name,
                                                                 message):
    auth.login(worker.email)
    response = client.post("/compte/cles-d-acces/options", data={"name": name})
    assert response.status_code == 422
    assert message in response.get_json()["error"]
    assert response.get_json()["field"] == "name"


def test_duplicate_name_refused_and_typed_name_kept(client, auth, worker):
    auth.login(worker.email)
    register(client, "Téléphone pro")
    response = client.post("/compte/cles-d-acces/options", data={"name": "téléphone PRO"})
    assert "déjà une clé d'accès portant ce nom" in response.get_json()["error"]
    page = client.post("/compte/cles-d-acces", data={"name": "Téléphone pro",
                                                     "credential": "{}"})
    assert page.status_code == 422
    assert 'value="Téléphone pro"' in page.page and 'aria-invalid="true"' in page.page


def test_register_without_a_device_response_explains(client, auth, worker):
    auth.login(worker.email)
    response = client.post("/compte/cles-d-acces", data={"name": "Téléphone pro"})
    assert response.status_code == 422
    assert "votre navigateur doit permettre les clés d'accès" in response.page


def test_options_refused_on_an_ip_address(client, worker):
    ip = "http://127.0.0.1:5000"
    client.post("/connexion", data={"email": worker.email, "password": factories.PASSWORD},
                base_url=ip)
    response = client.post("/compte/cles-d-acces/options", data={"name": "Téléphone pro"},
                           base_url="http://127.0.0.1:5000")
    assert response.status_code == 422
    assert "pas une adresse IP comme 127.0.0.1" in response.get_json()["error"]
    anonymous = fresh_client(client).post("/connexion/cle/options",
                                              base_url="http://127.0.0.1:5000")
    assert anonymous.status_code == 400


def fresh_client(client):
    return client.application.test_client()


def test_relying_party_from_config_then_public_url_then_request(app):
    with app.test_request_context(base_url="http://localhost:5123"):
        assert passkeys.relying_party() == ("localhost", ["http://localhost:5123"])
        app.config["PUBLIC_URL"] = "https://terrain.asso.example/"
        assert passkeys.relying_party() == ("terrain.asso.example",
                                            ["https://terrain.asso.example"])
        app.config.update(PASSKEY_RP_ID="asso.example",
                          PASSKEY_ORIGINS="https://terrain.asso.example, https://m.asso.example")
        assert passkeys.relying_party() == ("asso.example", ["https://terrain.asso.example",
                                                             "https://m.asso.example"])


# -- sign-in --------------------------------------------------------------------------------

def test_sign_in_with_a_passkey(client, enrolled, worker):
    response = sign_in(client, enrolled)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Bonjour Wanda" in client.get("/").page
    row = db.session.scalar(select(PasskeyCredential))
    assert row.sign_count == 1 and row.last_used_at is not None
    login = audit("auth.login")[-1]
    assert login.actor_id == worker.id and login.detail == {"method": "passkey"}
    assert login.object_type == "passkey" and login.object_id == row.id
    assert db.session.get(User, worker.id).last_login_at == row.last_used_at
    assert "Dernière utilisation le" in client.get("/compte/cles-d-acces").page


def test_sign_in_goes_to_the_page_asked_for(client, enrolled):
    options = client.post("/connexion/cle/options").get_json()
    response = client.post("/connexion/cle?next=/plus",
                           data={"credential": enrolled.assertion(options, ORIGIN)})
    assert response.headers["Location"] == "/plus"


def test_sign_in_options_let_the_browser_offer_any_passkey(client):
    options = client.post("/connexion/cle/options").get_json()
    assert options["rpId"] == "localhost"
    assert options["allowCredentials"] == []  # discoverable: the device says who
    assert options["userVerification"] == "required"


def test_replayed_sign_in_response_fails(client, enrolled):
    options = client.post("/connexion/cle/options").get_json()
    response = enrolled.assertion(options, ORIGIN)
    assert client.post("/connexion/cle", data={"credential": response}).status_code == 302
    attacker = fresh_client(client)
    replay = attacker.post("/connexion/cle", data={"credential": response})
    assert replay.status_code == 401
    assert "La demande a expiré ou a déjà servi" in replay.page
    assert attacker.get("/").status_code == 302  # not signed in
    assert audit("auth.passkey_failed")[-1].detail == {"reason": "expired"}


def test_sign_in_challenge_expires(app, worker):
    row = factories.passkey(worker)
    now = utcnow()
    with app.test_request_context(base_url=ORIGIN):
        options = passkeys.authentication_options(now=now)
        with pytest.raises(passkeys.PasskeyError) as refused:
            passkeys.authenticate(row.device.assertion(options, ORIGIN),
                                  now=now + timedelta(minutes=5))
    assert refused.value.reason == "expired"


def test_sign_in_challenge_made_up_by_the_client_fails(client, enrolled):
    forged = {"challenge": device_id_bytes(b"\x01" * 32)}
    response = client.post("/connexion/cle", data={"credential": enrolled.assertion(forged,
                                                                                    ORIGIN)})
    assert response.status_code == 401
    assert "a expiré ou a déjà servi" in response.page


def test_wrong_origin_is_refused_and_audited(client, enrolled, worker):
    response = sign_in(client, enrolled, origin="https://terrain-connexion.example")
    assert response.status_code == 401
    assert "n'a pas pu être vérifiée" in response.page
    failure = audit("auth.passkey_failed")[-1]
    assert failure.actor_id == worker.id and failure.detail == {"reason": "invalid"}
    assert client.get("/").status_code == 302


def test_wrong_rp_id_is_refused(client, enrolled):
    assert sign_in(client, enrolled, rp_id="example.org").status_code == 401


def test_signature_by_another_key_is_refused(client, enrolled):
    impostor = SoftPasskey(rp_id="localhost", user_handle=enrolled.user_handle,
                           credential_id=enrolled.credential_id)
    response = sign_in(client, impostor)
    assert response.status_code == 401
    assert "n'a pas pu être vérifiée" in response.page


def test_device_without_user_verification_is_refused(client, enrolled):
    enrolled.verified = False
    assert sign_in(client, enrolled).status_code == 401


def test_sign_count_going_backwards_is_refused_and_audited(client, enrolled, worker):
    for _ in range(2):
        assert sign_in(client, enrolled).status_code == 302
        client.post("/deconnexion")
    enrolled.sign_count = 0  # a copy of the key, behind the original's counter
    response = sign_in(client, enrolled)  # it reports 1, the server saw 2
    assert response.status_code == 401
    assert "son compteur a reculé" in response.page
    event = audit("passkey.sign_count_rejected")[-1]
    assert event.actor_id == worker.id and event.detail == {"reason": "sign_count"}
    assert db.session.scalar(select(PasskeyCredential.sign_count)) == 2


def test_sign_count_that_does_not_move_is_refused(client, enrolled):
    assert sign_in(client, enrolled).status_code == 302
    client.post("/deconnexion")
    assert sign_in(client, enrolled, count=False).status_code == 401


def test_passkeys_that_never_count_keep_working(client, worker):
    row = factories.passkey(worker)  # synced passkeys report 0 every time
    for _ in range(2):
        assert sign_in(client, row.device, count=False).status_code == 302
        client.post("/deconnexion")
    assert db.session.scalar(select(PasskeyCredential.sign_count)) == 0


def test_unknown_credential_is_refused(client, worker):
    stranger = SoftPasskey(rp_id="localhost", user_handle=b"\x07" * 32)
    response = sign_in(client, stranger)
    assert response.status_code == 401
    assert "Cette clé d'accès n'est pas reconnue par Terrain" in response.page
    assert audit("auth.passkey_failed")[-1].detail == {"reason": "unknown"}
    assert 'autocomplete="username webauthn"' in response.page  # the password form is there
    # The page asks the browser to stop offering a passkey the server does not know.
    assert f'data-forget-credential="{device_id(stranger)}"' in response.page
    assert 'data-forget-rp-id="localhost"' in response.page


def test_a_credential_claiming_another_account_is_refused(client, team_a, worker):
    first = factories.passkey(worker)
    second_owner = factories.user((team_a, "worker"))
    second = factories.passkey(second_owner)
    response = sign_in(client, first.device, user_handle=second.user_handle)
    assert response.status_code == 401
    assert client.get("/").status_code == 302
    assert "n'est pas reconnue" in response.page


def test_deactivated_account_is_refused(client, worker):
    row = factories.passkey(worker)
    worker.active = False
    db.session.commit()
    response = sign_in(client, row.device)
    assert response.status_code == 401
    assert "Ce compte est désactivé" in response.page
    assert "data-forget-credential" not in response.page  # a known passkey is never dropped
    assert audit("auth.passkey_failed")[-1].detail == {"reason": "inactive"}


@pytest.mark.parametrize("credential", ["", "pas du json", "[]", '{"id": "x"}',
                                        '{"id": 1, "response": {"clientDataJSON": "e30"}}'])
def test_malformed_responses_are_refused_in_french(client, credential):
    response = client.post("/connexion/cle", data={"credential": credential})
    assert response.status_code == 401
    assert ("illisible" in response.page or "votre navigateur doit permettre" in response.page)


def test_sign_in_endpoints_need_the_csrf_token(app, client, worker):
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/connexion/cle/options").status_code == 400
    assert client.post("/connexion/cle", data={"credential": "{}"}).status_code == 400


# -- removal, admin reset -------------------------------------------------------------------

def test_remove_own_passkey_then_it_no_longer_signs_in(client, auth, worker):
    auth.login(worker.email)
    device, _ = register(client)
    row_id = db.session.scalar(select(PasskeyCredential.id))
    response = client.post(f"/compte/cles-d-acces/{row_id}/supprimer", follow_redirects=True)
    assert "Clé d'accès « Téléphone pro » supprimée" in response.page
    assert count_passkeys() == 0
    assert audit("passkey.remove")[-1].object_id == row_id
    auth.logout()
    assert sign_in(client, device).status_code == 401


def test_cannot_remove_someone_elses_passkey(client, auth, worker, team_a):
    other = factories.passkey(factories.user((team_a, "worker")))
    auth.login(worker.email)
    assert client.post(f"/compte/cles-d-acces/{other.id}/supprimer").status_code == 404
    assert "Appareil" not in client.get("/compte/cles-d-acces").page
    assert count_passkeys() == 1


def test_removal_needs_post(client, auth, worker):
    row = factories.passkey(worker)
    auth.login(worker.email)
    assert client.get(f"/compte/cles-d-acces/{row.id}/supprimer").status_code == 405


def test_admin_reset_revokes_passkeys_and_sessions(client, auth, admin, worker):
    factories.passkey(worker)
    row = factories.passkey(worker)
    phone = fresh_client(client)
    assert sign_in(phone, row.device).status_code == 302
    assert phone.get("/").status_code == 200
    auth.login(admin.email)
    page = client.get(f"/admin/personnes/{worker.id}").page
    assert "Clés d'accès" in page and row.name in page
    response = client.post(f"/admin/personnes/{worker.id}/cles-d-acces/reinitialiser",
                           follow_redirects=True)
    assert "révoquées (2) et toutes ses sessions fermées" in response.page
    assert count_passkeys(worker) == 0
    assert phone.get("/").status_code == 302  # the lost phone is signed out
    event = audit("passkey.reset")[-1]
    assert event.actor_id == admin.id and event.object_id == worker.id
    assert event.detail == {"passkeys_removed": 2}
    assert sign_in(fresh_client(client), row.device).status_code == 401


def test_admin_cannot_reset_self_and_others_cannot_reset(client, auth, admin, worker):
    auth.login(admin.email)
    response = client.post(f"/admin/personnes/{admin.id}/cles-d-acces/reinitialiser",
                           follow_redirects=True)
    assert "passez par « Mes clés d'accès »" in response.page
    auth.logout()
    auth.login(worker.email)
    assert client.post(f"/admin/personnes/{admin.id}/cles-d-acces/reinitialiser"
                       ).status_code == 403


# -- policy ---------------------------------------------------------------------------------

@pytest.fixture
def coordinator(team_a):
    return factories.user((team_a, "coordinator"), email="coord@exemple.test",
                          display_name="Colette Coord")


def enable_policy(client, auth, admin):
    factories.passkey(admin)
    auth.login(admin.email)
    response = client.post("/admin/securite", data={"passkey_required": "y"})
    assert response.status_code == 302
    auth.logout()


def test_admin_must_have_a_passkey_before_requiring_one(client, auth, admin):
    auth.login(admin.email)
    response = client.post("/admin/securite", data={"passkey_required": "y"})
    assert response.status_code == 422
    assert "Créez d'abord votre propre clé d'accès" in response.page
    assert passkeys.policy() is None


def test_policy_sends_coordinators_without_passkey_to_enrolment(client, auth, admin,
                                                                coordinator, worker):
    enable_policy(client, auth, admin)
    assert audit("settings.passkey_policy")[-1].detail == {"required": True}
    auth.login(coordinator.email)
    home = client.get("/")
    assert home.status_code == 303 and home.headers["Location"] == "/compte/cle-obligatoire"
    assert client.get("/menages/").headers["Location"] == "/compte/cle-obligatoire"
    htmx = client.get("/plus", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"] == "/compte/cle-obligatoire"
    page = client.get("/compte/cle-obligatoire")
    assert page.status_code == 200 and "Créez votre clé d'accès" in page.page
    options = client.post("/compte/cles-d-acces/options", data={"name": "Téléphone pro"})
    options = options.get_json()
    done = client.post("/compte/cle-obligatoire", data={
        "name": "Téléphone pro", "credential": passkey_for(options).attestation(options, ORIGIN)})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.get("/compte/cle-obligatoire").headers["Location"] == "/"
    auth.logout()
    auth.login(worker.email)  # workers are not under the rule
    assert client.get("/").status_code == 200


def test_policy_keeps_the_last_passkey(client, auth, admin):
    enable_policy(client, auth, admin)
    auth.login(admin.email)
    only = db.session.scalar(select(PasskeyCredential.id))
    response = client.post(f"/compte/cles-d-acces/{only}/supprimer", follow_redirects=True)
    assert "ajoutez-en une autre avant de supprimer la dernière" in response.page
    assert count_passkeys(admin) == 1


def test_security_page_lists_leads_without_passkey(client, auth, admin, coordinator, worker):
    enable_policy(client, auth, admin)
    auth.login(admin.email)
    page = client.get("/admin/securite").page
    missing = page.split("Sans clé d'accès")[1]
    assert "Colette Coord" in missing
    assert "Wanda Worker" not in missing and "Ada Admin" not in missing
    assert 'checked' in page
    client.post("/admin/securite", data={})
    assert passkeys.policy().passkey_required_for_leads is False
    auth.logout()
    auth.login(coordinator.email)
    assert client.get("/").status_code == 200


def test_login_page_offers_passkeys_and_autofill(client):
    page = client.get("/connexion").page
    assert 'autocomplete="username webauthn"' in page
    assert "Utiliser une clé d'accès" in page
    assert "simplewebauthn-browser-14.0.0/index.umd.min.js" in page
    assert "<script>" not in page


def test_more_page_links_to_my_passkeys(client, auth, worker):
    auth.login(worker.email)
    assert "Mes clés d'accès" in client.get("/plus").page


def test_reloading_a_refused_passkey_page_goes_back_to_sign_in(client):
    response = client.get("/connexion/cle?next=/plus")
    assert response.status_code == 302
    assert response.headers["Location"] == "/connexion?next=/plus"


def test_scripts_under_the_rule_get_json_not_a_page(client, auth, admin, coordinator):
    enable_policy(client, auth, admin)
    auth.login(coordinator.email)
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.get_json()["redirect"] == "/compte/cle-obligatoire"
