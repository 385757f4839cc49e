"""Tables of the rehousing tool: operations, buildings, households to rehouse, proposals,
missions. Every row carries its operation's `team_id`, the unit of scoping."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.households.models import Versioned
from app.relogement import vocab
from app.timeutil import utcnow


class Operation(Versioned, db.Model):
    """An urban-renewal site whose households are to be rehoused; owned by one team."""

    __tablename__ = "relogement_operation"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)  #: owning team
    name: Mapped[str] = mapped_column(String(160))  #: "Îlot Sainte-Claire"
    town: Mapped[str] = mapped_column(String(120))  #: commune
    quartier: Mapped[str | None] = mapped_column(String(120))
    programme: Mapped[str] = mapped_column(String(20))  #: key of vocab.PROGRAMMES
    landlords: Mapped[str | None] = mapped_column(String(300))  #: bailleurs involved, free text
    started_on: Mapped[date]  #: start of the rehousing work
    target_on: Mapped[date | None]  #: every household rehoused by then
    status: Mapped[str] = mapped_column(String(20), default="en_cours")  #: vocab.OPERATION_STATUSES
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))

    team = relationship("Team", lazy="joined")
    buildings: Mapped[list[Building]] = relationship(
        back_populates="operation", cascade="all, delete-orphan", order_by="Building.address")

    @property
    def programme_label(self) -> str:
        """The programme in French."""
        return vocab.PROGRAMMES.get(self.programme, self.programme)

    @property
    def status_label(self) -> str:
        """The status in French."""
        return vocab.OPERATION_STATUSES.get(self.status, self.status)


class Building(Versioned, db.Model):
    """A building of the operation, acquired to be demolished or heavily rehabilitated."""

    __tablename__ = "relogement_building"

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("relogement_operation.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)  #: the operation's
    address: Mapped[str] = mapped_column(String(200))
    dwellings: Mapped[int]  #: number of dwellings in the building
    acquired_on: Mapped[date | None]  #: acquisition by the developer
    works: Mapped[str] = mapped_column(String(20))  #: key of vocab.WORKS
    works_on: Mapped[date | None]  #: planned start of demolition or rehabilitation

    operation: Mapped[Operation] = relationship(back_populates="buildings")

    @property
    def works_label(self) -> str:
        """Demolition or rehabilitation, in French."""
        return vocab.WORKS.get(self.works, self.works)


class RehousingCase(Versioned, db.Model):
    """One household of the operation to rehouse: situation, wishes, constraints, outcome.

    Composition and people live in the case file (Household); only what rehousing needs is here.
    """

    __tablename__ = "relogement_case"
    __table_args__ = (UniqueConstraint("operation_id", "household_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("relogement_operation.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)  #: the operation's
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"),
                                              index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("relogement_building.id"), index=True)
    staircase: Mapped[str | None] = mapped_column(String(20))  #: entrée / cage d'escalier
    flat_number: Mapped[str | None] = mapped_column(String(20))  #: n° ou étage du logement
    # Situation
    current_rent: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))  #: monthly, charges incl.
    tenure: Mapped[str | None] = mapped_column(String(20))  #: key of vocab.TENURES
    needs: Mapped[str | None] = mapped_column(Text)  #: specific needs (PMR, large family…)
    # Wishes
    wished_areas: Mapped[str | None] = mapped_column(String(300))  #: quartiers, communes
    typology: Mapped[str | None] = mapped_column(String(2))  #: T1..T6 wished
    max_rent: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))  #: highest rent affordable
    # Constraints
    mobility: Mapped[str | None] = mapped_column(String(300))
    school: Mapped[str | None] = mapped_column(String(300))
    health: Mapped[str | None] = mapped_column(String(300))
    animals: Mapped[str | None] = mapped_column(String(300))
    work: Mapped[str | None] = mapped_column(String(300))
    first_contact_on: Mapped[date | None]  #: first meeting about the rehousing
    # Move and outcome
    moved_on: Mapped[date | None]  #: move into the new home (after an accepted proposal)
    outcome: Mapped[str | None] = mapped_column(String(20))  #: key of vocab.OUTCOMES
    outcome_on: Mapped[date | None]
    new_address: Mapped[str | None] = mapped_column(String(200))  #: where the household went
    outcome_text: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))

    operation: Mapped[Operation] = relationship()
    building: Mapped[Building] = relationship(lazy="joined")
    household = relationship("Household", lazy="joined")
    proposals: Mapped[list[Proposal]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Proposal.rank")

    @property
    def outcome_label(self) -> str:
        """The outcome in French."""
        return vocab.OUTCOMES.get(self.outcome or "", "")

    @property
    def accepted(self) -> Proposal | None:
        """The accepted proposal, if any."""
        return next((p for p in self.proposals if p.answer == "acceptee"), None)

    @property
    def pending(self) -> Proposal | None:
        """The proposal waiting for an answer, if any."""
        return next((p for p in self.proposals if p.answer == "en_attente"), None)

    @property
    def status(self) -> str:
        """Where the household stands (the same rule as queries.case_status(), in Python)."""
        if self.outcome:
            return self.outcome
        answers = {p.answer for p in self.proposals}
        for code in ("acceptee", "en_attente"):
            if code in answers:
                return code
        return "refusees" if answers else "sans_proposition"

    @property
    def status_label(self) -> str:
        """Where the household stands, in French."""
        return vocab.CASE_STATUSES[self.status]

    @property
    def where(self) -> str:
        """'Bât. 3 rue X, esc. B, logt 12'."""
        parts = [self.building.address]
        if self.staircase:
            parts.append(f"esc. {self.staircase}")
        if self.flat_number:
            parts.append(f"logt {self.flat_number}")
        return ", ".join(parts)


class Proposal(Versioned, db.Model):
    """A rehousing proposal made to a household (1st, 2nd, 3rd…) and its answer."""

    __tablename__ = "relogement_proposal"
    __table_args__ = (UniqueConstraint("case_id", "rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("relogement_case.id", ondelete="CASCADE"),
                                         index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)  #: the operation's
    rank: Mapped[int]  #: 1 for the first proposal made to this household
    address: Mapped[str] = mapped_column(String(200))
    landlord: Mapped[str] = mapped_column(String(160))  #: bailleur
    typology: Mapped[str] = mapped_column(String(2))  #: T1..T6
    rent: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))  #: monthly, charges included
    proposed_on: Mapped[date]
    answer: Mapped[str] = mapped_column(String(20), default="en_attente")  #: vocab.ANSWERS
    answered_on: Mapped[date | None]
    refusal_reason: Mapped[str | None] = mapped_column(String(20))  #: vocab.REFUSAL_REASONS
    answer_text: Mapped[str | None] = mapped_column(String(500))  #: the household's words
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))

    case: Mapped[RehousingCase] = relationship(back_populates="proposals")

    @property
    def ordinal(self) -> str:
        """'1re', '2e'…"""
        return vocab.ordinal(self.rank)

    @property
    def answer_label(self) -> str:
        """The answer in French."""
        return vocab.ANSWERS.get(self.answer, self.answer)

    @property
    def reason_label(self) -> str:
        """The refusal reason in French."""
        return vocab.REFUSAL_REASONS.get(self.refusal_reason or "", "")


class Mission(Versioned, db.Model):
    """A mission ordered from an outside provider (prestataire), piloted by the chargé·e de
    mission; about the whole operation or one household."""

    __tablename__ = "relogement_mission"

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("relogement_operation.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)  #: the operation's
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("relogement_case.id", ondelete="CASCADE"), index=True)  #: one household
    provider: Mapped[str] = mapped_column(String(160))  #: the prestataire
    kind: Mapped[str] = mapped_column(String(30))  #: key of vocab.MISSION_KINDS
    subject: Mapped[str] = mapped_column(Text)  #: what is asked
    order_ref: Mapped[str | None] = mapped_column(String(60))  #: bon de commande
    started_on: Mapped[date]
    ends_on: Mapped[date | None]
    report_due_on: Mapped[date | None]
    report_received_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default="commandee")  #: MISSION_STATUSES
    pilot_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[RehousingCase | None] = relationship(lazy="joined")
    pilot = relationship("User", lazy="joined", foreign_keys=[pilot_id])

    @property
    def kind_label(self) -> str:
        """The kind of mission in French."""
        return vocab.MISSION_KINDS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        """The status in French."""
        return vocab.MISSION_STATUSES.get(self.status, self.status)

    def report_late(self, today: date) -> bool:
        """The report was due before today and has not come in (cancelled missions excluded)."""
        return (self.report_due_on is not None and self.report_received_on is None
                and self.status != "annulee" and self.report_due_on < today)
