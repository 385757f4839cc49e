"""Dashboard pages: access and scoping, what the screen shows, exports read back with their
readers (csv, openpyxl, pypdf) and compared with the screen, the audit trail."""
from __future__ import annotations

import csv
import html
import io
import re
from datetime import date

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from tests import factories as f
from tests.unit.test_dashboard import TODAY, world  # noqa: F401  (the known fixture)

PERIOD = "debut=2026-01-01&fin=2026-06-30"


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The pages' "today" is 15 July 2026, on the dashboard and on the lists it links to."""
    for module in ("app.dashboard.views", "app.housing.views", "app.alerts.views"):
        monkeypatch.setattr(f"{module}.today_paris", lambda: TODAY)


def _norm(text: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    for junk in ("\u202f", "\xa0", "€", "%"):
        text = text.replace(junk, " ")
    text = re.sub(r"(?<=\d) (?=\d)", "", text)  # thousands separators
    return re.sub(r"\s+", " ", text).strip()


def screen_table(page: str, key: str) -> list[list[str]]:
    """The cells of the table `key` as shown on the page (header row first)."""
    section = re.search(rf'<section[^>]*id="t-{key}".*?</section>', page, re.S).group(0)
    table = re.search(r"<table.*?</table>", section, re.S).group(0)
    rows = []
    for tr in re.findall(r"<tr.*?</tr>", table, re.S):
        rows.append([_norm(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)])
    return rows


FR_MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre"]


def csv_norm(value: str) -> str:
    """A CSV cell as the screen writes it: dates in words, empty as a dash."""
    m = re.fullmatch(r"(\d\d)/(\d\d)/(\d{4})", value)
    if m:
        day, month, year = (int(x) for x in m.groups())
        value = f"{'1er' if day == 1 else day} {FR_MONTHS[month - 1]} {year}"
    return _norm(value) if value else "—"


def screen_norm(rows: list[list[str]]) -> list[list[str]]:
    """Empty cells shown as a dash or as nothing compare alike."""
    return [[c or "—" for c in row] for row in rows]


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def link(page: str, key: str, row: str, column: int = 1) -> str:
    """The href of a figure: table `key`, the row whose first cell is `row`."""
    section = re.search(rf'<section[^>]*id="t-{key}".*?</section>', page, re.S).group(0)
    for tr in re.findall(r"<tr.*?</tr>", section, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)
        if _norm(cells[0]) == row:
            return html.unescape(re.search(r'href="([^"]+)"', cells[column]).group(1))
    raise AssertionError(f"no row {row!r} in {key}")


def count(page: str) -> int:
    """The count next to a list page's title."""
    return int(re.search(r'<h1>[^<]*<span class="count">(\d+)</span>', page).group(1))


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_coordinators_only(client, auth, world):
    auth.login(world["worker"].email)
    assert client.get("/tableau-de-bord/").status_code == 403
    assert client.get("/tableau-de-bord/indicateurs").status_code == 403
    volunteer = f.user((world["p"], "volunteer"))
    auth.logout()
    auth.login(volunteer.email)
    assert client.get("/tableau-de-bord/export/indicateurs/suivis.csv").status_code == 403


def test_another_teams_figures_are_a_404_and_audited(client, auth, world):
    auth.login(world["lead"].email)
    r = client.get(f"/tableau-de-bord/?equipe={world['c'].id}")
    assert r.status_code == 404
    denied = events("access.denied")
    assert denied and denied[-1].object_type == "team" and denied[-1].object_id == world["c"].id
    assert client.get(f"/tableau-de-bord/export/indicateurs/suivis.csv?equipe={world['c'].id}"
                      ).status_code == 404


def test_dashboard_shows_each_team_and_the_total(client, auth, world):
    auth.login(world["lead"].email)
    r = client.get("/tableau-de-bord/")
    assert r.status_code == 200
    rows = screen_table(r.get_data(as_text=True), "equipes")
    names = [row[0] for row in rows[1:]]
    assert names == ["ASLL B", "IML A", "Permanence P", "Total"]
    assert "LDA C" not in r.page
    alerts = screen_table(r.get_data(as_text=True), "alertes")
    assert alerts[1:] == [["Urgent", "2"], ["Bientôt", "0"], ["À venir", "1"], ["Total", "3"]]
    assert events("dashboard.view")


def test_the_other_coordinator_sees_only_their_team(client, auth, world):
    auth.login(world["other"].email)
    r = client.get(f"/tableau-de-bord/indicateurs?{PERIOD}")
    rows = screen_table(r.get_data(as_text=True), "suivis")
    # Team C: H6 only (2 people), one exit to a shelter.
    assert rows[-1][:5] == ["Total", "1", "2", "1", "1"]
    assert "t-equipes" not in r.get_data(as_text=True)  # one team: no per-team table


def test_figures_link_to_the_list_behind_them(client, auth, world):
    auth.login(world["lead"].email)
    page = client.get(f"/tableau-de-bord/indicateurs?{PERIOD}").get_data(as_text=True)
    section = re.search(r'<section[^>]*id="t-suivis".*?</section>', page, re.S).group(0)
    links = [html.unescape(h) for h in re.findall(r'href="(/tableau-de-bord/liste/[^"]+)"',
                                                  section)]
    entries = next(u for u in links if "/liste/entrees" in u and "programme=iml" in u)
    r = client.get(entries)
    assert r.status_code == 200
    assert "H2" in r.page and "H7" in r.page and "H1" not in r.page
    # Visits without a report, from the "Visites par lieu" table.
    r = client.get(f"/tableau-de-bord/liste/visites?etat=sans_compte_rendu&{PERIOD}")
    assert r.status_code == 200 and r.page.count("Compte rendu manquant") == 1
    assert events("dashboard.list")


#: Every table of each page, in the order shown (checked against the page below).
PAGE_TABLES = {
    "tableau": ["equipes", "alertes", "visites_semaine", "charge", "logements", "impayes",
                "fins_contrat", "mesures_phase", "admissions", "permanences"],
    "indicateurs": ["suivis", "activite", "destinations", "orientations", "visites", "droits",
                    "mesures", "vacance", "occupation", "sorties_logement", "impayes",
                    "permanence", "relogement"],
    "commission": ["candidats", "decisions", "places"],
}
PAGE_PATHS = {"tableau": "/tableau-de-bord/", "indicateurs": "/tableau-de-bord/indicateurs",
              "commission": "/tableau-de-bord/commission"}


@pytest.fixture
def full(world):
    """The known fixture with something in every table: a contract ending within 60 days,
    a permanence session next week, a relogement team, a commission decision."""
    from app.housing.models import AdmissionDecision

    a = world["a"]
    f.contract(f.flat(a), f.household(a, name="H9"), start_on=date(2026, 3, 1))
    f.dropin_session(world["p"], date(2026, 7, 20))
    r_team = f.team("relogement", name="Relogement R")
    _coordinate(world["lead"], r_team)
    op = f.operation(r_team)
    f.rehousing_case(op, f.building(op), outcome="reloge", outcome_on=date(2026, 3, 10))
    candidate = f.application(a, name="Mme Candidate")
    db.session.add(AdmissionDecision(application_id=candidate.id, commission_on=date(2026, 3, 3),
                                     members="CCAS", decision="attente",
                                     reason="Pas de place adaptée"))
    db.session.commit()
    return {**world, "relogement": r_team}


def _page(client, page: str) -> str:
    """A page as a person sees it once shown: the dashboard's deferred arrears card filled in
    the way htmx fills it (its fragment in place of the placeholder)."""
    query = "" if page == "tableau" else f"?{PERIOD}"
    body = client.get(PAGE_PATHS[page] + query).get_data(as_text=True)
    return _fill_deferred(client, body)


def _fill_deferred(client, body: str) -> str:
    """Swap each deferred card (hx-trigger="load") for the fragment its hx-get answers."""
    for match in re.finditer(r'<section[^>]*hx-get="([^"]+)"[^>]*>.*?</section>', body, re.S):
        fragment = client.get(html.unescape(match.group(1)), headers={"HX-Request": "true"})
        assert fragment.status_code == 200
        body = body.replace(match.group(0), fragment.get_data(as_text=True))
    return body


@pytest.mark.parametrize("page", PAGE_TABLES)
def test_every_table_is_listed_here(client, auth, full, page):
    auth.login(full["lead"].email)
    shown = re.findall(r'<section[^>]*id="t-([a-z_]+)"', _page(client, page))
    assert shown == PAGE_TABLES[page]


@pytest.mark.parametrize("page,key", [(p, k) for p, keys in PAGE_TABLES.items() for k in keys])
def test_csv_export_matches_the_screen(client, auth, full, page, key):
    auth.login(full["lead"].email)
    screen = screen_table(_page(client, page), key)
    assert len(screen) > 1, "an empty table proves nothing"
    r = client.get(f"/tableau-de-bord/export/{page}/{key}.csv"
                   + ("" if page == "tableau" else f"?{PERIOD}"))
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/csv")
    assert r.data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, for Excel
    rows = csv_rows(r.data)
    assert [[csv_norm(c) for c in row] for row in rows] == screen_norm(screen)
    detail = events("dashboard.export")[-1].detail
    assert {"page": page, "table": key, "format": "csv"}.items() <= detail.items()


def _as_csv(cell) -> str:
    """A spreadsheet cell written the way the CSV export writes it."""
    from datetime import datetime

    v = cell.value
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.strftime("%d/%m/%Y")
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if "€" in cell.number_format:
        return f"{v:.2f}".replace(".", ",")
    if isinstance(v, float):
        return f"{v:f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(v)


@pytest.mark.parametrize("page", PAGE_TABLES)
def test_xlsx_sheets_equal_the_csv_exports(client, auth, full, page):
    from openpyxl import load_workbook

    auth.login(full["lead"].email)
    query = "" if page == "tableau" else f"?{PERIOD}"
    screen = _page(client, page)
    r = client.get(f"/tableau-de-bord/export/{page}/tout.xlsx{query}")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.data))
    assert len(wb.worksheets) == len(PAGE_TABLES[page])
    for key, ws in zip(PAGE_TABLES[page], wb.worksheets):
        title = _norm(re.search(rf'<h2 id="h-{key}">(.*?)(<a|<span|</h2>)', screen,
                                re.S).group(1))
        assert ws["A1"].value == title, key
        assert ws["A2"].value.startswith("Toutes mes équipes (4) — "), key
        expected = csv_rows(client.get(f"/tableau-de-bord/export/{page}/{key}.csv{query}").data)
        width = len(expected[0])
        sheet = [[_as_csv(c) for c in row[:width]] for row in ws.iter_rows(min_row=3)]
        assert sheet[:len(expected)] == expected, key
        # After the rows: nothing, or a blank line and the table's note (as on screen).
        rest = [[v for v in row if v] for row in sheet[len(expected):]]
        if rest:
            section = re.search(rf'<section[^>]*id="t-{key}".*?</section>', screen,
                                re.S).group(0)
            note = re.search(r'<p class="muted small">(.*?)</p>', section, re.S).group(1)
            assert rest == [[], [html.unescape(note)]], key
    # Exporting the workbook is audited: who, which page, which teams.
    exported = [e for e in events("dashboard.export") if e.detail["table"] == "tout"]
    assert len(exported) == 1
    assert exported[0].actor_id == full["lead"].id
    assert {"page": page, "table": "tout", "format": "xlsx"}.items() <= exported[0].detail.items()
    teams = {full["a"].id, full["b"].id, full["p"].id, full["relogement"].id}
    assert exported[0].detail["teams"] == sorted(teams)


