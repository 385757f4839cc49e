"""Permanence use cases. Each is one transaction, takes the acting person and `now` (naive UTC)
explicitly, records an audit row, and refuses with a French `PermanenceError`.

Access is checked by the caller through `queries.*_or_404` (which rows) and, where the rule
depends on the role or the moment, again here (so that a view cannot forget it).
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.audit.services import record
from app.extensions import db
from app.households.text import fold
from app.permanences import queries, rules, vocab
from app.permanences.models import (Aid, AidCriterion, Arrival, Closure, DropInPerson,
                                    DropInSession, Dysfunction, Intake, Orientation, Partner,
                                    PermanenceSettings, ScheduleNeed, SessionNeed,
                                    SessionSchedule, Shift, ShiftCall, VolunteerProfile,
                                    VulnerabilityCriterion)
from app.timeutil import today_paris


class PermanenceError(ValueError):
    """A refused change; the message is French, `field` names the form field it concerns."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class StaleIntake(PermanenceError):
    """The intake was saved by someone else since the form was opened."""


Need = tuple[str, str | None, int]  #: (role, language, count)


def _check_needs(needs: list[Need]) -> list[Need]:
    out: dict[tuple[str, str | None], int] = {}
    for role, language, count in needs:
        if role not in vocab.SESSION_ROLES:
            raise PermanenceError("Rôle inconnu.", "needs")
        if role == "interprete" and language not in vocab.LANGUAGES:
            raise PermanenceError("Précisez la langue de chaque interprète.", "needs")
        if count < 0 or count > 20:
            raise PermanenceError("De 0 à 20 personnes par rôle.", "needs")
        key = (role, language if role == "interprete" else None)
        out[key] = out.get(key, 0) + count
    return [(r, lang, n) for (r, lang), n in out.items() if n > 0]


def _check_hours(starts_at: time, ends_at: time) -> None:
    if ends_at <= starts_at:
        raise PermanenceError("La fin doit être après le début (même jour).", "ends_at")


# -- Settings ---------------------------------------------------------------------------------


def save_settings(actor, team_id: int, *, signup_weeks: int, newcomer_shifts: int,
                  opens_minutes_before: int, now: datetime) -> PermanenceSettings:
    """Change a team's shift rules."""
    if not 1 <= signup_weeks <= 26:
        raise PermanenceError("Entre 1 et 26 semaines.", "signup_weeks")
    if not 0 <= newcomer_shifts <= 20:
        raise PermanenceError("Entre 0 et 20 permanences.", "newcomer_shifts")
    if not 0 <= opens_minutes_before <= 180:
        raise PermanenceError("Entre 0 et 180 minutes.", "opens_minutes_before")
    row = db.session.scalar(select(PermanenceSettings)
                            .where(PermanenceSettings.team_id == team_id))
    if row is None:
        row = PermanenceSettings(team_id=team_id)
        db.session.add(row)
    row.signup_weeks, row.newcomer_shifts = signup_weeks, newcomer_shifts
    row.opens_minutes_before = opens_minutes_before
    row.updated_at, row.updated_by_id = now, actor.id
    record("permanence.settings", actor=actor, object_type="team", object_id=team_id,
           team_id=team_id, detail={"signup_weeks": signup_weeks,
                                    "newcomer_shifts": newcomer_shifts,
                                    "opens_minutes_before": opens_minutes_before}, now=now)
    db.session.commit()
    return row


# -- Calendar ---------------------------------------------------------------------------------


def _copy_needs(session: DropInSession, needs) -> None:
    session.needs = [SessionNeed(role=n.role, language=n.language, count=n.count) for n in needs]


def extend_calendar(team_id: int, today: date, *, now: datetime) -> int:
    """Make the sessions the schedules give from today to the end of the sign-up window
    (plus a week). Public holidays and closures give cancelled sessions. Idempotent."""
    settings = queries.settings_for(team_id)
    first = today
    last = today + timedelta(weeks=settings.signup_weeks + 1)
    scheds = list(db.session.scalars(select(SessionSchedule).where(
        SessionSchedule.team_id == team_id)))
    if not scheds:
        return 0
    existing = set(db.session.execute(
        select(DropInSession.day, DropInSession.starts_at)
        .where(DropInSession.team_id == team_id, DropInSession.day >= first,
               DropInSession.day <= last)).all())
    closing = list(db.session.scalars(select(Closure).where(
        Closure.team_id == team_id, Closure.end_on >= first, Closure.start_on <= last)))
    made = 0
    for sched, day in rules.occurrences(scheds, first, last):
        if (day, sched.starts_at) in existing:
            continue
        session = DropInSession(team_id=team_id, schedule_id=sched.id, day=day,
                                starts_at=sched.starts_at, ends_at=sched.ends_at,
                                place=sched.place, created_at=now)
        _copy_needs(session, sched.needs)
        holiday = rules.holiday_name(day)
        closure, reason = rules.closure_reason(day, closing)
        if holiday:
            session.status, session.cancel_reason = "annulee", f"Jour férié : {holiday}"
        elif closure is not None:
            session.status, session.cancel_reason = "annulee", reason
            session.closure_id = closure.id
        db.session.add(session)
        existing.add((day, sched.starts_at))
        made += 1
    if made:
        try:
            db.session.commit()
        except IntegrityError:
            # Another request made the same sessions at the same moment: theirs stand.
            db.session.rollback()
            return 0
    return made


