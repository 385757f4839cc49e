"""Privacy of people received at a permanence: GDPR export and anonymisation of one drop-in
person, and their archiving then anonymisation when their last arrival is old enough.

A drop-in person is not a household: what the permanence keeps about them (arrivals, intakes
with their vulnerability criteria, orientations, aids, and the records merged into theirs) is
found by the same walk of the schema, from `dropin_person` (app/privacy/graph.py). Retention
follows the permanence team's programme (default 12 months active after the last arrival, then
24 months archived). One use case per function, explicit `actor`, `now` and `today`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import and_, delete, exists, func, null, or_, select, update

from app.audit.models import AuditEvent
from app.audit.services import label, record
from app.auth.models import Team
from app.extensions import db
from app.privacy import graph
from app.privacy.models import DropInArchive

ROOT = "dropin_person"

#: table -> what anonymisation does: "delete" the rows, or {column: new value}. Codes, dates and
#: counts stay (the permanence's figures: arrivals, coverage, orientations, aids); names,
#: languages and every free text go.
PLAN: dict[str, object] = {
    "dropin_person": {"alias": None, "first_name": None, "last_name": None, "languages": [],
                      "search_text": ""},
    "arrival": {},
    "intake": {"assessment": None, "information_note": None},
    "intake_criterion": {},
    "orientation": {"detail": None, "outcome_note": None},
    "aid": {"note": None},
}

#: Rows the export names without owning them: the session of each arrival (its day and
#: place), the partner of each orientation, the criteria of each intake.
REFERENCED = {"arrival": ("session_id", "dropin_session"),
              "orientation": ("partner_id", "partner"),
              "intake_criterion": ("criterion_id", "vulnerability_criterion")}


class DropInPrivacyError(ValueError):
    """A refused action; the message is French and meant for the person."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def state_of(person_id: int) -> DropInArchive | None:
    """The archive row of a drop-in person, if they were ever archived or anonymised."""
    return db.session.get(DropInArchive, person_id)


def is_archived(person_id: int) -> bool:
    """Archived and still holding personal data (an anonymised record holds none)."""
    state = state_of(person_id)
    return bool(state and state.archived_at and not state.anonymised_at)


def closed_to(user, person) -> bool:
    """Whether `person`'s record is archived and `user` may not read the team's archives."""
    from app.privacy.services import archive_reader_team_ids

    state = state_of(person.id)
    if state is None or state.archived_at is None:
        return False
    return person.team_id not in archive_reader_team_ids(user)


def not_archived():
    """A SQL condition on DropInPerson: not archived (nor anonymised)."""
    from app.permanences.models import DropInPerson

    return ~exists().where(DropInArchive.person_id == DropInPerson.id,
                           DropInArchive.archived_at.is_not(None))


def check_plan() -> list[str]:
    """Tables owning a drop-in person's data that the anonymisation plan does not cover."""
    return [t.name for t, _ in graph.owned_tables(ROOT) if t.name not in PLAN]


# ---- export ---------------------------------------------------------------------------------

def audit_condition(rows: dict[str, list[dict]]):
    """SQL condition on AuditEvent: rows about the person (or a record merged into theirs) or
    about one of their arrivals or orientations."""
    ids = graph.object_ids(rows)
    conds = [and_(AuditEvent.object_type == name, AuditEvent.object_id.in_(found))
             for name, found in ids.items() if found]
    return or_(*conds) if conds else AuditEvent.id.is_(None)


def export_data(actor, person, now: datetime, fmt: str = "json") -> dict:
    """Everything Terrain holds about one person received at a permanence; audited."""
    from app.privacy.services import _plain, _user_names

    rows = graph.collect(person.id, ROOT)
    for link, (column, target) in REFERENCED.items():
        ids = {r[column] for r in rows.get(link, []) if r.get(column)}
        if ids:
            table = db.metadata.tables[target]
            rows[target] = [dict(r._mapping) for r in db.session.execute(
                select(table).where(table.c.id.in_(ids)))]
    users = _user_names(rows)
    audit = [{"at": _plain(e.at), "actor": e.actor.display_name if e.actor else None,
              "action": e.action, "label": label(e.action),
              "object_type": e.object_type, "object_id": e.object_id,
              "team": e.team.name if e.team else None}
             for e in db.session.scalars(select(AuditEvent).where(audit_condition(rows))
                                         .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))]
    record("privacy.export", actor=actor, object_type=ROOT, object_id=person.id,
           team_id=person.team_id, detail={"format": fmt}, now=now)
    db.session.commit()
    return {
        "format": "terrain-export-1",
        "subject": ROOT,
        "exported_at": _plain(now),
        "exported_by": actor.display_name,
        "dropin_person_id": person.id,
        "tables": {name: [{k: _plain(v) for k, v in r.items()} for r in found]
                   for name, found in rows.items() if found},
        "withheld": {},
        "photos": [],
        "users": {str(k): v for k, v in users.items()},
        "audit": audit,
    }


