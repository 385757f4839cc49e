"""Reads of the rehousing tool, always scoped through app.auth.scoping.

Every row carries its operation's `team_id`; the case roles (coordinator, worker) of that team
see it, nobody else. Progress figures are counted by the database (grouped sums); only the
median of the days since first contact is taken in Python, from the dates SQL returns.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from statistics import median

from sqlalchemy import case, exists, func, literal, or_, select
from sqlalchemy.orm import selectinload

from app.auth.models import Membership, Team, User
from app.auth.scoping import get_scoped_or_404, scope, team_ids
from app.extensions import db
from app.households.models import Enrolment, Household
from app.programmes import CASE_ROLES, LEAD_ROLES
from app.relogement import vocab
from app.relogement.models import Building, Mission, Operation, Proposal, RehousingCase

_team_ids = team_ids  # `results()` takes a parameter of the same name

# ---- one row, scoped ------------------------------------------------------------------------


def operation_or_404(operation_id: int, user) -> Operation:
    """An operation of one of the user's teams, else 404 (audited)."""
    return get_scoped_or_404(Operation, operation_id, user, CASE_ROLES)


def building_or_404(building_id: int, user) -> Building:
    """A building of one of the user's operations, else 404 (audited)."""
    return get_scoped_or_404(Building, building_id, user, CASE_ROLES)


def case_or_404(case_id: int, user) -> RehousingCase:
    """A household's rehousing case of one of the user's operations, else 404 (audited)."""
    return get_scoped_or_404(RehousingCase, case_id, user, CASE_ROLES)


def proposal_or_404(proposal_id: int, user) -> Proposal:
    """A proposal of one of the user's operations, else 404 (audited)."""
    return get_scoped_or_404(Proposal, proposal_id, user, CASE_ROLES)


def mission_or_404(mission_id: int, user) -> Mission:
    """A mission of one of the user's operations, else 404 (audited)."""
    return get_scoped_or_404(Mission, mission_id, user, CASE_ROLES)


# ---- lists ----------------------------------------------------------------------------------


def operations(user) -> list[Operation]:
    """Operations of the user's teams, running ones first, then by name."""
    running = case((Operation.status == "terminee", 1), else_=0)
    return list(db.session.scalars(scope(select(Operation), Operation.team_id, user, CASE_ROLES)
                                   .order_by(running, Operation.name)))


def relogement_teams(user, roles=LEAD_ROLES) -> list[Team]:
    """Teams running the relogement programme where the user holds one of `roles`."""
    ids = team_ids(user, roles)
    return list(db.session.scalars(select(Team).where(Team.id.in_(ids),
                                                      Team.programme == "relogement")
                                   .order_by(Team.name)))


def coordinators(team_id: int) -> list[User]:
    """Active coordinators of a team: who may pilot a provider's mission."""
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == team_id, Membership.role.in_(LEAD_ROLES),
               User.active.is_(True)).order_by(User.display_name)))


def linkable_households(operation: Operation) -> list[Household]:
    """Case-file households of the operation's team (owned or enrolled) not yet in it."""
    enrolled = exists().where(Enrolment.household_id == Household.id,
                              Enrolment.team_id == operation.team_id)
    already = select(RehousingCase.household_id).where(
        RehousingCase.operation_id == operation.id)
    return list(db.session.scalars(
        select(Household).where(or_(Household.team_id == operation.team_id, enrolled),
                                Household.id.not_in(already)).order_by(Household.name)))


def case_status():
    """SQL expression of where a household stands: a key of vocab.CASE_STATUSES.

    An outcome wins; else an accepted proposal, else one waiting for an answer, else
    "refusees" when every proposal was refused, else "sans_proposition".
    """
    def has(answer: str | None = None):
        cond = [Proposal.case_id == RehousingCase.id]
        if answer:
            cond.append(Proposal.answer == answer)
        return exists().where(*cond)

    return case(
        (RehousingCase.outcome.is_not(None), RehousingCase.outcome),
        (has("acceptee"), literal("acceptee")),
        (has("en_attente"), literal("en_attente")),
        (has(), literal("refusees")),
        else_=literal("sans_proposition"))


