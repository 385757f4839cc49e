"""Drop-in sessions (permanences) and what happens in them.

A team running the `permanence` programme has a recurring schedule (`SessionSchedule`) from
which dated sessions (`DropInSession`) are made, each with the roles it needs (`SessionNeed`).
Volunteers and staff sign up for shifts (`Shift`). On the morning each arrival is recorded
(`Arrival`) for a person known by an alias (`DropInPerson`); an interview gives an `Intake`,
`Orientation`s to partners (`Partner`) and `Aid`s. Dysfunctions are counted without identity.
Times of day are Paris wall-clock times; instants are naive UTC.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.permanences import vocab
from app.timeutil import PARIS, utcnow


def paris_to_utc(day: date, at: time) -> datetime:
    """A Paris wall-clock moment as a naive UTC datetime."""
    return datetime.combine(day, at, tzinfo=PARIS).astimezone(UTC).replace(tzinfo=None)


class PermanenceSettings(db.Model):
    """A permanence team's rules for shifts (one row per team, made on first change)."""

    __tablename__ = "permanence_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), unique=True)
    #: Volunteers may sign up for sessions up to this many weeks ahead.
    signup_weeks: Mapped[int] = mapped_column(default=6)
    #: A volunteer is a newcomer until they have done this many shifts (unless marked experienced).
    newcomer_shifts: Mapped[int] = mapped_column(default=3)
    #: Volunteers on shift may open the day's queue this many minutes before the start.
    opens_minutes_before: Mapped[int] = mapped_column(default=60)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))


class SessionSchedule(db.Model):
    """A recurring session: every given weekday, at given hours, in one place."""

    __tablename__ = "session_schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]  #: 0 = Monday … 6 = Sunday
    starts_at: Mapped[time]  #: Paris wall clock
    ends_at: Mapped[time]  #: Paris wall clock, same day
    place: Mapped[str] = mapped_column(String(200))  #: where the session is held
    valid_from: Mapped[date]  #: first day the schedule applies
    valid_until: Mapped[date | None]  #: last day, None while it runs
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    needs: Mapped[list[ScheduleNeed]] = relationship(
        back_populates="schedule", cascade="all, delete-orphan", order_by="ScheduleNeed.id")
    team = relationship("Team", lazy="joined")

    @property
    def weekday_label(self) -> str:
        """'lundi', 'mercredi'…"""
        return vocab.WEEKDAYS[self.weekday]

    def applies_on(self, day: date) -> bool:
        """Whether this schedule gives a session on `day`."""
        return (day.weekday() == self.weekday and day >= self.valid_from
                and (self.valid_until is None or day <= self.valid_until))


class ScheduleNeed(db.Model):
    """How many people of one role a scheduled session needs."""

    __tablename__ = "schedule_need"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("session_schedule.id",
                                                        ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))  #: key of vocab.SESSION_ROLES
    language: Mapped[str | None] = mapped_column(String(20))  #: for interpreters: vocab.LANGUAGES
    count: Mapped[int] = mapped_column(default=1)

    schedule: Mapped[SessionSchedule] = relationship(back_populates="needs")


class Closure(db.Model):
    """A period without sessions (summer closure, strike, move); sessions in it are cancelled."""

    __tablename__ = "permanence_closure"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    start_on: Mapped[date]
    end_on: Mapped[date]  #: inclusive
    reason: Mapped[str] = mapped_column(String(120))  #: e.g. "Fermeture estivale"
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DropInSession(db.Model):
    """One dated session (a morning of the permanence)."""

    __tablename__ = "dropin_session"
    __table_args__ = (UniqueConstraint("team_id", "day", "starts_at"),
                      Index("ix_dropin_session_day", "day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    #: The schedule it was made from; None for an exceptional session added by hand.
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("session_schedule.id",
                                                               ondelete="SET NULL"))
    day: Mapped[date]  #: Paris calendar day
    starts_at: Mapped[time]  #: Paris wall clock
    ends_at: Mapped[time]  #: Paris wall clock; a coordinator may push it back on the day
    place: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="ouverte")  #: vocab.SESSION_STATUSES
    cancel_reason: Mapped[str | None] = mapped_column(String(200))  #: "Jour férié : 1er mai"
    #: The closure that cancelled it (reopened if the closure is removed).
    closure_id: Mapped[int | None] = mapped_column(ForeignKey("permanence_closure.id",
                                                              ondelete="SET NULL"))
    #: Its needs were changed by hand: schedule edits no longer overwrite them.
    needs_customised: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    team = relationship("Team", lazy="joined")
    needs: Mapped[list[SessionNeed]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionNeed.id")
    shifts: Mapped[list[Shift]] = relationship(back_populates="session",
                                               cascade="all, delete-orphan",
                                               order_by="Shift.signed_up_at")

    @property
    def is_open(self) -> bool:
        """Not cancelled."""
        return self.status == "ouverte"

    @property
    def start_utc(self) -> datetime:
        """The start as a naive UTC instant."""
        return paris_to_utc(self.day, self.starts_at)

    @property
    def end_utc(self) -> datetime:
        """The end as a naive UTC instant (volunteers lose access to its people then)."""
        return paris_to_utc(self.day, self.ends_at)

    def volunteer_window(self, minutes_before: int) -> tuple[datetime, datetime]:
        """The UTC interval [opens, ends) in which volunteers on shift see its queue."""
        return self.start_utc - timedelta(minutes=minutes_before), self.end_utc

    @property
    def active_shifts(self) -> list[Shift]:
        """Shifts not cancelled."""
        return [s for s in self.shifts if s.cancelled_at is None]


class SessionNeed(db.Model):
    """How many people of one role this session needs."""

    __tablename__ = "session_need"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("dropin_session.id", ondelete="CASCADE"),
                                            index=True)
    role: Mapped[str] = mapped_column(String(20))  #: key of vocab.SESSION_ROLES
    language: Mapped[str | None] = mapped_column(String(20))  #: for interpreters
    count: Mapped[int] = mapped_column(default=1)

    session: Mapped[DropInSession] = relationship(back_populates="needs")

    @property
    def label(self) -> str:
        """'Interprète (arabe)', 'Accueil'."""
        return role_label(self.role, self.language)