def extend_calendars(now: datetime) -> int:
    """Extend every permanence team's calendar (for a scheduler or `flask permanences`)."""
    from app.auth.models import Team

    today = today_paris(now)
    ids = db.session.scalars(select(SessionSchedule.team_id).distinct()).all()
    return sum(extend_calendar(t, today, now=now) for t in ids
               if db.session.get(Team, t).programme == "permanence")


def add_schedule(actor, team_id: int, *, weekday: int, starts_at: time, ends_at: time,
                 place: str, valid_from: date, needs: list[Need], now: datetime
                 ) -> SessionSchedule:
    """Add a recurring session (e.g. every Monday 9:00–12:30) and make its sessions."""
    if weekday not in vocab.WEEKDAYS:
        raise PermanenceError("Jour inconnu.", "weekday")
    _check_hours(starts_at, ends_at)
    if not (place or "").strip():
        raise PermanenceError("Indiquez le lieu.", "place")
    needs = _check_needs(needs)
    sched = SessionSchedule(team_id=team_id, weekday=weekday, starts_at=starts_at,
                            ends_at=ends_at, place=place.strip(), valid_from=valid_from,
                            created_at=now)
    sched.needs = [ScheduleNeed(role=r, language=lang, count=n) for r, lang, n in needs]
    db.session.add(sched)
    db.session.flush()
    record("permanence.schedule", actor=actor, object_type="session_schedule",
           object_id=sched.id, team_id=team_id,
           detail={"weekday": weekday, "from": valid_from.isoformat()}, now=now)
    db.session.commit()
    extend_calendar(team_id, today_paris(now), now=now)
    return sched


def update_schedule_needs(actor, sched: SessionSchedule, needs: list[Need], *, now: datetime
                          ) -> int:
    """Change what a schedule's sessions need; coming sessions not changed by hand follow.
    Returns how many coming sessions were updated."""
    needs = _check_needs(needs)
    sched.needs = [ScheduleNeed(role=r, language=lang, count=n) for r, lang, n in needs]
    db.session.flush()
    today = today_paris(now)
    sessions = db.session.scalars(select(DropInSession).where(
        DropInSession.schedule_id == sched.id, DropInSession.day >= today,
        DropInSession.needs_customised.is_(False)))
    count = 0
    for session in sessions:
        if session.day == today and now >= session.start_utc:
            continue  # a session under way keeps what it had
        _copy_needs(session, sched.needs)
        count += 1
    record("permanence.schedule", actor=actor, object_type="session_schedule",
           object_id=sched.id, team_id=sched.team_id,
           detail={"needs": [list(n) for n in needs], "sessions": count}, now=now)
    db.session.commit()
    return count


def end_schedule(actor, sched: SessionSchedule, last_day: date, *, now: datetime) -> int:
    """Stop a schedule after `last_day`; its later sessions are cancelled (shifts kept, so the
    volunteers see it). Returns how many sessions were cancelled."""
    if last_day < sched.valid_from - timedelta(days=1):
        raise PermanenceError("Le dernier jour ne peut pas précéder le début du créneau.",
                              "last_day")
    sched.valid_until = last_day
    sessions = db.session.scalars(select(DropInSession).where(
        DropInSession.schedule_id == sched.id, DropInSession.day > last_day,
        DropInSession.status == "ouverte"))
    count = 0
    for session in sessions:
        session.status, session.cancel_reason = "annulee", "Créneau retiré du planning"
        count += 1
    record("permanence.schedule_end", actor=actor, object_type="session_schedule",
           object_id=sched.id, team_id=sched.team_id,
           detail={"last_day": last_day.isoformat(), "cancelled": count}, now=now)
    db.session.commit()
    return count


def add_session(actor, team_id: int, *, day: date, starts_at: time, ends_at: time, place: str,
                needs: list[Need], now: datetime) -> DropInSession:
    """Add an exceptional session (outside the schedule)."""
    _check_hours(starts_at, ends_at)
    if day < today_paris(now):
        raise PermanenceError("La date est passée.", "day")
    if not (place or "").strip():
        raise PermanenceError("Indiquez le lieu.", "place")
    needs = _check_needs(needs)
    if db.session.scalar(select(DropInSession.id).where(
            DropInSession.team_id == team_id, DropInSession.day == day,
            DropInSession.starts_at == starts_at)):
        raise PermanenceError("Une permanence commence déjà à cette heure ce jour-là.", "day")
    session = DropInSession(team_id=team_id, day=day, starts_at=starts_at, ends_at=ends_at,
                            place=place.strip(), created_at=now, needs_customised=True)
    session.needs = [SessionNeed(role=r, language=lang, count=n) for r, lang, n in needs]
    db.session.add(session)
    db.session.flush()
    record("permanence.session_add", actor=actor, object_type="dropin_session",
           object_id=session.id, team_id=team_id, detail={"day": day.isoformat()}, now=now)
    db.session.commit()
    return session


def edit_session(actor, session: DropInSession, *, ends_at: time, needs: list[Need],
                 now: datetime) -> DropInSession:
    """Change one session: its end (e.g. pushed back on the day) and what it needs."""
    _check_hours(session.starts_at, ends_at)
    if session.day < today_paris(now):
        raise PermanenceError("Cette permanence est passée.")
    needs = _check_needs(needs)
    session.ends_at = ends_at
    session.needs = [SessionNeed(role=r, language=lang, count=n) for r, lang, n in needs]
    session.needs_customised = True
    record("permanence.session_edit", actor=actor, object_type="dropin_session",
           object_id=session.id, team_id=session.team_id,
           detail={"ends_at": ends_at.strftime("%H:%M"), "needs": [list(n) for n in needs]},
           now=now)
    db.session.commit()
    return session


