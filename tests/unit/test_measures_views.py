"""ASLL measure pages: main path, scoping, 422 on invalid input, fiche de lien and its PDF."""
from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.households.models import Note, Right
from app.measures.models import FunderBatch, LinkSheet, Measure
from app.timeline import events_for
from tests import factories


@pytest.fixture
def asll(app):
    return factories.team("asll", name="ASLL Test")


@pytest.fixture
def coord(asll):
    return factories.user((asll, "coordinator"), email="coord.asll@exemple.test",
                          display_name="Nadia Coord")


@pytest.fixture
def asll_worker(asll):
    return factories.user((asll, "worker"), email="asll.worker@exemple.test",
                          display_name="Sophie ASLL")


def csrf_free(app):
    app.config["WTF_CSRF_ENABLED"] = False


def pdf_text(body: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages).split())


def test_coordinator_notifies_confirms_and_assigns_then_worker_signs(app, client, auth, asll,
                                                                     coord, asll_worker):
    csrf_free(app)
    h = factories.household(asll, name="Famille Lambert")
    auth.login(coord.email)
    r = client.post("/mesures/nouvelle", data={
        "team_id": asll.id, "household_id": h.id, "reference": "FSL-31-0042",
        "notified_on": "2026-01-15", "funder": "metropole", "prescriber": "MDS Blagnac",
        "objectives": "Apurer la dette de loyer"})
    assert r.status_code == 302
    m = db.session.scalar(select(Measure))
    page = client.get(f"/mesures/{m.id}").page
    assert "au plus tard le 15 mars 2026" in page and "À confirmer" in page
    assert "Sophie ASLL (0 mesure en cours)" in page
    r = client.post(f"/mesures/{m.id}/attribution",
                    data={"received_on": "2026-01-16", "worker_id": asll_worker.id})
    assert r.status_code == 302
    auth.logout()
    auth.login(asll_worker.email)
    r = client.post(f"/mesures/{m.id}/contrat", data={"signed_on": "2026-03-16"})
    assert r.status_code == 302
    page = client.get(f"/mesures/{m.id}").page
    assert "16 déc. 2026" in page and "Phase 1 dépassée" in page
    index = client.get("/mesures/").page
    assert "Famille Lambert" in index and "Sophie ASLL" in index
    with app.test_request_context():
        titles = [e.title for e in events_for(h, asll_worker)]
    assert "Contrat d'accompagnement ASLL signé" in titles and "Mesure ASLL notifiée" in titles


def test_invalid_contract_date_is_refused_next_to_the_field(app, client, auth, asll,
                                                            asll_worker):
    csrf_free(app)
    m = factories.measure(asll, factories.household(asll), asll_worker)
    auth.login(asll_worker.email)
    r = client.post(f"/mesures/{m.id}/contrat", data={"signed_on": "2026-01-01"})
    assert r.status_code == 422 and "ne peut pas précéder la notification" in r.page
    r = client.post(f"/mesures/{m.id}/contrat", data={"signed_on": ""})
    assert r.status_code == 422 and "Ce champ est obligatoire." in r.page
    assert db.session.get(Measure, m.id).contract_signed_on is None


def test_a_worker_cannot_notify_and_the_form_keeps_what_was_typed(app, client, auth, asll,
                                                                  coord, asll_worker):
    csrf_free(app)
    auth.login(asll_worker.email)
    assert client.get("/mesures/nouvelle").status_code == 403
    auth.logout()
    auth.login(coord.email)
    r = client.post("/mesures/nouvelle", data={"team_id": asll.id, "reference": "FSL-9",
                                               "funder": "metropole"})
    assert r.status_code == 422 and 'value="FSL-9"' in r.get_data(as_text=True)
    assert db.session.scalar(select(Measure)) is None


def test_other_teams_get_404_audited_and_volunteers_403(client, auth, asll, asll_worker,
                                                        team_b):
    m = factories.measure(asll, factories.household(asll), asll_worker)
    outsider = factories.user((team_b, "worker"))
    auth.login(outsider.email)
    assert client.get(f"/mesures/{m.id}").status_code == 404
    assert client.get(f"/mesures/{m.id}/fiche/2026-01").status_code == 404
    assert m.reference not in client.get("/mesures/").page
    denied = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "access.denied", AuditEvent.actor_id == outsider.id)).all()
    assert {(d.object_type, d.object_id) for d in denied} == {("asll_measure", m.id)}
    auth.logout()
    volunteer = factories.user((asll, "volunteer"))
    auth.login(volunteer.email)
    assert client.get("/mesures/").status_code == 403


