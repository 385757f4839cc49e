"""Permanences: calendar, shifts (window, capacity, newcomers), volunteers' access in time,
queue states, intakes by role, merge of an alias, aids, dysfunctions, figures, reminders."""
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, inspect, select
from werkzeug.exceptions import NotFound

from app.audit.models import AuditEvent
from app.extensions import db
from app.permanences import queries, rules, services, vocab
from app.permanences.models import (Aid, Arrival, DropInSession, Dysfunction, Intake,
                                    Orientation, PermanenceSettings, Shift, VolunteerProfile,
                                    paris_to_utc)
from app.permanences.services import PermanenceError
from tests import factories

MONDAY = date(2026, 11, 23)  # Paris is UTC+1 that day
NOW = datetime(2026, 11, 16, 10, 0)  # a week before, naive UTC


@pytest.fixture
def perm(app):
    return factories.team("permanence", name="Permanence Test")


@pytest.fixture
def coord(perm):
    return factories.user((perm, "coordinator"), display_name="Cora Coord")


@pytest.fixture
def staff(perm):
    return factories.user((perm, "worker"), display_name="Sam Salariée")


@pytest.fixture
def vol(perm):
    """An experienced volunteer (marked so by the coordinator)."""
    user = factories.user((perm, "volunteer"), display_name="Vera Bénévole")
    _profile(perm, user, ["accueil", "entretien"], experienced=True)
    return user


@pytest.fixture
def newbie(perm):
    return factories.user((perm, "volunteer"), display_name="Noé Nouveau")


def _profile(team, user, roles, languages=(), experienced=False):
    db.session.add(VolunteerProfile(team_id=team.id, user_id=user.id, roles=list(roles),
                                    languages=list(languages), experienced=experienced))
    db.session.commit()


# -- Calendar ---------------------------------------------------------------------------------


def test_french_holidays_follow_easter():
    days = rules.french_holidays(2026)  # Easter Sunday 2026 is 5 April
    assert days[date(2026, 4, 6)] == "Lundi de Pâques"
    assert days[date(2026, 5, 14)] == "Ascension"
    assert days[date(2026, 5, 25)] == "Lundi de Pentecôte"
    assert days[date(2026, 7, 14)] == "Fête nationale"
    assert date(2026, 4, 5) not in days and len(days) == 11


def test_schedule_makes_sessions_once_with_holidays_and_closures_cancelled(perm, coord):
    now = datetime(2026, 4, 27, 8, 0)  # Monday 27 April 2026
    sched = services.add_schedule(coord, perm.id, weekday=4, starts_at=time(9),
                                  ends_at=time(12, 30), place="Local",
                                  valid_from=date(2026, 4, 27),
                                  needs=[("accueil", None, 2), ("interprete", "dari", 1)],
                                  now=now)
    sessions = db.session.scalars(select(DropInSession).order_by(DropInSession.day)).all()
    # Fridays from 1 May to the end of the window (6 weeks + 1): 1 May is a public holiday.
    assert [s.day for s in sessions][:2] == [date(2026, 5, 1), date(2026, 5, 8)]
    assert sessions[0].status == "annulee" and "Fête du travail" in sessions[0].cancel_reason
    assert sessions[1].status == "annulee" and "Victoire 1945" in sessions[1].cancel_reason
    assert sessions[2].is_open and {(n.role, n.language, n.count) for n in sessions[2].needs} \
        == {("accueil", None, 2), ("interprete", "dari", 1)}
    assert all(s.schedule_id == sched.id for s in sessions)
    assert services.extend_calendar(perm.id, date(2026, 4, 27), now=now) == 0  # idempotent

    closure = services.add_closure(coord, perm.id, start_on=date(2026, 5, 15),
                                   end_on=date(2026, 5, 22), reason="Déménagement", now=now)
    closed = [s for s in sessions if date(2026, 5, 15) <= s.day <= date(2026, 5, 22)]
    assert len(closed) == 2 and all(s.cancel_reason == "Déménagement" for s in closed)
    assert services.remove_closure(coord, closure, now=now) == 2
    assert all(s.is_open for s in closed)


def test_schedule_needs_follow_on_coming_sessions_not_customised(perm, coord):
    now = datetime(2026, 11, 16, 7, 0)
    sched = services.add_schedule(coord, perm.id, weekday=0, starts_at=time(9),
                                  ends_at=time(12, 30), place="Local",
                                  valid_from=date(2026, 11, 16),
                                  needs=[("accueil", None, 1)], now=now)
    first, second = db.session.scalars(select(DropInSession).order_by(DropInSession.day)
                                       .limit(2)).all()
    services.edit_session(coord, second, ends_at=time(13), needs=[("accueil", None, 3)], now=now)
    services.update_schedule_needs(coord, sched, [("accueil", None, 2), ("medecin", None, 1)],
                                   now=now + timedelta(hours=3))  # the first one has started
    assert {(n.role, n.count) for n in first.needs} == {("accueil", 1)}
    assert {(n.role, n.count) for n in second.needs} == {("accueil", 3)}
    assert second.ends_at == time(13)


