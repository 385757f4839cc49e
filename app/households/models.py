"""Households and people. The foundation holds the core columns; the case-file issue adds the rest."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timeutil import utcnow


class Household(db.Model):
    """A ménage followed by one team; the unit a case file is about."""

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)  #: owning team
    name: Mapped[str] = mapped_column(String(120))  #: "Famille Martin", or an alias
    referent_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"),
                                                    index=True)  #: referent worker
    city: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Optimistic-locking counter: an edit based on an older version is a conflict.
    version: Mapped[int] = mapped_column(default=1)

    team = relationship("Team", lazy="joined")
    referent = relationship("User", lazy="joined")
    people: Mapped[list[Person]] = relationship(
        back_populates="household", cascade="all, delete-orphan", order_by="Person.id")


class Person(db.Model):
    """Someone in a household; an alias or a first name alone is enough."""

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"),
                                              index=True)
    first_name: Mapped[str | None] = mapped_column(String(80))
    last_name: Mapped[str | None] = mapped_column(String(80))
    alias: Mapped[str | None] = mapped_column(String(80))  #: what the person asked to be called
    birth_year: Mapped[int | None]

    household: Mapped[Household] = relationship(back_populates="people")

    @property
    def label(self) -> str:
        """How the person is shown: alias first when there is one."""
        full = " ".join(p for p in (self.first_name, self.last_name) if p)
        if self.alias and full:
            return f"{self.alias} ({full})"
        return self.alias or full or "Personne sans nom"
