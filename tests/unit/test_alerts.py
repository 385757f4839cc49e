"""Alert rules at their boundaries, the alert table kept in step with the data, and the
scheduler's notifications (quiet hours, digest, once only)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.alerts import rules, services
from app.alerts.models import Alert, AlertSetting, Notification, PushPreference
from app.extensions import db
from tests import factories


def candidates(code: str, now: datetime, leads=None):
    ctx = rules.Context(rules.today_paris(now), now, leads or {})
    return list(rules.RULES[code].fn(ctx))


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """A naive UTC instant for a Paris wall-clock time in winter (UTC+1)."""
    return datetime.combine(day, time(hour, minute)) - timedelta(hours=1)


@pytest.fixture
def coordinator(team_a):
    return factories.user((team_a, "coordinator"), email="coord@exemple.test",
                          display_name="Corinne Coord")


# -- Pure stage arithmetic ---------------------------------------------------------------------


@pytest.mark.parametrize("left, stage", [(61, None), (60, "j60"), (31, "j60"), (30, "j30"),
                                         (8, "j30"), (7, "j7"), (1, "j7"), (0, "jour"),
                                         (-1, "depasse")])
def test_lease_countdown_stages(left, stage):
    assert rules.countdown_stage(left, 60, (60, 30, 7)) == stage


def test_a_shorter_team_lead_drops_the_earlier_reminders():
    assert rules.countdown_stage(45, 40, (60, 30, 7)) is None
    assert rules.countdown_stage(40, 40, (60, 30, 7)) == "j40"
    assert rules.countdown_stage(30, 40, (60, 30, 7)) == "j30"


# -- Housing ---------------------------------------------------------------------------------


def test_lease_end_alert_appears_at_j60_for_the_referent_and_says_renewals_remain(
        team_a, worker):
    hh = factories.household(team_a, referent=worker, name="Famille Rivière")
    flat = factories.flat(team_a)
    c = factories.contract(flat, hh, start_on=date(2026, 3, 1))  # ends 31 August 2026
    assert c.end_on == date(2026, 8, 31)
    assert candidates("lease_end", at(date(2026, 7, 1))) == []  # J-61
    [got] = candidates("lease_end", at(date(2026, 7, 2)))  # J-60
    assert (got.stage, got.urgency, got.recipients, got.object_id) == ("j60", "later",
                                                                       (worker.id,), c.id)
    assert got.label.endswith(" — 0 renouvellement sur 2 utilisé")  # so two remain
    [late] = candidates("lease_end", at(date(2026, 8, 24)))  # J-7
    assert (late.stage, late.urgency) == ("j7", "urgent")


def test_lease_end_goes_to_coordinators_when_the_household_has_no_referent(team_a, coordinator):
    hh = factories.household(team_a, name="Famille Sans Référent")
    factories.contract(factories.flat(team_a), hh, start_on=date(2026, 3, 1))
    [got] = candidates("lease_end", at(date(2026, 8, 1)))
    assert got.recipients == (coordinator.id,)


def test_team_lead_time_moves_the_lease_end_alert(team_a, worker):
    hh = factories.household(team_a, referent=worker)
    factories.contract(factories.flat(team_a), hh, start_on=date(2026, 3, 1))
    day = at(date(2026, 7, 2))  # J-60
    assert candidates("lease_end", day, {(team_a.id, "lease_end"): 45}) == []
    assert len(candidates("lease_end", at(date(2026, 7, 17)), {(team_a.id, "lease_end"): 45})) == 1


def test_renewal_decision_is_due_a_month_before_the_end(team_a, worker):
    hh = factories.household(team_a, referent=worker)
    factories.contract(factories.flat(team_a), hh, start_on=date(2026, 3, 1))
    # decision due 31 July; lead 15 days
    assert candidates("renewal_decision", at(date(2026, 7, 15))) == []
    [got] = candidates("renewal_decision", at(date(2026, 7, 16)))
    assert got.due_on == date(2026, 7, 31)


def test_lease_end_says_when_no_renewal_remains(team_a, worker):
    from app.housing.models import Renewal

    hh = factories.household(team_a, referent=worker, name="Famille Sortie")
    c = factories.contract(factories.flat(team_a), hh, start_on=date(2025, 3, 1))
    for n, (decided, until) in enumerate(((date(2025, 8, 1), date(2026, 2, 28)),
                                          (date(2026, 2, 1), date(2026, 8, 31))), start=1):
        db.session.add(Renewal(contract_id=c.id, number=n, decided_on=decided, decided_by="CA",
                               reason="Suite du projet", new_end_on=until,
                               recorded_by_id=worker.id, recorded_at=at(decided)))
    db.session.commit()
    [got] = candidates("lease_end", at(date(2026, 8, 1)))  # J-30 of the last period
    assert got.label.endswith(" — plus de renouvellement possible : préparer la sortie")
    assert candidates("renewal_decision", at(date(2026, 8, 1))) == []


def test_a_renewed_lease_resolves_its_lease_end_alert(team_a, worker):
    from app.housing import services as housing

    hh = factories.household(team_a, referent=worker, name="Famille Rivière")
    c = factories.contract(factories.flat(team_a), hh, start_on=date(2026, 3, 1))
    now = at(date(2026, 8, 1))  # J-30 of 31 August; the renewal decision was due 31 July
    services.run_pass(now, sender=None)
    term = select(Alert.rule, Alert.state).where(Alert.rule != "arrears")  # no rent paid here
    assert dict(db.session.execute(term).all()) == {"lease_end": "open",
                                                     "renewal_decision": "open"}
    housing.renew(worker, c, decided_on=date(2026, 8, 1), decided_by="Commission",
                  reason="Projet de relogement en cours", now=now)
    result = services.run_pass(now + timedelta(minutes=5), sender=None)
    assert (result.resolved, result.created) == (2, 0)  # new end 28 February: J-211
    assert dict(db.session.execute(term).all()) == {"lease_end": "resolved",
                                                     "renewal_decision": "resolved"}
    [later] = candidates("lease_end", at(date(2026, 12, 30)))  # J-60 of the new end
    assert later.due_on == date(2027, 2, 28)
    assert later.label.endswith(" — 1 renouvellement sur 2 utilisé")


def test_glide_alert_at_its_boundaries_and_resolved_once_the_lease_has_slid(team_a, worker):
    from app.housing import services as housing

    hh = factories.household(team_a, referent=worker, name="Famille Glisse")
    c = factories.contract(factories.flat(team_a), hh, start_on=date(2026, 9, 1),
                           kind="bail_glissant", glide_planned_on=date(2026, 12, 1))
    assert candidates("glide", at(date(2026, 10, 31))) == []  # J-31
    [first] = candidates("glide", at(date(2026, 11, 1)))  # J-30
    assert (first.object_id, first.due_on, first.stage, first.urgency, first.recipients) == (
        c.id, date(2026, 12, 1), "j30", "soon", (worker.id,))
    assert first.label.startswith("Glissement du bail prévu pour Famille Glisse")
    assert candidates("glide", at(date(2026, 11, 23)))[0].stage == "j30"  # J-8
    [week] = candidates("glide", at(date(2026, 11, 24)))  # J-7
    assert (week.stage, week.urgency) == ("j7", "urgent")
    assert candidates("glide", at(date(2026, 11, 1)), {(team_a.id, "glide"): 20}) == []
    now = at(date(2026, 11, 24))
    services.run_pass(now, sender=None)
    alert = db.session.scalar(select(Alert).where(Alert.rule == "glide"))
    assert (alert.state, alert.stage) == ("open", "j7")
    housing.record_glide(worker, c, glided_on=date(2026, 11, 24), now=now)
    services.run_pass(now + timedelta(minutes=5), sender=None)
    db.session.refresh(alert)
    assert alert.state == "resolved"


# -- Visits ----------------------------------------------------------------------------------


def test_visit_tomorrow_only_the_day_before(team_a, worker):
    hh = factories.household(team_a, referent=worker, name="Famille Dupré")
    v = factories.visit(hh, worker, day=date(2026, 11, 24), at=time(14, 30))
    assert candidates("visit_tomorrow", at(date(2026, 11, 22))) == []
    [got] = candidates("visit_tomorrow", at(date(2026, 11, 23), 0, 0))
    assert (got.object_id, got.recipients) == (v.id, (worker.id,))
    assert "demain à 14 h 30" in got.label
    assert candidates("visit_tomorrow", at(date(2026, 11, 24))) == []


def test_report_missing_exactly_48_hours_after_the_visit(team_a, worker):
    hh = factories.household(team_a, referent=worker)
    v = factories.visit(hh, worker, day=date(2026, 11, 23), at=time(10, 0))
    moment = at(date(2026, 11, 23), 10, 0)
    assert candidates("report_missing", moment + timedelta(hours=48, seconds=-1)) == []
    [got] = candidates("report_missing", moment + timedelta(hours=48))
    assert (got.object_id, got.urgency) == (v.id, "urgent")
    factories.report(v, worker)
    assert candidates("report_missing", moment + timedelta(hours=72)) == []


def test_report_missing_without_a_time_counts_from_the_end_of_the_day(team_a, worker):
    hh = factories.household(team_a, referent=worker)
    factories.visit(hh, worker, day=date(2026, 11, 23))
    end_of_day = at(date(2026, 11, 23), 23, 59)
    assert candidates("report_missing", end_of_day + timedelta(hours=47)) == []
    assert len(candidates("report_missing", end_of_day + timedelta(hours=48))) == 1


def test_cancelled_visit_needs_no_report(team_a, worker):
    hh = factories.household(team_a, referent=worker)
    factories.visit(hh, worker, day=date(2026, 11, 1), status="annulee")
    assert candidates("report_missing", at(date(2026, 11, 23))) == []


def test_household_not_seen_for_30_days(team_a, worker):
    hh = factories.household(team_a, referent=worker, name="Famille Lointaine")
    factories.enrolment(hh, date(2026, 1, 1))
    v = factories.visit(hh, worker, day=date(2026, 10, 1))
    factories.report(v, worker)
    assert candidates("not_seen", at(date(2026, 10, 30))) == []  # 29 days
    [got] = candidates("not_seen", at(date(2026, 10, 31)))  # 30 days
    assert (got.object_id, got.due_on, got.recipients) == (hh.id, date(2026, 10, 31),
                                                           (worker.id,))


def test_a_visit_without_report_does_not_count_as_seen_and_ended_support_is_skipped(
        team_a, worker):
    hh = factories.household(team_a, referent=worker)
    factories.enrolment(hh, date(2026, 1, 1))
    v = factories.visit(hh, worker, day=date(2026, 10, 1))
    factories.report(v, worker)
    factories.visit(hh, worker, day=date(2026, 10, 20))  # no report
    assert len(candidates("not_seen", at(date(2026, 10, 31)))) == 1
    gone = factories.household(team_a, referent=worker)
    factories.enrolment(gone, date(2025, 1, 1), exit_date=date(2026, 6, 30))
    assert [c.object_id for c in candidates("not_seen", at(date(2026, 10, 31)))] == [hh.id]


# -- Permanences -----------------------------------------------------------------------------


def test_shift_tomorrow_reminds_the_volunteer(app):
    team = factories.team("permanence", name="Permanence P")
    vol = factories.user((team, "volunteer"), email="vol@exemple.test")
    session = factories.dropin_session(team, date(2026, 11, 24))
    factories.shift(session, vol)
    assert candidates("shift_tomorrow", at(date(2026, 11, 22))) == []
    [got] = candidates("shift_tomorrow", at(date(2026, 11, 23)))
    assert (got.recipients, got.object_type, got.object_id) == ((vol.id,), "session", session.id)
    assert got.label.startswith("Votre créneau de permanence demain à 09 h 00")
    assert candidates("shift_tomorrow", at(date(2026, 11, 24))) == []


def test_shift_reminder_follows_the_teams_lead_time(app):
    team = factories.team("permanence", name="Permanence P")
    other = factories.team("permanence", name="Permanence Q")
    vol = factories.user((team, "volunteer"), (other, "volunteer"), email="vol@exemple.test")
    session = factories.dropin_session(team, date(2026, 11, 27))
    factories.shift(session, vol)
    factories.shift(factories.dropin_session(other, date(2026, 11, 27)), vol)
    leads = {(team.id, "shift_tomorrow"): 3}
    assert candidates("shift_tomorrow", at(date(2026, 11, 23)), leads) == []  # J-4
    [got] = candidates("shift_tomorrow", at(date(2026, 11, 24)), leads)  # J-3: this team only
    assert (got.object_id, got.due_on, got.stage) == (session.id, date(2026, 11, 27), "veille")
    assert got.label.startswith("Votre créneau de permanence le 27 novembre 2026 à 09 h 00")
    eve = candidates("shift_tomorrow", at(date(2026, 11, 26)), leads)  # both teams, the eve
    assert len(eve) == 2 and all("demain à 09 h 00" in c.label for c in eve)
    assert {c.key(vol.id) for c in eve} >= {got.key(vol.id)}  # one alert from J-3 to the eve
    assert candidates("shift_tomorrow", at(date(2026, 11, 27)), leads) == []
    assert candidates("shift_tomorrow", at(date(2026, 11, 26)),
                      {(team.id, "shift_tomorrow"): 0, (other.id, "shift_tomorrow"): 0}) == []


def test_understaffed_session_within_48_hours_goes_to_coordinators(app):
    team = factories.team("permanence", name="Permanence P")
    coord = factories.user((team, "coordinator"), email="pc@exemple.test")
    session = factories.dropin_session(team, date(2026, 11, 24), starts="09:00")
    start = at(date(2026, 11, 24), 9, 0)
    assert candidates("understaffed", start - timedelta(hours=48, minutes=1)) == []
    [got] = candidates("understaffed", start - timedelta(hours=48))
    assert (got.recipients, got.object_id, got.urgency) == ((coord.id,), session.id, "urgent")
    assert "il manque" in got.label


# -- The alert table follows the data --------------------------------------------------------


def test_alert_is_resolved_when_the_report_is_written(team_a, worker):
    hh = factories.household(team_a, referent=worker)
    v = factories.visit(hh, worker, day=date(2026, 11, 23), at=time(10, 0))
    now = at(date(2026, 11, 26))
    services.run_pass(now, sender=None)
    alert = db.session.scalar(select(Alert).where(Alert.rule == "report_missing"))
    assert (alert.state, alert.user_id) == ("open", worker.id)
    factories.report(v, worker)
    services.run_pass(now + timedelta(minutes=5), sender=None)
    db.session.refresh(alert)
    assert alert.state == "resolved" and alert.resolved_at is not None


def test_acknowledged_alert_reopens_at_the_next_stage(team_a, worker):
    hh = factories.household(team_a, referent=worker)
    factories.contract(factories.flat(team_a), hh, start_on=date(2026, 3, 1))
    services.run_pass(at(date(2026, 7, 2)), sender=None)
    alert = db.session.scalar(select(Alert).where(Alert.rule == "lease_end"))
    services.acknowledge(alert, worker, at(date(2026, 7, 2)))
    services.run_pass(at(date(2026, 7, 15)), sender=None)
    db.session.refresh(alert)
    assert (alert.state, alert.stage) == ("ack", "j60")
    services.run_pass(at(date(2026, 8, 1)), sender=None)  # J-30
    db.session.refresh(alert)
    assert (alert.state, alert.stage) == ("open", "j30")
    keys = set(db.session.scalars(select(Notification.key)
                                  .where(Notification.rule == "lease_end")))
    assert {k.split("|")[1] for k in keys} == {"j60", "j30"}


def test_snoozed_alert_is_silent_then_notified_again(team_a, worker):
    hh = factories.household(team_a, referent=worker)
    factories.contract(factories.flat(team_a), hh, start_on=date(2026, 3, 1))
    services.run_pass(at(date(2026, 7, 2)), sender=None)
    alert = db.session.scalar(select(Alert).where(Alert.rule == "lease_end"))
    with pytest.raises(services.AlertError):
        services.snooze(alert, date(2026, 7, 2), worker, at(date(2026, 7, 2)))
    services.snooze(alert, date(2026, 7, 10), worker, at(date(2026, 7, 2)))
    services.run_pass(at(date(2026, 7, 9)), sender=None)
    assert db.session.scalar(select(Notification).where(Notification.key.like("%r2026%"))) is None
    services.run_pass(at(date(2026, 7, 10)), sender=None)
    assert db.session.scalar(select(Notification).where(Notification.key.like("%r2026-07-10%")))


def test_assigned_alert_keeps_its_key_and_stays_with_the_colleague(team_a, worker, coordinator):
    hh = factories.household(team_a, referent=worker)
    factories.visit(hh, worker, day=date(2026, 11, 24))
    services.run_pass(at(date(2026, 11, 23)), sender=None)
    alert = db.session.scalar(select(Alert).where(Alert.rule == "visit_tomorrow"))
    with pytest.raises(services.AlertError):
        services.assign(alert, 99999, worker, at(date(2026, 11, 23)), [worker.id, coordinator.id])
    services.assign(alert, coordinator.id, worker, at(date(2026, 11, 23)),
                    [worker.id, coordinator.id])
    services.run_pass(at(date(2026, 11, 23), 10), sender=None)
    assert db.session.scalars(select(Alert.user_id).where(Alert.rule == "visit_tomorrow")
                              ).all() == [coordinator.id]
    assert db.session.scalar(select(Notification).where(Notification.user_id == coordinator.id))


# -- Quiet hours and digest ------------------------------------------------------------------


def test_quiet_hours_push_back_a_non_urgent_notification_to_the_morning():
    pref = PushPreference(quiet_start=time(20, 0), quiet_end=time(8, 0), digest=False,
                          digest_at=time(8, 0), muted_rules=[])
    night = at(date(2026, 11, 23), 22, 0)
    assert services.deliver_after(pref, False, night) == at(date(2026, 11, 24), 8, 0)
    assert services.deliver_after(pref, True, night) == night
    day = at(date(2026, 11, 23), 19, 59)
    assert services.deliver_after(pref, False, day) == day
    assert services.in_quiet_hours(pref, at(date(2026, 11, 23), 20, 0))
    assert not services.in_quiet_hours(pref, at(date(2026, 11, 24), 8, 0))


def test_digest_holds_non_urgent_notifications_until_its_hour():
    pref = PushPreference(quiet_start=None, quiet_end=None, digest=True, digest_at=time(7, 30),
                          muted_rules=[])
    assert services.deliver_after(pref, False, at(date(2026, 11, 23), 9)) == \
        at(date(2026, 11, 24), 7, 30)
    assert services.deliver_after(pref, False, at(date(2026, 11, 23), 7, 0)) == \
        at(date(2026, 11, 23), 7, 30)


def test_one_push_per_person_per_pass_and_muted_kinds_are_not_pushed(team_a, worker):
    hh = factories.household(team_a, referent=worker)
    factories.visit(hh, worker, day=date(2026, 11, 24))
    factories.visit(factories.household(team_a, referent=worker), worker, day=date(2026, 11, 24))
    factories.push_subscription(worker, "https://push.example.test/a")
    sent = []
    services.run_pass(at(date(2026, 11, 23), 10), sender=lambda s, d, t, u: sent.append(d) or 201)
    assert [d["count"] for d in sent] == [2]
    assert "nouvelles alertes" in sent[0]["body"]
    db.session.add(PushPreference(user_id=worker.id, muted_rules=["visit_tomorrow"]))
    db.session.commit()
    factories.visit(factories.household(team_a, referent=worker), worker, day=date(2026, 11, 24))
    services.run_pass(at(date(2026, 11, 23), 11), sender=lambda s, d, t, u: sent.append(d) or 201)
    assert len(sent) == 1
    assert db.session.scalar(select(Notification.status).order_by(Notification.id.desc())) == "muted"


def test_transient_failure_is_retried_later_not_lost(team_a, worker):
    factories.visit(factories.household(team_a, referent=worker), worker, day=date(2026, 11, 24))
    factories.push_subscription(worker, "https://push.example.test/a")
    now = at(date(2026, 11, 23), 10)
    services.run_pass(now, sender=lambda *a: 503)
    n = db.session.scalar(select(Notification))
    assert (n.status, n.attempts) == ("pending", 1)
    sent = []
    services.run_pass(now + timedelta(minutes=1), sender=lambda s, d, t, u: sent.append(d) or 201)
    assert sent == []  # not before the retry delay
    services.run_pass(now + timedelta(minutes=11), sender=lambda s, d, t, u: sent.append(d) or 201)
    db.session.refresh(n)
    assert (len(sent), n.status) == (1, "sent")


def test_a_device_whose_send_raises_does_not_stop_the_pass(team_a, worker, coordinator):
    for who in (worker, coordinator):
        factories.visit(factories.household(team_a, referent=who), who, day=date(2026, 11, 24))
    factories.push_subscription(worker, "https://push.example.test/broken")
    factories.push_subscription(worker, "https://push.example.test/ok")
    factories.push_subscription(coordinator, "https://push.example.test/c")
    sent = []

    def sender(sub, data, ttl, urgency):
        if sub.endpoint.endswith("/broken"):
            raise ValueError("Invalid EC key")
        sent.append(sub.endpoint)
        return 201

    result = services.run_pass(at(date(2026, 11, 23), 10), sender=sender)
    assert sorted(sent) == ["https://push.example.test/c", "https://push.example.test/ok"]
    assert (result.pushes, result.gone) == (2, 0)  # an unknown error: kept, tried next time
    assert set(db.session.scalars(select(Notification.status))) == {"sent"}


class Crash(BaseException):
    """The scheduler's process dies mid-send (nothing the pass could catch)."""