# -- Shifts -----------------------------------------------------------------------------------


def test_sign_up_window_edges(perm, vol):
    today = date(2026, 10, 12)
    now = datetime(2026, 10, 12, 6, 0)  # 8:00 in Paris (summer time)
    last = factories.dropin_session(perm, today + timedelta(weeks=6))
    beyond = factories.dropin_session(perm, today + timedelta(weeks=6, days=1))
    assert services.sign_up(vol, last, "accueil", None, now=now).role == "accueil"
    with pytest.raises(PermanenceError, match="6 semaines à l'avance"):
        services.sign_up(vol, beyond, "accueil", None, now=now)
    # The next day the window has moved by one day.
    assert services.sign_up(vol, beyond, "accueil", None, now=now + timedelta(days=1))
    settings = PermanenceSettings(team_id=perm.id, signup_weeks=2)
    db.session.add(settings)
    db.session.commit()
    later = factories.dropin_session(perm, today + timedelta(weeks=2, days=1))
    with pytest.raises(PermanenceError, match="2 semaines"):
        services.sign_up(vol, later, "accueil", None, now=now)


def test_sign_up_until_the_session_ends_and_not_after(perm, vol):
    s = factories.dropin_session(perm, MONDAY)  # 8:00–11:30 UTC
    with pytest.raises(PermanenceError, match="terminée"):
        services.sign_up(vol, s, "accueil", None, now=datetime(2026, 11, 23, 11, 30))
    assert services.sign_up(vol, s, "accueil", None, now=datetime(2026, 11, 23, 11, 29))


def test_capacity_roles_and_profile(perm, vol, staff):
    s = factories.dropin_session(perm, MONDAY, needs=[("accueil", None, 1),
                                                       ("interprete", "arabe", 1)])
    other = factories.user((perm, "volunteer"))
    _profile(perm, other, ["accueil", "interprete"], ["dari"], experienced=True)
    services.sign_up(vol, s, "accueil", None, now=NOW)
    with pytest.raises(PermanenceError, match="plus de place"):
        services.sign_up(other, s, "accueil", None, now=NOW)
    with pytest.raises(PermanenceError, match="langue n'est pas dans votre profil"):
        services.sign_up(other, s, "interprete", "arabe", now=NOW)
    with pytest.raises(PermanenceError, match="pas dans votre profil"):
        services.sign_up(vol, factories.dropin_session(perm, MONDAY + timedelta(days=2),
                                                       needs=[("medecin", None, 1)]),
                         "medecin", None, now=NOW)
    with pytest.raises(PermanenceError, match="Déjà inscrit"):
        services.sign_up(vol, s, "accueil", None, now=NOW)
    with pytest.raises(PermanenceError, match="plus de place"):  # a role the session lacks
        services.sign_up(staff, s, "entretien", None, now=NOW)
    cancelled = factories.dropin_session(perm, MONDAY + timedelta(days=4), status="annulee",
                                         cancel_reason="Jour férié : Noël")
    with pytest.raises(PermanenceError, match="annulée"):
        services.sign_up(vol, cancelled, "accueil", None, now=NOW)


def test_no_session_staffed_only_by_newcomers(perm, vol, newbie):
    s = factories.dropin_session(perm, MONDAY, needs=[("accueil", None, 3)])
    second = factories.user((perm, "volunteer"), display_name="Nina Nouvelle")
    third = factories.user((perm, "volunteer"), display_name="Nils Nouveau")
    services.sign_up(newbie, s, "accueil", None, now=NOW)
    services.sign_up(second, s, "accueil", None, now=NOW)
    st = queries.staffing_of(s, NOW.date())
    assert st.newcomers_only and st.short and st.missing == 1
    with pytest.raises(PermanenceError, match="dernière place lui est réservée"):
        services.sign_up(third, s, "accueil", None, now=NOW)
    # The coordinator cannot break the rule either: the last place waits for experience.
    with pytest.raises(PermanenceError, match="réservée"):
        services.sign_up(factories.user((perm, "coordinator")), s, "accueil", None, now=NOW,
                         user=third)
    services.sign_up(vol, s, "accueil", None, now=NOW)
    st = queries.staffing_of(s, NOW.date())
    assert not st.newcomers_only and not st.short


def test_newcomer_until_threshold_of_shifts_done(perm, newbie, staff):
    today = date(2026, 11, 23)
    past = [factories.dropin_session(perm, today - timedelta(days=d)) for d in (2, 4, 7)]
    factories.shift(past[0], newbie)
    factories.shift(past[1], newbie)
    factories.shift(past[2], newbie, cancelled_at=datetime(2026, 11, 15))  # does not count
    assert queries.newcomer_ids(perm.id, today, [newbie.id, staff.id]) == {newbie.id}
    factories.shift(factories.dropin_session(perm, today - timedelta(days=9)), newbie)
    assert queries.newcomer_ids(perm.id, today, [newbie.id]) == set()  # 3 done
    # A session held today does not count yet.
    assert queries.done_shifts(perm.id, today - timedelta(days=2), [newbie.id]) == {newbie.id: 2}


