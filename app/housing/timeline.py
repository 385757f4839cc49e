"""Housing events on a household's timeline: contracts, renewals, exits, payments, arrears
steps, admission decisions."""
from __future__ import annotations

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.scoping import team_ids
from app.extensions import db
from app.formatting import money
from app.housing.models import Application, Contract
from app.housing.text import day_fr
from app.programmes import CASE_ROLES
from app.timeline import TimelineEvent, provider, register_kind

register_kind("contract", "Logement")
register_kind("payment", "Loyer")
register_kind("arrears", "Impayés")
register_kind("admission", "Admission")

SIGNED = {"sous_location": "Contrat de sous-location signé",
          "bail_glissant": "Sous-location en bail glissant signée",
          "occupation": "Convention d'occupation signée"}


def _url(endpoint: str, **values) -> str | None:
    try:
        return url_for(endpoint, **values)
    except RuntimeError:  # no request (e.g. a CLI export): events without links
        return None


@provider
def housing_events(household, user):
    """Contract, rent, arrears and admission events of a household the user may see."""
    allowed = team_ids(user, CASE_ROLES)
    if household.team_id not in allowed:
        return []
    events = []
    contracts = db.session.scalars(
        select(Contract).where(Contract.household_id == household.id,
                               Contract.team_id.in_(allowed))
        .options(selectinload(Contract.renewals), selectinload(Contract.payments),
                 selectinload(Contract.arrears_steps)))
    for c in contracts:
        url = _url("housing.contract", contract_id=c.id)
        author = c.created_by.display_name if c.created_by else None
        events.append(TimelineEvent(c.start_on, "contract", SIGNED[c.kind],
                                    f"Entrée : {c.unit_label}", url, author))
        for r in c.renewals:
            events.append(TimelineEvent(
                r.decided_on, "contract", f"Contrat renouvelé ({r.number}{'er' if r.number == 1 else 'e'} renouvellement)",
                f"Jusqu'au {day_fr(r.new_end_on)} — décidé par {r.decided_by} : "
                f"{r.reason}", url, r.recorded_by.display_name if r.recorded_by else None))
        if c.ended_on is not None:
            events.append(TimelineEvent(
                c.ended_on, "contract",
                "Bail glissé au nom du ménage" if c.exit_reason == "glissement"
                else "Sortie du logement",
                f"{c.exit_reason_label} — destination : {c.exit_destination_label}", url,
                c.ended_by.display_name if c.ended_by else None))
        for p in c.payments:
            if p.cancelled_at is None:
                events.append(TimelineEvent(
                    p.paid_on, "payment", f"Paiement de {money(p.amount)}",
                    f"{p.method_label}{' — ' + p.reference if p.reference else ''}", url,
                    p.recorded_by.display_name if p.recorded_by else None))
        for s in c.arrears_steps:
            events.append(TimelineEvent(
                s.done_on, "arrears", f"Impayés : {s.kind_label}", s.note, url,
                s.done_by.display_name if s.done_by else None))
    applications = db.session.scalars(
        select(Application).where(Application.household_id == household.id,
                                  Application.team_id.in_(allowed))
        .options(selectinload(Application.decisions)))
    for a in applications:
        url = _url("housing.application", application_id=a.id)
        origin = a.partner if a.source == "partenaire" else "SIAO"
        events.append(TimelineEvent(a.received_on, "admission", "Candidature reçue",
                                    f"Orientée par : {origin}", url))
        if a.interview_on:
            events.append(TimelineEvent(
                a.interview_on, "admission", "Entretien d'admissibilité",
                "Admissible" if a.admissible else "Non admissible", url,
                a.interview_by.display_name if a.interview_by else None))
        for d in a.decisions:
            events.append(TimelineEvent(
                d.commission_on, "admission", f"Commission d'admission : {d.decision_label}",
                d.reason, url))
    return events
