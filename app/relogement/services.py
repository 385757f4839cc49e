"""Writes of the rehousing tool: one use case per function, one transaction, audited.

Edits carry the `version` the person saw (`Versioned` rows); a stale one raises the case file's
`Conflict` and nothing is written. Refusals raise `RelogementError` with a French message and
the form field it belongs to. Services never read the clock: `now` and `today` are passed.
"""
from __future__ import annotations

from datetime import date, datetime

from app.audit.services import record
from app.auth.scoping import team_ids
from app.extensions import db
from app.formatting import date_fr
from app.households.services import Conflict
from app.programmes import CASE_ROLES, LEAD_ROLES
from app.relogement import vocab
from app.relogement.models import Building, Mission, Operation, Proposal, RehousingCase

__all__ = ["Conflict", "RelogementError"]


class RelogementError(ValueError):
    """A refused change, with a French message and the field it is about."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _d(day: date) -> str:
    return date_fr(day, "medium")


def _lead(actor, team_id: int) -> None:
    if team_id not in team_ids(actor, LEAD_ROLES):
        raise RelogementError("Seule la coordination de l'équipe (chargé·e de mission) peut "
                              "faire cela.")


def _case_role(actor, team_id: int) -> None:
    if team_id not in team_ids(actor, CASE_ROLES):
        raise RelogementError("Cette opération n'est pas suivie par votre équipe.")


def _check_version(row, seen_version: int | None) -> None:
    if seen_version is not None and int(seen_version) != row.version:
        raise Conflict(row)


def _apply(row, values: dict, fields: tuple[str, ...]) -> list[str]:
    changed = []
    for f in fields:
        if f in values and getattr(row, f) != values[f]:
            setattr(row, f, values[f])
            changed.append(f)
    return changed


def _touch(row, actor, now: datetime) -> None:
    row.version = (row.version or 0) + 1
    row.updated_at, row.updated_by_id = now, actor.id


def _in(code, mapping: dict, message: str, field: str, required: bool = True) -> None:
    if code is None and not required:
        return
    if code not in mapping:
        raise RelogementError(message, field)


def _not_future(day: date | None, today: date, field: str, what: str) -> None:
    if day is not None and day > today:
        raise RelogementError(f"{what} ne peut pas être dans le futur.", field)


# ---- operations and buildings ---------------------------------------------------------------

OPERATION_FIELDS = ("name", "town", "quartier", "programme", "landlords", "started_on",
                    "target_on", "status", "description")


def _check_operation(v: dict) -> None:
    if not (v.get("name") or "").strip():
        raise RelogementError("Donnez un nom à l'opération.", "name")
    if not (v.get("town") or "").strip():
        raise RelogementError("Indiquez la commune.", "town")
    _in(v.get("programme"), vocab.PROGRAMMES, "Choisissez le cadre de l'opération.", "programme")
    _in(v.get("status"), vocab.OPERATION_STATUSES, "Choisissez un statut.", "status")
    if v.get("started_on") is None:
        raise RelogementError("Indiquez la date de démarrage.", "started_on")
    if v.get("target_on") and v["target_on"] < v["started_on"]:
        raise RelogementError("L'objectif ne peut pas précéder le démarrage "
                              f"({_d(v['started_on'])}).", "target_on")


def create_operation(actor, team, values: dict, *, now: datetime) -> Operation:
    """Open a rehousing operation for a relogement team (its coordination)."""
    _lead(actor, team.id)
    if team.programme != "relogement":
        raise RelogementError("Choisissez une équipe de relogement.", "team_id")
    values = {**values, "status": values.get("status") or "en_cours"}
    _check_operation(values)
    op = Operation(team_id=team.id, created_at=now, created_by_id=actor.id, updated_at=now,
                   updated_by_id=actor.id)
    _apply(op, values, OPERATION_FIELDS)
    db.session.add(op)
    db.session.flush()
    record("relogement.operation_create", actor=actor, object_type="relogement_operation",
           object_id=op.id, team_id=team.id, now=now)
    db.session.commit()
    return op


def update_operation(actor, op: Operation, values: dict, seen_version: int | None, *,
                     now: datetime) -> list[str]:
    """Edit an operation's facts (its coordination); returns the fields changed."""
    _lead(actor, op.team_id)
    _check_version(op, seen_version)
    _check_operation({**{f: getattr(op, f) for f in OPERATION_FIELDS}, **values})
    changed = _apply(op, values, OPERATION_FIELDS)
    if changed:
        _touch(op, actor, now)
        record("relogement.operation_update", actor=actor, object_type="relogement_operation",
               object_id=op.id, team_id=op.team_id, detail={"fields": changed}, now=now)
    db.session.commit()
    return changed


