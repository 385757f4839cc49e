"""Accounts: sites, teams, users, memberships (a role per team) and invitations."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
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

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
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
