"""États des lieux (EDL): templates, inventories, rooms, items, photos, meters, keys, signatures."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timeutil import utcnow

KINDS = {"entrant": "Entrée", "sortant": "Sortie"}
#: condition code -> (French label, rank: the higher, the worse)
CONDITIONS = {"neuf": ("Neuf", 0), "bon": ("Bon état", 1), "usage": ("État d'usage", 2),
              "mauvais": ("Mauvais état", 3)}
METERS = {"eau": "Eau", "electricite": "Électricité", "gaz": "Gaz"}
PARTIES = {"occupant": "Occupant·e", "association": "Association"}


class InventoryTemplate(db.Model):
    """The rooms and items an inventory of a kind of flat starts from; coordinators edit it."""

    __table_args__ = (UniqueConstraint("team_id", "flat_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    flat_kind: Mapped[str] = mapped_column(String(20))  #: studio, T1…T5, collectif
    #: [{"name": "Cuisine", "items": ["Sol", "Murs", …]}, …]
    rooms: Mapped[list] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))


class Inventory(db.Model):
    """One état des lieux of a flat for a household: entry or exit. Locked once signed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    flat_id: Mapped[int] = mapped_column(ForeignKey("flat.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  #: key of KINDS
    done_on: Mapped[date]
    people_present: Mapped[str | None] = mapped_column(String(300))
    remarks: Mapped[str | None] = mapped_column(Text)
    #: For an exit: the entry inventory it is compared with.
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("inventory.id"))
    #: A later version of a signed inventory points at the one it replaces.
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("inventory.id"))
    version: Mapped[int] = mapped_column(default=1)  #: edit counter (offline conflicts)
    signed_at: Mapped[datetime | None]
    #: sha256 of the signed content (items, meters, keys, photo hashes, signatures)
    signed_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))

    flat = relationship("Flat", lazy="joined")
    household = relationship("Household", lazy="joined")
    contract = relationship("Contract")
    team = relationship("Team")
    entry = relationship("Inventory", remote_side=[id], foreign_keys=[entry_id])
    rooms: Mapped[list[InventoryRoom]] = relationship(
        back_populates="inventory", cascade="all, delete-orphan", order_by="InventoryRoom.position")
    photos: Mapped[list[InventoryPhoto]] = relationship(
        back_populates="inventory", cascade="all, delete-orphan", order_by="InventoryPhoto.id")
    meters: Mapped[list[MeterReading]] = relationship(
        back_populates="inventory", cascade="all, delete-orphan", order_by="MeterReading.meter")
    keys: Mapped[list[KeySet]] = relationship(
        back_populates="inventory", cascade="all, delete-orphan", order_by="KeySet.id")
    signatures: Mapped[list[Signature]] = relationship(
        back_populates="inventory", cascade="all, delete-orphan", order_by="Signature.party")

    @property
    def locked(self) -> bool:
        """Signed inventories never change; a correction makes a new version."""
        return self.signed_at is not None

    @property
    def kind_label(self) -> str:
        """Entrée or Sortie."""
        return KINDS.get(self.kind, self.kind)


class InventoryRoom(db.Model):
    """A room of an inventory."""

    id: Mapped[int] = mapped_column(primary_key=True)
    inventory_id: Mapped[int] = mapped_column(ForeignKey("inventory.id", ondelete="CASCADE"),
                                              index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(80))

    inventory: Mapped[Inventory] = relationship(back_populates="rooms")
    items: Mapped[list[InventoryItem]] = relationship(
        back_populates="room", cascade="all, delete-orphan", order_by="InventoryItem.position")


class InventoryItem(db.Model):
    """An element of a room: its condition, a comment, photos."""

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("inventory_room.id", ondelete="CASCADE"),
                                         index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(80))
    condition: Mapped[str | None] = mapped_column(String(10))  #: key of CONDITIONS
    comment: Mapped[str | None] = mapped_column(String(500))

    room: Mapped[InventoryRoom] = relationship(back_populates="items")
    photos: Mapped[list[InventoryPhoto]] = relationship(back_populates="item",
                                                        order_by="InventoryPhoto.id")

    @property
    def condition_label(self) -> str:
        """The condition in French."""
        return CONDITIONS[self.condition][0] if self.condition in CONDITIONS else "—"


class InventoryPhoto(db.Model):
    """A photo of an item or a meter. `client_id` makes an upload replay harmless."""

    id: Mapped[int] = mapped_column(primary_key=True)
    inventory_id: Mapped[int] = mapped_column(ForeignKey("inventory.id", ondelete="CASCADE"),
                                              index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("inventory_item.id",
                                                           ondelete="SET NULL"))
    meter: Mapped[str | None] = mapped_column(String(20))  #: key of METERS, for a meter photo
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)  #: file name in the photo folder
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))

    inventory: Mapped[Inventory] = relationship(back_populates="photos")
    item: Mapped[InventoryItem | None] = relationship(back_populates="photos")


class MeterReading(db.Model):
    """A meter's number and reading on the day."""

    __table_args__ = (UniqueConstraint("inventory_id", "meter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inventory_id: Mapped[int] = mapped_column(ForeignKey("inventory.id", ondelete="CASCADE"))
    meter: Mapped[str] = mapped_column(String(20))  #: key of METERS
    number: Mapped[str | None] = mapped_column(String(40))  #: PDL, PCE, water meter number
    reading: Mapped[str | None] = mapped_column(String(40))  #: index read (kept as typed)

    inventory: Mapped[Inventory] = relationship(back_populates="meters")

    @property
    def label(self) -> str:
        """Eau, Électricité or Gaz."""
        return METERS.get(self.meter, self.meter)


class KeySet(db.Model):
    """Keys handed over: what and how many."""

    id: Mapped[int] = mapped_column(primary_key=True)
    inventory_id: Mapped[int] = mapped_column(ForeignKey("inventory.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(80))  #: "Porte d'entrée", "Boîte aux lettres"…
    count: Mapped[int]

    inventory: Mapped[Inventory] = relationship(back_populates="keys")


class Signature(db.Model):
    """One party's signature drawn on the screen, or their refusal to sign and why."""

    __table_args__ = (UniqueConstraint("inventory_id", "party"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inventory_id: Mapped[int] = mapped_column(ForeignKey("inventory.id", ondelete="CASCADE"))
    party: Mapped[str] = mapped_column(String(20))  #: key of PARTIES
    signer_name: Mapped[str] = mapped_column(String(120))
    image: Mapped[bytes | None] = mapped_column(LargeBinary)  #: PNG drawn on the screen
    refused_reason: Mapped[str | None] = mapped_column(String(300))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)

    inventory: Mapped[Inventory] = relationship(back_populates="signatures")

    @property
    def party_label(self) -> str:
        """Occupant·e or Association."""
        return PARTIES.get(self.party, self.party)