def test_cancel_shift_until_start_coordinator_after(perm, vol, coord):
    s = factories.dropin_session(perm, MONDAY)  # starts 8:00 UTC
    shift = services.sign_up(vol, s, "accueil", None, now=NOW)
    with pytest.raises(PermanenceError, match="a commencé"):
        services.cancel_shift(vol, shift, now=datetime(2026, 11, 23, 8, 0))
    services.cancel_shift(vol, shift, now=datetime(2026, 11, 23, 7, 59))
    assert shift.cancelled_at is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "shift.cancel"))
    assert event.detail["late"] is True  # less than 48 h before
    again = services.sign_up(vol, s, "accueil", None, now=datetime(2026, 11, 23, 7, 59))
    assert again.id == shift.id and again.cancelled_at is None  # the row is reused
    services.cancel_shift(coord, again, now=datetime(2026, 11, 23, 9, 0))
    assert again.cancelled_at is not None


def test_call_volunteers_reaches_those_who_fit_and_are_free(perm, coord, vol, newbie):
    s = factories.dropin_session(perm, MONDAY, needs=[("accueil", None, 2),
                                                       ("medecin", None, 1)])
    doctor = factories.user((perm, "volunteer"), display_name="Dora Docteure")
    _profile(perm, doctor, ["medecin"], experienced=True)
    busy_doctor = factories.user((perm, "volunteer"), display_name="Dan Docteur")
    _profile(perm, busy_doctor, ["medecin"], experienced=True)
    other = factories.dropin_session(perm, MONDAY, starts="14:00", ends="17:00",
                                     needs=[("medecin", None, 1)])
    factories.shift(other, busy_doctor, "medecin")
    call = services.call_volunteers(coord, s, "medecin", None, now=NOW)
    assert call.recipient_ids == [doctor.id]
    assert [c.id for c in queries.open_calls_for(doctor, NOW)] == [call.id]
    assert queries.open_calls_for(vol, NOW) == []
    services.sign_up(doctor, s, "medecin", None, now=NOW)
    assert queries.open_calls_for(doctor, NOW) == []
    with pytest.raises(PermanenceError, match="déjà pourvu"):
        services.call_volunteers(coord, s, "medecin", None, now=NOW)
    with pytest.raises(PermanenceError, match="coordination"):
        services.call_volunteers(vol, s, "accueil", None, now=NOW)


# -- Reminders and gaps, read by the alerts issue ---------------------------------------------


def test_shifts_needing_reminder_are_tomorrows_active_ones(perm, vol, newbie):
    today = date(2026, 11, 22)
    tomorrow = factories.dropin_session(perm, today + timedelta(days=1))
    later = factories.dropin_session(perm, today + timedelta(days=2))
    closed = factories.dropin_session(perm, today + timedelta(days=1), starts="14:00",
                                      ends="16:00", status="annulee", cancel_reason="Grève")
    keep = factories.shift(tomorrow, vol)
    factories.shift(tomorrow, newbie, cancelled_at=datetime(2026, 11, 20))
    factories.shift(later, vol)
    factories.shift(closed, newbie)
    gone = factories.user((perm, "volunteer"), active=False)
    factories.shift(tomorrow, gone, "entretien")
    reminders = queries.shifts_needing_reminder(today)
    assert [r.shift_id for r in reminders] == [keep.id]
    assert reminders[0].user_id == vol.id and reminders[0].role_label == "Accueil"
    assert queries.shifts_needing_reminder(today, team_ids_=[perm.id + 99]) == []


def test_understaffed_sessions_within_48_hours(perm, vol, newbie):
    now = datetime(2026, 11, 21, 8, 0)  # Saturday 9:00 in Paris
    soon = factories.dropin_session(perm, date(2026, 11, 23), needs=[("accueil", None, 1)])
    edge = factories.dropin_session(perm, date(2026, 11, 23), starts="08:59", ends="09:30",
                                    needs=[("accueil", None, 1)])  # starts in exactly 47:59
    too_far = factories.dropin_session(perm, date(2026, 11, 23), starts="09:01",
                                       ends="12:00", needs=[("accueil", None, 1)])
    full = factories.dropin_session(perm, date(2026, 11, 22), needs=[("accueil", None, 1)])
    newcomers = factories.dropin_session(perm, date(2026, 11, 22), starts="14:00",
                                         ends="16:00", needs=[("accueil", None, 1)])
    factories.shift(full, vol)
    factories.shift(newcomers, newbie)
    gaps = {g.session_id: g for g in queries.understaffed_sessions(now)}
    # 9:00 on the 23rd in Paris is 8:00 UTC: exactly 48 h from now, included; 9:01 is not.
    assert set(gaps) == {soon.id, edge.id, newcomers.id}
    assert gaps[edge.id].missing == (("Accueil", 1),)
    assert gaps[newcomers.id].newcomers_only and gaps[newcomers.id].missing == ()
    later = now + timedelta(minutes=1)
    assert too_far.id in {g.session_id for g in queries.understaffed_sessions(later)}
    assert edge.id not in {g.session_id for g in queries.understaffed_sessions(
        datetime(2026, 11, 23, 7, 59))}  # it starts now: too late to warn
    assert soon.id in {g.session_id for g in queries.understaffed_sessions(
        datetime(2026, 11, 23, 7, 59))}


