"""Privacy reads: a case file's access journal, archived files, retention and devices.

Every household is loaded here by id and then checked (`manageable_or_404`, `journal_or_404`,
`archived_or_404`), because archived files are outside `households.queries.visible` on purpose.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import LoginSession, User
from app.auth.scoping import deny, team_ids
from app.extensions import db
from app.households.models import Household
from app.households.queries import coordinates
from app.privacy import graph, services
from app.privacy.models import ArchiveAccess, HouseholdArchive, RetentionRun
from app.programmes import LEAD_ROLES, PROGRAMMES
from app.timeutil import PARIS


def paris_to_utc(day: date, at: time) -> datetime:
    """A Paris wall-clock moment as naive UTC (the journal filters by Paris days)."""
    return datetime.combine(day, at, PARIS).astimezone(UTC).replace(tzinfo=None)


def _load(household_id: int, user) -> Household:
    household = db.session.get(Household, household_id)
    if household is None:
        deny(user, "household", household_id)
    return household


def _archived(household: Household) -> bool:
    """Archived and still holding personal data (an anonymised file holds none)."""
    state = services.state_of(household.id)
    return bool(state and state.archived_at and not state.anonymised_at)


def manageable_or_404(household_id: int, user) -> Household:
    """A household this person may export or anonymise (archived ones need the archive grant)."""
    household = _load(household_id, user)
    if not services.may_manage(user, household) or (
            _archived(household)
            and household.team_id not in services.archive_reader_team_ids(user)):
        deny(user, "household", household_id)
    return household


def journal_or_404(household_id: int, user) -> Household:
    """A household whose access journal this person may read: coordinators of its teams
    (archived ones need the archive grant, like the file itself)."""
    household = _load(household_id, user)
    if not coordinates(user, household) or (
            _archived(household)
            and household.team_id not in services.archive_reader_team_ids(user)):
        deny(user, "household", household_id)
    return household


def archived_or_404(household_id: int, user) -> Household:
    """An archived (not anonymised) household this person is allowed to read."""
    household = _load(household_id, user)
    state = services.state_of(household.id)
    if (state is None or state.archived_at is None or state.anonymised_at is not None
            or household.team_id not in services.archive_reader_team_ids(user)):
        deny(user, "household", household_id)
    return household


def dropin_manageable_or_404(person_id: int, user):
    """A person received at a permanence whose data this person may export or anonymise:
    coordinators of the permanence team (admins with a case role there); archived records need
    the archive grant too."""
    from app.permanences.models import DropInPerson
    from app.privacy import dropin

    person = db.session.get(DropInPerson, person_id)
    if person is None or not services.may_manage(user, person) or dropin.closed_to(user, person):
        deny(user, "dropin_person", person_id)
    return person


@dataclass
class JournalFilter:
    """What the journal is narrowed to."""

    actor_id: int | None = None
    action: str = ""
    start: date | None = None
    end: date | None = None  #: included

    def apply(self, stmt):
        """Add the filter's conditions to a select of AuditEvent."""
        if self.actor_id:
            stmt = stmt.where(AuditEvent.actor_id == self.actor_id)
        if self.action:
            stmt = stmt.where(AuditEvent.action == self.action)
        if self.start:
            stmt = stmt.where(AuditEvent.at >= paris_to_utc(self.start, time(0)))
        if self.end:
            stmt = stmt.where(AuditEvent.at < paris_to_utc(self.end + timedelta(days=1), time(0)))
        return stmt


def household_condition(household_id: int):
    """SQL condition on AuditEvent: rows about this household or one of its rows."""
    household = db.session.get(Household, household_id)
    if household is None:
        return (AuditEvent.object_type == "household") & (AuditEvent.object_id == household_id)
    return services.audit_condition(household, graph.collect(household.id))


def household_journal(household: Household, filters: JournalFilter, page: int,
                      per_page: int = 50) -> tuple[list[AuditEvent], bool, list[User]]:
    """One page of the audit rows about a household (and its rows), whether more follow, and
    the people who appear in it (for the filter)."""
    rows = graph.collect(household.id)
    cond = services.audit_condition(household, rows)
    stmt = filters.apply(select(AuditEvent).where(cond)).order_by(
        AuditEvent.at.desc(), AuditEvent.id.desc())
    found = list(db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page + 1)))
    people = list(db.session.scalars(
        select(User).where(User.id.in_(select(AuditEvent.actor_id).where(cond)))
        .order_by(User.display_name)))
    return found[:per_page], len(found) > per_page, people


