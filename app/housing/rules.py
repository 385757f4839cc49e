"""Housing rules that need only dates and amounts: periods, rent due, balances, vacancy.

Conventions (also in docs/architecture.md, "Logements"):

- A period of N months beginning on day D ends the day before the day with the same number N
  months later; when that month has no such day, it ends on that month's last day. So a
  six-month contract from 1 March ends on 31 August, and one from 31 August ends on the last
  day of February (28 February, or 29 February in a leap year). Renewals count from the first
  start, never from the previous end, so days never drift: 31 August 2025 + 18 months ends on
  28 February 2027.
- Rent is owed month by month, in advance, on the first day of the month the household occupies
  (the entry day for the first month), prorated by days for a partial first or last month.
  The exit day is a day of occupancy.
- Vacancy days of a unit (a flat, or a place of a collective place) are the days it was managed
  and not occupied, counted from when it was taken on (or its first entry when unknown) until
  it was handed back, or today, whichever is earlier. Entry and exit days count as occupied.
"""
from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from dateutil.relativedelta import relativedelta

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@lru_cache(maxsize=8192)  # relativedelta is slow; the deadlines of every contract need it
def period_end(start: date, months: int) -> date:
    """Last day of a period of `months` months beginning on `start` (see the module rule)."""
    same_day = start + relativedelta(months=months)  # clipped to the month's end if needed
    if same_day.day != start.day:  # that day does not exist: the period ends on the last day
        return same_day
    return same_day - timedelta(days=1)


@lru_cache(maxsize=8192)
def month_before(day: date) -> date:
    """The same day one month earlier (the last day of that month when it is shorter)."""
    return day - relativedelta(months=1)


def first_of_month(day: date) -> date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def last_of_month(day: date) -> date:
    """The last day of `day`'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def days_inclusive(start: date, end: date) -> int:
    """Number of days from `start` to `end`, both counted (0 when end < start)."""
    return max((end - start).days + 1, 0)


def money(value) -> Decimal:
    """A Decimal rounded to the cent, half up (the way amounts are written on a receipt)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class MonthDue:
    """What a household owes for one month of occupancy."""

    month: date  #: first day of the month
    due_on: date  #: first day occupied in that month
    last_day: date  #: last day occupied in that month
    amount: Decimal  #: prorated share owed
    full_amount: Decimal  #: the month's full share (résiduel) for the terms in force
    rent: Decimal
    charges: Decimal
    apl: Decimal
    days: int
    month_days: int

    @property
    def prorated(self) -> bool:
        """Whether only part of the month is owed."""
        return self.days != self.month_days


def monthly_dues(contract, until: date) -> list[MonthDue]:
    """Every month owed by `contract` whose due day is on or before `until`.

    Dues run until the exit day, or on while the household stays (even past the contract's
    end: an occupancy indemnity is owed until the exit is recorded).
    """
    if not contract.rent_terms:
        return []
    out = []
    month = first_of_month(contract.start_on)
    stop = contract.ended_on
    while True:
        due_on = max(month, contract.start_on)
        if due_on > until or (stop is not None and due_on > stop):
            break
        month_end = last_of_month(month)
        last = min(month_end, stop) if stop else month_end
        terms = contract.terms_on(due_on)
        days = days_inclusive(due_on, last)
        month_days = month_end.day
        # Each part is prorated and rounded on its own, so the receipt's lines add up.
        rent, charges, apl = (money(v * days / month_days) for v in
                              (terms.rent, terms.charges, terms.apl))
        out.append(MonthDue(month=month, due_on=due_on, last_day=last,
                            amount=max(rent + charges - apl, ZERO),
                            full_amount=terms.monthly_due, rent=rent, charges=charges, apl=apl,
                            days=days, month_days=month_days))
        month = month + relativedelta(months=1)
    return out


def live_payments(contract, until: date) -> list:
    """Payments not cancelled, made on or before `until`, oldest first."""
    return sorted((p for p in contract.payments
                   if p.cancelled_at is None and p.paid_on <= until),
                  key=lambda p: (p.paid_on, p.id or 0))


@dataclass(frozen=True)
class LedgerLine:
    """One line of a household's rent account: a month owed or a payment."""

    on: date
    label: str
    debit: Decimal
    credit: Decimal
    balance: Decimal  #: what the household owes after this line (< 0: paid in advance)
    payment: object | None = None
    due: MonthDue | None = None