def test_export_refusals(client, auth, world):
    auth.login(world["lead"].email)
    assert client.get("/tableau-de-bord/export/tableau/inconnu.csv").status_code == 404
    assert client.get("/tableau-de-bord/export/tableau/tout.csv").status_code == 404
    assert client.get("/tableau-de-bord/export/commission/places.pdf").status_code == 404
    assert not events("dashboard.export")


def test_xlsx_export_opens_and_matches_the_screen(client, auth, world):
    from openpyxl import load_workbook

    auth.login(world["lead"].email)
    page = client.get(f"/tableau-de-bord/indicateurs?{PERIOD}").get_data(as_text=True)
    r = client.get(f"/tableau-de-bord/export/indicateurs/tout.xlsx?{PERIOD}")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.data))
    sheets = {ws["A1"].value: ws for ws in wb.worksheets}  # the full title is the first line
    ws = sheets["Ménages et personnes accompagnés"]
    values = [list(row) for row in ws.iter_rows(min_row=3, values_only=True)]
    screen = screen_table(page, "suivis")
    assert [str(v) for v in values[0]] == screen[0]
    total = values[len(screen) - 1]
    assert total[:5] == ["Total", 4, 5, 4, 2] and total[5] == 91.5
    assert screen[-1][:6] == ["Total", "4", "5", "4", "2", "91,5"]
    assert len(wb.sheetnames) >= 10


