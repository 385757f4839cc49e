"""ASLL measures: phase dates at their boundaries, services' refusals, support days, alert rules."""
from __future__ import annotations

from datetime import date, datetime, time

import pytest

from app.alerts import rules as alert_rules
from app.measures import rules, services
from app.measures.models import Measure
from app.measures.services import MeasureError
from tests import factories

NOW = datetime(2026, 3, 2, 9, 0)


def M(**kw) -> Measure:
    """An unsaved measure with only its dates (for the pure rules)."""
    kw.setdefault("received_on", kw.get("notified_on"))
    return Measure(**kw)


# -- Pure date rules --------------------------------------------------------------------------


@pytest.mark.parametrize("notified, due", [
    (date(2026, 1, 15), date(2026, 3, 15)),
    (date(2025, 12, 31), date(2026, 2, 28)),   # end of month: last day of February
    (date(2027, 12, 31), date(2028, 2, 29)),   # leap year
    (date(2026, 12, 30), date(2027, 2, 28)),
])
def test_phase1_lasts_two_calendar_months(notified, due):
    assert rules.phase1_due(notified) == due


@pytest.mark.parametrize("signed, end", [
    (date(2026, 3, 10), date(2026, 12, 10)),
    (date(2026, 5, 31), date(2027, 2, 28)),
    (date(2027, 5, 31), date(2028, 2, 29)),    # leap year
])
def test_phase2_lasts_nine_months_from_the_contract(signed, end):
    assert rules.phase2_end(signed) == end


def test_phase1_is_exceeded_only_the_day_after_two_months():
    m = M(notified_on=date(2025, 12, 31))
    assert rules.status(m, date(2026, 2, 28)).phase1_exceeded is False
    s = rules.status(m, date(2026, 3, 1))
    assert s.phase == "phase1" and s.phase1_exceeded is True


def test_a_contract_signed_late_keeps_phase1_flagged():
    on_time = M(notified_on=date(2026, 1, 15), contract_signed_on=date(2026, 3, 15))
    late = M(notified_on=date(2026, 1, 15), contract_signed_on=date(2026, 3, 16))
    assert rules.status(on_time, date(2026, 4, 1)).phase1_exceeded is False
    assert rules.status(late, date(2026, 4, 1)).phase1_exceeded is True
    assert rules.status(late, date(2026, 4, 1)).phase == "phase2"


def test_phase2_is_exceeded_the_day_after_nine_months():
    m = M(notified_on=date(2027, 4, 1), contract_signed_on=date(2027, 5, 31))
    assert rules.status(m, date(2028, 2, 29)).phase2_exceeded is False
    assert rules.status(m, date(2028, 3, 1)).phase2_exceeded is True


def test_phases_in_order():
    m = Measure(notified_on=date(2026, 1, 15))
    assert rules.status(m, date(2026, 1, 20)).phase == "a_confirmer"
    m.received_on = date(2026, 1, 20)
    assert rules.status(m, date(2026, 1, 20)).phase == "phase1"
    m.contract_signed_on = date(2026, 2, 10)
    assert rules.status(m, date(2026, 2, 10)).phase == "phase2"
    m.ended_on = date(2026, 6, 30)
    assert rules.status(m, date(2026, 6, 29)).phase == "phase2"
    assert rules.status(m, date(2026, 6, 30)).phase == "terminee"


@pytest.mark.parametrize("notified, ended, month, days", [
    (date(2026, 1, 15), None, date(2026, 1, 1), 17),     # 15 to 31 January
    (date(2026, 1, 15), None, date(2026, 2, 1), 28),
    (date(2028, 1, 1), None, date(2028, 2, 1), 29),       # leap February
    (date(2026, 1, 15), date(2026, 3, 10), date(2026, 3, 1), 10),
    (date(2026, 1, 15), None, date(2025, 12, 1), 0),      # before the notification
    (date(2026, 1, 15), date(2026, 3, 10), date(2026, 4, 1), 0),
])
def test_support_days_in_a_month(notified, ended, month, days):
    assert rules.support_days(Measure(notified_on=notified, ended_on=ended), month) == days


