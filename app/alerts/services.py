"""Writes: the scheduler pass (rules -> alerts -> notifications -> pushes), actions on an
alert, push subscriptions, preferences and team lead times."""
from __future__ import annotations

import gc
import logging
import secrets
import threading
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import (String, and_, bindparam, case, cast, delete, exists, not_, or_, select,
                        update)

from app.alerts import push, rules
from app.alerts.models import (Alert, AlertSetting, Notification, PushPreference,
                               PushSubscription)
from app.audit.services import record
from app.extensions import db
from app.timeutil import PARIS, to_paris, today_paris

log = logging.getLogger("terrain.alerts")

MAX_ATTEMPTS = 5
RETRY_AFTER = timedelta(minutes=10)
#: A claim older than this is taken to be a scheduler that died between claiming and
#: recording the result: the notification goes back to pending (an attempt counted). Far
#: longer than one person's sends (10 s timeout per device), so a live claim is never taken.
CLAIM_LEASE = timedelta(minutes=10)
CHUNK = 500  #: ids or keys in one IN (...)
BULK = 5000  #: rows in one executemany


class AlertError(ValueError):
    """A refused action on an alert (French message)."""


# -- The pass ----------------------------------------------------------------------------------


@dataclass
class PassResult:
    """What one scheduler pass did."""

    candidates: int = 0
    created: int = 0
    updated: int = 0
    resolved: int = 0
    queued: int = 0
    pushes: int = 0  #: push requests answered 2xx
    gone: int = 0  #: subscriptions deleted (404/410, or keys that can never work)
    reclaimed: int = 0  #: notifications whose claim had expired, put back in the queue
    timings: dict = field(default_factory=dict)


Sender = Callable[[PushSubscription, dict, int, str], int]


def _insert_ignore(model, rows: list[dict]) -> None:
    """INSERT … ON CONFLICT DO NOTHING (SQLite and PostgreSQL): the unique key decides."""
    if not rows:
        return
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # On the Table, not the mapped class: a plain executemany, without the ORM's bulk
    # machinery (three times slower for the ~20,000 rows of a first pass).
    stmt = insert(model.__table__).on_conflict_do_nothing()
    if db.engine.dialect.name == "sqlite":
        _executemany_sqlite(stmt, model.__table__, rows)
        return
    # PostgreSQL: SQLAlchemy batches the rows into multi-row VALUES ("insertmanyvalues"),
    # far fewer round trips than the driver's executemany.
    for i in range(0, len(rows), BULK):
        db.session.execute(stmt, rows[i:i + BULK])


def _executemany_sqlite(stmt, table, rows: list[dict]) -> None:
    """Hand the rows to sqlite3's executemany once converted, each distinct value once.

    SQLAlchemy builds a parameter dict and runs each column's converter for every row (two
    thirds of the insert's time for the ~20,000 alerts of a first pass), while a pass's
    rows share most of their values (one instant, a few hundred due dates): the converter
    of each column runs once per distinct value here, then the driver does the rest.
    """
    conn = db.session.connection()
    dialect = conn.dialect
    keys = list(rows[0])
    compiled = stmt.compile(dialect=dialect, column_keys=keys)
    order = list(compiled.positiontup)
    if set(order) != set(keys):  # a column left to its Python default: SQLAlchemy fills it
        for i in range(0, len(rows), BULK):
            db.session.execute(stmt, rows[i:i + BULK])
        return
    columns = []
    for key in order:
        values = [row[key] for row in rows]
        process = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            try:
                seen = {v: process(v) for v in set(values) if v is not None}
                values = [None if v is None else seen[v] for v in values]
            except TypeError:  # not hashable (a list for a JSON column)
                values = [None if v is None else process(v) for v in values]
        columns.append(values)
    params = list(zip(*columns))
    conn.exec_driver_sql(compiled.string, params)


def leads() -> dict[tuple[int, str], int]:
    """Every team's lead times that differ from the defaults."""
    return {(s.team_id, s.rule): s.lead for s in db.session.scalars(select(AlertSetting))}