def test_dashboard_table_exports(client, auth, world):
    from openpyxl import load_workbook

    auth.login(world["lead"].email)
    page = client.get("/tableau-de-bord/").get_data(as_text=True)
    r = client.get("/tableau-de-bord/export/tableau/alertes.csv")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig")), delimiter=";"))
    assert rows == screen_table(page, "alertes")
    wb = load_workbook(io.BytesIO(client.get("/tableau-de-bord/export/tableau/tout.xlsx").data))
    assert "Alertes ouvertes par urgence" in {ws["A1"].value for ws in wb.worksheets}
    assert client.get("/tableau-de-bord/export/tableau/inconnu.csv").status_code == 404
    assert client.get("/tableau-de-bord/export/tableau/tout.csv").status_code == 404


def test_pdf_summary_in_french(client, auth, world):
    from pypdf import PdfReader

    auth.login(world["lead"].email)
    r = client.get(f"/tableau-de-bord/indicateurs/synthese.pdf?{PERIOD}&dispositif=iml")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(r.data)).pages)
    text = re.sub(r"\s+", " ", text)
    assert "Synthèse d'activité" in text
    assert "3 ménages ont été accompagnés" in text  # IML only: H1, H2, H7
    assert "Sorties d'accompagnement par destination" in text
    assert events("dashboard.export")[-1].detail["format"] == "pdf"


