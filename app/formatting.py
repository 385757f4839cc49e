"""French formatting of dates, times and amounts, as Jinja filters."""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from flask import Flask

from app.timeutil import PARIS, to_paris

LOCALE = "fr_FR"


def date_fr(value: date | datetime | None, style: str = "long") -> str:
    """'lundi 23 novembre 2026' (long), '23 nov. 2026' (medium) or '23/11/2026' (short)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_paris(value).date()
    return _day(value, style)


@lru_cache(maxsize=8192)
def _day(value: date, style: str) -> str:
    # Babel builds the pattern and looks the locale up on every call: a list page formats the
    # same few days hundreds of times.
    patterns = {"long": "EEEE d MMMM y", "medium": "d MMM y", "short": "dd/MM/y"}
    return format_date(value, patterns.get(style, style), locale=LOCALE)


def datetime_fr(value: datetime | None, style: str = "medium") -> str:
    """A stored UTC datetime shown in Paris time: '23 nov. 2026 à 14:05'."""
    if value is None:
        return ""
    patterns = {"medium": "d MMM y 'à' HH:mm", "short": "dd/MM/y HH:mm", "time": "HH:mm"}
    return format_datetime(to_paris(value), patterns.get(style, style), tzinfo=PARIS,
                           locale=LOCALE)


def money(value: Decimal | float | int | None) -> str:
    """'1 234,50 €' (with the narrow no-break space French uses)."""
    if value is None:
        return ""
    return _euros(value)


@lru_cache(maxsize=8192)
def _euros(value: Decimal | float | int) -> str:
    return format_currency(value, "EUR", locale=LOCALE)


def number(value: float | int | None) -> str:
    """'1 234,5'."""
    if value is None:
        return ""
    return _figure(value)


@lru_cache(maxsize=8192)
def _figure(value: float | int) -> str:
    return format_decimal(value, locale=LOCALE)


def init_app(app: Flask) -> None:
    """Register the filters."""
    app.add_template_filter(date_fr)
    app.add_template_filter(datetime_fr)
    app.add_template_filter(money)
    app.add_template_filter(number)
