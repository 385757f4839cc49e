"""Session rules: Secure cookie over HTTPS, idle and absolute timeouts, session revocation."""
from __future__ import annotations

import secrets
import time
from datetime import timedelta

from flask import Flask, current_app, g, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from app.audit.services import record
from app.auth.models import LoginSession
from app.extensions import db
from app.timeutil import utcnow

#: A session ends this long after sign-in whatever the activity (default of ABSOLUTE_TIMEOUT).
ABSOLUTE_LIFETIME = timedelta(hours=12)


class TerrainSessionInterface(SecureCookieSessionInterface):
    """Marks the cookie Secure whenever the request itself came over HTTPS."""

    def should_set_cookie(self, app: Flask, session) -> bool:
        """Never for a background prefetch: its late answer would overwrite a newer cookie."""
        if has_request_context() and is_prefetch():
            return False
        return super().should_set_cookie(app, session)

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured, or when this request is HTTPS."""
        return bool(app.config["SESSION_COOKIE_SECURE"]
                    or (has_request_context() and request.is_secure))


def is_prefetch() -> bool:
    """Whether this request is the service worker keeping a page for offline reading."""
    return request.headers.get("X-Terrain-Prefetch") == "1"


def session_expired(started: float | None, seen: float | None, now: float,
                    idle: timedelta, absolute: timedelta = ABSOLUTE_LIFETIME) -> bool:
    """Whether a session started at `started`, last used at `seen`, is over at `now` (epoch s)."""
    if started is None or seen is None:
        return True
    return now - seen > idle.total_seconds() or now - started > absolute.total_seconds()


def start_session(user) -> None:
    """Sign `user` in on a fresh session (no data carried over from before sign-in)."""
    end_session("logout")
    login_user(user)
    now = time.time()
    row = LoginSession(id=secrets.token_urlsafe(32), user_id=user.id, created_at=utcnow(),
                       last_seen_at=utcnow(),
                       user_agent=(request.user_agent.string or "")[:200] or None)
    db.session.add(row)
    db.session.commit()
    session["sid"] = row.id
    session["t0"] = now
    session["seen"] = now
    # The CSRF secret is made now, in the sign-in answer: otherwise the first page and the
    # outbox's /session/etat, fetched at the same moment, would each make one and the cookie
    # set last would invalidate the token the page carries. The sign-in form already made a
    # token from the old secret and cached it in `g`: drop it so a new secret is stored.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    generate_csrf()


def end_session(reason: str = "logout") -> None:
    """Sign out: end the server-side session row and forget everything the cookie held."""
    sid = session.get("sid")
    if sid:
        row = db.session.get(LoginSession, sid)
        if row is not None and row.ended_at is None:
            row.ended_at, row.end_reason = utcnow(), reason
            db.session.commit()
    logout_user()
    session.clear()


def session_is_live(user) -> bool:
    """Whether the cookie's session row exists, belongs to this user and has not ended."""
    sid = session.get("sid")
    row = db.session.get(LoginSession, sid) if sid else None
    return row is not None and row.ended_at is None and row.user_id == user.id


def init_app(app: Flask) -> None:
    """Install the cookie interface and the timeout check."""
    app.session_interface = TerrainSessionInterface()

    @app.context_processor
    def prefetch_flag():
        return {"prefetch": is_prefetch()}

    @app.before_request
    def enforce_timeouts():
        if request.endpoint in (None, "static") or not current_user.is_authenticated:
            return None
        now = time.time()
        if not session_is_live(current_user):
            # Signed out elsewhere, or an old copy of the cookie: not a session any more.
            logout_user()
            session.clear()
            from app.extensions import login_manager

            return login_manager.unauthorized()
        if session_expired(session.get("t0"), session.get("seen"), now, app.config["IDLE_TIMEOUT"],
                           app.config["ABSOLUTE_TIMEOUT"]):
            record("auth.session_expired", actor=current_user)
            db.session.commit()
            end_session("expired")
            session["expired"] = True  # tells the sign-in page to explain why
            from app.extensions import login_manager

            return login_manager.unauthorized()
        if not is_prefetch():  # fetching pages for later is not the person being active
            session["seen"] = now
        return None
