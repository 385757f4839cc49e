"""Privacy in a real browser: a signed-out phone and a revoked phone keep no case data (caches
and IndexedDB inspected); export and erasure of a case file on a phone; the access journal,
archives and retention pages."""
import json
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.households.models import Household
from tests.e2e.conftest import LAPTOP, screenshot, serious_violations, sign_in, wait_until
from tests.e2e.test_offline import (replay, reports_for, todays_visit, wait_for_worker,
                                    wait_until_cached)

pytestmark = pytest.mark.e2e

WORKER = "travailleur@terrain.test"
COORDINATOR = "coordination@terrain.test"
ADMIN = "admin@terrain.test"

#: Everything of a person a phone could keep: pages, drafts, refused and queued reports,
#: localStorage.
LEFTOVERS = """async () => {
    const names = (await caches.keys()).filter(n => !n.includes('precache'));
    let pages = 0;
    for (const name of names) pages += (await (await caches.open(name)).keys()).length;
    const drafts = (await TerrainDB.entries('drafts', '')).length;
    const rejected = (await TerrainDB.entries('rejected', '')).length;
    const queued = await new Promise((resolve) => {
        const req = indexedDB.open('workbox-background-sync');
        req.onsuccess = () => {
            const db = req.result;
            if (!db.objectStoreNames.contains('requests')) { db.close(); return resolve(0); }
            const count = db.transaction('requests').objectStore('requests').count();
            count.onsuccess = () => { db.close(); resolve(count.result); };
        };
        req.onerror = () => resolve(-1);
    });
    return {pages, drafts, rejected, queued, storage: localStorage.length};
}"""
EMPTY = {"pages": 0, "drafts": 0, "rejected": 0, "queued": 0, "storage": 0}


def _household_id(server, name):
    with server.app.app_context():
        return db.session.scalar(select(Household.id).where(Household.name == name))


def _keep_case_data(page, server, visit_id):
    """Signed in as the worker: pages kept for offline reading, a draft, localStorage."""
    sign_in(page, server, WORKER)
    wait_for_worker(page)
    wait_until_cached(page, f"/visites/{visit_id}/compte-rendu")
    page.goto(server.url + f"/visites/{visit_id}/compte-rendu")
    page.get_by_label("Observations").fill("Mme Benkirane : brouillon sensible")
    expect(page.get_by_text("Brouillon gardé sur le téléphone")).to_be_visible()
    page.evaluate("() => localStorage.setItem('terrain-test', 'Benkirane')")
    kept = page.evaluate(LEFTOVERS)
    assert kept["pages"] > 0 and kept["drafts"] == 1 and kept["storage"] == 1


def test_signed_out_phone_keeps_no_case_data(page, server):
    visit_id, _ = todays_visit(server)
    before = reports_for(server, visit_id)
    _keep_case_data(page, server, visit_id)
    # A report written with no network waits in the outbox...
    page.context.set_offline(True)
    page.get_by_role("button", name="Enregistrer le compte rendu").click()
    expect(page.get_by_text("Enregistré sur le téléphone, envoi dès que le réseau revient.")
           ).to_be_visible()
    # ...and still waits once online: the test server fails every report it is sent.
    server.app.config.update(TERRAIN_TEST_SWITCHES=True, TEST_FAIL_EVERY_NTH_REPORT=1,
                             TEST_FAIL_AFTER_SAVE=False)  # refused before anything is saved
    try:
        page.context.set_offline(False)
        assert replay(page) == 1  # tried, refused by the server: still waiting
        page.goto(server.url + "/plus")
        expect(page.locator("[data-outbox-badge]")).to_have_text(
            "1 compte rendu en attente d'envoi")
        # The page retries every few seconds meanwhile; signing out asks first, then drops it.
        asked = []
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
        page.get_by_role("button", name="Se déconnecter").click()
        expect(page).to_have_url(re.compile("/connexion"))
        # The URL changes before the sign-in page's scripts have run.
        wait_until(page, "() => typeof TerrainDB !== 'undefined'")
        assert page.evaluate(LEFTOVERS) == EMPTY  # pages, drafts, the queued report: gone
        assert asked and "pas encore envoyé" in asked[0]
    finally:
        server.app.config.update(TERRAIN_TEST_SWITCHES=False, TEST_FAIL_EVERY_NTH_REPORT=None)
    assert reports_for(server, visit_id) == before  # dropped, never sent


def test_revoked_phone_wipes_pages_drafts_and_queued_reports(new_page, server):
    phone = new_page()
    visit_id, worker_id = todays_visit(server)
    _keep_case_data(phone, server, visit_id)
    # A report written with no network waits in the outbox.
    phone.context.set_offline(True)
    phone.get_by_role("button", name="Enregistrer le compte rendu").click()
    expect(phone.get_by_text("Enregistré sur le téléphone, envoi dès que le réseau revient.")
           ).to_be_visible()
    assert phone.evaluate(LEFTOVERS)["queued"] == 1

    # The phone is lost: an admin disconnects it from the laptop.
    laptop = new_page(LAPTOP)
    sign_in(laptop, server, ADMIN)
    laptop.goto(server.url + f"/admin/personnes/{worker_id}")
    devices = laptop.get_by_role("region", name=re.compile("Appareils connectés"))
    expect(devices.get_by_role("button", name="Déconnecter cet appareil")).to_have_count(1)
    assert serious_violations(laptop) == []
    screenshot(laptop, "privacy-devices-laptop")
    devices.get_by_role("button", name="Déconnecter cet appareil").click()
    expect(laptop.locator(".flashes")).to_contain_text("Appareil déconnecté")

    # Back online, the phone's next request is told to forget everything.
    phone.context.set_offline(False)
    phone.goto(server.url + "/")
    expect(phone).to_have_url(re.compile("/connexion"))
    wait_until(phone, "() => typeof TerrainDB !== 'undefined'")
    wait_until(phone, f"async () => {{ const f = {LEFTOVERS}; const r = await f();"
                      " return r.pages === 0 && r.drafts === 0 && r.queued === 0"
                      " && r.storage === 0; }", timeout_ms=20_000)
    assert phone.evaluate(LEFTOVERS) == EMPTY
    assert reports_for(server, visit_id) == 0  # never sent from a revoked device
    assert serious_violations(phone) == []
    screenshot(phone, "privacy-revoked-phone")


