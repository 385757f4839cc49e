"""The activity summary of a period as a French PDF, drawn by WeasyPrint from HTML."""
from __future__ import annotations

from flask import current_app, render_template


def summary_filename(scope, period) -> str:
    """'synthese-activite-2026-01-01-2026-12-31.pdf'."""
    return f"synthese-activite-{period.start.isoformat()}-{period.end.isoformat()}.pdf"


def summary_pdf(scope, period, tables, facts, issued_on) -> bytes:
    """The summary: a few sentences to paste into the annual report, then every table."""
    import weasyprint  # heavy import (Pango): only when a PDF is asked for

    issuer = current_app.config.get("ASSOCIATION_NAME") or ""
    html = render_template("dashboard/summary_pdf.html", scope=scope, period=period,
                           tables=tables, facts=facts, issuer=issuer, issued_on=issued_on)
    return weasyprint.HTML(string=html).write_pdf()