# -- Services ----------------------------------------------------------------------------------


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


def test_notify_confirm_assign_contract_and_renew(asll, coord, asll_worker):
    h = factories.household(asll, name="Famille Essai")
    m = services.notify(actor=coord, now=NOW, team=asll, household=h, reference=" FSL-1 ",
                        notified_on=date(2026, 1, 15), funder="departement",
                        prescriber="MDS", objectives="Budget")
    assert m.reference == "FSL-1" and m.received_on is None
    services.confirm_and_assign(m, actor=coord, now=NOW, received_on=date(2026, 1, 20),
                                worker=asll_worker)
    assert m.worker_id == asll_worker.id
    services.sign_contract(m, actor=asll_worker, now=NOW, signed_on=date(2026, 3, 1))
    assert rules.status(m, date(2026, 3, 2)).phase2_end == date(2026, 12, 1)
    renewal = services.end(m, actor=asll_worker, now=NOW, ended_on=date(2026, 12, 1),
                           outcome="renouvelee", reason="Objectifs budget en cours")
    assert renewal.notified_on == date(2026, 12, 2) and renewal.renewal_of_id == m.id
    assert renewal.worker_id == asll_worker.id and m.outcome == "renouvelee"


def test_only_the_coordination_assigns_and_only_to_a_team_member(asll, coord, asll_worker,
                                                                 team_b):
    m = factories.measure(asll, factories.household(asll))
    with pytest.raises(MeasureError):
        services.confirm_and_assign(m, actor=asll_worker, now=NOW, received_on=date(2026, 1, 20),
                                    worker=asll_worker)
    outsider = factories.user((team_b, "worker"))
    with pytest.raises(MeasureError, match="équipe"):
        services.confirm_and_assign(m, actor=coord, now=NOW, received_on=date(2026, 1, 20),
                                    worker=outsider)
    with pytest.raises(MeasureError, match="précéder"):
        services.confirm_and_assign(m, actor=coord, now=NOW, received_on=date(2026, 1, 14),
                                    worker=asll_worker)


def test_contract_needs_a_confirmed_measure_and_a_date_after_the_notification(asll, coord):
    m = factories.measure(asll, factories.household(asll))
    with pytest.raises(MeasureError, match="réception"):
        services.sign_contract(m, actor=coord, now=NOW, signed_on=date(2026, 2, 1))
    m.received_on = date(2026, 1, 15)
    with pytest.raises(MeasureError, match="précéder"):
        services.sign_contract(m, actor=coord, now=NOW, signed_on=date(2026, 1, 14))


def test_notify_refuses_a_team_that_is_not_asll(team_a, asll, coord):
    boss = factories.user((team_a, "coordinator"))
    with pytest.raises(MeasureError):
        services.notify(actor=boss, now=NOW, team=team_a, household=factories.household(team_a),
                        reference="X", notified_on=date(2026, 1, 1), funder="metropole",
                        prescriber="P", objectives="O")


# -- Alert rules -------------------------------------------------------------------------------


def candidates(code: str, today: date, leads=None):
    now = datetime.combine(today, time(8, 0))
    return list(alert_rules.RULES[code].fn(alert_rules.Context(today, now, leads or {})))


def test_phase1_alert_from_15_days_before_the_two_months(asll, asll_worker):
    m = factories.measure(asll, factories.household(asll), asll_worker,
                          notified_on=date(2025, 12, 31))  # phase 1 due 28 February 2026
    assert candidates("asll_phase1", date(2026, 2, 12)) == []
    [c] = candidates("asll_phase1", date(2026, 2, 13))
    assert (c.object_type, c.object_id, c.due_on, c.stage) == ("measure", m.id,
                                                              date(2026, 2, 28), "j15")
    assert c.recipients == (asll_worker.id,)
    assert candidates("asll_phase1", date(2026, 2, 28))[0].stage == "jour"
    late = candidates("asll_phase1", date(2026, 3, 1))[0]
    assert late.stage == "depasse" and "dépassée" in late.label
    m.contract_signed_on = date(2026, 2, 20)
    from app.extensions import db
    db.session.commit()
    assert candidates("asll_phase1", date(2026, 2, 21)) == []