def test_invalid_period_is_422_in_french(client, auth, world):
    auth.login(world["lead"].email)
    r = client.get("/tableau-de-bord/indicateurs?debut=2026-06-30&fin=2026-01-01")
    assert r.status_code == 422
    assert "La fin de la période doit venir après son début." in r.page
    assert 'value="2026-06-30"' in r.get_data(as_text=True)  # what was typed is kept
    r = client.get("/tableau-de-bord/indicateurs?debut=pas-une-date")
    assert r.status_code == 422
    assert "N'est pas une date valide." in r.page


def test_commission_page(client, auth, world):
    from app.housing.models import AdmissionDecision

    app_ = f.application(world["a"], name="Mme Candidate")
    db.session.add(AdmissionDecision(application_id=app_.id, commission_on=date(2026, 3, 3),
                                     members="CCAS, association", decision="attente",
                                     reason="Pas de place adaptée"))
    db.session.commit()
    auth.login(world["lead"].email)
    r = client.get(f"/tableau-de-bord/commission?{PERIOD}")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert screen_table(page, "candidats")[1][0] == "Mme Candidate"
    assert screen_table(page, "places")[1:] == [
        ["Les Tilleuls", "Chambre 1", "H8", "11 juin 2026", "—"],
        ["Les Tilleuls", "Chambre 2", "Libre", "—", "1er juin 2026"]]
    assert events("dashboard.commission")


def test_rehousing_indicator_uses_the_relogement_module(client, auth, world):
    r_team = f.team("relogement", name="Relogement R")
    lead = f.user((r_team, "coordinator"), email="reloge@exemple.test")
    op = f.operation(r_team)
    b = f.building(op)
    f.rehousing_case(op, b, outcome="reloge", outcome_on=date(2026, 3, 10))
    f.rehousing_case(op, b, outcome="reloge", outcome_on=date(2026, 7, 1))  # after the period
    f.rehousing_case(op, b, outcome="parti_sans_solution", outcome_on=date(2026, 1, 1))
    other_team = f.team("relogement", name="Relogement S")
    op2 = f.operation(other_team)
    f.rehousing_case(op2, f.building(op2), outcome="reloge", outcome_on=date(2026, 3, 10))
    auth.login(lead.email)
    page = client.get(f"/tableau-de-bord/indicateurs?{PERIOD}").get_data(as_text=True)
    rows = screen_table(page, "relogement")
    assert rows[1:] == [["Relogé·e", "1"], ["Parti·e sans solution", "1"], ["Autre issue", "0"],
                        ["Total", "2"]]


# -- Figures and the lists behind them ---------------------------------------------------------


