"""Logbook entries on a household's timeline: those naming one of its people."""
from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from app.auth.scoping import team_ids
from app.extensions import db
from app.logbook.models import LogEntry, LogEntryPerson
from app.programmes import CASE_ROLES
from app.timeline import TimelineEvent, provider, register_kind

register_kind("logbook", "Journal de bord")


def _url(entry_id: int) -> str | None:
    try:
        return url_for("logbook.show", entry_id=entry_id)
    except RuntimeError:  # no request: events without links
        return None


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@provider
def logbook_events(household, user):
    """Entries naming this household's people, from the logbooks of the user's own teams only
    (seeing a household through another team's enrolment does not open that team's logbook)."""
    allowed = team_ids(user, CASE_ROLES)
    if not allowed:
        return []
    stmt = (select(LogEntry).where(
        LogEntry.team_id.in_(allowed),
        LogEntry.id.in_(select(LogEntryPerson.entry_id)
                        .where(LogEntryPerson.household_id == household.id)))
        .order_by(LogEntry.occurred_at.desc()))
    return [TimelineEvent(e.occurred_at, "logbook", f"{e.category_label} — {e.team.name}",
                          _short(e.text), _url(e.id),
                          e.author.display_name if e.author else None)
            for e in db.session.scalars(stmt)]