def test_export_and_erasure_of_a_closed_file_on_a_phone(page, server):
    household_id = _household_id(server, "Mme Vasseur")
    sign_in(page, server, COORDINATOR)
    page.goto(server.url + f"/menages/{household_id}")
    page.get_by_role("link", name=re.compile("Données personnelles")).click()
    expect(page.get_by_role("heading", name="Données personnelles", exact=True)).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "privacy-household-phone")

    page.get_by_role("button", name="Télécharger l'export").click()
    expect(page.get_by_text("Cochez la case pour confirmer.")).to_be_visible()
    page.get_by_label(re.compile("Je confirme que cette demande")).check()
    with page.expect_download() as info:
        page.get_by_role("button", name="Télécharger l'export").click()
    assert info.value.suggested_filename.endswith(".pdf")
    with open(info.value.path(), "rb") as f:
        assert f.read(4) == b"%PDF"
    page.get_by_label(re.compile("JSON complet")).check()
    with page.expect_download() as info:
        page.get_by_role("button", name="Télécharger l'export").click()
    with open(info.value.path(), encoding="utf-8") as f:
        data = json.load(f)
    assert {p["first_name"] for p in data["tables"]["person"]} == {"Laure", "Théo"}

    page.get_by_role("link", name="Anonymiser ce dossier…").click()
    expect(page.get_by_role("heading", name="Anonymiser le dossier")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "privacy-erase-phone")
    page.get_by_label("Motif").select_option("demande_personne")
    page.get_by_label(re.compile("Précisions")).fill("Demande écrite reçue le 2 novembre.")
    page.get_by_role("button", name="Anonymiser définitivement").click()
    expect(page.get_by_text("Cochez la case pour confirmer.")).to_be_visible()
    expect(page.get_by_label(re.compile("Précisions"))).to_have_value(
        "Demande écrite reçue le 2 novembre.")
    page.get_by_label(re.compile("Je confirme : les noms")).check()
    page.get_by_role("button", name="Anonymiser définitivement").click()
    expect(page.get_by_role("heading", name="Dossier anonymisé")).to_be_visible()
    expect(page.get_by_text("Demande d'effacement de la personne")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "privacy-erased-phone")
    page.goto(server.url + "/menages/")
    page.get_by_label("Chercher un nom ou un alias").press_sequentially("Vasseur", delay=40)
    expect(page.locator("#results-count")).to_contain_text("pour « Vasseur »")
    expect(page.get_by_role("link", name=re.compile("Vasseur"))).to_have_count(0)
    expect(page).to_have_url(server.url + "/menages/")  # the name stays out of the URL
    with server.app.app_context():
        assert db.session.get(Household, household_id).name.startswith("Ménage anonymisé")


def test_journal_archives_and_retention_pages(new_page, server):
    phone = new_page()
    household_id = _household_id(server, "Famille Benkirane")
    sign_in(phone, server, COORDINATOR)
    phone.goto(server.url + f"/menages/{household_id}")
    phone.get_by_role("link", name="Journal des accès au dossier").click()
    expect(phone.get_by_role("heading", name="Journal des accès")).to_be_visible()
    with server.app.app_context():
        me = db.session.scalar(select(User).where(User.email == COORDINATOR))
        my_name = me.display_name
    phone.get_by_label("Personne").select_option(label=my_name)
    phone.get_by_role("button", name="Filtrer").click()
    expect(phone).to_have_url(re.compile("personne="))
    expect(phone.locator("#journal-results tbody tr").first).to_contain_text(my_name)
    assert serious_violations(phone) == []
    screenshot(phone, "privacy-journal-phone")

    phone.goto(server.url + "/plus")
    phone.get_by_role("link", name="Dossiers archivés").click()
    phone.get_by_role("link", name=re.compile("M. Perrin")).click()
    expect(phone.get_by_text(re.compile("consultation tracée"))).to_be_visible()
    expect(phone.get_by_text("Hervé").first).to_be_visible()
    assert serious_violations(phone) == []
    screenshot(phone, "privacy-archive-phone")

    laptop = new_page(LAPTOP)
    sign_in(laptop, server, ADMIN)
    laptop.goto(server.url + "/confidentialite/conservation")
    expect(laptop.get_by_role("heading", name="Durées de conservation par dispositif")
           ).to_be_visible()
    laptop.get_by_role("button", name="Simuler (rien n'est modifié)").click()
    expect(laptop.get_by_text(re.compile("seraient archivé"))).to_be_visible()
    assert serious_violations(laptop) == []
    screenshot(laptop, "privacy-retention-laptop")
