"""Pure rules of the permanence: calendar, staffing, newcomers, sign-up window, queue states.

No database here: functions take plain values (or rows already loaded) and return values, so
they are tested at their boundaries without a session.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from dateutil.easter import easter

from app.permanences import vocab


def french_holidays(year: int) -> dict[date, str]:
    """The French public holidays (jours fériés, métropole) of a year: day -> name."""
    e = easter(year)
    return {
        date(year, 1, 1): "Jour de l'an",
        e + timedelta(days=1): "Lundi de Pâques",
        date(year, 5, 1): "Fête du travail",
        date(year, 5, 8): "Victoire 1945",
        e + timedelta(days=39): "Ascension",
        e + timedelta(days=50): "Lundi de Pentecôte",
        date(year, 7, 14): "Fête nationale",
        date(year, 8, 15): "Assomption",
        date(year, 11, 1): "Toussaint",
        date(year, 11, 11): "Armistice 1918",
        date(year, 12, 25): "Noël",
    }


def holiday_name(day: date) -> str | None:
    """The name of the public holiday on `day`, if it is one."""
    return french_holidays(day.year).get(day)


def days_between(start: date, end: date) -> Iterable[date]:
    """Every day from `start` to `end`, both included."""
    for n in range((end - start).days + 1):
        yield start + timedelta(days=n)


def occurrences(schedules, start: date, end: date) -> list[tuple[object, date]]:
    """(schedule, day) for every day in [start, end] a schedule gives a session, by day."""
    out = [(s, d) for d in days_between(start, end) for s in schedules if s.applies_on(d)]
    return sorted(out, key=lambda pair: (pair[1], pair[0].starts_at))


def signup_window(today: date, weeks: int) -> tuple[date, date]:
    """The first and last days (both included) of the sessions one may sign up for."""
    return today, today + timedelta(weeks=weeks)


def closure_reason(day: date, closures) -> tuple[object | None, str | None]:
    """The closure covering `day` (first found) and its reason, else (None, None)."""
    for c in closures:
        if c.start_on <= day <= c.end_on:
            return c, c.reason
    return None, None


# -- Staffing ---------------------------------------------------------------------------------


def _slot(role: str, language: str | None) -> tuple[str, str | None]:
    # Only interpreters are told apart by language.
    return (role, language if role == "interprete" else None)


@dataclass(frozen=True)
class Slot:
    """One need of a session and how far it is filled."""

    role: str
    language: str | None
    needed: int
    filled: int

    @property
    def missing(self) -> int:
        """People still needed (0 when full or over)."""
        return max(0, self.needed - self.filled)

    @property
    def label(self) -> str:
        """'Interprète (arabe)'."""
        text = vocab.SESSION_ROLES.get(self.role, self.role)
        return f"{text} ({vocab.language_label(self.language)})" if self.language else text


@dataclass(frozen=True)
class Staffing:
    """How a session is staffed: each need, and whether only newcomers are signed up."""

    slots: tuple[Slot, ...]
    signed_up: int  #: active shifts, all roles (including ones the session did not ask for)
    experienced: int  #: of which experienced people (staff, or volunteers past the threshold)
    extra: tuple[tuple[str, str | None], ...] = field(default_factory=tuple)

    @property
    def needed(self) -> int:
        """People the session asks for."""
        return sum(s.needed for s in self.slots)

    @property
    def missing(self) -> int:
        """People still missing, all roles."""
        return sum(s.missing for s in self.slots)

    @property
    def newcomers_only(self) -> bool:
        """Somebody signed up, but nobody experienced: the rule says this must not stay so."""
        return self.signed_up > 0 and self.experienced == 0

    @property
    def gaps(self) -> list[Slot]:
        """The needs not yet filled."""
        return [s for s in self.slots if s.missing]

    @property
    def short(self) -> bool:
        """Missing people, or staffed by newcomers only."""
        return self.missing > 0 or self.newcomers_only

    def free(self, role: str, language: str | None) -> int:
        """Free places for one role (0 for a role the session does not ask for)."""
        key = _slot(role, language)
        return sum(s.missing for s in self.slots if (s.role, s.language) == key)


def staffing(needs, shifts, newcomer_ids: set[int]) -> Staffing:
    """Compare a session's needs with its active shifts; `newcomer_ids` are user ids."""
    active = [s for s in shifts if s.cancelled_at is None]
    counts: dict[tuple[str, str | None], int] = {}
    for s in active:
        key = _slot(s.role, s.language)
        counts[key] = counts.get(key, 0) + 1
    slots = []
    seen = set()
    for need in needs:
        key = _slot(need.role, need.language)
        seen.add(key)
        slots.append(Slot(key[0], key[1], need.count, counts.get(key, 0)))
    extra = tuple(k for k in counts if k not in seen)
    experienced = sum(1 for s in active if s.user_id not in newcomer_ids)
    return Staffing(tuple(slots), len(active), experienced, extra)


def is_newcomer(*, staff: bool, experienced_flag: bool, done_shifts: int, threshold: int) -> bool:
    """A volunteer who has done fewer than `threshold` shifts and was not marked experienced."""
    return not staff and not experienced_flag and done_shifts < threshold


def newcomer_refusal(current: Staffing, role: str, language: str | None) -> str | None:
    """Why a newcomer may not take this place, or None.

    No session may be staffed by newcomers only: a newcomer cannot take the last free place of
    a session where nobody experienced is signed up yet (it would fill the session that way).
    """
    if current.experienced > 0:
        return None
    free_after = current.missing - (1 if current.free(role, language) else 0)
    if free_after <= 0:
        return ("Aucun·e bénévole expérimenté·e n'est encore inscrit·e sur cette permanence : "
                "la dernière place lui est réservée. Choisissez une autre date ou contactez "
                "la coordination.")
    return None


# -- Queue ------------------------------------------------------------------------------------


def can_move(state: str, to: str) -> bool:
    """Whether an arrival may go from `state` to `to`."""
    return to in vocab.TRANSITIONS.get(state, set())


def queue_order(arrivals) -> list:
    """Waiting first (urgent ones first, then by ticket), then in interview, then done."""
    rank = {"attente": 0, "entretien": 1, "oriente": 2, "parti": 2}
    return sorted(arrivals, key=lambda a: (rank.get(a.state, 3),
                                           not a.urgent if a.state == "attente" else False,
                                           a.ticket))


def month_start(day: date) -> date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def months_back(today: date, count: int) -> list[date]:
    """The first days of the last `count` months, oldest first, ending with today's month."""
    first = month_start(today)
    out = []
    for _ in range(count):
        out.append(first)
        first = month_start(first - timedelta(days=1))
    return list(reversed(out))


def in_window(now: datetime, start: datetime, end: datetime) -> bool:
    """start <= now < end (the end is excluded: access ends at the session's end)."""
    return start <= now < end
