"""Alerts, notifications, push subscriptions and preferences; each alert and notification has a
unique key so two schedulers running at once never make or send the same one twice."""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timeutil import utcnow

#: urgency code -> (rank for sorting, French label)
URGENCIES = {"urgent": (0, "Urgent"), "soon": (1, "Bientôt"), "later": (2, "À venir")}

STATES = {"open": "À traiter", "ack": "Vue", "resolved": "Résolue"}


class Alert(db.Model):
    """Something a person must not miss, made by a rule from the data and kept until resolved."""

    # "My alerts" filter on person, state and team: all three in one index, or SQLite (no
    # statistics) may pick the team's index and read every alert of the team. The dashboard
    # counts a team's open alerts per urgency from its index alone (migration
    # 0017_page_indexes); both still serve the (user, state) and (team, state) reads.
    __table_args__ = (Index("ix_alert_user_state_team", "user_id", "state", "team_id"),
                      Index("ix_alert_team_state_urgency", "team_id", "state", "urgency",
                            "snoozed_until"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "<rule>:<object type>:<object id>:<due day>:<first recipient id>": one row per cause
    key: Mapped[str] = mapped_column(String(200), unique=True)
    rule: Mapped[str] = mapped_column(String(40))  #: a code of app.alerts.rules.RULES
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    object_type: Mapped[str] = mapped_column(String(40))  #: contract, visit, household, shift...
    object_id: Mapped[int]
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id",
                                                                ondelete="CASCADE"))
    due_on: Mapped[date]  #: the day the deadline falls (or fell)
    label: Mapped[str] = mapped_column(String(300))  #: French sentence, shown only in the app
    urgency: Mapped[str] = mapped_column(String(10))  #: a key of URGENCIES
    stage: Mapped[str] = mapped_column(String(20))  #: e.g. "j60", "j30", "j7": a new stage re-opens
    #: Who the alert is for now (the rule's recipient, or the colleague it was assigned to).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(10), default="open")  #: a key of STATES
    snoozed_until: Mapped[date | None]  #: hidden and silent until this day
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                  ondelete="SET NULL"))
    acknowledged_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]  #: the cause went away (lease renewed, report written)

    user = relationship("User", foreign_keys=[user_id], lazy="joined")
    team = relationship("Team", lazy="joined")

    @property
    def urgency_rank(self) -> int:
        """0 for the most urgent."""
        return URGENCIES[self.urgency][0]

    @property
    def urgency_label(self) -> str:
        """The urgency in French."""
        return URGENCIES[self.urgency][1]


class Notification(db.Model):
    """One push owed to one person for one alert stage (or a digest); sent at most once."""

    __table_args__ = (Index("ix_notification_pending", "status", "deliver_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "<alert key>|<stage>[r<snoozed until>]|<user id>": inserted by exactly one scheduler,
    #: the one that sends it; an open alert with no row for its key still owes one
    key: Mapped[str] = mapped_column(String(240), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id", ondelete="SET NULL"))
    rule: Mapped[str] = mapped_column(String(40))
    urgent: Mapped[bool] = mapped_column(default=False)  #: may wake the phone at night
    #: pending -> sending -> sent | no_device | failed (or back to pending: retry, expired
    #: claim); muted when the kind is switched off
    status: Mapped[str] = mapped_column(String(12), default="pending")
    deliver_after: Mapped[datetime]  #: quiet hours and the daily digest push this back
    claim: Mapped[str | None] = mapped_column(String(32))  #: token of the scheduler sending it
    #: When `claim` was taken: a claim older than services.CLAIM_LEASE is released (its
    #: scheduler died before recording the result) and the notification queued again.
    claimed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class PushSubscription(db.Model):
    """One browser's push subscription (a device of a person)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)  #: the push service URL
    p256dh: Mapped[str] = mapped_column(String(200))  #: the browser's public key (base64url)
    auth: Mapped[str] = mapped_column(String(100))  #: the browser's auth secret (base64url)
    device: Mapped[str | None] = mapped_column(String(120))  #: "Android, Chrome", for the list
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sent_at: Mapped[datetime | None]


class PushPreference(db.Model):
    """A person's notification choices: kinds switched off, quiet hours, daily digest."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         unique=True)
    muted_rules: Mapped[list] = mapped_column(JSON, default=list)  #: rule codes not pushed
    quiet_start: Mapped[time | None] = mapped_column(default=time(20, 0))  #: Paris time
    quiet_end: Mapped[time | None] = mapped_column(default=time(8, 0))
    digest: Mapped[bool] = mapped_column(default=False)  #: non-urgent pushes once a day
    digest_at: Mapped[time] = mapped_column(default=time(8, 0))  #: Paris time


class AlertSetting(db.Model):
    """A team's lead time for one rule (days, or hours for the hour-based rules)."""

    __table_args__ = (UniqueConstraint("team_id", "rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(40))
    lead: Mapped[int]  #: in the rule's unit (see Rule.unit)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id",
                                                                 ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
