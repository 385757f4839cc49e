"""Reads of the permanence, always scoped by the person asking (or by team ids the caller checked).

Who sees what:
- coordinators and workers of a permanence team ("staff") see its sessions, queues, people,
  intakes, figures; coordinators also organise (schedule, criteria, profiles);
- volunteers see the planning and their shifts, the partners directory, and the queue and the
  intakes of a session only while they are on shift there: from `opens_minutes_before` the
  start until the session's end (`DropInSession.volunteer_window`). After the end, the people
  of that session are out of their reach (404, audited), and they never see a person's
  history, other sessions' intakes, case files or notes.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import extract, func, or_, select
from sqlalchemy.orm import selectinload

from app.auth.models import Membership, Team, User
from app.auth.scoping import deny, team_ids
from app.extensions import db
from app.households.text import fold
from app.permanences import rules, vocab
from app.permanences.models import (Aid, AidCriterion, Arrival, Closure, DropInPerson,
                                    DropInSession, Dysfunction, Intake, Orientation, Partner,
                                    PermanenceSettings, SessionSchedule, Shift, ShiftCall,
                                    VolunteerProfile, VulnerabilityCriterion)
from app.programmes import CASE_ROLES, LEAD_ROLES
from app.timeutil import today_paris

#: Every role that takes part in a permanence.
PERM_ROLES = ("volunteer", *CASE_ROLES)
VOLUNTEER = ("volunteer",)


# -- Teams and settings -----------------------------------------------------------------------


def perm_team_ids(user, roles: tuple[str, ...] = PERM_ROLES) -> set[int]:
    """Ids of the permanence teams where `user` holds one of `roles`."""
    ids = team_ids(user, roles)
    if not ids:
        return set()
    return set(db.session.scalars(select(Team.id).where(Team.id.in_(ids),
                                                        Team.programme == "permanence")))


def my_teams(user, roles: tuple[str, ...] = PERM_ROLES) -> list[Team]:
    """The permanence teams of this person for `roles`, by name."""
    ids = perm_team_ids(user, roles)
    if not ids:
        return []
    return list(db.session.scalars(select(Team).where(Team.id.in_(ids)).order_by(Team.name)))


def settings_for(team_id: int) -> PermanenceSettings:
    """A team's shift rules (defaults, not saved, when never changed)."""
    row = db.session.scalar(select(PermanenceSettings)
                            .where(PermanenceSettings.team_id == team_id))
    return row or PermanenceSettings(team_id=team_id, signup_weeks=6, newcomer_shifts=3,
                                     opens_minutes_before=60)


def is_staff(user, team_id: int) -> bool:
    """Whether this person is a coordinator or worker of the team."""
    return team_id in team_ids(user, CASE_ROLES)


def is_lead(user, team_id: int) -> bool:
    """Whether this person coordinates the team."""
    return team_id in team_ids(user, LEAD_ROLES)


# -- Access to one session, arrival, person ---------------------------------------------------


@dataclass(frozen=True)
class Access:
    """What a person may do with a session's people right now."""

    staff: bool
    role: str | None = None  #: the volunteer's shift role
    sections: tuple[str, ...] = ()  #: intake sections they see

    def sees(self, section: str) -> bool:
        """Whether the intake section is shown to this person."""
        return section in self.sections


STAFF_ACCESS = Access(staff=True, sections=tuple(vocab.SECTIONS))


def session_or_404(user, session_id: int, roles: tuple[str, ...] = PERM_ROLES) -> DropInSession:
    """A session of one of the user's permanence teams (planning level), else 404 (audited)."""
    session = db.session.get(DropInSession, session_id)
    if session is None or session.team_id not in perm_team_ids(user, roles):
        deny(user, "dropin_session", session_id)
    return session


def my_shift(user, session: DropInSession) -> Shift | None:
    """This person's active shift on the session."""
    for s in session.shifts:
        if s.user_id == user.id and s.cancelled_at is None:
            return s
    return None


def access_to(user, session: DropInSession, now: datetime) -> Access | None:
    """What this person may see of the session's people at `now` (None: nothing)."""
    if is_staff(user, session.team_id):
        return STAFF_ACCESS
    if session.team_id not in perm_team_ids(user, VOLUNTEER) or not session.is_open:
        return None
    shift = my_shift(user, session)
    if shift is None:
        return None
    start, end = session.volunteer_window(settings_for(session.team_id).opens_minutes_before)
    if not rules.in_window(now, start, end):
        return None
    return Access(staff=False, role=shift.role, sections=vocab.SECTION_ROLES.get(shift.role, ()))


