"""Account use cases. Each takes an explicit actor and `now`, and commits one transaction."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, has_request_context, request
from sqlalchemy import func, select, update

from app.audit.services import record
from app.auth import throttle
from app.auth.models import Invitation, LoginSession, Membership, Team, User
from app.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from app.extensions import db
from app.programmes import ROLES


class AccountError(ValueError):
    """A refused account operation; the message is French and meant for the person."""


def normalize_email(email: str) -> str:
    """Trim and lower-case an address (addresses are compared case-insensitively)."""
    return (email or "").strip().lower()


@dataclass
class SignIn:
    """Outcome of a sign-in attempt: a user, or a French error message."""

    user: User | None
    error: str | None = None


def authenticate(email: str, password: str, *, now: datetime) -> SignIn:
    """Check an e-mail and password, with throttling; audits every outcome and commits."""
    email = normalize_email(email)
    verdict = throttle.check(email, request.remote_addr if has_request_context() else None, now)
    if verdict.blocked:
        # No password is checked while paused: the same (short) cost for every account.
        record("auth.login_throttled", subject=email, detail={"reason": verdict.reason},
               now=now)
        db.session.commit()
        return SignIn(None, verdict.message)

    user = db.session.scalar(select(User).where(User.email == email))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None:
        record("auth.login_failed", actor=user, subject=email, now=now)
        db.session.commit()
        return SignIn(None, "Adresse e-mail ou mot de passe incorrect.")
    if not user.active:
        record("auth.login_failed", actor=user, subject=email, detail={"reason": "inactive"}, now=now)
        db.session.commit()
        return SignIn(None, "Ce compte est désactivé. Adressez-vous à votre administrateur·rice.")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    record("auth.login", actor=user, subject=email, now=now)
    db.session.commit()
    return SignIn(user)


def change_password(user: User, current: str, new: str, *, now: datetime) -> None:
    """Replace a password after checking the current one; other sessions are signed out."""
    if not verify_password(user.password_hash, current):
        raise AccountError("Le mot de passe actuel est incorrect.")
    problem = password_problem(new, user.email, user.display_name)
    if problem:
        raise AccountError(problem)
    user.password_hash = hash_password(new)
    user.session_version += 1
    revoke_sessions(user, "password", now)
    record("auth.password_changed", actor=user, object_type="user", object_id=user.id, now=now)
    db.session.commit()


def revoke_sessions(user: User, reason: str, now: datetime) -> int:
    """End every open sign-in session of `user` (the caller commits); returns how many."""
    result = db.session.execute(
        update(LoginSession).where(LoginSession.user_id == user.id,
                                   LoginSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason))
    return result.rowcount or 0


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(actor: User, email: str, team: Team, role: str, *, now: datetime
                      ) -> tuple[Invitation, str]:
    """Invite a new person into a team with a role; returns the invitation and its secret token."""
    email = normalize_email(email)
    if role not in ROLES:
        raise AccountError("Rôle inconnu.")
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise AccountError(
            "Un compte existe déjà avec cette adresse : ajoutez-lui une équipe depuis sa fiche."
        )
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        team=team,
        role=role,
        token_hash=_token_hash(token),
        created_by_id=actor.id,
        created_at=now,
        expires_at=now + current_app.config["INVITATION_TTL"],
    )
    db.session.add(invitation)
    db.session.flush()
    record("invitation.create", actor=actor, object_type="invitation", object_id=invitation.id,
           team_id=team.id, subject=email, detail={"role": role}, now=now)
    db.session.commit()
    return invitation, token


def find_invitation(token: str, *, now: datetime) -> Invitation:
    """The pending invitation behind a link token, or AccountError saying why it cannot be used."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == _token_hash(token or ""))
    )
    if invitation is None:
        raise AccountError("Ce lien d'invitation n'est pas valable.")
    state = invitation.state(now)
    if state == "acceptée":
        raise AccountError("Ce lien d'invitation a déjà servi. Connectez-vous avec votre compte.")
    if state == "révoquée":
        raise AccountError("Cette invitation a été annulée. Demandez-en une nouvelle.")
    if state == "expirée":
        raise AccountError("Ce lien d'invitation a expiré. Demandez-en un nouveau.")
    return invitation


def accept_invitation(token: str, display_name: str, password: str, *, now: datetime) -> User:
    """Create the invited person's account and membership; the link then stops working."""
    invitation = find_invitation(token, now=now)
    display_name = (display_name or "").strip()
    if not display_name:
        raise AccountError("Indiquez votre nom.")
    problem = password_problem(password, invitation.email, display_name)
    if problem:
        raise AccountError(problem)
    if db.session.scalar(select(User.id).where(User.email == invitation.email)):
        raise AccountError("Un compte existe déjà avec cette adresse. Connectez-vous.")
    user = User(email=invitation.email, display_name=display_name,
                password_hash=hash_password(password), created_at=now)
    user.memberships.append(Membership(team_id=invitation.team_id, role=invitation.role,
                                       created_at=now))
    invitation.accepted_at = now
    db.session.add(user)
    db.session.flush()
    record("invitation.accept", actor=user, object_type="invitation", object_id=invitation.id,
           team_id=invitation.team_id, now=now)
    db.session.commit()
    return user


def revoke_invitation(actor: User, invitation: Invitation, *, now: datetime) -> None:
    """Cancel a pending invitation so its link no longer works."""
    if invitation.state(now) != "en attente":
        raise AccountError("Seule une invitation en attente peut être annulée.")
    invitation.revoked_at = now
    record("invitation.revoke", actor=actor, object_type="invitation", object_id=invitation.id,
           team_id=invitation.team_id, now=now)
    db.session.commit()


def set_active(actor: User, user: User, active: bool, *, now: datetime) -> None:
    """Deactivate (ending every session) or reactivate an account."""
    if user.id == actor.id and not active:
        raise AccountError("Vous ne pouvez pas désactiver votre propre compte.")
    if user.active == active:
        return
    user.active = active
    if not active:
        user.session_version += 1
        revoke_sessions(user, "deactivated", now)
    record("user.reactivate" if active else "user.deactivate", actor=actor,
           object_type="user", object_id=user.id, now=now)
    db.session.commit()


def add_membership(actor: User, user: User, team: Team, role: str, *, now: datetime) -> None:
    """Give a person a role in a team (replacing the role they had there)."""
    if role not in ROLES:
        raise AccountError("Rôle inconnu.")
    existing = next((m for m in user.memberships if m.team_id == team.id), None)
    if existing:
        if existing.role == role:
            raise AccountError("Cette personne a déjà ce rôle dans cette équipe.")
        existing.role = role
    else:
        user.memberships.append(Membership(team=team, role=role, created_at=now))
    record("membership.add", actor=actor, object_type="user", object_id=user.id,
           team_id=team.id, detail={"role": role}, now=now)
    db.session.commit()


def remove_membership(actor: User, membership: Membership, *, now: datetime) -> None:
    """Take a person out of a team. The last admin cannot remove their own admin role."""
    if membership.role == "admin" and membership.user_id == actor.id:
        others = db.session.scalar(
            select(func.count(Membership.id)).where(Membership.role == "admin",
                                                    Membership.user_id != actor.id)
        )
        if not others:
            raise AccountError("Il doit rester au moins un·e administrateur·rice.")
    user = membership.user
    record("membership.remove", actor=actor, object_type="user", object_id=user.id,
           team_id=membership.team_id, detail={"role": membership.role}, now=now)
    # Memberships are reloaded on every request, so the rights shrink at the next click.
    user.memberships.remove(membership)
    db.session.commit()
