"""Reads of inventories, scoped by the team that manages the flat."""
from __future__ import annotations

from sqlalchemy import select

from app.auth.scoping import archive_closed, deny, get_scoped_or_404, team_ids
from app.extensions import db
from app.households.models import Household
from app.households.queries import not_archived
from app.housing.models import Contract, Flat
from app.inventories.models import Inventory, InventoryPhoto


def flat_or_404(flat_id: int, user) -> Flat:
    """A flat of one of my teams, else 404 + audit."""
    flat = db.session.get(Flat, flat_id)
    if flat is None or flat.team_id not in team_ids(user):
        deny(user, "flat", flat_id)
    return flat


def inventory_or_404(inventory_id: int, user) -> Inventory:
    """An inventory of one of my teams' flats (an archived file's: with the grant), else 404
    + audit."""
    return get_scoped_or_404(Inventory, inventory_id, user)


def photo_or_404(key: str, user) -> InventoryPhoto:
    """A photo of an inventory I may see, else 404 + audit."""
    photo = db.session.scalar(select(InventoryPhoto).where(InventoryPhoto.key == key))
    if photo is None or photo.inventory.team_id not in team_ids(user) or \
            archive_closed(user, photo.inventory, photo.inventory.team_id):
        deny(user, "inventory_photo", None)
    return photo


def of_flat(flat: Flat) -> list[Inventory]:
    """A flat's inventories, newest first."""
    return list(db.session.scalars(select(Inventory).where(Inventory.flat_id == flat.id)
                                   .order_by(Inventory.done_on.desc(), Inventory.id.desc())))


def of_household(household_id: int) -> list[Inventory]:
    """A household's inventories, newest first."""
    return list(db.session.scalars(select(Inventory).where(Inventory.household_id == household_id)
                                   .order_by(Inventory.done_on.desc(), Inventory.id.desc())))


def contracts_of(flat: Flat) -> list[Contract]:
    """A flat's occupancies, newest first (the household an inventory is done with); an
    archived file's are not offered."""
    return list(db.session.scalars(
        select(Contract).join(Household, Household.id == Contract.household_id)
        .where(Contract.flat_id == flat.id, not_archived())
        .order_by(Contract.start_on.desc())))


def open_inventory_ids(user, limit: int = 10) -> list[int]:
    """Ids of the unsigned inventories of my teams, newest first (kept on the phone for
    offline work: only their addresses are needed)."""
    ids = team_ids(user)
    if not ids:
        return []
    return list(db.session.scalars(select(Inventory.id).where(Inventory.team_id.in_(ids),
                                                              Inventory.signed_at.is_(None))
                                   .order_by(Inventory.done_on.desc()).limit(limit)))