def live_session_or_404(user, session_id: int, now: datetime) -> tuple[DropInSession, Access]:
    """A session whose queue this person may see at `now`, with their access, else 404."""
    session = db.session.get(DropInSession, session_id)
    access = access_to(user, session, now) if session is not None else None
    if access is None:
        deny(user, "dropin_session", session_id)
    return session, access


def arrival_or_404(user, arrival_id: int, now: datetime) -> tuple[Arrival, Access]:
    """An arrival this person may see at `now` (volunteers: only during their session; an
    archived person's: archive readers only)."""
    from app.privacy.dropin import closed_to

    arrival = db.session.get(Arrival, arrival_id)
    access = access_to(user, arrival.session, now) if arrival is not None else None
    if access is None or closed_to(user, arrival.person):
        deny(user, "arrival", arrival_id)
    return arrival, access


def orientation_or_404(user, orientation_id: int, now: datetime
                       ) -> tuple[Orientation, Access]:
    """An orientation whose arrival this person may see at `now`, else 404."""
    row = db.session.get(Orientation, orientation_id)
    access = access_to(user, row.arrival.session, now) if row is not None else None
    if access is None or not access.sees("orientations"):
        deny(user, "orientation", orientation_id)
    return row, access


def person_or_404(user, person_id: int) -> DropInPerson:
    """A person of the user's permanence teams, for staff only (an archived person: archive
    readers only), else 404 (audited)."""
    from app.privacy.dropin import closed_to

    person = db.session.get(DropInPerson, person_id)
    if person is None or person.team_id not in perm_team_ids(user, CASE_ROLES) \
            or closed_to(user, person):
        deny(user, "dropin_person", person_id)
    return person


def partner_or_404(user, partner_id: int, roles: tuple[str, ...] = PERM_ROLES) -> Partner:
    """A partner of the user's permanence teams, else 404 (audited)."""
    partner = db.session.get(Partner, partner_id)
    if partner is None or partner.team_id not in perm_team_ids(user, roles):
        deny(user, "partner", partner_id)
    return partner


def team_or_404(user, team_id: int, roles: tuple[str, ...] = LEAD_ROLES) -> Team:
    """A permanence team where this person holds one of `roles`, else 404 (audited)."""
    if team_id not in perm_team_ids(user, roles):
        deny(user, "team", team_id)
    return db.session.get(Team, team_id)


def shift_or_404(user, shift_id: int) -> Shift:
    """A shift of this person, or of a team they coordinate, else 404 (audited)."""
    shift = db.session.get(Shift, shift_id)
    if shift is None or not (
            (shift.user_id == user.id
             and shift.session.team_id in perm_team_ids(user))
            or shift.session.team_id in perm_team_ids(user, LEAD_ROLES)):
        deny(user, "shift", shift_id)
    return shift


def row_or_404(user, model, row_id: int, roles: tuple[str, ...] = LEAD_ROLES):
    """A team-owned configuration row (schedule, closure, criterion…) the user may manage."""
    row = db.session.get(model, row_id)
    if row is None or row.team_id not in perm_team_ids(user, roles):
        deny(user, model.__tablename__, row_id)
    return row


# -- Newcomers and staffing -------------------------------------------------------------------


def done_shifts(team_id: int, today: date, user_ids: Iterable[int] | None = None
                ) -> dict[int, int]:
    """Shifts each person has worked in the team before `today` (sessions held, not cancelled)."""
    stmt = (select(Shift.user_id, func.count(Shift.id)).join(DropInSession)
            .where(DropInSession.team_id == team_id, DropInSession.day < today,
                   DropInSession.status == "ouverte", Shift.cancelled_at.is_(None))
            .group_by(Shift.user_id))
    if user_ids is not None:
        stmt = stmt.where(Shift.user_id.in_(list(user_ids)))
    return dict(db.session.execute(stmt).all())


def profiles(team_id: int) -> dict[int, VolunteerProfile]:
    """The team's volunteer profiles by user id."""
    return {p.user_id: p for p in db.session.scalars(
        select(VolunteerProfile).where(VolunteerProfile.team_id == team_id))}