def ledger(contract, until: date, month_label=None) -> list[LedgerLine]:
    """The rent account up to `until`: dues and payments by date, with the running balance."""
    label = month_label or (lambda d: d.strftime("%m/%Y"))
    entries = [(d.due_on, 0, d, None) for d in monthly_dues(contract, until)]
    entries += [(p.paid_on, 1, None, p) for p in live_payments(contract, until)]
    entries.sort(key=lambda e: (e[0], e[1], getattr(e[3], "id", 0) or 0))
    balance = ZERO
    out = []
    for on, _, due, payment in entries:
        if due is not None:
            balance += due.amount
            text = f"Loyer et charges {label(due.month)}"
            if due.prorated:
                text += f" ({due.days} j sur {due.month_days})"
            out.append(LedgerLine(on, text, due.amount, ZERO, balance, due=due))
        else:
            balance -= payment.amount
            out.append(LedgerLine(on, "Paiement", ZERO, payment.amount, balance,
                                  payment=payment))
    return out


def balance(contract, until: date) -> Decimal:
    """What the household owes on `until` (negative: paid in advance)."""
    owed = sum((d.amount for d in monthly_dues(contract, until)), ZERO)
    paid = sum((p.amount for p in live_payments(contract, until)), ZERO)
    return owed - paid


def arrears_threshold(contract, until: date) -> Decimal:
    """One month's share under the terms in force on `until` (the arrears alert level)."""
    terms = contract.terms_on(min(until, contract.ended_on or until))
    return terms.monthly_due if terms else ZERO


def arrears_since(contract, until: date) -> date | None:
    """Day since which the balance has stayed above one month's share, or None."""
    since = None
    threshold = arrears_threshold(contract, until)
    for line in ledger(contract, until):
        if line.balance > threshold:
            since = since or line.on
        else:
            since = None
    return since


@dataclass(frozen=True)
class MonthStatus:
    """A month owed, how much of it payments have covered (oldest months first), and when."""

    due: MonthDue
    paid: Decimal
    settled_on: date | None  #: day of the payment that covered it in full

    @property
    def left(self) -> Decimal:
        """What is still owed for the month."""
        return self.due.amount - self.paid

    @property
    def state(self) -> str:
        """'paye', 'partiel' or 'impaye'."""
        if self.paid >= self.due.amount:
            return "paye"
        return "partiel" if self.paid > 0 else "impaye"


def month_statuses(contract, until: date) -> list[MonthStatus]:
    """Each month owed with the part payments covered, allocating payments to the oldest first."""
    dues = monthly_dues(contract, until)
    queue = [[p.paid_on, p.amount] for p in live_payments(contract, until)]
    out = []
    for due in dues:
        need = due.amount
        paid = ZERO
        settled = None
        while need > 0 and queue:
            take = min(need, queue[0][1])
            paid += take
            need -= take
            queue[0][1] -= take
            settled = queue[0][0]
            if queue[0][1] == 0:
                queue.pop(0)
        out.append(MonthStatus(due, paid, settled if need == 0 else None))
    return out


# -- Vacancy ---------------------------------------------------------------------------------


def merge(intervals: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """Sorted, merged inclusive date intervals (touching ones joined)."""
    out: list[list[date]] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1] + timedelta(days=1):
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def occupied_intervals(contracts: Sequence, today: date) -> list[tuple[date, date]]:
    """Days occupied by these contracts (one unit), merged; an ongoing one runs to today."""
    spans = []
    for c in contracts:
        end = c.ended_on or today
        if c.start_on <= end:
            spans.append((c.start_on, end))
    return merge(spans)


def managed_window(managed_since: date | None, returned_on: date | None,
                   occupied: Sequence[tuple[date, date]], today: date) -> tuple[date, date] | None:
    """The days a unit counts for vacancy: taken on (or first entry) to handed back or today."""
    start = managed_since or (occupied[0][0] if occupied else None)
    if start is None:
        return None
    end = min(returned_on, today) if returned_on else today
    return (start, end) if start <= end else None


def vacant_intervals(window: tuple[date, date] | None,
                     occupied: Sequence[tuple[date, date]]) -> list[tuple[date, date]]:
    """The gaps of `window` not covered by `occupied` (both inclusive)."""
    if window is None:
        return []
    start, end = window
    gaps = []
    cursor = start
    for s, e in occupied:
        if e < cursor:
            continue
        if s > end:
            break
        if s > cursor:
            gaps.append((cursor, min(s - timedelta(days=1), end)))
        cursor = max(cursor, e + timedelta(days=1))
        if cursor > end:
            break
    if cursor <= end:
        gaps.append((cursor, end))
    return gaps


def days_in(intervals: Iterable[tuple[date, date]], start: date, end: date) -> int:
    """How many days of `intervals` fall between `start` and `end` (inclusive)."""
    return sum(days_inclusive(max(s, start), min(e, end)) for s, e in intervals)
