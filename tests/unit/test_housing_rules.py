"""Housing rules on dates and amounts: periods at month ends and leap years, rent due,
balances, arrears, receipts allocation, vacancy. Pure functions: no database."""
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from app.housing import rules
from app.housing.models import RentTerms

D = Decimal


@pytest.mark.parametrize("start,months,end", [
    (date(2026, 3, 1), 6, date(2026, 8, 31)),     # the usual case: 1 March to 31 August
    (date(2026, 1, 15), 6, date(2026, 7, 14)),    # the day before the same day 6 months on
    (date(2025, 8, 31), 6, date(2026, 2, 28)),    # 31 August: ends on February's last day
    (date(2027, 8, 31), 6, date(2028, 2, 29)),    # ... which is the 29th in a leap year
    (date(2027, 8, 30), 6, date(2028, 2, 29)),    # 30 February does not exist either
    (date(2027, 8, 29), 6, date(2028, 2, 28)),    # 29 February 2028 exists: the day before
    (date(2026, 8, 29), 6, date(2027, 2, 28)),    # 29 February 2027 does not: last day
    (date(2028, 2, 29), 6, date(2028, 8, 28)),    # starting on a leap day
    (date(2028, 2, 29), 12, date(2029, 2, 28)),   # a year from a leap day
    (date(2025, 8, 31), 12, date(2026, 8, 30)),   # first renewal counted from the start
    (date(2025, 8, 31), 18, date(2027, 2, 28)),   # 18 months at most
    (date(2026, 10, 31), 6, date(2027, 4, 30)),   # 31 April does not exist
    (date(2026, 12, 1), 6, date(2027, 5, 31)),    # across a year end
])
def test_period_end_at_month_ends_and_leap_years(start, months, end):
    assert rules.period_end(start, months) == end


def test_renewal_periods_follow_each_other_without_gap_or_overlap():
    """Each renewed period starts the day after the previous one ends, for every start day."""
    day = date(2027, 1, 1)
    while day.year == 2027:
        ends = [rules.period_end(day, 6 * k) for k in (1, 2, 3)]
        assert ends[0] < ends[1] < ends[2]
        # six months later, give or take the length of the months crossed
        assert all(180 <= (b - a).days <= 186 for a, b in zip([day, *ends], ends))
        day = date.fromordinal(day.toordinal() + 1)


@pytest.mark.parametrize("end,due", [
    (date(2026, 8, 31), date(2026, 7, 31)),
    (date(2026, 3, 31), date(2026, 2, 28)),
    (date(2028, 3, 31), date(2028, 2, 29)),
    (date(2026, 2, 28), date(2026, 1, 28)),
])
def test_month_before(end, due):
    assert rules.month_before(end) == due


def contract(start, *terms, ended_on=None, payments=()):
    """A stand-in contract: start, terms [(effective_on, rent, charges, apl)], payments."""
    rows = [RentTerms(effective_on=t[0], rent=D(t[1]), charges=D(t[2]), apl=D(t[3]))
            for t in terms]
    c = SimpleNamespace(start_on=start, ended_on=ended_on, rent_terms=rows,
                        payments=[SimpleNamespace(id=i, paid_on=p[0], amount=D(p[1]),
                                                  cancelled_at=p[2] if len(p) > 2 else None)
                                  for i, p in enumerate(payments, 1)])
    c.terms_on = lambda day: next((t for t in reversed(rows) if t.effective_on <= day), rows[0])
    return c


def test_monthly_due_is_rent_plus_charges_minus_apl():
    c = contract(date(2026, 1, 1), (date(2026, 1, 1), "500", "60", "310"))
    dues = rules.monthly_dues(c, date(2026, 3, 1))
    assert [d.month for d in dues] == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert {d.amount for d in dues} == {D("250.00")}
    assert not any(d.prorated for d in dues)


def test_nothing_is_due_before_the_due_day():
    c = contract(date(2026, 1, 10), (date(2026, 1, 10), "400", "0", "0"))
    assert rules.monthly_dues(c, date(2026, 1, 9)) == []
    assert len(rules.monthly_dues(c, date(2026, 1, 10))) == 1
    assert len(rules.monthly_dues(c, date(2026, 1, 31))) == 1
    assert len(rules.monthly_dues(c, date(2026, 2, 1))) == 2


def test_first_and_last_months_are_prorated_by_day():
    c = contract(date(2026, 1, 16), (date(2026, 1, 16), "310", "0", "0"),
                 ended_on=date(2026, 3, 10))
    jan, feb, mar = rules.monthly_dues(c, date(2026, 12, 31))
    assert (jan.days, jan.month_days, jan.amount) == (16, 31, D("160.00"))
    assert (feb.days, feb.amount, feb.prorated) == (28, D("310.00"), False)
    assert (mar.days, mar.amount) == (10, D("100.00"))
    assert mar.last_day == date(2026, 3, 10)


def test_prorata_in_a_leap_february_and_rounding_half_up():
    c = contract(date(2028, 2, 15), (date(2028, 2, 15), "290", "10", "0"))
    feb = rules.monthly_dues(c, date(2028, 2, 29))[0]
    assert (feb.days, feb.month_days) == (15, 29)
    # 290 × 15/29 = 150.00 exactly; 10 × 15/29 = 5.1724… → 5.17
    assert (feb.rent, feb.charges, feb.amount) == (D("150.00"), D("5.17"), D("155.17"))


def test_dues_go_on_after_the_term_until_the_exit_is_recorded():
    c = contract(date(2026, 1, 1), (date(2026, 1, 1), "100", "0", "0"))
    assert len(rules.monthly_dues(c, date(2026, 9, 1))) == 9


