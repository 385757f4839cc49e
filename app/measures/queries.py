"""Reads of ASLL measures, always scoped through app.auth.scoping."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, false, func, or_, select

from app.auth.models import Membership, Team, User
from app.auth.scoping import deny, get_scoped_or_404, scope, team_ids
from app.extensions import db
from app.households.models import Barrier, Enrolment, Goal, Household, Note, Right
from app.households.queries import visible
from app.measures import rules
from app.measures.models import FunderBatch, LinkSheet, Measure
from app.programmes import CASE_ROLES, LEAD_ROLES
from app.visits.models import Visit


def measures(user, *, worker_id: int | None = None) -> list[Measure]:
    """Measures of the user's ASLL teams whose case file the user may open, newest first."""
    stmt = (scope(select(Measure), Measure.team_id, user, CASE_ROLES)
            .join(Household, Household.id == Measure.household_id).where(visible(user)))
    if worker_id is not None:
        stmt = stmt.where(Measure.worker_id == worker_id)
    return list(db.session.scalars(stmt.order_by(Measure.notified_on.desc(), Measure.id.desc())))


def get(measure_id: int, user) -> Measure:
    """One measure of the user's teams whose case file the user may open, else 404 (audited)."""
    m = get_scoped_or_404(Measure, measure_id, user, CASE_ROLES)
    if db.session.scalar(select(Household.id).where(Household.id == m.household_id,
                                                    visible(user))) is None:
        deny(user, Measure.__tablename__, measure_id)
    return m


def asll_teams(user, roles=LEAD_ROLES) -> list[Team]:
    """The ASLL teams where the user holds one of `roles`."""
    ids = team_ids(user, roles)
    return list(db.session.scalars(select(Team).where(Team.id.in_(ids), Team.programme == "asll")
                                   .order_by(Team.name)))


def team_workers(team_id: int) -> list[User]:
    """Active workers and coordinators of a team, by name."""
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == team_id, Membership.role.in_(CASE_ROLES),
               User.active.is_(True)).order_by(User.display_name)))


def seen_by_teams(ids):
    """SQL condition: the household is owned by, or enrolled with, one of these teams.

    The case-file rule of app.households.queries.visible, for teams instead of a person (an
    archived file is seen by nobody): an ASLL measure is run for a household its team sees.
    """
    if not ids:
        return false()
    from app.privacy.models import HouseholdArchive

    return and_(or_(Household.team_id.in_(ids),
                    exists().where(Enrolment.household_id == Household.id,
                                   Enrolment.team_id.in_(ids))),
                ~exists().where(HouseholdArchive.household_id == Household.id,
                                HouseholdArchive.archived_at.is_not(None)))


def team_sees(team_id: int, household_id: int) -> bool:
    """Whether the team owns or enrols the household (its case file is open to the team)."""
    return db.session.scalar(select(Household.id).where(
        Household.id == household_id, seen_by_teams({team_id}))) is not None


def households_for(user) -> list[Household]:
    """Households seen by an ASLL team the user coordinates, to notify a measure for."""
    ids = {t.id for t in asll_teams(user, LEAD_ROLES)}
    return list(db.session.scalars(select(Household).where(seen_by_teams(ids))
                                   .order_by(Household.name, Household.id)))


@dataclass
class Load:
    """One worker's running measures in a team, for spreading the load."""

    name: str
    worker_id: int | None  #: None: the measures nobody holds yet
    phase1: int = 0  #: in phase 1 or waiting for their receipt to be confirmed
    phase2: int = 0
    in_team: bool = True  #: False: left the team but still holds measures to hand over

    @property
    def total(self) -> int:
        """Running measures in all."""
        return self.phase1 + self.phase2


@dataclass
class TeamLoad:
    """The load of one ASLL team: every worker, those with no measure included."""

    team: Team
    rows: list[Load]


def loads(user, items: list[Measure], today: date) -> list[TeamLoad]:
    """Per ASLL team of the user: each active worker's running measures (0 included), by name,
    then people who left the team but still hold some, then the unassigned ones."""
    out = []
    for team in asll_teams(user, CASE_ROLES):
        rows = {u.id: Load(u.display_name, u.id) for u in team_workers(team.id)}
        left: dict[int, Load] = {}
        nobody = Load("Non attribuée", None)
        for m in items:
            if m.team_id != team.id:
                continue
            s = rules.status(m, today)
            if s.phase == "terminee":
                continue
            if m.worker_id is None:
                load = nobody
            else:
                load = rows.get(m.worker_id) or left.setdefault(
                    m.worker_id, Load(m.worker.display_name, m.worker_id, in_team=False))
            if s.phase == "phase2":
                load.phase2 += 1
            else:
                load.phase1 += 1
        ordered = list(rows.values()) + sorted(left.values(), key=lambda x: x.name)
        out.append(TeamLoad(team, ordered + ([nobody] if nobody.total else [])))
    return out


