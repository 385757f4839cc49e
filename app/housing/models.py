"""Flats. The foundation holds the core columns; the housing issue adds contracts and rent."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

FLAT_KINDS = ("studio", "T1", "T2", "T3", "T4", "T5")
FLAT_STATUSES = {"occupe": "Occupé", "vacant": "Vacant", "travaux": "Travaux", "rendu": "Rendu"}


class Flat(db.Model):
    """A flat the association rents and sub-lets, or a collective place."""

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)  #: managing team
    address: Mapped[str] = mapped_column(String(200))  #: street and number
    postcode: Mapped[str] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))  #: one of FLAT_KINDS
    surface_m2: Mapped[float | None]
    floor: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(10), default="vacant")  #: key of FLAT_STATUSES

    team = relationship("Team", lazy="joined")