def staff_ids(team_id: int) -> set[int]:
    """Coordinators and workers of the team."""
    return set(db.session.scalars(select(Membership.user_id).where(
        Membership.team_id == team_id, Membership.role.in_(CASE_ROLES))))


def newcomer_ids(team_id: int, today: date, user_ids: Iterable[int]) -> set[int]:
    """Which of these people are newcomers in the team at `today`."""
    user_ids = set(user_ids)
    if not user_ids:
        return set()
    threshold = settings_for(team_id).newcomer_shifts
    done = done_shifts(team_id, today, user_ids)
    staff = staff_ids(team_id)
    profs = profiles(team_id)
    return {u for u in user_ids
            if rules.is_newcomer(staff=u in staff,
                                 experienced_flag=bool(profs.get(u) and profs[u].experienced),
                                 done_shifts=done.get(u, 0), threshold=threshold)}


def staffing_of(session: DropInSession, today: date) -> rules.Staffing:
    """How the session is staffed at `today`."""
    ids = newcomer_ids(session.team_id, today, [s.user_id for s in session.active_shifts])
    return rules.staffing(session.needs, session.shifts, ids)


def roles_of(user, team_id: int) -> tuple[list[str], list[str]]:
    """The session roles and interpreting languages this person may take in the team."""
    profile = db.session.scalar(select(VolunteerProfile).where(
        VolunteerProfile.team_id == team_id, VolunteerProfile.user_id == user.id))
    if profile is None:
        return list(vocab.DEFAULT_VOLUNTEER_ROLES), []
    return list(profile.roles or []), list(profile.languages or [])


# -- Planning ---------------------------------------------------------------------------------


@dataclass
class PlannedSession:
    """A session on the planning, seen by one person."""

    session: DropInSession
    staffing: rules.Staffing
    mine: Shift | None = None  #: my active shift on it
    #: (role, language, label, free places) I could sign up for.
    offers: list[tuple[str, str | None, str, int]] = field(default_factory=list)
    can_sign_up: bool = False  #: inside the sign-up window and not cancelled
    reserved: bool = False  #: a place is kept for someone experienced (I am a newcomer)

    @property
    def week(self) -> date:
        """The Monday of the session's week (to group the planning)."""
        return self.session.day - timedelta(days=self.session.day.weekday())


def _sessions(team_ids_: set[int], start: date, end: date) -> list[DropInSession]:
    if not team_ids_:
        return []
    return list(db.session.scalars(
        select(DropInSession).options(selectinload(DropInSession.needs),
                                      selectinload(DropInSession.shifts))
        .where(DropInSession.team_id.in_(team_ids_), DropInSession.day >= start,
               DropInSession.day <= end)
        .order_by(DropInSession.day, DropInSession.starts_at)))


def _staffings(team_id: int, sessions: list[DropInSession], today: date
               ) -> dict[int, rules.Staffing]:
    """Staffing of several sessions of one team, newcomers computed once."""
    ids = {sh.user_id for s in sessions for sh in s.active_shifts}
    new = newcomer_ids(team_id, today, ids)
    return {s.id: rules.staffing(s.needs, s.shifts, new) for s in sessions}


def _plan(user, session: DropInSession, st: rules.Staffing, can_roles, can_langs,
          newcomer: bool, now: datetime) -> PlannedSession:
    item = PlannedSession(session, st, my_shift(user, session))
    item.can_sign_up = session.is_open and now < session.end_utc
    if item.can_sign_up and item.mine is None:
        for slot in st.slots:
            if slot.role not in can_roles or not slot.missing:
                continue
            if slot.role == "interprete" and slot.language not in can_langs:
                continue
            if newcomer and rules.newcomer_refusal(st, slot.role, slot.language):
                item.reserved = True
                continue
            item.offers.append((slot.role, slot.language, slot.label, slot.missing))
    return item


def planning(user, today: date, now: datetime) -> list[PlannedSession]:
    """The sessions of my permanence teams from today to the end of the sign-up window."""
    out = []
    for team in my_teams(user):
        first, last = rules.signup_window(today, settings_for(team.id).signup_weeks)
        can_roles, can_langs = roles_of(user, team.id)
        sessions = _sessions({team.id}, first, last)
        staffing = _staffings(team.id, sessions, today)
        newcomer = user.id in newcomer_ids(team.id, today, [user.id])
        out += [_plan(user, s, staffing[s.id], can_roles, can_langs, newcomer, now)
                for s in sessions]
    return sorted(out, key=lambda p: (p.session.day, p.session.starts_at))


