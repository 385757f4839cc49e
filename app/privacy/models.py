"""Privacy tables: retention rules per programme, archived/anonymised case files, who may
read the archives, and the reports of the retention job."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timeutil import utcnow


class RetentionPolicy(db.Model):
    """An admin's retention choice for one programme (no row: the CNIL-based default)."""

    __tablename__ = "retention_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme: Mapped[str] = mapped_column(String(20), unique=True)  #: a key of PROGRAMMES
    #: Months a closed file (every enrolment exited) stays in the normal lists.
    active_months: Mapped[int]
    #: Months it then stays archived (authorised readers only) before being anonymised.
    archive_months: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))


class HouseholdArchive(db.Model):
    """The privacy state of a case file: archived (out of the normal lists), then anonymised."""

    __tablename__ = "household_archive"

    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), primary_key=True)
    closed_on: Mapped[date | None]  #: the last exit day when it was archived
    archived_at: Mapped[datetime | None]  #: UTC
    archived_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))  #: None: the retention job
    anonymised_at: Mapped[datetime | None]  #: UTC; personal data removed for good
    anonymised_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))  #: None: the retention job
    reason: Mapped[str | None] = mapped_column(String(30))  #: key of vocab.ERASURE_REASONS
    reason_text: Mapped[str | None] = mapped_column(Text)  #: what the person doing it wrote
    #: What the anonymisation did: rows scrubbed and deleted per table, photo files removed.
    summary: Mapped[dict | None] = mapped_column(JSON)

    archived_by = relationship("User", foreign_keys=[archived_by_id])
    anonymised_by = relationship("User", foreign_keys=[anonymised_by_id])


class DropInArchive(db.Model):
    """The privacy state of someone received at a permanence: archived (out of the lists and
    pages), then anonymised. Records merged into theirs follow them."""

    __tablename__ = "dropin_archive"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("dropin_person.id", ondelete="CASCADE"), primary_key=True)
    last_seen_on: Mapped[date | None]  #: the day of the last arrival when it was archived
    archived_at: Mapped[datetime | None]  #: UTC
    archived_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))  #: None: the retention job
    anonymised_at: Mapped[datetime | None]  #: UTC; personal data removed for good
    anonymised_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))  #: None: the retention job
    reason: Mapped[str | None] = mapped_column(String(30))  #: key of vocab.ERASURE_REASONS
    reason_text: Mapped[str | None] = mapped_column(Text)  #: what the person doing it wrote
    #: What the anonymisation did: rows scrubbed and deleted per table.
    summary: Mapped[dict | None] = mapped_column(JSON)

    anonymised_by = relationship("User", foreign_keys=[anonymised_by_id])


class ArchiveAccess(db.Model):
    """An admin's permission for one person to read one team's archived case files."""

    __tablename__ = "archive_access"
    __table_args__ = (UniqueConstraint("user_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User", foreign_keys=[user_id], lazy="joined")
    team = relationship("Team", lazy="joined")


class RetentionRun(db.Model):
    """One pass of the retention job and what it did (or would do, for a dry run)."""

    __tablename__ = "retention_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    today: Mapped[date]  #: the day the rules were applied for
    dry_run: Mapped[bool] = mapped_column(default=False)
    archived: Mapped[int] = mapped_column(default=0)  #: case files archived
    anonymised: Mapped[int] = mapped_column(default=0)  #: case files anonymised
    dropin_archived: Mapped[int] = mapped_column(default=0)  #: drop-in people archived
    dropin_anonymised: Mapped[int] = mapped_column(default=0)  #: drop-in people anonymised
    #: Ids per action, e.g. {"archived": [3, 9], "anonymised": [1], "dropin_archived": [12]}.
    detail: Mapped[dict | None] = mapped_column(JSON)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))


from app.privacy import guard as _guard  # noqa: E402,F401  (audit triggers on create_all)