def test_fiche_de_lien_draws_the_month_and_hides_confidential_notes(app, client, auth, asll,
                                                                    asll_worker):
    csrf_free(app)
    h = factories.household(asll, name="M. Dubois")
    m = factories.measure(asll, h, asll_worker, notified_on=date(2026, 1, 15))
    march = factories.visit(h, asll_worker, day=date(2026, 3, 4), purpose="Point budget")
    factories.report(march, asll_worker, observations="Plan d'apurement signé")
    factories.visit(h, asll_worker, day=date(2026, 3, 20), purpose="Visite sans compte rendu")
    april = factories.visit(h, asll_worker, day=date(2026, 4, 1), purpose="Visite d'avril")
    factories.report(april, asll_worker)
    db.session.add_all([
        Note(household_id=h.id, author_id=asll_worker.id, title="Rencontre bailleur",
             body="…", written_on=date(2026, 3, 10), confidentiality="equipe"),
        Note(household_id=h.id, author_id=asll_worker.id, title="Secret santé",
             body="…", written_on=date(2026, 3, 11), confidentiality="sante"),
        Right(household_id=h.id, kind="apl", status="a_faire", filed_on=date(2026, 3, 12),
              next_step="Relancer la CAF")])
    db.session.commit()
    auth.login(asll_worker.email)
    page = client.get(f"/mesures/{m.id}/fiche/2026-03").page
    assert "Point budget" in page and "Rencontre bailleur" in page and "Relancer la CAF" in page
    assert "Secret santé" not in page and "Visite d'avril" not in page
    assert "Visite sans compte rendu" not in page and "31 jours" in page
    assert client.get(f"/mesures/{m.id}/fiche/2026-03.pdf").status_code == 404  # not written
    r = client.post(f"/mesures/{m.id}/fiche/2026-03", data={"summary": "", "next_steps": "x"})
    assert r.status_code == 422 and db.session.scalar(select(LinkSheet)) is None
    r = client.post(f"/mesures/{m.id}/fiche/2026-03",
                    data={"summary": "Mois consacré au budget.", "next_steps": "Dossier FSL"})
    assert r.status_code == 302
    r = client.get(f"/mesures/{m.id}/fiche/2026-03.pdf")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    text = pdf_text(r.data)
    for expected in ("Fiche de lien ASLL — mars 2026", "M. Dubois", m.reference,
                     "Point budget", "Plan d'apurement signé", "Rencontre bailleur",
                     "Mois consacré au budget.", "Dossier FSL", "31"):
        assert expected in text, expected
    assert "Secret santé" not in text and "Visite d'avril" not in text
    assert client.get(f"/mesures/{m.id}/fiche/2025-12").status_code == 404  # before notification


def test_monthly_batch_lists_days_and_records_when_it_was_sent(app, client, auth, asll, coord,
                                                                asll_worker):
    csrf_free(app)
    a = factories.measure(asll, factories.household(asll, name="Famille A"), asll_worker,
                          notified_on=date(2026, 2, 10))
    factories.measure(asll, factories.household(asll, name="Famille B"), asll_worker,
                      notified_on=date(2025, 6, 1), contract_signed_on=date(2025, 7, 1),
                      ended_on=date(2026, 2, 5), outcome="terminee", end_reason="Fin")
    factories.measure(asll, factories.household(asll, name="Famille C"), asll_worker,
                      funder="departement", notified_on=date(2026, 1, 1))
    auth.login(coord.email)
    page = client.get(f"/mesures/lot/{asll.id}/metropole/2026-02").page
    assert "Famille A" in page and "Famille B" in page and "Famille C" not in page
    assert "2 mesures, 24 jours d'accompagnement." in page  # 19 + 5
    assert a.reference in page
    r = client.post(f"/mesures/lot/{asll.id}/metropole/2026-02", data={"sent_on": "2026-03-03"})
    assert r.status_code == 302
    sent = db.session.scalar(select(FunderBatch))
    assert (sent.month, sent.sent_on, sent.sent_by_id) == (date(2026, 2, 1), date(2026, 3, 3),
                                                           coord.id)
    assert "Lot envoyé le 3 mars 2026" in client.get(
        f"/mesures/lot/{asll.id}/metropole/2026-02").page