def role_label(role: str, language: str | None = None) -> str:
    """A session role in French, with the language for interpreters."""
    text = vocab.SESSION_ROLES.get(role, role)
    return f"{text} ({vocab.language_label(language)})" if language else text


class VolunteerProfile(db.Model):
    """What a team member can do at the permanence, as the coordinator recorded it."""

    __tablename__ = "volunteer_profile"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         index=True)
    roles: Mapped[list] = mapped_column(JSON, default=list)  #: keys of vocab.SESSION_ROLES
    languages: Mapped[list] = mapped_column(JSON, default=list)  #: interpreting languages
    #: Experienced whatever the number of shifts done (e.g. came from another drop-in).
    experienced: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User", lazy="joined")


class Shift(db.Model):
    """A person signed up to work one session in one role."""

    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("dropin_session.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         index=True)
    role: Mapped[str] = mapped_column(String(20))  #: key of vocab.SESSION_ROLES
    language: Mapped[str | None] = mapped_column(String(20))  #: for interpreters
    signed_up_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Who signed them up when it was not themselves (a coordinator filling a gap).
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                               ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None]  #: the row is kept: late cancellations are a fact

    session: Mapped[DropInSession] = relationship(back_populates="shifts")
    user = relationship("User", lazy="joined", foreign_keys=[user_id])

    @property
    def label(self) -> str:
        """The role in French."""
        return role_label(self.role, self.language)


class ShiftCall(db.Model):
    """A coordinator's call to the volunteers who fit a missing role of a session."""

    __tablename__ = "shift_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("dropin_session.id", ondelete="CASCADE"),
                                            index=True)
    role: Mapped[str] = mapped_column(String(20))
    language: Mapped[str | None] = mapped_column(String(20))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                   ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Ids of the volunteers asked (available, fitting the role, not yet on that session).
    recipient_ids: Mapped[list] = mapped_column(JSON, default=list)

    session = relationship("DropInSession", lazy="joined")
    requested_by = relationship("User", lazy="joined")

    @property
    def label(self) -> str:
        """The role asked for, in French."""
        return role_label(self.role, self.language)


class DropInPerson(db.Model):
    """Someone received at the permanence: an alias or first name is enough.

    Merged into another record when two turn out to be the same person: the merged record
    stays as a pointer (`merged_into_id`) so nothing that named it is lost.
    """

    __tablename__ = "dropin_person"
    __table_args__ = (UniqueConstraint("team_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    #: Number written on the person's card, so the desk finds them again without a list.
    number: Mapped[int]
    alias: Mapped[str | None] = mapped_column(String(80))  #: what the person asked to be called
    first_name: Mapped[str | None] = mapped_column(String(80))
    last_name: Mapped[str | None] = mapped_column(String(80))
    birth_year: Mapped[int | None]  #: known or presumed
    languages: Mapped[list] = mapped_column(JSON, default=list)  #: keys of vocab.LANGUAGES
    search_text: Mapped[str] = mapped_column(String(300), default="")  #: folded names
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("dropin_person.id",
                                                                  ondelete="SET NULL"))
    merged_at: Mapped[datetime | None]
    merged_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                ondelete="SET NULL"))

    arrivals: Mapped[list[Arrival]] = relationship(back_populates="person",
                                                   order_by="Arrival.arrived_at")

    @property
    def label(self) -> str:
        """Alias first, then first name: what the desk calls the person."""
        full = " ".join(p for p in (self.first_name, self.last_name) if p)
        if self.alias and full:
            return f"{self.alias} ({full})"
        return self.alias or full or f"Personne n° {self.number}"

    @property
    def card(self) -> str:
        """The card number as shown: 'n° 0042' (a no-break space keeps it on one line)."""
        return f"n°\u00a0{self.number:04d}"

    def refresh_search_text(self) -> None:
        """Recompute the folded names search matches against."""
        from app.households.text import fold

        parts = (self.alias, self.first_name, self.last_name, f"{self.number:04d}")
        self.search_text = fold(" ".join(p for p in parts if p))[:300]