def _coordinate(user, team):
    from app.auth.models import Membership

    db.session.add(Membership(user_id=user.id, team_id=team.id, role="coordinator"))
    db.session.commit()


def test_arrears_owed_on_the_dashboard(client, auth, world):
    auth.login(world["lead"].email)
    shown = client.get("/tableau-de-bord/").get_data(as_text=True)
    # The page comes without the ledger; the card says where it comes from, and works
    # without JavaScript as a page of its own.
    assert 'hx-trigger="load"' in shown and "Voir les impayés en cours" in shown
    alone = client.get("/tableau-de-bord/impayes-en-cours")
    assert alone.status_code == 200 and "<h1>Impayés en cours</h1>" in alone.page
    assert events("dashboard.view")[-1].detail["part"] == "impayes"
    page = _fill_deferred(client, shown)
    # By hand (see test_dashboard.test_arrears_owed_today_by_hand): C2 owes 1 665 €, H8 750 €.
    assert screen_table(page, "impayes") == [["Indicateur", "Valeur"],
                                             ["Contrats en impayé", "2"],
                                             ["Montant dû", "2415,00"]]
    assert "2\u202f415,00\xa0€" in html.unescape(page)  # a French amount
    listing = client.get(link(page, "impayes", "Contrats en impayé"))
    assert listing.status_code == 200 and count(listing.page) == 2
    rows = screen_table(listing.get_data(as_text=True).replace(
        '<section class="card"', '<section id="t-liste"'), "liste")
    assert [r[0] for r in rows[1:]] == ["H2", "H8", "Total"]
    assert [r[3:] for r in rows[1:]] == [["1er mai 2026", "1665,00"],
                                         ["1er juillet 2026", "750,00"], ["", "2415,00"]]
    assert link(page, "impayes", "Montant dû") == link(page, "impayes", "Contrats en impayé")
    indicators = client.get(f"/tableau-de-bord/indicateurs?{PERIOD}").get_data(as_text=True)
    # A period's table keeps to the period: what is owed today is the dashboard's.
    rows = screen_table(indicators, "impayes")
    assert rows[1][0] == "Paiements reçus" and not any("Montant dû" in r[0] for r in rows)
    # Team B runs no contract: nothing owed, no link.
    page = _fill_deferred(client, client.get(f"/tableau-de-bord/?equipe={world['b'].id}")
                          .get_data(as_text=True))
    assert screen_table(page, "impayes")[1:] == [["Contrats en impayé", "0"],
                                                 ["Montant dû", "0,00"]]
    assert "/liste/impayes" not in page


def test_per_team_table_follows_the_programme_chosen(client, auth, world):
    a2 = f.team("iml", name="IML A2")
    _coordinate(world["lead"], a2)
    auth.login(world["lead"].email)
    page = client.get("/tableau-de-bord/?dispositif=iml").get_data(as_text=True)
    rows = screen_table(page, "equipes")
    assert [r[0] for r in rows[1:]] == ["IML A", "IML A2", "Total"]
    assert rows[-1][2:4] == ["2", "2"]  # A's two urgent alerts; B's is not an IML team's
    # The total row's lists count the IML teams too.
    assert "dispositif=iml" in link(page, "equipes", "Total", 1)
    assert "dispositif=iml" in link(page, "equipes", "Total", 2)
    # One team in the programme: no per-team table.
    page = client.get("/tableau-de-bord/?dispositif=asll").get_data(as_text=True)
    assert 't-equipes"' not in page


def test_alert_figures_open_the_team_view_of_the_same_teams(client, auth, world):
    auth.login(world["lead"].email)
    page = client.get("/tableau-de-bord/?dispositif=iml").get_data(as_text=True)
    assert screen_table(page, "alertes")[-1] == ["Total", "2"]
    href = link(page, "alertes", "Total")
    assert "vue=equipe" in href and "dispositif=iml" in href
    assert count(client.get(href).page) == 2
    page = client.get("/tableau-de-bord/").get_data(as_text=True)
    assert count(client.get(link(page, "alertes", "Total")).page) == 3  # A's 2 and B's 1
    page = client.get(f"/tableau-de-bord/?equipe={world['b'].id}").get_data(as_text=True)
    assert count(client.get(link(page, "alertes", "Total")).page) == 1


