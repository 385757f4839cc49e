"""Logbook use cases: write an entry exactly once (offline replays), edit it, record flat checks.

The offline contract is the visit reports' one: an entry carries the `client_id` made when its
form was opened. The same id with the same content is a replay and answers the entry already
saved; the same id with other content is kept whole as a LogEntryConflict for its author to
settle. Nothing is saved twice and nothing typed is dropped.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.audit.services import record
from app.auth.scoping import team_ids
from app.extensions import db
from app.households.text import fold
from app.inventories import photos as photo_store
from app.logbook import queries
from app.logbook.models import (CATEGORIES, CHECK_OUTCOMES, CHECK_POINTS, CHECK_STATES,
                                FlatCheck, FlatCheckItem, LogbookSettings, LogEntry,
                                LogEntryConflict, LogEntryPerson, LogEntryPhoto)
from app.logbook.rules import paris_to_utc, utc_to_paris_naive
from app.programmes import CASE_ROLES, LEAD_ROLES
from app.timeutil import today_paris

#: Photos one entry may carry.
MAX_PHOTOS = 6
#: An entry may be dated a little ahead of the server's clock (phones drift), not more.
CLOCK_SLACK = timedelta(minutes=10)
TEXT_MAX = 10_000


class LogbookError(ValueError):
    """A refused change; the message is French, `field` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class CheckErrors(LogbookError):
    """Several refusals at once (a checklist): `errors` lists (field, French message)."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__(errors[0][1], errors[0][0])
        self.errors = errors


class Conflict(Exception):
    """The entry changed since the form was opened; `entry` holds the saved version."""

    def __init__(self, entry: LogEntry):
        super().__init__("Cette entrée a été modifiée entre-temps.")
        self.entry = entry


@dataclass
class Submitted:
    """What happened to a submitted entry."""

    outcome: str  #: "created", "replay" or "conflict"
    entry: LogEntry
    conflict: LogEntryConflict | None = None


def normalise(values: dict, photo_hashes: list[str] | tuple = ()) -> dict:
    """An entry's content in a canonical form (for hashing and for a kept conflict).

    `occurred_at` is the Paris wall clock as typed, to the minute.
    """
    def clean(v):
        v = v.strip() if isinstance(v, str) else v
        return v or None

    when = values.get("occurred_at")
    if isinstance(when, datetime):
        when = when.replace(second=0, microsecond=0).isoformat(timespec="minutes")
    return {
        "occurred_at": clean(when),
        "category": clean(values.get("category")),
        "text": clean(values.get("text")),
        "partners": clean(values.get("partners")),
        "people": sorted({int(x) for x in values.get("people") or []}),
        "photos": sorted(photo_hashes),
    }


def payload_hash(content: dict) -> str:
    """sha256 of a normalised content."""
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _valid_client_id(client_id: str) -> str:
    try:
        return str(uuid.UUID(client_id))
    except (ValueError, TypeError, AttributeError):
        raise LogbookError("Identifiant de formulaire invalide : rouvrez le formulaire.") \
            from None


def _require_case_role(actor, team_id: int) -> None:
    if team_id not in team_ids(actor, CASE_ROLES):
        raise LogbookError("Vous ne faites pas partie de cette équipe.")


def _check_content(team_id: int, content: dict, photo_count: int, now: datetime,
                   already: list = ()) -> list:
    """Validate a content; returns the Person rows named (`already`: people an edited entry
    names, who may stay named after leaving the team's households)."""
    if content["category"] not in CATEGORIES:
        raise LogbookError("Choisissez une catégorie.", "category")
    if not content["occurred_at"]:
        raise LogbookError("Indiquez la date et l'heure.", "occurred_at")
    when = paris_to_utc(datetime.fromisoformat(content["occurred_at"]))
    if when > now + CLOCK_SLACK:
        raise LogbookError("La date ne peut pas être dans le futur.", "occurred_at")
    if not content["text"]:
        raise LogbookError("Écrivez ce qui s'est passé.", "text")
    if len(content["text"]) > TEXT_MAX:
        raise LogbookError(f"Le texte dépasse {TEXT_MAX} caractères.", "text")
    if content["partners"] and len(content["partners"]) > 300:
        raise LogbookError("300 caractères au plus.", "partners")
    allowed = {p.id: p for p in queries.residents(team_id, today_paris(now))}
    allowed.update({p.id: p for p in already})
    if not set(content["people"]) <= set(allowed):
        raise LogbookError("Une personne cochée n'est pas suivie par l'équipe.", "people")
    if photo_count > MAX_PHOTOS:
        raise LogbookError(f"{MAX_PHOTOS} photos au plus par entrée.", "photos")
    return [allowed[i] for i in content["people"]]


def _fill(entry: LogEntry, content: dict, people: list) -> None:
    entry.occurred_at = paris_to_utc(datetime.fromisoformat(content["occurred_at"]))
    entry.category = content["category"]
    entry.text = content["text"]
    entry.partners = content["partners"]
    keep = {p.person_id: p for p in entry.people}
    entry.people = [keep.get(p.id) or LogEntryPerson(person_id=p.id, household_id=p.household_id)
                    for p in people]
    names = " ".join(" ".join(filter(None, (p.search_words, p.household.name))) for p in people)
    entry.search_text = fold(" ".join(filter(None, (entry.text, entry.partners, names))))


def _store_photos(entry: LogEntry, uploads: list[bytes], now: datetime) -> None:
    for data in uploads:
        try:
            stored = photo_store.store(data)
        except photo_store.PhotoError as exc:
            raise LogbookError(str(exc), "photos") from None
        entry.photos.append(LogEntryPhoto(key=stored.key, sha256=stored.sha256,
                                          width=stored.width, height=stored.height,
                                          size=stored.size, created_at=now))


def create_entry(actor, team, client_id: str, values: dict, uploads: list[bytes] = (), *,
                 now: datetime) -> Submitted:
    """Write an entry exactly once (see the module docstring for replays)."""
    _require_case_role(actor, team.id)
    client_id = _valid_client_id(client_id)
    uploads = [u for u in uploads if u]
    content = normalise(values, [hashlib.sha256(u).hexdigest() for u in uploads])
    digest = payload_hash(content)
    same = db.session.scalar(select(LogEntry).where(LogEntry.client_id == client_id))
    if same is not None:
        if same.team_id == team.id and same.payload_hash == digest:
            return Submitted("replay", same)
        if same.team_id not in team_ids(actor, CASE_ROLES):
            raise LogbookError("Identifiant de formulaire invalide : rouvrez le formulaire.")
        return _conflict(actor, same, content, digest, now)
    people = _check_content(team.id, content, len(uploads), now)
    entry = LogEntry(team_id=team.id, client_id=client_id, payload_hash=digest,
                     author_id=actor.id, created_at=now, updated_at=now, updated_by_id=actor.id)
    _fill(entry, content, people)
    _store_photos(entry, uploads, now)
    db.session.add(entry)
    try:
        db.session.flush()
    except IntegrityError:
        # Two replays of one client_id raced and the other one won: answer as a replay would.
        db.session.rollback()
        return create_entry(actor, team, client_id, values, uploads, now=now)
    record("logbook.create", actor=actor, object_type="logbook_entry", object_id=entry.id,
           team_id=team.id, detail={"category": entry.category, "photos": len(uploads),
                                    "people": len(people)}, now=now)
    db.session.commit()
    return Submitted("created", entry)


def _conflict(actor, entry, content, digest, now) -> Submitted:
    kept = db.session.scalar(select(LogEntryConflict).where(
        LogEntryConflict.entry_id == entry.id, LogEntryConflict.payload_hash == digest))
    if kept is not None:  # the same conflicting content replayed: keep it once
        return Submitted("conflict", entry, kept)
    # Photos of a conflicting replay are not kept (the saved entry keeps its own).
    kept = LogEntryConflict(entry_id=entry.id, author_id=actor.id, payload=content,
                            payload_hash=digest, created_at=now)
    db.session.add(kept)
    db.session.flush()
    record("logbook.conflict", actor=actor, object_type="logbook_entry", object_id=entry.id,
           team_id=entry.team_id, detail={"conflict": kept.id}, now=now)
    db.session.commit()
    return Submitted("conflict", entry, kept)


def edit_values(entry: LogEntry) -> dict:
    """An entry's current content as form values (Paris wall clock)."""
    return {"occurred_at": utc_to_paris_naive(entry.occurred_at), "category": entry.category,
            "text": entry.text, "partners": entry.partners,
            "people": [p.person_id for p in entry.people]}


def edit_entry(actor, entry: LogEntry, values: dict, base_version: int | None,
               uploads: list[bytes] = (), remove_photos: list[int] = (), *,
               now: datetime) -> LogEntry:
    """Change an entry (its author only), based on the version the form was opened on."""
    if entry.author_id != actor.id:
        raise LogbookError("Seul·e l'auteur·rice de l'entrée peut la modifier.")
    _require_case_role(actor, entry.team_id)
    if base_version != entry.version:
        raise Conflict(entry)
    uploads = [u for u in uploads if u]
    remaining = [p for p in entry.photos if p.id not in set(remove_photos)]
    content = normalise(values)
    people = _check_content(entry.team_id, content, len(remaining) + len(uploads), now,
                            [p.person for p in entry.people])
    _fill(entry, content, people)
    removed = [p.key for p in entry.photos if p.id in set(remove_photos)]
    entry.photos = remaining
    _store_photos(entry, uploads, now)
    entry.version += 1
    entry.updated_at, entry.updated_by_id = now, actor.id
    record("logbook.update", actor=actor, object_type="logbook_entry", object_id=entry.id,
           team_id=entry.team_id, detail={"version": entry.version, "photos_added": len(uploads),
                                          "photos_removed": len(removed)}, now=now)
    db.session.commit()
    _delete_files(removed)
    return entry


def _delete_files(keys: list[str]) -> None:
    for key in keys:
        photo_store.delete(key)


def resolve_conflict(actor, conflict: LogEntryConflict, keep: str, *, now: datetime) -> None:
    """Settle a kept submission: apply it to the entry ("mine") or drop it ("theirs")."""
    entry = conflict.entry
    if entry.author_id != actor.id:
        raise LogbookError("Seul·e l'auteur·rice de l'entrée peut choisir la version à garder.")
    if conflict.resolved_at is not None:
        raise LogbookError("Ce conflit est déjà réglé.")
    if keep not in ("mine", "theirs"):
        raise LogbookError("Choisissez la version à garder.")
    if keep == "mine":
        people = _check_content(entry.team_id, conflict.payload, len(entry.photos), now,
                                [p.person for p in entry.people])
        _fill(entry, conflict.payload, people)
        entry.version += 1
        entry.updated_at, entry.updated_by_id = now, actor.id
    conflict.resolved_at, conflict.resolution = now, keep
    record("logbook.conflict_resolved", actor=actor, object_type="logbook_entry",
           object_id=entry.id, team_id=entry.team_id,
           detail={"conflict": conflict.id, "keep": keep}, now=now)
    db.session.commit()


def _checked_values(values: dict, today: date) -> tuple[dict, list[FlatCheckItem]]:
    """A check's fields and checklist from form values, or CheckErrors naming each field."""
    errors: list[tuple[str, str]] = []
    checked_on = values.get("checked_on")
    if checked_on is None:
        errors.append(("checked_on", "Indiquez la date du contrôle."))
    elif checked_on > today:
        errors.append(("checked_on", "Le contrôle ne peut pas être daté dans le futur."))
    items = []
    for point in CHECK_POINTS:
        state = values.get(f"{point}_state")
        comment = (values.get(f"{point}_comment") or "").strip() or None
        if state not in CHECK_STATES:
            errors.append((f"{point}_state", "Choisissez OK, à revoir ou préoccupant."))
        elif state != "ok" and not comment:
            errors.append((f"{point}_comment", "Dites en quelques mots ce qui est à revoir."))
        items.append(FlatCheckItem(point=point, state=state, comment=comment))
    outcome = values.get("outcome")
    follow_up = (values.get("follow_up") or "").strip() or None
    follow_up_on = values.get("follow_up_on")
    if outcome not in CHECK_OUTCOMES:
        errors.append(("outcome", "Choisissez le bilan du contrôle."))
    elif outcome != "satisfaisant" and not follow_up:
        errors.append(("follow_up", "Indiquez la suite à donner."))
    if follow_up_on is not None and checked_on is not None and follow_up_on < checked_on:
        errors.append(("follow_up_on", "La suite se date le jour du contrôle ou après."))
    if errors:
        raise CheckErrors(errors)
    fields = {"checked_on": checked_on, "outcome": outcome,
              "summary": (values.get("summary") or "").strip() or None,
              "follow_up": follow_up, "follow_up_on": follow_up_on}
    return fields, items


def record_check(actor, flat, values: dict, *, now: datetime, today: date) -> FlatCheck:
    """Record a contrôle du savoir-habiter of a flat: each point, an outcome, a follow-up."""
    _require_case_role(actor, flat.team_id)
    fields, items = _checked_values(values, today)
    check = FlatCheck(team_id=flat.team_id, flat_id=flat.id, author_id=actor.id,
                      created_at=now, items=items, **fields)
    db.session.add(check)
    db.session.flush()
    record("logbook.flat_check", actor=actor, object_type="flat", object_id=flat.id,
           team_id=flat.team_id, detail={"check": check.id, "outcome": check.outcome}, now=now)
    db.session.commit()
    return check


def may_edit_check(actor, check: FlatCheck) -> bool:
    """The check's author, or the team's coordination, may correct it."""
    return ((check.author_id == actor.id and check.team_id in team_ids(actor, CASE_ROLES))
            or check.team_id in team_ids(actor, LEAD_ROLES))


def check_values(check: FlatCheck) -> dict:
    """A check's current content as form values."""
    values = {"checked_on": check.checked_on, "outcome": check.outcome,
              "summary": check.summary, "follow_up": check.follow_up,
              "follow_up_on": check.follow_up_on}
    for item in check.items:
        values[f"{item.point}_state"] = item.state
        values[f"{item.point}_comment"] = item.comment
    return values


def update_check(actor, check: FlatCheck, values: dict, *, now: datetime,
                 today: date) -> FlatCheck:
    """Correct a check (same rules as when it was recorded); the audit row names what changed."""
    if not may_edit_check(actor, check):
        raise LogbookError("Seul·e l'auteur·rice du contrôle ou la coordination peut le corriger.")
    fields, items = _checked_values(values, today)
    before = check_values(check)
    for name, value in fields.items():
        setattr(check, name, value)
    by_point = {i.point: i for i in check.items}
    for item in items:
        row = by_point.get(item.point)
        if row is None:
            check.items.append(item)
        else:
            row.state, row.comment = item.state, item.comment
    changed = sorted(k for k, v in check_values(check).items() if before.get(k) != v)
    record("logbook.flat_check_edit", actor=actor, object_type="flat", object_id=check.flat_id,
           team_id=check.team_id, detail={"check": check.id, "changed": changed}, now=now)
    db.session.commit()
    return check


def set_check_every(actor, team, days: int | None, *, now: datetime) -> LogbookSettings:
    """A coordinator sets how many days may pass between two checks of a flat (7 to 730)."""
    if team.id not in team_ids(actor, LEAD_ROLES):
        raise LogbookError("Seule la coordination de l'équipe fixe ce délai.")
    if days is None or not 7 <= days <= 730:
        raise LogbookError("Entre 7 et 730 jours.", "days")
    row = db.session.get(LogbookSettings, team.id)
    if row is None:
        row = LogbookSettings(team_id=team.id)
        db.session.add(row)
    row.check_every_days, row.updated_by_id, row.updated_at = days, actor.id, now
    record("logbook.settings", actor=actor, object_type="team", object_id=team.id,
           team_id=team.id, detail={"check_every_days": days}, now=now)
    db.session.commit()
    return row
