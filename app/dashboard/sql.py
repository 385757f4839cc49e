"""Date arithmetic that runs inside the database, the same way on SQLite and PostgreSQL.

SQLite stores dates as ISO text and has no date subtraction; PostgreSQL subtracts dates into
whole days and spells the two-argument min/max GREATEST/LEAST. These functions compile to
each dialect so indicator queries stay one SQL statement on both.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Integer, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement, GenericFunction
from sqlalchemy.types import Date


class days_between(FunctionElement):  # noqa: N801  (reads like a SQL function)
    """Whole days from the second date to the first (a - b), as an integer."""

    type = Integer()
    inherit_cache = True


@compiles(days_between)
def _days_between_default(element, compiler, **kw):
    a, b = list(element.clauses)
    return f"({compiler.process(a, **kw)} - {compiler.process(b, **kw)})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    a, b = list(element.clauses)
    return (f"CAST(julianday({compiler.process(a, **kw)}) - "
            f"julianday({compiler.process(b, **kw)}) AS INTEGER)")


class later(GenericFunction):  # noqa: N801
    """The later of two non-null dates (GREATEST; SQLite's scalar max)."""

    type = Date()
    inherit_cache = True


class earlier(GenericFunction):  # noqa: N801
    """The earlier of two non-null dates (LEAST; SQLite's scalar min)."""

    type = Date()
    inherit_cache = True


@compiles(later)
def _later_default(element, compiler, **kw):
    return f"GREATEST({compiler.process(element.clauses, **kw)})"


@compiles(later, "sqlite")
def _later_sqlite(element, compiler, **kw):
    return f"max({compiler.process(element.clauses, **kw)})"


@compiles(earlier)
def _earlier_default(element, compiler, **kw):
    return f"LEAST({compiler.process(element.clauses, **kw)})"


@compiles(earlier, "sqlite")
def _earlier_sqlite(element, compiler, **kw):
    return f"min({compiler.process(element.clauses, **kw)})"


class month_key(FunctionElement):  # noqa: N801
    """'2026-03' for a date: the month a day falls in, as text that sorts like the months."""

    type = String()
    inherit_cache = True


@compiles(month_key)
def _month_key_default(element, compiler, **kw):
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


@compiles(month_key, "sqlite")
def _month_key_sqlite(element, compiler, **kw):
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 7)"


EPOCH = date(1970, 1, 1)


class day_number(FunctionElement):  # noqa: N801
    """Whole days from 1970-01-01 to a date (NULL stays NULL): dates turned into integers once,
    so a query crossing many rows with many windows compares and subtracts integers."""

    type = Integer()
    inherit_cache = True


@compiles(day_number)
def _day_number_default(element, compiler, **kw):
    return f"({compiler.process(element.clauses, **kw)} - DATE '{EPOCH.isoformat()}')"


@compiles(day_number, "sqlite")
def _day_number_sqlite(element, compiler, **kw):
    # julianday() of a day is that day's noon; 2440587.5 is 1970-01-01 at noon.
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5 AS INTEGER)"


def day_of(day: date) -> int:
    """`day_number` in Python, for values bound into a query."""
    return (day - EPOCH).days
