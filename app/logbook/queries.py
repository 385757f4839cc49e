"""Reads of the logbook and of flat checks, always scoped through app.auth.scoping."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select

from app.auth.models import Team
from app.auth.scoping import deny, get_scoped_or_404, scope, team_ids
from app.extensions import db
from app.households.models import Enrolment, Household, Person
from app.households.text import words
from app.housing.models import Flat
from app.logbook import rules
from app.logbook.models import (FlatCheck, LogbookSettings, LogEntry, LogEntryConflict,
                                LogEntryPerson, LogEntryPhoto, resident_name)
from app.programmes import CASE_ROLES

#: Most entries one list page shows (filters narrow it; exports are not limited).
PAGE_SIZE = 200


def teams(user) -> list[Team]:
    """Teams whose logbook this person may read and write (case roles), by name."""
    ids = team_ids(user, CASE_ROLES)
    if not ids:
        return []
    return list(db.session.scalars(select(Team).where(Team.id.in_(ids)).order_by(Team.name)))


#: Programmes whose teams keep a logbook as part of the work (the seed's Village and Logement
#: d'abord, and the collective living places); other teams have one too, shown once used.
LOGBOOK_PROGRAMMES = ("village", "lda", "lieu_de_vie")


def home_teams(user) -> list[Team]:
    """Teams whose entry form "Aujourd'hui" offers (and keeps for offline use)."""
    used = set(last_entries(user))
    return [t for t in teams(user) if t.programme in LOGBOOK_PROGRAMMES or t.id in used]


def team_or_404(team_id: int, user) -> Team:
    """One of the person's logbook teams, else 404 (audited)."""
    if team_id not in team_ids(user, CASE_ROLES):
        deny(user, "team", team_id)
    return db.session.get(Team, team_id)


def entry_or_404(entry_id: int, user) -> LogEntry:
    """An entry of one of the person's teams, else 404 (audited)."""
    return get_scoped_or_404(LogEntry, entry_id, user, CASE_ROLES)


def conflict_or_404(conflict_id: int, user) -> LogEntryConflict:
    """A kept conflicting submission of an entry the person may see, else 404 (audited)."""
    row = db.session.get(LogEntryConflict, conflict_id)
    if row is None or row.entry.team_id not in team_ids(user, CASE_ROLES):
        deny(user, "logbook_conflict", conflict_id)
    return row


def open_conflicts(entry: LogEntry) -> list[LogEntryConflict]:
    """Conflicting submissions of an entry still waiting for a decision."""
    return list(db.session.scalars(select(LogEntryConflict).where(
        LogEntryConflict.entry_id == entry.id, LogEntryConflict.resolved_at.is_(None))
        .order_by(LogEntryConflict.id)))


def photo_or_404(key: str, user) -> LogEntryPhoto:
    """A photo of an entry of the person's teams, else 404 (audited)."""
    row = db.session.scalar(select(LogEntryPhoto).where(LogEntryPhoto.key == key))
    if row is None or row.entry.team_id not in team_ids(user, CASE_ROLES):
        deny(user, "logbook_photo", None)
    return row


def residents(team_id: int, today: date) -> list[Person]:
    """People of the team's households (owned, or enrolled and not yet out), by household."""
    enrolled = select(Enrolment.household_id).where(
        Enrolment.team_id == team_id,
        or_(Enrolment.exit_date.is_(None), Enrolment.exit_date >= today))
    stmt = (select(Person).join(Household, Person.household_id == Household.id)
            .where(or_(Household.team_id == team_id, Household.id.in_(enrolled)))
            .order_by(Household.name, Person.id))
    return list(db.session.scalars(stmt))


def resident_choices(people: list[Person]) -> list[tuple[int, str]]:
    """(id, name) of residents to pick from: alias or first name; when two share a name, the
    year of birth (else the household's number) tells them apart, never the surname."""
    names = [resident_name(p) for p in people]
    seen = Counter(names)
    out = []
    for person, name in zip(people, names):
        if seen[name] > 1:
            year = person.birth_date.year if person.birth_date else person.birth_year
            name += f" (né·e en {year})" if year else f" (ménage n° {person.household_id})"
        out.append((person.id, name))
    return out


@dataclass
class Filters:
    """What the logbook list is narrowed to (all optional)."""

    start: date | None = None  #: first Paris day, included
    end: date | None = None  #: last Paris day, included
    category: str | None = None
    text: str | None = None  #: every word must appear (accents and case ignored)
    person_id: int | None = None


