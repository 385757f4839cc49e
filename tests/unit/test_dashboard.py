"""Indicators of the coordinator dashboard on a known fixture, with values computed by hand.

The fixture: a coordinator of an IML team (A) and an ASLL team (B) and of a permanence team (P);
a third team (C) they do not coordinate holds data that must never be counted. The period is
the first half of 2026 and "today" is 15 July 2026.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from app.dashboard import queries as q
from app.extensions import db
from app.housing import queries as housing_queries
from app.housing import rules as housing_rules
from app.housing.models import ArrearsStep, Payment, Place, Renewal
from tests import factories as f

TODAY = date(2026, 7, 15)
H1_2026 = q.Period(date(2026, 1, 1), date(2026, 6, 30))
EMPTY = q.Period(date(2020, 1, 1), date(2020, 12, 31))


@pytest.fixture
def world(app):
    """The known fixture (see the module docstring)."""
    a = f.team("iml", name="IML A")
    b = f.team("asll", name="ASLL B")
    p = f.team("permanence", name="Permanence P")
    c = f.team("lda", name="LDA C")
    lead = f.user((a, "coordinator"), (b, "coordinator"), (p, "coordinator"),
                  email="lead@exemple.test", display_name="Léa Lead")
    worker = f.user((a, "worker"), (b, "worker"), display_name="Wanda Worker")
    other = f.user((c, "coordinator"), email="other@exemple.test")

    def people(h, n):
        from app.households.models import Person
        h.people = [Person(first_name=f"P{i}") for i in range(n)]
        db.session.commit()
        return h

    h1 = people(f.household(a, worker, name="H1"), 2)
    h2 = people(f.household(a, worker, name="H2"), 1)
    h3 = people(f.household(a, name="H3"), 3)
    h4 = people(f.household(b, worker, name="H4"), 1)
    h5 = people(f.household(b, name="H5"), 1)
    h6 = people(f.household(c, name="H6"), 2)
    h7 = people(f.household(a, name="H7"), 1)
    h8 = people(f.household(a, name="H8"), 1)
    # H1: IML then also ASLL (a person in two programmes).
    f.enrolment(h1, date(2025, 10, 1), date(2026, 3, 31), exit_destination="logement_autonome")
    f.enrolment(h1, date(2026, 2, 1), team=b)
    f.enrolment(h2, date(2026, 4, 10))
    f.enrolment(h3, date(2025, 1, 1), date(2025, 12, 31), exit_destination="hebergement")
    f.enrolment(h4, date(2026, 6, 30))  # last day of the period: counted
    f.enrolment(h5, date(2026, 7, 1))  # the day after: not counted
    f.enrolment(h6, date(2026, 2, 1), date(2026, 5, 1), exit_destination="hebergement")
    f.enrolment(h7, date(2026, 1, 1), date(2026, 1, 1))  # one day, destination unknown

    # Visits (team A), and one of team C on the same day.
    v1 = f.visit(h1, worker, date(2026, 2, 10))
    f.report(v1, worker, orientation="CCAS de secteur")
    f.visit(h2, worker, date(2026, 2, 11), place="bureau", status="absent")
    f.visit(h2, worker, date(2026, 3, 5))  # still planned: its report is missing
    f.visit(h2, worker, date(2026, 8, 1))  # after the period
    vc = f.visit(h6, other, date(2026, 2, 10))
    f.report(vc, other, orientation="Hôpital")

    # Rights.
    f.right(h1, "apl", "accorde", filed_on=date(2026, 1, 15), decided_on=date(2026, 3, 1))
    f.right(h2, "dls", "depose", filed_on=date(2026, 5, 1))
    f.right(h3, "ame", "depose", filed_on=date(2026, 2, 1))  # H3 not followed in the period
    f.right(h6, "apl", "accorde", filed_on=date(2026, 2, 1), decided_on=date(2026, 3, 1))

    # Permanence: one session with two orientations, and one of team C's kind.
    s = f.dropin_session(p, date(2026, 3, 2))
    arr = f.arrival(s)
    f.orientation(arr, "pass")
    f.orientation(arr, "cpam")
    f.arrival(s, f.dropin_person(p, "Bis"))
    later_session = f.dropin_session(p, date(2026, 7, 6))
    f.orientation(f.arrival(later_session), "pass")  # after the period

    # Housing: flat F1 (team A), taken on 1 January; C1 then C2.
    f1 = f.flat(a, managed_since=date(2026, 1, 1))
    c1 = f.contract(f1, h1, start_on=date(2026, 1, 11), ended_on=date(2026, 3, 31),
                    exit_destination="logement_social")
    c2 = f.contract(f1, h2, start_on=date(2026, 4, 10))
    # A collective place (two places) taken on 1 June; one place let from 11 June.
    f2 = f.flat(a, kind="collectif", name="Les Tilleuls", managed_since=date(2026, 6, 1))
    p1 = Place(flat_id=f2.id, label="Chambre 1")
    p2 = Place(flat_id=f2.id, label="Chambre 2")
    db.session.add_all([p1, p2])
    db.session.commit()
    f.contract(f2, h8, start_on=date(2026, 6, 11), kind="occupation", place=p1)
    # A flat of team C, empty all the time: never counted.
    f.flat(c, managed_since=date(2026, 1, 1))
    # Payments and the unpaid-rent procedure.
    db.session.add_all([
        Payment(contract_id=c1.id, paid_on=date(2026, 2, 1), amount=Decimal("450.00"),
                method="virement"),
        Payment(contract_id=c1.id, paid_on=date(2026, 3, 1), amount=Decimal("450.00"),
                method="virement"),
        Payment(contract_id=c1.id, paid_on=date(2026, 3, 2), amount=Decimal("99.00"),
                method="cheque", cancelled_at=datetime(2026, 3, 3), cancel_reason="erreur"),
        ArrearsStep(contract_id=c2.id, kind="relance_amiable", done_on=date(2026, 5, 2)),
    ])
    db.session.commit()

    # ASLL measures (team B).
    f.measure(b, h1, worker, notified_on=date(2026, 1, 15), contract_signed_on=date(2026, 3, 1))
    f.measure(b, h4, notified_on=date(2026, 6, 20))
    f.measure(b, h1, worker, notified_on=date(2025, 6, 1), contract_signed_on=date(2025, 7, 1),
              ended_on=date(2026, 2, 28), outcome="terminee")

    # Alerts: two urgent and one snoozed of A; one of C.
    f.alert(a, "urgent")
    f.alert(a, "urgent")
    f.alert(a, "soon", snoozed_until=TODAY + timedelta(days=3))
    f.alert(b, "later")
    f.alert(c, "urgent")
    return {"a": a, "b": b, "c": c, "p": p, "lead": lead, "worker": worker, "other": other,
            "h1": h1, "f1": f1, "c2": c2}


def ids_of(world):
    return {world["a"].id, world["b"].id, world["p"].id}


def test_scope_is_the_coordinator_teams_only(world):
    scope = q.scope_for(world["lead"])
    assert scope.ids == ids_of(world)
    assert q.scope_for(world["lead"], programme="asll").ids == {world["b"].id}
    assert q.scope_for(world["worker"]).ids == set()  # workers coordinate nothing


def test_followed_entries_exits_and_length(world):
    rows = {r.programme: r for r in q.followed(ids_of(world), H1_2026)}
    iml, asll, total = rows["iml"], rows["asll"], rows[None]
    # IML: H1 (2 people), H2, H7; H3 ended before the period.
    assert (iml.households, iml.people, iml.entries, iml.exits) == (3, 4, 2, 2)
    # H1: 1 Oct 2025 -> 31 Mar 2026 = 182 days; H7: one day. (182 + 1) / 2.
    assert iml.avg_days == 91.5
    # ASLL: H1 again (entered 1 Feb) and H4 (entered on the last day); H5 after the period.
    assert (asll.households, asll.people, asll.entries, asll.exits, asll.avg_days) == \
        (2, 3, 2, 0, None)
    # H1 is in both programmes but counts once in the total; H6 (team C) never.
    assert (total.households, total.people, total.entries, total.exits, total.avg_days) == \
        (4, 5, 4, 2, 91.5)


def test_empty_period_counts_nothing(world):
    ids = ids_of(world)
    total = q.followed(ids, EMPTY)[-1]
    assert (total.households, total.people, total.entries, total.exits, total.avg_days) == \
        (0, 0, 0, 0, None)
    assert q.exits_by_destination(ids, EMPTY) == {}
    assert q.visits_by_place(ids, EMPTY, TODAY) == {}
    assert q.rights(ids, EMPTY) == {}
    assert q.orientations(ids, EMPTY) == {}
    assert q.vacancy_total(ids, EMPTY, TODAY).managed == 0
    assert q.arrears(ids, EMPTY).payments == 0
    assert q.measures(ids, EMPTY)[-1].running == 0
    assert all(m.visits_done == m.entries == m.exits == 0
               for m in q.activity_by_month(ids, EMPTY))


def test_exits_visits_rights_orientations(world):
    ids = ids_of(world)
    assert q.exits_by_destination(ids, H1_2026) == {"logement_autonome": 1, None: 1}
    assert q.housing_exits_by_destination(ids, H1_2026) == {"logement_social": 1}
    assert q.visits_by_place(ids, H1_2026, TODAY) == {
        ("domicile", "faite"): 1, ("bureau", "absent"): 1, ("domicile", "sans_compte_rendu"): 1}
    # H3's AME is left out: H3 was not followed in the period; H6's APL belongs to team C.
    assert q.rights(ids, H1_2026) == {"apl": (1, 1, 0), "dls": (1, 0, 0)}
    assert q.orientations(ids, H1_2026) == {"pass": 1, "cpam": 1, "visite": 1}
    assert q.permanence(ids, H1_2026) == q.DropIn(sessions=1, arrivals=2, people=2)


def test_activity_by_month(world):
    months = {m.month.month: m for m in q.activity_by_month(ids_of(world), H1_2026)}
    assert len(months) == 6
    assert [months[i].visits_done for i in range(1, 7)] == [0, 1, 0, 0, 0, 0]
    assert [months[i].entries for i in range(1, 7)] == [1, 1, 0, 1, 0, 1]
    assert [months[i].exits for i in range(1, 7)] == [1, 0, 1, 0, 0, 0]
    assert [months[i].arrivals for i in range(1, 7)] == [0, 0, 2, 0, 0, 0]


def test_vacancy_by_hand_and_as_the_housing_page_counts_it(world):
    ids = ids_of(world)
    v = q.vacancy_total(ids, H1_2026, TODAY)
    # F1: 181 days managed, 10 + 9 empty. Les Tilleuls: 2 places × 30 days, 20 occupied.
    assert (v.managed, v.vacant) == (181 + 60, 19 + 40)
    assert v.rate == round(100 * 59 / 241, 1)
    # The housing vacancy page (rules in Python) says the same for January to June.
    rows = housing_queries.vacancy(world["lead"], 2026, TODAY)
    assert sum(sum(r.months[:6]) for r in rows if r.flat.team_id in ids) == 59
    march = dict(q.vacancy_by_month(ids, H1_2026, TODAY))[date(2026, 3, 1)]
    assert (march.managed, march.vacant) == (31, 0)


def test_vacancy_of_a_running_contract_stops_today(world):
    ids = {world["a"].id}
    period = q.Period(date(2026, 7, 1), date(2026, 12, 31))
    v = q.vacancy_total(ids, period, TODAY)
    # Up to 15 July: F1 occupied; Les Tilleuls: place 1 occupied, place 2 empty 15 days.
    assert (v.managed, v.vacant) == (15 * 3, 15)


def test_leases_ending_match_the_housing_deadlines(world):
    a = world["a"]
    h = f.household(a, name="H9")
    f3 = f.flat(a)
    c3 = f.contract(f3, h, start_on=date(2026, 3, 1))  # ends 31 August 2026
    f4 = f.flat(a)
    c4 = f.contract(f4, f.household(a), start_on=date(2025, 8, 31))  # ends 28 Feb 2026...
    db.session.add(Renewal(contract_id=c4.id, number=1, decided_on=date(2026, 2, 1),
                           decided_by="Léa", reason="Projet en cours",
                           new_end_on=date(2026, 8, 30)))
    db.session.commit()  # ...renewed once: 31 Aug 2025 + 12 months ends 30 Aug 2026
    for today in (date(2026, 7, 1), date(2026, 7, 2), TODAY, date(2026, 8, 30),
                  date(2026, 8, 31), date(2026, 9, 1), date(2026, 10, 9)):
        mine = {(e.contract_id, e.end_on) for e in q.leases_ending({a.id}, today, 60)}
        theirs = {(d.contract_id, d.due_on) for d in housing_queries.deadlines({a.id}, today)
                  if d.kind == "contract_end" and today <= d.due_on <= today + timedelta(60)}
        assert mine == theirs, today
    assert {e.contract_id for e in q.leases_ending({a.id}, TODAY, 60)} == {c3.id, c4.id}
    assert housing_rules.period_end(date(2025, 8, 31), 12) == date(2026, 8, 30)


def test_arrears_and_measures(world):
    ids = ids_of(world)
    a = q.arrears(ids, H1_2026)
    assert (a.received, a.payments, a.contracts, a.steps) == \
        (Decimal("900.00"), 2, 1, {"relance_amiable": 1})
    rows = q.measures(ids, H1_2026)
    total = rows[-1]
    assert (total.running, total.notified, total.signed, total.ended, total.renewed) == \
        (3, 2, 1, 1, 0)
    assert q.measures_by_phase(ids, TODAY) == {"a_confirmer": 1, "phase1": 0, "phase2": 1}


def test_dashboard_counts_today(world):
    ids = ids_of(world)
    assert q.alerts_by_urgency(ids, TODAY) == {"urgent": 2, "soon": 0, "later": 1}
    week = q.week_of(TODAY)
    assert (week.start, week.end) == (date(2026, 7, 13), date(2026, 7, 19))
    assert q.flats_by_status(ids) == {"vacant": 2}
    loads = {r.name: r for r in q.caseload(ids, date(2026, 2, 20))}
    wanda = loads["Wanda Worker"]
    # H1, H2 (team A) and H4 (team B); measures running on 20 Feb; visits of February.
    assert (wanda.households, wanda.measures, wanda.visits, wanda.visits_done) == (3, 2, 2, 1)
    assert loads["Sans référent·e"].households == 4  # H3, H5, H7, H8


def test_by_team_counts_a_household_of_two_teams_once_in_the_total(world):
    rows = q.by_team(q.scope_for(world["lead"]).teams, date(2026, 3, 15))
    by_name = {r.team.name if r.team else "total": r for r in rows}
    # On 15 March, H1 is followed by A (IML until 31 March) and by B (ASLL since 1 February).
    assert by_name["IML A"].followed == 1
    assert by_name["ASLL B"].followed == 1
    assert by_name["total"].followed == 1
    assert by_name["total"].urgent_alerts == 2  # team C's urgent alert is not counted


def test_admissions_pending_follow_the_last_decision(world):
    from app.housing.models import AdmissionDecision

    a = world["a"]
    f.application(a)  # received
    waiting = f.application(a, interview_on=date(2026, 1, 10))
    db.session.add_all([
        AdmissionDecision(application_id=waiting.id, commission_on=date(2026, 1, 20),
                          members="CCAS", decision="attente"),
        AdmissionDecision(application_id=waiting.id, commission_on=date(2026, 2, 20),
                          members="CCAS", decision="admis")])
    f.application(a, withdrawn_on=date(2026, 2, 1))
    f.application(world["c"])
    db.session.commit()
    assert q.admissions_pending({a.id}) == {"recue": 1, "entretien": 0, "attente": 0,
                                            "admis": 1}
    assert [ap.status for ap in q.commission_candidates({a.id})] == ["recue", "admis"]
    assert q.decisions_count({a.id}, H1_2026) == {"attente": 1, "admis": 1}


def test_commission_places(world):
    rows = q.commission_places({world["a"].id}, TODAY)
    assert [(r.place.label, r.contract is not None, r.vacant_since) for r in rows] == \
        [("Chambre 1", True, None), ("Chambre 2", False, date(2026, 6, 1))]


def test_exits_declared_to_the_siao(world):
    ids = ids_of(world)
    assert q.siao_declarations(ids, H1_2026) == (0, None)
    c1 = next(c for c in world["f1"].contracts if c.ended_on)
    c1.siao_declared_on = date(2026, 3, 1)  # 30 days before the exit on 31 March
    db.session.commit()
    assert q.siao_declarations(ids, H1_2026) == (1, 30.0)
    assert q.siao_declarations(ids, EMPTY) == (0, None)


def test_arrears_owed_today_by_hand(world):
    ids = ids_of(world)
    # C2 (H2 in F1) since 10 April, 400 € + 50 € a month, nothing paid: April prorated 21/30
    # (280 + 35 = 315), then May, June and July at 450: 1 665 €, above one month since 1 May.
    # H8 in Chambre 1 since 11 June: June 20/30 (266,67 + 33,33 = 300) and July: 750 €,
    # above one month since 1 July. C1 has ended; team C has no contract.
    assert q.arrears_today(ids, TODAY) == q.Owed(2, Decimal("2415.00"))
    rows = [(c.household.name, since, owed) for c, since, owed in q.list_arrears(ids, TODAY)]
    assert rows == [("H2", date(2026, 5, 1), Decimal("1665.00")),
                    ("H8", date(2026, 7, 1), Decimal("750.00"))]
    # On 15 May only C2 has started: 315 + 450.
    assert q.arrears_today(ids, date(2026, 5, 15)) == q.Owed(1, Decimal("765.00"))
    assert q.arrears_today({world["b"].id}, TODAY) == q.Owed(0, Decimal("0.00"))
    assert q.arrears_today(set(), TODAY) == q.Owed(0, Decimal("0.00"))


def test_the_caseload_lists_match_its_figures(world):
    ids, day = ids_of(world), date(2026, 2, 20)
    wanda = world["worker"].id
    assert [h.name for h in q.list_households(ids, wanda)] == ["H1", "H2", "H4"]
    assert [h.name for h in q.list_households(ids, None, True)] == ["H3", "H5", "H7", "H8"]
    # Running on 20 February: H1's two measures (one ends on 28 February) are Wanda's; H4's
    # has nobody.
    assert [m.household_id for m in q.list_measures(ids, day, None, wanda)] == \
        [world["h1"].id, world["h1"].id]
    assert len(q.list_measures(ids, day, None, None, True)) == 1
    # Team C's coordinator refers nobody in these teams.
    assert q.list_households(ids, world["other"].id) == []
    assert q.worker_name(ids, wanda) == "Wanda Worker"
    assert q.worker_name(ids, world["other"].id) is None


def test_alerts_about_an_archived_file_leave_the_figures(world):
    """The alert centre no longer lists an archived file's alerts: nor do the dashboard's
    counts (alerts by urgency, the per-team table)."""
    from app.privacy import services as privacy
    from app.timeutil import utcnow

    ids = ids_of(world)
    f.alert(world["a"], "urgent", household_id=world["h1"].id)
    assert q.alerts_by_urgency(ids, TODAY)["urgent"] == 3
    privacy.archive(world["h1"], None, utcnow())
    db.session.commit()
    assert q.alerts_by_urgency(ids, TODAY) == {"urgent": 2, "soon": 0, "later": 1}
    rows = q.by_team(q.scope_for(world["lead"]).teams, TODAY)
    assert next(r for r in rows if r.team is None).urgent_alerts == 2
