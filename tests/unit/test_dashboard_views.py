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
    """The pages' "today" is 15 July 2026."""
    monkeypatch.setattr("app.dashboard.views.today_paris", lambda: TODAY)


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


def csv_norm(value: str) -> str:
    return _norm(value) if value else "—"


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


def test_csv_export_matches_the_screen(client, auth, world):
    auth.login(world["lead"].email)
    page = client.get(f"/tableau-de-bord/indicateurs?{PERIOD}").get_data(as_text=True)
    for key in ("suivis", "destinations", "visites", "droits", "vacance", "impayes"):
        r = client.get(f"/tableau-de-bord/export/indicateurs/{key}.csv?{PERIOD}")
        assert r.status_code == 200, key
        assert r.headers["Content-Type"].startswith("text/csv")
        assert r.data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, for Excel
        rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig")), delimiter=";"))
        assert [[csv_norm(c) for c in row] for row in rows] == screen_table(page, key), key
    exported = [e.detail for e in events("dashboard.export")]
    assert {"page": "indicateurs", "table": "suivis", "format": "csv"}.items() \
        <= exported[0].items()


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