def run_pass(now: datetime, sender: Sender | None = push.send, deliver: bool = True) -> PassResult:
    """One scheduler pass: evaluate the rules, sync the alerts, queue and send notifications.

    Safe to run in several processes at once: alerts and notifications are inserted by unique
    key and a notification is claimed by one scheduler before it is sent.
    """
    import time as _t

    result = PassResult()
    start, cpu = _t.perf_counter(), _t.process_time()
    with _no_full_collections():
        ctx = rules.Context(today_paris(now), now, leads())
        candidates = rules.evaluate(ctx)
        db.session.rollback()  # end the read transaction before writing
        result.candidates = len(candidates)
        result.timings["rules"] = _t.perf_counter() - start
        result.timings["by_rule"] = ctx.timings
        sync_alerts(candidates, now, result)
        result.timings["sync"] = _t.perf_counter() - start
        result.queued = queue_notifications(now)
        result.timings["queue"] = _t.perf_counter() - start
        del candidates, ctx
    if deliver and sender is not None:
        deliver_pending(now, sender, result)
    # A pass ends with no transaction open, whoever calls it (the scheduler also removes its
    # session, but a caller running passes back to back would otherwise keep SQLite's write
    # lock and make a second scheduler time out).
    db.session.rollback()
    result.timings["total"] = _t.perf_counter() - start
    result.timings["cpu"] = _t.process_time() - cpu  # the whole process's (every thread)
    return result


_gc_lock = threading.Lock()
_gc_holders = 0


@contextmanager
def _no_full_collections():
    """Pause the cyclic garbage collector while a pass evaluates and writes.

    A pass makes ~100,000 short-lived rows, tuples and candidates, freed by reference counting;
    their number alone triggers full collections that walk every object of the process (about
    a third of a pass's CPU time on the benchmark) and free nothing. Collection resumes, and
    catches up, as soon as the last pass running in this process leaves.
    """
    global _gc_holders
    with _gc_lock:
        if _gc_holders == 0:
            _no_full_collections.was_enabled = gc.isenabled()
            gc.disable()
        _gc_holders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holders -= 1
            if _gc_holders == 0 and _no_full_collections.was_enabled:
                gc.enable()


def sync_alerts(candidates: Iterable[rules.Candidate], now: datetime,
                result: PassResult | None = None) -> None:
    """Make the alert table match the rules: new causes inserted, changed ones updated,
    acknowledged ones re-opened at a new stage, vanished causes resolved."""
    result = result or PassResult()
    wanted: dict[str, tuple[rules.Candidate, int]] = {}
    for c in candidates:
        for user_id in c.recipients:
            wanted[c.key(user_id)] = (c, user_id)
    live = {row.key: row for row in db.session.execute(
        select(Alert.id, Alert.key, Alert.stage, Alert.label, Alert.urgency, Alert.state)
        .where(Alert.state != "resolved"))}
    fresh = [k for k in wanted if k not in live]
    # Causes back after being resolved (a visit planned again on the same day): re-open.
    reopen = []
    for i in range(0, len(fresh), CHUNK):
        reopen += db.session.execute(select(Alert.id, Alert.key)
                                     .where(Alert.key.in_(fresh[i:i + CHUNK]))).all()
    reopened = {k for _, k in reopen}
    rows = []
    for k in fresh:
        if k in reopened:
            continue
        c, user_id = wanted[k]
        rows.append({"key": k, "rule": c.rule, "team_id": c.team_id,
                     "object_type": c.object_type, "object_id": c.object_id,
                     "household_id": c.household_id, "due_on": c.due_on, "label": c.label,
                     "urgency": c.urgency, "stage": c.stage, "user_id": user_id,
                     "state": "open", "created_at": now, "updated_at": now})
    _insert_ignore(Alert, rows)
    result.created = len(rows)
    changes = []
    for alert_id, k in reopen:
        c, _ = wanted[k]
        changes.append({"b_id": alert_id, "state": "open", "resolved_at": None,
                        "stage": c.stage, "label": c.label, "urgency": c.urgency,
                        "updated_at": now})
    for k, row in live.items():
        if k not in wanted:
            continue
        c, _ = wanted[k]
        if (row.stage, row.label, row.urgency) != (c.stage, c.label, c.urgency):
            state = "open" if row.stage != c.stage else row.state
            changes.append({"b_id": row.id, "state": state, "resolved_at": None,
                            "stage": c.stage, "label": c.label, "urgency": c.urgency,
                            "updated_at": now})
    if changes:
        stmt = (update(Alert.__table__).where(Alert.__table__.c.id == bindparam("b_id"))
                .values(state=bindparam("state"), resolved_at=bindparam("resolved_at"),
                        stage=bindparam("stage"), label=bindparam("label"),
                        urgency=bindparam("urgency"), updated_at=bindparam("updated_at")))
        db.session.execute(stmt, changes)
    result.updated = len(changes)
    gone = [row.id for k, row in live.items() if k not in wanted]
    for i in range(0, len(gone), CHUNK):
        db.session.execute(update(Alert).where(Alert.id.in_(gone[i:i + CHUNK]),
                                               Alert.state != "resolved")
                           .values(state="resolved", resolved_at=now, updated_at=now))
    result.resolved = len(gone)
    db.session.commit()


