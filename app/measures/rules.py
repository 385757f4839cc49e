"""Date rules of an ASLL measure: phase 1 (2 months), phase 2 (9 months), days of support.

Pure functions of a measure's dates and `today`: never the clock. Months are calendar months
(python-dateutil's relativedelta: 31 January + 1 month is the last day of February).
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

PHASE1_MONTHS = 2  #: assessment and contract: 1 to 2 months
PHASE2_MONTHS = 9  #: individual support after the contract

#: phase code -> French label
PHASES = {"a_confirmer": "À confirmer", "phase1": "Phase 1 — diagnostic et contrat",
          "phase2": "Phase 2 — accompagnement", "terminee": "Terminée"}


def phase1_due(notified_on: date) -> date:
    """Last day of phase 1: two months after the notification."""
    return notified_on + relativedelta(months=PHASE1_MONTHS)


def phase2_end(contract_signed_on: date) -> date:
    """Last day of phase 2: nine months after the contract."""
    return contract_signed_on + relativedelta(months=PHASE2_MONTHS)


def month_start(day: date) -> date:
    """First day of the month of `day`."""
    return day.replace(day=1)


def month_end(day: date) -> date:
    """Last day of the month of `day`."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class Status:
    """Where a measure stands on a given day."""

    phase: str  #: key of PHASES
    phase1_due: date
    phase2_end: date | None
    phase1_exceeded: bool  #: phase 1 went (or is going) beyond two months
    phase2_exceeded: bool  #: still running after the nine months of phase 2

    @property
    def label(self) -> str:
        """French label of the phase."""
        return PHASES[self.phase]


def status(measure, today: date) -> Status:
    """The phase of a measure on `today`, its computed dates and what is overdue.

    Phase 2 runs from the contract: a renewal carries the contract over to its first day
    (services.end), so it is in phase 2 from its start, for nine months from that day, and
    never has a phase 1 to exceed. The alert rules and the dashboard read the same columns.
    """
    due1 = phase1_due(measure.notified_on)
    signed = measure.contract_signed_on
    end2 = phase2_end(signed) if signed else None
    last = measure.ended_on or today
    if measure.ended_on is not None and measure.ended_on <= today:
        phase = "terminee"
    elif measure.received_on is None:
        phase = "a_confirmer"
    elif signed is None or signed > today:
        phase = "phase1"
    else:
        phase = "phase2"
    exceeded1 = (signed > due1) if signed else last > due1
    exceeded2 = end2 is not None and last > end2
    return Status(phase, due1, end2, exceeded1, exceeded2)


def support_days(measure, month: date) -> int:
    """Days of support of a measure in a month (from notification to end, both included)."""
    first, last = month_start(month), month_end(month)
    start = max(first, measure.notified_on)
    stop = min(last, measure.ended_on) if measure.ended_on else last
    return max(0, (stop - start).days + 1)


def is_running_in(measure, month: date) -> bool:
    """Whether the measure has at least one day of support in the month."""
    return support_days(measure, month) > 0


def previous_month(day: date) -> date:
    """First day of the month before `day`'s."""
    return month_start(month_start(day) - timedelta(days=1))
