"""The audit trail: who read or changed what, when, from which team."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timeutil import utcnow


class AuditEvent(db.Model):
    """One traced action. Rows are only ever added."""

    __table_args__ = (
        Index("ix_audit_event_object", "object_type", "object_id"),
        Index("ix_audit_event_actor_at", "actor_id", "at"),
        Index("ix_audit_event_action_subject_at", "action", "subject", "at"),
        #: Sign-in throttling per network address (app.auth.throttle).
        Index("ix_audit_event_action_ip_at", "action", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  #: UTC
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))  #: e.g. "auth.login", "household.read"
    object_type: Mapped[str | None] = mapped_column(String(40))  #: e.g. "household"
    object_id: Mapped[int | None]
    #: What the action was about when it is not a row: the e-mail typed at a failed sign-in.
    subject: Mapped[str | None] = mapped_column(String(254))
    ip: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[dict | None] = mapped_column(JSON)

    actor = relationship("User", lazy="joined")
    team = relationship("Team", lazy="joined")
