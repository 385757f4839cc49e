"""Privacy writes: GDPR export and anonymisation, archiving, retention, archive permissions,
revoking a signed-in device. One use case per function, explicit `actor` and `now`."""
from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sqlalchemy import and_, delete, null, or_, select, update

from app.audit.models import AuditEvent
from app.audit.services import label, record
from app.auth.models import LoginSession, Membership, User
from app.auth.scoping import team_ids
from app.extensions import db
from app.households.models import Enrolment, Household
from app.households.queries import note_condition
from app.households.models import Note
from app.privacy import graph, vocab
from app.privacy.models import ArchiveAccess, HouseholdArchive, RetentionPolicy, RetentionRun
from app.programmes import CASE_ROLES, LEAD_ROLES, PROGRAMMES

log = logging.getLogger("terrain.privacy")


class PrivacyError(ValueError):
    """A refused privacy action; the message is French and meant for the person."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def checked_reason(reason: str, reason_text: str | None, confirmed: bool,
                   error: type[ValueError] = PrivacyError) -> str | None:
    """An erasure's free-text reason, once the confirmation and the reason are checked
    (`error` is raised with the field at fault otherwise)."""
    if not confirmed:
        raise error("Cochez la case pour confirmer.", "confirm")
    if reason not in vocab.ERASURE_REASONS:
        raise error("Choisissez un motif.", "reason")
    reason_text = (reason_text or "").strip() or None
    if reason == "autre" and not reason_text:
        raise error("Précisez le motif.", "reason_text")
    return reason_text


# ---- who may do what ------------------------------------------------------------------------

def may_manage(user, household) -> bool:
    """Export or anonymise a household (or a drop-in person: anything with a `team_id`):
    coordinators of the owning team, admins holding a case role there."""
    if household.team_id in team_ids(user, LEAD_ROLES):
        return True
    return bool(getattr(user, "is_admin", False)
                and household.team_id in team_ids(user, CASE_ROLES))


def archive_reader_team_ids(user) -> set[int]:
    """Teams whose archived files this person may read: a grant and a case role there."""
    case = team_ids(user, CASE_ROLES)
    if not case:
        return set()
    granted = set(db.session.scalars(
        select(ArchiveAccess.team_id).where(ArchiveAccess.user_id == user.id)))
    return case & granted


def state_of(household_id: int) -> HouseholdArchive | None:
    """The archive row of a household, if it was ever archived or anonymised."""
    return db.session.get(HouseholdArchive, household_id)


# ---- export ---------------------------------------------------------------------------------

def _plain(value):
    """A JSON-friendly copy of a column value."""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode("ascii")}
    return value


def export_data(actor, household: Household, now: datetime, fmt: str = "json") -> dict:
    """Everything Terrain holds about one household, readable by `actor`; audited.

    Notes follow the exporter's reading rights (coordinators read every level); any note left
    out is counted under `withheld`. The audit rows about the file say who read or changed it.
    """
    rows = graph.collect(household.id)
    for link, (column, target) in REFERENCED.items():
        ids = {r[column] for r in rows.get(link, [])}
        if ids and target in db.metadata.tables:
            table = db.metadata.tables[target]
            rows[target] = [dict(r._mapping) for r in db.session.execute(
                select(table).where(table.c.id.in_(ids)))]
    readable = set(db.session.scalars(
        select(Note.id).where(Note.household_id == household.id,
                              note_condition(actor, household))))
    all_notes = rows.get("note", [])
    rows["note"] = [n for n in all_notes if n["id"] in readable]
    withheld = {"note": len(all_notes) - len(rows["note"])} if len(all_notes) > len(rows["note"]) \
        else {}
    users = _user_names(rows)
    photos = [{"key": p["key"], "sha256": p["sha256"], "size": p["size"],
               "inventory_id": p["inventory_id"], "taken_at": _plain(p["taken_at"])}
              for p in rows.get("inventory_photo", [])]
    audit = [{"at": _plain(e.at), "actor": e.actor.display_name if e.actor else None,
              "action": e.action, "label": label(e.action),
              "object_type": e.object_type, "object_id": e.object_id,
              "team": e.team.name if e.team else None}
             for e in audit_rows(household, rows)]
    record("privacy.export", actor=actor, object_type="household", object_id=household.id,
           team_id=household.team_id, detail={"format": fmt}, now=now)
    db.session.commit()
    return {
        "format": "terrain-export-1",
        "exported_at": _plain(now),
        "exported_by": actor.display_name,
        "household_id": household.id,
        "tables": {name: [{k: _plain(v) for k, v in r.items()} for r in found]
                   for name, found in rows.items() if found},
        "withheld": withheld,
        "photos": photos,
        "users": {str(k): v for k, v in users.items()},
        "audit": audit,
    }


def _user_names(rows: dict[str, list[dict]]) -> dict[int, str]:
    """Names of the staff referred to by the rows (authors, referents…)."""
    ids = set()
    for table in db.metadata.sorted_tables:
        if table.name not in rows:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "app_user":
                ids |= {r[fk.parent.name] for r in rows[table.name] if r.get(fk.parent.name)}
    if not ids:
        return {}
    return {uid: name for uid, name in db.session.execute(
        select(User.id, User.display_name).where(User.id.in_(ids)))}


def audit_condition(household: Household, rows: dict[str, list[dict]]):
    """SQL condition on AuditEvent: rows about the household or one of its collected rows."""
    ids = graph.object_ids(rows)
    conds = [and_(AuditEvent.object_type == "household", AuditEvent.object_id == household.id)]
    for name, found in ids.items():
        if name != "household" and found:
            conds.append(and_(AuditEvent.object_type == name, AuditEvent.object_id.in_(found)))
    return or_(*conds)


def audit_rows(household: Household, rows: dict[str, list[dict]] | None = None,
               limit: int | None = None) -> list[AuditEvent]:
    """Audit rows about the household or one of its rows, newest first."""
    rows = rows if rows is not None else graph.collect(household.id)
    stmt = (select(AuditEvent).where(audit_condition(household, rows))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


# ---- anonymisation --------------------------------------------------------------------------

DASH = "—"


def _household_name(row: dict) -> str:
    return f"Ménage anonymisé n° {row['id']}"


#: table -> what anonymisation does: "delete" the rows, or {column: new value (or a function
#: of the row)}. Numbers, dates and codes stay (statistics, accounting, funders' figures);
#: names, contact details, free text, photos and signatures go.
PLAN: dict[str, object] = {
    "household": {"name": _household_name, "address": None, "postcode": None, "city": None,
                  "phone": None, "resources_amount": None, "resources_detail": None,
                  "situation": None, "prescriber": None, "siao_ref": None, "search_text": ""},
    "person": {"first_name": None, "last_name": None, "alias": None, "birth_date": None,
               "languages": None, "phone": None},
    "enrolment": {"exit_reason": None},
    "barrier": {"description": DASH},
    "goal": {"title": DASH, "description": None},
    "goal_step": {"comment": None},
    "right_application": {"next_step": None, "comment": None},
    "note": "delete",
    "visit": {"place_detail": None, "purpose": DASH},
    "visit_worker": {},
    "visit_report": {"observations": None, "next_steps": None, "orientation": None,
                     "seen": [], "worked_on": []},
    "report_conflict": "delete",
    "alert": "delete",
    "notification": "delete",
    "asll_measure": {"objectives": DASH, "end_reason": None},
    "asll_link_sheet": {"summary": DASH, "next_steps": None},
    "contract": {"exit_note": None},
    "renewal": {"reason": DASH},
    "rent_terms": {"note": None},
    "payment": {"reference": None, "cancel_reason": None},
    "arrears_step": {"note": None},
    "housing_application": {"name": "Candidature anonymisée", "partner": None, "siao_ref": None,
                            "resources_detail": None, "situation": None, "notes": None,
                            "interview_notes": None, "withdrawn_reason": None},
    "admission_decision": {"reason": None},
    "inventory": {"people_present": None, "remarks": None},
    "inventory_room": {},
    "inventory_item": {"comment": None},
    "inventory_photo": "delete",
    "meter_reading": {},
    "key_set": {},
    "signature": {"signer_name": DASH, "image": None, "refused_reason": None},
    # Journal de bord: the entry belongs to the team's logbook; the household's mention goes.
    "logbook_entry_person": "delete",
    "relogement_case": {"flat_number": None, "needs": None, "wished_areas": None,
                        "mobility": None, "school": None, "health": None, "animals": None,
                        "work": None, "new_address": None, "outcome_text": None},
    "relogement_mission": {"subject": DASH},
    "relogement_proposal": {"address": DASH, "answer_text": None},
}

#: Link tables whose referenced rows belong in an export (the logbook entries that mention
#: the household's people), though the household does not own them.
REFERENCED = {"logbook_entry_person": ("entry_id", "logbook_entry")}


def check_plan() -> list[str]:
    """Tables owning household data that the anonymisation plan does not cover."""
    return [t.name for t, _ in graph.owned_tables() if t.name not in PLAN]


def _refusal(household: Household, today: date) -> str | None:
    if any(e.exit_date is None or e.exit_date > today for e in household.enrolments):
        return ("Un accompagnement est en cours : enregistrez d'abord la sortie, "
                "l'anonymisation ne peut porter que sur un dossier clos.")
    from app.housing.models import Contract

    running = db.session.scalar(select(Contract.id).where(
        Contract.household_id == household.id, Contract.ended_on.is_(None),
        Contract.glided_on.is_(None)))
    if running:
        return ("Un contrat de logement est en cours : le bail oblige à garder ce dossier "
                "jusqu'à la sortie.")
    return None


@dataclass
class Erasure:
    """What one anonymisation did."""

    household_id: int
    scrubbed: dict[str, int] = field(default_factory=dict)  #: table -> rows changed
    deleted: dict[str, int] = field(default_factory=dict)  #: table -> rows deleted
    photo_files: list[str] = field(default_factory=list)  #: storage keys to remove
    audit_rows: int = 0


def anonymise(actor, household: Household, reason: str, reason_text: str | None,
              now: datetime, today: date, confirmed: bool) -> Erasure:
    """Remove every personal datum of a closed case file in one transaction, audited.

    Kept: numbers, dates and codes (statistics, rent accounting, funders' figures); payments
    keep their amounts and lose their references. Photos are deleted from storage after the
    commit. `actor` None means the retention job.
    """
    if actor is not None and not may_manage(actor, household):
        raise PrivacyError("Seule la coordination de l'équipe du ménage peut anonymiser "
                           "ce dossier.")
    reason_text = checked_reason(reason, reason_text, confirmed)
    state = state_of(household.id)
    if state is not None and state.anonymised_at is not None:
        raise PrivacyError("Ce dossier est déjà anonymisé.")
    problem = _refusal(household, today)
    if problem:
        raise PrivacyError(problem)
    missing = check_plan()
    if missing:
        raise PrivacyError("Anonymisation impossible : aucune règle pour " + ", ".join(missing)
                           + ". Prévenez l'équipe technique.")
    rows = graph.collect(household.id)
    result = Erasure(household.id)
    result.photo_files = [r["key"] for r in rows.get("inventory_photo", [])]
    audit_cond = audit_condition(household, rows)
    tables = dict((t.name, t) for t, _ in graph.owned_tables())
    # Children first, so a deletion never leaves a row pointing at a deleted one.
    for name in reversed(list(tables)):
        table, plan, found = tables[name], PLAN[name], rows.get(name, [])
        if not found:
            continue
        pk = list(table.primary_key.columns)
        if plan == "delete":
            if len(pk) == 1:
                db.session.execute(delete(table).where(pk[0].in_([r[pk[0].name] for r in found])))
            result.deleted[name] = len(found)
            continue
        if not plan:
            continue
        for r in found:
            values = {col: (v(r) if callable(v) else v) for col, v in plan.items()}
            db.session.execute(update(table).where(
                and_(*[c == r[c.name] for c in pk])).values(**values))
        result.scrubbed[name] = len(found)
    # Audit rows stay (who read or changed the file), stripped of what could identify anyone
    # but the staff: the typed subject, the address, the details.
    result.audit_rows = db.session.execute(
        update(AuditEvent).where(audit_cond).values(subject=None, ip=None, detail=null())
    ).rowcount or 0
    if state is None:
        state = HouseholdArchive(household_id=household.id)
        db.session.add(state)
    if state.archived_at is None:
        state.archived_at, state.archived_by_id = now, getattr(actor, "id", None)
    state.anonymised_at = now
    state.anonymised_by_id = getattr(actor, "id", None)
    state.reason, state.reason_text = reason, reason_text
    state.summary = {"scrubbed": result.scrubbed, "deleted": result.deleted,
                     "photos": len(result.photo_files), "audit_rows": result.audit_rows}
    record("privacy.anonymise", actor=actor, object_type="household", object_id=household.id,
           team_id=household.team_id, detail={"reason": reason, **state.summary}, now=now)
    db.session.commit()
    db.session.expire_all()
    _remove_photo_files(result.photo_files)
    return result


def _remove_photo_files(keys: list[str]) -> None:
    """Delete the photo files (and thumbnails) of removed rows; a failure is only logged."""
    if not keys:
        return
    from app.inventories import photos

    for key in keys:
        try:
            photos.delete(key)  # the photo and its thumbnail, through app/storage.py
        except (OSError, ValueError):
            log.warning("photo file %s could not be removed", key)


# ---- archiving and retention ---------------------------------------------------------------

def policy_for(programme: str) -> tuple[int, int]:
    """(active months, archive months) in force for a programme."""
    row = db.session.scalar(select(RetentionPolicy).where(RetentionPolicy.programme == programme))
    if row is not None:
        return row.active_months, row.archive_months
    default = vocab.DEFAULTS.get(programme, vocab.FALLBACK)
    return default.active_months, default.archive_months


def set_policy(actor, programme: str, active_months: int, archive_months: int,
               now: datetime) -> None:
    """An admin sets a programme's retention (a value equal to the default removes the row)."""
    if not actor.is_admin:
        raise PrivacyError("Réservé aux administrateur·rices.")
    if programme not in PROGRAMMES:
        raise PrivacyError("Dispositif inconnu.")
    if not (1 <= active_months <= 120):
        raise PrivacyError("Entre 1 et 120 mois.", "active_months")
    if not (0 <= archive_months <= 360):
        raise PrivacyError("Entre 0 et 360 mois.", "archive_months")
    row = db.session.scalar(select(RetentionPolicy).where(RetentionPolicy.programme == programme))
    default = vocab.DEFAULTS.get(programme, vocab.FALLBACK)
    if (active_months, archive_months) == (default.active_months, default.archive_months):
        if row is not None:
            db.session.delete(row)
    else:
        if row is None:
            row = RetentionPolicy(programme=programme, active_months=active_months,
                                  archive_months=archive_months)
            db.session.add(row)
        row.active_months, row.archive_months = active_months, archive_months
        row.updated_at, row.updated_by_id = now, actor.id
    record("privacy.retention_policy", actor=actor, now=now,
           detail={"programme": programme, "active_months": active_months,
                   "archive_months": archive_months})
    db.session.commit()


@dataclass(frozen=True)
class Due:
    """A closed case file and what its retention asks for at `today`."""

    household_id: int
    closed_on: date
    archive_on: date
    anonymise_on: date
    action: str  #: "archive" or "anonymise"


def closed_on(household: Household) -> date | None:
    """The last exit day of a file whose every enrolment and contract has ended, else None."""
    if not household.enrolments or any(e.exit_date is None for e in household.enrolments):
        return None
    from app.housing.models import Contract

    contracts = list(db.session.scalars(select(Contract).where(
        Contract.household_id == household.id)))
    if any(c.ended_on is None and c.glided_on is None for c in contracts):
        return None
    days = [e.exit_date for e in household.enrolments]
    days += [c.ended_on or c.glided_on for c in contracts]
    return max(days)


def due(today: date) -> list[Due]:
    """Closed files whose active period (archive) or whole retention (anonymise) is over."""
    done = select(HouseholdArchive.household_id).where(HouseholdArchive.anonymised_at.is_not(None))
    archived = set(db.session.scalars(select(HouseholdArchive.household_id).where(
        HouseholdArchive.archived_at.is_not(None))))
    open_ = select(Enrolment.household_id).where(Enrolment.exit_date.is_(None))
    candidates = db.session.scalars(select(Household).where(
        Household.id.not_in(done), Household.id.not_in(open_),
        Household.id.in_(select(Enrolment.household_id))).order_by(Household.id))
    policies: dict[str, tuple[int, int]] = {}
    out = []
    for h in candidates:
        last = closed_on(h)
        if last is None:
            continue
        # Several programmes: the longest retention of each kind wins (nobody loses a file
        # another team must still keep).
        terms = [policies.setdefault(e.programme, policy_for(e.programme)) for e in h.enrolments]
        active = max(t[0] for t in terms)
        archive = max(t[1] for t in terms)
        archive_on = last + relativedelta(months=active)
        anonymise_on = archive_on + relativedelta(months=archive)
        if today >= anonymise_on:
            out.append(Due(h.id, last, archive_on, anonymise_on, "anonymise"))
        elif today >= archive_on and h.id not in archived:
            out.append(Due(h.id, last, archive_on, anonymise_on, "archive"))
    return out


def archive(household: Household, closed: date | None, now: datetime, actor=None) -> None:
    """Take a closed file out of the normal lists (the caller commits)."""
    state = state_of(household.id)
    if state is None:
        state = HouseholdArchive(household_id=household.id)
        db.session.add(state)
    if state.archived_at is None:
        state.archived_at, state.archived_by_id, state.closed_on = now, getattr(actor, "id",
                                                                                None), closed
        record("privacy.archive", actor=actor, object_type="household", object_id=household.id,
               team_id=household.team_id, now=now, detail={"closed_on": _plain(closed)})


@dataclass
class RunResult:
    """What a retention pass did or, for a dry run, would do: household ids, and drop-in
    person ids (people received at a permanence)."""

    archived: list[int] = field(default_factory=list)
    anonymised: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    dropin_archived: list[int] = field(default_factory=list)
    dropin_anonymised: list[int] = field(default_factory=list)
    dropin_failed: dict[int, str] = field(default_factory=dict)
    run_id: int | None = None
    dry_run: bool = False

    def summary(self) -> str:
        """What the pass did, in French (CLI, admin page)."""
        verb = "seraient" if self.dry_run else "ont été"
        text = (f"{len(self.archived)} dossier(s) {verb} archivé(s), {len(self.anonymised)} "
                f"{verb} anonymisé(s) ; {len(self.dropin_archived)} personne(s) accueillie(s) "
                f"{verb} archivée(s), {len(self.dropin_anonymised)} {verb} anonymisée(s)")
        failed = len(self.failed) + len(self.dropin_failed)
        return text + (f", {failed} en échec" if failed else "")


def run_retention(now: datetime, today: date, dry_run: bool = False, actor=None) -> RunResult:
    """Apply the retention rules to every closed file and every person received at a
    permanence; report in the audit log and a run row."""
    from app.privacy import dropin

    result = RunResult(dry_run=dry_run)
    for item in due(today):
        if dry_run:
            (result.archived if item.action == "archive" else result.anonymised).append(
                item.household_id)
            continue
        household = db.session.get(Household, item.household_id)
        try:
            if item.action == "archive":
                archive(household, item.closed_on, now, actor)
                db.session.commit()
                result.archived.append(household.id)
            else:
                anonymise(None, household, "fin_conservation",
                          f"Durée de conservation écoulée le {item.anonymise_on:%d/%m/%Y}.",
                          now, today, confirmed=True)
                result.anonymised.append(household.id)
        except PrivacyError as exc:
            db.session.rollback()
            result.failed[item.household_id] = str(exc)
    for item in dropin.due(today):
        done = result.dropin_archived if item.action == "archive" else result.dropin_anonymised
        if dry_run:
            done.append(item.person_id)
            continue
        try:
            dropin.apply(item, now, today)
            done.append(item.person_id)
        except dropin.DropInPrivacyError as exc:
            db.session.rollback()
            result.dropin_failed[item.person_id] = str(exc)
    run = RetentionRun(ran_at=now, today=today, dry_run=dry_run, archived=len(result.archived),
                       anonymised=len(result.anonymised),
                       dropin_archived=len(result.dropin_archived),
                       dropin_anonymised=len(result.dropin_anonymised),
                       by_id=getattr(actor, "id", None),
                       detail={"archived": result.archived, "anonymised": result.anonymised,
                               "failed": {str(k): v for k, v in result.failed.items()},
                               "dropin_archived": result.dropin_archived,
                               "dropin_anonymised": result.dropin_anonymised,
                               "dropin_failed": {str(k): v
                                                 for k, v in result.dropin_failed.items()}})
    db.session.add(run)
    record("privacy.retention_run", actor=actor, now=now,
           detail={"dry_run": dry_run, "archived": len(result.archived),
                   "anonymised": len(result.anonymised), "failed": len(result.failed),
                   "dropin_archived": len(result.dropin_archived),
                   "dropin_anonymised": len(result.dropin_anonymised),
                   "dropin_failed": len(result.dropin_failed)})
    db.session.commit()
    result.run_id = run.id
    return result


def daily_retention(now: datetime) -> RunResult | None:
    """Run the retention once per Paris day (called by the alerts scheduler's loop)."""
    from app.timeutil import today_paris

    today = today_paris(now)
    last = db.session.scalar(select(RetentionRun.today).where(RetentionRun.dry_run.is_(False))
                             .order_by(RetentionRun.id.desc()).limit(1))
    if last is not None and last >= today:
        return None
    return run_retention(now, today)


# ---- archive readers ------------------------------------------------------------------------

def grant_archive_access(actor, user: User, team_id: int, now: datetime) -> ArchiveAccess:
    """An admin lets a team member read that team's archived files."""
    if not actor.is_admin:
        raise PrivacyError("Réservé aux administrateur·rices.")
    role = user.roles_in(team_id)
    if role not in CASE_ROLES:
        raise PrivacyError("Seul·e un·e coordinateur·rice ou travailleur·se social·e de "
                           "l'équipe peut lire ses archives.", "user_id")
    row = db.session.scalar(select(ArchiveAccess).where(ArchiveAccess.user_id == user.id,
                                                        ArchiveAccess.team_id == team_id))
    if row is not None:
        raise PrivacyError("Cette personne peut déjà lire les archives de l'équipe.", "user_id")
    row = ArchiveAccess(user_id=user.id, team_id=team_id, granted_by_id=actor.id, granted_at=now)
    db.session.add(row)
    record("privacy.archive_grant", actor=actor, object_type="app_user", object_id=user.id,
           team_id=team_id, now=now)
    db.session.commit()
    return row


def revoke_archive_access(actor, row: ArchiveAccess, now: datetime) -> None:
    """An admin withdraws a permission to read archives."""
    if not actor.is_admin:
        raise PrivacyError("Réservé aux administrateur·rices.")
    record("privacy.archive_revoke", actor=actor, object_type="app_user", object_id=row.user_id,
           team_id=row.team_id, now=now)
    db.session.delete(row)
    db.session.commit()


# ---- devices ---------------------------------------------------------------------------------

def revoke_session(actor, session_row: LoginSession, now: datetime) -> None:
    """An admin ends one signed-in device; its next request wipes what the phone kept."""
    if not actor.is_admin:
        raise PrivacyError("Réservé aux administrateur·rices.")
    if session_row.ended_at is not None:
        raise PrivacyError("Cette session est déjà fermée.")
    session_row.ended_at, session_row.end_reason = now, "revoked"
    record("auth.session_revoked", actor=actor, object_type="app_user",
           object_id=session_row.user_id, now=now)
    db.session.commit()


def members_of(team_id: int) -> list[User]:
    """Active case members of a team, who may be granted archive reading."""
    return list(db.session.scalars(
        select(User).join(Membership).where(Membership.team_id == team_id,
                                            Membership.role.in_(CASE_ROLES),
                                            User.active.is_(True))
        .order_by(User.display_name)))
