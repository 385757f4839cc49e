"""Relogement in a real browser: on a phone, the worker opens the demo operation, adds a
household, records a proposal, its acceptance and the move, and sees the progress change; on a
laptop, the chargé·e de mission's pages. Every page accessible, no sideways scroll."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LAPTOP, screenshot, serious_violations, sign_in

pytestmark = pytest.mark.e2e


def check(page, name):
    """No serious accessibility problem, no sideways scroll; keep a screenshot."""
    assert serious_violations(page) == [], name
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (name, width)
    screenshot(page, name)


def figure(page, key):
    return page.locator(f'[data-figure="{key}"]')


def test_add_a_household_propose_accept_and_move_on_a_phone(page, server):
    today = datetime.now(ZoneInfo("Europe/Paris")).date().isoformat()
    sign_in(page, server, "elodie.bernard@terrain.test")
    page.get_by_role("navigation", name="Navigation principale (mobile)").get_by_role(
        "link", name="Plus").click()
    page.get_by_role("link", name="Relogement").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Relogement")
    check(page, "relogement-index-phone")

    page.get_by_role("link", name="Mistral — îlot des Peupliers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mistral — îlot des Peupliers")
    expect(figure(page, "households")).to_have_text("12")
    expect(figure(page, "rehoused")).to_have_text("3")
    expect(figure(page, "proposals")).to_have_text("11")
    check(page, "relogement-operation-phone")
    # The list filters by status.
    page.get_by_role("link", name="En attente (3)").click()
    expect(page.locator("#menages .list-item")).to_have_count(3)

    page.get_by_role("link", name="Ajouter un ménage").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ajouter un ménage")
    page.get_by_label("Prénom d'une personne du ménage").fill("Fatou")
    page.get_by_label("Nom de cette personne").fill("Sissoko")
    page.get_by_label("Immeuble").select_option(label="3 allée du Vercors, Grenoble")
    page.get_by_label("Entrée ou escalier").fill("C")
    page.get_by_label("Logement (n° ou étage)").fill("9")
    page.get_by_label("Premier contact le").fill(today)
    page.get_by_label("Typologie souhaitée").select_option("T3")
    page.get_by_label("Loyer maximum, charges comprises (€)").fill("450")
    check(page, "relogement-new-case-phone")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Ménage ajouté à l'opération.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ménage Sissoko")
    expect(page.locator("[data-case-status]")).to_have_text("Sans proposition")
    check(page, "relogement-case-new-phone")

    page.get_by_role("link", name="Faire une 1re proposition").click()
    page.get_by_label("Adresse du logement proposé").fill("18 rue des Alpes, Grenoble")
    page.get_by_label("Bailleur").fill("Isère Logis")
    page.get_by_label("Loyer, charges comprises (€)").fill("432,50")
    expect(page.get_by_label("Typologie")).to_have_value("T3")
    check(page, "relogement-proposal-phone")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Proposition enregistrée.")).to_be_visible()
    expect(page.locator("[data-case-status]")).to_have_text("Proposition en attente")

    page.get_by_role("link", name="Enregistrer la réponse à la 1re proposition").click()
    expect(page.get_by_label("Réponse du ménage")).to_have_value("acceptee")
    check(page, "relogement-answer-phone")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Réponse enregistrée.")).to_be_visible()
    expect(page.locator("[data-case-status]")).to_have_text("Proposition acceptée")

    page.get_by_role("link", name="Enregistrer le déménagement").click()
    # Rehoused without a move date: refused next to the field, what was typed kept.
    page.get_by_label("Issue", exact=True).select_option("reloge")
    page.get_by_label("Date de l'issue").fill(today)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("indiquez la date du déménagement")).to_be_visible()
    expect(page.get_by_label("Issue", exact=True)).to_have_value("reloge")
    expect(page.get_by_label("Adresse du nouveau logement")).to_have_value(
        "18 rue des Alpes, Grenoble")
    check(page, "relogement-outcome-error-phone")
    page.get_by_label("Déménagement le").fill(today)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Déménagement et issue enregistrés.")).to_be_visible()
    expect(page.locator("[data-case-status]")).to_have_text("Relogé·e")
    check(page, "relogement-case-rehoused-phone")

    page.locator(".crumbs").get_by_role("link", name="Mistral — îlot des Peupliers").click()
    expect(figure(page, "households")).to_have_text("13")
    expect(figure(page, "rehoused")).to_have_text("4")
    expect(figure(page, "proposals")).to_have_text("12")
    expect(figure(page, "accepted")).to_have_text("5")
    expect(figure(page, "remaining")).to_have_text("7")


def test_the_charge_de_mission_pages_on_a_laptop(new_page, server):
    page = new_page(LAPTOP)
    sign_in(page, server, "coordination.grenoble@terrain.test")
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Relogement").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Relogement")
    check(page, "relogement-index-laptop")
    page.get_by_role("link", name="Mistral — îlot des Peupliers").click()
    expect(page.get_by_role("heading", name="Missions des prestataires")).to_be_visible()
    expect(page.locator("#missions .tag-danger")).to_have_text("en retard")
    check(page, "relogement-operation-laptop")
    page.get_by_role("link", name="M. et Mme Bertin").click()
    expect(page.get_by_text("3e proposition — T3")).to_be_visible()
    check(page, "relogement-case-laptop")
    page.goto(page.url.split("/relogement/")[0] + "/relogement/missions/1/modifier")
    expect(page.get_by_label("Prestataire")).to_have_value("Association Habitat et Partage")
    check(page, "relogement-mission-laptop")
