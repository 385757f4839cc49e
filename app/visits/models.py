"""Planned visits, their reports (exactly once, by client_id) and report conflicts."""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timeutil import utcnow

PLACES = {
    "domicile": "À domicile",
    "rue": "Dans la rue",
    "partenaire": "Chez un partenaire",
    "bureau": "Au bureau",
    "telephone": "Au téléphone",
}

STATUSES = {
    "prevue": "Prévue",
    "faite": "Faite",
    "absent": "Ménage absent",
    "annulee": "Annulée",
}

visit_worker = Table(
    "visit_worker", db.metadata,
    Column("visit_id", ForeignKey("visit.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
    # "My visits" (Aujourd'hui, reports to write) start from the worker: without it the
    # database walks every visit of the team (migration 0015_production).
    Index("ix_visit_worker_user_id", "user_id", "visit_id"),
)


class Visit(db.Model):
    """A visit or appointment planned with a household."""

    __table_args__ = (Index("ix_visit_team_day", "team_id", "day"),
                      # The alert rules: visits still planned by day (tomorrow, report
                      # missing) and each household's visits by day (not seen for N days).
                      Index("ix_visit_status_day", "status", "day"),
                      Index("ix_visit_household_day", "household_id", "day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"),
                                              index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))  #: team the visit is done for
    day: Mapped[date] = mapped_column(index=True)  #: Paris calendar day
    at: Mapped[time | None]  #: Paris wall-clock time, if fixed
    place: Mapped[str] = mapped_column(String(20))  #: key of PLACES
    place_detail: Mapped[str | None] = mapped_column(String(200))  #: address or partner
    purpose: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="prevue")  #: key of STATUSES
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The visit whose report asked for this one, if any.
    follows_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id", ondelete="SET NULL"))

    household = relationship("Household", lazy="joined")
    team = relationship("Team", lazy="joined")
    workers = relationship("User", secondary=visit_worker, lazy="selectin",
                           order_by="User.display_name")
    report: Mapped[VisitReport | None] = relationship(back_populates="visit", uselist=False,
                                                      cascade="all, delete-orphan")

    @property
    def place_label(self) -> str:
        """Where, in French."""
        return PLACES.get(self.place, self.place)

    @property
    def status_label(self) -> str:
        """The status in French."""
        return STATUSES.get(self.status, self.status)


class VisitReport(db.Model):
    """The compte rendu of a visit. One per visit; `client_id` makes a replay harmless."""

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), unique=True)
    #: UUID made by the browser when the form was opened; a replay carries the same one.
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    payload_hash: Mapped[str] = mapped_column(String(64))  #: sha256 of the normalised payload
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    seen: Mapped[list] = mapped_column(JSON, default=list)  #: ids of the people seen
    worked_on: Mapped[list] = mapped_column(JSON, default=list)  #: "goal:ID" / "barrier:ID"
    observations: Mapped[str | None] = mapped_column(Text)
    next_steps: Mapped[str | None] = mapped_column(Text)
    orientation: Mapped[str | None] = mapped_column(String(200))  #: partner the household is sent to
    duration_minutes: Mapped[int | None]
    follow_up_on: Mapped[date | None]  #: day of the follow-up visit asked for
    written_at: Mapped[datetime]  #: when the worker submitted it (device clock, UTC)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)  #: when the server got it
    version: Mapped[int] = mapped_column(default=1)

    visit: Mapped[Visit] = relationship(back_populates="report")
    author = relationship("User", lazy="joined")


class ReportConflict(db.Model):
    """A submitted report the server would not apply silently, kept for a person to resolve."""

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(36))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    #: "same_client_id" (a replay with another content) or "stale_version" (edited meanwhile)
    reason: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict] = mapped_column(JSON)  #: what the worker sent, kept whole
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(20))  #: "mine" or "theirs"

    visit = relationship("Visit", lazy="joined")
