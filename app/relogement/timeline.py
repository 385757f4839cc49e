"""Rehousing events on a household's timeline: first contact, proposals and their answers,
the move and the outcome."""
from __future__ import annotations

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.scoping import team_ids
from app.extensions import db
from app.formatting import money
from app.programmes import CASE_ROLES
from app.relogement.models import RehousingCase
from app.timeline import TimelineEvent, provider, register_kind

register_kind("relogement", "Relogement")


def _url(case_id: int) -> str | None:
    try:
        return url_for("relogement.case", case_id=case_id)
    except RuntimeError:  # no request: events without links
        return None


@provider
def relogement_events(household, user):
    """Rehousing events of the user's teams' operations for this household."""
    allowed = team_ids(user, CASE_ROLES)
    if not allowed:
        return []
    out = []
    rows = db.session.scalars(select(RehousingCase)
                              .where(RehousingCase.household_id == household.id,
                                     RehousingCase.team_id.in_(allowed))
                              .options(selectinload(RehousingCase.proposals),
                                       selectinload(RehousingCase.operation)))
    for c in rows:
        url, op = _url(c.id), c.operation.name
        # In the order things happen, then reversed: same-day events read newest first.
        events = []
        if c.first_contact_on:
            events.append(TimelineEvent(c.first_contact_on, "relogement",
                                        "Premier contact pour le relogement",
                                        f"{op} — {c.where}", url))
        for p in c.proposals:
            rent = f", {money(p.rent)}" if p.rent is not None else ""
            events.append(TimelineEvent(
                p.proposed_on, "relogement", f"{p.ordinal.capitalize()} proposition de "
                "relogement", f"{p.typology} {p.address} ({p.landlord}{rent})", url))
            if p.answer == "acceptee":
                events.append(TimelineEvent(p.answered_on, "relogement",
                                            f"{p.ordinal.capitalize()} proposition acceptée",
                                            p.answer_text or p.address, url))
            elif p.answer == "refusee":
                detail = p.reason_label + (f" — {p.answer_text}" if p.answer_text else "")
                events.append(TimelineEvent(p.answered_on, "relogement",
                                            f"{p.ordinal.capitalize()} proposition refusée",
                                            detail, url))
        if c.moved_on:
            events.append(TimelineEvent(c.moved_on, "relogement", "Déménagement",
                                        c.new_address or (c.accepted.address if c.accepted
                                                          else None), url))
        if c.outcome:
            title = {"reloge": "Relogement terminé : relogé·e",
                     "parti_sans_solution": "Relogement : parti·e sans solution",
                     "autre": "Relogement : autre issue"}[c.outcome]
            detail = c.new_address if c.outcome == "reloge" else c.outcome_text
            events.append(TimelineEvent(c.outcome_on, "relogement", title, detail, url))
        out.extend(reversed(events))
    return out
