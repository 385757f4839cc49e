"""Inventories on the household timeline."""
from __future__ import annotations

from flask import url_for

from app.inventories.queries import of_household
from app.timeline import TimelineEvent, provider, register_kind

register_kind("edl", "États des lieux")


@provider
def inventory_events(household, user):
    """Each inventory of the household: started, signed."""
    for inv in of_household(household.id):
        url = url_for("inventories.show", inventory_id=inv.id)
        title = f"État des lieux {inv.kind_label.lower()} — {inv.flat.address}"
        if inv.signed_at:
            yield TimelineEvent(inv.signed_at, "edl", f"{title} : signé", url=url)
        else:
            yield TimelineEvent(inv.done_on, "edl", f"{title} : en cours", url=url)