def cancel_session(actor, session: DropInSession, reason: str, *, now: datetime) -> None:
    """Cancel one session (the shifts stay, so volunteers see it was cancelled)."""
    reason = (reason or "").strip()
    if not reason:
        raise PermanenceError("Indiquez la raison (elle est montrée aux bénévoles).", "reason")
    if not session.is_open:
        raise PermanenceError("Cette permanence est déjà annulée.")
    if now >= session.end_utc:
        raise PermanenceError("Cette permanence est terminée.")
    session.status, session.cancel_reason = "annulee", reason[:200]
    record("permanence.session_cancel", actor=actor, object_type="dropin_session",
           object_id=session.id, team_id=session.team_id, detail={"reason": reason[:200]},
           now=now)
    db.session.commit()


def reopen_session(actor, session: DropInSession, *, now: datetime) -> None:
    """Reopen a cancelled session (a holiday worked after all, a closure shortened)."""
    if session.is_open:
        raise PermanenceError("Cette permanence est déjà ouverte.")
    if now >= session.end_utc:
        raise PermanenceError("Cette permanence est terminée.")
    session.status, session.cancel_reason, session.closure_id = "ouverte", None, None
    record("permanence.session_reopen", actor=actor, object_type="dropin_session",
           object_id=session.id, team_id=session.team_id, now=now)
    db.session.commit()


def add_closure(actor, team_id: int, *, start_on: date, end_on: date, reason: str,
                now: datetime) -> Closure:
    """Close the permanence for a period: its open sessions are cancelled with the reason."""
    reason = (reason or "").strip()
    if end_on < start_on:
        raise PermanenceError("La fin doit être le même jour que le début ou après.", "end_on")
    if not reason:
        raise PermanenceError("Indiquez la raison (elle est montrée aux bénévoles).", "reason")
    closure = Closure(team_id=team_id, start_on=start_on, end_on=end_on, reason=reason[:120],
                      created_by_id=actor.id, created_at=now)
    db.session.add(closure)
    db.session.flush()
    sessions = db.session.scalars(select(DropInSession).where(
        DropInSession.team_id == team_id, DropInSession.day >= start_on,
        DropInSession.day <= end_on, DropInSession.status == "ouverte"))
    count = 0
    for session in sessions:
        if now >= session.start_utc:
            continue  # a session under way or held is not cancelled afterwards
        session.status, session.cancel_reason = "annulee", closure.reason
        session.closure_id = closure.id
        count += 1
    record("permanence.closure", actor=actor, object_type="permanence_closure",
           object_id=closure.id, team_id=team_id,
           detail={"from": start_on.isoformat(), "to": end_on.isoformat(), "cancelled": count},
           now=now)
    db.session.commit()
    return closure


def remove_closure(actor, closure: Closure, *, now: datetime) -> int:
    """Remove a closure: the sessions it cancelled open again (not the holidays)."""
    sessions = list(db.session.scalars(select(DropInSession).where(
        DropInSession.closure_id == closure.id)))
    count = 0
    for session in sessions:
        session.closure_id = None
        if now < session.start_utc and not rules.holiday_name(session.day):
            session.status, session.cancel_reason = "ouverte", None
            count += 1
    record("permanence.closure_remove", actor=actor, object_type="permanence_closure",
           object_id=closure.id, team_id=closure.team_id, detail={"reopened": count}, now=now)
    db.session.delete(closure)
    db.session.commit()
    return count


# -- Shifts -----------------------------------------------------------------------------------