def planned(user, session: DropInSession, today: date, now: datetime) -> PlannedSession | None:
    """One session as the planning shows it to me (None outside my sign-up window)."""
    first, last = rules.signup_window(today, settings_for(session.team_id).signup_weeks)
    if not first <= session.day <= last:
        return None
    can_roles, can_langs = roles_of(user, session.team_id)
    newcomer = user.id in newcomer_ids(session.team_id, today, [user.id])
    return _plan(user, session, staffing_of(session, today), can_roles, can_langs, newcomer,
                 now)


def my_next_shifts(user, today: date, limit: int = 3) -> list[Shift]:
    """My coming shifts (today included), soonest first."""
    ids = perm_team_ids(user)
    if not ids:
        return []
    return list(db.session.scalars(
        select(Shift).join(DropInSession)
        .where(Shift.user_id == user.id, Shift.cancelled_at.is_(None),
               DropInSession.team_id.in_(ids), DropInSession.day >= today)
        .order_by(DropInSession.day, DropInSession.starts_at).limit(limit)))


def live_sessions_for(user, now: datetime) -> list[DropInSession]:
    """Sessions whose queue I may open right now (staff: today's open sessions)."""
    today = today_paris(now)
    out = []
    for session in _sessions(perm_team_ids(user), today, today):
        if session.is_open and access_to(user, session, now) is not None:
            out.append(session)
    return out


def home_for(user, now: datetime) -> dict | None:
    """The permanence card of the home page: sessions live now, my next shifts, calls for
    help (None for someone outside permanence teams)."""
    if not perm_team_ids(user):
        return None
    today = today_paris(now)
    return {"live": live_sessions_for(user, now), "shifts": my_next_shifts(user, today),
            "calls": open_calls_for(user, now)}


def open_calls_for(user, now: datetime) -> list[ShiftCall]:
    """Calls for help I received that still matter: future session, role still missing, and
    I am not on it yet."""
    today = today_paris(now)
    ids = perm_team_ids(user, VOLUNTEER + CASE_ROLES)
    if not ids:
        return []
    calls = db.session.scalars(
        select(ShiftCall).join(DropInSession)
        .where(DropInSession.team_id.in_(ids), DropInSession.day >= today,
               DropInSession.status == "ouverte")
        .order_by(DropInSession.day, ShiftCall.requested_at.desc()))
    out, seen = [], set()
    for call in calls:
        if user.id not in (call.recipient_ids or []) or call.session.end_utc <= now:
            continue
        if my_shift(user, call.session) is not None:
            continue
        key = (call.session_id, call.role, call.language)
        if key in seen:
            continue
        if not staffing_of(call.session, today).free(call.role, call.language):
            continue
        seen.add(key)
        out.append(call)
    return out


def calls_of(session: DropInSession) -> list[ShiftCall]:
    """Calls for help made for a session, newest first."""
    return list(db.session.scalars(select(ShiftCall).where(ShiftCall.session_id == session.id)
                                   .order_by(ShiftCall.requested_at.desc())))


def gaps(user, today: date, weeks: int | None = None) -> list[PlannedSession]:
    """Coming sessions of the teams I coordinate that are short (missing roles, or newcomers
    only), soonest first."""
    out = []
    for team in my_teams(user, LEAD_ROLES):
        settings = settings_for(team.id)
        first, last = rules.signup_window(today, weeks or settings.signup_weeks)
        sessions = [s for s in _sessions({team.id}, first, last) if s.is_open]
        staffing = _staffings(team.id, sessions, today)
        out += [PlannedSession(s, staffing[s.id]) for s in sessions if staffing[s.id].short]
    return out


def available_volunteers(session: DropInSession, role: str, language: str | None,
                         today: date) -> list[User]:
    """Active members of the team who fit the role and are not on a session that day."""
    busy = set(db.session.scalars(
        select(Shift.user_id).join(DropInSession)
        .where(DropInSession.team_id == session.team_id, DropInSession.day == session.day,
               Shift.cancelled_at.is_(None))))
    members = db.session.scalars(
        select(User).join(Membership)
        .where(Membership.team_id == session.team_id, Membership.role.in_(PERM_ROLES),
               User.active.is_(True)).order_by(User.display_name))
    profs = profiles(session.team_id)
    out = []
    for user in members:
        if user.id in busy:
            continue
        prof = profs.get(user.id)
        can = list(prof.roles) if prof else list(vocab.DEFAULT_VOLUNTEER_ROLES)
        langs = list(prof.languages) if prof else []
        if role not in can or (role == "interprete" and language not in langs):
            continue
        out.append(user)
    return out


