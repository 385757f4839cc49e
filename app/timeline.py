"""A household's timeline: every feature contributes its dated events through one registry.

A provider is a function `(household, user) -> Iterable[TimelineEvent]`; it must only return
what `user` may see (it receives a household the user was already allowed to open).
Register with the `@provider` decorator at import time of the feature's module.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

#: kind -> French label, for filters and badges; features add theirs with `register_kind`.
KINDS: dict[str, str] = {}


@dataclass(frozen=True)
class TimelineEvent:
    """One dated thing that happened to (or is planned for) a household."""

    when: datetime | date  #: naive UTC datetime, or a calendar date (shown without a time)
    kind: str  #: a key of KINDS, e.g. "note", "right", "goal", "contract"
    title: str  #: short French sentence, e.g. "Droit APL accordé"
    detail: str | None = None  #: one more line, already safe to show to this user
    url: str | None = None  #: where to read more
    author: str | None = None  #: who did it, display name
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def sort_key(self) -> datetime:
        """Dates sort as midnight of that day."""
        if isinstance(self.when, datetime):
            return self.when
        return datetime.combine(self.when, time.min)

    @property
    def has_time(self) -> bool:
        """Whether `when` carries a time of day."""
        return isinstance(self.when, datetime)


Provider = Callable[[object, object], Iterable[TimelineEvent]]
_PROVIDERS: list[Provider] = []


def provider(fn: Provider) -> Provider:
    """Register a timeline provider (idempotent)."""
    if fn not in _PROVIDERS:
        _PROVIDERS.append(fn)
    return fn


def register_kind(kind: str, label: str) -> None:
    """Declare an event kind and its French label."""
    KINDS.setdefault(kind, label)


def events_for(household, user, kinds: set[str] | None = None) -> list[TimelineEvent]:
    """Every provider's events for a household, newest first, optionally only some kinds."""
    events = [e for p in _PROVIDERS for e in p(household, user)
              if kinds is None or e.kind in kinds]
    return sorted(events, key=lambda e: e.sort_key, reverse=True)
