"""The logbook on a phone: write an entry naming a resident, write one with no network that
arrives exactly once, filter by category, record a flat check; every page accessible."""
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.auth.models import Team
from app.extensions import db
from app.logbook.models import FlatCheck, LogEntry, LogEntryPhoto
from tests.e2e.conftest import LAPTOP, screenshot, serious_violations, sign_in, wait_until
from tests.e2e.test_offline import outbox_size, replay, wait_for_worker, wait_until_cached

pytestmark = pytest.mark.e2e

KARIM = "karim.haddad@terrain.test"
OFFLINE_TEXT = "Coupure d'électricité au module 2, écrit sans réseau dans le local technique."


def check(page, name):
    """No serious accessibility problem, no sideways scroll; keep a screenshot."""
    screenshot(page, name)
    assert serious_violations(page) == [], name
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (name, width)
    page.evaluate("document.querySelectorAll('[style=\"\"]')"
                  ".forEach(e => e.removeAttribute('style'))")


def count(server, text):
    with server.app.app_context():
        return db.session.scalar(select(func.count(LogEntry.id)).where(LogEntry.text == text))


def photos_of(server, text):
    with server.app.app_context():
        return db.session.scalar(select(func.count(LogEntryPhoto.id)).join(LogEntry).where(
            LogEntry.text == text))


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), "orange").save(out, "PNG")
    return out.getvalue()


def team_id(server, name):
    with server.app.app_context():
        return db.session.scalar(select(Team.id).where(Team.name == name))