BUILDING_FIELDS = ("address", "dwellings", "acquired_on", "works", "works_on")


def save_building(actor, op: Operation, building: Building | None, values: dict,
                  seen_version: int | None = None, *, now: datetime) -> Building:
    """Add a building to the operation, or edit one (its coordination)."""
    _lead(actor, op.team_id)
    if building is not None:
        _check_version(building, seen_version)
    v = {**({f: getattr(building, f) for f in BUILDING_FIELDS} if building else {}), **values}
    if not (v.get("address") or "").strip():
        raise RelogementError("Indiquez l'adresse de l'immeuble.", "address")
    if not v.get("dwellings") or v["dwellings"] < 1:
        raise RelogementError("Au moins un logement.", "dwellings")
    _in(v.get("works"), vocab.WORKS, "Démolition ou réhabilitation ?", "works")
    if v.get("acquired_on") and v.get("works_on") and v["works_on"] < v["acquired_on"]:
        raise RelogementError("Les travaux ne peuvent pas précéder l'acquisition "
                              f"({_d(v['acquired_on'])}).", "works_on")
    action = "relogement.building_update"
    if building is None:
        building = Building(operation_id=op.id, team_id=op.team_id, updated_at=now,
                            updated_by_id=actor.id)
        db.session.add(building)
        action = "relogement.building_create"
    changed = _apply(building, values, BUILDING_FIELDS)
    if building.id is not None and changed:
        _touch(building, actor, now)
    db.session.flush()
    record(action, actor=actor, object_type="relogement_building", object_id=building.id,
           team_id=op.team_id, detail={"operation": op.id}, now=now)
    db.session.commit()
    return building


# ---- households to rehouse ------------------------------------------------------------------

CASE_FIELDS = ("building_id", "staircase", "flat_number", "current_rent", "tenure", "needs",
               "wished_areas", "typology", "max_rent", "mobility", "school", "health", "animals",
               "work", "first_contact_on")


def _check_case(op: Operation, v: dict, today: date) -> None:
    building = db.session.get(Building, v["building_id"]) if v.get("building_id") else None
    if building is None or building.operation_id != op.id:
        raise RelogementError("Choisissez un immeuble de l'opération.", "building_id")
    _in(v.get("tenure"), vocab.TENURES, "Statut d'occupation inconnu.", "tenure", required=False)
    _in(v.get("typology"), vocab.TYPOLOGIES, "Typologie inconnue (T1 à T6).", "typology",
        required=False)
    for name in ("current_rent", "max_rent"):
        if v.get(name) is not None and v[name] < 0:
            raise RelogementError("Un montant positif, en euros.", name)
    _not_future(v.get("first_contact_on"), today, "first_contact_on", "Le premier contact")


