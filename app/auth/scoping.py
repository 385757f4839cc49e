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
    """Load one row the user may see, else audit the attempt and answer 404.

    A row of an archived case file (the household itself, or a row naming it) also needs the
    archive grant of its team (`archive_closed`).
    """
    obj = db.session.get(model, ident)
    if obj is None or getattr(obj, team_attr) not in team_ids(user, roles) \
            or archive_closed(user, obj, getattr(obj, team_attr)):
        deny(user, model.__tablename__, ident)
    return obj


def household_id_of(obj) -> int | None:
    """The case file a row belongs to: a household's own id, or the row's `household_id`."""
    if getattr(obj, "__tablename__", None) == "household":
        return obj.id
    return getattr(obj, "household_id", None)


def archive_closed(user, obj, team_id: int | None) -> bool:
    """Whether `obj` belongs to an archived case file that `user` may not read: archived
    files are read only by the people an admin authorised for the team (app/privacy)."""
    household_id = household_id_of(obj)
    if household_id is None:
        return False
    from app.privacy.models import HouseholdArchive
    from app.privacy.services import archive_reader_team_ids

    state = db.session.get(HouseholdArchive, household_id)
    if state is None or state.archived_at is None:
        return False
    return team_id not in archive_reader_team_ids(user)



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