def test_a_revision_applies_from_its_month():
    c = contract(date(2026, 1, 1), (date(2026, 1, 1), "400", "50", "200"),
                 (date(2026, 3, 1), "400", "50", "250"))
    amounts = [d.amount for d in rules.monthly_dues(c, date(2026, 4, 1))]
    assert amounts == [D("250.00"), D("250.00"), D("200.00"), D("200.00")]


def test_ledger_running_balance_and_cancelled_payment_ignored():
    from datetime import datetime

    c = contract(date(2026, 1, 1), (date(2026, 1, 1), "300", "0", "0"),
                 payments=[(date(2026, 1, 5), "300"), (date(2026, 2, 3), "200"),
                           (date(2026, 2, 4), "100", datetime(2026, 2, 5))])
    lines = rules.ledger(c, date(2026, 2, 28))
    assert [(l.debit, l.credit, l.balance) for l in lines] == [
        (D("300.00"), D("0.00"), D("300.00")), (D("0.00"), D("300"), D("0.00")),
        (D("300.00"), D("0.00"), D("300.00")), (D("0.00"), D("200"), D("100.00"))]
    assert rules.balance(c, date(2026, 2, 28)) == D("100.00")


def test_arrears_start_strictly_above_one_month():
    c = contract(date(2026, 1, 1), (date(2026, 1, 1), "300", "0", "0"),
                 payments=[(date(2026, 1, 2), "300")])
    # February unpaid: 300 owed = exactly one month, not yet "above one month".
    assert rules.balance(c, date(2026, 2, 28)) == D("300.00")
    assert rules.arrears_since(c, date(2026, 2, 28)) is None
    # March 1st: 600 owed.
    assert rules.arrears_since(c, date(2026, 3, 1)) == date(2026, 3, 1)
    # One cent above the threshold is enough.
    c.payments.append(SimpleNamespace(id=9, paid_on=date(2026, 3, 2), amount=D("299.99"),
                                      cancelled_at=None))
    assert rules.balance(c, date(2026, 3, 2)) == D("300.01")
    assert rules.arrears_since(c, date(2026, 3, 2)) == date(2026, 3, 1)
    c.payments.append(SimpleNamespace(id=10, paid_on=date(2026, 3, 3), amount=D("0.01"),
                                      cancelled_at=None))
    assert rules.arrears_since(c, date(2026, 3, 3)) is None


def test_payments_cover_the_oldest_months_first():
    c = contract(date(2026, 1, 1), (date(2026, 1, 1), "200", "0", "0"),
                 payments=[(date(2026, 1, 20), "150"), (date(2026, 2, 10), "150"),
                           (date(2026, 3, 2), "50")])
    jan, feb, mar = rules.month_statuses(c, date(2026, 3, 31))
    assert (jan.state, jan.paid, jan.settled_on) == ("paye", D("200"), date(2026, 2, 10))
    assert (feb.state, feb.paid, feb.left) == ("partiel", D("150"), D("50.00"))
    assert (mar.state, mar.paid, mar.settled_on) == ("impaye", D("0.00"), None)


# -- Vacancy ---------------------------------------------------------------------------------


def occ(start, ended_on=None):
    return SimpleNamespace(start_on=start, ended_on=ended_on)


def gaps(contracts, today, managed_since=None, returned_on=None):
    occupied = rules.occupied_intervals(contracts, today)
    window = rules.managed_window(managed_since, returned_on, occupied, today)
    return rules.vacant_intervals(window, occupied)


def test_vacancy_between_two_households_counts_neither_exit_nor_entry_day():
    found = gaps([occ(date(2026, 1, 1), date(2026, 3, 31)), occ(date(2026, 4, 10))],
                 today=date(2026, 6, 1))
    assert found == [(date(2026, 4, 1), date(2026, 4, 9))]
    assert rules.days_in(found, date(2026, 4, 1), date(2026, 4, 30)) == 9


def test_no_vacancy_when_the_next_household_enters_the_day_after():
    assert gaps([occ(date(2026, 1, 1), date(2026, 3, 31)), occ(date(2026, 4, 1))],
                today=date(2026, 6, 1)) == []


def test_vacancy_from_taking_on_until_handed_back_or_today():
    found = gaps([occ(date(2026, 2, 1), date(2026, 2, 27))], today=date(2026, 3, 10),
                 managed_since=date(2026, 1, 20))
    assert found == [(date(2026, 1, 20), date(2026, 1, 31)), (date(2026, 2, 28), date(2026, 3, 10))]
    handed_back = gaps([occ(date(2026, 2, 1), date(2026, 2, 27))], today=date(2026, 3, 10),
                       managed_since=date(2026, 2, 1), returned_on=date(2026, 3, 4))
    assert handed_back == [(date(2026, 2, 28), date(2026, 3, 4))]


def test_vacancy_split_by_month_and_year_in_a_leap_year():
    found = gaps([occ(date(2027, 12, 1), date(2028, 1, 31)), occ(date(2028, 3, 1))],
                 today=date(2028, 6, 1))
    assert found == [(date(2028, 2, 1), date(2028, 2, 29))]
    assert rules.days_in(found, date(2028, 2, 1), date(2028, 2, 29)) == 29
    assert rules.days_in(found, date(2028, 1, 1), date(2028, 12, 31)) == 29
    assert rules.days_in(found, date(2027, 1, 1), date(2027, 12, 31)) == 0


def test_a_unit_never_occupied_nor_dated_counts_no_vacancy():
    assert gaps([], today=date(2026, 6, 1)) == []