def _dies(*_args):
    raise Crash


def test_a_claim_left_by_a_dead_scheduler_is_sent_once_its_lease_expires(team_a, worker):
    factories.visit(factories.household(team_a, referent=worker), worker, day=date(2026, 11, 24))
    factories.push_subscription(worker, "https://push.example.test/a")
    now = at(date(2026, 11, 23), 10)
    with pytest.raises(Crash):
        services.run_pass(now, sender=_dies)
    db.session.rollback()
    n = db.session.scalar(select(Notification))
    assert (n.status, n.claimed_at, n.attempts) == ("sending", now, 0)
    sent = []

    def record(sub, data, ttl, urgency):
        sent.append(data)
        return 201

    services.run_pass(now + services.CLAIM_LEASE - timedelta(seconds=1), sender=record)
    db.session.refresh(n)
    assert (sent, n.status) == ([], "sending")  # a live claim is never taken over
    result = services.run_pass(now + services.CLAIM_LEASE, sender=record)
    db.session.refresh(n)
    assert (result.reclaimed, result.pushes, n.status, n.attempts) == (1, 1, "sent", 1)
    assert [d["count"] for d in sent] == [1]
    services.run_pass(now + 3 * services.CLAIM_LEASE, sender=record)
    assert len(sent) == 1


