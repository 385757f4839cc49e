"""Sign-in throttling, read from the audit trail (so it holds across several workers).

Per account (the e-mail typed, whether an account exists or not, so the answers never tell):
  - every `LOGIN_MAX_FAILURES` failures (5) since the last success, within a day, start a
    pause: `LOGIN_WINDOW` (15 minutes) after the first series, doubling at each further series
    (30 min, 1 h, 2 h…) up to `LOGIN_MAX_PAUSE`: a growing delay;
  - never more than `LOGIN_MAX_FAILURES_PER_HOUR` (100) failures in an hour, whatever the
    settings above.
Per network address: `LOGIN_MAX_FAILURES_PER_IP` (20) failures within `LOGIN_WINDOW` block that
address for the rest of the window (one machine trying many accounts).

A refused attempt checks no password (same cost for every account) and is recorded as
`auth.login_throttled`, not as a failure, so waiting always ends the pause.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Verdict:
    """Whether a sign-in attempt may go ahead; if not, why and for how long."""

    blocked: bool
    reason: str | None = None  #: "account", "hour" or "address"
    retry_after: timedelta | None = None

    @property
    def message(self) -> str:
        """The French sentence shown on the sign-in page (the same for every reason)."""
        minutes = max(1, math.ceil((self.retry_after or timedelta()).total_seconds() / 60))
        unit = "minute" if minutes == 1 else "minutes"
        return (f"Trop de tentatives de connexion. Réessayez dans {minutes} {unit}, "
                "ou connectez-vous avec une clé d'accès.")


OPEN = Verdict(False)


def pause_after(series: int) -> timedelta:
    """How long sign-in stays paused after the `series`-th run of failures (1, 2, 3…)."""
    cfg = current_app.config
    pause = cfg["LOGIN_WINDOW"] * (2 ** (series - 1))
    return min(pause, cfg["LOGIN_MAX_PAUSE"])


def account_verdict(failures: list[datetime], now: datetime) -> Verdict:
    """The rule for one account, from its failures since the last success (oldest first)."""
    cfg = current_app.config
    per_hour = [t for t in failures if t > now - HOUR]
    if len(per_hour) >= cfg["LOGIN_MAX_FAILURES_PER_HOUR"]:
        oldest = per_hour[-cfg["LOGIN_MAX_FAILURES_PER_HOUR"]]
        return Verdict(True, "hour", oldest + HOUR - now)
    series = len(failures) // cfg["LOGIN_MAX_FAILURES"]
    if series:
        ended_at = failures[series * cfg["LOGIN_MAX_FAILURES"] - 1]
        until = ended_at + pause_after(series)
        if now < until:
            return Verdict(True, "account", until - now)
    return OPEN


def check(email: str, ip: str | None, now: datetime) -> Verdict:
    """Whether a sign-in for `email` from `ip` may be tried at `now`."""
    cfg = current_app.config
    if ip:
        since = now - cfg["LOGIN_WINDOW"]
        from_ip = list(db.session.scalars(
            select(AuditEvent.at).where(AuditEvent.action == "auth.login_failed",
                                        AuditEvent.ip == ip, AuditEvent.at > since)
            .order_by(AuditEvent.at.desc()).limit(cfg["LOGIN_MAX_FAILURES_PER_IP"])))
        if len(from_ip) >= cfg["LOGIN_MAX_FAILURES_PER_IP"]:
            return Verdict(True, "address", from_ip[-1] + cfg["LOGIN_WINDOW"] - now)
    last_success = db.session.scalar(
        select(func.max(AuditEvent.at)).where(AuditEvent.action == "auth.login",
                                              AuditEvent.subject == email,
                                              AuditEvent.at > now - DAY))
    since = max(last_success or now - DAY, now - DAY)
    failures = list(db.session.scalars(
        select(AuditEvent.at).where(AuditEvent.action == "auth.login_failed",
                                    AuditEvent.subject == email, AuditEvent.at > since,
                                    AuditEvent.at <= now)
        .order_by(AuditEvent.at)))
    return account_verdict(failures, now)
