"""The état des lieux as a French PDF (WeasyPrint), photos and signatures embedded."""
from __future__ import annotations

from flask import current_app, render_template

from app.inventories import photos
from app.inventories.models import CONDITIONS


def _fetcher(inventory):
    """Serve photo:KEY and signature:PARTY from storage; nothing is fetched from the network."""
    signatures = {s.party: s.image for s in inventory.signatures if s.image}

    def fetch(url: str, *args, **kwargs):
        if url.startswith("photo:"):
            key = url[6:]
            thumb = key.endswith(".mini")
            return {"string": photos.path_of(key.removesuffix(".mini"), thumb=thumb).read_bytes(),
                    "mime_type": "image/jpeg"}
        if url.startswith("signature:") and url[10:] in signatures:
            return {"string": signatures[url[10:]], "mime_type": "image/png"}
        raise ValueError(f"refused resource {url!r}")

    return fetch


def inventory_pdf(inventory, worse) -> bytes:
    """The inventory document, with the comparison section for an exit."""
    import weasyprint  # heavy import (Pango): only when a document is asked for

    issuer = current_app.config.get("ASSOCIATION_NAME") or inventory.team.name
    html = render_template("inventories/pdf.html", inventory=inventory, worse=worse,
                           conditions=CONDITIONS, issuer=issuer)
    return weasyprint.HTML(string=html, url_fetcher=_fetcher(inventory)).write_pdf()
