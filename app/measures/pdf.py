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
