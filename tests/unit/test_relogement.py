"""Relogement: progress counts on a known operation (hand-computed), the dashboard's results,
services' refusals at their date boundaries, scoping across teams, the household timeline."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.households.models import Household
from app.relogement import queries, services
from app.relogement.models import RehousingCase
from app.relogement.services import Conflict, RelogementError
from app.timeline import events_for
from tests import factories

TODAY = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 9, 0)


@pytest.fixture
def relo(app):
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
def known(relo):
    """Six households in two buildings (and an empty third), as described in each test."""
    op = factories.operation(relo, name="Îlot connu")
    b1 = factories.building(op, address="1 rue Un")
    b2 = factories.building(op, address="2 rue Deux")
    b3 = factories.building(op, address="3 rue Trois")
    c = {}
    # c1: contacted 1 Jan, nothing proposed yet.
    c[1] = factories.rehousing_case(op, b1, first_contact_on=date(2026, 1, 1))
    # c2: contacted 1 March; 1st proposal refused, 2nd waiting.
    c[2] = factories.rehousing_case(op, b1, first_contact_on=date(2026, 3, 1), proposals=[
        (date(2026, 3, 10), "refusee", date(2026, 3, 20)),
        (date(2026, 6, 1), "en_attente", None)])
    # c3: 1st proposal accepted, moved and rehoused on 15 May.
    c[3] = factories.rehousing_case(
        op, b1, first_contact_on=date(2026, 2, 1),
        proposals=[(date(2026, 4, 1), "acceptee", date(2026, 4, 10))],
        moved_on=date(2026, 5, 15), outcome="reloge", outcome_on=date(2026, 5, 15),
        new_address="9 rue Neuve")
    # c4: never met.
    c[4] = factories.rehousing_case(op, b2)
    # c5: one refusal, then left without a solution on 1 June.
    c[5] = factories.rehousing_case(
        op, b2, first_contact_on=date(2026, 4, 1),
        proposals=[(date(2026, 4, 15), "refusee", date(2026, 4, 20))],
        outcome="parti_sans_solution", outcome_on=date(2026, 6, 1))
    # c6: contacted 20 June, proposal accepted, not moved yet.
    c[6] = factories.rehousing_case(op, b2, first_contact_on=date(2026, 6, 20), proposals=[
        (date(2026, 6, 22), "acceptee", date(2026, 6, 25))])
    return op, (b1, b2, b3), c


def _counts(p):
    return dict(households=p.households, with_proposal=p.with_proposal, proposals=p.proposals,
                accepted=p.accepted, refused=p.refused, pending=p.pending, rehoused=p.rehoused,
                departed=p.departed, other=p.other, remaining=p.remaining,
                not_contacted=p.not_contacted, median=p.median_days, longest=p.longest_days)


# ---- progress -------------------------------------------------------------------------------

def test_progress_of_a_known_operation(known):
    op, _, _ = known
    # Open cases with a first contact: c1 180 days (1 Jan -> 30 Jun), c2 121 days (1 Mar),
    # c6 10 days (20 Jun); c4 was never met; c3 and c5 have an outcome.
    assert _counts(queries.progress(op, TODAY)) == dict(
        households=6, with_proposal=4, proposals=5, accepted=2, refused=2, pending=1,
        rehoused=1, departed=1, other=0, remaining=4, not_contacted=1, median=121,
        longest=180)
    assert queries.progress(op, TODAY).percent_rehoused == 17  # 1 of 6


def test_progress_per_building_includes_an_empty_building(known):
    op, (b1, b2, b3), _ = known
    rows = dict((b.id, _counts(p)) for b, p in queries.progress_by_building(op, TODAY))
    assert rows[b1.id] == dict(households=3, with_proposal=2, proposals=3, accepted=1,
                               refused=1, pending=1, rehoused=1, departed=0, other=0,
                               remaining=2, not_contacted=0, median=150.5, longest=180)
    assert rows[b2.id] == dict(households=3, with_proposal=2, proposals=2, accepted=1,
                               refused=1, pending=0, rehoused=0, departed=1, other=0,
                               remaining=2, not_contacted=1, median=10, longest=10)
    assert rows[b3.id] == dict(households=0, with_proposal=0, proposals=0, accepted=0,
                               refused=0, pending=0, rehoused=0, departed=0, other=0,
                               remaining=0, not_contacted=0, median=None, longest=None)


def test_statuses_and_filter(known):
    op, (b1, _, _), c = known
    assert queries.status_counts(op) == {
        "sans_proposition": 2, "en_attente": 1, "refusees": 0, "acceptee": 1, "reloge": 1,
        "parti_sans_solution": 1, "autre": 0}
    assert {x.id for x in queries.cases(op, "sans_proposition")} == {c[1].id, c[4].id}
    assert {x.id for x in queries.cases(op, "acceptee")} == {c[6].id}
    assert {x.id for x in queries.cases(op, None, b1.id)} == {c[1].id, c[2].id, c[3].id}
    # The Python status of each row says the same as the SQL one.
    for code in queries.status_counts(op):
        assert all(x.status == code for x in queries.cases(op, code))


def test_an_empty_operation_counts_zero(relo):
    op = factories.operation(relo)
    p = queries.progress(op, TODAY)
    assert _counts(p) == dict(households=0, with_proposal=0, proposals=0, accepted=0,
                              refused=0, pending=0, rehoused=0, departed=0, other=0,
                              remaining=0, not_contacted=0, median=None, longest=None)
    assert p.percent_rehoused == 0
    assert queries.progress_by_building(op, TODAY) == []
    assert set(queries.status_counts(op).values()) == {0}


def test_results_for_the_dashboard_are_dated_and_scoped(known, relo, coord, team_b):
    op, (b1, _, _), c = known
    # Another team's rehoused household in the same period is never counted.
    other_team = factories.team("relogement", name="Relogement Ailleurs")
    other = factories.operation(other_team)
    factories.rehousing_case(other, factories.building(other), outcome="reloge",
                             outcome_on=date(2026, 5, 20), new_address="ailleurs")
    c[1].outcome, c[1].outcome_on, c[1].outcome_text = "autre", date(2026, 5, 31), "Décès"
    db.session.commit()
    assert queries.results(coord, date(2026, 5, 15), date(2026, 6, 1)) == {
        "reloge": 1, "parti_sans_solution": 1, "autre": 1, "total": 3}
    # Both ends are included; one day later at the start drops the 15 May rehousing.
    assert queries.results(coord, date(2026, 5, 16), date(2026, 6, 1))["reloge"] == 0
    assert queries.results(coord, date(2026, 5, 15), date(2026, 5, 31))["total"] == 2
    assert queries.results(coord, date(2026, 5, 1), date(2026, 6, 30),
                           team_ids=[other_team.id])["total"] == 0
    worker_b = factories.user((team_b, "worker"))
    assert queries.results(worker_b, date(2026, 1, 1), date(2026, 12, 31))["total"] == 0


# ---- services: validation -------------------------------------------------------------------

@pytest.fixture
def fresh(relo):
    """An operation with one building and one household met on 1 March."""
    op = factories.operation(relo, name="Îlot neuf")
    b = factories.building(op)
    row = factories.rehousing_case(op, b, first_contact_on=date(2026, 3, 1))
    return op, b, row


def _proposal(actor, row, day=date(2026, 6, 1), **kw):
    values = dict(address="4 rue du Lac", landlord="Isère Logis", typology="T3",
                  rent=Decimal("450.00"), proposed_on=day)
    values.update(kw)
    return services.add_proposal(actor, row, values, now=NOW, today=TODAY)


def _answer(actor, p, answer="acceptee", day=date(2026, 6, 10), reason=None, text=None,
            version=None):
    return services.answer_proposal(actor, p, answer=answer, answered_on=day, reason=reason,
                                    text=text, seen_version=version, now=NOW, today=TODAY)


def test_proposals_are_numbered_and_one_waits_at_a_time(fresh, relo_worker):
    _, _, row = fresh
    first = _proposal(relo_worker, row, date(2026, 3, 1))  # the first-contact day is allowed
    assert (first.rank, first.ordinal, first.answer) == (1, "1re", "en_attente")
    with pytest.raises(RelogementError, match="1re proposition attend encore une réponse"):
        _proposal(relo_worker, row)
    _answer(relo_worker, first, "refusee", date(2026, 3, 1), reason="localisation")
    second = _proposal(relo_worker, row, date(2026, 6, 1))
    assert (second.rank, second.ordinal) == (2, "2e")
    _answer(relo_worker, second, "acceptee", TODAY)  # today itself is allowed
    with pytest.raises(RelogementError, match="a été acceptée"):
        _proposal(relo_worker, row)


@pytest.mark.parametrize("values, field, message", [
    ({"proposed_on": date(2026, 2, 28)}, "proposed_on", "précéder le premier contact"),
    ({"proposed_on": date(2026, 7, 1)}, "proposed_on", "dans le futur"),
    ({"typology": "T9"}, "typology", "typologie"),
    ({"landlord": " "}, "landlord", "bailleur"),
])
def test_proposal_refusals(fresh, relo_worker, values, field, message):
    _, _, row = fresh
    with pytest.raises(RelogementError, match=message) as exc:
        _proposal(relo_worker, row, **values)
    assert exc.value.field == field
    db.session.expire_all()
    assert db.session.get(RehousingCase, row.id).proposals == []


@pytest.mark.parametrize("answer, day, reason, text, field, message", [
    ("acceptee", date(2026, 5, 31), None, None, "answered_on", "précéder la proposition"),
    ("acceptee", date(2026, 7, 1), None, None, "answered_on", "dans le futur"),
    ("refusee", date(2026, 6, 2), None, None, "refusal_reason", "motif du refus"),
    ("refusee", date(2026, 6, 2), "autre", None, "answer_text", "Précisez"),
    ("en_attente", date(2026, 6, 2), None, None, "answer", "Acceptée ou refusée"),
])
def test_answer_refusals(fresh, relo_worker, answer, day, reason, text, field, message):
    _, _, row = fresh
    p = _proposal(relo_worker, row, date(2026, 6, 1))
    with pytest.raises(RelogementError, match=message) as exc:
        _answer(relo_worker, p, answer, day, reason, text)
    assert exc.value.field == field


def test_answer_on_the_proposal_day_and_a_stale_version(fresh, relo_worker):
    _, _, row = fresh
    p = _proposal(relo_worker, row, date(2026, 6, 1))
    seen = p.version
    _answer(relo_worker, p, "refusee", date(2026, 6, 1), reason="etat", version=seen)
    with pytest.raises(Conflict):
        _answer(relo_worker, p, "acceptee", date(2026, 6, 2), version=seen)


def _outcome(actor, row, **kw):
    values = dict(moved_on=None, outcome=None, outcome_on=None, new_address=None,
                  outcome_text=None, seen_version=None)
    values.update(kw)
    return services.record_outcome(actor, row, now=NOW, today=TODAY, **values)


def test_move_and_outcome_rules(fresh, relo_worker):
    _, _, row = fresh
    with pytest.raises(RelogementError, match="Pas de déménagement sans proposition acceptée") \
            as exc:
        _outcome(relo_worker, row, moved_on=date(2026, 6, 20))
    assert exc.value.field == "moved_on"
    p = _proposal(relo_worker, row, date(2026, 6, 1))
    _answer(relo_worker, p, "acceptee", date(2026, 6, 10))
    with pytest.raises(RelogementError, match="précéder l'acceptation"):
        _outcome(relo_worker, row, moved_on=date(2026, 6, 9))
    with pytest.raises(RelogementError, match="adresse du nouveau logement") as exc:
        _outcome(relo_worker, row, moved_on=date(2026, 6, 10), outcome="reloge",
                 outcome_on=date(2026, 6, 10))
    assert exc.value.field == "new_address"
    with pytest.raises(RelogementError, match="indiquez la date du déménagement"):
        _outcome(relo_worker, row, outcome="reloge", outcome_on=date(2026, 6, 10),
                 new_address="4 rue du Lac")
    with pytest.raises(RelogementError, match="précéder le déménagement"):
        _outcome(relo_worker, row, moved_on=date(2026, 6, 12), outcome="reloge",
                 outcome_on=date(2026, 6, 11), new_address="4 rue du Lac")
    with pytest.raises(RelogementError, match="dans le futur"):
        _outcome(relo_worker, row, moved_on=date(2026, 6, 10), outcome="reloge",
                 outcome_on=date(2026, 7, 1), new_address="4 rue du Lac")
    # A planned move (in the future) alone is fine; the outcome comes after it.
    _outcome(relo_worker, row, moved_on=date(2026, 7, 15))
    assert row.moved_on == date(2026, 7, 15) and row.status == "acceptee"
    _outcome(relo_worker, row, moved_on=date(2026, 6, 10), outcome="reloge",
             outcome_on=date(2026, 6, 10), new_address="4 rue du Lac")
    assert row.status == "reloge"
    with pytest.raises(RelogementError, match="issue du relogement est déjà enregistrée"):
        _answer(relo_worker, p, "refusee", date(2026, 6, 11), reason="etat")


def test_other_outcomes(fresh, relo_worker):
    _, _, row = fresh
    with pytest.raises(RelogementError, match="Précisez l'issue"):
        _outcome(relo_worker, row, outcome="autre", outcome_on=date(2026, 6, 1))
    with pytest.raises(RelogementError, match="précéder le premier contact"):
        _outcome(relo_worker, row, outcome="parti_sans_solution",
                 outcome_on=date(2026, 2, 28))
    _outcome(relo_worker, row, outcome="parti_sans_solution", outcome_on=date(2026, 3, 1))
    assert row.status == "parti_sans_solution" and row.outcome_on == date(2026, 3, 1)


def test_add_case_links_an_existing_household_or_opens_a_case_file(fresh, relo, relo_worker,
                                                                   team_b):
    op, b, row = fresh
    existing = factories.household(relo, name="Famille Existante")
    values = {"building_id": b.id, "first_contact_on": TODAY}
    c = services.add_case(relo_worker, op, household=existing, values=values, now=NOW,
                          today=TODAY)
    assert c.household_id == existing.id
    with pytest.raises(RelogementError, match="pas encore dans l'opération"):
        services.add_case(relo_worker, op, household=existing, values=values, now=NOW,
                          today=TODAY)
    foreign = factories.household(team_b, name="Famille d'une autre équipe")
    with pytest.raises(RelogementError) as exc:
        services.add_case(relo_worker, op, household=foreign, values=values, now=NOW,
                          today=TODAY)
    assert exc.value.field == "household_id"
    with pytest.raises(RelogementError, match="dans le futur"):
        services.add_case(relo_worker, op, new_household={"last_name": "Nouveau"},
                          values={**values, "first_contact_on": date(2026, 7, 1)}, now=NOW,
                          today=TODAY)
    # Nothing was opened by the refused attempt.
    assert db.session.scalar(select(Household).where(Household.name == "Ménage Nouveau")) is None
    c = services.add_case(relo_worker, op, new_household={"first_name": "Awa",
                                                          "last_name": "Nouveau"},
                          values=values, now=NOW, today=TODAY)
    h = db.session.get(Household, c.household_id)
    assert h.name == "Ménage Nouveau" and h.team_id == relo.id
    assert [p.first_name for p in h.people] == ["Awa"]
    assert [e.programme for e in h.enrolments] == ["relogement"]


def test_building_and_mission_belong_to_the_coordination(fresh, coord, relo_worker):
    op, b, row = fresh
    with pytest.raises(RelogementError, match="coordination"):
        services.save_building(relo_worker, op, None, {"address": "5 rue", "dwellings": 4,
                                                       "works": "demolition"}, now=NOW)
    with pytest.raises(RelogementError, match="précéder l'acquisition") as exc:
        services.save_building(coord, op, None, {
            "address": "5 rue", "dwellings": 4, "works": "demolition",
            "acquired_on": date(2026, 1, 2), "works_on": date(2026, 1, 1)}, now=NOW)
    assert exc.value.field == "works_on"
    mission = dict(case_id=row.id, provider="Association Habitat", kind="mous_relogement",
                   subject="Accompagnement au relogement", started_on=date(2026, 1, 1),
                   report_due_on=date(2026, 6, 1), status="en_cours", pilot_id=coord.id)
    with pytest.raises(RelogementError, match="coordination"):
        services.save_mission(relo_worker, op, None, mission, now=NOW, today=TODAY)
    with pytest.raises(RelogementError, match="précéder le début") as exc:
        services.save_mission(coord, op, None, {**mission, "ends_on": date(2025, 12, 31)},
                              now=NOW, today=TODAY)
    assert exc.value.field == "ends_on"
    with pytest.raises(RelogementError, match="réception du rapport"):
        services.save_mission(coord, op, None, {**mission, "status": "terminee"}, now=NOW,
                              today=TODAY)
    with pytest.raises(RelogementError, match="pilotage"):
        services.save_mission(coord, op, None, {**mission, "pilot_id": relo_worker.id},
                              now=NOW, today=TODAY)
    m = services.save_mission(coord, op, None, mission, now=NOW, today=TODAY)
    assert m.report_late(date(2026, 6, 2)) and not m.report_late(date(2026, 6, 1))
    services.save_mission(coord, op, m, {"status": "terminee",
                                         "report_received_on": date(2026, 6, 5)},
                          m.version, now=NOW, today=TODAY)
    assert not m.report_late(TODAY) and m.version == 2


# ---- scoping and timeline -------------------------------------------------------------------

def test_another_team_sees_nothing(known, relo, team_b, coord):
    op, (b1, _, _), c = known
    outsider = factories.user((team_b, "coordinator"))
    volunteer = factories.user((relo, "volunteer"))
    for who in (outsider, volunteer):
        assert queries.operations(who) == []
        assert queries.results(who, date(2026, 1, 1), date(2026, 12, 31))["total"] == 0
    assert [o.id for o in queries.operations(coord)] == [op.id]
    with pytest.raises(RelogementError, match="pas suivie par votre équipe"):
        _proposal(outsider, c[1])


def test_the_household_timeline_shows_proposals_answers_move_and_outcome(app, known, relo,
                                                                         coord, team_b):
    op, _, c = known
    h = db.session.get(Household, c[3].household_id)
    with app.test_request_context():
        events = events_for(h, coord, kinds={"relogement"})
        outsider = factories.user((team_b, "coordinator"))
        assert events_for(h, outsider, kinds={"relogement"}) == []
        refused = [e for e in events_for(db.session.get(Household, c[5].household_id), coord,
                                         kinds={"relogement"}) if "refusée" in e.title]
    titles = [(e.when, e.title) for e in events]
    assert titles == [
        (date(2026, 5, 15), "Relogement terminé : relogé·e"),
        (date(2026, 5, 15), "Déménagement"),
        (date(2026, 4, 10), "1re proposition acceptée"),
        (date(2026, 4, 1), "1re proposition de relogement"),
        (date(2026, 2, 1), "Premier contact pour le relogement"),
    ]
    assert events[0].detail == "9 rue Neuve"
    assert events[0].url == f"/relogement/menages/{c[3].id}"
    assert refused[0].detail == "Loyer ou charges trop élevés"


def test_changes_are_audited(fresh, relo_worker):
    _, _, row = fresh
    p = _proposal(relo_worker, row)
    _answer(relo_worker, p)
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.actor_id == relo_worker.id)).all()
    assert actions == ["relogement.proposal", "relogement.answer"]