# ---- anonymisation --------------------------------------------------------------------------

@dataclass
class Erasure:
    """What one anonymisation did."""

    person_id: int
    scrubbed: dict[str, int] = field(default_factory=dict)  #: table -> rows changed
    deleted: dict[str, int] = field(default_factory=dict)  #: table -> rows deleted
    audit_rows: int = 0


def _refusal(person, today: date) -> str | None:
    from app.permanences.models import Arrival, DropInSession

    if person.merged_into_id:
        return ("Cette fiche a été fusionnée dans une autre : anonymisez la fiche gardée, "
                "celle-ci suit.")
    coming = db.session.scalar(select(Arrival.id).join(DropInSession).where(
        Arrival.person_id == person.id, DropInSession.day >= today))
    if coming:
        return ("La personne est attendue ou reçue à une permanence d'aujourd'hui ou à venir : "
                "anonymisez après la séance.")
    return None


def anonymise(actor, person, reason: str, reason_text: str | None, now: datetime,
              today: date, confirmed: bool) -> Erasure:
    """Remove every personal datum of one drop-in person (and the records merged into theirs)
    in one transaction, audited. Kept: dates, codes and counts (the permanence's figures).
    `actor` None means the retention job."""
    from app.privacy.services import checked_reason, may_manage

    if actor is not None and not may_manage(actor, person):
        raise DropInPrivacyError("Seule la coordination de la permanence peut anonymiser "
                                 "cette fiche.")
    reason_text = checked_reason(reason, reason_text, confirmed, DropInPrivacyError)
    state = state_of(person.id)
    if state is not None and state.anonymised_at is not None:
        raise DropInPrivacyError("Cette fiche est déjà anonymisée.")
    problem = _refusal(person, today)
    if problem:
        raise DropInPrivacyError(problem)
    missing = check_plan()
    if missing:
        raise DropInPrivacyError("Anonymisation impossible : aucune règle pour "
                                 + ", ".join(missing) + ". Prévenez l'équipe technique.")
    rows = graph.collect(person.id, ROOT)
    result = Erasure(person.id)
    audit_cond = audit_condition(rows)
    tables = {t.name: t for t, _ in graph.owned_tables(ROOT)}
    for name in reversed(list(tables)):  # children first
        table, plan, found = tables[name], PLAN[name], rows.get(name, [])
        if not found or not plan:
            continue
        pk = list(table.primary_key.columns)
        if plan == "delete":
            db.session.execute(delete(table).where(pk[0].in_([r[pk[0].name] for r in found])))
            result.deleted[name] = len(found)
            continue
        for r in found:
            db.session.execute(update(table).where(and_(*[c == r[c.name] for c in pk]))
                               .values(**plan))
        result.scrubbed[name] = len(found)
    # Audit rows stay (who read or changed the record), stripped of the typed details.
    result.audit_rows = db.session.execute(
        update(AuditEvent).where(audit_cond).values(subject=None, ip=None, detail=null())
    ).rowcount or 0
    if state is None:
        state = DropInArchive(person_id=person.id, last_seen_on=last_seen_on(person.id))
        db.session.add(state)
    if state.archived_at is None:
        state.archived_at, state.archived_by_id = now, getattr(actor, "id", None)
    state.anonymised_at, state.anonymised_by_id = now, getattr(actor, "id", None)
    state.reason, state.reason_text = reason, reason_text
    state.summary = {"scrubbed": result.scrubbed, "deleted": result.deleted,
                     "audit_rows": result.audit_rows}
    record("privacy.anonymise", actor=actor, object_type=ROOT, object_id=person.id,
           team_id=person.team_id, detail={"reason": reason, **state.summary}, now=now)
    db.session.commit()
    db.session.expire_all()
    return result


# ---- archiving and retention ----------------------------------------------------------------

def last_seen_on(person_id: int) -> date | None:
    """The day of the person's last arrival at a permanence session."""
    from app.permanences.models import Arrival, DropInSession

    return db.session.scalar(select(func.max(DropInSession.day)).join(
        Arrival, Arrival.session_id == DropInSession.id).where(Arrival.person_id == person_id))


