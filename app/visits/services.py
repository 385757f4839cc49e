"""Visit use cases: plan a visit, submit a report exactly once, resolve report conflicts.

The offline contract: a report carries the `client_id` made when its form was opened. The same
id with the same content is a replay and answers the report already saved; the same id with
other content, or an edit based on an older version, is kept whole as a ReportConflict for a
person to resolve. Nothing is overwritten silently and nothing is saved twice.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.audit.services import record
from app.extensions import db
from app.households.models import Barrier, Goal
from app.visits.models import PLACES, ReportConflict, Visit, VisitReport
from app.visits.queries import team_workers


class VisitError(ValueError):
    """A refused visit change; the message is French, `field` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


REPORT_FIELDS = ("seen", "worked_on", "observations", "next_steps", "orientation",
                 "duration_minutes", "follow_up_on")


def normalise(values: dict) -> dict:
    """The report's content in a canonical form (for hashing and storing)."""
    def text(v):
        v = (v or "").strip() if isinstance(v, str) else v
        return v or None

    follow = values.get("follow_up_on")
    return {
        "seen": sorted({int(x) for x in values.get("seen") or []}),
        "worked_on": sorted({str(x) for x in values.get("worked_on") or []}),
        "observations": text(values.get("observations")),
        "next_steps": text(values.get("next_steps")),
        "orientation": text(values.get("orientation")),
        "duration_minutes": values.get("duration_minutes") or None,
        "follow_up_on": follow.isoformat() if isinstance(follow, date) else (follow or None),
    }


def payload_hash(content: dict) -> str:
    """sha256 of a normalised report content."""
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@dataclass
class Submitted:
    """What happened to a submitted report."""

    outcome: str  #: "created", "updated", "replay" or "conflict"
    report: VisitReport | None = None
    conflict: ReportConflict | None = None


def _check_report(visit: Visit, content: dict) -> None:
    people = {p.id for p in visit.household.people}
    if not content["seen"]:
        raise VisitError("Cochez au moins une personne rencontrée.", "seen")
    if not set(content["seen"]) <= people:
        raise VisitError("Une personne cochée n'appartient pas au ménage.", "seen")
    goals = {f"goal:{i}" for i in db.session.scalars(
        select(Goal.id).where(Goal.household_id == visit.household_id))}
    barriers = {f"barrier:{i}" for i in db.session.scalars(
        select(Barrier.id).where(Barrier.household_id == visit.household_id))}
    if not set(content["worked_on"]) <= goals | barriers:
        raise VisitError("Un objectif ou un frein coché n'appartient pas au ménage.", "worked_on")
    if not (content["observations"] or content["next_steps"]):
        raise VisitError("Écrivez au moins une observation ou une suite à donner.",
                         "observations")
    minutes = content["duration_minutes"]
    if minutes is not None and not 1 <= int(minutes) <= 720:
        raise VisitError("La durée va de 1 à 720 minutes.", "duration_minutes")
    follow = content["follow_up_on"]
    if follow and date.fromisoformat(follow) <= visit.day:
        raise VisitError("La visite de suivi doit avoir lieu après cette visite.", "follow_up_on")


def _valid_client_id(client_id: str) -> str:
    try:
        return str(uuid.UUID(client_id))
    except (ValueError, TypeError, AttributeError):
        raise VisitError("Identifiant de formulaire invalide : rouvrez le formulaire.") from None


def submit_report(actor, visit: Visit, client_id: str, values: dict, base_version: int | None,
                  *, written_at: datetime, now: datetime) -> Submitted:
    """Save a visit report exactly once (see the module docstring for the rules)."""
    client_id = _valid_client_id(client_id)
    content = normalise(values)
    digest = payload_hash(content)
    same_id = db.session.scalar(select(VisitReport).where(VisitReport.client_id == client_id))
    if same_id is not None:
        if same_id.visit_id == visit.id and same_id.payload_hash == digest:
            return Submitted("replay", report=same_id)
        return _conflict(actor, visit, client_id, content, "same_client_id", now)
    already = visit.report
    if already is not None and base_version != already.version:
        return _conflict(actor, visit, client_id, content, "stale_version", now)
    _check_report(visit, content)
    if already is None:
        report = VisitReport(visit=visit, client_id=client_id, payload_hash=digest,
                             author_id=actor.id, written_at=written_at, received_at=now)
        outcome = "created"
    else:
        report = already
        report.client_id, report.payload_hash = client_id, digest
        report.version += 1
        report.written_at, report.received_at = written_at, now
        outcome = "updated"
    _fill(report, content)
    visit.status = "faite"
    follow = None
    if outcome == "created" and content["follow_up_on"]:
        follow = Visit(household_id=visit.household_id, team_id=visit.team_id,
                       day=date.fromisoformat(content["follow_up_on"]), place=visit.place,
                       place_detail=visit.place_detail, created_by_id=actor.id, created_at=now,
                       purpose=f"Suite de la visite du {visit.day.strftime('%d/%m/%Y')}",
                       follows_id=visit.id)
        follow.workers = [actor]
        db.session.add(follow)
    db.session.add(report)
    try:
        db.session.flush()
    except IntegrityError:
        # Two replays of one client_id raced; the other one won. Answer as a replay would.
        db.session.rollback()
        return submit_report(actor, db.session.get(Visit, visit.id), client_id, values,
                             base_version, written_at=written_at, now=now)
    record("visit.report", actor=actor, object_type="household", object_id=visit.household_id,
           team_id=visit.team_id, detail={"visit": visit.id, "outcome": outcome,
                                          "follow_up": follow.id if follow else None}, now=now)
    db.session.commit()
    return Submitted(outcome, report=report)


