"""Reads for the home page, always scoped by the person asking."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.auth.models import Invitation, Membership, User
from app.auth.scoping import scope, team_ids
from app.extensions import db
from app.households.models import Household
from app.programmes import LEAD_ROLES


def my_households(user, limit: int = 5) -> list[Household]:
    """Households this person is the referent of, within their teams."""
    stmt = scope(select(Household), Household.team_id, user).where(
        Household.referent_id == user.id).order_by(Household.name).limit(limit).options(
        selectinload(Household.people))
    return list(db.session.scalars(stmt))


def count_my_households(user) -> int:
    """How many households this person is the referent of."""
    # count(*), not count(id): PostgreSQL then answers from ix_household_team_referent alone.
    stmt = scope(select(func.count()).select_from(Household), Household.team_id, user).where(
        Household.referent_id == user.id)
    return db.session.scalar(stmt) or 0


def team_overview(user) -> list[dict]:
    """For each team this person coordinates: households, referents and their load."""
    ids = team_ids(user, LEAD_ROLES)
    if not ids:
        return []
    per_team = dict(db.session.execute(
        select(Household.team_id, func.count())
        .where(Household.team_id.in_(ids)).group_by(Household.team_id)).all())
    unassigned = dict(db.session.execute(
        select(Household.team_id, func.count())
        .where(Household.team_id.in_(ids), Household.referent_id.is_(None))
        .group_by(Household.team_id)).all())
    workers = db.session.execute(
        select(Membership.team_id, func.count(Membership.id))
        .join(User).where(Membership.team_id.in_(ids), Membership.role == "worker",
                          User.active.is_(True))
        .group_by(Membership.team_id)).all()
    workers = dict(workers)
    out = []
    for m in sorted(user.memberships, key=lambda m: m.team.name):
        if m.team_id in ids:
            out.append({"team": m.team, "households": per_team.get(m.team_id, 0),
                        "unassigned": unassigned.get(m.team_id, 0),
                        "workers": workers.get(m.team_id, 0)})
    return out


def coordinators_of(user) -> list[User]:
    """The active coordinators of this person's teams (whom a volunteer can turn to)."""
    ids = {m.team_id for m in user.memberships}
    if not ids:
        return []
    stmt = (select(User).join(Membership).where(Membership.team_id.in_(ids),
                                                Membership.role == "coordinator",
                                                User.active.is_(True))
            .distinct().order_by(User.display_name))
    return list(db.session.scalars(stmt))


def admin_counts(now) -> dict:
    """Active accounts and pending invitations, for an admin's home page."""
    return {
        "active_users": db.session.scalar(select(func.count(User.id)).where(User.active.is_(True))),
        "pending_invitations": db.session.scalar(
            select(func.count(Invitation.id)).where(Invitation.accepted_at.is_(None),
                                                    Invitation.revoked_at.is_(None),
                                                    Invitation.expires_at > now)),
    }