def test_batch_exports_match_the_screen_and_are_recorded(app, client, auth, asll, coord,
                                                         asll_worker, team_b):
    import csv

    a = factories.measure(asll, factories.household(asll, name="Famille A"), asll_worker,
                          notified_on=date(2026, 2, 10), reference="FSL-A")
    factories.measure(asll, factories.household(asll, name="Famille B"), asll_worker,
                      notified_on=date(2025, 6, 1), contract_signed_on=date(2025, 7, 1),
                      ended_on=date(2026, 2, 5), outcome="terminee", end_reason="Fin",
                      reference="FSL-B")
    auth.login(coord.email)
    r = client.get(f"/mesures/lot/{asll.id}/metropole/2026-02.csv")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert r.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Référence" and rows[0][-1] == "Jours d'accompagnement"
    assert [(x[0], x[1], x[3], x[-1]) for x in rows[1:]] == [
        ("FSL-A", "Famille A", "10/02/2026", "19"), ("FSL-B", "Famille B", "01/06/2025", "5")]
    r = client.get(f"/mesures/lot/{asll.id}/metropole/2026-02.pdf")
    assert r.headers["Content-Type"] == "application/pdf"
    text = pdf_text(r.data)
    for expected in ("lot février 2026", "Métropole (FSL)", "FSL-A", "Famille A", "FSL-B",
                     "2 mesures 24"):
        assert expected in text, expected
    exports = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "measure.batch_export")).all()
    assert sorted(e.detail["format"] for e in exports) == ["csv", "pdf"]
    assert a.id  # the measure exists; another team's batch is a 404
    assert client.get(f"/mesures/lot/{team_b.id}/metropole/2026-02.csv").status_code == 404


def test_coordinator_corrects_a_measure_and_dates_follow(app, client, auth, asll, coord,
                                                         asll_worker):
    csrf_free(app)
    m = factories.measure(asll, factories.household(asll, name="Famille Lambert"), asll_worker,
                          notified_on=date(2026, 1, 15), received_on=date(2026, 1, 20))
    auth.login(asll_worker.email)
    assert client.get(f"/mesures/{m.id}/modifier").status_code == 403
    auth.logout()
    auth.login(coord.email)
    form = {"reference": "FSL-31-0099", "notified_on": "2026-01-10", "funder": "departement",
            "prescriber": "CCAS Colomiers", "objectives": "Accès aux droits",
            "contract_signed_on": "2026-03-12"}
    # a notification after the confirmed receipt is refused, next to its field, typed values kept
    r = client.post(f"/mesures/{m.id}/modifier", data={**form, "notified_on": "2026-01-25"})
    assert r.status_code == 422
    assert "La notification ne peut pas suivre la réception" in r.page
    assert 'value="FSL-31-0099"' in r.page and "Accès aux droits" in r.page
    assert db.session.get(Measure, m.id).reference != "FSL-31-0099"
    r = client.post(f"/mesures/{m.id}/modifier", data=form)
    assert r.status_code == 302
    saved = db.session.get(Measure, m.id)
    assert (saved.reference, saved.notified_on, saved.funder, saved.contract_signed_on) == (
        "FSL-31-0099", date(2026, 1, 10), "departement", date(2026, 3, 12))
    page = client.get(f"/mesures/{m.id}").page
    assert "contrat signé le 12 mars 2026" in page and "Fin de la phase 2" in page
    assert "12 déc. 2026" in page  # nine months after the contract, computed
    edit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "measure.edit"))
    assert edit.detail["fields"] == ["contract_signed_on", "funder", "notified_on",
                                     "objectives", "prescriber", "reference"]


def test_measure_page_shows_where_the_households_project_stands(client, auth, asll, coord):
    from app.households.models import Barrier, Goal

    h = factories.household(asll, name="Famille Project")
    m = factories.measure(asll, h)
    auth.login(coord.email)
    assert "<dt>Freins évalués</dt><dd>aucun pour l'instant</dd>" in client.get(
        f"/mesures/{m.id}").page
    day = date(2026, 2, 1)
    db.session.add_all([
        Barrier(household_id=h.id, category="budget", description="Dette", identified_on=day),
        Barrier(household_id=h.id, category="logement", description="Humidité",
                identified_on=day, status="leve", resolved_on=day),
        Goal(household_id=h.id, title="Apurer la dette", set_on=day),
    ])
    db.session.commit()
    page = client.get(f"/mesures/{m.id}").page
    assert "<dt>Freins évalués</dt><dd>2 dont 1 à lever</dd>" in page
    assert "<dt>Objectifs convenus</dt><dd>1 dont 1 en cours</dd>" in page
    assert f'href="/menages/{h.id}/projet"' in page


def test_a_measure_alert_links_to_the_measure(app, asll, asll_worker):
    from app.alerts.models import Alert
    from app.alerts.queries import link

    m = factories.measure(asll, factories.household(asll), asll_worker)
    with app.test_request_context():
        assert link(Alert(rule="asll_phase1", object_type="measure", object_id=m.id)) == \
            f"/mesures/{m.id}"


