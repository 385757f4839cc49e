"""Reads of visits, scoped through the household's visibility."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import contains_eager, lazyload

from app.auth.models import Membership, User
from app.auth.scoping import deny, team_ids
from app.extensions import db
from app.households.models import Household
from app.households.queries import visible
from app.programmes import CASE_ROLES
from app.visits.models import ReportConflict, Visit, visit_worker


def visit_or_404(visit_id: int, user) -> Visit:
    """A visit of a household this person may see, else 404 and an audit row."""
    visit = db.session.scalar(select(Visit).join(Household).where(Visit.id == visit_id,
                                                                  visible(user)))
    if visit is None:
        deny(user, "visit", visit_id)
    return visit


def _mine(user):
    """SQL: visits this person takes part in, for one of the teams they still work in.

    Workers are chosen among the visit's team, so the team condition only drops the visits
    of a team the person has left (the coordination hands them over). It also bounds the
    query by team (ix_visit_team_day): otherwise PostgreSQL reads every team's visits of
    the period and matches them to the worker's, a cost that grows with the whole database.
    """
    return and_(visit_worker.c.user_id == user.id,
                Visit.team_id.in_(team_ids(user, CASE_ROLES)), visible(user))


#: A list of visits shows each one's household name, not its workers, team or the household's
#: own relations: the household comes from the join the visibility check needs, the rest
#: loads only if something reads it.
_LISTED = (contains_eager(Visit.household).lazyload("*"), lazyload(Visit.team),
           lazyload(Visit.workers))


def my_visits(user, start: date, end: date) -> list[Visit]:
    """Visits between two days (inclusive) where this person is one of the workers."""
    return list(db.session.scalars(
        select(Visit).join(visit_worker).join(Household)
        .where(_mine(user), Visit.day >= start, Visit.day <= end)
        .order_by(Visit.day, Visit.at.is_(None), Visit.at, Visit.id).options(*_LISTED)))


def today_and_week(user, today: date) -> tuple[list[Visit], list[Visit]]:
    """My visits of today, then of the next six days."""
    visits = my_visits(user, today, today + timedelta(days=6))
    return [v for v in visits if v.day == today], [v for v in visits if v.day != today]


def waiting_reports(user, today: date) -> list[Visit]:
    """My past visits still planned: the report is missing."""
    return list(db.session.scalars(
        select(Visit).join(visit_worker).join(Household)
        .where(_mine(user), Visit.day < today, Visit.status == "prevue")
        .order_by(Visit.day.desc()).limit(20).options(*_LISTED)))


def household_visits(household: Household, limit: int | None = None,
                     workers: bool = True) -> list[Visit]:
    """A household's visits, newest first; the `limit` newest only when given; without
    their workers when the caller does not show them."""
    # The household is the one given (in the session already: no join), nor are the
    # visits' teams read by the callers.
    stmt = (select(Visit).where(Visit.household_id == household.id)
            .order_by(Visit.day.desc(), Visit.id.desc())
            .options(lazyload(Visit.household), lazyload(Visit.team)))
    if not workers:
        stmt = stmt.options(lazyload(Visit.workers))
    if limit is not None:
        stmt = stmt.limit(limit)  # a household followed for years has hundreds
    return list(db.session.scalars(stmt))


def open_conflicts(user) -> list[ReportConflict]:
    """Unresolved report conflicts on visits this person may see and took part in or wrote."""
    # Two steps: the few unresolved conflicts first, then the visibility check on those only.
    # In one query SQLite's planner starts from the team's households and walks every visit.
    ids = list(db.session.scalars(
        select(ReportConflict.id).where(
            ReportConflict.resolved_at.is_(None),
            or_(ReportConflict.author_id == user.id,
                ReportConflict.visit_id.in_(select(visit_worker.c.visit_id)
                                            .where(visit_worker.c.user_id == user.id))))))
    if not ids:
        return []
    return list(db.session.scalars(
        select(ReportConflict).join(Visit).join(Household)
        .where(ReportConflict.id.in_(ids), visible(user))
        .order_by(ReportConflict.created_at)))


def team_workers(team_id: int) -> list[User]:
    """Active case-role members of a team, who can go on a visit."""
    return list(db.session.scalars(
        select(User).join(Membership).where(Membership.team_id == team_id,
                                            Membership.role.in_(CASE_ROLES),
                                            User.active.is_(True))
        .order_by(User.display_name)))
