"""Reads for the alert centre, always scoped through app/auth/scoping."""
from __future__ import annotations

from datetime import date

from flask import url_for
from sqlalchemy import and_, case, exists, func, or_, select

from app.alerts.models import URGENCIES, Alert, AlertSetting, PushSubscription
from app.alerts.rules import RULES
from app.auth.models import Membership, Team, User
from app.auth.scoping import deny, team_ids
from app.extensions import db
from app.programmes import CASE_ROLES, LEAD_ROLES

ALL_ROLES = ("volunteer", *CASE_ROLES)
_RANK = case({k: v[0] for k, v in URGENCIES.items()}, value=Alert.urgency)


def _visible(user, today: date, show: str):
    if show == "snoozed":
        return and_(Alert.state == "open", Alert.snoozed_until > today)
    if show == "ack":
        return Alert.state == "ack"
    if show == "resolved":
        return Alert.state == "resolved"
    return and_(Alert.state == "open",
                or_(Alert.snoozed_until.is_(None), Alert.snoozed_until <= today))


#: Alerts shown on one page of the centre (a team's list runs to thousands at scale).
PAGE_SIZE = 50


def not_archived():
    """SQL: the alert is about no household, or one whose file is not archived (archived files
    are read in the archives by the people granted them, and their alerts are over)."""
    from app.privacy.models import HouseholdArchive

    return or_(Alert.household_id.is_(None),
               ~exists().where(HouseholdArchive.household_id == Alert.household_id,
                               HouseholdArchive.archived_at.is_not(None)))


def _mine(user, today: date, show: str):
    ids = team_ids(user, ALL_ROLES)
    if not ids:
        return None
    return select(Alert).where(Alert.user_id == user.id, Alert.team_id.in_(ids),
                               _visible(user, today, show), not_archived())


def _team(user, today: date, show: str, team_id: int | None, programme: str | None,
          worker_id: int | None, urgency: str | None = None):
    ids = team_ids(user, LEAD_ROLES)
    if team_id:
        ids &= {team_id}
    if not ids:
        return None
    stmt = select(Alert).where(Alert.team_id.in_(ids), _visible(user, today, show),
                               not_archived())
    if programme:
        stmt = stmt.join(Team, Team.id == Alert.team_id).where(Team.programme == programme)
    if worker_id:
        stmt = stmt.where(Alert.user_id == worker_id)
    if urgency:
        stmt = stmt.where(Alert.urgency == urgency)
    return stmt


def _page(stmt, limit: int, offset: int) -> tuple[list[Alert], int]:
    """One page of alerts, most urgent first then soonest, and how many there are in all."""
    if stmt is None:
        return [], 0
    total = db.session.scalar(select(func.count()).select_from(
        stmt.with_only_columns(Alert.id).subquery())) or 0
    rows = list(db.session.scalars(stmt.order_by(_RANK, Alert.due_on, Alert.id)
                                   .limit(limit).offset(offset)))
    return rows, total


def my_alerts(user, today: date, show: str = "open", limit: int = PAGE_SIZE,
              offset: int = 0) -> tuple[list[Alert], int]:
    """This person's alerts in their teams (one page), and how many there are."""
    return _page(_mine(user, today, show), limit, offset)


def team_alerts(user, today: date, show: str = "open", team_id: int | None = None,
                programme: str | None = None, worker_id: int | None = None,
                urgency: str | None = None, limit: int = PAGE_SIZE,
                offset: int = 0) -> tuple[list[Alert], int]:
    """The alerts of the teams this person coordinates, filterable by team, programme,
    worker and urgency (one page), and how many there are."""
    return _page(_team(user, today, show, team_id, programme, worker_id, urgency), limit,
                 offset)


def alert_or_404(user, alert_id: int) -> Alert:
    """An alert this person holds, or one of a team they coordinate; else 404 (audited)."""
    alert = db.session.get(Alert, alert_id)
    if alert is None or not (
            (alert.user_id == user.id and alert.team_id in team_ids(user, ALL_ROLES))
            or alert.team_id in team_ids(user, LEAD_ROLES)):
        deny(user, "alert", alert_id)
    return alert


def colleagues(team_id: int) -> list[tuple[int, str]]:
    """Active case workers and coordinators of a team, for "assign to"."""
    rows = db.session.execute(
        select(User.id, User.display_name).join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == team_id, Membership.role.in_(CASE_ROLES),
               User.active.is_(True)).order_by(User.display_name))
    return [(i, n) for i, n in rows]


def lead_teams(user) -> list[Team]:
    """Teams this person coordinates."""
    ids = team_ids(user, LEAD_ROLES)
    if not ids:
        return []
    return list(db.session.scalars(select(Team).where(Team.id.in_(ids)).order_by(Team.name)))


def workers_of(teams: list[Team]) -> list[tuple[int, str]]:
    """Case workers of these teams (for the filter)."""
    seen = {}
    for t in teams:
        for i, n in colleagues(t.id):
            seen[i] = n
    return sorted(seen.items(), key=lambda x: x[1])


def leads_of(team_id: int) -> dict[str, int]:
    """A team's lead time per rule (its own, else the default)."""
    own = dict(db.session.execute(select(AlertSetting.rule, AlertSetting.lead)
                                  .where(AlertSetting.team_id == team_id)).all())
    return {code: own.get(code, r.default_lead) for code, r in RULES.items()}


def devices(user) -> list[PushSubscription]:
    """This person's subscribed devices."""
    return list(db.session.scalars(select(PushSubscription)
                                   .where(PushSubscription.user_id == user.id)
                                   .order_by(PushSubscription.created_at)))


_LINKS = {"contract": ("housing.contract", "contract_id"),
          "visit": ("visits.show", "visit_id"),
          "household": ("households.show", "household_id"),
          "session": ("permanences.session", "session_id"),
          "measure": ("measures.show", "measure_id")}


def link(alert: Alert) -> str | None:
    """Where the alert's cause can be dealt with."""
    if alert.rule == "report_missing":
        return url_for("visits.report_form", visit_id=alert.object_id)
    endpoint = _LINKS.get(alert.object_type)
    if endpoint is None:
        return None
    return url_for(endpoint[0], **{endpoint[1]: alert.object_id})