@dataclass(frozen=True)
class Due:
    """A drop-in person and what their retention asks for at `today`."""

    person_id: int
    last_seen_on: date
    archive_on: date
    anonymise_on: date
    action: str  #: "archive" or "anonymise"


def due(today: date) -> list[Due]:
    """People whose last arrival (or record, without one) is older than their permanence's
    active period (archive) or whole retention (anonymise). Merged records follow theirs."""
    from app.permanences.models import Arrival, DropInPerson, DropInSession
    from app.privacy.services import policy_for

    done = select(DropInArchive.person_id).where(DropInArchive.anonymised_at.is_not(None))
    archived = set(db.session.scalars(select(DropInArchive.person_id).where(
        DropInArchive.archived_at.is_not(None))))
    last = (select(Arrival.person_id, func.max(DropInSession.day).label("day"))
            .join(DropInSession, DropInSession.id == Arrival.session_id)
            .group_by(Arrival.person_id).subquery())
    found = db.session.execute(
        select(DropInPerson.id, DropInPerson.created_at, last.c.day, Team.programme)
        .join(Team, Team.id == DropInPerson.team_id)
        .outerjoin(last, last.c.person_id == DropInPerson.id)
        .where(DropInPerson.merged_into_id.is_(None), DropInPerson.id.not_in(done))
        .order_by(DropInPerson.id))
    policies: dict[str, tuple[int, int]] = {}
    out = []
    for person_id, created_at, day, programme in found:
        seen = day or created_at.date()
        active, archive = policies.setdefault(programme, policy_for(programme))
        archive_on = seen + relativedelta(months=active)
        anonymise_on = archive_on + relativedelta(months=archive)
        if today >= anonymise_on:
            out.append(Due(person_id, seen, archive_on, anonymise_on, "anonymise"))
        elif today >= archive_on and person_id not in archived:
            out.append(Due(person_id, seen, archive_on, anonymise_on, "archive"))
    return out


def archive(person, seen: date | None, now: datetime, actor=None) -> None:
    """Take a drop-in person out of the lists and pages (the caller commits)."""
    state = state_of(person.id)
    if state is None:
        state = DropInArchive(person_id=person.id)
        db.session.add(state)
    if state.archived_at is None:
        state.archived_at, state.archived_by_id = now, getattr(actor, "id", None)
        state.last_seen_on = seen
        record("privacy.archive", actor=actor, object_type=ROOT, object_id=person.id,
               team_id=person.team_id, now=now, detail={"last_seen_on": seen.isoformat()
                                                        if seen else None})


def apply(item: Due, now: datetime, today: date) -> None:
    """Archive or anonymise one due person (the retention job), committed."""
    from app.permanences.models import DropInPerson

    person = db.session.get(DropInPerson, item.person_id)
    if item.action == "archive":
        archive(person, item.last_seen_on, now)
        db.session.commit()
    else:
        anonymise(None, person, "fin_conservation",
                  f"Durée de conservation écoulée le {item.anonymise_on:%d/%m/%Y}.",
                  now, today, confirmed=True)


def comes_back(actor, person, now: datetime) -> str | None:
    """Someone shows an archived card at the desk: their record is active again (the retention
    starts over from this arrival), audited. An anonymised record is refused (French reason)."""
    state = state_of(person.id)
    if state is None or state.archived_at is None:
        return None
    if state.anonymised_at is not None:
        return ("Cette carte n'est plus valable (fiche anonymisée) : enregistrez la personne "
                "avec son alias, une nouvelle carte lui sera donnée.")
    db.session.delete(state)
    record("privacy.unarchive", actor=actor, object_type=ROOT, object_id=person.id,
           team_id=person.team_id, now=now, detail={"archived_at": state.archived_at.isoformat()})
    return None


def archives(user) -> list[tuple[object, DropInArchive]]:
    """Archived, not yet anonymised drop-in people of the teams whose archives I may read."""
    from app.permanences.models import DropInPerson
    from app.privacy.services import archive_reader_team_ids

    ids = archive_reader_team_ids(user)
    if not ids:
        return []
    return list(db.session.execute(
        select(DropInPerson, DropInArchive).join(
            DropInArchive, DropInArchive.person_id == DropInPerson.id)
        .where(DropInPerson.team_id.in_(ids), DropInArchive.archived_at.is_not(None),
               DropInArchive.anonymised_at.is_(None))
        .order_by(DropInArchive.archived_at.desc())))
