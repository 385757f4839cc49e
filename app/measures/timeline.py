"""ASLL measure events on a household's timeline: notification, contract, end."""
from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from app.auth.scoping import team_ids
from app.extensions import db
from app.measures.models import Measure
from app.measures.rules import phase1_due
from app.programmes import CASE_ROLES
from app.timeline import TimelineEvent, provider, register_kind

register_kind("measure", "Mesure ASLL")


def _url(measure_id: int) -> str | None:
    try:
        return url_for("measures.show", measure_id=measure_id)
    except RuntimeError:  # no request: events without links
        return None


def _opening_events(m: Measure, url: str | None) -> list[TimelineEvent]:
    """Notification, assignment and contract of a first measure."""
    events = [TimelineEvent(m.notified_on, "measure", "Mesure ASLL notifiée",
                            f"{m.funder_label} — réf. {m.reference}", url)]
    if m.received_on:
        who = m.worker.display_name if m.worker else "—"
        events.append(TimelineEvent(m.received_on, "measure", "Mesure ASLL attribuée",
                                    f"Suivie par {who}", url))
    if m.contract_signed_on:
        late = " (phase 1 dépassée)" if m.contract_signed_on > phase1_due(m.notified_on) else ""
        events.append(TimelineEvent(m.contract_signed_on, "measure",
                                    "Contrat d'accompagnement ASLL signé", "Début de la phase 2"
                                    + late, url))
    return events


@provider
def measure_events(household, user):
    """Measure events of the user's ASLL teams for this household."""
    allowed = team_ids(user, CASE_ROLES)
    events = []
    for m in db.session.scalars(select(Measure).where(Measure.household_id == household.id,
                                                      Measure.team_id.in_(allowed))):
        url = _url(m.id)
        if m.is_renewal:  # one event: the support goes on, without a new phase 1
            events.append(TimelineEvent(m.notified_on, "measure", "Mesure ASLL renouvelée",
                                        f"Contrat reconduit, la phase 2 se poursuit — réf. "
                                        f"{m.reference}", url))
        else:
            events.extend(_opening_events(m, url))
        if m.ended_on:
            events.append(TimelineEvent(m.ended_on, "measure", m.outcome_label, m.end_reason, url))
    return events
