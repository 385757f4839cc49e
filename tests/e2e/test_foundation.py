"""The foundation in a real browser: sign in and out on a phone, French errors, accessibility."""
import re

import pytest
from playwright.sync_api import expect

from app.demo import DEMO_ACCOUNTS
from tests.e2e.conftest import LAPTOP, PHONE, screenshot, serious_violations, sign_in

pytestmark = pytest.mark.e2e


def test_sign_in_and_out_on_a_phone(page, server):
    page.goto(server.url + "/")
    expect(page).to_have_url(re.compile(r"/connexion\?next=/"))
    expect(page.get_by_text("Connectez-vous pour accéder à cette page.")).to_be_visible()
    sign_in(page, server, "travailleur@terrain.test")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Sophie")
    bottom = page.get_by_role("navigation", name="Navigation principale (mobile)")
    expect(bottom).to_be_visible()
    expect(page.get_by_role("navigation", name="Navigation principale", exact=True)).to_be_hidden()
    for label in ("Aujourd'hui", "Ménages", "Plus"):
        expect(bottom.get_by_role("link", name=label)).to_be_visible()
    bottom.get_by_role("link", name="Plus").click()
    expect(page).to_have_url(server.url + "/plus")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(server.url + "/connexion")
    expect(page.get_by_text("Vous êtes déconnecté·e.")).to_be_visible()
    page.goto(server.url + "/plus")
    expect(page).to_have_url(re.compile(r"/connexion"))


def test_wrong_password_shows_french_message(page, server):
    page.goto(server.url + "/connexion")
    page.get_by_label("Adresse e-mail").fill("travailleur@terrain.test")
    page.get_by_label("Mot de passe").fill("pas-le-bon")
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Adresse e-mail ou mot de passe incorrect.")
    expect(page.get_by_label("Adresse e-mail")).to_have_value("travailleur@terrain.test")
    screenshot(page, "login-error-phone")


def test_sign_in_page_is_accessible(page, server):
    page.goto(server.url + "/connexion")
    assert serious_violations(page) == []
    screenshot(page, "login-phone")


@pytest.mark.parametrize("email", [e for e, _ in DEMO_ACCOUNTS])
def test_each_role_home_is_accessible_at_both_sizes(new_page, server, email):
    for name, viewport in (("phone", PHONE), ("laptop", LAPTOP)):
        page = new_page(viewport)
        sign_in(page, server, email)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")
        assert serious_violations(page) == [], (email, name)
        screenshot(page, f"home-{email.split('@')[0]}-{name}")


def test_admin_pages_are_accessible(page, server):
    sign_in(page, server, "admin@terrain.test")
    for path, title in (("/admin/", "Personnes"), ("/admin/invitations", "Invitations"),
                        ("/admin/equipes", "Équipes"), ("/admin/journal", "Journal"),
                        ("/plus", "Plus"), ("/compte/mot-de-passe", "Changer de mot de passe")):
        page.goto(server.url + path)
        expect(page).to_have_title(re.compile(title))
        assert serious_violations(page) == [], path
        screenshot(page, "admin" + path.replace("/", "-").rstrip("-") + "-phone")
    page.get_by_role("link", name="Plus").last.click()
    page.get_by_role("link", name="Personnes et rôles").click()
    page.get_by_role("link", name="Sophie Martin").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sophie Martin")
    assert serious_violations(page) == []


def test_households_page_is_accessible(page, server):
    sign_in(page, server, "travailleur@terrain.test")
    page.get_by_role("link", name="Ménages").last.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ménages")
    expect(page.get_by_text("Famille Benkirane")).to_be_visible()
    expect(page.get_by_text("Famille Okafor")).to_have_count(0)  # another site's team
    assert serious_violations(page) == []
    screenshot(page, "households-phone")


def test_readable_at_360_px_with_big_touch_targets(new_page, server):
    page = new_page({"width": 360, "height": 740})
    sign_in(page, server, "coordination@terrain.test")
    for path in ("/", "/menages/", "/menages/charge", "/plus", "/menages/1",
                 "/menages/1/chronologie", "/menages/nouveau"):
        page.goto(server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
        small = page.evaluate("""() => [...document.querySelectorAll(
              '.bottomnav a, button, .button, input:not([type=hidden]), select')]
            .filter(e => e.offsetParent !== null)
            // A checkbox's target is its whole label.
            .map(e => [e.textContent.trim() || e.name,
                       (e.type === 'checkbox' && e.closest('label') || e)
                         .getBoundingClientRect().height])
            .filter(([, h]) => h < 44)""")
        assert small == [], (path, small)


def test_invitation_from_admin_to_new_colleague(new_page, server):
    admin = new_page()
    sign_in(admin, server, "admin@terrain.test")
    admin.goto(server.url + "/admin/invitations")
    admin.get_by_label("Adresse e-mail").fill("nouveau.collegue@terrain.test")
    admin.get_by_label("Équipe").select_option(label="ASLL Toulouse (Toulouse — Saint-Cyprien)")
    admin.get_by_label("Rôle").select_option(label="Travailleur·se social·e")
    admin.get_by_role("button", name="Créer l'invitation").click()
    link = admin.get_by_label("Lien d'invitation à transmettre").input_value()
    assert "/invitation/" in link
    expect(admin.get_by_text("nouveau.collegue@terrain.test")).to_be_visible()
    assert serious_violations(admin) == []

    newcomer = new_page()
    newcomer.goto(link)
    expect(newcomer.get_by_text("ASLL Toulouse")).to_be_visible()
    newcomer.get_by_label("Prénom et nom").fill("Inès Nouvelle")
    newcomer.get_by_label("Mot de passe (12 caractères au moins)").fill("court")
    newcomer.get_by_label("Confirmez le mot de passe").fill("court")
    newcomer.get_by_role("button", name="Créer mon compte").click()
    expect(newcomer.get_by_role("alert")).to_contain_text("au moins 12 caractères")
    expect(newcomer.get_by_label("Prénom et nom")).to_have_value("Inès Nouvelle")
    assert serious_violations(newcomer) == []
    newcomer.get_by_label("Mot de passe (12 caractères au moins)").fill("une phrase bien longue")
    newcomer.get_by_label("Confirmez le mot de passe").fill("une phrase bien longue")
    newcomer.get_by_role("button", name="Créer mon compte").click()
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("Bonjour Inès")
    expect(newcomer.get_by_text("ASLL Toulouse")).to_be_visible()
