"""The état des lieux as a French PDF (WeasyPrint), photos and signatures embedded."""
from __future__ import annotations

from flask import current_app, render_template

from app.inventories import photos
from app.inventories.models import CONDITIONS


def _fetcher(inventory):
    """Serve photo:KEY and signature:PARTY from storage; nothing is fetched from the network.

    Any other resource, or a missing file, stops the rendering: a legal document must not come
    out silently without one of its photos.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    signatures = {s.party: s.image for s in inventory.signatures if s.image}

    class StoredFiles(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("photo:"):
                key = url[len("photo:"):]
                thumb = key.endswith(".mini")
                data = photos.read(key.removesuffix(".mini"), thumb=thumb)
                return URLFetcherResponse(url, body=data, headers={"Content-Type": "image/jpeg"})
            if url.startswith("signature:") and url[len("signature:"):] in signatures:
                return URLFetcherResponse(url, body=signatures[url[len("signature:"):]],
                                          headers={"Content-Type": "image/png"})
            raise ValueError(f"refused resource {url!r}")

    return StoredFiles(allowed_protocols=(), fail_on_errors=True)


def inventory_pdf(inventory, worse) -> bytes:
    """The inventory document, with the comparison section for an exit."""
    import weasyprint  # heavy import (Pango): only when a document is asked for

    issuer = current_app.config.get("ASSOCIATION_NAME") or inventory.team.name
    html = render_template("inventories/pdf.html", inventory=inventory, worse=worse,
                           conditions=CONDITIONS, issuer=issuer)
    return weasyprint.HTML(string=html, url_fetcher=_fetcher(inventory)).write_pdf()
