"""Security headers on every response: a strict CSP (no inline script), no sniffing, no framing,
no referrer outside the site, powerful browser features off (the camera only where photos are
taken), HSTS over HTTPS. Tested on every page by tests/unit/test_security_matrix.py."""
from flask import Flask, abort, request

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


#: Pages where a photo is taken (états des lieux, logbook entries): the only ones where the
#: camera may be offered to the page. Add an endpoint here when a page takes photos.
CAMERA_ENDPOINTS = frozenset({
    "inventories.show",
    "logbook.new", "logbook.create", "logbook.edit",
})
_FEATURES_OFF = "microphone=(), geolocation=(), payment=(), usb=(), display-capture=()"
PERMISSIONS_NO_CAMERA = "camera=(), " + _FEATURES_OFF
PERMISSIONS_CAMERA = "camera=(self), " + _FEATURES_OFF


def permissions_policy(endpoint: str | None) -> str:
    """The Permissions-Policy of a page: the camera only on the pages that take photos."""
    return PERMISSIONS_CAMERA if endpoint in CAMERA_ENDPOINTS else PERMISSIONS_NO_CAMERA


def init_app(app: Flask) -> None:
    """Register the header hook and the input guard."""

    @app.before_request
    def refuse_nul_characters():
        # No person types a NUL character; PostgreSQL refuses them in text (a 500 otherwise).
        for values in (request.args, request.form):
            for _key, items in values.lists():
                if any("\x00" in item for item in items):
                    abort(400)
        return None

    @app.after_request
    def security_headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Permissions-Policy", permissions_policy(request.endpoint))
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            h.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        # Pages carry personal data: never kept by the browser's HTTP cache nor by proxies.
        if response.mimetype == "text/html" or response.mimetype == "application/json":
            h.setdefault("Cache-Control", "no-store")
        return response