def team_members(team_id: int, today: date) -> list[dict]:
    """Members of a permanence team with their profile, done shifts and newcomer flag."""
    rows = db.session.execute(
        select(User, Membership.role).join(Membership)
        .where(Membership.team_id == team_id, Membership.role.in_(PERM_ROLES))
        .order_by(User.display_name)).all()
    ids = [u.id for u, _ in rows]
    done = done_shifts(team_id, today, ids)
    new = newcomer_ids(team_id, today, ids)
    profs = profiles(team_id)
    out = []
    for user, role in rows:
        prof = profs.get(user.id)
        out.append({"user": user, "role": role, "profile": prof,
                    "roles": list(prof.roles) if prof else list(vocab.DEFAULT_VOLUNTEER_ROLES),
                    "languages": list(prof.languages) if prof else [],
                    "done": done.get(user.id, 0), "newcomer": user.id in new})
    return sorted(out, key=lambda m: fold(m["user"].display_name))


# -- For the alerts issue (#10): no person in the result is shown to anyone but its owner ----


@dataclass(frozen=True)
class ShiftReminder:
    """A shift to remind its volunteer of, the day before."""

    shift_id: int
    user_id: int
    team_id: int
    session_id: int
    day: date
    starts_at: object  #: datetime.time, Paris wall clock
    place: str
    role_label: str


def shifts_needing_reminder(today: date, team_ids_: Iterable[int] | None = None
                            ) -> list[ShiftReminder]:
    """Active shifts of active people on open sessions held tomorrow (`today` + 1 day).

    `team_ids_` limits the teams (the caller checked who may see them); None means every team,
    for the scheduler. Nothing is marked as reminded here: the alerts issue keys its own
    notifications so a reminder is sent once.
    """
    tomorrow = today + timedelta(days=1)
    stmt = (select(Shift, DropInSession).join(DropInSession).join(User, User.id == Shift.user_id)
            .where(DropInSession.day == tomorrow, DropInSession.status == "ouverte",
                   Shift.cancelled_at.is_(None), User.active.is_(True))
            .order_by(DropInSession.starts_at, Shift.id))
    if team_ids_ is not None:
        stmt = stmt.where(DropInSession.team_id.in_(list(team_ids_)))
    return [ShiftReminder(s.id, s.user_id, d.team_id, d.id, d.day, d.starts_at, d.place, s.label)
            for s, d in db.session.execute(stmt).all()]


@dataclass(frozen=True)
class StaffingGap:
    """An open session, starting soon, short of people or staffed by newcomers only."""

    session_id: int
    team_id: int
    day: date
    starts_at: object  #: datetime.time, Paris wall clock
    start_utc: datetime
    missing: tuple[tuple[str, int], ...]  #: (role label, people missing)
    newcomers_only: bool


def understaffed_sessions(now: datetime, hours: int = 48,
                          team_ids_: Iterable[int] | None = None) -> list[StaffingGap]:
    """Open sessions starting within the next `hours` after `now` (not yet started, the end
    of the window included) that are short of people or staffed by newcomers only.

    `team_ids_` as for `shifts_needing_reminder`.
    """
    today = today_paris(now)
    last_day = today_paris(now + timedelta(hours=hours))
    stmt = (select(DropInSession).options(selectinload(DropInSession.needs),
                                          selectinload(DropInSession.shifts))
            .where(DropInSession.day >= today, DropInSession.day <= last_day,
                   DropInSession.status == "ouverte")
            .order_by(DropInSession.day, DropInSession.starts_at))
    if team_ids_ is not None:
        stmt = stmt.where(DropInSession.team_id.in_(list(team_ids_)))
    out = []
    for session in db.session.scalars(stmt):
        start = session.start_utc
        if not now < start <= now + timedelta(hours=hours):
            continue
        st = staffing_of(session, today)
        if st.short:
            out.append(StaffingGap(session.id, session.team_id, session.day, session.starts_at,
                                   start, tuple((g.label, g.missing) for g in st.gaps),
                                   st.newcomers_only))
    return out


# -- Queue, intakes ---------------------------------------------------------------------------