def _fill(report: VisitReport, content: dict) -> None:
    report.seen = content["seen"]
    report.worked_on = content["worked_on"]
    report.observations = content["observations"]
    report.next_steps = content["next_steps"]
    report.orientation = content["orientation"]
    report.duration_minutes = content["duration_minutes"]
    report.follow_up_on = (date.fromisoformat(content["follow_up_on"])
                           if content["follow_up_on"] else None)


def _conflict(actor, visit, client_id, content, reason, now) -> Submitted:
    existing = db.session.scalar(select(ReportConflict).where(
        ReportConflict.client_id == client_id, ReportConflict.visit_id == visit.id,
        ReportConflict.resolved_at.is_(None)))
    if existing is not None and existing.payload == content:
        return Submitted("conflict", report=visit.report, conflict=existing)  # replayed conflict
    conflict = ReportConflict(visit_id=visit.id, client_id=client_id, author_id=actor.id,
                              reason=reason, payload=content, created_at=now)
    db.session.add(conflict)
    db.session.flush()
    record("visit.report_conflict", actor=actor, object_type="household",
           object_id=visit.household_id, team_id=visit.team_id,
           detail={"visit": visit.id, "conflict": conflict.id, "reason": reason}, now=now)
    db.session.commit()
    return Submitted("conflict", report=visit.report, conflict=conflict)


def resolve_conflict(actor, conflict: ReportConflict, keep: str, *, now: datetime) -> None:
    """Settle a conflict: keep the conflicting version ("mine") or the saved one ("theirs")."""
    if conflict.resolved_at is not None:
        raise VisitError("Ce conflit est déjà résolu.")
    if keep not in ("mine", "theirs"):
        raise VisitError("Choisissez la version à garder.")
    visit = conflict.visit
    if keep == "mine":
        content = conflict.payload
        _check_report(visit, content)
        report = visit.report
        if report is None:
            report = VisitReport(visit=visit, client_id=str(uuid.uuid4()), author_id=actor.id,
                                 written_at=now, payload_hash="")
            db.session.add(report)
        else:
            report.version += 1
        # A fresh client_id: the conflicting one stays unique to the conflict record.
        report.client_id = str(uuid.uuid4())
        report.payload_hash = payload_hash(content)
        report.received_at = now
        _fill(report, content)
        visit.status = "faite"
    conflict.resolved_at = now
    conflict.resolution = keep
    record("visit.conflict_resolved", actor=actor, object_type="household",
           object_id=visit.household_id, team_id=visit.team_id,
           detail={"conflict": conflict.id, "keep": keep}, now=now)
    db.session.commit()


def plan_visit(actor, household, team_id: int, day: date, at: time | None, place: str,
               place_detail: str | None, purpose: str, worker_ids: list[int], *,
               now: datetime, today: date) -> Visit:
    """Plan a visit with a household for one or more workers of the team."""
    if place not in PLACES:
        raise VisitError("Choisissez un lieu.", "place")
    if not (purpose or "").strip():
        raise VisitError("Indiquez l'objet de la visite.", "purpose")
    if day < today:
        raise VisitError("Une visite se planifie aujourd'hui ou plus tard.", "day")
    allowed = {u.id: u for u in team_workers(team_id)}
    if not worker_ids:
        raise VisitError("Choisissez au moins un·e intervenant·e.", "worker_ids")
    if not set(worker_ids) <= set(allowed):
        raise VisitError("Un·e intervenant·e ne fait pas partie de l'équipe.", "worker_ids")
    visit = Visit(household_id=household.id, team_id=team_id, day=day, at=at, place=place,
                  place_detail=place_detail or None, purpose=purpose.strip(),
                  created_by_id=actor.id, created_at=now)
    visit.workers = [allowed[i] for i in worker_ids]
    db.session.add(visit)
    db.session.flush()
    record("visit.plan", actor=actor, object_type="household", object_id=household.id,
           team_id=team_id, detail={"visit": visit.id}, now=now)
    db.session.commit()
    return visit


def set_status(actor, visit: Visit, status: str, *, now: datetime) -> None:
    """Mark a planned visit as cancelled or the household absent (a done visit has a report)."""
    if status not in ("annulee", "absent", "prevue"):
        raise VisitError("Statut impossible.")
    if visit.report is not None:
        raise VisitError("Cette visite a déjà un compte rendu.")
    visit.status = status
    record("visit.status", actor=actor, object_type="household", object_id=visit.household_id,
           team_id=visit.team_id, detail={"visit": visit.id, "status": status}, now=now)
    db.session.commit()
