"""Service worker (built from service-worker/ sources), web app manifest, offline page."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from app.assets import asset

bp = Blueprint("pwa", __name__)

SOURCES = ("setup.js", "pages.js", "outbox.js", "push.js", "sw.js")
#: Static files precached at install (the app shell); vendored Workbox comes by importScripts.
PRECACHE = ("css/terrain.css", "js/app.js", "js/offline.js", "js/terrain-db.js", "js/inventory.js",
            "js/logbook.js", "vendor/htmx-2.0.11/htmx.min.js", "icons/sprite.svg",
            "icons/favicon.svg", "icons/icon-192.png")
#: Precached only when the page uses them (sign-in with passkeys).
OPTIONAL = ("js/passkeys.js", "vendor/simplewebauthn-browser-14.0.0/index.umd.min.js")


def _root() -> Path:
    return Path(current_app.root_path).parent


def build_worker() -> tuple[str, str]:
    """The service worker script and its version (a hash of every file it depends on)."""
    cached = current_app.extensions.get("terrain_sw")
    if cached and not current_app.debug:
        return cached
    static = Path(current_app.static_folder)
    # Versioned URLs, no revision: Workbox may then reuse the browser's HTTP cache.
    precache = [{"url": asset(f), "revision": None}
                for f in PRECACHE + OPTIONAL if (static / f).exists()]
    sources = [(_root() / "service-worker" / name).read_text() for name in SOURCES]
    offline_html = render_template("pwa/offline.html")
    precache.append({"url": url_for("pwa.offline"),
                     "revision": hashlib.sha256(offline_html.encode()).hexdigest()[:16]})
    version = hashlib.sha256(json.dumps(precache).encode()
                             + "".join(sources).encode()).hexdigest()[:12]
    settings = {"version": version, "precache": precache, "offline": url_for("pwa.offline"),
                "workbox": url_for("static", filename="vendor/workbox-7.4.1/"),
                "db": url_for("static", filename="js/terrain-db.js"),
                "alerts": url_for("alerts.index"), "icon": asset("icons/icon-192.png")}
    script = f"self.TERRAIN = {json.dumps(settings)};\n" + "\n".join(sources)
    current_app.extensions["terrain_sw"] = (script, version)
    return script, version


@bp.route("/service-worker.js")
def service_worker():
    """The service worker, at the root so its scope is the whole app."""
    script, version = build_worker()
    response = Response(script, mimetype="application/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Terrain-Version"] = version
    return response


@bp.route("/manifest.webmanifest")
def manifest():
    """The web app manifest: installable, standalone, in French."""
    icon = lambda name, size, purpose: {  # noqa: E731
        "src": url_for("static", filename=f"icons/{name}"), "sizes": size, "type": "image/png",
        "purpose": purpose}
    data = {
        "name": "Terrain",
        "short_name": "Terrain",
        "description": "L'outil des équipes sociales sur le terrain.",
        "lang": "fr",
        "dir": "ltr",
        "start_url": url_for("core.home"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f3f5f6",
        "theme_color": "#1f4e5f",
        "icons": [icon("icon-192.png", "192x192", "any"), icon("icon-512.png", "512x512", "any"),
                  icon("icon-maskable-512.png", "512x512", "maskable")],
    }
    response = Response(json.dumps(data, ensure_ascii=False),
                        mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/hors-ligne")
def offline():
    """Shown instead of a page that was not kept on the phone, when there is no network."""
    return render_template("pwa/offline.html")


@bp.route("/session/etat")
@login_required
def session_state():
    """Who is signed in and a fresh CSRF token, for the outbox before it replays."""
    return jsonify(user=current_user.id, csrf=generate_csrf())