def preference(user_id: int) -> PushPreference:
    """A person's preferences (defaults when never saved; not added to the session)."""
    pref = db.session.scalar(select(PushPreference).where(PushPreference.user_id == user_id))
    return pref or PushPreference(user_id=user_id, muted_rules=[], quiet_start=time(20, 0),
                                  quiet_end=time(8, 0), digest=False, digest_at=time(8, 0))


def in_quiet_hours(pref: PushPreference, at: datetime) -> bool:
    """Whether `at` (naive UTC) falls in the person's quiet hours (Paris time)."""
    if pref.quiet_start is None or pref.quiet_end is None or pref.quiet_start == pref.quiet_end:
        return False
    clock = to_paris(at).time()
    if pref.quiet_start < pref.quiet_end:
        return pref.quiet_start <= clock < pref.quiet_end
    return clock >= pref.quiet_start or clock < pref.quiet_end


def _next_paris(at: datetime, clock: time) -> datetime:
    """The next instant (naive UTC) at or after `at` when Paris shows `clock`."""
    local = to_paris(at)
    target = datetime.combine(local.date(), clock, tzinfo=PARIS)
    if target < local:
        target = datetime.combine(local.date() + timedelta(days=1), clock, tzinfo=PARIS)
    from datetime import UTC

    return target.astimezone(UTC).replace(tzinfo=None)


def deliver_after(pref: PushPreference, urgent: bool, now: datetime) -> datetime:
    """When a notification may go: urgent at once; otherwise at the digest hour when the person
    chose a digest, else at the end of the quiet hours, else now."""
    if urgent:
        return now
    if pref.digest:
        return _next_paris(now, pref.digest_at)
    if in_quiet_hours(pref, now):
        return _next_paris(now, pref.quiet_end)
    return now