def _filtered(stmt, f: Filters):
    lower, upper = rules.day_bounds(f.start, f.end)
    if lower is not None:
        stmt = stmt.where(LogEntry.occurred_at >= lower)
    if upper is not None:
        stmt = stmt.where(LogEntry.occurred_at < upper)
    if f.category:
        stmt = stmt.where(LogEntry.category == f.category)
    for word in words(f.text or ""):
        stmt = stmt.where(LogEntry.search_text.like(f"%{word}%"))
    if f.person_id:
        stmt = stmt.where(LogEntry.id.in_(select(LogEntryPerson.entry_id).where(
            LogEntryPerson.person_id == f.person_id)))
    return stmt


def entries(user, team_id: int, f: Filters, limit: int | None = PAGE_SIZE) -> list[LogEntry]:
    """The team's entries matching the filters, newest first."""
    stmt = _filtered(scope(select(LogEntry), LogEntry.team_id, user, CASE_ROLES)
                     .where(LogEntry.team_id == team_id), f)
    stmt = stmt.order_by(LogEntry.occurred_at.desc(), LogEntry.id.desc())
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def count_entries(user, team_id: int, f: Filters) -> int:
    """How many of the team's entries match the filters."""
    stmt = _filtered(scope(select(func.count(LogEntry.id)), LogEntry.team_id, user, CASE_ROLES)
                     .where(LogEntry.team_id == team_id), f)
    return db.session.scalar(stmt) or 0


def last_entries(user) -> dict[int, tuple[int, object]]:
    """For each of the person's teams: (number of entries, last entry instant)."""
    stmt = scope(select(LogEntry.team_id, func.count(LogEntry.id), func.max(LogEntry.occurred_at)),
                 LogEntry.team_id, user, CASE_ROLES).group_by(LogEntry.team_id)
    return {t: (n, last) for t, n, last in db.session.execute(stmt)}


def check_every_days(team_id: int) -> int:
    """The team's check interval in days (the default when never set)."""
    row = db.session.get(LogbookSettings, team_id)
    return row.check_every_days if row else rules.DEFAULT_CHECK_EVERY_DAYS


def flat_or_404(flat_id: int, user) -> Flat:
    """A flat of one of the person's teams, else 404 (audited)."""
    return get_scoped_or_404(Flat, flat_id, user, CASE_ROLES)


def check_or_404(check_id: int, user) -> FlatCheck:
    """A flat check of one of the person's teams, else 404 (audited)."""
    return get_scoped_or_404(FlatCheck, check_id, user, CASE_ROLES)


def checks_of(flat: Flat) -> list[FlatCheck]:
    """A flat's checks, newest first (the caller already holds a flat the person may see)."""
    return list(db.session.scalars(select(FlatCheck).where(FlatCheck.flat_id == flat.id)
                                   .order_by(FlatCheck.checked_on.desc(), FlatCheck.id.desc())))


def last_check(flat: Flat) -> FlatCheck | None:
    """A flat's most recent check."""
    return db.session.scalar(select(FlatCheck).where(FlatCheck.flat_id == flat.id)
                             .order_by(FlatCheck.checked_on.desc(), FlatCheck.id.desc()).limit(1))


@dataclass
class FlatRow:
    """A flat with its last check and whether it is due."""

    flat: Flat
    last: FlatCheck | None
    status: rules.CheckStatus


def flat_rows(user, team_id: int, today: date) -> list[FlatRow]:
    """The team's flats still managed (not handed back), those needing a check first."""
    every = check_every_days(team_id)
    flats = db.session.scalars(scope(select(Flat), Flat.team_id, user, CASE_ROLES).where(
        Flat.team_id == team_id, Flat.status != "rendu").order_by(Flat.city, Flat.address))
    latest = {}
    for check in db.session.scalars(select(FlatCheck).where(FlatCheck.team_id == team_id)
                                    .order_by(FlatCheck.checked_on, FlatCheck.id)):
        latest[check.flat_id] = check
    rows = []
    for flat in flats:
        last = latest.get(flat.id)
        rows.append(FlatRow(flat, last, rules.check_status(last.checked_on if last else None,
                                                           today, every)))
    rows.sort(key=lambda r: (not r.status.flagged, r.last.checked_on if r.last else date.min))
    return rows


def checks_between(user, team_id: int, start: date | None, end: date | None) -> list[FlatCheck]:
    """The team's checks done in a period, by day (for the experimentation report)."""
    stmt = scope(select(FlatCheck), FlatCheck.team_id, user, CASE_ROLES).where(
        FlatCheck.team_id == team_id)
    if start:
        stmt = stmt.where(FlatCheck.checked_on >= start)
    if end:
        stmt = stmt.where(FlatCheck.checked_on <= end)
    return list(db.session.scalars(stmt.order_by(FlatCheck.checked_on, FlatCheck.id)))
