"""Static files under content-hashed URLs (`?v=<hash>`), cacheable for a year.

The service worker precaches these same URLs; since they carry their version, Workbox fetches
them with the browser's HTTP cache allowed, so a first visit downloads each file once.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, current_app, has_request_context, request, url_for

_HASHES: dict[str, str] = {}
_URLS: dict[tuple[str, str], str] = {}


def file_hash(filename: str) -> str:
    """A short content hash of a file of the static folder (cached unless debugging)."""
    if filename not in _HASHES or current_app.debug:
        path = Path(current_app.static_folder) / filename
        _HASHES[filename] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return _HASHES[filename]


def asset(filename: str) -> str:
    """The versioned URL of a static file (built once per mount point unless debugging:
    every page's layout asks for a dozen)."""
    key = (request.script_root if has_request_context() else "", filename)
    url = _URLS.get(key)
    if url is None or current_app.debug:
        url = _URLS[key] = url_for("static", filename=filename, v=file_hash(filename))
    return url


def init_app(app: Flask) -> None:
    """Expose `asset()` to templates; versioned static URLs are immutable."""
    app.jinja_env.globals["asset"] = asset

    @app.after_request
    def immutable_assets(response):
        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            response.cache_control.public = True
            response.cache_control.max_age = 31536000
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
        return response
