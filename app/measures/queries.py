"""Reads of ASLL measures, always scoped through app.auth.scoping."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select

from app.auth.models import Membership, Team, User
from app.auth.scoping import get_scoped_or_404, scope, team_ids
from app.extensions import db
from app.households.models import Barrier, Goal, Household, Note, Right
from app.measures import rules
from app.measures.models import FunderBatch, LinkSheet, Measure
from app.programmes import CASE_ROLES, LEAD_ROLES
from app.visits.models import Visit


def measures(user, *, worker_id: int | None = None) -> list[Measure]:
    """Measures of the user's ASLL teams, newest notification first."""
    stmt = scope(select(Measure), Measure.team_id, user, CASE_ROLES)
    if worker_id is not None:
        stmt = stmt.where(Measure.worker_id == worker_id)
    return list(db.session.scalars(stmt.order_by(Measure.notified_on.desc(), Measure.id.desc())))


def get(measure_id: int, user) -> Measure:
    """One measure the user may see, else 404 (audited)."""
    return get_scoped_or_404(Measure, measure_id, user, CASE_ROLES)


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


def households_for(user) -> list[Household]:
    """Households the user may see, to notify a measure for."""
    return list(db.session.scalars(scope(select(Household), Household.team_id, user, CASE_ROLES)
                                   .order_by(Household.name)))


@dataclass
class Load:
    """One worker's running measures, for spreading the load."""

    name: str
    phase1: int = 0
    phase2: int = 0
    measures: list = field(default_factory=list)

    @property
    def total(self) -> int:
        """Running measures in all."""
        return self.phase1 + self.phase2


def loads(items: list[Measure], today: date) -> list[Load]:
    """Running measures per worker (unassigned ones under "Non attribuée"), heaviest first."""
    out: dict[str, Load] = {}
    for m in items:
        s = rules.status(m, today)
        if s.phase == "terminee":
            continue
        name = m.worker.display_name if m.worker else "Non attribuée"
        load = out.setdefault(name, Load(name))
        load.measures.append(m)
        if s.phase == "phase2":
            load.phase2 += 1
        else:
            load.phase1 += 1
    return sorted(out.values(), key=lambda x: (-x.total, x.name))


@dataclass
class Activity:
    """What was done for a measure's household in a month, for the fiche de lien."""

    visits: list
    notes: list
    rights: list


def month_activity(measure: Measure, month: date) -> Activity:
    """Visits with a report, team-visible notes ("equipe" only) and rights of the month."""
    first, last = rules.month_start(month), rules.month_end(month)
    visits = list(db.session.scalars(
        select(Visit).where(Visit.household_id == measure.household_id,
                            Visit.day >= first, Visit.day <= last)
        .order_by(Visit.day, Visit.at.is_(None), Visit.at)))  # no hour: last, on both databases
    notes = list(db.session.scalars(
        select(Note).where(Note.household_id == measure.household_id,
                           Note.confidentiality == "equipe",
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