def cases(operation: Operation, status: str | None = None,
          building_id: int | None = None) -> list[RehousingCase]:
    """The operation's households, optionally of one status or building, by building then name."""
    stmt = (select(RehousingCase).join(Household, Household.id == RehousingCase.household_id)
            .join(Building, Building.id == RehousingCase.building_id)
            .where(RehousingCase.operation_id == operation.id)
            .options(selectinload(RehousingCase.proposals))
            .order_by(Building.address, Household.name))
    if status:
        stmt = stmt.where(case_status() == status)
    if building_id:
        stmt = stmt.where(RehousingCase.building_id == building_id)
    return list(db.session.scalars(stmt).unique())


def status_counts(operation: Operation) -> dict[str, int]:
    """How many households of the operation stand at each status (every status present)."""
    # Grouped through a subquery: PostgreSQL would not match a CASE with bound parameters in
    # the select list to the "same" CASE in GROUP BY (each gets its own parameters).
    sub = (select(case_status().label("status"))
           .where(RehousingCase.operation_id == operation.id).subquery())
    rows = db.session.execute(select(sub.c.status, func.count()).group_by(sub.c.status))
    counts = dict.fromkeys(vocab.CASE_STATUSES, 0)
    counts.update({k: n for k, n in rows})
    return counts


def missions(operation: Operation, case_id: int | None = None) -> list[Mission]:
    """Missions of an operation (or only those about one household), newest start first."""
    stmt = select(Mission).where(Mission.operation_id == operation.id)
    if case_id is not None:
        stmt = stmt.where(Mission.case_id == case_id)
    return list(db.session.scalars(stmt.order_by(Mission.started_on.desc(), Mission.id.desc())))


# ---- progress -------------------------------------------------------------------------------


@dataclass
class Progress:
    """An operation's (or a building's) progress at a glance."""

    households: int = 0  #: households to rehouse (every case of the operation)
    with_proposal: int = 0  #: households that received at least one proposal
    proposals: int = 0  #: proposals made
    accepted: int = 0
    refused: int = 0
    pending: int = 0  #: proposals waiting for an answer
    rehoused: int = 0  #: outcome "relogé"
    departed: int = 0  #: outcome "parti sans solution"
    other: int = 0  #: outcome "autre"
    #: days since first contact of the households still to rehouse (no outcome yet)
    days: list[int] = field(default_factory=list)
    not_contacted: int = 0  #: households still to rehouse with no first contact recorded

    @property
    def remaining(self) -> int:
        """Households without an outcome yet."""
        return self.households - self.rehoused - self.departed - self.other

    @property
    def median_days(self) -> float | None:
        """Median days since first contact of the households still to rehouse."""
        return median(self.days) if self.days else None

    @property
    def longest_days(self) -> int | None:
        """Longest wait since first contact among the households still to rehouse."""
        return max(self.days) if self.days else None

    @property
    def percent_rehoused(self) -> int:
        """Share of households rehoused, in whole percent (0 for an empty operation)."""
        return round(100 * self.rehoused / self.households) if self.households else 0


