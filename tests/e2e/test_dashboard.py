"""The coordinator dashboard in a browser: laptop and phone, figures leading to their lists,
charts with their tables, the commission view; axe-core clean, screenshots to look at."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LAPTOP, PHONE, screenshot, serious_violations, sign_in

pytestmark = pytest.mark.e2e


def _no_overflow(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_dashboard_on_a_laptop_then_a_phone(new_page, server):
    page = new_page(LAPTOP)
    sign_in(page, server, "coordination@terrain.test")
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Tableau de bord").click()
    expect(page.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()
    teams = page.locator("#t-equipes")
    expect(teams.get_by_role("rowheader", name="Total")).to_be_visible()
    expect(page.locator("#t-fins_contrat")).to_contain_text("Famille Benkirane")
    assert serious_violations(page) == []
    screenshot(page, "dashboard-laptop")

    # A figure leads to the list behind it: the visits planned this week.
    planned = page.locator("#t-visites_semaine").get_by_role("row", name=re.compile("Prévues"))
    count = planned.get_by_role("link").inner_text()
    planned.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Visites")
    expect(page.locator("main table tbody tr")).to_have_count(int(count))
    assert serious_violations(page) == []
    page.go_back()
    expect(page.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()

    # The arrears owed today (the demo has a household behind on rent), and the contracts.
    owed = page.locator("#t-impayes").get_by_role("row", name=re.compile("Contrats en impayé"))
    n = owed.get_by_role("link").inner_text()
    assert int(n) >= 1
    expect(page.locator("#t-impayes")).to_contain_text("€")
    owed.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Contrats en impayé")
    expect(page.locator("main table tbody tr")).to_have_count(int(n) + 1)  # and the total
    assert serious_violations(page) == []
    page.go_back()
    expect(page.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()

    # One team only.
    page.get_by_label("Équipe", exact=True).select_option(label="IML Toulouse")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_text("IML Toulouse — au")).to_be_visible()
    expect(page.locator("#t-equipes")).to_have_count(0)
    # The team's flats of a status: the housing list of that team, as many as the figure.
    figure = page.locator("#t-logements tbody a").first
    shown = figure.inner_text()
    figure.click()
    expect(page.get_by_role("heading", name="Logements", level=1)).to_contain_text(shown)
    expect(page.get_by_text("Équipe : IML Toulouse")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()

    # Indicators of last year and this year: charts with their tables.
    page.get_by_role("link", name="Indicateurs", exact=True).click()
    expect(page.get_by_role("heading", name="Indicateurs", level=1)).to_be_visible()
    page.get_by_label("Équipe", exact=True).select_option(label="Toutes mes équipes")
    page.get_by_label("Du", exact=True).fill("2025-11-01")
    page.get_by_label("Au", exact=True).fill(page.evaluate("() => new Date().toISOString().slice(0, 10)"))
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_text("Toutes mes équipes (4) — du 1er novembre 2025")).to_be_visible()
    chart = page.locator("#t-destinations svg[role=img]")
    expect(chart).to_be_visible()
    expect(chart.locator("title")).to_have_text("Sorties par destination")
    page.locator("#t-destinations summary").click()
    expect(page.locator("#t-destinations table")).to_contain_text("Logement autonome")
    # The households behind an exit figure.
    page.locator("#t-destinations").get_by_role("row", name=re.compile("Logement autonome")) \
        .get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sorties")
    expect(page.locator("main table")).to_contain_text("Famille Nguyen")
    page.go_back()
    expect(page.get_by_text("Toutes mes équipes (4) — du 1er novembre 2025")).to_be_visible()
    expect(page.locator("#t-activite svg")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "dashboard-indicators-laptop")
    with page.expect_download(timeout=60_000) as download:  # WeasyPrint on a busy machine
        page.get_by_role("link", name="Synthèse d'activité de la période (PDF)").click()
    assert download.value.suggested_filename.startswith("synthese-activite-")

    phone = new_page(PHONE)
    sign_in(phone, server, "coordination@terrain.test")
    phone.goto(server.url + "/plus")
    phone.get_by_role("link", name="Tableau de bord").click()
    expect(phone.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()
    assert _no_overflow(phone)
    assert serious_violations(phone) == []
    screenshot(phone, "dashboard-phone")
    phone.get_by_role("link", name="Indicateurs", exact=True).click()
    expect(phone.locator("#t-activite svg")).to_be_visible()
    assert _no_overflow(phone)
    assert serious_violations(phone) == []
    screenshot(phone, "dashboard-indicators-phone")


def test_admission_commission_view(new_page, server):
    page = new_page(PHONE)
    sign_in(page, server, "coordination.grenoble@terrain.test")
    page.goto(server.url + "/tableau-de-bord/commission")
    expect(page.get_by_role("heading", name="Commission d'admission")).to_be_visible()
    places = page.locator("#t-places")
    expect(places).to_contain_text("Les Glycines")
    expect(page.locator("#t-candidats")).to_be_visible()
    assert _no_overflow(page)
    assert serious_violations(page) == []
    screenshot(page, "dashboard-commission-phone")
    page.get_by_role("link", name="Vue d'ensemble").click()
    expect(page.locator("#t-permanences")).to_contain_text("Manquent")
    assert serious_violations(page) == []