#: filters of the measures list, from the load table: code -> phases kept
STATES = {"en_cours": ("a_confirmer", "phase1", "phase2"), "phase1": ("a_confirmer", "phase1"),
          "phase2": ("phase2",)}


@dataclass
class Activity:
    """What was done for a measure's household in a month, for the fiche de lien."""

    visits: list
    notes: list
    rights: list


def month_activity(measure: Measure, month: date) -> Activity:
    """What the measure's team did in the month: its visits with a report, the notes its
    members wrote for the whole team ("equipe" only) and the household's rights of the month.

    A household can be followed by several teams: another team's visits and notes are that
    team's work and stay out of the document sent to the ASLL funder. Rights applications
    belong to the household's case file, not to a team, and are all shown.
    """
    first, last = rules.month_start(month), rules.month_end(month)
    members = select(Membership.user_id).where(Membership.team_id == measure.team_id,
                                               Membership.role.in_(CASE_ROLES))
    visits = list(db.session.scalars(
        select(Visit).where(Visit.household_id == measure.household_id,
                            Visit.team_id == measure.team_id,
                            Visit.day >= first, Visit.day <= last)
        .order_by(Visit.day, Visit.at.is_(None), Visit.at)))  # no hour: last, on both databases
    notes = list(db.session.scalars(
        select(Note).where(Note.household_id == measure.household_id,
                           Note.confidentiality == "equipe",
                           Note.author_id.in_(members),
                           Note.written_on >= first, Note.written_on <= last)
        .order_by(Note.written_on)))
    rights = list(db.session.scalars(
        select(Right).where(Right.household_id == measure.household_id,
                            or_(Right.filed_on.between(first, last),
                                Right.decided_on.between(first, last)))
        .order_by(Right.id)))
    return Activity([v for v in visits if v.report is not None], notes, rights)


def sheet(measure: Measure, month: date) -> LinkSheet | None:
    """The measure's fiche de lien for a month, if written."""
    return db.session.scalar(select(LinkSheet).where(LinkSheet.measure_id == measure.id,
                                                     LinkSheet.month == rules.month_start(month)))


def sheets(measure: Measure) -> list[LinkSheet]:
    """Every fiche de lien of a measure, newest first."""
    return list(db.session.scalars(select(LinkSheet).where(LinkSheet.measure_id == measure.id)
                                   .order_by(LinkSheet.month.desc())))


@dataclass
class Project:
    """Where the household's project stands in the case file: phase 1's diagnosis and goals."""

    barriers: int  #: barriers recorded in the case file
    barriers_open: int  #: of which not yet lifted
    goals: int  #: goals agreed with the household
    goals_running: int  #: of which still running


def project(measure: Measure) -> Project:
    """Counts of the household's barriers and goals (one query each, in SQL)."""
    b = db.session.execute(select(func.count(Barrier.id),
                                  func.count(Barrier.id).filter(Barrier.status != "leve"))
                           .where(Barrier.household_id == measure.household_id)).one()
    g = db.session.execute(select(func.count(Goal.id),
                                  func.count(Goal.id).filter(Goal.status == "en_cours"))
                           .where(Goal.household_id == measure.household_id)).one()
    return Project(b[0], b[1], g[0], g[1])


@dataclass
class BatchLine:
    """One measure's line in the funder's monthly batch."""

    measure: Measure
    phase: str
    days: int


def batch_lines(user, team_id: int, funder: str, month: date) -> list[BatchLine]:
    """The measures of a team and funder with days of support in the month."""
    if team_id not in team_ids(user, CASE_ROLES):
        return []
    end = rules.month_end(month)
    rows = db.session.scalars(select(Measure).where(Measure.team_id == team_id,
                                                    Measure.funder == funder,
                                                    Measure.received_on.is_not(None))
                              .order_by(Measure.reference))
    out = []
    for m in rows:
        days = rules.support_days(m, month)
        if days:
            out.append(BatchLine(m, rules.status(m, end).label, days))
    return out


def batch(team_id: int, funder: str, month: date) -> FunderBatch | None:
    """The record of a sent batch, if any."""
    return db.session.scalar(select(FunderBatch).where(
        FunderBatch.team_id == team_id, FunderBatch.funder == funder,
        FunderBatch.month == rules.month_start(month)))


def running_counts(team_id: int) -> dict[int, int]:
    """Measures not ended per assigned worker of a team (shown when choosing whom to assign)."""
    rows = db.session.execute(select(Measure.worker_id, func.count(Measure.id))
                              .where(Measure.team_id == team_id, Measure.ended_on.is_(None),
                                     Measure.worker_id.is_not(None))
                              .group_by(Measure.worker_id))
    return dict(rows.all())


def worker_choices(team_id: int) -> list[tuple[int, str]]:
    """The team's workers with their running measures, e.g. "Sophie Martin (2 mesures)"."""
    counts = running_counts(team_id)

    def label(user):
        n = counts.get(user.id, 0)
        return f"{user.display_name} ({n} mesure{'s' if n > 1 else ''} en cours)"

    return [(u.id, label(u)) for u in team_workers(team_id)]