def test_logbook_main_path_on_a_phone(page, server):
    village = team_id(server, "Village de l'insertion")
    form_path = f"/journal/{village}/nouvelle"
    sign_in(page, server, KARIM)
    wait_for_worker(page)
    wait_until_cached(page, form_path)  # "Aujourd'hui" keeps the entry form for offline use
    expect(page.get_by_role("heading", name="Journal de bord")).to_be_visible()
    check(page, "logbook-home-phone")
    page.get_by_role("navigation", name="Navigation principale (mobile)").get_by_role(
        "link", name="Plus").click()
    expect(page).to_have_url(server.url + "/plus")
    page.get_by_role("link", name="Journal de bord", exact=True).click()
    check(page, "logbook-index-phone")
    page.get_by_role("link", name="Journal de bord — Village de l'insertion").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Journal de bord")
    expect(page.get_by_text("Repas partagé préparé par Mimi")).to_be_visible()
    check(page, "logbook-team-phone")

    # 1. An entry with a category and a resident.
    page.get_by_role("link", name="Nouvelle entrée").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle entrée")
    check(page, "logbook-new-phone")
    page.get_by_label("Catégorie").select_option(label="Vie collective")
    page.get_by_label("Ce qui s'est passé").fill("Atelier peinture du banc commun avec Mimi.")
    page.get_by_label("Mimi").check()
    page.get_by_label("Partenaires présent·es ou concerné·es").fill("Service technique")
    page.get_by_role("button", name="Enregistrer l'entrée").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vie collective")
    expect(page.get_by_text("Atelier peinture du banc commun avec Mimi.")).to_be_visible()
    expect(page.get_by_role("link", name="Mimi")).to_be_visible()
    check(page, "logbook-entry-phone")

    # 2. With the network off: kept on the phone, sent once when the network comes back.
    page.context.set_offline(True)
    page.goto(server.url + "/")  # "Aujourd'hui" and the form it links to come from the phone
    page.get_by_role("link", name="Écrire une entrée : Journal de bord, Village de l'insertion"
                     ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle entrée")
    expect(page).to_have_url(server.url + form_path)
    page.get_by_label("Catégorie").select_option(label="Incident")
    page.get_by_label("Ce qui s'est passé").fill(OFFLINE_TEXT)
    page.get_by_label("Le Grand Jo").check()
    # A photo taken offline leaves with the entry, resized on the phone.
    page.get_by_label("Choisir dans la galerie").set_input_files(
        {"name": "compteur.png", "mimeType": "image/png", "buffer": png()})
    expect(page.get_by_role("img", name="Photo 1 jointe à l'entrée")).to_be_visible()
    page.get_by_role("button", name="Enregistrer l'entrée").click()
    expect(page.get_by_text("Entrée gardée sur le téléphone")).to_be_visible()
    expect(page.locator("[data-outbox-badge]")).to_have_text("1 entrée du journal en attente d'envoi")
    # The form starts afresh for another entry.
    expect(page.get_by_label("Ce qui s'est passé")).to_have_value("")
    expect(page.get_by_label("Le Grand Jo")).not_to_be_checked()
    check(page, "logbook-queued-phone")
    assert count(server, OFFLINE_TEXT) == 0

    page.context.set_offline(False)  # the page hears "online" and asks for a replay
    expect(page.locator("[data-outbox-badge]")).to_be_hidden()
    assert count(server, OFFLINE_TEXT) == 1
    assert photos_of(server, OFFLINE_TEXT) == 1
    assert outbox_size(page) == 0
    replay(page)
    assert count(server, OFFLINE_TEXT) == 1

    # 3. Filter by category.
    page.goto(server.url + f"/journal/{village}")
    page.get_by_label("Catégorie").select_option(label="Incident")
    expect(page).to_have_url(re.compile(r"categorie=incident"))
    results = page.locator("#results")
    expect(results.get_by_text(OFFLINE_TEXT[:60])).to_be_visible()
    expect(results.get_by_text("Atelier peinture du banc commun")).to_have_count(0)
    expect(results.locator(".entry .tag")).to_have_text(["Incident"] * results.locator(
        ".entry").count())
    check(page, "logbook-filtered-phone")
    # A text search is posted: the URL keeps the category, never the text typed.
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url.endswith(f"/journal/{village}")):
        page.get_by_label("Chercher dans les entrées").fill("electricite")
    expect(results.get_by_text(OFFLINE_TEXT[:60])).to_be_visible()
    expect(page).to_have_url(re.compile(r"categorie=incident"))
    assert "electricite" not in page.url
    results.get_by_role("link", name=re.compile("Coupure d'électricité")).click()
    photo = page.get_by_role("img", name=re.compile("Photo 1 de l'entrée"))
    expect(photo).to_be_visible()
    # Served through the scoped view (never a static URL), and it really loads.
    assert "/journal/photo/" in photo.get_attribute("src")
    wait_until(page, """() => { const img = document.querySelector('.photo-list img');
                                return img && img.complete && img.naturalWidth > 0; }""")
    check(page, "logbook-offline-entry-phone")

    # 4. A contrôle du savoir-habiter of the Logement d'abord flat that is overdue.
    lda = team_id(server, "Logement d'abord Toulouse")
    page.goto(server.url + f"/journal/{lda}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Journal d'expérimentation")
    page.get_by_role("link", name=re.compile("Contrôles des logements")).click()
    row = page.get_by_role("listitem").filter(has_text="16 rue du Pont-Vieux")
    expect(row.get_by_text("En retard")).to_be_visible()
    check(page, "logbook-flats-phone")
    row.get_by_role("link").click()
    expect(page.get_by_text("un contrôle est à faire")).to_be_visible()
    check(page, "logbook-flat-phone")
    page.get_by_role("link", name="Nouveau contrôle").click()
    for point in ("Entretien et propreté", "Aération et humidité",
                  "Équipements et détecteur de fumée", "Consommations (eau, énergie)",
                  "Voisinage", "Sécurité"):
        page.get_by_role("radiogroup", name=point).get_by_text("OK", exact=True).click()
    page.get_by_role("radiogroup", name="Aération et humidité").get_by_text(
        "À revoir", exact=True).click()
    page.get_by_role("radiogroup", name="Bilan").get_by_text("À suivre", exact=True).click()
    page.get_by_role("button", name="Enregistrer le contrôle").click()
    # Refused: a comment and a follow-up are needed, both said at once; the choices stay.
    expect(page.get_by_text("Dites en quelques mots ce qui est à revoir.")).to_be_visible()
    expect(page.get_by_text("Indiquez la suite à donner.")).to_be_visible()
    expect(page.get_by_role("radiogroup", name="Bilan").get_by_label("À suivre")).to_be_checked()
    check(page, "logbook-check-invalid-phone")
    page.get_by_label("Commentaire — aération et humidité").fill("Moisissure au plafond")
    page.get_by_label("Suite à donner").fill("Passage avec le pair-aidant")
    page.get_by_role("button", name="Enregistrer le contrôle").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Bilan : À suivre")
    check(page, "logbook-check-phone")
    # The author corrects the check: the form comes back filled in.
    page.get_by_role("link", name="Corriger ce contrôle").click()
    expect(page.get_by_label("Suite à donner")).to_have_value("Passage avec le pair-aidant")
    expect(page.get_by_role("radiogroup", name="Bilan").get_by_label("À suivre")).to_be_checked()
    page.get_by_label("Suite à donner").fill("Passage avec le pair-aidant jeudi")
    check(page, "logbook-check-edit-phone")
    page.get_by_role("button", name="Enregistrer les corrections").click()
    expect(page.get_by_text("Contrôle corrigé.")).to_be_visible()
    expect(page.get_by_text("Passage avec le pair-aidant jeudi")).to_be_visible()
    page.get_by_role("link", name="Contrôles du logement").click()
    expect(page.get_by_text("Prochain contrôle avant le")).to_be_visible()
    with server.app.app_context():
        assert db.session.scalar(select(func.count(FlatCheck.id))
                                 .where(FlatCheck.follow_up
                                        == "Passage avec le pair-aidant jeudi")) == 1


