"""Users, teams, roles, invitations and sessions."""
from __future__ import annotations

from flask import Flask, jsonify, redirect, request, session, url_for
from flask_login import current_user

from app.extensions import db, login_manager


def wants_json() -> bool:
    """Whether the caller is a script (fetch, outbox) rather than a page navigation."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > \
        request.accept_mimetypes["text/html"]


def init_app(app: Flask) -> None:
    """Wire Flask-Login to our users and session rules."""
    from sqlalchemy.orm import joinedload

    from app.auth import sessions
    from app.auth.models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"

    @login_manager.user_loader
    def load_user(ident: str):
        uid, _, version = ident.partition(".")
        if not uid.isdigit():
            return None
        # One statement for the person, their memberships and teams (read on every request).
        user = db.session.get(User, int(uid), options=[joinedload(User.memberships)])
        if user is None or not user.active or str(user.session_version) != version:
            return None
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        target = url_for("auth.login", next=request.full_path.rstrip("?"))
        if request.headers.get("HX-Request") == "true":
            return "", 401, {"HX-Redirect": target}
        if wants_json() or request.method not in ("GET", "HEAD"):
            return jsonify(error="Session expirée : reconnectez-vous.", login=target), 401
        if not session.get("expired"):
            session["login_hint"] = "Connectez-vous pour accéder à cette page."
        return redirect(target)

    sessions.init_app(app)
    # Keep the type checker honest about current_user being used by templates.
    app.jinja_env.globals.setdefault("current_user", current_user)
