"""Writing to the audit trail. Callers commit with the rest of their transaction."""
from __future__ import annotations

from datetime import datetime

from flask import has_request_context, request

from app.audit.models import AuditEvent
from app.extensions import db
from app.timeutil import utcnow

#: action code -> French label for the journal screen.
ACTION_LABELS = {
    "auth.login": "Connexion",
    "auth.login_failed": "Échec de connexion",
    "auth.login_throttled": "Connexion bloquée (trop d'échecs)",
    "auth.logout": "Déconnexion",
    "auth.session_expired": "Session expirée",
    "auth.password_changed": "Mot de passe changé",
    "invitation.create": "Invitation créée",
    "invitation.accept": "Invitation acceptée",
    "invitation.revoke": "Invitation révoquée",
    "user.deactivate": "Compte désactivé",
    "user.reactivate": "Compte réactivé",
    "membership.add": "Rôle ajouté",
    "membership.remove": "Rôle retiré",
    "access.denied": "Accès refusé",
    "household.list": "Liste des ménages consultée",
    "household.read": "Ménage consulté",
    "audit.read": "Journal d'audit consulté",
}


def record(
    action: str,
    *,
    actor=None,
    object_type: str | None = None,
    object_id: int | None = None,
    team_id: int | None = None,
    subject: str | None = None,
    detail: dict | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Add one audit row to the current transaction (the caller commits)."""
    event = AuditEvent(
        at=now or utcnow(),
        actor_id=getattr(actor, "id", None),
        team_id=team_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        subject=subject,
        ip=request.remote_addr if has_request_context() else None,
        detail=detail,
    )
    db.session.add(event)
    return event


def label(action: str) -> str:
    """The French label of an action code."""
    return ACTION_LABELS.get(action, action)
