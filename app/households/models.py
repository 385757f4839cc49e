"""Case files: households, people, enrolments, personalised project, rights, social notes."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.households import vocab
from app.households.text import fold
from app.timeutil import utcnow


class Versioned:
    """Rows edited by several workers: an edit based on an older `version` is a conflict."""

    #: Incremented by every saved edit; forms carry the version they were opened on.
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))


class Household(Versioned, db.Model):
    """A ménage followed by the association; owned by one team, enrolled in programmes."""

    # A team's households by referent: a worker's own (Aujourd'hui) and the dashboard's
    # caseload are read from this index alone, without visiting the team's rows, which lie
    # among every other team's (migration 0017_page_indexes). It also serves team_id alone.
    __table_args__ = (Index("ix_household_team_referent", "team_id", "referent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))  #: owning team
    name: Mapped[str] = mapped_column(String(120))  #: "Famille Martin", or an alias
    referent_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"),
                                                    index=True)  #: referent worker
    address: Mapped[str | None] = mapped_column(String(200))  #: where visits happen
    postcode: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(30))
    composition: Mapped[str | None] = mapped_column(String(20))  #: key of vocab.COMPOSITIONS
    #: Monthly resources of the household, in euros, and where they come from.
    resources_amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    resources_detail: Mapped[str | None] = mapped_column(String(200))  #: "RSA, APL, AAH…"
    situation: Mapped[str | None] = mapped_column(Text)  #: social and housing situation
    prescriber: Mapped[str | None] = mapped_column(String(160))  #: partner who prescribed support
    siao_ref: Mapped[str | None] = mapped_column(String(40))  #: SIAO reference number
    search_text: Mapped[str] = mapped_column(String(600), default="")  #: folded names, for search
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))

    team = relationship("Team", lazy="joined")
    referent = relationship("User", lazy="joined", foreign_keys=[referent_id])
    people: Mapped[list[Person]] = relationship(
        back_populates="household", cascade="all, delete-orphan", order_by="Person.id")
    enrolments: Mapped[list[Enrolment]] = relationship(
        back_populates="household", cascade="all, delete-orphan",
        order_by="Enrolment.entry_date.desc()")

    def refresh_search_text(self) -> None:
        """Recompute the folded text that search matches against."""
        parts = [self.name] + [p.search_words for p in self.people]
        self.search_text = fold(" ".join(p for p in parts if p))[:600]

    @property
    def composition_label(self) -> str:
        """The composition in French."""
        return vocab.COMPOSITIONS.get(self.composition or "", "")


class Person(db.Model):
    """Someone in a household; an alias or a first name alone is enough."""

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"),
                                              index=True)
    first_name: Mapped[str | None] = mapped_column(String(80))
    last_name: Mapped[str | None] = mapped_column(String(80))
    alias: Mapped[str | None] = mapped_column(String(80))  #: what the person asked to be called
    birth_year: Mapped[int | None]  #: known or presumed year of birth
    birth_date: Mapped[date | None]  #: exact or presumed date of birth
    birth_presumed: Mapped[bool] = mapped_column(default=False)  #: the date/year is an estimate
    role: Mapped[str | None] = mapped_column(String(20))  #: key of vocab.PERSON_ROLES
    languages: Mapped[str | None] = mapped_column(String(200))  #: "arabe, français"
    interpreter_needed: Mapped[bool] = mapped_column(default=False)
    phone: Mapped[str | None] = mapped_column(String(30))

    household: Mapped[Household] = relationship(back_populates="people")

    @property
    def label(self) -> str:
        """How the person is shown: alias first when there is one."""
        full = " ".join(p for p in (self.first_name, self.last_name) if p)
        if self.alias and full:
            return f"{self.alias} ({full})"
        return self.alias or full or "Personne sans nom"

    @property
    def search_words(self) -> str:
        """The names search should find this person by."""
        return " ".join(p for p in (self.first_name, self.last_name, self.alias) if p)

    @property
    def role_label(self) -> str:
        """The person's place in the household, in French."""
        return vocab.PERSON_ROLES.get(self.role or "", "")

    def age(self, today: date) -> int | None:
        """Age in whole years at `today`, from the birth date or else the birth year."""
        if self.birth_date:
            b = self.birth_date
            return today.year - b.year - ((today.month, today.day) < (b.month, b.day))
        if self.birth_year:
            return today.year - self.birth_year
        return None


