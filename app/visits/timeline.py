"""Visits on the household timeline."""
from __future__ import annotations

from datetime import datetime

from flask import url_for

from app.timeline import TimelineEvent, provider, register_kind
from app.visits.queries import household_visits

register_kind("visite", "Visites")


@provider
def visit_events(household, user):
    """Each visit: planned, done (with its report's next steps), cancelled or missed."""
    for v in household_visits(household):
        when = datetime.combine(v.day, v.at) if v.at else v.day
        workers = ", ".join(w.display_name for w in v.workers)
        if v.report:
            title = f"Visite faite ({v.place_label.lower()}) : {v.purpose}"
            detail = v.report.next_steps or v.report.observations
        else:
            title = f"Visite {v.status_label.lower()} ({v.place_label.lower()}) : {v.purpose}"
            detail = None
        yield TimelineEvent(when, "visite", title, detail=detail, author=workers,
                            url=url_for("visits.show", visit_id=v.id))