def sign_up(actor, session: DropInSession, role: str, language: str | None, *, now: datetime,
            user=None) -> Shift:
    """Sign `user` (the actor by default; a coordinator may sign someone up) for a session.

    Refused outside the sign-up window, on a cancelled or finished session, for a role the
    person is not down for, when the role is full, and for a newcomer taking the last place
    of a session with nobody experienced (see rules.newcomer_refusal).
    """
    user = user or actor
    today = today_paris(now)
    team_id = session.team_id
    by_lead = user.id != actor.id
    if by_lead and not queries.is_lead(actor, team_id):
        raise PermanenceError("Seule la coordination inscrit quelqu'un d'autre.")
    if team_id not in queries.perm_team_ids(user):
        raise PermanenceError("Cette personne n'est pas dans l'équipe de la permanence.")
    if role not in vocab.SESSION_ROLES:
        raise PermanenceError("Choisissez un rôle.", "role")
    language = language if role == "interprete" else None
    if not session.is_open:
        raise PermanenceError(f"Cette permanence est annulée ({session.cancel_reason}).")
    if now >= session.end_utc:
        raise PermanenceError("Cette permanence est terminée.")
    settings = queries.settings_for(team_id)
    first, last = rules.signup_window(today, settings.signup_weeks)
    if not by_lead and not first <= session.day <= last:
        raise PermanenceError(
            f"On s'inscrit au plus {settings.signup_weeks} semaines à l'avance : cette "
            f"permanence ouvre aux inscriptions le {_day(session.day - (last - first))}.")
    can_roles, can_langs = queries.roles_of(user, team_id)
    staff = queries.is_staff(user, team_id)
    if not by_lead and role not in can_roles and not (staff and role in ("accueil", "entretien")):
        raise PermanenceError("Ce rôle n'est pas dans votre profil : voyez avec la coordination.",
                              "role")
    if not by_lead and role == "interprete" and language not in can_langs:
        raise PermanenceError("Cette langue n'est pas dans votre profil.", "role")
    existing = db.session.scalar(select(Shift).where(Shift.session_id == session.id,
                                                     Shift.user_id == user.id))
    if existing is not None and existing.cancelled_at is None:
        raise PermanenceError(f"Déjà inscrit·e sur cette permanence ({existing.label}).")
    current = queries.staffing_of(session, today)
    if current.free(role, language) <= 0:
        raise PermanenceError("Il n'y a plus de place pour ce rôle sur cette permanence.",
                              "role")
    if user.id in queries.newcomer_ids(team_id, today, [user.id]):
        refusal = rules.newcomer_refusal(current, role, language)
        if refusal:
            raise PermanenceError(refusal, "role")
    if existing is None:
        existing = Shift(session_id=session.id, user_id=user.id)
        db.session.add(existing)
    existing.role, existing.language = role, language
    existing.signed_up_at, existing.cancelled_at = now, None
    existing.added_by_id = actor.id if by_lead else None
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise PermanenceError("Déjà inscrit·e sur cette permanence.") from None
    record("shift.sign_up", actor=actor, object_type="shift", object_id=existing.id,
           team_id=team_id, detail={"session": session.id, "role": role, "language": language,
                                    "user": user.id}, now=now)
    db.session.commit()
    return existing


def cancel_shift(actor, shift: Shift, *, now: datetime) -> None:
    """Cancel a shift until the session starts (after that, tell the coordination)."""
    if shift.cancelled_at is not None:
        raise PermanenceError("Ce créneau est déjà annulé.")
    session = shift.session
    lead = queries.is_lead(actor, session.team_id)
    if shift.user_id != actor.id and not lead:
        raise PermanenceError("Vous ne pouvez annuler que vos propres créneaux.")
    if now >= session.start_utc and not lead:
        raise PermanenceError("La permanence a commencé : prévenez directement la coordination.")
    shift.cancelled_at = now
    late = session.start_utc - now < timedelta(hours=48)
    record("shift.cancel", actor=actor, object_type="shift", object_id=shift.id,
           team_id=session.team_id,
           detail={"session": session.id, "user": shift.user_id, "late": late}, now=now)
    db.session.commit()


def call_volunteers(actor, session: DropInSession, role: str, language: str | None, *,
                    now: datetime) -> ShiftCall:
    """Ask the available volunteers who fit a missing role (shown on their home page; the
    push itself is sent by the alerts issue from `ShiftCall` rows)."""
    if not queries.is_lead(actor, session.team_id):
        raise PermanenceError("Seule la coordination lance un appel.")
    if not session.is_open or now >= session.start_utc:
        raise PermanenceError("Cette permanence n'est plus à pourvoir.")
    language = language if role == "interprete" else None
    today = today_paris(now)
    if queries.staffing_of(session, today).free(role, language) <= 0:
        raise PermanenceError("Ce rôle est déjà pourvu.")
    recipients = queries.available_volunteers(session, role, language, today)
    if not recipients:
        raise PermanenceError("Aucun·e bénévole disponible ne correspond à ce rôle ce jour-là.")
    call = ShiftCall(session_id=session.id, role=role, language=language,
                     requested_by_id=actor.id, requested_at=now,
                     recipient_ids=[u.id for u in recipients])
    db.session.add(call)
    db.session.flush()
    record("shift.call", actor=actor, object_type="dropin_session", object_id=session.id,
           team_id=session.team_id,
           detail={"call": call.id, "role": role, "language": language,
                   "recipients": len(recipients)}, now=now)
    db.session.commit()
    return call


def save_profile(actor, team_id: int, user, *, roles: list[str], languages: list[str],
                 experienced: bool, now: datetime) -> VolunteerProfile:
    """Record what a team member can do at the permanence."""
    if team_id not in queries.perm_team_ids(user):
        raise PermanenceError("Cette personne n'est pas dans l'équipe.")
    bad = [r for r in roles if r not in vocab.SESSION_ROLES]
    if bad:
        raise PermanenceError("Rôle inconnu.", "roles")
    unknown = [lang for lang in languages if lang not in vocab.LANGUAGES]
    if unknown:
        raise PermanenceError("Langue inconnue.", "languages")
    if "interprete" in roles and not languages:
        raise PermanenceError("Un·e interprète a au moins une langue.", "languages")
    profile = db.session.scalar(select(VolunteerProfile).where(
        VolunteerProfile.team_id == team_id, VolunteerProfile.user_id == user.id))
    if profile is None:
        profile = VolunteerProfile(team_id=team_id, user_id=user.id)
        db.session.add(profile)
    profile.roles = [r for r in vocab.SESSION_ROLES if r in roles]
    profile.languages = [lang for lang in vocab.LANGUAGES if lang in languages]
    profile.experienced, profile.updated_at = experienced, now
    record("volunteer.profile", actor=actor, object_type="app_user", object_id=user.id,
           team_id=team_id, detail={"roles": profile.roles, "languages": profile.languages,
                                    "experienced": experienced}, now=now)
    db.session.commit()
    return profile