# -- Volunteers' access ends with the session -------------------------------------------------


@pytest.mark.parametrize("day,offset_hours", [(MONDAY, 1), (date(2026, 7, 13), 2)])
def test_volunteer_sees_the_session_people_only_during_it(perm, vol, staff, day, offset_hours):
    s = factories.dropin_session(perm, day)  # 9:00–12:30 Paris
    start = datetime.combine(day, time(9)) - timedelta(hours=offset_hours)
    end = datetime.combine(day, time(12, 30)) - timedelta(hours=offset_hours)
    assert (s.start_utc, s.end_utc) == (start, end)
    a = factories.arrival(s)
    factories.shift(s, vol)
    opens = start - timedelta(minutes=60)
    assert queries.access_to(vol, s, opens - timedelta(seconds=1)) is None
    assert queries.access_to(vol, s, opens).role == "accueil"
    assert queries.access_to(vol, s, end - timedelta(microseconds=1)) is not None
    assert queries.access_to(vol, s, end) is None
    assert queries.arrival_or_404(vol, a.id, end - timedelta(minutes=1))[0].id == a.id
    with pytest.raises(NotFound):
        queries.arrival_or_404(vol, a.id, end)
    denied = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "access.denied",
                                                        AuditEvent.actor_id == vol.id))
    assert denied.object_type == "arrival" and denied.object_id == a.id
    # Staff keep access (the person's file is theirs to follow).
    assert queries.arrival_or_404(staff, a.id, end + timedelta(days=30))[1].staff


def test_volunteer_without_shift_or_cancelled_sees_nothing(perm, vol, newbie):
    s = factories.dropin_session(perm, MONDAY)
    during = datetime(2026, 11, 23, 9, 0)
    factories.shift(s, newbie, cancelled_at=datetime(2026, 11, 20))
    assert queries.access_to(vol, s, during) is None
    assert queries.access_to(newbie, s, during) is None
    s.ends_at = time(13, 0)  # pushed back on the day: access follows
    factories.shift(s, vol)
    assert queries.access_to(vol, s, datetime(2026, 11, 23, 11, 45)) is not None


def test_other_team_and_other_roles_see_nothing(perm, vol, team_a):
    s = factories.dropin_session(perm, MONDAY)
    a = factories.arrival(s)
    iml_worker = factories.user((team_a, "worker"))
    other_perm = factories.team("permanence")
    outsider = factories.user((other_perm, "coordinator"))
    during = datetime(2026, 11, 23, 9, 0)
    for who in (iml_worker, outsider):
        assert queries.access_to(who, s, during) is None
        with pytest.raises(NotFound):
            queries.arrival_or_404(who, a.id, during)
        with pytest.raises(NotFound):
            queries.person_or_404(who, a.person_id)
    with pytest.raises(NotFound):
        queries.person_or_404(vol, a.person_id)  # volunteers never open a person's history


# -- Queue ------------------------------------------------------------------------------------


def test_arrivals_get_tickets_in_order_and_cards_find_people(perm, vol):
    s = factories.dropin_session(perm, MONDAY)
    factories.shift(s, vol)
    during = datetime(2026, 11, 23, 8, 10)
    known = factories.dropin_person(perm, "Abdou", number=42)
    first = services.record_arrival(vol, s, name="Moussa", number=None, language="peul",
                                    interpreter_needed=True, reason="soins", urgent=False,
                                    now=during)
    second = services.record_arrival(vol, s, name=None, number=42, language=None,
                                     interpreter_needed=False, reason="suivi", urgent=True,
                                     now=during + timedelta(minutes=3))
    assert (first.ticket, second.ticket) == (1, 2)
    assert second.person_id == known.id and first.person.alias == "Moussa"
    assert first.person.number == 43 and first.person.languages == ["peul"]
    with pytest.raises(PermanenceError, match="déjà dans la file"):
        services.record_arrival(vol, s, name=None, number=42, language=None,
                                interpreter_needed=False, reason="suivi", urgent=False,
                                now=during)
    with pytest.raises(PermanenceError, match="Aucune carte n° 0007"):
        services.record_arrival(vol, s, name=None, number=7, language=None,
                                interpreter_needed=False, reason="suivi", urgent=False,
                                now=during)
    with pytest.raises(PermanenceError, match="il en faut un"):
        services.record_arrival(vol, s, name="  ", number=None, language=None,
                                interpreter_needed=False, reason="suivi", urgent=False,
                                now=during)
    with pytest.raises(PermanenceError, match="pas de permanence"):
        services.record_arrival(vol, s, name="Late", number=None, language=None,
                                interpreter_needed=False, reason="suivi", urgent=False,
                                now=s.end_utc)
    order = [a.ticket for a in queries.queue(s)]
    assert order == [2, 1]  # urgent first among those waiting