def test_notify_offers_the_households_the_asll_team_sees_and_no_other(app, client, auth, asll,
                                                                       asll_worker):
    csrf_free(app)
    village = factories.team("village", name="Village Test")
    boss = factories.user((asll, "coordinator"), (village, "coordinator"))
    shared = factories.household(village, name="Famille inscrite ASLL")
    factories.enrolment(shared, date(2026, 1, 5), team=asll)
    village_only = factories.household(village, name="Famille du Village")
    auth.login(boss.email)
    page = client.get("/mesures/nouvelle").page
    assert "Famille inscrite ASLL" in page and "Famille du Village" not in page
    form = {"team_id": asll.id, "reference": "FSL-31-0050", "notified_on": "2026-01-15",
            "funder": "metropole", "prescriber": "MDS", "objectives": "Budget"}
    r = client.post("/mesures/nouvelle", data={**form, "household_id": village_only.id})
    assert r.status_code == 422 and db.session.scalar(select(Measure)) is None
    assert 'value="FSL-31-0050"' in r.page
    r = client.post("/mesures/nouvelle", data={**form, "household_id": shared.id})
    assert r.status_code == 302
    m = db.session.scalar(select(Measure))
    auth.logout()
    auth.login(asll_worker.email)  # the ASLL worker opens both the measure and the case file
    assert client.get(f"/mesures/{m.id}").status_code == 200
    assert client.get(f"/menages/{shared.id}").status_code == 200


def test_a_measure_on_a_household_the_worker_cannot_open_is_not_shown(client, auth, asll,
                                                                      asll_worker):
    """A measure recorded before the check, for another team's household: no back door."""
    village = factories.team("village", name="Village Test")
    m = factories.measure(asll, factories.household(village, name="Famille du Village"),
                          asll_worker)
    auth.login(asll_worker.email)
    assert client.get(f"/mesures/{m.id}").status_code == 404
    assert client.get(f"/mesures/{m.id}/fiche/2026-01").status_code == 404
    assert "Famille du Village" not in client.get("/mesures/").page
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "access.denied", AuditEvent.object_id == m.id)) is not None


def test_fiche_de_lien_pdf_leaves_out_another_teams_visit_to_a_shared_household(
        app, client, auth, asll, asll_worker):
    csrf_free(app)
    iml = factories.team("iml", name="IML Test")
    iml_worker = factories.user((iml, "worker"), display_name="Ivan IML")
    h = factories.household(iml, name="Famille partagée")
    factories.enrolment(h, date(2026, 1, 5), team=asll)
    m = factories.measure(asll, h, asll_worker, notified_on=date(2026, 1, 15))
    ours = factories.visit(h, asll_worker, day=date(2026, 3, 4), purpose="Point budget ASLL")
    ours.team_id = asll.id
    factories.report(ours, asll_worker, observations="Tableau de budget tenu")
    theirs = factories.visit(h, iml_worker, day=date(2026, 3, 5), purpose="Visite IML du bail")
    factories.report(theirs, iml_worker, observations="Compteur relevé par l'IML")
    db.session.add(Note(household_id=h.id, author_id=iml_worker.id, title="Note IML",
                        body="…", written_on=date(2026, 3, 7), confidentiality="equipe"))
    db.session.commit()
    auth.login(asll_worker.email)
    page = client.get(f"/mesures/{m.id}/fiche/2026-03").page
    assert "Point budget ASLL" in page
    assert "Visite IML du bail" not in page and "Note IML" not in page
    client.post(f"/mesures/{m.id}/fiche/2026-03", data={"summary": "Budget.", "next_steps": ""})
    text = pdf_text(client.get(f"/mesures/{m.id}/fiche/2026-03.pdf").data)
    assert "Point budget ASLL" in text and "Tableau de budget tenu" in text
    for absent in ("Visite IML du bail", "Compteur relevé", "Note IML"):
        assert absent not in text, absent