def queue_notifications(now: datetime) -> int:
    """Queue one notification per open alert stage, snooze round and holder (unique key),
    respecting snoozes, muted kinds, quiet hours and the digest choice."""
    today = today_paris(now)
    # An alert owes a notification when none exists with its key for its stage and holder
    # (one index probe each; a snoozed alert's round is decided below, in Python).
    plain = Alert.key + "|" + Alert.stage + "|" + cast(Alert.user_id, String)
    notified = exists().where(Notification.key == plain)
    rows = db.session.execute(
        select(Alert.id, Alert.key, Alert.stage, Alert.user_id, Alert.rule, Alert.urgency,
               Alert.snoozed_until)
        .where(Alert.state == "open", Alert.user_id.is_not(None),
               or_(Alert.snoozed_until.is_not(None), not_(notified)))).all()
    todo = []
    for r in rows:
        if r.snoozed_until and r.snoozed_until > today:
            continue
        round_ = f"r{r.snoozed_until.isoformat()}" if r.snoozed_until else ""
        todo.append((r, f"{r.key}|{r.stage}{round_}|{r.user_id}"))
    snoozed = [nkey for r, nkey in todo if r.snoozed_until]
    done = set()
    for i in range(0, len(snoozed), CHUNK):
        done.update(db.session.scalars(select(Notification.key)
                                       .where(Notification.key.in_(snoozed[i:i + CHUNK]))))
    todo = [(r, nkey) for r, nkey in todo if nkey not in done]
    if not todo:
        db.session.rollback()
        return 0
    prefs = {p.user_id: p for p in db.session.scalars(
        select(PushPreference).where(PushPreference.user_id.in_({r.user_id for r, _ in todo})))}
    default = preference(0)
    after: dict[tuple[int, bool], datetime] = {}  # per person and urgency, for this instant
    out = []
    for r, nkey in todo:
        pref = prefs.get(r.user_id) or default
        urgent = r.urgency == "urgent"
        if (r.user_id, urgent) not in after:
            after[r.user_id, urgent] = deliver_after(pref, urgent, now)
        out.append({"key": nkey, "user_id": r.user_id, "alert_id": r.id, "rule": r.rule,
                    "urgent": urgent,
                    "status": "muted" if r.rule in (pref.muted_rules or []) else "pending",
                    "deliver_after": after[r.user_id, urgent], "attempts": 0,
                    "created_at": now})
    _insert_ignore(Notification, out)
    db.session.commit()
    return len(out)


def deliver_pending(now: datetime, sender: Sender, result: PassResult | None = None) -> int:
    """Claim each person's due notifications (one scheduler wins each) and send one push per
    device saying how many there are."""
    result = result or PassResult()
    result.reclaimed += release_expired_claims(now)
    due = and_(Notification.status == "pending", Notification.deliver_after <= now)
    # Nobody to push to: settled in one statement (each row changes once, whichever scheduler
    # runs it), rather than claimed and read back person by person.
    db.session.execute(update(Notification)
                       .where(due, Notification.user_id.not_in(select(PushSubscription.user_id)))
                       .values(status="no_device"), execution_options={"synchronize_session": False})
    db.session.commit()
    users = list(db.session.scalars(select(Notification.user_id).where(due).distinct()))
    db.session.rollback()
    for user_id in users:
        token = secrets.token_hex(16)
        db.session.execute(update(Notification)
                           .where(Notification.user_id == user_id, due)
                           .values(status="sending", claim=token, claimed_at=now),
                           execution_options={"synchronize_session": False})
        db.session.commit()
        claimed = db.session.execute(
            select(Notification.id, Notification.rule, Notification.urgent, Notification.attempts)
            .where(Notification.user_id == user_id, Notification.claim == token)).all()
        if not claimed:
            db.session.rollback()  # never leave a transaction (on SQLite, the write lock) open
            continue
        pref = preference(user_id)
        digest = pref.digest and not any(n.urgent for n in claimed)
        kinds = [rules.RULES[n.rule] for n in claimed if n.rule in rules.RULES]
        ttl = min((k.ttl for k in kinds), default=24 * 3600)
        urgency = max((k.push_urgency for k in kinds), key=rules.PUSH_URGENCY_RANK.get,
                      default="normal")
        if any(n.urgent for n in claimed):
            urgency = "high"
        status, sent = _send_to_devices(user_id, push.payload(len(claimed), digest), ttl,
                                        urgency, sender, now, result)
        # Written only while the claim is still ours (an expired lease may have moved it on).
        if status == "retry":
            table = Notification.__table__
            db.session.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"), table.c.claim == token)
                .values(attempts=bindparam("attempts"), status=bindparam("status"), claim=None,
                        claimed_at=None, deliver_after=now + RETRY_AFTER),
                [{"b_id": n.id, "attempts": n.attempts + 1,
                  "status": "failed" if n.attempts + 1 >= MAX_ATTEMPTS else "pending"}
                 for n in claimed])
        else:
            db.session.execute(update(Notification).where(Notification.claim == token)
                               .values(status=status, sent_at=now if status == "sent" else None),
                               execution_options={"synchronize_session": False})
        db.session.commit()
    return result.pushes


