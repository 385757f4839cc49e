"""État des lieux use cases. Explicit actor and `now`; one transaction each.

A signed inventory never changes: correcting it starts a new version that points at it, and the
signed one keeps its content and the hash of what was signed.
"""
from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from app.audit.services import record
from app.extensions import db
from app.inventories import photos
from app.inventories.models import (CONDITIONS, METERS, PARTIES, Inventory, InventoryItem,
                                    InventoryPhoto, InventoryRoom, InventoryTemplate, KeySet,
                                    MeterReading, Signature)

BASE_ITEMS = ["Sol", "Murs", "Plafond", "Portes", "Fenêtres", "Électricité", "Chauffage"]
WET_ITEMS = ["Sol", "Murs", "Plafond", "Portes", "Plomberie", "Électricité", "Équipements"]
DEFAULT_KEYS = ["Porte d'entrée", "Boîte aux lettres"]


class InventoryError(ValueError):
    """A refused change; the message is French."""


class Conflict(InventoryError):
    """The inventory changed since the page was opened."""


def default_rooms(flat_kind: str) -> list[dict]:
    """The usual rooms of a flat of this kind (T3: entrée, séjour, cuisine, 2 chambres…)."""
    bedrooms = int(flat_kind[1:]) - 1 if flat_kind[:1] == "T" and flat_kind[1:].isdigit() else 0
    rooms = [{"name": "Entrée", "items": BASE_ITEMS[:5] + ["Électricité"]},
             {"name": "Séjour" if bedrooms else "Pièce principale", "items": BASE_ITEMS},
             {"name": "Cuisine", "items": WET_ITEMS + ["Fenêtres"]}]
    rooms += [{"name": f"Chambre {i}", "items": BASE_ITEMS} for i in range(1, bedrooms + 1)]
    rooms += [{"name": "Salle de bain", "items": WET_ITEMS},
              {"name": "WC", "items": ["Sol", "Murs", "Plafond", "Porte", "Plomberie"]}]
    return rooms


def template_rooms(team_id: int, flat_kind: str) -> list[dict]:
    """The team's template for this kind of flat, or the usual rooms."""
    row = db.session.scalar(select(InventoryTemplate).where(
        InventoryTemplate.team_id == team_id, InventoryTemplate.flat_kind == flat_kind))
    return row.rooms if row else default_rooms(flat_kind)


def parse_template(text: str) -> list[dict]:
    """'Cuisine : Sol, Murs, Évier' per line -> rooms with items (French message on error)."""
    rooms = []
    for number, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        name, sep, items = line.partition(":")
        names = [i.strip() for i in items.split(",") if i.strip()]
        if not sep or not name.strip() or not names:
            raise InventoryError(f"Ligne {number} : écrivez « Pièce : élément, élément ».")
        if len(name.strip()) > 80 or any(len(i) > 80 for i in names):
            raise InventoryError(f"Ligne {number} : 80 caractères au plus par nom.")
        rooms.append({"name": name.strip(), "items": names})
    if not rooms:
        raise InventoryError("Le modèle doit compter au moins une pièce.")
    return rooms


def template_text(rooms: list[dict]) -> str:
    """Rooms as the editable text."""
    return "\n".join(f"{r['name']} : {', '.join(r['items'])}" for r in rooms)


def save_template(actor, team_id: int, flat_kind: str, text: str, *, now: datetime) -> None:
    """Replace a team's template for a kind of flat."""
    rooms = parse_template(text)
    actor_id = actor.id
    row = db.session.scalar(select(InventoryTemplate).where(
        InventoryTemplate.team_id == team_id, InventoryTemplate.flat_kind == flat_kind))
    if row is None:
        row = InventoryTemplate(team_id=team_id, flat_kind=flat_kind, rooms=rooms)
        db.session.add(row)
    row.rooms, row.updated_at, row.updated_by_id = rooms, now, actor_id
    record("inventory.template", actor=actor, team_id=team_id, detail={"kind": flat_kind},
           now=now)
    db.session.commit()


def entry_of(contract_id: int | None) -> Inventory | None:
    """The signed entry inventory of an occupancy (latest version)."""
    if contract_id is None:
        return None
    return db.session.scalar(
        select(Inventory).where(Inventory.contract_id == contract_id, Inventory.kind == "entrant",
                                Inventory.signed_at.is_not(None))
        .order_by(Inventory.signed_at.desc()))


