"""The logbook of a period as a French PDF (WeasyPrint), for the experimentation report."""
from __future__ import annotations

from itertools import groupby

from flask import render_template

from app.logbook.models import CATEGORIES
from app.timeutil import to_paris


def filename(team, filters, ext: str) -> str:
    """'journal-equipe-4-2026-01-01-au-2026-03-31.pdf'."""
    start = filters.start.isoformat() if filters.start else "debut"
    end = filters.end.isoformat() if filters.end else "aujourdhui"
    return f"journal-equipe-{team.id}-{start}-au-{end}.{ext}"


def groups(entries, by: str) -> list[tuple[str, list]]:
    """Entries grouped by category (in the vocabulary's order) or by Paris day (oldest first)."""
    if by == "date":
        from app.formatting import date_fr

        keyed = groupby(entries, key=lambda e: to_paris(e.occurred_at).date())
        return [(date_fr(day, "long").capitalize(), list(items)) for day, items in keyed]
    order = list(CATEGORIES)
    ordered = sorted(entries, key=lambda e: (order.index(e.category) if e.category in order
                                             else 99, e.occurred_at))
    return [(CATEGORIES.get(cat, cat), list(items))
            for cat, items in groupby(ordered, key=lambda e: e.category)]


def report_pdf(*, team, title: str, filters, entries, checks, by: str) -> bytes:
    """Entries of the period grouped by category or date, then the flat checks of the period."""
    import weasyprint  # heavy import (Pango): only when a PDF is asked for

    html = render_template("logbook/report_pdf.html", team=team, title=title, f=filters,
                           groups=groups(entries, by), by=by, count=len(entries), checks=checks,
                           categories=CATEGORIES)
    return weasyprint.HTML(string=html).write_pdf()