class Enrolment(Versioned, db.Model):
    """An accompagnement: the household followed in one programme by one team, for a period."""

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"),
                                              index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)  #: team running it
    programme: Mapped[str] = mapped_column(String(20))  #: the team's programme at entry
    entry_date: Mapped[date]
    exit_date: Mapped[date | None]
    exit_reason: Mapped[str | None] = mapped_column(String(200))
    exit_destination: Mapped[str | None] = mapped_column(String(30))  #: key of vocab.DESTINATIONS

    household: Mapped[Household] = relationship(back_populates="enrolments")
    team = relationship("Team", lazy="joined")

    def status(self, today: date) -> str:
        """'à venir', 'en cours' or 'terminé' at `today` (derived, never stored)."""
        if self.entry_date > today:
            return "à venir"
        if self.exit_date is not None and self.exit_date <= today:
            return "terminé"
        return "en cours"

    @property
    def destination_label(self) -> str:
        """The exit destination in French."""
        return vocab.DESTINATIONS.get(self.exit_destination or "", "")


class Barrier(Versioned, db.Model):
    """A frein: what stands in the way of the household's project."""

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"),
                                              index=True)
    category: Mapped[str] = mapped_column(String(20))  #: key of vocab.BARRIER_CATEGORIES
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="identifie")  #: vocab.BARRIER_STATUSES
    identified_on: Mapped[date]
    resolved_on: Mapped[date | None]

    household = relationship("Household")

    @property
    def category_label(self) -> str:
        """The category in French."""
        return vocab.BARRIER_CATEGORIES.get(self.category, self.category)

    @property
    def status_label(self) -> str:
        """The status in French."""
        return vocab.BARRIER_STATUSES.get(self.status, self.status)


class Goal(Versioned, db.Model):
    """An objective of the projet personnalisé, co-defined with the household."""

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"),
                                              index=True)
    barrier_id: Mapped[int | None] = mapped_column(ForeignKey("barrier.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="en_cours")  #: vocab.GOAL_STATUSES
    progress: Mapped[int] = mapped_column(default=0)  #: percent, 0 to 100
    set_on: Mapped[date]  #: the day it was agreed with the household
    target_on: Mapped[date | None]
    achieved_on: Mapped[date | None]

    household = relationship("Household")
    barrier = relationship("Barrier")
    steps: Mapped[list[GoalStep]] = relationship(
        back_populates="goal", cascade="all, delete-orphan",
        order_by="(GoalStep.on.desc(), GoalStep.id.desc())")

    @property
    def status_label(self) -> str:
        """The status in French."""
        return vocab.GOAL_STATUSES.get(self.status, self.status)


class GoalStep(db.Model):
    """A dated point of progress on a goal, with who noted it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"), index=True)
    on: Mapped[date] = mapped_column("step_on")  #: the day of the step ("on" is an SQL keyword)
    progress: Mapped[int]  #: percent after this step
    comment: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))

    goal: Mapped[Goal] = relationship(back_populates="steps")
    author = relationship("User", lazy="joined")


class Right(Versioned, db.Model):
    """An application for a right or benefit (APL, FSL, AME…) and where it stands."""

    __tablename__ = "right_application"  # "right" is an SQL keyword
    __table_args__ = (Index("ix_right_application_next_step_due", "next_step_due"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"),
                                              index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))  #: key of vocab.RIGHT_KINDS
    status: Mapped[str] = mapped_column(String(20), default="a_faire")  #: vocab.RIGHT_STATUSES
    filed_on: Mapped[date | None]  #: the day the application was lodged
    decided_on: Mapped[date | None]  #: the day of the decision (granted or refused)
    expires_on: Mapped[date | None]  #: end of the right granted (AME, titre de séjour…)
    next_step: Mapped[str | None] = mapped_column(String(200))
    next_step_due: Mapped[date | None]
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    household = relationship("Household")
    person = relationship("Person")

    @property
    def kind_label(self) -> str:
        """The right's name in French."""
        return vocab.RIGHT_KINDS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        """The status in French."""
        return vocab.RIGHT_STATUSES.get(self.status, self.status)


class Note(Versioned, db.Model):
    """A social note or an evaluation report, with a confidentiality level."""

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"),
                                              index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"),
                                                  index=True)
    kind: Mapped[str] = mapped_column(String(20), default="note")  #: key of vocab.NOTE_KINDS
    #: who may read it: key of vocab.CONFIDENTIALITY ("equipe", "referent", "sante")
    confidentiality: Mapped[str] = mapped_column(String(20), default="equipe")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    written_on: Mapped[date]  #: the day it is about
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    household = relationship("Household")
    author = relationship("User", lazy="joined", foreign_keys=[author_id])

    @property
    def kind_label(self) -> str:
        """The kind in French."""
        return vocab.NOTE_KINDS.get(self.kind, self.kind)

    @property
    def confidentiality_label(self) -> str:
        """Who may read it, in French."""
        return vocab.CONFIDENTIALITY.get(self.confidentiality, self.confidentiality)