def test_queue_states_and_transitions(perm, vol, staff):
    s = factories.dropin_session(perm, MONDAY)
    factories.shift(s, vol)
    a = factories.arrival(s)
    during = datetime(2026, 11, 23, 9, 0)
    services.set_state(staff, a, "entretien", now=during)
    assert a.state == "entretien" and a.interviewer_id == staff.id
    services.set_state(vol, a, "entretien", now=during)  # a second phone, same button
    assert a.interviewer_id == staff.id
    with pytest.raises(PermanenceError, match="Impossible de passer"):
        services.set_state(staff, a, "parti", now=during)
    services.set_state(staff, a, "oriente", now=during)
    with pytest.raises(PermanenceError, match="Impossible"):
        services.set_state(staff, a, "attente", now=during)
    b = factories.arrival(s)
    services.set_state(vol, b, "parti", now=during)
    services.set_state(vol, b, "attente", now=during)  # came back
    assert b.state == "attente" and b.interviewer_id is None
    with pytest.raises(PermanenceError, match="pas de permanence"):
        services.set_state(vol, b, "entretien", now=s.end_utc)
    assert {(k, t) for k, ts in vocab.TRANSITIONS.items() for t in ts} >= {
        ("attente", "entretien"), ("attente", "parti"), ("entretien", "oriente"),
        ("parti", "attente")}
    for state in vocab.STATES:
        assert not rules.can_move(state, state)


# -- Intake -----------------------------------------------------------------------------------

FULL_VALUES = dict(alias="Mimi", first_name="Mariam", last_name=None, birth_year=1994,
                   languages=["arabe", "francais"], criteria=[], health_coverage="aucune",
                   domiciliation="ccas", asylum_stage="ofpra", housing="urgence",
                   in_france_since=date(2026, 9, 14), assessment="Dossier AME à déposer.",
                   information=["droits_sante"], information_note=None)


def test_intake_sections_follow_the_shift_role(perm, vol, staff):
    from app.permanences.models import VulnerabilityCriterion

    crit = VulnerabilityCriterion(team_id=perm.id, label="Femme enceinte", position=1)
    db.session.add(crit)
    db.session.commit()
    s = factories.dropin_session(perm, MONDAY)
    desk = factories.user((perm, "volunteer"))
    factories.shift(s, desk, "accueil")
    factories.shift(s, vol, "entretien")
    a = factories.arrival(s)
    during = datetime(2026, 11, 23, 9, 0)
    intake = services.save_intake(desk, a, {**FULL_VALUES, "criteria": [crit.id]},
                                  base_version=None, now=during)
    # Accueil writes identity and criteria, never the situation nor the information.
    assert a.person.alias == "Mimi" and a.person.birth_year == 1994
    assert intake.criteria == [crit] and intake.meets_criteria
    assert intake.health_coverage is None and intake.assessment is None
    assert intake.information == []
    intake = services.save_intake(vol, a, FULL_VALUES, base_version=intake.version, now=during)
    assert intake.health_coverage == "aucune" and intake.asylum_stage == "ofpra"
    assert intake.in_france_since == date(2026, 9, 1)
    assert intake.criteria == []  # the interviewer unticked it
    with pytest.raises(services.StaleIntake, match="pendant que vous l'écriviez"):
        services.save_intake(staff, a, FULL_VALUES, base_version=1, now=during)
    with pytest.raises(services.StaleIntake):  # opened before the first save, saved after
        services.save_intake(staff, a, FULL_VALUES, base_version=None, now=during)
    assert queries.access_to(desk, s, during).sections == ("identite", "criteres")


