"""Relogement pages: the main path through the forms, 422 keeping what was typed, 409 on a
concurrent edit, scoping (404 + audit for another team, 403 for volunteers), audited reads."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.relogement.models import Building, Operation, Proposal, RehousingCase
from app.timeutil import today_paris
from tests import factories


@pytest.fixture
def relo(app):
    app.config["WTF_CSRF_ENABLED"] = False
    return factories.team("relogement", name="Relogement Test")


@pytest.fixture
def coord(relo):
    return factories.user((relo, "coordinator"), email="charge.mission@exemple.test",
                          display_name="Chloé Chargée")


@pytest.fixture
def relo_worker(relo):
    return factories.user((relo, "worker"), email="relo.worker@exemple.test",
                          display_name="Rémi Relogement")


@pytest.fixture
def site(relo):
    op = factories.operation(relo, name="Îlot des Essais", started_on=date(2025, 1, 1))
    b = factories.building(op, address="7 rue des Essais")
    return op, b


def _figure(page: str, label: str) -> str:
    """The number shown under a progress label, e.g. _figure(page, 'Relogés') -> '1'."""
    after = page.split(f"<dt>{label}</dt>", 1)[1]
    return after.split("</dd>", 1)[0].rsplit(">", 1)[1].strip()


def test_main_path_through_the_pages(client, auth, relo, coord, relo_worker):
    today = today_paris()
    auth.login(coord.email)
    r = client.post("/relogement/operations/nouvelle", data={
        "team_id": relo.id, "name": "Îlot Sainte-Claire", "town": "Grenoble",
        "quartier": "Mistral", "programme": "npnru", "landlords": "Alpes Habitat",
        "started_on": "2026-01-05", "status": "en_cours"})
    assert r.status_code == 302
    op = db.session.scalar(select(Operation))
    r = client.post(f"/relogement/operations/{op.id}/immeubles/nouveau", data={
        "address": "4 rue Claire", "dwellings": "12", "works": "demolition",
        "acquired_on": "2025-10-01", "works_on": "2027-03-01"})
    assert r.status_code == 302
    b = db.session.scalar(select(Building))
    auth.logout()

    auth.login(relo_worker.email)
    r = client.post(f"/relogement/operations/{op.id}/menages/nouveau", data={
        "household_id": "", "name": "", "first_name": "Awa", "last_name": "Traoré",
        "building_id": b.id, "staircase": "B", "flat_number": "12", "typology": "T3",
        "max_rent": "480,00", "school": "Collège du quartier",
        "first_contact_on": (today - timedelta(days=30)).isoformat()})
    assert r.status_code == 302
    row = db.session.scalar(select(RehousingCase))
    assert row.household.name == "Ménage Traoré" and str(row.max_rent) == "480.00"
    page = client.get(f"/relogement/operations/{op.id}").page
    assert _figure(page, "Ménages à reloger") == "1" and _figure(page, "Relogés") == "0"
    assert "médiane <strong>30 jours</strong>" in page

    r = client.post(f"/relogement/menages/{row.id}/propositions/nouvelle", data={
        "address": "9 rue du Lac", "landlord": "Isère Logis", "typology": "T3",
        "rent": "455,50", "proposed_on": (today - timedelta(days=10)).isoformat()})
    assert r.status_code == 302
    p = db.session.scalar(select(Proposal))
    assert p.rank == 1
    r = client.post(f"/relogement/propositions/{p.id}/reponse", data={
        "version": p.version, "answer": "acceptee",
        "answered_on": (today - timedelta(days=5)).isoformat()})
    assert r.status_code == 302
    r = client.post(f"/relogement/menages/{row.id}/issue", data={
        "version": row.version, "moved_on": today.isoformat(), "outcome": "reloge",
        "outcome_on": today.isoformat(), "new_address": "9 rue du Lac, 38100 Grenoble"})
    assert r.status_code == 302
    page = client.get(f"/relogement/operations/{op.id}").page
    assert _figure(page, "Relogés") == "1" and _figure(page, "Acceptées") == "1"
    assert _figure(page, "Restant à reloger") == "0"
    case_page = client.get(f"/relogement/menages/{row.id}").page
    assert "1re proposition — T3 9 rue du Lac" in case_page and "Relogé·e" in case_page
    timeline = client.get(f"/menages/{row.household_id}/chronologie").page
    assert "1re proposition acceptée" in timeline and "Relogement terminé" in timeline


def test_invalid_answer_is_refused_next_to_the_field_keeping_what_was_typed(
        client, auth, site, relo_worker):
    op, b = site
    row = factories.rehousing_case(op, b, first_contact_on=date(2026, 1, 10),
                                   proposals=[(date(2026, 2, 1), "en_attente", None)])
    p = row.proposals[0]
    auth.login(relo_worker.email)
    r = client.post(f"/relogement/propositions/{p.id}/reponse", data={
        "version": p.version, "answer": "refusee", "answered_on": "2026-01-31",
        "refusal_reason": "autre", "answer_text": "Trop loin de la crèche"})
    assert r.status_code == 422
    assert "La réponse ne peut pas précéder la proposition (1 févr. 2026)." in r.page
    assert 'value="2026-01-31"' in r.page and 'value="Trop loin de la crèche"' in r.page
    assert 'aria-invalid="true"' in r.page
    assert db.session.get(Proposal, p.id).answer == "en_attente"


def test_move_without_an_accepted_proposal_and_rehoused_without_address(client, auth, site,
                                                                       relo_worker):
    op, b = site
    row = factories.rehousing_case(op, b, first_contact_on=date(2026, 1, 10))
    auth.login(relo_worker.email)
    r = client.post(f"/relogement/menages/{row.id}/issue", data={
        "version": row.version, "moved_on": "2026-03-01"})
    assert r.status_code == 422 and "Pas de déménagement sans proposition acceptée" in r.page
    assert 'value="2026-03-01"' in r.page
    db.session.add(Proposal(case_id=row.id, team_id=row.team_id, rank=1, address="1 rue A",
                            landlord="Isère Logis", typology="T2",
                            proposed_on=date(2026, 2, 1), answer="acceptee",
                            answered_on=date(2026, 2, 5)))
    db.session.commit()
    r = client.post(f"/relogement/menages/{row.id}/issue", data={
        "version": row.version, "moved_on": "2026-03-01", "outcome": "reloge",
        "outcome_on": "2026-03-01", "new_address": "", "outcome_text": "Très contente"})
    assert r.status_code == 422
    assert "Indiquez l'adresse du nouveau logement." in r.page
    assert 'value="Très contente"' in r.page
    assert db.session.get(RehousingCase, row.id).outcome is None


def test_a_concurrent_edit_is_a_409_keeping_both_versions(client, auth, site, relo_worker):
    op, b = site
    row = factories.rehousing_case(op, b, wished_areas="Centre")
    auth.login(relo_worker.email)
    base = {"building_id": b.id, "version": row.version}
    assert client.post(f"/relogement/menages/{row.id}/modifier",
                       data={**base, "wished_areas": "Mistral"}).status_code == 302
    r = client.post(f"/relogement/menages/{row.id}/modifier",
                    data={**base, "wished_areas": "Échirolles"})
    assert r.status_code == 409
    assert "Quelqu'un a enregistré cette fiche" in r.page
    assert "Mistral" in r.page and 'value="Échirolles"' in r.page
    assert db.session.get(RehousingCase, row.id).wished_areas == "Mistral"


def test_another_team_gets_404_and_an_audit_row(client, auth, site, team_b):
    op, b = site
    row = factories.rehousing_case(op, b, proposals=[(date(2026, 2, 1), "en_attente", None)])
    outsider = factories.user((team_b, "coordinator"))
    auth.login(outsider.email)
    urls = [f"/relogement/operations/{op.id}", f"/relogement/menages/{row.id}",
            f"/relogement/propositions/{row.proposals[0].id}/reponse",
            f"/relogement/immeubles/{b.id}/modifier",
            f"/relogement/operations/{op.id}/menages/nouveau"]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/relogement/menages/{row.id}/propositions/nouvelle", data={
        "address": "x", "landlord": "y", "typology": "T2",
        "proposed_on": "2026-02-02"}).status_code == 404
    denied = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied",
                                                         AuditEvent.actor_id == outsider.id))
    assert {(e.object_type, e.object_id) for e in denied} >= {
        ("relogement_operation", op.id), ("relogement_case", row.id),
        ("relogement_proposal", row.proposals[0].id), ("relogement_building", b.id)}
    assert "Îlot des Essais" not in client.get("/relogement/").page


def test_volunteers_are_refused_and_workers_do_not_manage_operations(client, auth, relo, site,
                                                                     relo_worker):
    op, _ = site
    volunteer = factories.user((relo, "volunteer"))
    auth.login(volunteer.email)
    assert client.get("/relogement/").status_code == 403
    assert "Relogement" not in client.get("/plus").page
    auth.logout()
    auth.login(relo_worker.email)
    assert "Relogement" in client.get("/plus").page
    assert client.get("/relogement/operations/nouvelle").status_code == 403
    assert client.get(f"/relogement/operations/{op.id}/modifier").status_code == 403
    assert client.get(f"/relogement/operations/{op.id}/missions/nouvelle").status_code == 403
    page = client.get(f"/relogement/operations/{op.id}").page
    assert "Ajouter un ménage" in page and "Nouvelle mission" not in page


def test_reads_are_audited(client, auth, site, relo_worker):
    op, b = site
    row = factories.rehousing_case(op, b)
    auth.login(relo_worker.email)
    client.get("/relogement/")
    client.get(f"/relogement/operations/{op.id}")
    client.get(f"/relogement/menages/{row.id}")
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.actor_id == relo_worker.id, AuditEvent.action.like("relogement.%"))).all()
    assert actions == ["relogement.list", "relogement.operation_read", "relogement.case_read"]


def test_status_filter_and_mission_form(client, auth, site, coord):
    op, b = site
    waiting = factories.rehousing_case(op, b, proposals=[(date(2026, 2, 1), "en_attente",
                                                          None)])
    factories.rehousing_case(op, b)
    auth.login(coord.email)
    page = client.get(f"/relogement/operations/{op.id}?statut=en_attente").page
    assert "En attente (1)" in page and "Sans proposition (1)" in page
    assert page.count("/relogement/menages/") == 1 and waiting.household.name in page
    # htmx asks for the households' block only; the same URL gives the whole page otherwise.
    r = client.get(f"/relogement/operations/{op.id}?statut=sans_proposition",
                   headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.page and "Avancement" not in r.page
    assert "Sans proposition (1)" in r.page and waiting.household.name not in r.page
    assert "HX-Request" in r.headers["Vary"]
    r = client.post(f"/relogement/operations/{op.id}/missions/nouvelle", data={
        "case_id": waiting.id, "provider": "Association Habitat", "kind": "mous_relogement",
        "subject": "Accompagnement", "started_on": "2026-03-01", "ends_on": "2026-02-01",
        "status": "en_cours", "pilot_id": coord.id})
    assert r.status_code == 422 and "La fin ne peut pas précéder le début" in r.page
    assert 'value="Association Habitat"' in r.page
    r = client.post(f"/relogement/operations/{op.id}/missions/nouvelle", data={
        "case_id": waiting.id, "provider": "Association Habitat", "kind": "mous_relogement",
        "subject": "Accompagnement", "started_on": "2026-03-01", "report_due_on": "2026-04-01",
        "status": "en_cours", "pilot_id": coord.id})
    assert r.status_code == 302
    page = client.get(f"/relogement/menages/{waiting.id}").page
    assert "Association Habitat — MOUS relogement" in page and "en retard" in page