def test_phase1_alert_lead_time_set_by_the_team(asll, asll_worker):
    factories.measure(asll, factories.household(asll), asll_worker,
                      notified_on=date(2026, 1, 15))
    leads = {(asll.id, "asll_phase1"): 30}
    assert candidates("asll_phase1", date(2026, 2, 12), leads) == []   # 31 days left
    assert len(candidates("asll_phase1", date(2026, 2, 13), leads)) == 1  # 30 days left
    assert candidates("asll_phase1", date(2026, 2, 27)) == []  # default 15: not yet


def test_phase2_alert_at_30_days_before_nine_months(asll, asll_worker, coord):
    factories.measure(asll, factories.household(asll), None, notified_on=date(2027, 4, 1),
                      received_on=date(2027, 4, 2), contract_signed_on=date(2027, 5, 31))
    # phase 2 ends 29 February 2028 (leap year); nobody assigned: the coordination holds it
    assert candidates("asll_phase2", date(2028, 1, 29)) == []
    [c] = candidates("asll_phase2", date(2028, 1, 30))
    assert c.due_on == date(2028, 2, 29) and c.recipients == (coord.id,)
    assert candidates("asll_phase2", date(2028, 3, 1))[0].stage == "depasse"


def test_ended_measures_raise_no_alert(asll, asll_worker):
    factories.measure(asll, factories.household(asll), asll_worker,
                      notified_on=date(2026, 1, 15), contract_signed_on=date(2026, 2, 1),
                      ended_on=date(2026, 9, 1), outcome="terminee", end_reason="Objectifs")
    assert candidates("asll_phase2", date(2026, 10, 31)) == []
    assert candidates("asll_link_sheet", date(2026, 10, 31)) == []


def test_link_sheet_due_in_the_last_five_days_of_the_month_until_written(asll, asll_worker):
    m = factories.measure(asll, factories.household(asll), asll_worker,
                          notified_on=date(2026, 1, 15))
    assert candidates("asll_link_sheet", date(2026, 2, 22)) == []  # 6 days left
    [c] = candidates("asll_link_sheet", date(2026, 2, 23))  # 5 days left: the lead time
    assert c.due_on == date(2026, 2, 28) and "02/2026" in c.label
    assert candidates("asll_link_sheet", date(2026, 2, 28))[0].urgency == "urgent"
    services.save_sheet(m, actor=asll_worker, now=NOW, month=date(2026, 2, 1),
                        summary="Deux visites", next_steps=None)
    assert candidates("asll_link_sheet", date(2026, 2, 28)) == []
    assert len(candidates("asll_link_sheet", date(2026, 3, 31))) == 1


def test_link_sheet_not_due_before_receipt_is_confirmed(asll):
    factories.measure(asll, factories.household(asll), notified_on=date(2026, 1, 15))
    assert candidates("asll_link_sheet", date(2026, 1, 31)) == []


def test_link_sheet_in_a_leap_february(asll, asll_worker):
    factories.measure(asll, factories.household(asll), asll_worker, notified_on=date(2028, 1, 3))
    assert candidates("asll_link_sheet", date(2028, 2, 23)) == []
    assert candidates("asll_link_sheet", date(2028, 2, 24))[0].due_on == date(2028, 2, 29)


# -- Which households a measure can be notified for ----------------------------------------------