def test_orientations_outcomes_and_aids(perm, vol, staff, coord):
    s = factories.dropin_session(perm, MONDAY)
    factories.shift(s, vol, "entretien")
    pass_ = factories.partner(perm, "PASS des Tests", "pass")
    a = factories.arrival(s)
    during = datetime(2026, 11, 23, 9, 0)
    o = services.add_orientation(vol, a, partner_id=pass_.id, kind="cpam", detail="Bilan",
                                 now=during)
    assert o.kind == "pass"  # the partner's kind wins
    free = services.add_orientation(vol, a, partner_id=None, kind="hebergement", detail=None,
                                    now=during)
    assert free.target == "Hébergement"
    with pytest.raises(PermanenceError, match="structure"):
        services.add_orientation(vol, a, partner_id=None, kind=None, detail=None, now=during)
    services.set_orientation_outcome(staff, o, "refusee", "Refus au guichet",
                                     now=datetime(2026, 11, 25, 9))
    assert o.outcome_on == date(2026, 11, 25)
    # Aids: staff only, under the criterion in force, within its limit.
    with pytest.raises(PermanenceError, match="Aucun critère"):
        services.grant_aid(staff, a, kind="transport", quantity=2, note=None, now=during)
    rule = services.set_aid_criterion(coord, perm.id, kind="transport", rule="Deux tickets",
                                      max_quantity=2, valid_from=date(2026, 11, 1), now=during)
    with pytest.raises(PermanenceError, match="salariée"):
        services.grant_aid(vol, a, kind="transport", quantity=1, note=None, now=during)
    with pytest.raises(PermanenceError, match="limite cette aide à 2"):
        services.grant_aid(staff, a, kind="transport", quantity=3, note=None, now=during)
    aid = services.grant_aid(staff, a, kind="transport", quantity=2, note=None, now=during)
    assert aid.criterion_id == rule.id and aid.decided_by_id == staff.id
    new_rule = services.set_aid_criterion(coord, perm.id, kind="transport", rule="Quatre",
                                          max_quantity=4, valid_from=date(2026, 12, 1),
                                          now=during)
    assert rule.valid_until == date(2026, 11, 30) and aid.criterion_id == rule.id
    later = factories.arrival(factories.dropin_session(perm, date(2026, 12, 7)))
    assert services.grant_aid(staff, later, kind="transport", quantity=4, note=None,
                              now=datetime(2026, 12, 7, 9)).criterion_id == new_rule.id


# -- Merge ------------------------------------------------------------------------------------


def _count(model, person_id):
    return db.session.scalar(select(func.count(model.id)).join(Arrival, model.arrival_id
                                                              == Arrival.id)
                             .where(Arrival.person_id == person_id))


def test_merge_an_alias_into_a_known_person_loses_nothing(perm, staff, coord, vol):
    known = factories.dropin_person(perm, "Abdou", first_name=None, birth_year=1990,
                                    languages=["peul"])
    alias = factories.dropin_person(perm, "Doudou", first_name="Abdoulaye",
                                    birth_year=1989, languages=["francais"])
    days = [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]
    sessions = [factories.dropin_session(perm, d) for d in days]
    factories.arrival(sessions[0], known)
    for s in sessions[1:]:
        a = factories.arrival(s, alias)
        db.session.add(Intake(arrival_id=a.id, health_coverage="aucune", information=[]))
        db.session.add(Orientation(arrival_id=a.id, kind="pass"))
        db.session.add(Orientation(arrival_id=a.id, kind="cpam"))
    db.session.commit()
    from app.permanences.models import AidCriterion

    rule = AidCriterion(team_id=perm.id, kind="transport", rule="r", valid_from=days[0])
    db.session.add(rule)
    db.session.flush()
    db.session.add(Aid(arrival_id=a.id, criterion_id=rule.id, kind="transport", quantity=2))
    db.session.commit()
    before = {m: _count(m, known.id) + _count(m, alias.id) for m in (Intake, Orientation, Aid)}
    arrivals = {a.id for a in known.arrivals} | {a.id for a in alias.arrivals}

    with pytest.raises(PermanenceError, match="bénévole|salariée"):
        services.merge_people(vol, known, alias, now=NOW)
    services.merge_people(staff, known, alias, now=NOW)

    assert {a.id for a in known.arrivals} == arrivals and alias.arrivals == []
    assert {m: _count(m, known.id) for m in (Intake, Orientation, Aid)} == before
    assert before == {Intake: 2, Orientation: 4, Aid: 1}
    assert known.first_name == "Abdoulaye" and known.birth_year == 1990  # filled, not replaced
    assert known.alias == "Abdou / Doudou" and known.languages == ["peul", "francais"]
    assert alias.merged_into_id == known.id and alias.merged_by_id == staff.id
    assert queries.person_by_number(perm.id, alias.number).id == known.id  # old card works
    assert "doudou" in known.search_text
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action ==
                                                       "dropin_person.merge"))
    assert event.object_id == known.id and event.detail["merged"] == alias.id
    assert sorted(event.detail["arrivals"]) == sorted(a.id for a in known.arrivals
                                                      if a.session_id != sessions[0].id)
    figures = queries.figures({perm.id}, days[2], days[2])
    assert (figures.new, figures.returning) == (0, 1)  # after the merge, a returning person
    with pytest.raises(PermanenceError, match="déjà été fusionnée"):
        services.merge_people(staff, known, alias, now=NOW)
    with pytest.raises(PermanenceError, match="autre personne"):
        services.merge_people(staff, known, known, now=NOW)
    stranger = factories.dropin_person(factories.team("permanence"), "Autre")
    with pytest.raises(PermanenceError, match="même permanence"):
        services.merge_people(staff, known, stranger, now=NOW)


# -- Dysfunctions -----------------------------------------------------------------------------


