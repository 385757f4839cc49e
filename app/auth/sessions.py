"""Session rules: Secure cookie over HTTPS, idle and absolute timeouts, session revocation."""
from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, login_user, logout_user

from app.audit.services import record
from app.extensions import db

#: A session ends this long after sign-in whatever the activity.
ABSOLUTE_LIFETIME = timedelta(hours=12)


class TerrainSessionInterface(SecureCookieSessionInterface):
    """Marks the cookie Secure whenever the request itself came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured, or when this request is HTTPS."""
        return bool(app.config["SESSION_COOKIE_SECURE"]
                    or (has_request_context() and request.is_secure))


def session_expired(started: float | None, seen: float | None, now: float,
                    idle: timedelta, absolute: timedelta = ABSOLUTE_LIFETIME) -> bool:
    """Whether a session started at `started`, last used at `seen`, is over at `now` (epoch s)."""
    if started is None or seen is None:
        return True
    return now - seen > idle.total_seconds() or now - started > absolute.total_seconds()


def start_session(user) -> None:
    """Sign `user` in on a fresh session (no data carried over from before sign-in)."""
    session.clear()
    login_user(user)
    now = time.time()
    session["t0"] = now
    session["seen"] = now


def end_session() -> None:
    """Sign out and forget everything the session held."""
    logout_user()
    session.clear()


def init_app(app: Flask) -> None:
    """Install the cookie interface and the timeout check."""
    app.session_interface = TerrainSessionInterface()

    @app.before_request
    def enforce_timeouts():
        if request.endpoint in (None, "static") or not current_user.is_authenticated:
            return None
        now = time.time()
        if session_expired(session.get("t0"), session.get("seen"), now, app.config["IDLE_TIMEOUT"]):
            record("auth.session_expired", actor=current_user)
            db.session.commit()
            end_session()
            session["expired"] = True  # tells the sign-in page to explain why
            from app.extensions import login_manager

            return login_manager.unauthorized()
        session["seen"] = now
        return None