def test_a_measure_is_only_for_a_household_the_asll_team_sees(asll, coord):
    """Owned by the ASLL team or enrolled with it: offered and accepted; a household of another
    team the coordinator also runs is neither (the ASLL workers could not open its file)."""
    from app.measures import queries

    village = factories.team("village", name="Village Test")
    boss = factories.user((asll, "coordinator"), (village, "coordinator"))
    own = factories.household(asll, name="Famille ASLL")
    shared = factories.household(village, name="Famille inscrite ASLL")
    factories.enrolment(shared, date(2026, 1, 5), team=asll)
    village_only = factories.household(village, name="Famille du Village")

    offered = {h.name for h in queries.households_for(boss)}
    assert offered == {"Famille ASLL", "Famille inscrite ASLL"}
    assert queries.households_for(factories.user((village, "coordinator"))) == []  # no ASLL

    def notify(household):
        return services.notify(actor=boss, now=NOW, team=asll, household=household,
                               reference="FSL-7", notified_on=date(2026, 1, 15),
                               funder="metropole", prescriber="MDS", objectives="Budget")

    assert notify(own).household_id == own.id
    assert notify(shared).household_id == shared.id
    with pytest.raises(MeasureError, match="pas suivi par cette équipe ASLL") as refused:
        notify(village_only)
    assert refused.value.field == "household_id"
    # an enrolment that ended still opens the case file to the team (same rule as the file)
    former = factories.household(village, name="Ancien ASLL")
    factories.enrolment(former, date(2025, 1, 5), date(2025, 12, 31), team=asll)
    assert notify(former).household_id == former.id


# -- The month's activity drawn for the fiche de lien ----------------------------------------------


def test_the_fiche_de_lien_keeps_only_the_measure_teams_visits_and_notes(asll, coord,
                                                                        asll_worker):
    """A household followed by IML and enrolled in ASLL: IML's visits and notes stay out."""
    from app.extensions import db
    from app.households.models import Note, Right
    from app.measures import queries

    iml = factories.team("iml", name="IML Test")
    iml_worker = factories.user((iml, "worker"), display_name="Ivan IML")
    h = factories.household(iml, name="Famille partagée")
    factories.enrolment(h, date(2026, 1, 5), team=asll)
    m = factories.measure(asll, h, asll_worker, notified_on=date(2026, 1, 15))
    ours = factories.visit(h, asll_worker, day=date(2026, 3, 4), purpose="Point budget ASLL")
    ours.team_id = asll.id  # the factory plans visits for the owning team (IML here)
    factories.report(ours, asll_worker)
    theirs = factories.visit(h, iml_worker, day=date(2026, 3, 5), purpose="Visite IML du bail")
    factories.report(theirs, iml_worker)
    db.session.add_all([
        Note(household_id=h.id, author_id=asll_worker.id, title="Note ASLL", body="…",
             written_on=date(2026, 3, 6), confidentiality="equipe"),
        Note(household_id=h.id, author_id=iml_worker.id, title="Note IML", body="…",
             written_on=date(2026, 3, 7), confidentiality="equipe"),
        Right(household_id=h.id, kind="apl", status="depose", filed_on=date(2026, 3, 8))])
    db.session.commit()
    a = queries.month_activity(m, date(2026, 3, 1))
    assert [v.purpose for v in a.visits] == ["Point budget ASLL"]
    assert [n.title for n in a.notes] == ["Note ASLL"]
    assert [r.kind for r in a.rights] == ["apl"]  # the household's rights, not a team's


# -- Renewal: phase 2 straight away ----------------------------------------------------------------