def test_each_urgency_figure_opens_the_list_of_that_urgency(client, auth, world):
    """A row per urgency, and the per-team "dont urgentes" column: each figure's link lists
    exactly that many alerts, of that urgency only."""
    auth.login(world["lead"].email)
    page = client.get("/tableau-de-bord/").get_data(as_text=True)
    rows = screen_table(page, "alertes")[1:-1]
    assert sum(int(n) for _, n in rows) == 3 and any(n != "0" for label, n in rows
                                                   if label == "Urgent")
    for label, figure in rows:
        if figure == "0":
            continue  # nothing to list: no link
        href = link(page, "alertes", label)
        assert "urgence=" in href
        assert count(client.get(href).page) == int(figure), label
    for team_row in screen_table(page, "equipes")[1:]:
        if team_row[3] == "0":
            continue
        href = link(page, "equipes", team_row[0], 3)
        assert "urgence=urgent" in href
        listed = client.get(href).page
        assert count(listed) == int(team_row[3]), team_row[0]
        assert "Bientôt</span>" not in listed and "À venir</span>" not in listed


@pytest.fixture
def housing_more(world):
    """A vacant flat of team B, and candidatures: A has one received and one interviewed, B
    one received, team C one (never shown)."""
    f.flat(world["b"], address="2 rue de Bé")
    f.application(world["a"], name="Cand A recue")
    f.application(world["a"], name="Cand A entretien", interview_on=date(2026, 6, 1))
    f.application(world["b"], name="Cand B recue")
    f.application(world["c"], name="Cand C recue")
    return world


def _items(page: str) -> int:
    return page.count('class="list-item')


def test_flat_figures_list_the_chosen_teams_flats(client, auth, housing_more):
    world = housing_more
    auth.login(world["lead"].email)
    a, b = world["a"].id, world["b"].id
    page = client.get(f"/tableau-de-bord/?equipe={a}").get_data(as_text=True)
    assert screen_table(page, "logements")[2] == ["Vacant", "2"]  # F1 and Les Tilleuls
    r = client.get(link(page, "logements", "Vacant"))
    assert count(r.page) == 2 and "Les Tilleuls" in r.page and "2 rue de Bé" not in r.page
    page = client.get("/tableau-de-bord/").get_data(as_text=True)
    assert screen_table(page, "logements")[2] == ["Vacant", "3"]
    assert count(client.get(link(page, "logements", "Vacant")).page) == 3
    # The per-team table: B's vacant flat.
    assert screen_table(page, "equipes")[1][0] == "ASLL B"
    r = client.get(link(page, "equipes", "ASLL B", 6))
    assert count(r.page) == 1 and "2 rue de Bé" in r.page
    # The status chips keep the team filter.
    assert f"/logements/?statut=occupe&amp;equipe={b}" in r.get_data(as_text=True)


def test_vacancy_figures_list_the_chosen_teams_flats(client, auth, housing_more):
    world = housing_more
    auth.login(world["lead"].email)
    a = world["a"].id
    page = client.get(f"/tableau-de-bord/?equipe={a}").get_data(as_text=True)
    # January to June 59 days (test_dashboard), then 1 to 15 July Chambre 2: 74.
    assert screen_table(page, "logements")[5] == ["Jours de vacance en 2026", "74"]
    href = link(page, "logements", "Jours de vacance en 2026")
    assert link(page, "logements", "Taux de vacance en 2026") == href
    r = client.get(href)
    assert "Jours de vacance en 2026 : <strong>74</strong>" in r.get_data(as_text=True)
    assert "2 rue de Bé" not in r.page
    r = client.get(f"/logements/vacance?annee=2026&equipe={world['b'].id}")
    assert "2 rue de Bé" in r.page and "Les Tilleuls" not in r.page