def start(actor, flat, kind: str, contract, done_on: date, *, now: datetime) -> Inventory:
    """Start an inventory: an entry from the template, an exit from the occupancy's entry."""
    if kind not in ("entrant", "sortant"):
        raise InventoryError("Choisissez entrée ou sortie.")
    if contract is not None and contract.flat_id != flat.id:
        raise InventoryError("Ce contrat ne concerne pas ce logement.")
    inventory = Inventory(team_id=flat.team_id, flat_id=flat.id, kind=kind, done_on=done_on,
                          contract_id=contract.id if contract else None,
                          household_id=contract.household_id if contract else None,
                          created_at=now, created_by_id=actor.id)
    entry = entry_of(contract.id) if (kind == "sortant" and contract) else None
    if kind == "sortant" and contract and entry is None:
        raise InventoryError("Aucun état des lieux d'entrée signé pour cette occupation : "
                             "la sortie ne pourra pas être comparée.")
    if entry is not None:
        inventory.entry_id = entry.id
        _copy_content(entry, inventory, keep_conditions=True)
    else:
        for position, room in enumerate(template_rooms(flat.team_id, flat.kind)):
            inventory.rooms.append(InventoryRoom(position=position, name=room["name"], items=[
                InventoryItem(position=i, name=name) for i, name in enumerate(room["items"])]))
        inventory.meters = [MeterReading(meter=m, number=getattr(flat, f"{_attr(m)}_meter", None))
                            for m in METERS]
        inventory.keys = [KeySet(kind=k, count=1) for k in DEFAULT_KEYS]
    db.session.add(inventory)
    db.session.flush()
    record("inventory.start", actor=actor, object_type="inventory", object_id=inventory.id,
           team_id=flat.team_id, detail={"kind": kind, "flat": flat.id}, now=now)
    db.session.commit()
    return inventory


def _attr(meter: str) -> str:
    return {"eau": "water", "electricite": "electricity", "gaz": "gas"}[meter]


def _copy_content(source: Inventory, target: Inventory, keep_conditions: bool) -> None:
    for room in source.rooms:
        target.rooms.append(InventoryRoom(position=room.position, name=room.name, items=[
            InventoryItem(position=i.position, name=i.name,
                          condition=i.condition if keep_conditions else None,
                          comment=i.comment if keep_conditions else None)
            for i in room.items]))
    target.meters = [MeterReading(meter=m.meter, number=m.number,
                                  reading=m.reading if keep_conditions else None)
                     for m in source.meters]
    target.keys = [KeySet(kind=k.kind, count=k.count) for k in source.keys]


@dataclass
class Payload:
    """What the inventory page sends: every field of the form, parsed."""

    items: dict[int, tuple[str | None, str | None]]  #: item id -> (condition, comment)
    new_items: list[tuple[int, str]]  #: (room id, name)
    new_rooms: list[str]
    meters: dict[str, tuple[str | None, str | None]]  #: meter -> (number, reading)
    keys: list[tuple[str, int]]
    people_present: str | None
    remarks: str | None


def parse_form(form) -> Payload:
    """Read the inventory form (a MultiDict) into a Payload; French message on bad input."""
    def text(name, limit):
        value = (form.get(name) or "").strip()
        if len(value) > limit:
            raise InventoryError(f"Texte trop long ({limit} caractères au plus).")
        return value or None

    items = {}
    for name in form:
        if name.startswith("cond-"):
            item_id = int(name[5:])
            condition = form.get(name) or None
            if condition and condition not in CONDITIONS:
                raise InventoryError("État inconnu.")
            items[item_id] = (condition, text(f"com-{item_id}", 500))
    new_items = []
    for name in form:
        if name.startswith("new-item-") and (form.get(name) or "").strip():
            new_items.append((int(name[9:]), text(name, 80)))
    new_rooms = [r for r in (text("new-room", 80),) if r]
    meters = {m: (text(f"meter-number-{m}", 40), text(f"meter-reading-{m}", 40)) for m in METERS
              if f"meter-number-{m}" in form or f"meter-reading-{m}" in form}
    keys = []
    for kind, count in zip(form.getlist("key-kind"), form.getlist("key-count"), strict=False):
        if not kind.strip():
            continue
        if not count.strip().isdigit() or not 0 <= int(count) <= 50:
            raise InventoryError(f"Nombre de clés invalide pour « {kind.strip()} » (0 à 50).")
        keys.append((kind.strip()[:80], int(count)))
    return Payload(items, new_items, new_rooms, meters, keys, text("people_present", 300),
                   text("remarks", 5000))