def release_expired_claims(now: datetime) -> int:
    """Put back in the queue the notifications claimed more than CLAIM_LEASE before `now` and
    never settled (their scheduler died mid-send); each such claim counts as an attempt, and
    the MAX_ATTEMPTS-th makes it failed. One statement: whichever scheduler runs it first
    releases a row, the other finds it no longer `sending`."""
    expired = and_(Notification.status == "sending",
                   or_(Notification.claimed_at.is_(None),
                       Notification.claimed_at <= now - CLAIM_LEASE))
    count = db.session.execute(
        update(Notification).where(expired)
        .values(status=case((Notification.attempts + 1 >= MAX_ATTEMPTS, "failed"),
                            else_="pending"),
                attempts=Notification.attempts + 1, claim=None, claimed_at=None),
        execution_options={"synchronize_session": False}).rowcount
    db.session.commit()
    if count:
        log.warning("%s notification(s) claimed before %s and never settled: released",
                    count, now - CLAIM_LEASE)
    return count


def _send_to_devices(user_id: int, data: dict, ttl: int, urgency: str, sender: Sender,
                     now: datetime, result: PassResult) -> tuple[str, int]:
    """Send to each device of a person; delete the ones the push service says are gone.

    The subscriptions are detached before the commit, so reading them during the network calls
    opens no transaction (on SQLite it would hold the write lock while waiting on the push
    service, and a second scheduler would time out); results are written afterwards at once.
    """
    subs = list(db.session.scalars(select(PushSubscription)
                                   .where(PushSubscription.user_id == user_id)))
    for sub in subs:
        db.session.expunge(sub)
    db.session.commit()  # no transaction held open during network calls
    if not subs:
        return "no_device", 0
    delivered, gone = [], []
    failed = 0
    for sub in subs:
        try:
            code = sender(sub, data, ttl, urgency)
        except Exception:  # noqa: BLE001 - one device's error must not stop the others
            log.exception("push to subscription %s failed", sub.id)
            code = 0
        if 200 <= code < 300:
            delivered.append(sub.id)
        elif code in (404, 410, push.UNUSABLE):
            gone.append(sub.id)
        else:
            failed += 1
    if delivered:
        db.session.execute(update(PushSubscription).where(PushSubscription.id.in_(delivered))
                           .values(last_sent_at=now))
    if gone:
        db.session.execute(delete(PushSubscription).where(PushSubscription.id.in_(gone)))
        result.gone += len(gone)
    result.pushes += len(delivered)
    if delivered:
        return "sent", len(delivered)
    return ("retry", 0) if failed else ("no_device", 0)


# -- Actions on an alert ---------------------------------------------------------------------


def acknowledge(alert: Alert, actor, now: datetime) -> None:
    """Mark an alert as seen: silent until its next stage (J-30, J-7…)."""
    if alert.state == "resolved":
        raise AlertError("Cette alerte est déjà résolue.")
    alert.state, alert.acknowledged_at, alert.updated_at = "ack", now, now
    record("alert.acknowledge", actor=actor, object_type="alert", object_id=alert.id,
           team_id=alert.team_id)
    db.session.commit()


def reopen(alert: Alert, actor, now: datetime) -> None:
    """Put an acknowledged or snoozed alert back in the list."""
    if alert.state == "resolved":
        raise AlertError("Cette alerte est déjà résolue.")
    alert.state, alert.snoozed_until, alert.updated_at = "open", None, now
    record("alert.reopen", actor=actor, object_type="alert", object_id=alert.id,
           team_id=alert.team_id)
    db.session.commit()


def snooze(alert: Alert, until: date | None, actor, now: datetime) -> None:
    """Hide an alert until a day (tomorrow at the earliest); it is notified again that day."""
    today = today_paris(now)
    if until is None or until <= today:
        raise AlertError("Choisissez un jour à partir de demain.")
    if until > today + timedelta(days=365):
        raise AlertError("Choisissez un jour dans l'année qui vient.")
    if alert.state == "resolved":
        raise AlertError("Cette alerte est déjà résolue.")
    alert.snoozed_until, alert.state, alert.updated_at = until, "open", now
    record("alert.snooze", actor=actor, object_type="alert", object_id=alert.id,
           team_id=alert.team_id, detail={"until": until.isoformat()})
    db.session.commit()


