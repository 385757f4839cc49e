"""Rent receipts (quittances) as PDF, drawn by WeasyPrint from an HTML template."""
from __future__ import annotations

from datetime import date

from flask import current_app, render_template

from app.housing.rules import MonthStatus

#: state of the month -> document title
TITLES = {"paye": "Quittance de loyer", "partiel": "Reçu de paiement partiel",
          "impaye": "Avis d’échéance"}


def receipt_filename(contract, month: date) -> str:
    """'quittance-2026-03-contrat-12.pdf'."""
    return f"quittance-{month:%Y-%m}-contrat-{contract.id}.pdf"


def receipt_pdf(contract, status: MonthStatus, *, issued_on: date) -> bytes:
    """The month's receipt: a quittance when fully paid, else a partial receipt or a rent call."""
    import weasyprint  # heavy import (Pango): only when a receipt is asked for

    issuer = current_app.config.get("ASSOCIATION_NAME") or contract.team.name
    html = render_template("housing/receipt_pdf.html", contract=contract, s=status,
                           title=TITLES[status.state], issuer=issuer, issued_on=issued_on)
    return weasyprint.HTML(string=html).write_pdf()
