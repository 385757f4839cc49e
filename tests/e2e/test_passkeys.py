"""Passkeys in Chromium with a virtual authenticator (DevTools protocol WebAuthn domain).

Chrome's virtual authenticator answers at once, autofill included: on the sign-in page the
conditional (autofill) request would sign in by itself. Tests of the button therefore make the
browser report that it has no passkey autofill, as some browsers do.
"""
import base64
import os

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from tests.e2e.conftest import LAPTOP, PHONE, screenshot, serious_violations, sign_in

pytestmark = pytest.mark.e2e

NO_AUTOFILL = """
if (window.PublicKeyCredential) {
  PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);
}
"""
NO_WEBAUTHN = "delete window.PublicKeyCredential;"


class Phone:
    """A browser page with a platform authenticator, as on a phone with a fingerprint reader."""

    def __init__(self, page, cdp, authenticator_id):
        self.page = page
        self.cdp = cdp
        self.id = authenticator_id

    def credentials(self):
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]

    def add_credential(self, credential):
        self.cdp.send("WebAuthn.addCredential", {"authenticatorId": self.id,
                                                 "credential": credential})

    def verified(self, ok: bool):
        """Whether the fingerprint is accepted (False: the person cancels or fails)."""
        self.cdp.send("WebAuthn.setUserVerified", {"authenticatorId": self.id,
                                                   "isUserVerified": ok})


def phone(new_page, viewport=PHONE, script=NO_AUTOFILL):
    page = new_page(viewport)
    if script:
        page.context.add_init_script(script)
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    result = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True}})
    return Phone(page, cdp, result["authenticatorId"])


def create_passkey(page, server, name="Téléphone pro"):
    page.goto(server.url + "/compte/cles-d-acces")
    page.get_by_label("Nom de la clé d'accès").fill(name)
    page.get_by_role("button", name="Créer la clé d'accès").click()
    expect(page.locator(".passkey-list .list-title", has_text=name)).to_be_visible()


def sign_out(page, server, wait=True):
    page.goto(server.url + "/plus")
    page.get_by_role("button", name="Se déconnecter").click()
    if wait:
        expect(page.get_by_text("Vous êtes déconnecté·e.")).to_be_visible()


def passkey_button(page):
    return page.get_by_role("button", name="Utiliser une clé d'accès")


def last_event(server, action):
    with server.app.app_context():
        return db.session.scalar(select(AuditEvent).where(AuditEvent.action == action)
                                 .order_by(AuditEvent.id.desc()).limit(1))