def _sum(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _progress_by(group_col, *where) -> dict[int, Progress]:
    """Progress counts grouped by `group_col` (operation or building), in two SQL queries."""
    out: dict[int, Progress] = {}
    has_proposal = exists().where(Proposal.case_id == RehousingCase.id)
    rows = db.session.execute(
        select(group_col, func.count(RehousingCase.id), _sum(has_proposal),
               _sum(RehousingCase.outcome == "reloge"),
               _sum(RehousingCase.outcome == "parti_sans_solution"),
               _sum(RehousingCase.outcome == "autre"))
        .where(*where).group_by(group_col))
    for key, total, with_prop, rehoused, departed, other in rows:
        out[key] = Progress(households=total, with_proposal=with_prop, rehoused=rehoused,
                            departed=departed, other=other)
    rows = db.session.execute(
        select(group_col, func.count(Proposal.id), _sum(Proposal.answer == "acceptee"),
               _sum(Proposal.answer == "refusee"), _sum(Proposal.answer == "en_attente"))
        .join(Proposal, Proposal.case_id == RehousingCase.id)
        .where(*where).group_by(group_col))
    for key, made, accepted, refused, pending in rows:
        p = out.setdefault(key, Progress())
        p.proposals, p.accepted, p.refused, p.pending = made, accepted, refused, pending
    return out


def _waits(group_col, today: date, *where) -> dict[int, tuple[list[int], int]]:
    """Per group: days since first contact of open cases, and how many have no contact yet."""
    out: dict[int, tuple[list[int], int]] = {}
    rows = db.session.execute(select(group_col, RehousingCase.first_contact_on)
                              .where(RehousingCase.outcome.is_(None), *where))
    for key, first in rows:
        days, missing = out.get(key, ([], 0))
        if first is None:
            missing += 1
        else:
            days.append((today - first).days)
        out[key] = (days, missing)
    return out


def progress(operation: Operation, today: date) -> Progress:
    """The operation's progress: households, proposals, outcomes, days since first contact."""
    where = (RehousingCase.operation_id == operation.id,)
    p = _progress_by(RehousingCase.operation_id, *where).get(operation.id, Progress())
    p.days, p.not_contacted = _waits(RehousingCase.operation_id, today, *where).get(
        operation.id, ([], 0))
    return p


def progress_by_building(operation: Operation, today: date) -> list[tuple[Building, Progress]]:
    """Each building of the operation with its own progress (zeros for an empty building)."""
    where = (RehousingCase.operation_id == operation.id,)
    counts = _progress_by(RehousingCase.building_id, *where)
    waits = _waits(RehousingCase.building_id, today, *where)
    out = []
    for b in operation.buildings:
        p = counts.get(b.id, Progress())
        p.days, p.not_contacted = waits.get(b.id, ([], 0))
        out.append((b, p))
    return out


def progress_by_operation(items: list[Operation]) -> dict[int, Progress]:
    """Counts (without waits) of several operations at once, for the list of operations."""
    if not items:
        return {}
    return _progress_by(RehousingCase.operation_id,
                        RehousingCase.operation_id.in_([o.id for o in items]))


# ---- for the coordinator dashboard ----------------------------------------------------------


def results(user, start: date, end: date, team_ids: set[int] | list[int] | None = None
            ) -> dict[str, int]:
    """Rehousing results over a period, for the coordinator dashboard.

    Counts the households whose outcome is dated from `start` to `end` (both included), in the
    operations of the teams where `user` holds a case role (coordinator or worker), narrowed to
    `team_ids` when given (ids the user does not hold are ignored). Returns a dict with one key
    per outcome code of `vocab.OUTCOMES` ("reloge", "parti_sans_solution", "autre"; French
    labels there), each present even at 0, plus "total". Counted by one grouped SQL query.
    """
    allowed = _team_ids(user, CASE_ROLES)
    if team_ids is not None:
        allowed &= set(team_ids)
    out = dict.fromkeys(vocab.OUTCOMES, 0)
    if allowed:
        rows = db.session.execute(
            select(RehousingCase.outcome, func.count(RehousingCase.id))
            .where(RehousingCase.team_id.in_(allowed), RehousingCase.outcome.is_not(None),
                   RehousingCase.outcome_on >= start, RehousingCase.outcome_on <= end)
            .group_by(RehousingCase.outcome))
        out.update({k: n for k, n in rows})
    out["total"] = sum(out[k] for k in vocab.OUTCOMES)
    return out