# -- Arrivals and the queue -------------------------------------------------------------------


def _next_number(team_id: int) -> int:
    return (db.session.scalar(select(func.max(DropInPerson.number))
                              .where(DropInPerson.team_id == team_id)) or 0) + 1


def record_arrival(actor, session: DropInSession, *, name: str | None, number: int | None,
                   language: str | None, interpreter_needed: bool, reason: str, urgent: bool,
                   now: datetime) -> Arrival:
    """Record someone arriving: the next ticket, a new alias record or the card holder's.

    Two desks saving at the same instant may pick the same ticket or card number; the unique
    constraints refuse the second, which is retried with the next numbers.
    """
    for attempt in range(3):
        try:
            return _record_arrival(actor, session, name=name, number=number,
                                   language=language, interpreter_needed=interpreter_needed,
                                   reason=reason, urgent=urgent, now=now)
        except IntegrityError:
            db.session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _record_arrival(actor, session, *, name, number, language, interpreter_needed, reason,
                    urgent, now) -> Arrival:
    access = queries.access_to(actor, session, now)
    if access is None:
        raise PermanenceError("Vous n'êtes pas de permanence sur cette séance.")
    if not session.is_open:
        raise PermanenceError("Cette permanence est annulée.")
    if now < session.start_utc - timedelta(hours=2) or now >= session.end_utc + timedelta(
            hours=2 if access.staff else 0):
        raise PermanenceError("Les arrivées s'enregistrent le jour et à l'heure de la "
                              "permanence.")
    name = (name or "").strip()
    if reason not in vocab.REASONS:
        raise PermanenceError("Choisissez le motif de venue.", "reason")
    if language and language not in vocab.LANGUAGES:
        raise PermanenceError("Langue inconnue.", "language")
    if number is not None:
        person = queries.person_by_number(session.team_id, number)
        if person is None:
            raise PermanenceError(f"Aucune carte n° {number:04d} dans cette permanence.",
                                  "number")
        from app.privacy.dropin import comes_back

        refused = comes_back(actor, person, now)  # an archived record is active again
        if refused:
            raise PermanenceError(refused, "number")
        if db.session.scalar(select(Arrival.id).where(Arrival.session_id == session.id,
                                                      Arrival.person_id == person.id)):
            raise PermanenceError("Cette personne est déjà dans la file aujourd'hui.", "number")
    else:
        if not name:
            raise PermanenceError("Un alias ou un prénom suffit, mais il en faut un.", "name")
        person = DropInPerson(team_id=session.team_id, number=_next_number(session.team_id),
                              alias=name[:80], created_at=now,
                              languages=[language] if language else [])
        person.refresh_search_text()
        db.session.add(person)
        db.session.flush()
    ticket = (db.session.scalar(select(func.max(Arrival.ticket))
                                .where(Arrival.session_id == session.id)) or 0) + 1
    arrival = Arrival(session_id=session.id, team_id=session.team_id, person_id=person.id,
                      ticket=ticket, arrived_at=now, language=language or None,
                      interpreter_needed=interpreter_needed, reason=reason, urgent=urgent,
                      state="attente", state_at=now, recorded_by_id=actor.id)
    db.session.add(arrival)
    db.session.flush()
    record("arrival.create", actor=actor, object_type="dropin_person", object_id=person.id,
           team_id=session.team_id, detail={"session": session.id, "arrival": arrival.id,
                                            "ticket": ticket}, now=now)
    db.session.commit()
    return arrival


def set_state(actor, arrival: Arrival, state: str, *, now: datetime) -> Arrival:
    """Move an arrival in the queue (call in, oriented, left without being seen, back)."""
    if state not in vocab.STATES:
        raise PermanenceError("État inconnu.")
    if queries.access_to(actor, arrival.session, now) is None:
        raise PermanenceError("Vous n'êtes pas de permanence sur cette séance.")
    if arrival.state == state:
        return arrival  # two phones pressed the same button: nothing to do
    if not rules.can_move(arrival.state, state):
        raise PermanenceError(f"Impossible de passer de « {arrival.state_label} » à "
                              f"« {vocab.STATES[state]} ».")
    before = arrival.state
    arrival.state, arrival.state_at = state, now
    if state == "entretien":
        arrival.interviewer_id = actor.id
    elif state in ("attente", "parti"):
        arrival.interviewer_id = None
    record("arrival.state", actor=actor, object_type="dropin_person", object_id=arrival.person_id,
           team_id=arrival.team_id, detail={"arrival": arrival.id, "from": before, "to": state},
           now=now)
    db.session.commit()
    return arrival


# -- Intake -----------------------------------------------------------------------------------

IDENTITY_FIELDS = ("alias", "first_name", "last_name", "birth_year", "languages")
SITUATION_FIELDS = ("in_france_since", "health_coverage", "domiciliation", "asylum_stage",
                    "housing", "assessment")
CODED = {"health_coverage": vocab.HEALTH_COVERAGE, "domiciliation": vocab.DOMICILIATION,
         "asylum_stage": vocab.ASYLUM_STAGES, "housing": vocab.HOUSING}