def test_dysfunctions_have_no_identity_and_are_counted_by_type_and_month(perm, vol):
    columns = {c.key for c in inspect(Dysfunction).columns}
    foreign = {fk.column.table.name for c in Dysfunction.__table__.columns
               for fk in c.foreign_keys}
    assert foreign == {"team", "partner"}
    assert not columns & {"person_id", "arrival_id", "author_id", "recorded_by_id", "name"}
    now = datetime(2026, 11, 23, 10, 0)
    for kind, day in [("delai_cpam", date(2026, 11, 2)), ("delai_cpam", date(2026, 11, 20)),
                      ("refus_soins", date(2026, 11, 23)), ("delai_cpam", date(2026, 10, 31)),
                      ("pieces_abusives", date(2026, 10, 1))]:
        services.record_dysfunction(vol, perm.id, kind=kind, observed_on=day,
                                    structure="CPAM", partner_id=None,
                                    description="Dossier sans réponse.", now=now)
    other = factories.team("permanence")
    services.record_dysfunction(vol, other.id, kind="delai_cpam", observed_on=date(2026, 11, 2),
                                structure=None, partner_id=None, description=None, now=now)
    table = queries.dysfunction_counts({perm.id}, date(2026, 11, 23))
    nov, oct_ = date(2026, 11, 1), date(2026, 10, 1)
    assert table.count(nov, "delai_cpam") == 2 and table.count(nov, "refus_soins") == 1
    assert table.count(oct_, "delai_cpam") == 1 and table.count(oct_, "pieces_abusives") == 1
    assert table.month_total(nov) == 3 and table.total == 5
    assert table.kind_total("delai_cpam") == 3
    assert [k for k, _ in table.used_kinds] == ["refus_soins", "delai_cpam", "pieces_abusives"]
    assert table.months[-1] == nov and len(table.months) == 12


def test_dysfunction_text_naming_someone_is_sent_back(perm, vol):
    factories.dropin_person(perm, "Moussa", first_name="Moussa", last_name="Traoré")
    now = datetime(2026, 11, 23, 10, 0)
    kw = dict(kind="refus_soins", observed_on=date(2026, 11, 23), structure="Pharmacie",
              partner_id=None, now=now)
    with pytest.raises(PermanenceError, match=r"nom d'une personne accueillie \(moussa, traore\)"):
        services.record_dysfunction(vol, perm.id, description="M. Traoré (Moussa) refusé.", **kw)
    with pytest.raises(PermanenceError, match="numéro de carte"):
        services.record_dysfunction(vol, perm.id, description="Carte n° 12 refusée", **kw)
    with pytest.raises(PermanenceError, match="futur"):
        services.record_dysfunction(vol, perm.id, description=None,
                                    **{**kw, "observed_on": date(2026, 11, 24)})
    row = services.record_dysfunction(vol, perm.id, description="Rue Moussa-Traoré : refus.",
                                      confirmed_anonymous=True, **kw)
    assert row.id and db.session.scalar(select(func.count(Dysfunction.id))) == 1


# -- Figures ----------------------------------------------------------------------------------


def test_session_figures(perm):
    old = factories.dropin_session(perm, date(2026, 11, 16))
    s = factories.dropin_session(perm, MONDAY)
    back = factories.dropin_person(perm, "Revenu")
    factories.arrival(old, back)
    a1 = factories.arrival(s, back, language="arabe", interpreter_needed=True, state="oriente")
    a2 = factories.arrival(s, language="dari", urgent=True, state="entretien")
    factories.arrival(s, language="arabe", state="parti")
    db.session.add_all([Orientation(arrival_id=a1.id, kind="pass", outcome="realisee"),
                        Orientation(arrival_id=a2.id, kind="pass"),
                        Orientation(arrival_id=a2.id, kind="juridique"),
                        Intake(arrival_id=a2.id, in_france_since=date(2026, 8, 1),
                               information=[])])
    db.session.commit()
    fig = queries.session_figures(s)
    assert (fig.arrivals, fig.people, fig.new, fig.returning) == (3, 3, 2, 1)
    assert (fig.seen, fig.left_unseen, fig.urgent, fig.interpreter) == (2, 1, 1, 1)
    assert fig.languages == [("arabe", 2), ("dari", 1)]
    assert dict(fig.orientations) == {"PASS (permanence d'accès aux soins)": 2,
                                      "Juridique, avocat·e": 1}
    assert fig.under_six_months == 1
    month = queries.figures({perm.id}, date(2026, 11, 1), date(2026, 11, 30))
    assert (month.sessions, month.people, month.new, month.returning) == (2, 3, 3, 0)


def test_paris_to_utc_across_daylight_saving():
    assert paris_to_utc(date(2026, 3, 28), time(9)) == datetime(2026, 3, 28, 8)
    assert paris_to_utc(date(2026, 3, 30), time(9)) == datetime(2026, 3, 30, 7)


