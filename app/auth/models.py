"""Accounts: sites, teams, users, memberships (a role per team) and invitations."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.programmes import PROGRAMMES, ROLES
from app.timeutil import utcnow


class Site(db.Model):
    """A place the association works from (an office, a town)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)  #: e.g. "Toulouse — Minimes"
    city: Mapped[str] = mapped_column(String(120))  #: town, for display

    teams: Mapped[list[Team]] = relationship(back_populates="site", order_by="Team.name")


class Team(db.Model):
    """A team running one programme on one site; the unit of data scoping."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)  #: e.g. "IML Toulouse"
    programme: Mapped[str] = mapped_column(String(20))  #: a key of app.programmes.PROGRAMMES
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))

    site: Mapped[Site | None] = relationship(back_populates="teams")
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="team", cascade="all, delete-orphan"
    )

    @property
    def programme_label(self) -> str:
        """The programme's French name."""
        return PROGRAMMES.get(self.programme, self.programme)


class User(UserMixin, db.Model):
    """A person who signs in. Rights come only from memberships."""

    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  #: stored lower-case
    display_name: Mapped[str] = mapped_column(String(120))  #: "Prénom Nom" as shown to colleagues
    password_hash: Mapped[str | None] = mapped_column(String(255))  #: Argon2id, None = no password
    active: Mapped[bool] = mapped_column(default=True)  #: False once an admin deactivates the account
    #: Bumped to end every open session of this person (deactivation, reset, password change).
    session_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    #: Loaded with the signed-in person (`load_user`) and on access for anyone else: a list
    #: of visits or households names many people whose rights nobody reads.
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Flask-Login: the session holds id and session_version, so bumping the version signs out.
    def get_id(self) -> str:
        """The session identifier: id and session version."""
        return f"{self.id}.{self.session_version}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        """Deactivated accounts cannot sign in nor keep a session."""
        return self.active

    def roles_in(self, team_id: int) -> str | None:
        """This person's role in a team, or None."""
        for m in self.memberships:
            if m.team_id == team_id:
                return m.role
        return None

    def has_role(self, *roles: str) -> bool:
        """Whether this person holds one of `roles` in at least one team."""
        return any(m.role in roles for m in self.memberships)

    @property
    def is_admin(self) -> bool:
        """Admins manage accounts, teams and invitations."""
        return self.has_role("admin")

    @property
    def first_name(self) -> str:
        """The first word of the display name, for greetings."""
        return self.display_name.split()[0] if self.display_name else ""


class Membership(db.Model):
    """A person's role in one team."""

    __table_args__ = (UniqueConstraint("user_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))  #: a key of app.programmes.ROLES
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    team: Mapped[Team] = relationship(back_populates="memberships", lazy="joined")

    @property
    def role_label(self) -> str:
        """The role's French name."""
        return ROLES.get(self.role, self.role)


class Invitation(db.Model):
    """A one-time link letting a new person create their account in a team with a role."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  #: sha256 of the link token
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    team: Mapped[Team] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()

    def state(self, now: datetime) -> str:
        """'acceptée', 'révoquée', 'expirée' or 'en attente' at `now`."""
        if self.accepted_at:
            return "acceptée"
        if self.revoked_at:
            return "révoquée"
        if now >= self.expires_at:
            return "expirée"
        return "en attente"

    @property
    def role_label(self) -> str:
        """The role's French name."""
        return ROLES.get(self.role, self.role)


class PasskeyCredential(db.Model):
    """A passkey (WebAuthn discoverable credential) a person registered to sign in.

    Only what verification needs is kept: no attestation, no device details.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    #: Raw credential id chosen by the authenticator (at most 1023 bytes).
    credential_id: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    #: COSE-encoded public key, as returned at registration.
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    #: Last signature counter seen; 0 for authenticators that do not count (synced passkeys).
    sign_count: Mapped[int] = mapped_column(default=0)
    #: Random WebAuthn user handle (never the e-mail nor the row id); the same for all of a
    #: person's passkeys so an authenticator replaces rather than duplicates them.
    user_handle: Mapped[bytes] = mapped_column(LargeBinary)
    backup_eligible: Mapped[bool] = mapped_column(default=False)  #: may be synced (multi-device)
    backed_up: Mapped[bool] = mapped_column(default=False)  #: is synced now (last flags seen)
    #: How the browser can reach the authenticator, e.g. "internal,hybrid".
    transports: Mapped[str | None] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(60))  #: given by the person, e.g. "Téléphone pro"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @property
    def transport_list(self) -> list[str]:
        """Transports as a list, for WebAuthn descriptors."""
        return [t for t in (self.transports or "").split(",") if t]


class WebAuthnChallenge(db.Model):
    """A challenge handed to a browser for one passkey ceremony: single use, short-lived.

    Kept server-side (not only in the signed cookie) so that a used challenge is gone for
    good: replaying an old cookie or an old response cannot bring it back.
    """

    __tablename__ = "webauthn_challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge: Mapped[str] = mapped_column(String(100), unique=True)  #: base64url, 32 random bytes
    purpose: Mapped[str] = mapped_column(String(20))  #: "register" or "login"
    #: The person registering (None for a sign-in: nobody is known yet).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SecurityPolicy(db.Model):
    """Association-wide account security settings (a single row, created on first change)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Coordinators and admins must have a passkey before using the app.
    passkey_required_for_leads: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime | None]
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))


class LoginSession(db.Model):
    """One signed-in browser. The cookie holds only its random id; signing out ends the row,
    so a copy of the old cookie (or a late response re-setting it) no longer signs anyone in."""

    id: Mapped[str] = mapped_column(String(43), primary_key=True)  #: random, url-safe
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    #: "logout", "expired", "revoked" (password change, deactivation, admin reset)
    end_reason: Mapped[str | None] = mapped_column(String(20))
    user_agent: Mapped[str | None] = mapped_column(String(200))