def save_intake(actor, arrival: Arrival, values: dict, *, base_version: int | None,
                now: datetime) -> Intake:
    """Write the intake of an arrival: only the sections the actor's role sees are taken from
    `values`; the others are kept as they were."""
    access = queries.access_to(actor, arrival.session, now)
    if access is None:
        raise PermanenceError("Vous n'êtes pas de permanence sur cette séance.")
    intake = arrival.intake
    if intake is not None and base_version != intake.version:
        raise StaleIntake(
            f"{intake.updated_by.display_name if intake.updated_by else 'Quelqu’un'} a "
            "enregistré cet entretien pendant que vous l'écriviez : vérifiez ce qui est "
            "affiché, puis enregistrez à nouveau.")
    person = arrival.person
    changed = []
    if access.sees("identite"):
        alias = (values.get("alias") or "").strip() or None
        first = (values.get("first_name") or "").strip() or None
        last = (values.get("last_name") or "").strip() or None
        if not (alias or first or last):
            raise PermanenceError("Un alias ou un prénom suffit, mais il en faut un.", "alias")
        year = values.get("birth_year")
        if year is not None and not 1900 <= year <= today_paris(now).year:
            raise PermanenceError("Année de naissance invalide.", "birth_year")
        langs = [lang for lang in values.get("languages") or [] if lang in vocab.LANGUAGES]
        person.alias, person.first_name, person.last_name = alias, first, last
        person.birth_year, person.languages = year, langs
        person.refresh_search_text()
        changed.append("identite")
    if intake is None:
        intake = Intake(arrival=arrival, author_id=actor.id, created_at=now, version=0,
                        information=[])
        db.session.add(intake)
    if access.sees("criteres"):
        ids = {int(i) for i in values.get("criteria") or []}
        allowed = {c.id: c for c in queries.active_criteria(arrival.team_id)}
        kept = [c for c in intake.criteria if not c.active and c.id in ids]
        if not ids <= set(allowed) | {c.id for c in kept}:
            raise PermanenceError("Critère inconnu.", "criteria")
        intake.criteria = kept + [allowed[i] for i in ids if i in allowed]
        changed.append("criteres")
    if access.sees("situation"):
        for name, allowed_codes in CODED.items():
            code = values.get(name) or None
            if code is not None and code not in allowed_codes:
                raise PermanenceError("Valeur inconnue.", name)
            setattr(intake, name, code)
        since = values.get("in_france_since")
        if since is not None:
            since = since.replace(day=1)
            if since > today_paris(now):
                raise PermanenceError("Cette date est dans le futur.", "in_france_since")
        intake.in_france_since = since
        intake.assessment = (values.get("assessment") or "").strip() or None
        changed.append("situation")
    if access.sees("information"):
        info = [i for i in values.get("information") or [] if i in vocab.INFORMATION]
        intake.information = [i for i in vocab.INFORMATION if i in info]
        intake.information_note = (values.get("information_note") or "").strip() or None
        changed.append("information")
    intake.version = (intake.version or 0) + 1
    intake.updated_at, intake.updated_by_id = now, actor.id
    db.session.flush()
    record("intake.save", actor=actor, object_type="dropin_person", object_id=person.id,
           team_id=arrival.team_id,
           detail={"arrival": arrival.id, "sections": changed, "version": intake.version},
           now=now)
    db.session.commit()
    return intake


