"""Arrears of running contracts computed in the database, for many contracts at once.

The same rules as `rules.arrears_since` and `rules.balance` (one contract, in Python, used by
the contract page), written as one set-based query so that the deadlines of every team (the
alert scheduler, the deadlines page) do not load each contract's payments:

- each month owed from the entry month to today's month is one row (a recursive CTE per
  contract), due on its first day (the entry day for the first month), with the rent terms in
  force that day (the last ones effective on or before it, else the first ones);
- a partial first month is prorated by days, each part (rent, charges, APL) rounded half up to
  the cent on its own, and the month's share is rent + charges − APL, never below zero;
- payments not cancelled and made on or before today are the credits;
- today's balance is the sum of all lines; for the contracts where it is above one month's
  share (under today's terms), and only for them, a window sum gives the running balance line
  by line, in the ledger's order (day, dues before payments, payment id); arrears start on the
  first line after the last one at or below that share.

Amounts are whole cents (integers) and days are compared as integer keys
(month number × 32 + day, from `extract`), so nothing depends on a database's date arithmetic
or decimal type: the query runs unchanged on SQLite and PostgreSQL.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from sqlalchemy import (Integer, and_, case, cast, extract, func, literal_column, or_, select,
                        union_all)

from app.extensions import db
from app.housing.models import Contract, Payment, RentTerms

ONE = literal_column("1", Integer)
ZERO = literal_column("0", Integer)


def _int(expr):
    return cast(expr, Integer)


def _month_index(col):
    """year × 12 + month − 1 of a date column (an integer)."""
    return _int(extract("year", col)) * 12 + _int(extract("month", col)) - 1


def _day_key(col):
    """A date column as an integer that sorts like the date: month index × 32 + day."""
    return _month_index(col) * 32 + _int(extract("day", col))


def _cents(col):
    """A money column in whole cents."""
    return _int(func.round(col * 100))


def day_key(day: date) -> int:
    """The integer key of a day (see `_day_key`)."""
    return (day.year * 12 + day.month - 1) * 32 + day.day


def key_day(key: int) -> date:
    """The day of an integer key."""
    month, day = divmod(key, 32)
    year, month = divmod(month, 12)
    return date(year, month + 1, day)


def _month_days(n):
    """Days in month number `n` (year × 12 + month − 1), in SQL."""
    year = n // 12  # integer operands: plain `/`, an integer division on both databases
    month = n % 12 + 1
    leap = or_(and_(year % 4 == 0, year % 100 != 0), year % 400 == 0)
    return case((month == 2, case((leap, literal_column("29", Integer)),
                                  else_=literal_column("28", Integer))),
                (month.in_((4, 6, 9, 11)), literal_column("30", Integer)),
                else_=literal_column("31", Integer))


def arrears(team_ids: Iterable[int], today: date) -> dict[int, tuple[date, Decimal]]:
    """Running contracts of these teams in arrears on `today`: contract id -> (the day the
    balance went and stayed above one month's share, what is owed today)."""
    ids = set(team_ids)
    if not ids:
        return {}
    today_month = today.year * 12 + today.month - 1
    today_key = day_key(today)

    running = (select(Contract.id.label("cid"), _month_index(Contract.start_on).label("n"),
                      _int(extract("day", Contract.start_on)).label("d"))
               .where(Contract.team_id.in_(ids), Contract.ended_on.is_(None),
                      Contract.start_on <= today).cte("running"))
    # One row per month owed: the entry month from its entry day, then each month from the 1st.
    months = select(running.c.cid, running.c.n, running.c.d).cte("months", recursive=True)
    previous = months.alias("previous")
    months = months.union_all(select(previous.c.cid, previous.c.n + 1, ONE)
                              .where(previous.c.n < today_month))

    # Rent terms in their order; the first ones apply from the beginning of time.
    order = RentTerms.effective_on
    terms = (select(RentTerms.contract_id.label("cid"),
                    func.row_number().over(partition_by=RentTerms.contract_id,
                                           order_by=order).label("rank"),
                    _day_key(order).label("k"),
                    _cents(RentTerms.rent).label("rent"),
                    _cents(RentTerms.charges).label("charges"),
                    _cents(RentTerms.apl).label("apl"))
             .where(RentTerms.contract_id.in_(select(running.c.cid))).cte("terms"))
    starts = select(terms.c.cid, case((terms.c.rank == 1, ZERO), else_=terms.c.k).label("k"),
                    ZERO.label("is_month"), ZERO.label("length"), ZERO.label("days"))

    # The terms in force on a month's due day: the number of terms rows starting on or before
    # it (a running count over months and terms in day order; a range join would cost a
    # nested loop on SQLite), joined back on that rank.
    length = _month_days(months.c.n)
    owed = select(months.c.cid, (months.c.n * 32 + months.c.d).label("k"), ONE.label("is_month"),
                  length.label("length"), (length - months.c.d + 1).label("days")
                  ).where(months.c.n * 32 + months.c.d <= today_key)
    both = union_all(starts, owed).subquery("both")
    counted = select(both, func.sum(1 - both.c.is_month).over(
        partition_by=both.c.cid, order_by=(both.c.k, both.c.is_month),
        rows=(None, 0)).label("rank")).subquery("counted")
    due = select(counted).where(counted.c.is_month == 1).cte("due")

    def share(cents):
        """A monthly amount prorated by days, rounded half up to the cent."""
        return (cents * due.c.days * 2 + due.c.length) // (due.c.length * 2)

    amount = share(terms.c.rent) + share(terms.c.charges) - share(terms.c.apl)
    dues = (select(due.c.cid, due.c.k, ZERO.label("kind"), ZERO.label("pid"),
                   case((amount > 0, amount), else_=ZERO).label("amount"))
            .join(terms, and_(terms.c.cid == due.c.cid, terms.c.rank == due.c.rank)))
    paid = (select(Payment.contract_id.label("cid"), _day_key(Payment.paid_on).label("k"),
                   ONE.label("kind"), Payment.id.label("pid"),
                   (-_cents(Payment.amount)).label("amount"))
            .where(Payment.contract_id.in_(select(running.c.cid)),
                   Payment.cancelled_at.is_(None), Payment.paid_on <= today))
    entries = union_all(dues, paid).cte("entries")

    # One month's share under the terms in force today (the last ones started by then).
    rank_now = (select(terms.c.cid, func.max(terms.c.rank).label("rank"))
                .where(or_(terms.c.rank == 1, terms.c.k <= today_key))
                .group_by(terms.c.cid).subquery("rank_now"))
    full = terms.c.rent + terms.c.charges - terms.c.apl
    threshold = (select(terms.c.cid, case((full > 0, full), else_=ZERO).label("cents"))
                 .join(rank_now, and_(rank_now.c.cid == terms.c.cid,
                                      rank_now.c.rank == terms.c.rank)).subquery("threshold"))
    # Today's balance of each contract is a plain sum; only the contracts owing more than a
    # month's share (a few in ten) need their ledger line by line, the costly part.
    totals = (select(entries.c.cid, func.sum(entries.c.amount).label("total"))
              .group_by(entries.c.cid).subquery("totals"))
    owing = (select(totals.c.cid, totals.c.total, threshold.c.cents)
             .join(threshold, threshold.c.cid == totals.c.cid)
             .where(totals.c.total > threshold.c.cents).cte("owing"))
    line_order = (entries.c.k, entries.c.kind, entries.c.pid)
    ledger = select(
        entries.c.cid, entries.c.k,
        func.row_number().over(partition_by=entries.c.cid, order_by=line_order).label("seq"),
        func.sum(entries.c.amount).over(partition_by=entries.c.cid, order_by=line_order,
                                        rows=(None, 0)).label("balance"),
    ).where(entries.c.cid.in_(select(owing.c.cid))).cte("ledger")
    last_ok = (select(ledger.c.cid, func.max(case((ledger.c.balance <= owing.c.cents,
                                                    ledger.c.seq))).label("seq"))
               .join(owing, owing.c.cid == ledger.c.cid)
               .group_by(ledger.c.cid).cte("last_ok"))
    first_above = (select(ledger.c.cid, ledger.c.k, owing.c.total)
                   .join(owing, owing.c.cid == ledger.c.cid)
                   .join(last_ok, last_ok.c.cid == ledger.c.cid)
                   .where(ledger.c.seq == func.coalesce(last_ok.c.seq, 0) + 1))
    return {cid: (key_day(k), Decimal(int(total)).scaleb(-2))
            for cid, k, total in db.session.execute(first_above)}
