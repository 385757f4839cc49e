"""Writes of ASLL measures: one use case per function, one transaction, audited."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from app.audit.services import record
from app.auth.scoping import team_ids
from app.extensions import db
from app.measures import rules
from app.measures.models import FUNDERS, OUTCOMES, FunderBatch, LinkSheet, Measure
from app.programmes import CASE_ROLES, LEAD_ROLES


class MeasureError(ValueError):
    """A refused change, with a French message and the field it is about."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _lead(actor, team_id: int) -> None:
    if team_id not in team_ids(actor, LEAD_ROLES):
        raise MeasureError("Seule la coordination de l'équipe peut faire cela.")


def _case(actor, team_id: int) -> None:
    if team_id not in team_ids(actor, CASE_ROLES):
        raise MeasureError("Cette mesure n'est pas suivie par votre équipe.")


def notify(*, actor, now: datetime, team, household, reference: str, notified_on: date,
           funder: str, prescriber: str, objectives: str) -> Measure:
    """Record a measure notified by the funder for a household."""
    _lead(actor, team.id)
    if team.programme != "asll":
        raise MeasureError("Choisissez une équipe ASLL.", "team_id")
    if funder not in FUNDERS:
        raise MeasureError("Financeur inconnu.", "funder")
    from app.measures.queries import team_sees

    # The measure opens the household's visits and notes to the team: only for a household
    # whose case file the team already sees (owned by the team, or enrolled with it).
    if household is None or not team_sees(team.id, household.id):
        raise MeasureError("Ce ménage n'est pas suivi par cette équipe ASLL : inscrivez-le "
                           "d'abord au dispositif ASLL de l'équipe.", "household_id")
    m = Measure(team_id=team.id, household_id=household.id, reference=reference.strip(),
                notified_on=notified_on, funder=funder, prescriber=prescriber.strip(),
                objectives=objectives.strip(), created_at=now, created_by_id=actor.id)
    db.session.add(m)
    db.session.flush()
    record("measure.notify", actor=actor, object_type="asll_measure", object_id=m.id,
           team_id=team.id)
    db.session.commit()
    return m


#: fields a coordinator may correct after the notification was recorded
EDITABLE = ("reference", "notified_on", "funder", "prescriber", "objectives",
            "contract_signed_on")


def edit(measure: Measure, *, actor, now: datetime, **values) -> Measure:
    """Correct the facts of a measure; the computed dates follow (they are never stored)."""
    _lead(actor, measure.team_id)
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    if values.get("funder", measure.funder) not in FUNDERS:
        raise MeasureError("Financeur inconnu.", "funder")
    for key in ("reference", "prescriber", "objectives"):
        if key in values:
            values[key] = (values[key] or "").strip()
            if not values[key]:
                raise MeasureError("Ce champ est obligatoire.", key)
    notified = values.get("notified_on", measure.notified_on)
    signed = values.get("contract_signed_on", measure.contract_signed_on)
    if measure.is_renewal and signed is None:
        raise MeasureError("Une mesure renouvelée reprend le contrat : indiquez le jour où "
                           "la phase 2 reprend.", "contract_signed_on")
    if measure.received_on and notified > measure.received_on:
        raise MeasureError("La notification ne peut pas suivre la réception "
                           f"(confirmée le {measure.received_on:%d/%m/%Y}).", "notified_on")
    if signed is not None:
        if measure.received_on is None:
            raise MeasureError("La réception de la mesure doit d'abord être confirmée.",
                               "contract_signed_on")
        if signed < notified:
            raise MeasureError("Le contrat ne peut pas précéder la notification.",
                               "contract_signed_on")
        if measure.ended_on and signed > measure.ended_on:
            raise MeasureError("Le contrat ne peut pas suivre la fin de la mesure.",
                               "contract_signed_on")
    if measure.ended_on and notified > measure.ended_on:
        raise MeasureError("La notification ne peut pas suivre la fin de la mesure.",
                           "notified_on")
    changed = sorted(k for k, v in values.items() if getattr(measure, k) != v)
    if not changed:
        return measure
    for key in changed:
        setattr(measure, key, values[key])
    record("measure.edit", actor=actor, object_type="asll_measure", object_id=measure.id,
           team_id=measure.team_id, detail={"fields": changed})
    db.session.commit()
    return measure


def confirm_and_assign(measure: Measure, *, actor, now: datetime, received_on: date,
                       worker) -> Measure:
    """The coordinator confirms receipt of the notification and assigns a worker."""
    _lead(actor, measure.team_id)
    if received_on < measure.notified_on:
        raise MeasureError("La réception ne peut pas précéder la notification.", "received_on")
    if measure.team_id not in team_ids(worker, CASE_ROLES):
        raise MeasureError("Cette personne ne fait pas partie de l'équipe.", "worker_id")
    measure.received_on = received_on
    measure.worker_id = worker.id
    record("measure.assign", actor=actor, object_type="asll_measure", object_id=measure.id,
           team_id=measure.team_id, detail={"worker_id": worker.id})
    db.session.commit()
    return measure