def add_orientation(actor, arrival: Arrival, *, partner_id: int | None, kind: str | None,
                    detail: str | None, now: datetime) -> Orientation:
    """Orient the person to a partner (or a kind of structure not in the directory)."""
    access = queries.access_to(actor, arrival.session, now)
    if access is None or not access.sees("orientations"):
        raise PermanenceError("Votre rôle ne permet pas d'orienter.")
    partner = None
    if partner_id:
        partner = db.session.get(Partner, partner_id)
        if partner is None or partner.team_id != arrival.team_id:
            raise PermanenceError("Structure inconnue.", "partner_id")
        kind = partner.kind
    if kind not in vocab.PARTNER_KINDS:
        raise PermanenceError("Choisissez une structure de l'annuaire ou un type de structure.",
                              "partner_id")
    row = Orientation(arrival_id=arrival.id, partner_id=partner.id if partner else None,
                      kind=kind, detail=(detail or "").strip()[:200] or None, created_at=now,
                      created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    record("orientation.create", actor=actor, object_type="dropin_person",
           object_id=arrival.person_id, team_id=arrival.team_id,
           detail={"arrival": arrival.id, "orientation": row.id, "kind": kind,
                   "partner": row.partner_id}, now=now)
    db.session.commit()
    return row


def set_orientation_outcome(actor, orientation: Orientation, outcome: str, note: str | None, *,
                            now: datetime) -> Orientation:
    """Record what came of an orientation, when it is known."""
    if outcome not in vocab.ORIENTATION_OUTCOMES:
        raise PermanenceError("Résultat inconnu.", "outcome")
    orientation.outcome = outcome
    orientation.outcome_on = today_paris(now) if outcome != "en_attente" else None
    orientation.outcome_note = (note or "").strip()[:200] or None
    record("orientation.outcome", actor=actor, object_type="dropin_person",
           object_id=orientation.arrival.person_id, team_id=orientation.arrival.team_id,
           detail={"orientation": orientation.id, "outcome": outcome}, now=now)
    db.session.commit()
    return orientation


def grant_aid(actor, arrival: Arrival, *, kind: str, quantity: int, note: str | None,
              now: datetime) -> Aid:
    """Grant an aid under the criterion in force today (staff decide; who decided is kept)."""
    if not queries.is_staff(actor, arrival.team_id):
        raise PermanenceError("Les aides sont décidées par l'équipe salariée.")
    today = today_paris(now)
    criterion = next((c for c in queries.aid_criteria_in_force(arrival.team_id, today)
                      if c.kind == kind), None)
    if criterion is None:
        raise PermanenceError("Aucun critère d'attribution en vigueur pour cette aide : la "
                              "coordination doit d'abord le fixer.", "kind")
    if quantity < 1:
        raise PermanenceError("Au moins 1.", "quantity")
    if criterion.max_quantity is not None and quantity > criterion.max_quantity:
        raise PermanenceError(f"Le critère en vigueur limite cette aide à "
                              f"{criterion.max_quantity} par passage.", "quantity")
    aid = Aid(arrival_id=arrival.id, criterion_id=criterion.id, kind=kind, quantity=quantity,
              note=(note or "").strip()[:200] or None, decided_by_id=actor.id, decided_at=now)
    db.session.add(aid)
    db.session.flush()
    record("aid.grant", actor=actor, object_type="dropin_person", object_id=arrival.person_id,
           team_id=arrival.team_id,
           detail={"arrival": arrival.id, "aid": aid.id, "kind": kind, "quantity": quantity,
                   "criterion": criterion.id}, now=now)
    db.session.commit()
    return aid


# -- People -----------------------------------------------------------------------------------


def merge_people(actor, keep: DropInPerson, merged: DropInPerson, *, now: datetime
                 ) -> DropInPerson:
    """Merge an alias record into the person it turns out to be. Nothing is lost: every
    arrival (with its intake, orientations and aids) moves to `keep`, empty facts of `keep`
    are filled from `merged`, languages are joined, and `merged` stays as a pointer."""
    if keep.id == merged.id:
        raise PermanenceError("Choisissez une autre personne.", "keep_id")
    if keep.team_id != merged.team_id:
        raise PermanenceError("Les deux personnes doivent être de la même permanence.",
                              "keep_id")
    if keep.merged_into_id or merged.merged_into_id:
        raise PermanenceError("Une de ces fiches a déjà été fusionnée.", "keep_id")
    if not queries.is_staff(actor, keep.team_id):
        raise PermanenceError("Seule l'équipe salariée fusionne des fiches.")
    sessions_keep = {a.session_id for a in keep.arrivals}
    both = [a for a in merged.arrivals if a.session_id in sessions_keep]
    moved = [a.id for a in merged.arrivals]
    for arrival in list(merged.arrivals):
        arrival.person_id = keep.id
    filled = []
    for name in ("alias", "first_name", "last_name", "birth_year"):
        if getattr(keep, name) in (None, "") and getattr(merged, name) not in (None, ""):
            setattr(keep, name, getattr(merged, name))
            filled.append(name)
    if keep.alias and merged.alias and fold(keep.alias) != fold(merged.alias):
        # The other alias is still how some people at the desk know the person.
        known = f"{keep.alias} / {merged.alias}"
        if len(known) <= 80:
            keep.alias = known
    keep.languages = list(dict.fromkeys([*(keep.languages or []), *(merged.languages or [])]))
    keep.refresh_search_text()
    merged.merged_into_id, merged.merged_at, merged.merged_by_id = keep.id, now, actor.id
    db.session.flush()
    db.session.expire(keep, ["arrivals"])
    db.session.expire(merged, ["arrivals"])
    record("dropin_person.merge", actor=actor, object_type="dropin_person", object_id=keep.id,
           team_id=keep.team_id,
           detail={"merged": merged.id, "merged_number": merged.number, "arrivals": moved,
                   "filled": filled, "same_session": [a.id for a in both]}, now=now)
    db.session.commit()
    return keep


# -- Criteria ---------------------------------------------------------------------------------


def add_criterion(actor, team_id: int, label: str, *, now: datetime) -> VulnerabilityCriterion:
    """Add a line to the vulnerability checklist."""
    label = (label or "").strip()
    if not label:
        raise PermanenceError("Écrivez le critère.", "label")
    position = (db.session.scalar(select(func.max(VulnerabilityCriterion.position))
                                  .where(VulnerabilityCriterion.team_id == team_id)) or 0) + 1
    row = VulnerabilityCriterion(team_id=team_id, label=label[:200], position=position,
                                 created_at=now)
    db.session.add(row)
    db.session.flush()
    record("criterion.add", actor=actor, object_type="vulnerability_criterion",
           object_id=row.id, team_id=team_id, detail={"label": row.label}, now=now)
    db.session.commit()
    return row


def set_criterion_active(actor, row: VulnerabilityCriterion, active: bool, *, now: datetime
                         ) -> None:
    """Retire a criterion (past intakes keep it) or bring it back."""
    row.active = active
    record("criterion.retire" if not active else "criterion.restore", actor=actor,
           object_type="vulnerability_criterion", object_id=row.id, team_id=row.team_id,
           now=now)
    db.session.commit()


def set_aid_criterion(actor, team_id: int, *, kind: str, rule: str, max_quantity: int | None,
                      valid_from: date, now: datetime) -> AidCriterion:
    """Put a new rule in force for a kind of aid from `valid_from`; the previous one ends the
    day before (aids already granted keep the rule they were granted under)."""
    rule = (rule or "").strip()
    if kind not in vocab.AID_KINDS:
        raise PermanenceError("Aide inconnue.", "kind")
    if not rule:
        raise PermanenceError("Écrivez le critère d'attribution.", "rule")
    if max_quantity is not None and max_quantity < 1:
        raise PermanenceError("Au moins 1, ou laissez vide.", "max_quantity")
    current = db.session.scalars(select(AidCriterion).where(
        AidCriterion.team_id == team_id, AidCriterion.kind == kind,
        AidCriterion.valid_until.is_(None))).all()
    for old in current:
        if old.valid_from >= valid_from:
            raise PermanenceError("Un critère plus récent existe déjà : choisissez une date "
                                  "après le " + _day(old.valid_from) + ".", "valid_from")
        old.valid_until = valid_from - timedelta(days=1)
    row = AidCriterion(team_id=team_id, kind=kind, rule=rule, max_quantity=max_quantity,
                       valid_from=valid_from, created_by_id=actor.id, created_at=now)
    db.session.add(row)
    db.session.flush()
    record("aid_criterion.set", actor=actor, object_type="aid_criterion", object_id=row.id,
           team_id=team_id, detail={"kind": kind, "from": valid_from.isoformat()}, now=now)
    db.session.commit()
    return row


# -- Partners ---------------------------------------------------------------------------------

PARTNER_FIELDS = ("name", "kind", "address", "phone", "email", "hours", "languages",
                  "services", "how_to_refer", "active")


def save_partner(actor, team_id: int, partner: Partner | None, values: dict, *,
                 now: datetime) -> Partner:
    """Add a partner to the directory, or update one."""
    name = (values.get("name") or "").strip()
    if not name:
        raise PermanenceError("Le nom est obligatoire.", "name")
    if values.get("kind") not in vocab.PARTNER_KINDS:
        raise PermanenceError("Choisissez le type de structure.", "kind")
    created = partner is None
    if created:
        partner = Partner(team_id=team_id)
        db.session.add(partner)
    for key in PARTNER_FIELDS:
        value = values.get(key)
        if isinstance(value, str):
            value = value.strip() or None
        if key == "active":
            value = bool(value)
        setattr(partner, key, value)
    partner.name = name
    partner.updated_at, partner.updated_by_id = now, actor.id
    partner.refresh_search_text()
    db.session.flush()
    record("partner.create" if created else "partner.update", actor=actor,
           object_type="partner", object_id=partner.id, team_id=team_id, now=now)
    db.session.commit()
    return partner


# -- Dysfunctions -----------------------------------------------------------------------------

_CARD_NUMBER = re.compile(r"(?:n°|no|num[ée]ro|carte)\s*\d{1,5}", re.IGNORECASE)


def _names_in(text: str, team_id: int) -> list[str]:
    """Names of people received by the team that appear as words in `text`."""
    words = set(fold(text).split())
    if not words:
        return []
    found = set()
    rows = db.session.execute(select(DropInPerson.alias, DropInPerson.first_name,
                                     DropInPerson.last_name)
                              .where(DropInPerson.team_id == team_id))
    for row in rows:
        for name in row:
            for part in fold(name or "").split():
                if len(part) >= 3 and part in words:
                    found.add(part)
    return sorted(found)


def record_dysfunction(actor, team_id: int, *, kind: str, observed_on: date,
                       structure: str | None, partner_id: int | None, description: str | None,
                       now: datetime, confirmed_anonymous: bool = False) -> Dysfunction:
    """Record a dysfunction for advocacy, without identity.

    A description containing a word that is the alias or name of someone received by the
    permanence, or something like a card number, is sent back for checking; the writer may
    confirm it names nobody (a street, a hospital called like someone) with
    `confirmed_anonymous`.
    """
    if kind not in vocab.DYSFUNCTION_KINDS:
        raise PermanenceError("Choisissez le type de dysfonctionnement.", "kind")
    today = today_paris(now)
    if observed_on > today:
        raise PermanenceError("Cette date est dans le futur.", "observed_on")
    if observed_on < today - timedelta(days=366):
        raise PermanenceError("Plus d'un an : trop ancien pour être compté.", "observed_on")
    partner = None
    if partner_id:
        partner = db.session.get(Partner, partner_id)
        if partner is None or partner.team_id != team_id:
            raise PermanenceError("Structure inconnue.", "partner_id")
    structure = (structure or "").strip() or None
    description = (description or "").strip() or None
    if description and not confirmed_anonymous:
        if _CARD_NUMBER.search(description):
            raise PermanenceError("Ce texte semble contenir un numéro de carte ou de dossier : "
                                  "retirez-le, le signalement reste anonyme (ou confirmez "
                                  "qu'il ne désigne personne).", "description")
        names = _names_in(description, team_id)
        if names:
            raise PermanenceError("Ce texte contient un mot qui est aussi le nom d'une personne "
                                  f"accueillie ({', '.join(names)}) : retirez-le, le "
                                  "signalement reste anonyme. S'il ne désigne personne (une "
                                  "rue, un hôpital…), cochez la confirmation.", "description")
    row = Dysfunction(team_id=team_id, kind=kind, observed_on=observed_on,
                      structure=structure[:160] if structure else None,
                      partner_id=partner.id if partner else None, description=description,
                      created_at=now)
    db.session.add(row)
    db.session.flush()
    record("dysfunction.create", actor=actor, object_type="dysfunction", object_id=row.id,
           team_id=team_id, detail={"kind": kind}, now=now)
    db.session.commit()
    return row


def _day(day: date) -> str:
    from app.formatting import date_fr

    return date_fr(day, "d MMMM y")