def add_case(actor, op: Operation, *, household=None, new_household: dict | None = None,
             values: dict, now: datetime, today: date) -> RehousingCase:
    """Add a household living in one of the operation's buildings.

    Either an existing case-file household of the team (`household`), or a new one opened
    through the case-file service from `new_household` (name, first_name, last_name).
    """
    _case_role(actor, op.team_id)
    _check_case(op, values, today)
    from app.relogement.queries import linkable_households

    if household is not None:
        if household.id not in {h.id for h in linkable_households(op)}:
            raise RelogementError("Choisissez un ménage suivi par l'équipe et pas encore dans "
                                  "l'opération.", "household_id")
    else:
        nh = new_household or {}
        if not any((nh.get("first_name"), nh.get("last_name"))):
            raise RelogementError("Choisissez un ménage déjà suivi, ou donnez au moins le "
                                  "prénom ou le nom d'une personne du nouveau ménage.",
                                  "last_name")
        from app.households import services as households

        # The case file is opened by its own service (household, first person, enrolment in
        # the team's programme, audit) and committed; everything above was checked first.
        try:
            household = households.create_household(
                actor, op.team_id, actor.id, {"name": nh.get("name")},
                {"first_name": nh.get("first_name"), "last_name": nh.get("last_name")},
                now=now, today=today)
        except households.CaseFileError as exc:
            raise RelogementError(str(exc), "last_name") from exc
    row = RehousingCase(operation_id=op.id, team_id=op.team_id, household_id=household.id,
                        created_at=now, created_by_id=actor.id, updated_at=now,
                        updated_by_id=actor.id)
    _apply(row, values, CASE_FIELDS)
    db.session.add(row)
    db.session.flush()
    record("relogement.case_create", actor=actor, object_type="relogement_case",
           object_id=row.id, team_id=op.team_id,
           detail={"operation": op.id, "household": household.id}, now=now)
    db.session.commit()
    return row


def update_case(actor, row: RehousingCase, values: dict, seen_version: int | None, *,
                now: datetime, today: date) -> list[str]:
    """Edit a household's place, situation, wishes, constraints or first contact."""
    _case_role(actor, row.team_id)
    _check_version(row, seen_version)
    v = {**{f: getattr(row, f) for f in CASE_FIELDS}, **values}
    _check_case(row.operation, v, today)
    first = v.get("first_contact_on")
    if first and row.proposals and first > row.proposals[0].proposed_on:
        raise RelogementError("Le premier contact ne peut pas suivre la 1re proposition "
                              f"({_d(row.proposals[0].proposed_on)}).", "first_contact_on")
    changed = _apply(row, values, CASE_FIELDS)
    if changed:
        _touch(row, actor, now)
        record("relogement.case_update", actor=actor, object_type="relogement_case",
               object_id=row.id, team_id=row.team_id, detail={"fields": changed}, now=now)
    db.session.commit()
    return changed


# ---- proposals ------------------------------------------------------------------------------

PROPOSAL_FIELDS = ("address", "landlord", "typology", "rent", "proposed_on")


def add_proposal(actor, row: RehousingCase, values: dict, *, now: datetime,
                 today: date) -> Proposal:
    """Record a rehousing proposal made to the household (numbered 1st, 2nd…)."""
    _case_role(actor, row.team_id)
    if row.outcome:
        raise RelogementError("L'issue du relogement est déjà enregistrée.")
    if row.accepted:
        raise RelogementError(f"La {row.accepted.ordinal} proposition a été acceptée : "
                              "enregistrez le déménagement.")
    if row.pending:
        raise RelogementError(f"La {row.pending.ordinal} proposition attend encore une "
                              "réponse.")
    if not (values.get("address") or "").strip():
        raise RelogementError("Indiquez l'adresse du logement proposé.", "address")
    if not (values.get("landlord") or "").strip():
        raise RelogementError("Indiquez le bailleur.", "landlord")
    _in(values.get("typology"), vocab.TYPOLOGIES, "Choisissez la typologie.", "typology")
    if values.get("rent") is not None and values["rent"] < 0:
        raise RelogementError("Un montant positif, en euros.", "rent")
    day = values.get("proposed_on")
    if day is None:
        raise RelogementError("Indiquez la date de la proposition.", "proposed_on")
    _not_future(day, today, "proposed_on", "La proposition")
    if row.first_contact_on and day < row.first_contact_on:
        raise RelogementError("La proposition ne peut pas précéder le premier contact "
                              f"({_d(row.first_contact_on)}).", "proposed_on")
    if row.proposals and day < row.proposals[-1].proposed_on:
        last = row.proposals[-1]
        raise RelogementError(f"La proposition ne peut pas précéder la {last.ordinal} "
                              f"({_d(last.proposed_on)}).", "proposed_on")
    rank = (max((p.rank for p in row.proposals), default=0)) + 1
    p = Proposal(case_id=row.id, team_id=row.team_id, rank=rank, answer="en_attente",
                 created_at=now, created_by_id=actor.id, updated_at=now, updated_by_id=actor.id)
    _apply(p, values, PROPOSAL_FIELDS)
    row.proposals.append(p)
    db.session.flush()
    record("relogement.proposal", actor=actor, object_type="relogement_proposal",
           object_id=p.id, team_id=row.team_id, detail={"case": row.id, "rank": rank}, now=now)
    db.session.commit()
    return p