def test_admission_figures_list_the_chosen_teams_candidatures(client, auth, housing_more):
    world = housing_more
    auth.login(world["lead"].email)
    a = world["a"].id
    page = client.get(f"/tableau-de-bord/?equipe={a}").get_data(as_text=True)
    assert screen_table(page, "admissions")[1:] == [
        ["Reçue", "1"], ["Entretien fait", "1"], ["Liste d'attente", "0"],
        ["Admis, en attente d'entrée", "0"], ["Total", "2"]]
    r = client.get(link(page, "admissions", "Reçue"))
    assert _items(r.page) == 1 and "Cand A recue" in r.page and "Reçue — IML A" in r.page
    r = client.get(link(page, "admissions", "Total"))
    assert _items(r.page) == 2 and "Cand B recue" not in r.page
    assert "2 candidatures" in r.page
    page = client.get("/tableau-de-bord/").get_data(as_text=True)
    assert screen_table(page, "admissions")[-1] == ["Total", "3"]
    assert _items(client.get(link(page, "admissions", "Total")).page) == 3
    # The per-team table: A's two candidatures in progress.
    row = next(r for r in screen_table(page, "equipes") if r[0] == "IML A")
    assert row[7] == "2"
    r = client.get(link(page, "equipes", "IML A", 7))
    assert _items(r.page) == 2 and "Cand A entretien" in r.page


def test_housing_filters_only_narrow_what_the_person_may_see(client, auth, housing_more):
    world = housing_more
    auth.login(world["lead"].email)
    c = world["c"].id
    for path in (f"/logements/?equipe={c}", f"/logements/?equipe=abc",
                 f"/logements/candidatures/?equipe={c}",
                 f"/logements/candidatures/?equipe={c}&statut=recue",
                 f"/logements/vacance?equipe={c}"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert _items(r.page) == 0 and "Cand C" not in r.page, path
    # Another team's id among the person's: only the person's team is listed.
    r = client.get(f"/logements/?equipe={c}&equipe={world['b'].id}")
    assert count(r.page) == 1 and "2 rue de Bé" in r.page
    # An unknown status is no filter; the candidatures of team C never show.
    r = client.get("/logements/candidatures/?statut=inconnu")
    assert _items(r.page) == 3 and "Cand C" not in r.page


def test_caseload_figures_list_each_workers_households_and_measures(client, auth, world):
    auth.login(world["lead"].email)
    page = client.get("/tableau-de-bord/").get_data(as_text=True)
    rows = {r[0]: r for r in screen_table(page, "charge")[1:]}
    # Wanda refers H1, H2 (team A) and H4 (team B); on 15 July one measure of hers runs.
    assert rows["Wanda Worker"][1:3] == ["3", "1"]
    assert rows["Sans référent·e"][1:3] == ["4", "1"]  # H3, H5, H7, H8; H4's measure
    r = client.get(link(page, "charge", "Wanda Worker", 1))
    assert r.status_code == 200 and count(r.page) == 3
    assert "Référent·e : Wanda Worker" in r.page
    assert all(n in r.page for n in ("H1", "H2", "H4")) and "H3" not in r.page
    r = client.get(link(page, "charge", "Sans référent·e", 1))
    assert count(r.page) == 4 and "H8" in r.page and "H1" not in r.page
    r = client.get(link(page, "charge", "Wanda Worker", 2))
    assert count(r.page) == 1 and "Wanda Worker" in r.page
    r = client.get(link(page, "charge", "Sans référent·e", 2))
    assert count(r.page) == 1 and "Non attribuée" in r.page
    # Within team B only: H4 and one measure.
    page = client.get(f"/tableau-de-bord/?equipe={world['b'].id}").get_data(as_text=True)
    assert count(client.get(link(page, "charge", "Wanda Worker", 1)).page) == 1
    # Another team's worker refers nobody here; another team's list is a 404.
    assert count(client.get(f"/tableau-de-bord/liste/menages?intervenant="
                            f"{world['other'].id}").page) == 0
    assert client.get(f"/tableau-de-bord/liste/menages?intervenant={world['worker'].id}"
                      f"&equipe={world['c'].id}").status_code == 404


def test_leases_ending_figure_opens_their_list(client, auth, world):
    a = world["a"]
    f.contract(f.flat(a), f.household(a, name="H9"), start_on=date(2026, 3, 1))  # ends 31 Aug
    auth.login(world["lead"].email)
    page = client.get(f"/tableau-de-bord/?equipe={a.id}").get_data(as_text=True)
    section = re.search(r'<section[^>]*id="t-fins_contrat".*?</section>', page, re.S).group(0)
    href = html.unescape(re.search(r'<h2[^>]*>.*?href="([^"]+)"', section, re.S).group(1))
    assert "/liste/fins-de-contrat" in href and f"equipe={a.id}" in href
    r = client.get(href)
    assert r.status_code == 200 and count(r.page) == 1 and "H9" in r.page
    assert "31 août 2026" in r.page