def save(actor, inventory: Inventory, payload: Payload, seen_version: int | None, *,
         now: datetime) -> Inventory:
    """Apply the page's content to a draft inventory."""
    if inventory.locked:
        raise InventoryError("Cet état des lieux est signé : il ne change plus. "
                             "Créez une nouvelle version pour le corriger.")
    if seen_version is not None and seen_version != inventory.version:
        raise Conflict("Cet état des lieux a été modifié ailleurs depuis l'ouverture de la page : "
                       "rechargez-la pour voir la version enregistrée (votre saisie reste "
                       "dans le brouillon).")
    by_id = {i.id: i for room in inventory.rooms for i in room.items}
    for item_id, (condition, comment) in payload.items.items():
        if item_id not in by_id:
            raise InventoryError("Un élément n'appartient pas à cet état des lieux.")
        by_id[item_id].condition, by_id[item_id].comment = condition, comment
    rooms = {r.id: r for r in inventory.rooms}
    for room_id, name in payload.new_items:
        if room_id not in rooms:
            raise InventoryError("Une pièce n'appartient pas à cet état des lieux.")
        rooms[room_id].items.append(InventoryItem(position=len(rooms[room_id].items), name=name))
    for name in payload.new_rooms:
        inventory.rooms.append(InventoryRoom(position=len(inventory.rooms), name=name, items=[
            InventoryItem(position=i, name=n) for i, n in enumerate(BASE_ITEMS)]))
    readings = {m.meter: m for m in inventory.meters}
    for meter, (number, reading) in payload.meters.items():
        row = readings.get(meter) or MeterReading(meter=meter)
        row.number, row.reading = number, reading
        if meter not in readings:
            inventory.meters.append(row)
    if payload.keys:
        inventory.keys = [KeySet(kind=k, count=c) for k, c in payload.keys]
    inventory.people_present, inventory.remarks = payload.people_present, payload.remarks
    inventory.version += 1
    record("inventory.save", actor=actor, object_type="inventory", object_id=inventory.id,
           team_id=inventory.team_id, now=now)
    db.session.commit()
    return inventory


def add_photo(actor, inventory: Inventory, client_id: str, data: bytes, *,
              item_id: int | None = None, meter: str | None = None,
              now: datetime) -> tuple[InventoryPhoto, bool]:
    """Attach a photo once: a replay of the same client_id answers the photo already stored."""
    try:
        client_id = str(uuid.UUID(client_id))
    except (ValueError, TypeError, AttributeError):
        raise InventoryError("Identifiant de photo invalide.") from None
    existing = db.session.scalar(select(InventoryPhoto).where(InventoryPhoto.client_id
                                                              == client_id))
    if existing is not None:
        if existing.inventory_id != inventory.id:
            raise InventoryError("Cette photo appartient à un autre état des lieux.")
        return existing, False
    if inventory.locked:
        raise InventoryError("Cet état des lieux est signé : ajoutez la photo à une nouvelle "
                             "version.")
    if item_id is not None and item_id not in {i.id for r in inventory.rooms for i in r.items}:
        raise InventoryError("Cet élément n'appartient pas à cet état des lieux.")
    if meter is not None and meter not in METERS:
        raise InventoryError("Compteur inconnu.")
    try:
        stored = photos.store(data)
    except photos.PhotoError as exc:
        raise InventoryError(str(exc)) from None
    photo = InventoryPhoto(inventory_id=inventory.id, item_id=item_id, meter=meter,
                           client_id=client_id, key=stored.key, sha256=stored.sha256,
                           width=stored.width, height=stored.height, size=stored.size,
                           taken_at=now, author_id=actor.id)
    db.session.add(photo)
    record("inventory.photo", actor=actor, object_type="inventory", object_id=inventory.id,
           team_id=inventory.team_id, detail={"photo": stored.key}, now=now)
    db.session.commit()
    return photo, True


def _png(data_url: str | None) -> bytes | None:
    if not data_url:
        return None
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise InventoryError("Signature illisible : recommencez le tracé.")
    raw = base64.b64decode(data_url[len(prefix):], validate=True)
    if not raw.startswith(b"\x89PNG") or len(raw) > 500_000:
        raise InventoryError("Signature illisible : recommencez le tracé.")
    return raw