def answer_proposal(actor, p: Proposal, *, answer: str, answered_on: date | None,
                    reason: str | None, text: str | None, seen_version: int | None,
                    now: datetime, today: date) -> Proposal:
    """Record (or correct) the household's answer: accepted, or refused with a reason."""
    row = p.case
    _case_role(actor, row.team_id)
    _check_version(p, seen_version)
    if row.outcome:
        raise RelogementError("L'issue du relogement est déjà enregistrée : la réponse ne "
                              "peut plus changer.", "answer")
    _in(answer, {k: v for k, v in vocab.ANSWERS.items() if k != "en_attente"},
        "Acceptée ou refusée ?", "answer")
    if answered_on is None:
        raise RelogementError("Indiquez la date de la réponse.", "answered_on")
    if answered_on < p.proposed_on:
        raise RelogementError("La réponse ne peut pas précéder la proposition "
                              f"({_d(p.proposed_on)}).", "answered_on")
    _not_future(answered_on, today, "answered_on", "La réponse")
    text = (text or "").strip() or None
    if answer == "refusee":
        _in(reason, vocab.REFUSAL_REASONS, "Choisissez le motif du refus.", "refusal_reason")
        if reason == "autre" and not text:
            raise RelogementError("Précisez le motif du refus.", "answer_text")
        if p.answer == "acceptee" and row.moved_on:
            raise RelogementError("Le déménagement est déjà enregistré : retirez-le d'abord.",
                                  "answer")
    else:
        reason = None
        other = next((x for x in row.proposals if x.answer == "acceptee" and x.id != p.id), None)
        if other:
            raise RelogementError(f"La {other.ordinal} proposition est déjà acceptée.",
                                  "answer")
        later = next((x for x in row.proposals if x.rank > p.rank), None)
        if later:
            raise RelogementError(f"Une {later.ordinal} proposition a été faite depuis.",
                                  "answer")
    p.answer, p.answered_on, p.refusal_reason, p.answer_text = answer, answered_on, reason, text
    _touch(p, actor, now)
    record("relogement.answer", actor=actor, object_type="relogement_proposal", object_id=p.id,
           team_id=row.team_id, detail={"case": row.id, "answer": answer}, now=now)
    db.session.commit()
    return p


# ---- move and outcome -----------------------------------------------------------------------

def record_outcome(actor, row: RehousingCase, *, moved_on: date | None, outcome: str | None,
                   outcome_on: date | None, new_address: str | None, outcome_text: str | None,
                   seen_version: int | None, now: datetime, today: date) -> RehousingCase:
    """Record the move (after an accepted proposal) and the final outcome, both dated."""
    _case_role(actor, row.team_id)
    _check_version(row, seen_version)
    new_address = (new_address or "").strip() or None
    outcome_text = (outcome_text or "").strip() or None
    accepted = row.accepted
    if moved_on is not None:
        if accepted is None:
            raise RelogementError("Pas de déménagement sans proposition acceptée : enregistrez "
                                  "d'abord l'acceptation.", "moved_on")
        if moved_on < accepted.answered_on:
            raise RelogementError("Le déménagement ne peut pas précéder l'acceptation "
                                  f"({_d(accepted.answered_on)}).", "moved_on")
    if outcome is not None:
        _in(outcome, vocab.OUTCOMES, "Choisissez une issue.", "outcome")
        if outcome_on is None:
            raise RelogementError("Indiquez la date de l'issue.", "outcome_on")
        _not_future(outcome_on, today, "outcome_on", "L'issue")
        if row.first_contact_on and outcome_on < row.first_contact_on:
            raise RelogementError("L'issue ne peut pas précéder le premier contact "
                                  f"({_d(row.first_contact_on)}).", "outcome_on")
        if outcome == "reloge":
            if moved_on is None:
                raise RelogementError("Un ménage relogé a déménagé : indiquez la date du "
                                      "déménagement.", "moved_on")
            if new_address is None:
                raise RelogementError("Indiquez l'adresse du nouveau logement.", "new_address")
            if outcome_on < moved_on:
                raise RelogementError("Le relogement ne peut pas précéder le déménagement "
                                      f"({_d(moved_on)}).", "outcome_on")
        elif moved_on is not None:
            raise RelogementError("Après un déménagement dans le logement accepté, l'issue est "
                                  "« Relogé·e ».", "outcome")
        if outcome == "autre" and outcome_text is None:
            raise RelogementError("Précisez l'issue.", "outcome_text")
    else:
        outcome_on = new_address = None
        if outcome_text and moved_on is None:
            outcome_text = None
    changed = _apply(row, {"moved_on": moved_on, "outcome": outcome, "outcome_on": outcome_on,
                           "new_address": new_address, "outcome_text": outcome_text},
                     ("moved_on", "outcome", "outcome_on", "new_address", "outcome_text"))
    if changed:
        _touch(row, actor, now)
        record("relogement.outcome", actor=actor, object_type="relogement_case",
               object_id=row.id, team_id=row.team_id,
               detail={"fields": changed, "outcome": outcome}, now=now)
    db.session.commit()
    return row


