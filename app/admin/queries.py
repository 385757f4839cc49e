"""Reads for the administration pages (admins see every account of the association)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.audit.models import AuditEvent
from app.auth.models import Invitation, Site, Team, User
from app.extensions import db


def users(q: str = "") -> list[User]:
    """All accounts, active first, filtered by name or e-mail."""
    stmt = (select(User).options(selectinload(User.memberships))
            .order_by(User.active.desc(), User.display_name))
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where((User.email.like(like)) | (User.display_name.ilike(like)))
    return list(db.session.scalars(stmt))


def teams() -> list[Team]:
    """Every team, by site then name."""
    return list(db.session.scalars(
        select(Team).outerjoin(Site).order_by(Site.name, Team.name)))


def team_choices() -> list[tuple[int, str]]:
    """(id, label) pairs for a team select."""
    return [(t.id, f"{t.name} ({t.site.name})" if t.site else t.name) for t in teams()]


def invitations(now: datetime, limit: int = 50) -> list[Invitation]:
    """Recent invitations, newest first."""
    return list(db.session.scalars(
        select(Invitation).order_by(Invitation.created_at.desc()).limit(limit)))


def journal(page: int, per_page: int, action: str = "", actor_id: int | None = None,
            household_id: int | None = None, start=None, end=None
            ) -> tuple[list[AuditEvent], bool]:
    """One page of the audit journal, newest first, and whether another page follows.

    `household_id` keeps the rows about that case file and its rows (app/privacy); `start` and
    `end` are Paris days, both included.
    """
    from app.privacy.queries import JournalFilter, household_condition

    stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    stmt = JournalFilter(actor_id=actor_id, action=action, start=start, end=end).apply(stmt)
    if household_id:
        stmt = stmt.where(household_condition(household_id))
    rows = list(db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page