def archives(user) -> list[tuple[Household, HouseholdArchive]]:
    """Archived, not yet anonymised files of the teams whose archives this person may read."""
    ids = services.archive_reader_team_ids(user)
    if not ids:
        return []
    return list(db.session.execute(
        select(Household, HouseholdArchive).join(
            HouseholdArchive, HouseholdArchive.household_id == Household.id)
        .where(Household.team_id.in_(ids), HouseholdArchive.archived_at.is_not(None),
               HouseholdArchive.anonymised_at.is_(None))
        .order_by(HouseholdArchive.archived_at.desc())))


def policies() -> list[dict]:
    """Every programme with its retention in force, its default and the default's source."""
    from app.privacy import vocab

    out = []
    for code, name in PROGRAMMES.items():
        active, archive = services.policy_for(code)
        default = vocab.DEFAULTS.get(code, vocab.FALLBACK)
        out.append({"code": code, "label": name, "active_months": active,
                    "archive_months": archive, "default": default,
                    "changed": (active, archive) != (default.active_months,
                                                     default.archive_months)})
    return out


def runs(limit: int = 10) -> list[RetentionRun]:
    """The latest retention passes, newest first."""
    return list(db.session.scalars(
        select(RetentionRun).order_by(RetentionRun.id.desc()).limit(limit)))


def grants() -> list[ArchiveAccess]:
    """Every archive-reading permission, by team then person."""
    return list(db.session.scalars(select(ArchiveAccess).order_by(ArchiveAccess.team_id,
                                                                 ArchiveAccess.id)))


def session_handle(row: LoginSession) -> str:
    """A public handle of a signed-in device (the session id itself is a secret)."""
    return hashlib.sha256(row.id.encode()).hexdigest()[:20]


def open_sessions(user: User) -> list[tuple[LoginSession, str]]:
    """A person's signed-in devices, most recent first, with their handles."""
    found = db.session.scalars(select(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .order_by(LoginSession.last_seen_at.desc()))
    return [(row, session_handle(row)) for row in found]


def device_label(user_agent: str | None) -> str:
    """'Chrome sur Android' from a browser's user agent (enough to recognise one's phone)."""
    ua = user_agent or ""
    system = next((name for key, name in (("Android", "Android"), ("iPhone", "iPhone"),
                                          ("iPad", "iPad"), ("Windows", "Windows"),
                                          ("Mac OS", "Mac"), ("CrOS", "ChromeOS"),
                                          ("Linux", "Linux")) if key in ua), None)
    browser = next((name for key, name in (("Edg/", "Edge"), ("Firefox/", "Firefox"),
                                           ("SamsungBrowser", "Samsung Internet"),
                                           ("Chrome/", "Chrome"), ("Chromium", "Chromium"),
                                           ("Safari/", "Safari")) if key in ua), None)
    if browser and system:
        return f"{browser} sur {system}"
    return browser or system or "Navigateur inconnu"


def session_by_handle(user: User, handle: str) -> LoginSession | None:
    """The open session of this person with that handle."""
    for row, h in open_sessions(user):
        if h == handle:
            return row
    return None


def lead_team_ids(user) -> set[int]:
    """Teams this person coordinates."""
    return team_ids(user, LEAD_ROLES)


def is_archived(household_id: int) -> bool:
    """Whether a household is archived (or anonymised)."""
    state = db.session.get(HouseholdArchive, household_id)
    return bool(state and state.archived_at)


def hidden_case(user, household) -> bool:
    """Whether a household named on a team page (a flat's past occupant, an inventory's
    household) must be shown without its name: archived, and `user` may not read the team's
    archives."""
    if household is None:
        return False
    state = db.session.get(HouseholdArchive, household.id)
    if state is None or state.archived_at is None:
        return False
    return household.team_id not in services.archive_reader_team_ids(user)
