"""Tables of ASLL measures (accompagnement social lié au logement) and their monthly fiches."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timeutil import utcnow

#: funder code -> French label (the FSL is run by one or the other)
FUNDERS = {"metropole": "Métropole (FSL)", "departement": "Département (FSL)"}
#: outcome code -> French label
OUTCOMES = {"terminee": "Mesure terminée", "renouvelee": "Mesure renouvelée"}


class Measure(db.Model):
    """One ASLL measure notified by the funder for a household and run by an ASLL team."""

    __tablename__ = "asll_measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)  #: ASLL team running it
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"),
                                              index=True)
    reference: Mapped[str] = mapped_column(String(60))  #: the funder's notification reference
    notified_on: Mapped[date]  #: date of the funder's notification: phase 1 starts that day
    funder: Mapped[str] = mapped_column(String(20))  #: key of FUNDERS
    prescriber: Mapped[str] = mapped_column(String(160))  #: who asked for it (CCAS, MDS…)
    objectives: Mapped[str] = mapped_column(Text)  #: objectives set by the prescriber
    received_on: Mapped[date | None]  #: the coordinator confirmed receipt that day
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"),
                                                  index=True)  #: worker it is assigned to
    #: contract signed: ends phase 1, starts phase 2 (a renewal carries it over to its first day)
    contract_signed_on: Mapped[date | None]
    ended_on: Mapped[date | None]
    outcome: Mapped[str | None] = mapped_column(String(20))  #: key of OUTCOMES
    end_reason: Mapped[str | None] = mapped_column(String(300))
    #: the measure this one renews: it continues phase 2 from its first day
    renewal_of_id: Mapped[int | None] = mapped_column(ForeignKey("asll_measure.id",
                                                                 ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))

    household = relationship("Household", lazy="joined")
    team = relationship("Team", lazy="joined")
    worker = relationship("User", lazy="joined", foreign_keys=[worker_id])
    renewal_of = relationship("Measure", remote_side=[id], foreign_keys=[renewal_of_id])

    @property
    def is_renewal(self) -> bool:
        """Whether it renews an earlier measure (no phase 1: the support goes on)."""
        return self.renewal_of_id is not None

    @property
    def funder_label(self) -> str:
        """French label of the funder."""
        return FUNDERS.get(self.funder, self.funder)

    @property
    def outcome_label(self) -> str:
        """French label of how it ended."""
        return OUTCOMES.get(self.outcome or "", "")


class LinkSheet(db.Model):
    """The month's fiche de lien of a measure: next steps and the worker's short text."""

    __tablename__ = "asll_link_sheet"
    __table_args__ = (UniqueConstraint("measure_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("asll_measure.id", ondelete="CASCADE"),
                                            index=True)
    month: Mapped[date]  #: first day of the month it covers
    summary: Mapped[str] = mapped_column(Text)  #: the worker's short text
    next_steps: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    measure = relationship("Measure")
    author = relationship("User", lazy="joined")


class FunderBatch(db.Model):
    """A month's batch of measures sent to one funder (for billing), and when it was sent."""

    __tablename__ = "asll_funder_batch"
    __table_args__ = (UniqueConstraint("team_id", "funder", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    funder: Mapped[str] = mapped_column(String(20))  #: key of FUNDERS
    month: Mapped[date]  #: first day of the month it covers
    sent_on: Mapped[date]  #: the day it was sent to the funder
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sent_by = relationship("User", lazy="joined")