def test_logbook_pages_at_laptop_size(new_page, server):
    page = new_page(LAPTOP)
    sign_in(page, server, "coordination@terrain.test")
    page.get_by_role("link", name="Journal de bord").first.click()
    page.get_by_role("link", name="Journal d'expérimentation — Logement d'abord Toulouse").click()
    expect(page.get_by_text("Voisine du dessous inquiète")).to_be_visible()
    check(page, "logbook-team-laptop")
    page.get_by_role("link", name=re.compile("Contrôles des logements")).click()
    expect(page.get_by_role("heading", name="Fréquence des contrôles")).to_be_visible()
    check(page, "logbook-flats-laptop")
    page.get_by_role("link", name="16 rue du Pont-Vieux, Toulouse").click()
    page.get_by_role("link", name="Nouveau contrôle").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contrôle du savoir-habiter")
    check(page, "logbook-check-form-laptop")
    # The coordinator corrects one of her entries.
    page.goto(server.url + "/journal/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Journal de bord")
    check(page, "logbook-index-laptop")
    page.get_by_role("link", name="Journal de bord — Village de l'insertion").click()
    page.get_by_role("link", name=re.compile("Extincteur du module 3")).click()
    page.get_by_role("link", name="Modifier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Modifier l'entrée")
    check(page, "logbook-edit-laptop")
    page.get_by_label("Ce qui s'est passé").fill(
        "Extincteur du module 3 vide : remplacé mardi par le service technique.")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    expect(page.get_by_text("Entrée modifiée.")).to_be_visible()
    expect(page.get_by_text("(version 2)")).to_be_visible()
    check(page, "logbook-entry-laptop")


def test_an_entry_refused_after_its_replay_comes_back_in_the_form(page, server):
    """Written offline with a wrong date, refused when the network is back: the text is put
    back in the form on the next opening, fixed and sent; nothing is lost, nothing doubled."""
    village = team_id(server, "Village de l'insertion")
    form_path = f"/journal/{village}/nouvelle"
    text = "Réunion des habitants avancée, notée avec une date erronée."
    sign_in(page, server, KARIM)
    wait_for_worker(page)
    wait_until_cached(page, form_path)
    page.context.set_offline(True)
    page.get_by_role("link", name="Écrire une entrée : Journal de bord, Village de l'insertion"
                     ).click()
    page.get_by_label("Date et heure").fill("2031-01-15T10:00")  # the phone's clock is wrong
    page.get_by_label("Catégorie").select_option(label="Réunion des habitants")
    page.get_by_label("Ce qui s'est passé").fill(text)
    page.get_by_role("button", name="Enregistrer l'entrée").click()
    expect(page.get_by_text("Entrée gardée sur le téléphone")).to_be_visible()
    page.context.set_offline(False)
    expect(page.get_by_text("Le serveur a refusé une entrée gardée sur le téléphone")
           ).to_be_visible()
    expect(page.locator("[data-outbox-badge]")).to_be_hidden()
    page.reload()
    expect(page.get_by_label("Ce qui s'est passé")).to_have_value(text)
    expect(page.get_by_text("La date ne peut pas être dans le futur.")).to_be_visible()
    expect(page.get_by_label("Catégorie")).to_have_value("reunion")
    check(page, "logbook-refused-phone")
    page.get_by_label("Date et heure").fill("2026-01-15T10:00")
    page.get_by_role("button", name="Enregistrer l'entrée").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Réunion des habitants")
    assert count(server, text) == 1