def test_a_renewal_starts_in_phase2_for_nine_months_from_its_first_day(asll, coord,
                                                                       asll_worker):
    m = factories.measure(asll, factories.household(asll), asll_worker,
                          notified_on=date(2026, 6, 1), contract_signed_on=date(2026, 8, 30))
    renewal = services.end(m, actor=asll_worker, now=NOW, ended_on=date(2027, 5, 30),
                           outcome="renouvelee", reason="Objectifs logement en cours")
    assert renewal.is_renewal and renewal.renewal_of.id == m.id
    assert (renewal.notified_on, renewal.received_on, renewal.contract_signed_on) == (
        date(2027, 5, 31), date(2027, 5, 31), date(2027, 5, 31))
    first = rules.status(renewal, date(2027, 5, 31))
    assert first.phase == "phase2" and first.phase2_end == date(2028, 2, 29)  # leap year
    # two months after its start it has no phase 1 to exceed
    later = rules.status(renewal, date(2027, 8, 1))
    assert later.phase == "phase2" and later.phase1_exceeded is False
    assert rules.status(renewal, date(2028, 2, 29)).phase2_exceeded is False
    assert rules.status(renewal, date(2028, 3, 1)).phase2_exceeded is True
    # support days follow on without overlap: the first measure's last day, then the renewal
    assert rules.support_days(m, date(2027, 5, 1)) == 30
    assert rules.support_days(renewal, date(2027, 5, 1)) == 1


def test_a_renewal_raises_phase2_alerts_never_phase1_ones(asll, coord, asll_worker):
    m = factories.measure(asll, factories.household(asll), asll_worker,
                          notified_on=date(2026, 6, 1), contract_signed_on=date(2026, 8, 30))
    renewal = services.end(m, actor=asll_worker, now=NOW, ended_on=date(2027, 5, 30),
                           outcome="renouvelee", reason="Objectifs logement en cours")
    for day in (date(2027, 7, 17), date(2027, 7, 31), date(2027, 8, 1)):  # around 2 months
        assert candidates("asll_phase1", day) == [], day
    assert candidates("asll_phase2", date(2028, 1, 29)) == []
    [c] = candidates("asll_phase2", date(2028, 1, 30))  # 30 days before the nine months
    assert (c.object_id, c.due_on) == (renewal.id, date(2028, 2, 29))
    assert candidates("asll_phase2", date(2028, 3, 1))[0].stage == "depasse"


def test_a_renewal_keeps_its_carried_over_contract(asll, coord, asll_worker):
    m = factories.measure(asll, factories.household(asll), asll_worker,
                          notified_on=date(2026, 1, 15), contract_signed_on=date(2026, 3, 1))
    renewal = services.end(m, actor=asll_worker, now=NOW, ended_on=date(2026, 12, 1),
                           outcome="renouvelee", reason="Suite")
    with pytest.raises(MeasureError, match="reprend le contrat") as refused:
        services.edit(renewal, actor=coord, now=NOW, contract_signed_on=None)
    assert refused.value.field == "contract_signed_on"
    services.edit(renewal, actor=coord, now=NOW, contract_signed_on=date(2026, 12, 10))
    assert rules.status(renewal, date(2026, 12, 10)).phase2_end == date(2027, 9, 10)


# -- End date ------------------------------------------------------------------------------------


def test_the_end_cannot_precede_the_receipt_or_the_contract(asll, coord, asll_worker):
    m = factories.measure(asll, factories.household(asll), asll_worker,
                          notified_on=date(2026, 1, 15), received_on=date(2026, 1, 20))
    with pytest.raises(MeasureError, match="réception") as refused:
        services.end(m, actor=coord, now=NOW, ended_on=date(2026, 1, 19), outcome="terminee",
                     reason="Déménagement")
    assert refused.value.field == "ended_on" and "20/01/2026" in str(refused.value)
    m.contract_signed_on = date(2026, 3, 1)
    with pytest.raises(MeasureError, match="contrat"):
        services.end(m, actor=coord, now=NOW, ended_on=date(2026, 2, 28), outcome="renouvelee",
                     reason="Déménagement")
    assert m.ended_on is None
    # the contract day itself is a possible last day
    assert services.end(m, actor=coord, now=NOW, ended_on=date(2026, 3, 1),
                        outcome="terminee", reason="Déménagement") is None
    assert m.ended_on == date(2026, 3, 1)
