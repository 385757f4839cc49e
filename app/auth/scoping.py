"""The one place that decides which teams' data a person may see.

Every query that returns team data goes through `scope()` or `get_scoped_or_404()`; views never
filter by team themselves. A miss is a 404 (we do not confirm that a row exists) and is audited.
"""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import false

from app.audit.services import record
from app.extensions import db
from app.programmes import CASE_ROLES


def team_ids(user, roles: tuple[str, ...] = CASE_ROLES) -> set[int]:
    """Ids of the teams where `user` holds one of `roles` (empty for anonymous or inactive users)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    return {m.team_id for m in user.memberships if m.role in roles}


def scope(stmt, team_column, user, roles: tuple[str, ...] = CASE_ROLES):
    """Restrict a select() to rows whose `team_column` is one of the user's teams for `roles`."""
    ids = team_ids(user, roles)
    if not ids:
        return stmt.where(false())
    return stmt.where(team_column.in_(ids))


def deny(user, object_type: str, ident: int | None):
    """Audit a refused access and answer 404 (never confirm that the record exists)."""
    record("access.denied", actor=user, object_type=object_type, object_id=ident)
    db.session.commit()
    abort(404)


def get_scoped_or_404(model, ident: int, user, roles: tuple[str, ...] = CASE_ROLES,
                      team_attr: str = "team_id"):
    """Load one row the user may see, else audit the attempt and answer 404."""
    obj = db.session.get(model, ident)
    if obj is None or getattr(obj, team_attr) not in team_ids(user, roles):
        deny(user, model.__tablename__, ident)
    return obj


def role_required(*roles: str):
    """View decorator: signed in and holding one of `roles` in some team, else 403 (audited)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from app.extensions import login_manager

                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                record("access.denied", actor=current_user, detail={"view": view.__name__})
                db.session.commit()
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
