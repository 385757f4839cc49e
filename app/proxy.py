"""Forwarded headers, trusted only from the reverse proxy's own address.

Behind a reverse proxy every request comes from the proxy: the client's address and scheme
travel in X-Forwarded-For / X-Forwarded-Proto. Those headers are applied only when the
connection itself comes from an address listed in TRUSTED_PROXIES (TERRAIN_TRUSTED_PROXIES,
e.g. "127.0.0.1,::1"); from anyone else they are ignored, so a client cannot pretend to be
another address (sign-in throttling and the audit trail record it) or to speak HTTPS.
"""
from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


class TrustedProxyFix:
    """Apply ProxyFix (one proxy hop: client address and scheme) for trusted peers only."""

    def __init__(self, wsgi_app, trusted: set[str]):
        self.plain = wsgi_app
        self.fixed = ProxyFix(wsgi_app, x_for=1, x_proto=1)
        self.trusted = trusted

    def __call__(self, environ, start_response):
        """Route the request through ProxyFix when it comes from a trusted proxy."""
        if environ.get("REMOTE_ADDR") in self.trusted:
            return self.fixed(environ, start_response)
        return self.plain(environ, start_response)


def init_app(app: Flask) -> None:
    """Wrap the WSGI app when TRUSTED_PROXIES lists at least one address."""
    trusted = {a.strip() for a in (app.config.get("TRUSTED_PROXIES") or "").split(",")
               if a.strip()}
    if trusted:
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, trusted)