def test_register_from_profile_sign_out_and_sign_in_with_it(new_page, server):
    device = phone(new_page)
    page = device.page
    sign_in(page, server, "travailleur@terrain.test")
    page.get_by_role("link", name="Plus").last.click()
    page.get_by_role("link", name="Mes clés d'accès").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes clés d'accès")
    expect(page.get_by_text("Aucune clé d'accès pour l'instant")).to_be_visible()
    page.get_by_label("Nom de la clé d'accès").fill("Téléphone pro")
    page.get_by_role("button", name="Créer la clé d'accès").click()
    expect(page.locator(".passkey-list .list-title")).to_have_text(["Téléphone pro"])
    item = page.locator(".passkey-list .list-item")
    expect(item).to_contain_text("Créée le ")
    expect(item).to_contain_text("Jamais utilisée pour se connecter")
    [credential] = device.credentials()
    assert credential["isResidentCredential"] and credential["rpId"] == "localhost"
    assert credential["userName"] == "travailleur@terrain.test"
    assert serious_violations(page) == []
    screenshot(page, "passkeys-list-phone")

    sign_out(page, server)
    expect(passkey_button(page)).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "passkeys-login-phone")
    passkey_button(page).click()
    page.wait_for_url(server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Sophie")
    event = last_event(server, "auth.login")
    assert event.detail == {"method": "passkey"} and event.actor.email == "travailleur@terrain.test"
    page.goto(server.url + "/compte/cles-d-acces")
    expect(page.locator(".passkey-list .list-item")).to_contain_text("Dernière utilisation le")


def test_browser_autofill_signs_in(new_page, server):
    device = phone(new_page, script=None)  # Chromium offers passkey autofill
    page = device.page
    sign_in(page, server, "travailleur@terrain.test")
    create_passkey(page, server)
    sign_out(page, server, wait=False)
    # On the sign-in page the e-mail field offers the passkey (autocomplete="username webauthn");
    # the virtual authenticator picks it at once, as a person tapping the suggestion would.
    page.wait_for_url(server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Sophie")
    assert last_event(server, "auth.login").detail == {"method": "passkey"}


def test_second_account_cannot_use_the_first_ones_passkey(new_page, server):
    sophie = phone(new_page)
    sign_in(sophie.page, server, "travailleur@terrain.test")
    create_passkey(sophie.page, server)
    [credential] = sophie.credentials()

    karim = phone(new_page)
    page = karim.page
    sign_in(page, server, "karim.haddad@terrain.test")
    page.goto(server.url + "/compte/cles-d-acces")
    expect(page.get_by_text("Aucune clé d'accès pour l'instant")).to_be_visible()
    sign_out(page, server)
    # A copy of Sophie's key that claims to belong to another account.
    forged = dict(credential, userHandle=base64.b64encode(os.urandom(32)).decode(),
                  userName="karim.haddad@terrain.test")
    karim.add_credential(forged)
    passkey_button(page).click()
    expect(page.get_by_role("alert")).to_contain_text("n'est pas reconnue par Terrain")
    expect(page).to_have_url(server.url + "/connexion/cle")
    page.goto(server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")


def test_copied_passkey_behind_the_counter_is_refused(new_page, server):
    sophie = phone(new_page)
    sign_in(sophie.page, server, "travailleur@terrain.test")
    create_passkey(sophie.page, server)
    [credential] = sophie.credentials()
    sign_out(sophie.page, server)
    passkey_button(sophie.page).click()
    sophie.page.wait_for_url(server.url + "/")

    thief = phone(new_page)
    thief.add_credential(dict(credential, signCount=0))
    thief.page.goto(server.url + "/connexion")
    passkey_button(thief.page).click()
    expect(thief.page.get_by_role("alert")).to_contain_text("son compteur a reculé")
    assert last_event(server, "passkey.sign_count_rejected").actor.email == \
        "travailleur@terrain.test"


def test_removed_passkey_no_longer_signs_in(new_page, server):
    device = phone(new_page)
    page = device.page
    sign_in(page, server, "travailleur@terrain.test")
    create_passkey(page, server)
    page.get_by_role("button", name="Supprimer la clé d'accès « Téléphone pro »").click()
    expect(page.get_by_text("Aucune clé d'accès pour l'instant")).to_be_visible()
    assert last_event(server, "passkey.remove") is not None
    sign_out(page, server)
    passkey_button(page).click()
    expect(page.get_by_role("alert")).to_contain_text("n'est pas reconnue par Terrain")
    screenshot(page, "passkeys-login-refused-phone")
    assert serious_violations(page) == []


def test_admin_reset_revokes_passkeys_and_signs_out(new_page, server):
    device = phone(new_page)
    page = device.page
    sign_in(page, server, "travailleur@terrain.test")
    create_passkey(page, server)

    admin = new_page(LAPTOP)
    sign_in(admin, server, "admin@terrain.test")
    admin.goto(server.url + "/admin/")
    admin.get_by_role("link", name="Sophie Martin").click()
    section = admin.locator("section", has=admin.get_by_role("heading", name="Clés d'accès"))
    expect(section).to_contain_text("Téléphone pro")
    assert serious_violations(admin) == []
    screenshot(admin, "passkeys-admin-user-laptop")
    # A screenshot marks inputs with style=""; htmx would carry it into the next boosted page,
    # which the CSP reports. Reload so the test clicks on a page as a person would see it.
    admin.reload()
    admin.get_by_role("button", name="Réinitialiser : révoquer ses clés").click()
    expect(section).to_contain_text("Aucune clé d'accès")
    assert last_event(server, "passkey.reset").actor.email == "admin@terrain.test"

    page.goto(server.url + "/plus")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    passkey_button(page).click()
    expect(page.get_by_role("alert")).to_contain_text("n'est pas reconnue par Terrain")


def test_policy_makes_coordinators_enrol_after_password_sign_in(new_page, server):
    admin_phone = phone(new_page, LAPTOP)
    admin = admin_phone.page
    sign_in(admin, server, "admin@terrain.test")
    admin.goto(server.url + "/admin/securite")
    admin.get_by_label("Exiger une clé d'accès").check()
    admin.get_by_role("button", name="Enregistrer").click()
    expect(admin.get_by_role("alert")).to_contain_text("Créez d'abord votre propre clé d'accès")
    create_passkey(admin, server, "Ordinateur du bureau")
    admin.goto(server.url + "/admin/securite")
    admin.get_by_label("Exiger une clé d'accès").check()
    admin.get_by_role("button", name="Enregistrer").click()
    expect(admin.get_by_text("Modifiée le")).to_be_visible()
    expect(admin.get_by_label("Exiger une clé d'accès")).to_be_checked()
    expect(admin.locator("section", has_text="Sans clé d'accès")).to_contain_text("Paul Girard")
    assert serious_violations(admin) == []
    screenshot(admin, "passkeys-admin-security-laptop")

    coordinator = phone(new_page)
    page = coordinator.page
    page.goto(server.url + "/connexion")
    page.get_by_label("Adresse e-mail").fill("coordination.grenoble@terrain.test")
    page.get_by_label("Mot de passe").fill("terrain-demo")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(server.url + "/compte/cle-obligatoire")
    expect(page.get_by_role("heading", level=1)).to_have_text("Créez votre clé d'accès")
    assert serious_violations(page) == []
    screenshot(page, "passkeys-required-phone")
    page.goto(server.url + "/menages/")
    expect(page).to_have_url(server.url + "/compte/cle-obligatoire")
    page.get_by_label("Nom de la clé d'accès").fill("Téléphone pro")
    page.get_by_role("button", name="Créer ma clé d'accès").click()
    page.wait_for_url(server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Paul")


def test_cancelled_ceremonies_explain_in_french(new_page, server):
    device = phone(new_page)
    page = device.page
    sign_in(page, server, "travailleur@terrain.test")
    page.goto(server.url + "/compte/cles-d-acces")
    page.get_by_role("button", name="Créer la clé d'accès").click()
    name = page.get_by_label("Nom de la clé d'accès")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_be_focused()
    expect(page.locator("#name-error")).to_have_text(
        "Donnez un nom à cette clé d'accès, par exemple « Téléphone pro ».")
    device.verified(False)
    page.get_by_label("Nom de la clé d'accès").fill("Téléphone pro")
    page.get_by_role("button", name="Créer la clé d'accès").click()
    expect(page.get_by_role("alert")).to_contain_text("Création annulée")
    screenshot(page, "passkeys-cancelled-phone")
    device.verified(True)
    page.get_by_role("button", name="Créer la clé d'accès").click()
    expect(page.locator(".passkey-list .list-title")).to_have_text(["Téléphone pro"])
    page.get_by_label("Nom de la clé d'accès").fill("Encore ce téléphone")
    page.get_by_role("button", name="Créer la clé d'accès").click()
    expect(page.get_by_role("alert")).to_contain_text("Cet appareil a déjà une clé d'accès")
    sign_out(page, server)
    device.verified(False)
    passkey_button(page).click()
    expect(page.get_by_role("alert")).to_contain_text("Opération annulée")
    expect(page.get_by_label("Adresse e-mail")).to_be_visible()  # the password is still there


def test_unsupported_browser_keeps_the_password(new_page, server):
    page = new_page()
    page.context.add_init_script(NO_WEBAUTHN)
    page.goto(server.url + "/connexion")
    expect(page.get_by_text("Ce navigateur ne permet pas les clés d'accès")).to_be_visible()
    expect(passkey_button(page)).to_be_hidden()
    sign_in(page, server, "travailleur@terrain.test")
    page.goto(server.url + "/compte/cles-d-acces")
    expect(page.get_by_text("Ce navigateur ne permet pas les clés d'accès")).to_be_visible()
    expect(page.get_by_role("button", name="Créer la clé d'accès")).to_be_disabled()


def test_pages_at_laptop_size(new_page, server):
    device = phone(new_page, LAPTOP)
    page = device.page
    page.goto(server.url + "/connexion")
    expect(passkey_button(page)).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "passkeys-login-laptop")
    sign_in(page, server, "coordination@terrain.test")  # the demo gives her two passkeys
    create_passkey(page, server, "Portable de la permanence")
    expect(page.locator(".passkey-list .list-item")).to_have_count(3)
    assert serious_violations(page) == []
    screenshot(page, "passkeys-list-laptop")
