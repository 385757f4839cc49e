"""Case files in a real browser, on a phone: create, complete, find."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LAPTOP, screenshot, serious_violations, sign_in

pytestmark = pytest.mark.e2e


def tab(page, name):
    """A section tab of the case file."""
    return page.get_by_role("navigation", name="Sections du dossier").get_by_role("link",
                                                                                  name=name)


def test_case_file_on_a_phone(page, server):
    sign_in(page, server, "travailleur@terrain.test")
    page.get_by_role("navigation", name="Navigation principale (mobile)").get_by_role(
        "link", name="Ménages").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ménages")
    assert serious_violations(page) == []
    page.get_by_role("link", name="Nouveau ménage").click()
    # htmx focuses the autofocus field just after the swap: wait for it before typing, or the
    # first keystrokes can land in that field.
    expect(page.get_by_label("Prénom", exact=True)).to_be_focused()

    # A first try without any name: French message, typed values kept.
    page.get_by_label("Commune").fill("Tournefeuille")
    page.get_by_role("button", name="Créer le ménage").click()
    expect(page.get_by_text("Indiquez au moins un prénom, un nom ou un alias.")).to_be_visible()
    expect(page.get_by_label("Commune")).to_have_value("Tournefeuille")
    assert serious_violations(page) == []
    screenshot(page, "household-create-error-phone")

    page.get_by_label("Prénom", exact=True).fill("Zoé")
    page.get_by_label("Alias ou nom d'usage").fill("Maëlys")
    page.get_by_label("Année de naissance").fill("1994")
    page.get_by_label("Langues parlées").fill("français, créole")
    page.get_by_label("Nom du ménage").fill("Famille Maëlys")
    page.get_by_label("Ressources mensuelles (€)").fill("912,40")
    page.get_by_role("button", name="Créer le ménage").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Famille Maëlys")
    expect(page.get_by_text("912,40")).to_be_visible()
    assert serious_violations(page) == []

    # A second person.
    page.get_by_role("link", name="Ajouter").first.click()
    page.get_by_label("Prénom", exact=True).fill("Noé")
    page.get_by_label("Année de naissance").fill("2018")
    page.get_by_label("Place dans le ménage").select_option(label="Enfant")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Personne ajoutée.")).to_be_visible()
    people = page.get_by_role("region", name="Personnes")
    expect(people.get_by_text("Maëlys (Zoé)")).to_be_visible()
    expect(people.get_by_text("Noé")).to_be_visible()
    screenshot(page, "household-summary-phone")

    # A goal of the projet personnalisé.
    tab(page, "Projet").click()
    page.get_by_role("region", name="Objectifs").get_by_role("link", name="Ajouter").click()
    page.get_by_label("Objectif", exact=True).fill("Ouvrir les droits APL")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("link", name="Ouvrir les droits APL", exact=True)).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "household-project-phone")

    # A right.
    tab(page, "Droits").click()
    page.get_by_role("region", name="Droits et démarches").get_by_role("link",
                                                                        name="Ajouter").click()
    page.get_by_label("Droit", exact=True).select_option(label="APL")
    page.get_by_label("Statut").select_option(label="Déposé")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Indiquez la date de dépôt de la demande.")).to_be_visible()
    page.get_by_label("Déposé le").fill("2026-11-16")
    page.get_by_label("Prochaine étape", exact=True).fill("Relancer la CAF")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("déposé le 16/11/2026")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "household-rights-phone")

    # A note.
    tab(page, "Notes").click()
    page.get_by_role("link", name="Écrire une note").click()
    page.get_by_label("Titre").fill("Première visite")
    page.get_by_label("Note", exact=True).fill("Accueil chaleureux.\nLe logement est humide.")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", name="Première visite")).to_be_visible()
    assert serious_violations(page) == []

    tab(page, "Chronologie").click()
    expect(page.get_by_text("APL : demande déposée")).to_be_visible()
    expect(page.get_by_text("Note sociale : Première visite")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "household-timeline-phone")

    # Find it again by typing part of the alias without its accent: results come as one types.
    page.get_by_role("link", name="Ménages").first.click()
    page.get_by_label("Chercher un nom ou un alias").press_sequentially("maely", delay=40)
    results = page.locator("#results")
    expect(results.get_by_role("link", name="Famille Maëlys")).to_be_visible()
    expect(results.get_by_text("Famille Benkirane")).to_have_count(0)
    # The name typed is posted, never put in the URL or the history.
    expect(page).to_have_url(server.url + "/menages/")
    screenshot(page, "household-search-phone")


def test_conflict_shown_side_by_side(new_page, server):
    first, second = new_page(), new_page()
    for p in (first, second):
        sign_in(p, server, "travailleur@terrain.test")
        p.goto(server.url + "/menages/")
        p.get_by_role("link", name="Famille Benkirane").click()
        p.get_by_role("region", name="Situation").get_by_role("link", name="Modifier").click()
        # Both forms open (with the version they saw) before the first one saves.
        expect(p.get_by_label("Commune")).to_be_visible()
    first.get_by_label("Commune").fill("Muret")
    first.get_by_role("button", name="Enregistrer").click()
    expect(first.get_by_text("Ménage enregistré.")).to_be_visible()
    second.get_by_label("Commune").fill("Albi")
    second.get_by_role("button", name="Enregistrer").click()
    alert = second.get_by_role("alert")
    expect(alert).to_contain_text("Rien n'a été écrasé")
    expect(alert).to_contain_text("Muret")
    expect(alert).to_contain_text("Albi")
    expect(second.get_by_label("Commune")).to_have_value("Albi")
    assert serious_violations(second) == []
    screenshot(second, "household-conflict-phone")


def test_coordinator_caseload_on_laptop(new_page, server):
    page = new_page(LAPTOP)
    sign_in(page, server, "coordination@terrain.test")
    page.get_by_role("link", name="Répartir les ménages").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Répartition des ménages")
    page.get_by_label("Référent·e de Mme Koné").select_option(label="Sophie Martin")
    page.get_by_role("button", name="Attribuer Mme Koné").click()
    expect(page.get_by_text("Référent·e de Mme Koné : Sophie Martin.")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "caseload-laptop")
