"""ASLL measures in a real browser on a phone: the coordinator confirms a notified measure and
assigns it, the worker records the contract date, writes the month's fiche de lien and downloads
its PDF; every page accessible."""
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from app.measures.views import month_name
from tests.e2e.conftest import LAPTOP, screenshot, serious_violations, sign_in

pytestmark = pytest.mark.e2e


def check(page, name):
    """No serious accessibility problem, no sideways scroll; keep a screenshot."""
    assert serious_violations(page) == [], name
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (name, width)
    screenshot(page, name)
    page.evaluate("document.querySelectorAll('[style=\"\"]')"
                  ".forEach(e => e.removeAttribute('style'))")


def test_confirm_assign_contract_and_fiche_de_lien_on_a_phone(page, server):
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    sign_in(page, server, "coordination@terrain.test")
    page.get_by_role("navigation", name="Navigation principale (mobile)").get_by_role(
        "link", name="Plus").click()
    page.get_by_role("link", name="Mesures ASLL").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mesures ASLL")
    check(page, "measures-index-phone")

    # The new notification for M. Dubois waits for its receipt to be confirmed.
    page.get_by_role("listitem").filter(has_text="À confirmer").get_by_role(
        "link", name="M. Dubois").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mesure ASLL — M. Dubois")
    check(page, "measures-show-to-confirm-phone")
    # Each colleague's running measures show, to spread the load.
    page.get_by_label("Attribuée à").select_option(label="Sophie Martin (2 mesures en cours)")
    page.get_by_role("button", name="Confirmer et attribuer").click()
    expect(page.get_by_text("Mesure attribuée à Sophie Martin.")).to_be_visible()

    page.goto(server.url + "/plus")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(server.url + "/connexion")

    # The worker records the contract, then writes this month's fiche de lien.
    sign_in(page, server, "travailleur@terrain.test")
    page.goto(server.url + "/mesures/")
    page.get_by_role("listitem").filter(has_text="Phase 1").filter(
        has_text="FSL31-2026-0233").get_by_role("link", name="M. Dubois").click()
    page.get_by_label("Contrat signé le").fill(today.isoformat())
    page.get_by_role("button", name="Enregistrer le contrat").click()
    expect(page.get_by_text("Contrat enregistré : la phase 2 commence.")).to_be_visible()
    expect(page.locator(".lead .tag")).to_have_text("Phase 2 — accompagnement")
    check(page, "measures-show-phase2-phone")

    page.get_by_role("link", name=f"Fiche de lien de {month_name(today)}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Fiche de lien de {month_name(today)}")
    page.get_by_label("Le mois en quelques lignes").fill(
        "Premier rendez-vous : dossier MDPH commencé.")
    page.get_by_label("Prochaines étapes").fill("Déposer le dossier MDPH")
    page.get_by_role("button", name="Enregistrer la fiche").click()
    expect(page.get_by_text("Fiche de lien enregistrée.")).to_be_visible()
    check(page, "measures-sheet-phone")

    link = page.get_by_role("link", name="Télécharger le PDF")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith(f"fiche-de-lien-{today:%Y-%m}")
    with open(download.path(), "rb") as fh:
        text = " ".join(" ".join(p.extract_text()
                                 for p in PdfReader(io.BytesIO(fh.read())).pages).split())
    assert "M. Dubois" in text and "FSL31-2026-0233" in text
    assert "Premier rendez-vous : dossier MDPH commencé." in text
    assert "Déposer le dossier MDPH" in text


def test_measures_on_a_laptop(new_page, server):
    page = new_page(LAPTOP)
    sign_in(page, server, "coordination@terrain.test")
    page.get_by_role("link", name="Mesures ASLL").first.click()
    expect(page.get_by_role("heading", name="Répartition par intervenant·e")).to_be_visible()
    check(page, "measures-index-laptop")
    # Every worker of the team is in the load table; a name opens that worker's measures.
    table = page.locator("#load-title + table")
    table.get_by_role("link", name="Sophie Martin", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mesures de Sophie Martin")
    expect(page.get_by_role("link", name="Famille Lambert")).to_be_visible()
    page.go_back()
    # Back is fetched again (no history cache): wait for it before clicking, or the restore
    # lands after the click and undoes it.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mesures ASLL")
    expect(page.get_by_role("heading", name="Répartition par intervenant·e")).to_be_visible()
    table.get_by_role("link", name="mesures en cours : Sophie Martin").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Mesures de Sophie Martin en cours")
    page.goto(server.url + "/mesures/")
    page.get_by_role("link", name="Famille Lambert").click()
    check(page, "measures-show-laptop")
    page.goto(server.url + "/mesures/")
    page.get_by_role("link", name="Métropole (FSL)").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lot Métropole (FSL)")
    check(page, "measures-batch-laptop")
    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger le PDF").click()
    assert info.value.suggested_filename.startswith("lot-asll-metropole-")
    with open(info.value.path(), "rb") as fh:
        assert "Métropole (FSL)" in PdfReader(io.BytesIO(fh.read())).pages[0].extract_text()

    # The coordinator corrects a typing mistake in a notification.
    page.goto(server.url + "/mesures/")
    page.get_by_role("link", name="Famille Lambert").click()
    page.get_by_role("link", name="Corriger la mesure").click()
    check(page, "measures-edit-laptop")
    page.get_by_label("Prescripteur", exact=True).fill("MDS Toulouse Bonnefoy")
    page.get_by_role("button", name="Enregistrer les corrections").click()
    expect(page.get_by_text("Mesure corrigée.")).to_be_visible()
    expect(page.get_by_text("MDS Toulouse Bonnefoy")).to_be_visible()
