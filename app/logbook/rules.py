"""Pure rules of the logbook (no clock, no database): Paris time, periods, overdue checks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app.timeutil import PARIS, to_paris

#: A flat not checked for more than this many days is flagged, unless the team says otherwise.
DEFAULT_CHECK_EVERY_DAYS = 90


def paris_to_utc(moment: datetime) -> datetime:
    """A naive Paris wall-clock datetime as the naive UTC datetime stored in the database."""
    return moment.replace(tzinfo=PARIS).astimezone(UTC).replace(tzinfo=None)


def utc_to_paris_naive(moment: datetime) -> datetime:
    """A stored naive UTC datetime as the naive Paris wall clock (what a form shows)."""
    return to_paris(moment).replace(tzinfo=None)


def day_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """UTC instants [from, to) covering the Paris days `start` to `end`, both included."""
    lower = paris_to_utc(datetime.combine(start, time.min)) if start else None
    upper = paris_to_utc(datetime.combine(end + timedelta(days=1), time.min)) if end else None
    return lower, upper


@dataclass(frozen=True)
class CheckStatus:
    """Where a flat stands with its contrôles du savoir-habiter on a given day."""

    last_checked_on: date | None  #: the last check, None if never checked
    due_on: date | None  #: the day after which the flat is overdue (None if never checked)
    days_since: int | None  #: days since the last check
    overdue: bool  #: not checked for more than `every_days` days
    never: bool  #: never checked at all

    @property
    def flagged(self) -> bool:
        """Whether the flat needs a check (overdue, or never checked)."""
        return self.overdue or self.never

    @property
    def label(self) -> str:
        """A short French phrase for lists."""
        if self.never:
            return "Jamais contrôlé"
        if self.overdue:
            return f"Contrôle en retard ({self.days_since} jours)"
        return f"Prochain contrôle avant le {self.due_on:%d/%m/%Y}"


def check_status(last_checked_on: date | None, today: date,
                 every_days: int = DEFAULT_CHECK_EVERY_DAYS) -> CheckStatus:
    """A flat checked on `last_checked_on` is overdue once more than `every_days` days passed:
    checked 90 days ago is still on time, 91 days ago is overdue (with the default)."""
    if last_checked_on is None:
        return CheckStatus(None, None, None, False, True)
    days = (today - last_checked_on).days
    return CheckStatus(last_checked_on, last_checked_on + timedelta(days=every_days), days,
                       days > every_days, False)