def sign(actor, inventory: Inventory, parties: dict[str, dict], *, now: datetime) -> str:
    """Record both parties' signatures (or refusals with a reason), lock, and hash the content."""
    if inventory.locked:
        return inventory.signed_hash  # a replayed signature: already done
    missing = sum(1 for r in inventory.rooms for i in r.items if not i.condition)
    if missing:
        raise InventoryError(f"Indiquez l'état de chaque élément avant de signer "
                             f"({missing} restant{'s' if missing > 1 else ''}).")
    rows = []
    for party, label in PARTIES.items():
        given = parties.get(party) or {}
        name = (given.get("name") or "").strip()
        image = _png(given.get("image"))
        refused = (given.get("refused") or "").strip()
        if not name:
            raise InventoryError(f"{label} : indiquez le nom de la personne qui signe.")
        if not image and not refused:
            raise InventoryError(f"{label} : signez, ou indiquez pourquoi la personne refuse.")
        rows.append(Signature(party=party, signer_name=name[:120], image=None if refused else image,
                              refused_reason=refused[:300] or None, signed_at=now))
    inventory.signatures = rows
    inventory.signed_at = now
    inventory.signed_hash = content_hash(inventory)
    record("inventory.sign", actor=actor, object_type="inventory", object_id=inventory.id,
           team_id=inventory.team_id, detail={"hash": inventory.signed_hash}, now=now)
    db.session.commit()
    return inventory.signed_hash


def content_hash(inventory: Inventory) -> str:
    """sha256 of everything the signatures cover, photos included (by their own hash)."""
    content = {
        "kind": inventory.kind, "flat": inventory.flat_id, "household": inventory.household_id,
        "done_on": inventory.done_on.isoformat(), "people": inventory.people_present,
        "remarks": inventory.remarks,
        # Everything in a fixed order, so the hash does not depend on how rows were loaded.
        "rooms": [{"name": r.name, "items": [[i.name, i.condition, i.comment,
                                              sorted(p.sha256 for p in i.photos)]
                                             for i in sorted(r.items, key=lambda x: x.position)]}
                  for r in sorted(inventory.rooms, key=lambda x: x.position)],
        "meters": sorted([m.meter, m.number, m.reading] for m in inventory.meters),
        "keys": sorted([k.kind, k.count] for k in inventory.keys),
        "photos": sorted(p.sha256 for p in inventory.photos),
        "signatures": sorted([s.party, s.signer_name, s.refused_reason,
                              hashlib.sha256(s.image or b"").hexdigest()]
                             for s in inventory.signatures),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def new_version(actor, inventory: Inventory, *, now: datetime) -> Inventory:
    """Start a corrected version of a signed inventory; the signed one stays as it was."""
    if not inventory.locked:
        raise InventoryError("Cet état des lieux n'est pas encore signé : modifiez-le directement.")
    draft = Inventory(team_id=inventory.team_id, flat_id=inventory.flat_id,
                      contract_id=inventory.contract_id, household_id=inventory.household_id,
                      kind=inventory.kind, done_on=inventory.done_on,
                      people_present=inventory.people_present, remarks=inventory.remarks,
                      entry_id=inventory.entry_id, replaces_id=inventory.id, created_at=now,
                      created_by_id=actor.id)
    _copy_content(inventory, draft, keep_conditions=True)
    db.session.add(draft)
    db.session.flush()
    record("inventory.new_version", actor=actor, object_type="inventory", object_id=draft.id,
           team_id=inventory.team_id, detail={"replaces": inventory.id}, now=now)
    db.session.commit()
    return draft


@dataclass
class Worse:
    """An item whose condition got worse between entry and exit."""

    room: str
    item: str
    before: InventoryItem
    after: InventoryItem


def compare(exit_inventory: Inventory) -> list[Worse]:
    """Items of an exit inventory in a worse state than at entry (matched by room and name)."""
    entry = exit_inventory.entry
    if entry is None:
        return []
    before = {(r.name, i.name): i for r in entry.rooms for i in r.items}
    out = []
    for room in exit_inventory.rooms:
        for item in room.items:
            old = before.get((room.name, item.name))
            if old is None or not (old.condition and item.condition):
                continue
            if CONDITIONS[item.condition][1] > CONDITIONS[old.condition][1]:
                out.append(Worse(room.name, item.name, old, item))
    return out