def queue(session: DropInSession) -> list[Arrival]:
    """The session's arrivals in queue order (waiting, urgent first; in interview; done)."""
    arrivals = db.session.scalars(
        select(Arrival).options(selectinload(Arrival.intake).selectinload(Intake.criteria),
                                selectinload(Arrival.orientations))
        .where(Arrival.session_id == session.id))
    return rules.queue_order(arrivals)


def active_criteria(team_id: int) -> list[VulnerabilityCriterion]:
    """The team's checklist in force, in order."""
    return list(db.session.scalars(
        select(VulnerabilityCriterion)
        .where(VulnerabilityCriterion.team_id == team_id, VulnerabilityCriterion.active.is_(True))
        .order_by(VulnerabilityCriterion.position, VulnerabilityCriterion.id)))


def all_criteria(team_id: int) -> list[VulnerabilityCriterion]:
    """The team's checklist, retired lines last."""
    return list(db.session.scalars(
        select(VulnerabilityCriterion).where(VulnerabilityCriterion.team_id == team_id)
        .order_by(VulnerabilityCriterion.active.desc(), VulnerabilityCriterion.position,
                  VulnerabilityCriterion.id)))


def aid_criteria_in_force(team_id: int, today: date) -> list[AidCriterion]:
    """The aid rules in force at `today`, one per kind."""
    return list(db.session.scalars(
        select(AidCriterion)
        .where(AidCriterion.team_id == team_id, AidCriterion.valid_from <= today,
               or_(AidCriterion.valid_until.is_(None), AidCriterion.valid_until >= today))
        .order_by(AidCriterion.kind)))


def aid_criteria_history(team_id: int) -> list[AidCriterion]:
    """Every aid rule the team has had, newest first."""
    return list(db.session.scalars(
        select(AidCriterion).where(AidCriterion.team_id == team_id)
        .order_by(AidCriterion.valid_from.desc(), AidCriterion.id.desc())))


# -- People (staff only) ----------------------------------------------------------------------


def search_people(user, q: str, limit: int = 30) -> list[DropInPerson]:
    """People of my permanence teams (staff) whose alias, names or card number match `q`;
    archived people are out of the search (archive readers find them in app/privacy)."""
    from app.privacy.dropin import not_archived

    ids = perm_team_ids(user, CASE_ROLES)
    if not ids:
        return []
    stmt = select(DropInPerson).where(DropInPerson.team_id.in_(ids),
                                      DropInPerson.merged_into_id.is_(None), not_archived())
    for word in fold(q).split():
        stmt = stmt.where(DropInPerson.search_text.contains(word))
    return list(db.session.scalars(stmt.order_by(DropInPerson.search_text).limit(limit)))


def person_by_number(team_id: int, number: int) -> DropInPerson | None:
    """The person holding this card number in the team (following merges)."""
    person = db.session.scalar(select(DropInPerson).where(DropInPerson.team_id == team_id,
                                                          DropInPerson.number == number))
    hops = 0
    while person is not None and person.merged_into_id and hops < 10:
        person = db.session.get(DropInPerson, person.merged_into_id)
        hops += 1
    return person


def person_history(person: DropInPerson) -> list[Arrival]:
    """Every arrival of a person, newest first, with intake, orientations and aids."""
    return list(db.session.scalars(
        select(Arrival).options(selectinload(Arrival.intake), selectinload(Arrival.orientations),
                                selectinload(Arrival.aids))
        .where(Arrival.person_id == person.id)
        .order_by(Arrival.arrived_at.desc())))


def merged_aliases(person: DropInPerson) -> list[DropInPerson]:
    """Records merged into this person."""
    return list(db.session.scalars(select(DropInPerson)
                                   .where(DropInPerson.merged_into_id == person.id)
                                   .order_by(DropInPerson.merged_at)))


# -- Partners ---------------------------------------------------------------------------------


def partners(user, q: str = "", kind: str | None = None, include_inactive: bool = False
             ) -> list[Partner]:
    """Partners of my permanence teams matching every word of `q` (accents ignored)."""
    ids = perm_team_ids(user)
    if not ids:
        return []
    stmt = select(Partner).where(Partner.team_id.in_(ids))
    if not include_inactive:
        stmt = stmt.where(Partner.active.is_(True))
    if kind:
        stmt = stmt.where(Partner.kind == kind)
    for word in fold(q).split():
        stmt = stmt.where(Partner.search_text.contains(word))
    return list(db.session.scalars(stmt.order_by(Partner.name)))