def test_renewing_opens_a_measure_in_phase2_without_phase1_warnings(app, client, auth, asll,
                                                                     asll_worker):
    csrf_free(app)
    m = factories.measure(asll, factories.household(asll, name="Famille Renouvelée"),
                          asll_worker, notified_on=date(2025, 1, 15),
                          contract_signed_on=date(2025, 3, 1))
    auth.login(asll_worker.email)
    r = client.post(f"/mesures/{m.id}/fin", data={"outcome": "renouvelee",
                                                  "ended_on": "2025-12-01",
                                                  "reason": "Objectifs budget en cours"})
    renewal = db.session.scalar(select(Measure).where(Measure.renewal_of_id == m.id))
    assert r.status_code == 302 and r.location.endswith(f"/mesures/{renewal.id}")
    page = client.get(r.location).page  # today is well past two months after 2 December 2025
    assert "Phase 2 — accompagnement" in page and "Phase 1" not in page
    assert "le contrat est reconduit et la phase 2 reprend le 2 déc. 2025" in page
    assert "2 sept. 2026" in page  # nine months from the renewal's first day
    assert "Enregistrer le contrat" not in page
    assert f'href="/mesures/{m.id}"' in page
    with app.test_request_context():
        titles = [e.title for e in events_for(renewal.household, asll_worker)]
    assert titles.count("Mesure ASLL renouvelée") == 1 and "Mesure renouvelée" in titles
    assert titles.count("Contrat d'accompagnement ASLL signé") == 1  # the first measure's only


def test_an_end_before_the_contract_is_refused_keeping_what_was_typed(app, client, auth, asll,
                                                                      asll_worker):
    csrf_free(app)
    m = factories.measure(asll, factories.household(asll), asll_worker,
                          notified_on=date(2026, 1, 15), contract_signed_on=date(2026, 3, 1))
    auth.login(asll_worker.email)
    r = client.post(f"/mesures/{m.id}/fin", data={"outcome": "terminee",
                                                  "ended_on": "2026-02-20",
                                                  "reason": "Déménagement hors département"})
    assert r.status_code == 422
    assert "La fin ne peut pas précéder le contrat (signé le 01/03/2026)." in r.page
    assert 'value="Déménagement hors département"' in r.page and 'value="2026-02-20"' in r.page
    assert db.session.get(Measure, m.id).ended_on is None


def test_load_shows_every_worker_and_links_to_their_measures(app, client, auth, asll, coord,
                                                             asll_worker, team_b):
    idle = factories.user((asll, "worker"), display_name="Yves Sans Mesure")
    outsider = factories.user((team_b, "worker"), display_name="Zoé Autre Équipe")
    factories.measure(asll, factories.household(asll, name="Famille Une"), asll_worker,
                      notified_on=date(2026, 1, 15))
    factories.measure(asll, factories.household(asll, name="Famille Deux"), asll_worker,
                      notified_on=date(2026, 1, 15), contract_signed_on=date(2026, 2, 1))
    factories.measure(asll, factories.household(asll, name="Famille Close"), asll_worker,
                      notified_on=date(2025, 1, 15), contract_signed_on=date(2025, 2, 1),
                      ended_on=date(2025, 10, 1), outcome="terminee", end_reason="Fin")
    factories.measure(asll, factories.household(asll, name="Famille Attente"))
    auth.login(coord.email)
    page = client.get("/mesures/").page
    table = page[page.index('id="load-title"'):page.index('id="batch-title"')]
    for name in ("Nadia Coord", "Sophie ASLL", "Yves Sans Mesure", "Non attribuée"):
        assert name in table, name
    assert "Zoé Autre Équipe" not in table
    idle_row = table[table.index("Yves Sans Mesure"):].split("</tr>")[0]
    assert idle_row.count(">0</td>") == 3  # no measure: zeros, shown all the same
    mine = f"/mesures/?intervenant={asll_worker.id}"
    assert f'href="{mine}&etat=en_cours"' in table and f'href="{mine}&etat=phase2"' in table

    listing = client.get(f"{mine}&etat=en_cours").page
    assert "Mesures de Sophie ASLL en cours" in listing
    assert "Famille Une" in listing and "Famille Deux" in listing
    assert "Famille Close" not in listing and "Famille Attente" not in listing
    phase2 = client.get(f"{mine}&etat=phase2").page
    assert "Famille Deux" in phase2 and "Famille Une" not in phase2
    everything = client.get(mine).page  # the name's link: all of the worker's measures
    assert "Famille Close" in everything and "Famille Attente" not in everything
    assert "Aucune mesure." in client.get(f"/mesures/?intervenant={idle.id}").page
    unassigned = client.get("/mesures/?intervenant=aucune&etat=en_cours").page
    assert "Mesures non attribuées" in unassigned and "Famille Attente" in unassigned
    assert "Famille Une" not in unassigned
    # nobody outside my teams' tables: no name of another team shown through the filter
    assert client.get(f"/mesures/?intervenant={outsider.id}").status_code == 404
    assert client.get("/mesures/?intervenant=999999").status_code == 404
    assert client.get("/mesures/?etat=nimporte").status_code == 404
