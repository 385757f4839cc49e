"""Tables of the team logbook (journal de bord / d'expérimentation) and of the flat checks."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.households.models import Versioned
from app.timeutil import utcnow

#: entry category code -> French label, in the order the form lists them.
CATEGORIES = {
    "vie_collective": "Vie collective",
    "incident": "Incident",
    "reunion": "Réunion des habitants",
    "partenaires": "Partenaires",
    "visite_logements": "Visite des logements",
    "sante": "Santé",
    "securite": "Sécurité",
    "autre": "Autre",
}

#: checklist point code -> French label (contrôle du savoir-habiter).
CHECK_POINTS = {
    "entretien": "Entretien et propreté",
    "aeration": "Aération et humidité",
    "equipements": "Équipements et détecteur de fumée",
    "consommations": "Consommations (eau, énergie)",
    "voisinage": "Voisinage",
    "securite": "Sécurité",
}
#: state of one checklist point -> French label
CHECK_STATES = {"ok": "OK", "a_revoir": "À revoir", "preoccupant": "Préoccupant"}
#: overall outcome of a check -> French label
CHECK_OUTCOMES = {
    "satisfaisant": "Satisfaisant",
    "a_suivre": "À suivre",
    "preoccupant": "Préoccupant",
}

#: Logbook titles by programme: the Village keeps a journal de bord, Logement d'abord a journal
#: d'expérimentation (the seed's words); other teams a journal de bord.
TITLES = {"lda": "Journal d'expérimentation"}


class LogEntry(Versioned, db.Model):
    """One dated entry of a team's logbook; `client_id` makes an offline replay harmless."""

    __tablename__ = "logbook_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)  #: whose logbook
    occurred_at: Mapped[datetime] = mapped_column(index=True)  #: when it happened (naive UTC)
    category: Mapped[str] = mapped_column(String(20))  #: key of CATEGORIES
    text: Mapped[str] = mapped_column(Text)  #: what happened, in the writer's words
    partners: Mapped[str | None] = mapped_column(String(300))  #: partners involved, free text
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    #: UUID made by the browser when the form was opened; a replay carries the same one.
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    payload_hash: Mapped[str] = mapped_column(String(64))  #: sha256 of the first content sent
    #: Folded text, partners and people's names (app.households.text.fold), for search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  #: when the server got it

    team = relationship("Team", lazy="joined")
    author = relationship("User", lazy="joined", foreign_keys=[author_id])
    people: Mapped[list[LogEntryPerson]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", lazy="selectin")
    photos: Mapped[list[LogEntryPhoto]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", lazy="selectin",
        order_by="LogEntryPhoto.id")

    @property
    def category_label(self) -> str:
        """The category in French."""
        return CATEGORIES.get(self.category, self.category)


#: how a resident with neither alias nor first name is shown (never by the surname)
NO_NAME = "Habitant·e sans alias"


def resident_name(person) -> str:
    """How the logbook names a resident: the alias, else the first name alone; never the surname.

    The logbook and its exports (the experimentation report) name residents the way they are
    called in the place, not by their civil identity (that stays in the case file).
    """
    return (person.alias or "").strip() or (person.first_name or "").strip() or NO_NAME


class LogEntryPerson(db.Model):
    """A resident named in an entry (a person of one of the team's households)."""

    __tablename__ = "logbook_entry_person"

    entry_id: Mapped[int] = mapped_column(ForeignKey("logbook_entry.id", ondelete="CASCADE"),
                                          primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"),
                                           primary_key=True, index=True)
    #: the person's household, copied for the household timeline
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"),
                                              index=True)

    entry: Mapped[LogEntry] = relationship(back_populates="people")
    person = relationship("Person", lazy="joined")

    @property
    def shown_name(self) -> str:
        """The resident's alias, else first name (app.logbook.models.resident_name)."""
        return resident_name(self.person)


class LogEntryPhoto(db.Model):
    """A photo of an entry, stored by the inventories' pipeline (random key, no metadata)."""

    __tablename__ = "logbook_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("logbook_entry.id", ondelete="CASCADE"),
                                          index=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)  #: file stem in PHOTO_FOLDER
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)  #: bytes of the stored JPEG
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    entry: Mapped[LogEntry] = relationship(back_populates="photos")


class LogEntryConflict(db.Model):
    """A replay of an entry's client_id with other content, kept whole for its author."""

    __tablename__ = "logbook_conflict"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("logbook_entry.id", ondelete="CASCADE"),
                                          index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    payload: Mapped[dict] = mapped_column(JSON)  #: the normalised content sent
    payload_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(20))  #: "mine" or "theirs"

    entry: Mapped[LogEntry] = relationship()


class FlatCheck(db.Model):
    """A contrôle du savoir-habiter: a short checklist of one flat's state on one day."""

    __tablename__ = "logbook_flat_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)  #: the flat's team
    flat_id: Mapped[int] = mapped_column(ForeignKey("flat.id", ondelete="CASCADE"), index=True)
    checked_on: Mapped[date] = mapped_column(index=True)  #: Paris calendar day of the check
    outcome: Mapped[str] = mapped_column(String(20))  #: key of CHECK_OUTCOMES
    summary: Mapped[str | None] = mapped_column(Text)  #: overall comment
    follow_up: Mapped[str | None] = mapped_column(String(300))  #: action decided
    follow_up_on: Mapped[date | None]  #: when the action is due
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    flat = relationship("Flat", lazy="joined")
    author = relationship("User", lazy="joined")
    items: Mapped[list[FlatCheckItem]] = relationship(
        back_populates="check", cascade="all, delete-orphan", lazy="selectin")

    @property
    def outcome_label(self) -> str:
        """The outcome in French."""
        return CHECK_OUTCOMES.get(self.outcome, self.outcome)

    def ordered_items(self) -> list[FlatCheckItem]:
        """The checklist in the order of CHECK_POINTS."""
        order = list(CHECK_POINTS)
        return sorted(self.items, key=lambda i: order.index(i.point) if i.point in order else 99)


class FlatCheckItem(db.Model):
    """One point of a flat check: its state and a comment."""

    __tablename__ = "logbook_check_item"
    __table_args__ = (UniqueConstraint("check_id", "point"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("logbook_flat_check.id",
                                                     ondelete="CASCADE"), index=True)
    point: Mapped[str] = mapped_column(String(20))  #: key of CHECK_POINTS
    state: Mapped[str] = mapped_column(String(20))  #: key of CHECK_STATES
    comment: Mapped[str | None] = mapped_column(String(300))

    check: Mapped[FlatCheck] = relationship(back_populates="items")

    @property
    def point_label(self) -> str:
        """The checklist point in French."""
        return CHECK_POINTS.get(self.point, self.point)

    @property
    def state_label(self) -> str:
        """The state in French."""
        return CHECK_STATES.get(self.state, self.state)


class LogbookSettings(db.Model):
    """A team's logbook settings: how often each flat should be checked."""

    __tablename__ = "logbook_settings"

    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"),
                                         primary_key=True)
    #: a flat not checked for more than this many days is flagged
    check_every_days: Mapped[int] = mapped_column(default=90)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
