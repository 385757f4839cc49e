"""The set-based housing deadlines (arrears in SQL, contracts read without the ORM) against the
per-contract Python rules they replace in the alert pass, on every day around each event:
partial first months, partial and cancelled payments, rent terms changing mid-period, APL,
short and leap-year Februaries, payments on a due day, renewals, glides and collective places.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.housing import queries, rules
from app.housing.arrears import arrears, day_key, key_day
from app.housing.models import Contract, Place, Renewal, RentTerms
from tests import factories

D = Decimal


def python_arrears(contracts, today):
    """What `rules.arrears_since` and `rules.balance` say, contract by contract."""
    out = {}
    for c in contracts:
        since = rules.arrears_since(c, today)
        if since is not None:
            out[c.id] = (since, rules.balance(c, today))
    return out


def boundary_days(contracts):
    """Every day next to something that can move a balance: entries, terms, payments, month
    starts and ends (the day before, the day, the day after)."""
    events = set()
    for c in contracts:
        events.add(c.start_on)
        events.update(t.effective_on for t in c.rent_terms)
        events.update(p.paid_on for p in c.payments)
    month, last = min(events).replace(day=1), max(events) + timedelta(days=62)
    while month <= last:
        events.add(month)
        month = rules.last_of_month(month) + timedelta(days=1)
    return sorted({d + timedelta(days=k) for d in events for k in (-1, 0, 1)})


@pytest.fixture
def ledgers(team_a, worker):
    """Running contracts whose rent accounts cross every case the SQL must get right."""

    def contract(start, rent, charges="0.00", apl="0.00", **kw):
        hh = factories.household(team_a, referent=worker)
        return factories.contract(factories.flat(team_a), hh, start_on=start, rent=rent,
                                  charges=charges, apl=apl, **kw)

    pay = factories.payment
    made = []
    # A partial first month (17 days of 31), paid in parts, then late, then caught up.
    c = contract(date(2027, 1, 15), "400.00", "50.00")
    pay(c, date(2027, 1, 20), "100.00")
    pay(c, date(2027, 2, 3), "146.77")
    pay(c, date(2027, 4, 10), "200.00")
    pay(c, date(2027, 6, 1), "1000.00")
    made.append(c)
    # A cancelled payment counts for nothing; the real one the same day does.
    c = contract(date(2027, 2, 1), "450.00")
    pay(c, date(2027, 2, 1), "450.00", cancelled=True)
    pay(c, date(2027, 3, 1), "450.00", cancelled=True)
    pay(c, date(2027, 3, 1), "300.00")
    pay(c, date(2027, 5, 2), "450.00")
    made.append(c)
    # Rent revised on the 1st of a month, then APL granted from a later month.
    c = contract(date(2026, 12, 10), "500.00", "60.00")
    factories.rent_terms(c, date(2027, 3, 1), "520.00", "60.00")
    factories.rent_terms(c, date(2027, 5, 1), "520.00", "60.00", "310.00")
    for day in (date(2027, 1, 5), date(2027, 2, 5), date(2027, 4, 20)):
        pay(c, day, "560.00")
    made.append(c)
    # APL larger than rent and charges: nothing owed, ever.
    c = contract(date(2027, 1, 1), "300.00", "20.00", "350.00")
    made.append(c)
    # Odd cents prorated over a 28-day February (each part rounded half up on its own).
    c = contract(date(2027, 2, 17), "333.33", "47.77", "123.45")
    pay(c, date(2027, 4, 30), "100.00")
    made.append(c)
    # ... and over a 29-day February, starting on the 31st of a month next door.
    c = contract(date(2028, 2, 13), "401.01", "33.33", "10.05")
    made.append(c)
    c = contract(date(2027, 1, 31), "410.00", "40.00")
    pay(c, date(2027, 1, 31), "14.52")
    made.append(c)
    # The first terms take effect after the entry: they apply from the entry anyway.
    c = contract(date(2027, 3, 20), "380.00", "20.00")
    db.session.get(RentTerms, c.rent_terms[0].id).effective_on = date(2027, 4, 1)
    db.session.commit()
    pay(c, date(2027, 3, 1), "400.00")  # paid in advance, before the entry
    made.append(c)
    # Two payments on one day (ordered by id), on a due day.
    c = contract(date(2027, 2, 1), "600.00", "0.00")
    pay(c, date(2027, 3, 1), "100.00")
    pay(c, date(2027, 3, 1), "500.00")
    made.append(c)
    for c in made:
        db.session.refresh(c)
    return made


def test_arrears_in_sql_match_the_python_rules_on_every_boundary_day(team_a, ledgers):
    days = boundary_days(ledgers)
    assert len(days) > 60
    seen_arrears = 0
    for today in days:
        running = [c for c in ledgers if c.start_on <= today]
        want = python_arrears(running, today)
        assert arrears({team_a.id}, today) == want, today
        seen_arrears += len(want)
    assert seen_arrears > 50  # the fixtures do fall into arrears, and out of them


def test_arrears_amount_and_first_day_on_a_prorated_first_month(team_a, worker):
    hh = factories.household(team_a, referent=worker)
    c = factories.contract(factories.flat(team_a), hh, start_on=date(2027, 1, 15),
                           rent="400.00", charges="50.00")
    # January: 17 days of 31 -> 219.35 + 27.42 = 246.77; February: 450.00 (696.77 > 450).
    assert arrears({team_a.id}, date(2027, 1, 31)) == {}
    assert arrears({team_a.id}, date(2027, 2, 1)) == {c.id: (date(2027, 2, 1), D("696.77"))}
    factories.payment(c, date(2027, 2, 2), "246.77")
    assert arrears({team_a.id}, date(2027, 2, 2)) == {}  # 450.00 owed: not above one month
    assert arrears({team_a.id}, date(2027, 3, 1)) == {c.id: (date(2027, 3, 1), D("900.00"))}


def test_ended_contracts_other_teams_and_contracts_without_terms_owe_nothing_here(
        team_a, team_b, worker):
    hh = factories.household(team_a, referent=worker)
    ended = factories.contract(factories.flat(team_a), hh, start_on=date(2027, 1, 1),
                               ended_on=date(2027, 2, 28))
    bare = factories.contract(factories.flat(team_a), hh, start_on=date(2027, 1, 1))
    db.session.delete(bare.rent_terms[0])
    db.session.commit()
    other = factories.contract(factories.flat(team_b), factories.household(team_b),
                               start_on=date(2027, 1, 1))
    today = date(2027, 6, 1)
    assert rules.arrears_since(ended, today) is not None  # the contract page still says so
    assert arrears({team_a.id}, today) == {}
    # January to June owed, nothing paid: above one month's share since February's due day.
    assert arrears({team_b.id}, today) == {other.id: (date(2027, 2, 1), D("2700.00"))}
    assert arrears(set(), today) == {}


def test_day_keys_sort_like_days_and_come_back():
    days = [date(2027, 12, 31), date(2028, 1, 1), date(2028, 2, 29), date(2028, 3, 1)]
    assert [key_day(day_key(d)) for d in days] == days
    assert sorted(days, key=day_key) == days


def test_set_based_deadlines_equal_the_per_contract_ones(team_a, worker, ledgers):
    """Labels, units, renewals, glides and arrears: the whole Deadline, not just its day."""
    collective = factories.flat(team_a, kind="collectif", name="La Maison")
    room = Place(flat_id=collective.id, label="Chambre 2")
    db.session.add(room)
    db.session.commit()
    roomer = factories.contract(collective, factories.household(team_a, name="M. Place"),
                                start_on=date(2027, 1, 1), place=room)
    glide = factories.contract(factories.flat(team_a, name="Le Pin"),
                               factories.household(team_a, name="Famille Glisse"),
                               start_on=date(2026, 9, 30), kind="bail_glissant",
                               glide_planned_on=date(2027, 9, 1))
    for number, decided in ((1, date(2027, 2, 1)), (2, date(2027, 8, 1))):
        db.session.add(Renewal(contract_id=glide.id, number=number, decided_on=decided,
                               decided_by="Commission", reason="Projet en cours",
                               new_end_on=rules.period_end(glide.start_on, 6 * (number + 1))))
    db.session.commit()
    factories.contract(factories.flat(team_a), factories.household(team_a, name="Convention"),
                       start_on=date(2027, 1, 1), kind="occupation")
    contracts = list(db.session.scalars(select(Contract).where(Contract.ended_on.is_(None))))
    for today in (date(2027, 2, 28), date(2027, 3, 1), date(2027, 6, 30), date(2027, 7, 1),
                  date(2027, 8, 31), date(2028, 3, 1)):
        for c in contracts:
            db.session.refresh(c)
        want = sorted((d for c in contracts for d in queries.contract_deadlines(c, today)),
                      key=lambda d: (d.due_on, d.kind, d.contract_id))
        assert queries.deadlines({team_a.id}, today) == want, today
    labels = " ".join(d.label for d in queries.deadlines({team_a.id}, date(2027, 8, 31)))
    assert "Chambre 2, La Maison" in labels and "Glissement du bail prévu" in labels
    assert roomer.id in {d.contract_id for d in queries.deadlines({team_a.id}, date(2027, 6, 1))}