def sign_contract(measure: Measure, *, actor, now: datetime, signed_on: date) -> Measure:
    """Record the day the contract was signed: phase 1 ends, phase 2 starts."""
    _case(actor, measure.team_id)
    if measure.received_on is None:
        raise MeasureError("La réception de la mesure doit d'abord être confirmée.", "signed_on")
    if signed_on < measure.notified_on:
        raise MeasureError("Le contrat ne peut pas précéder la notification.", "signed_on")
    if measure.ended_on is not None:
        raise MeasureError("Cette mesure est terminée.", "signed_on")
    measure.contract_signed_on = signed_on
    record("measure.contract", actor=actor, object_type="asll_measure", object_id=measure.id,
           team_id=measure.team_id)
    db.session.commit()
    return measure


def end(measure: Measure, *, actor, now: datetime, ended_on: date, outcome: str,
        reason: str) -> Measure | None:
    """End the measure (or renew it: a new measure starts the next day); returns the renewal.

    A renewal continues the individual support: it starts in phase 2 straight away (the
    contract is carried over to its first day), for up to nine months from that day.
    """
    _case(actor, measure.team_id)
    if outcome not in OUTCOMES:
        raise MeasureError("Choisissez une issue.", "outcome")
    if measure.ended_on is not None:
        raise MeasureError("Cette mesure est déjà terminée.", "ended_on")
    if ended_on < measure.notified_on:
        raise MeasureError("La fin ne peut pas précéder la notification.", "ended_on")
    if measure.received_on and ended_on < measure.received_on:
        raise MeasureError("La fin ne peut pas précéder la réception de la mesure "
                           f"(confirmée le {measure.received_on:%d/%m/%Y}).", "ended_on")
    if measure.contract_signed_on and ended_on < measure.contract_signed_on:
        raise MeasureError("La fin ne peut pas précéder le contrat "
                           f"(signé le {measure.contract_signed_on:%d/%m/%Y}).", "ended_on")
    if not reason.strip():
        raise MeasureError("Indiquez le motif.", "reason")
    measure.ended_on, measure.outcome, measure.end_reason = ended_on, outcome, reason.strip()
    renewal = None
    if outcome == "renouvelee":
        start = ended_on + timedelta(1)
        renewal = Measure(team_id=measure.team_id, household_id=measure.household_id,
                          reference=measure.reference, notified_on=start,
                          funder=measure.funder, prescriber=measure.prescriber,
                          objectives=measure.objectives, received_on=start,
                          contract_signed_on=start, worker_id=measure.worker_id,
                          renewal_of_id=measure.id, created_at=now, created_by_id=actor.id)
        db.session.add(renewal)
    record("measure.end", actor=actor, object_type="asll_measure", object_id=measure.id,
           team_id=measure.team_id, detail={"outcome": outcome})
    db.session.commit()
    return renewal


def save_sheet(measure: Measure, *, actor, now: datetime, month: date, summary: str,
               next_steps: str | None) -> LinkSheet:
    """Write (or rewrite) the month's fiche de lien of a measure."""
    _case(actor, measure.team_id)
    if not rules.is_running_in(measure, month) or measure.received_on is None:
        raise MeasureError("La mesure n'est pas en cours ce mois-là.", "summary")
    if not summary.strip():
        raise MeasureError("Écrivez quelques lignes sur le mois.", "summary")
    from app.measures.queries import sheet

    s = sheet(measure, month)
    if s is None:
        s = LinkSheet(measure_id=measure.id, month=rules.month_start(month))
        db.session.add(s)
    s.summary, s.next_steps = summary.strip(), (next_steps or "").strip() or None
    s.author_id, s.updated_at = actor.id, now
    db.session.flush()
    record("measure.sheet", actor=actor, object_type="asll_measure", object_id=measure.id,
           team_id=measure.team_id, detail={"month": s.month.isoformat()})
    db.session.commit()
    return s


def record_batch_sent(*, actor, now: datetime, team_id: int, funder: str, month: date,
                      sent_on: date) -> FunderBatch:
    """Record the day a month's batch was sent to the funder."""
    _lead(actor, team_id)
    if funder not in FUNDERS:
        raise MeasureError("Financeur inconnu.", "funder")
    from app.measures.queries import batch

    b = batch(team_id, funder, month)
    if b is None:
        b = FunderBatch(team_id=team_id, funder=funder, month=rules.month_start(month),
                        sent_on=sent_on, created_at=now)
        db.session.add(b)
    b.sent_on, b.sent_by_id = sent_on, actor.id
    db.session.flush()
    record("measure.batch", actor=actor, object_type="asll_funder_batch", object_id=b.id,
           team_id=team_id)
    db.session.commit()
    return b