def partner_choices(team_id: int) -> list[tuple[int, str]]:
    """Active partners of a team for a select, by name."""
    rows = db.session.execute(select(Partner.id, Partner.name, Partner.kind)
                              .where(Partner.team_id == team_id, Partner.active.is_(True))
                              .order_by(Partner.name))
    return [(i, f"{n} — {vocab.PARTNER_KINDS.get(k, k)}") for i, n, k in rows]


# -- Figures ----------------------------------------------------------------------------------


@dataclass
class Figures:
    """What a session (or a period) amounted to."""

    arrivals: int = 0
    people: int = 0
    new: int = 0
    returning: int = 0
    seen: int = 0  #: interviewed or oriented
    left_unseen: int = 0
    urgent: int = 0
    interpreter: int = 0
    under_six_months: int = 0  #: in France for less than 6 months at their intake
    meets_criteria: int = 0
    languages: list[tuple[str, int]] = field(default_factory=list)
    reasons: list[tuple[str, int]] = field(default_factory=list)
    orientations: list[tuple[str, int]] = field(default_factory=list)
    outcomes: list[tuple[str, int]] = field(default_factory=list)
    aids: list[tuple[str, int]] = field(default_factory=list)  #: (kind label, quantity)
    sessions: int = 0


def _first_arrival_day(person_ids: set[int]) -> dict[int, date]:
    if not person_ids:
        return {}
    rows = db.session.execute(
        select(Arrival.person_id, func.min(DropInSession.day)).join(DropInSession)
        .where(Arrival.person_id.in_(person_ids)).group_by(Arrival.person_id))
    return dict(rows.all())


def figures(team_ids_: set[int], start: date, end: date) -> Figures:
    """Figures of the sessions held between two days (both included) in these teams."""
    fig = Figures()
    if not team_ids_:
        return fig
    sessions = list(db.session.scalars(select(DropInSession.id).where(
        DropInSession.team_id.in_(team_ids_), DropInSession.day >= start,
        DropInSession.day <= end, DropInSession.status == "ouverte")))
    fig.sessions = len(sessions)
    if not sessions:
        return fig
    arrivals = list(db.session.scalars(
        select(Arrival).options(selectinload(Arrival.intake), selectinload(Arrival.orientations),
                                selectinload(Arrival.aids))
        .where(Arrival.session_id.in_(sessions))))
    fig.arrivals = len(arrivals)
    people = {a.person_id for a in arrivals}
    fig.people = len(people)
    first = _first_arrival_day(people)
    fig.new = sum(1 for p in people if first.get(p) and first[p] >= start)
    fig.returning = fig.people - fig.new
    fig.seen = sum(1 for a in arrivals if a.state in ("entretien", "oriente"))
    fig.left_unseen = sum(1 for a in arrivals if a.state == "parti")
    fig.urgent = sum(1 for a in arrivals if a.urgent)
    fig.interpreter = sum(1 for a in arrivals if a.interpreter_needed)
    langs, reasons, kinds, outcomes, aids = Counter(), Counter(), Counter(), Counter(), Counter()
    for a in arrivals:
        langs[vocab.language_label(a.language) or "non renseignée"] += 1
        reasons[a.reason_label] += 1
        for o in a.orientations:
            kinds[o.kind_label] += 1
            outcomes[o.outcome_label] += 1
        for aid in a.aids:
            aids[aid.kind_label] += aid.quantity
        if a.intake is not None:
            fig.meets_criteria += 1 if a.intake.meets_criteria else 0
            since = a.intake.in_france_since
            day = a.session.day
            if since is not None and (day - since).days < 183:
                fig.under_six_months += 1
    fig.languages = langs.most_common()
    fig.reasons = reasons.most_common()
    fig.orientations = kinds.most_common()
    fig.outcomes = outcomes.most_common()
    fig.aids = aids.most_common()
    return fig


def session_figures(session: DropInSession) -> Figures:
    """Figures of one session ("new" = first time at the permanence that day)."""
    return figures({session.team_id}, session.day, session.day)