def assign(alert: Alert, user_id: int, actor, now: datetime, allowed: Iterable[int]) -> None:
    """Give an alert to a colleague of the same team (they are notified)."""
    if user_id not in set(allowed):
        raise AlertError("Choisissez une personne de l'équipe.")
    if alert.state == "resolved":
        raise AlertError("Cette alerte est déjà résolue.")
    alert.user_id, alert.assigned_by_id, alert.state = user_id, actor.id, "open"
    alert.snoozed_until, alert.updated_at = None, now
    record("alert.assign", actor=actor, object_type="alert", object_id=alert.id,
           team_id=alert.team_id, detail={"to": user_id})
    db.session.commit()


# -- Devices and preferences -----------------------------------------------------------------


def subscribe(actor, endpoint: str, p256dh: str, auth: str, device: str | None,
              now: datetime, allow_http: bool = False) -> PushSubscription:
    """Record this device's push subscription (moving it to `actor` if the phone changed hands);
    refused (AlertError) unless the push service is https (plain http on loopback only when
    `allow_http`) and the keys are ones a push can be encrypted to."""
    error = push.endpoint_error(endpoint, allow_http) or push.keys_error(p256dh, auth)
    if error:
        raise AlertError(error)
    sub = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if sub is None:
        sub = PushSubscription(endpoint=endpoint, created_at=now)
        db.session.add(sub)
    sub.user_id, sub.p256dh, sub.auth, sub.device = actor.id, p256dh, auth, (device or "")[:120]
    record("push.subscribe", actor=actor, object_type="push_subscription")
    db.session.commit()
    return sub


def unsubscribe(actor, endpoint: str) -> bool:
    """Forget this device's subscription (only the person's own)."""
    done = db.session.execute(delete(PushSubscription).where(
        PushSubscription.endpoint == endpoint, PushSubscription.user_id == actor.id)).rowcount
    record("push.unsubscribe", actor=actor, object_type="push_subscription")
    db.session.commit()
    return bool(done)


def send_test(actor, now: datetime, sender: Sender = push.send) -> tuple[int, int]:
    """Send a test push to every device of the person: (devices reached, devices gone)."""
    result = PassResult()
    _send_to_devices(actor.id, push.payload(0), 300, "normal", sender, now, result)
    record("push.test", actor=actor, object_type="push_subscription")
    db.session.commit()
    return result.pushes, result.gone


def save_preferences(actor, muted: list[str], quiet_start: time | None, quiet_end: time | None,
                     digest: bool, digest_at: time | None) -> PushPreference:
    """Save the person's notification choices."""
    pref = db.session.scalar(select(PushPreference).where(PushPreference.user_id == actor.id))
    if pref is None:
        pref = PushPreference(user_id=actor.id)
        db.session.add(pref)
    pref.muted_rules = sorted(set(muted) & set(rules.RULES))
    pref.quiet_start, pref.quiet_end = quiet_start, quiet_end
    pref.digest, pref.digest_at = digest, digest_at or time(8, 0)
    record("push.preferences", actor=actor, object_type="push_preference")
    db.session.commit()
    return pref


def save_leads(actor, team_id: int, values: dict[str, int], now: datetime) -> None:
    """Save a team's lead times (a value equal to the default removes the override)."""
    current = {s.rule: s for s in db.session.scalars(
        select(AlertSetting).where(AlertSetting.team_id == team_id))}
    for code, value in values.items():
        if code not in rules.RULES or not rules.RULES[code].has_lead:
            continue
        if value < 0 or value > 365 * (24 if rules.RULES[code].unit == "heures" else 1):
            raise AlertError("Délai hors limites.")
        row = current.get(code)
        if value == rules.RULES[code].default_lead:
            if row is not None:
                db.session.delete(row)
            continue
        if row is None:
            row = AlertSetting(team_id=team_id, rule=code, lead=value)
            db.session.add(row)
        row.lead, row.updated_by_id, row.updated_at = value, actor.id, now
    record("alert.settings", actor=actor, object_type="team", object_id=team_id, team_id=team_id)
    db.session.commit()