def test_a_notification_whose_scheduler_keeps_dying_fails_after_the_last_attempt(
        team_a, worker):
    factories.visit(factories.household(team_a, referent=worker), worker, day=date(2026, 11, 24))
    factories.push_subscription(worker, "https://push.example.test/a")
    now = at(date(2026, 11, 23), 10)
    for i in range(services.MAX_ATTEMPTS):
        with pytest.raises(Crash):
            services.run_pass(now + i * services.CLAIM_LEASE, sender=_dies)
        db.session.rollback()
    sent = []
    result = services.run_pass(now + services.MAX_ATTEMPTS * services.CLAIM_LEASE,
                               sender=lambda *a: sent.append(a) or 201)
    n = db.session.scalar(select(Notification))
    assert (sent, result.reclaimed, n.status, n.attempts) == ([], 1, "failed",
                                                              services.MAX_ATTEMPTS)


def test_flask_alerts_run_once(runner, team_a, worker):
    factories.visit(factories.household(team_a, referent=worker), worker,
                    day=rules.today_paris(__import__("app.timeutil", fromlist=["utcnow"]).utcnow()) + timedelta(days=1))
    result = runner.invoke(args=["alerts", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 alertes nouvelles" in result.output
    assert db.session.scalar(select(Alert.rule)) == "visit_tomorrow"


def test_team_lead_settings_override_and_reset(team_a, coordinator):
    services.save_leads(coordinator, team_a.id, {"not_seen": 45, "lease_end": 60},
                        at(date(2026, 11, 23)))
    rows = db.session.scalars(select(AlertSetting)).all()
    assert [(r.rule, r.lead) for r in rows] == [("not_seen", 45)]
    services.save_leads(coordinator, team_a.id, {"not_seen": 30}, at(date(2026, 11, 23)))
    assert db.session.scalars(select(AlertSetting)).all() == []
    with pytest.raises(services.AlertError):
        services.save_leads(coordinator, team_a.id, {"not_seen": -1}, at(date(2026, 11, 23)))


def test_a_pass_leaves_no_transaction_open(app):
    """An open transaction after a pass would hold SQLite's write lock for other schedulers."""
    from app.alerts import services as alert_services
    from app.extensions import db

    alert_services.run_pass(datetime(2026, 11, 23, 9, 0), sender=lambda *a: 201)
    assert not db.session().in_transaction()


# -- The set-based pass (issue 10's measure): the same alerts, at the same boundaries ----------


def test_not_seen_uses_each_teams_own_lead_even_when_another_team_is_shorter(
        team_a, team_b, worker):
    other = factories.user((team_b, "worker"), email="b@exemple.test")
    near = factories.household(team_a, referent=worker, name="Famille Proche")
    far = factories.household(team_b, referent=other, name="Famille Loin")
    for hh, who in ((near, worker), (far, other)):
        factories.enrolment(hh, date(2026, 1, 1))
        factories.report(factories.visit(hh, who, day=date(2026, 10, 1)), who)
        factories.visit(hh, who, day=date(2026, 10, 25))  # later, but no report: not "seen"
    leads = {(team_a.id, "not_seen"): 20}
    assert candidates("not_seen", at(date(2026, 10, 20)), leads) == []  # 19 days
    [got] = candidates("not_seen", at(date(2026, 10, 21)), leads)  # 20 days for team A
    assert (got.object_id, got.due_on, got.stage) == (near.id, date(2026, 10, 21), "j20")
    assert "depuis le 1er octobre 2026" in got.label
    assert [c.object_id for c in candidates("not_seen", at(date(2026, 10, 30)), leads)] == [
        near.id]
    assert {c.object_id for c in candidates("not_seen", at(date(2026, 10, 31)), leads)} == {
        near.id, far.id}  # 30 days for team B


def test_not_seen_counts_a_report_written_today_and_a_household_never_seen(team_a, worker):
    hh = factories.household(team_a, referent=worker, created_at=at(date(2026, 10, 1)))
    factories.enrolment(hh, date(2026, 10, 1))
    assert candidates("not_seen", at(date(2026, 10, 30))) == []  # 29 days since its opening
    [never] = candidates("not_seen", at(date(2026, 10, 31)))
    assert (never.object_id, never.due_on) == (hh.id, date(2026, 10, 31))
    assert "aucune visite avec compte rendu" in never.label
    factories.report(factories.visit(hh, worker, day=date(2026, 11, 23)), worker)
    assert candidates("not_seen", at(date(2026, 11, 23))) == []
    assert candidates("not_seen", at(date(2026, 12, 22))) == []  # 29 days
    assert len(candidates("not_seen", at(date(2026, 12, 23)))) == 1


def test_report_missing_and_visit_tomorrow_go_to_every_worker_of_the_visit(
        team_a, worker, coordinator):
    second = factories.user((team_a, "worker"), email="w2@exemple.test")
    hh = factories.household(team_a, referent=worker)
    past = factories.visit(hh, worker, day=date(2026, 11, 20), at=time(9, 0))
    past.workers.append(second)
    coming = factories.visit(hh, worker, day=date(2026, 11, 24))
    coming.workers.append(second)
    db.session.commit()
    now = at(date(2026, 11, 23))
    [missing] = candidates("report_missing", now)
    [tomorrow] = candidates("visit_tomorrow", now)
    assert missing.recipients == tomorrow.recipients == tuple(sorted((worker.id, second.id)))


def test_arrears_alert_follows_the_sql_arrears_day_and_amount(team_a, worker):
    hh = factories.household(team_a, referent=worker, name="Famille Retard")
    c = factories.contract(factories.flat(team_a), hh, start_on=date(2026, 9, 1))
    factories.payment(c, date(2026, 9, 2), "450.00")
    factories.payment(c, date(2026, 10, 2), "450.00", cancelled=True)
    assert candidates("arrears", at(date(2026, 10, 31))) == []  # 450 € owed: one month
    [got] = candidates("arrears", at(date(2026, 11, 1)))  # 900 € owed
    assert (got.object_id, got.due_on, got.urgency) == (c.id, date(2026, 11, 1), "urgent")
    assert "Impayé de 900,00" in got.label
    factories.payment(c, date(2026, 11, 5), "450.00")
    assert candidates("arrears", at(date(2026, 11, 5))) == []


def test_a_second_pass_queues_nothing_and_a_new_holder_is_notified_once(
        team_a, worker, coordinator):
    factories.visit(factories.household(team_a, referent=worker), worker,
                    day=date(2026, 11, 24))
    now = at(date(2026, 11, 23))
    first = services.run_pass(now, sender=None)
    assert (first.created, first.queued) == (1, 1)
    again = services.run_pass(now + timedelta(minutes=5), sender=None)
    assert (again.created, again.updated, again.resolved, again.queued) == (0, 0, 0, 0)
    alert = db.session.scalar(select(Alert))
    services.assign(alert, coordinator.id, worker, now, [worker.id, coordinator.id])
    assert services.run_pass(now + timedelta(minutes=10), sender=None).queued == 1
    services.assign(alert, worker.id, coordinator, now, [worker.id, coordinator.id])
    services.run_pass(now + timedelta(minutes=15), sender=None)
    assert sorted(db.session.scalars(select(Notification.user_id))) == sorted(
        [worker.id, coordinator.id])  # back to the worker: not notified twice


def test_notifications_of_people_without_a_device_are_settled_and_others_sent(
        team_a, worker, coordinator):
    factories.visit(factories.household(team_a, referent=worker), worker,
                    day=date(2026, 11, 24))
    factories.visit(factories.household(team_a), coordinator, day=date(2026, 11, 24))
    factories.push_subscription(worker, "https://push.example.test/w")
    sent = []
    result = services.run_pass(at(date(2026, 11, 23)),
                               sender=lambda s, d, t, u: sent.append(s.user_id) or 201)
    assert (result.pushes, sent) == (1, [worker.id])
    status = dict(db.session.execute(select(Notification.user_id, Notification.status)).all())
    assert status == {worker.id: "sent", coordinator.id: "no_device"}


def test_the_embedded_default_runs_the_scheduler_in_the_server_process(app, team_a, worker,
                                                                      monkeypatch):
    """With ALERTS_SCHEDULER_IN_PROCESS, the first request starts one thread that runs a pass at
    once (here: the visit of tomorrow becomes an alert); CLI commands never start it."""
    import threading

    from app import create_app
    from app.alerts import scheduler

    ran = threading.Event()
    real = scheduler.one_pass
    monkeypatch.setattr(scheduler, "one_pass", lambda a: (real(a), ran.set()))

    day = rules.today_paris(__import__("app.timeutil", fromlist=["utcnow"]).utcnow())
    factories.visit(factories.household(team_a, referent=worker), worker,
                    day=day + timedelta(days=1))
    db.session.commit()
    served = create_app({**{k: v for k, v in app.config.items() if k.isupper()},
                         "ALERTS_SCHEDULER_IN_PROCESS": True, "ALERTS_INTERVAL_SECONDS": 3600})
    assert served.test_cli_runner().invoke(args=["alerts", "--help"]).exit_code == 0
    assert "terrain_alerts_stop" not in served.extensions
    client = served.test_client()
    client.get("/connexion")
    client.get("/connexion")  # a second request starts nothing more
    [thread] = [t for t in threading.enumerate() if t.name == "terrain-alerts"]
    assert ran.wait(timeout=60)  # the thread's first pass (an event, not a sleep)
    served.extensions["terrain_alerts_stop"].set()
    thread.join(timeout=60)
    assert not thread.is_alive()
    db.session.rollback()
    assert db.session.scalar(select(Alert.rule)) == "visit_tomorrow"
    with served.app_context():
        db.engine.dispose()


def test_bulk_insert_writes_what_the_orm_would_and_ignores_conflicts(team_a, worker):
    """The pass's inserts bypass SQLAlchemy's per-row conversion on SQLite: the values read
    back are the ones given (dates, instants to the microsecond, booleans, NULLs), a key
    already there is skipped, and rows leaving a defaulted column out still get its default."""
    now = datetime(2026, 11, 23, 8, 0, 0, 123456)
    hh = factories.household(team_a, referent=worker)
    base = {"rule": "not_seen", "team_id": team_a.id, "object_type": "household",
            "label": "Ménage — é", "urgency": "soon", "user_id": worker.id, "state": "open",
            "created_at": now, "updated_at": now + timedelta(microseconds=1)}
    rows = [dict(base, key=f"k{i}", object_id=i, household_id=hh.id if i % 2 else None,
                 due_on=date(2026, 11, 1) + timedelta(days=i % 3), stage=f"j{i % 2}")
            for i in range(7)]
    services._insert_ignore(Alert, rows)
    services._insert_ignore(Alert, [dict(rows[0], label="autre")])  # same key: ignored
    db.session.commit()
    got = {a.key: a for a in db.session.scalars(select(Alert))}
    assert len(got) == 7
    assert got["k0"].label == "Ménage — é"
    for row in rows:
        a = got[row["key"]]
        assert (a.due_on, a.created_at, a.updated_at, a.household_id, a.stage) == (
            row["due_on"], now, now + timedelta(microseconds=1), row["household_id"],
            row["stage"])
    alert = got["k3"]
    services._insert_ignore(Notification, [
        {"key": "n1", "user_id": worker.id, "alert_id": alert.id, "rule": "not_seen",
         "urgent": True, "status": "pending", "deliver_after": now, "attempts": 0,
         "created_at": now},
        {"key": "n2", "user_id": worker.id, "alert_id": None, "rule": "not_seen",
         "urgent": False, "status": "muted", "deliver_after": now, "attempts": 2,
         "created_at": now}])
    services._insert_ignore(Notification, [  # "urgent", "attempts" left to their defaults
        {"key": "n3", "user_id": worker.id, "alert_id": None, "rule": "not_seen",
         "status": "pending", "deliver_after": now, "created_at": now}])
    db.session.commit()
    n = {x.key: x for x in db.session.scalars(select(Notification))}
    assert (n["n1"].urgent, n["n1"].alert_id, n["n1"].deliver_after) == (True, alert.id, now)
    assert (n["n2"].urgent, n["n2"].alert_id, n["n2"].attempts, n["n2"].status) == (
        False, None, 2, "muted")
    assert (n["n3"].urgent, n["n3"].attempts) == (False, 0)