def past_sessions(user, today: date, limit: int = 20) -> list[DropInSession]:
    """Sessions held before today in my teams (staff), newest first."""
    ids = perm_team_ids(user, CASE_ROLES)
    if not ids:
        return []
    return list(db.session.scalars(
        select(DropInSession).where(DropInSession.team_id.in_(ids), DropInSession.day < today,
                                    DropInSession.status == "ouverte")
        .order_by(DropInSession.day.desc(), DropInSession.starts_at.desc()).limit(limit)))


def arrival_counts(session_ids: list[int]) -> dict[int, int]:
    """Arrivals per session."""
    if not session_ids:
        return {}
    return dict(db.session.execute(
        select(Arrival.session_id, func.count(Arrival.id))
        .where(Arrival.session_id.in_(session_ids)).group_by(Arrival.session_id)).all())


# -- Dysfunctions -----------------------------------------------------------------------------


@dataclass
class DysfunctionTable:
    """Counts of dysfunctions by month (rows) and kind (columns)."""

    months: list[date]
    kinds: list[tuple[str, str]]  #: (code, label) of the kinds shown
    counts: dict[tuple[date, str], int]

    def count(self, month: date, kind: str) -> int:
        """Dysfunctions of that kind that month."""
        return self.counts.get((month, kind), 0)

    def month_total(self, month: date) -> int:
        """All kinds in one month."""
        return sum(v for (m, _), v in self.counts.items() if m == month)

    def kind_total(self, kind: str) -> int:
        """One kind over the whole period."""
        return sum(v for (_, k), v in self.counts.items() if k == kind)

    @property
    def total(self) -> int:
        """Everything counted."""
        return sum(self.counts.values())

    @property
    def used_kinds(self) -> list[tuple[str, str]]:
        """The kinds with at least one dysfunction in the period (the table's columns)."""
        used = {k for (_, k) in self.counts}
        return [(code, label) for code, label in self.kinds if code in used]


def dysfunction_counts(team_ids_: set[int], today: date, months: int = 12) -> DysfunctionTable:
    """Dysfunctions of these teams counted by kind and month, over the last `months` months."""
    month_list = rules.months_back(today, months)
    counts: dict[tuple[date, str], int] = {}
    if team_ids_:
        year = extract("year", Dysfunction.observed_on)
        month = extract("month", Dysfunction.observed_on)
        rows = db.session.execute(
            select(year, month, Dysfunction.kind, func.count(Dysfunction.id))
            .where(Dysfunction.team_id.in_(team_ids_), Dysfunction.observed_on >= month_list[0],
                   Dysfunction.observed_on <= today)
            .group_by(year, month, Dysfunction.kind))
        for y, m, kind, n in rows:
            counts[(date(int(y), int(m), 1), kind)] = n
    kinds = [(k, label) for k, label in vocab.DYSFUNCTION_KINDS.items()]
    return DysfunctionTable(month_list, kinds, counts)


def recent_dysfunctions(team_ids_: set[int], limit: int = 20) -> list[Dysfunction]:
    """The latest dysfunctions recorded in these teams."""
    if not team_ids_:
        return []
    return list(db.session.scalars(
        select(Dysfunction).where(Dysfunction.team_id.in_(team_ids_))
        .order_by(Dysfunction.observed_on.desc(), Dysfunction.id.desc()).limit(limit)))


# -- Organisation (coordinators) --------------------------------------------------------------


def schedules(team_id: int) -> list[SessionSchedule]:
    """The team's schedules, running ones first."""
    return list(db.session.scalars(
        select(SessionSchedule).where(SessionSchedule.team_id == team_id)
        .order_by(SessionSchedule.valid_until.is_not(None), SessionSchedule.weekday,
                  SessionSchedule.starts_at)))


def closures(team_id: int, today: date) -> list[Closure]:
    """The team's closures that are not over yet."""
    return list(db.session.scalars(
        select(Closure).where(Closure.team_id == team_id, Closure.end_on >= today)
        .order_by(Closure.start_on)))


def session_arrival_count(session: DropInSession) -> int:
    """How many arrivals the session has."""
    return db.session.scalar(select(func.count(Arrival.id))
                             .where(Arrival.session_id == session.id)) or 0


def aids_of_team_month(team_id: int, today: date) -> list[Aid]:
    """Aids granted this month in a team (for the coordinator's check against the criteria)."""
    start = rules.month_start(today)
    return list(db.session.scalars(
        select(Aid).join(Arrival).join(DropInSession)
        .where(DropInSession.team_id == team_id, DropInSession.day >= start)
        .order_by(Aid.decided_at.desc())))