def test_cancelled_shift_is_kept_not_deleted(perm, vol):
    s = factories.dropin_session(perm, MONDAY)
    shift = services.sign_up(vol, s, "accueil", None, now=NOW)
    services.cancel_shift(vol, shift, now=NOW)
    rows = db.session.scalars(select(Shift)).all()
    assert [(r.id, r.cancelled_at) for r in rows] == [(shift.id, NOW)]
    assert queries.staffing_of(s, NOW.date()).signed_up == 0


def test_planning_offers_follow_profile_places_and_the_newcomer_rule(perm, vol, newbie):
    s = factories.dropin_session(perm, MONDAY, needs=[("accueil", None, 1),
                                                       ("interprete", "arabe", 1)])
    item = queries.planned(vol, s, NOW.date(), NOW)
    assert [(r, lang, n) for r, lang, _, n in item.offers] == [("accueil", None, 1)]
    newbie_item = queries.planned(newbie, s, NOW.date(), NOW)
    # Two places, nobody experienced: the newcomer may take one, not the last.
    assert [r for r, *_ in newbie_item.offers] == ["accueil"] and not newbie_item.reserved
    services.sign_up(factories.user((perm, "volunteer")), s, "accueil", None, now=NOW)
    arabic = factories.user((perm, "volunteer"))
    _profile(perm, arabic, ["interprete"], ["arabe"])
    last = queries.planned(arabic, s, NOW.date(), NOW)
    assert last.offers == [] and last.reserved
    assert queries.planned(vol, factories.dropin_session(perm, date(2027, 3, 1)),
                           NOW.date(), NOW) is None  # beyond the window
    rows = queries.planning(vol, NOW.date(), NOW)
    assert [p.session.id for p in rows] == [s.id]


def test_calendar_command_extends_every_permanence_team(perm, runner):
    from app.permanences.models import ScheduleNeed, SessionSchedule
    from app.timeutil import today_paris, utcnow

    sched = SessionSchedule(team_id=perm.id, weekday=today_paris(utcnow()).weekday(),
                            starts_at=time(9), ends_at=time(12, 30), place="Local",
                            valid_from=today_paris(utcnow()))
    sched.needs = [ScheduleNeed(role="accueil", count=1)]
    db.session.add(sched)
    db.session.commit()
    out = runner.invoke(args=["permanences", "calendrier"]).output
    made = db.session.scalar(select(func.count(DropInSession.id)))
    assert made == 8 and f"{made} permanence(s)" in out  # today and the next 7 weeks
    assert "0 permanence(s)" in runner.invoke(args=["permanences", "calendrier"]).output


def test_two_desks_picking_the_same_card_number_retry(perm, vol, monkeypatch):
    s = factories.dropin_session(perm, MONDAY)
    factories.shift(s, vol)
    factories.dropin_person(perm, "Déjà là", number=1)
    real = services._next_number
    calls = []

    def stale_then_real(team_id):
        calls.append(team_id)
        return 1 if len(calls) == 1 else real(team_id)  # the other desk took n° 1 meanwhile

    monkeypatch.setattr(services, "_next_number", stale_then_real)
    a = services.record_arrival(vol, s, name="Sara", number=None, language=None,
                                interpreter_needed=False, reason="soins", urgent=False,
                                now=datetime(2026, 11, 23, 8, 30))
    assert len(calls) == 2 and a.person.number == 2 and a.ticket == 1


def test_a_call_is_pushed_to_each_volunteer_asked_until_they_sign_up(perm, coord, vol):
    """The alerts' shift_call rule turns a coordinator's call into one alert per volunteer."""
    from app.alerts.rules import RULES, Context

    s = factories.dropin_session(perm, MONDAY, needs=[("medecin", None, 2)])
    doctors = []
    for name in ("Dora Docteure", "Denis Docteur"):
        doctor = factories.user((perm, "volunteer"), display_name=name)
        _profile(perm, doctor, ["medecin"], experienced=True)
        doctors.append(doctor)
    call = services.call_volunteers(coord, s, "medecin", None, now=NOW)
    ctx = Context(today=MONDAY - timedelta(days=1), now=NOW)
    found = list(RULES["shift_call"].fn(ctx))
    assert [(c.object_id, c.recipients, c.urgency) for c in found] == [
        (s.id, tuple(sorted(d.id for d in doctors)), "urgent")]
    assert "Médecin".lower() in found[0].label.lower() and call.id
    services.sign_up(doctors[0], s, "medecin", None, now=NOW)
    after = list(RULES["shift_call"].fn(Context(today=MONDAY - timedelta(days=1), now=NOW)))
    assert [c.recipients for c in after] == [(doctors[1].id,)]
    third = factories.user((perm, "volunteer"), display_name="Dalila Docteure")
    _profile(perm, third, ["medecin"], experienced=True)
    services.sign_up(third, s, "medecin", None, now=NOW)  # the role is now filled
    assert list(RULES["shift_call"].fn(Context(today=MONDAY - timedelta(days=1), now=NOW))) == []
