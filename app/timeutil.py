"""One clock for the whole app: naive UTC datetimes in the database, Paris time on screen."""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def utcnow() -> datetime:
    """The current instant as a naive UTC datetime (the form stored in the database)."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_paris(value: datetime) -> datetime:
    """A stored naive-UTC datetime as an aware Europe/Paris datetime."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(PARIS)


def today_paris(now: datetime | None = None):
    """The calendar day in Paris at `now` (naive UTC), the day a worker thinks in."""
    return to_paris(now or utcnow()).date()