class Arrival(db.Model):
    """Someone who came to a session, in order of arrival, and where they are in the queue."""

    __table_args__ = (UniqueConstraint("session_id", "ticket"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("dropin_session.id", ondelete="CASCADE"),
                                            index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)  #: for scoping
    person_id: Mapped[int] = mapped_column(ForeignKey("dropin_person.id"), index=True)
    ticket: Mapped[int]  #: 1, 2, 3… in order of arrival within the session
    arrived_at: Mapped[datetime]  #: UTC
    language: Mapped[str | None] = mapped_column(String(20))  #: key of vocab.LANGUAGES
    interpreter_needed: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(String(20))  #: key of vocab.REASONS
    urgent: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(20), default="attente")  #: key of vocab.STATES
    state_at: Mapped[datetime]  #: UTC, when the state last changed
    interviewer_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                  ondelete="SET NULL"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                  ondelete="SET NULL"))

    session: Mapped[DropInSession] = relationship(lazy="joined")
    person: Mapped[DropInPerson] = relationship(back_populates="arrivals", lazy="joined")
    interviewer = relationship("User", lazy="joined", foreign_keys=[interviewer_id])
    intake: Mapped[Intake | None] = relationship(back_populates="arrival", uselist=False,
                                                 cascade="all, delete-orphan")
    orientations: Mapped[list[Orientation]] = relationship(
        back_populates="arrival", cascade="all, delete-orphan", order_by="Orientation.id")
    aids: Mapped[list[Aid]] = relationship(back_populates="arrival",
                                           cascade="all, delete-orphan", order_by="Aid.id")

    @property
    def state_label(self) -> str:
        """The queue state in French."""
        return vocab.STATES.get(self.state, self.state)

    @property
    def reason_label(self) -> str:
        """Why the person came, in French."""
        return vocab.REASONS.get(self.reason, self.reason)

    @property
    def language_label(self) -> str:
        """The language in French."""
        return vocab.language_label(self.language)

    def waiting_minutes(self, now: datetime) -> int:
        """Whole minutes since arrival."""
        return max(0, int((now - self.arrived_at).total_seconds() // 60))


intake_criterion = Table(
    "intake_criterion", db.metadata,
    Column("intake_id", ForeignKey("intake.id", ondelete="CASCADE"), primary_key=True),
    Column("criterion_id", ForeignKey("vulnerability_criterion.id", ondelete="CASCADE"),
           primary_key=True),
)


class VulnerabilityCriterion(db.Model):
    """One line of the checklist that decides who gets an individual interview."""

    __tablename__ = "vulnerability_criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))  #: e.g. "Femme enceinte"
    position: Mapped[int] = mapped_column(default=0)  #: order in the checklist
    active: Mapped[bool] = mapped_column(default=True)  #: retired ones stay on past intakes
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Intake(db.Model):
    """The interview of one arrival: assessment, information given (orientations and aids hang
    off the arrival)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    arrival_id: Mapped[int] = mapped_column(ForeignKey("arrival.id", ondelete="CASCADE"),
                                            unique=True)
    in_france_since: Mapped[date | None]  #: first of the month the person arrived in France
    health_coverage: Mapped[str | None] = mapped_column(String(20))  #: vocab.HEALTH_COVERAGE
    domiciliation: Mapped[str | None] = mapped_column(String(20))  #: vocab.DOMICILIATION
    asylum_stage: Mapped[str | None] = mapped_column(String(20))  #: vocab.ASYLUM_STAGES
    housing: Mapped[str | None] = mapped_column(String(20))  #: vocab.HOUSING
    assessment: Mapped[str | None] = mapped_column(Text)  #: social, administrative, legal notes
    information: Mapped[list] = mapped_column(JSON, default=list)  #: keys of vocab.INFORMATION
    information_note: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)  #: an edit based on an older one is refused

    arrival: Mapped[Arrival] = relationship(back_populates="intake")
    criteria: Mapped[list[VulnerabilityCriterion]] = relationship(
        secondary=intake_criterion, order_by="VulnerabilityCriterion.position")
    author = relationship("User", foreign_keys=[author_id])
    updated_by = relationship("User", foreign_keys=[updated_by_id])

    @property
    def meets_criteria(self) -> bool:
        """At least one vulnerability criterion: an individual interview is offered."""
        return bool(self.criteria)


class Partner(db.Model):
    """A structure the permanence orients people to, with what a volunteer needs to know."""

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(20))  #: key of vocab.PARTNER_KINDS
    address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    hours: Mapped[str | None] = mapped_column(Text)  #: opening hours, as they are written
    languages: Mapped[str | None] = mapped_column(String(200))  #: spoken or interpreting
    services: Mapped[str | None] = mapped_column(Text)  #: what they do
    how_to_refer: Mapped[str | None] = mapped_column(Text)  #: documents, appointment, contact
    active: Mapped[bool] = mapped_column(default=True)
    search_text: Mapped[str] = mapped_column(Text, default="")  #: folded, for search
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))

    @property
    def kind_label(self) -> str:
        """The kind in French."""
        return vocab.PARTNER_KINDS.get(self.kind, self.kind)

    def refresh_search_text(self) -> None:
        """Recompute the folded text search matches against."""
        from app.households.text import fold

        parts = (self.name, self.kind_label, self.address, self.languages, self.services,
                 self.hours)
        self.search_text = fold(" ".join(p for p in parts if p))


class Orientation(db.Model):
    """Someone sent to a partner structure, and what came of it when known."""

    id: Mapped[int] = mapped_column(primary_key=True)
    arrival_id: Mapped[int] = mapped_column(ForeignKey("arrival.id", ondelete="CASCADE"),
                                            index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))  #: key of vocab.PARTNER_KINDS
    detail: Mapped[str | None] = mapped_column(String(200))  #: why, appointment…
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(String(20), default="en_attente")  #: vocab.ORIENTATION_OUTCOMES
    outcome_on: Mapped[date | None]
    outcome_note: Mapped[str | None] = mapped_column(String(200))

    arrival: Mapped[Arrival] = relationship(back_populates="orientations")
    partner = relationship("Partner", lazy="joined")

    @property
    def kind_label(self) -> str:
        """The kind of structure in French."""
        return vocab.PARTNER_KINDS.get(self.kind, self.kind)

    @property
    def outcome_label(self) -> str:
        """The outcome in French."""
        return vocab.ORIENTATION_OUTCOMES.get(self.outcome, self.outcome)

    @property
    def target(self) -> str:
        """Where to: the partner's name, else the kind."""
        return self.partner.name if self.partner else self.kind_label


class AidCriterion(db.Model):
    """The rule in force for granting one kind of aid; replaced rather than edited."""

    __tablename__ = "aid_criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  #: key of vocab.AID_KINDS
    rule: Mapped[str] = mapped_column(Text)  #: who may receive it, when
    max_quantity: Mapped[int | None]  #: per arrival, None = no limit
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]  #: set when a new rule replaces it
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def kind_label(self) -> str:
        """The kind of aid in French."""
        return vocab.AID_KINDS.get(self.kind, self.kind)


class Aid(db.Model):
    """An aid granted to someone at a session, under the criterion then in force."""

    id: Mapped[int] = mapped_column(primary_key=True)
    arrival_id: Mapped[int] = mapped_column(ForeignKey("arrival.id", ondelete="CASCADE"),
                                            index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("aid_criterion.id"))
    kind: Mapped[str] = mapped_column(String(20))  #: key of vocab.AID_KINDS
    quantity: Mapped[int] = mapped_column(default=1)
    note: Mapped[str | None] = mapped_column(String(200))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    arrival: Mapped[Arrival] = relationship(back_populates="aids")
    criterion = relationship("AidCriterion", lazy="joined")
    decided_by = relationship("User", lazy="joined")

    @property
    def kind_label(self) -> str:
        """The kind of aid in French."""
        return vocab.AID_KINDS.get(self.kind, self.kind)


class Dysfunction(db.Model):
    """A dysfunction seen at a partner or an institution, for advocacy.

    Deliberately without identity: no link to a person, an arrival nor an author (the audit
    trail records who wrote it); the form asks for facts without names.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  #: key of vocab.DYSFUNCTION_KINDS
    observed_on: Mapped[date] = mapped_column(index=True)
    structure: Mapped[str | None] = mapped_column(String(160))  #: the institution concerned
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="SET NULL"))
    description: Mapped[str | None] = mapped_column(Text)  #: facts, never names
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    partner = relationship("Partner", lazy="joined")

    @property
    def kind_label(self) -> str:
        """The kind in French."""
        return vocab.DYSFUNCTION_KINDS.get(self.kind, self.kind)
