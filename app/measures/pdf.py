"""The fiche de lien as a French PDF, drawn by WeasyPrint from an HTML template."""
from __future__ import annotations

from datetime import date

from flask import render_template


def sheet_filename(measure, month: date) -> str:
    """'fiche-de-lien-2026-03-mesure-12.pdf'."""
    return f"fiche-de-lien-{month:%Y-%m}-mesure-{measure.id}.pdf"


def sheet_pdf(measure, month: date, sheet, activity, status, days: int) -> bytes:
    """The month's fiche de lien for the funder."""
    import weasyprint  # heavy import (Pango): only when a PDF is asked for

    html = render_template("measures/sheet_pdf.html", m=measure, month=month, sheet=sheet,
                           a=activity, s=status, days=days)
    return weasyprint.HTML(string=html).write_pdf()


def batch_filename(team_id: int, funder: str, month: date, ext: str) -> str:
    """'lot-asll-metropole-2026-03-equipe-4.pdf'."""
    return f"lot-asll-{funder}-{month:%Y-%m}-equipe-{team_id}.{ext}"


def batch_pdf(**context) -> bytes:
    """A month's batch for the funder: measures, phase and days of support."""
    import weasyprint

    return weasyprint.HTML(string=render_template("measures/batch_pdf.html",
                                                  **context)).write_pdf()
