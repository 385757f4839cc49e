"""Sign-in protection seen on a phone: a common password refused in French, the headers accepted
by Chromium without a console error (the fixtures fail on any), paused sign-in explained."""
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, serious_violations, sign_in

pytestmark = pytest.mark.e2e


def test_common_password_refused_and_sign_in_paused_on_a_phone(page, server):
    sign_in(page, server, "travailleur@terrain.test")
    page.goto(server.url + "/compte/mot-de-passe")
    page.get_by_label("Mot de passe actuel").fill("terrain-demo")
    page.get_by_label("Nouveau mot de passe (12 caractères au moins)").fill("Marseille2024!")
    page.get_by_label("Confirmez le nouveau mot de passe").fill("Marseille2024!")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("alert")).to_contain_text("fait partie des plus courants")
    assert serious_violations(page) == []
    screenshot(page, "security-common-password-phone")

    page.context.clear_cookies()  # another person, on the same phone
    page.goto(server.url + "/connexion")
    for _ in range(6):
        page.get_by_label("Adresse e-mail").fill("travailleur@terrain.test")
        page.get_by_label("Mot de passe").fill("pas le bon mot de passe")
        page.get_by_role("button", name="Se connecter", exact=True).click()
        expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Trop de tentatives de connexion")
    assert serious_violations(page) == []
    screenshot(page, "security-sign-in-paused-phone")