# ---- missions -------------------------------------------------------------------------------

MISSION_FIELDS = ("case_id", "provider", "kind", "subject", "order_ref", "started_on",
                  "ends_on", "report_due_on", "report_received_on", "status", "pilot_id")


def save_mission(actor, op: Operation, mission: Mission | None, values: dict,
                 seen_version: int | None = None, *, now: datetime, today: date) -> Mission:
    """Order a mission from a provider, or update it (the chargé·e de mission pilots it)."""
    _lead(actor, op.team_id)
    if mission is not None:
        _check_version(mission, seen_version)
    v = {**({f: getattr(mission, f) for f in MISSION_FIELDS} if mission else {}), **values}
    if v.get("case_id"):
        row = db.session.get(RehousingCase, v["case_id"])
        if row is None or row.operation_id != op.id:
            raise RelogementError("Choisissez un ménage de l'opération.", "case_id")
    if not (v.get("provider") or "").strip():
        raise RelogementError("Indiquez le prestataire.", "provider")
    _in(v.get("kind"), vocab.MISSION_KINDS, "Choisissez le type de mission.", "kind")
    if not (v.get("subject") or "").strip():
        raise RelogementError("Décrivez ce qui est demandé.", "subject")
    _in(v.get("status"), vocab.MISSION_STATUSES, "Choisissez un statut.", "status")
    start = v.get("started_on")
    if start is None:
        raise RelogementError("Indiquez la date de début.", "started_on")
    for name, what in (("ends_on", "La fin"), ("report_due_on", "Le rapport attendu"),
                       ("report_received_on", "La réception du rapport")):
        if v.get(name) and v[name] < start:
            raise RelogementError(f"{what} ne peut pas précéder le début ({_d(start)}).", name)
    _not_future(v.get("report_received_on"), today, "report_received_on",
                "La réception du rapport")
    if v["status"] == "terminee" and v.get("report_due_on") and not v.get("report_received_on"):
        raise RelogementError("Une mission terminée dont un rapport est attendu : indiquez la "
                              "date de réception du rapport.", "report_received_on")
    if v.get("pilot_id") and v["pilot_id"] not in {u.id for u in _coordinators(op.team_id)}:
        raise RelogementError("Le pilotage revient à la coordination de l'équipe.", "pilot_id")
    action = "relogement.mission_update"
    if mission is None:
        mission = Mission(operation_id=op.id, team_id=op.team_id, created_at=now,
                          updated_at=now, updated_by_id=actor.id)
        db.session.add(mission)
        action = "relogement.mission_create"
    changed = _apply(mission, values, MISSION_FIELDS)
    if mission.id is not None and changed:
        _touch(mission, actor, now)
    db.session.flush()
    record(action, actor=actor, object_type="relogement_mission", object_id=mission.id,
           team_id=op.team_id, detail={"operation": op.id, "fields": changed}, now=now)
    db.session.commit()
    return mission


def _coordinators(team_id: int):
    from app.relogement.queries import coordinators

    return coordinators(team_id)
