"""Which calendar days a report covers: a day, a week (Monday to Sunday) or a month.

Days are the division's local dates as the store wrote them (``visit_steps.day``),
so a report never has to convert instants to dates to choose its rows.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from enum import StrEnum

from .errors import StatsError


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def parse_period(value: Period | str) -> Period:
    """``value`` as a ``Period``; a ``StatsError`` names the choices otherwise."""
    try:
        return Period(value)
    except ValueError:
        choices = ", ".join(p.value for p in Period)
        raise StatsError(f"There is no period {value!r}: choose {choices}.") from None


def parse_day(value: date | str) -> date:
    """``value`` as a date (``YYYY-MM-DD``); a ``StatsError`` otherwise."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise StatsError(f"{value!r} is not a day: write it as YYYY-MM-DD.") from None


def period_days(period: Period, start: date) -> tuple[date, date]:
    """The first and last day (inclusive) of the ``period`` that contains ``start``.

    A console may send any day of the week or month it shows: the period is the
    one around it, so a week always starts on a Monday and a month on its first.
    """
    if period is Period.DAY:
        return start, start
    if period is Period.WEEK:
        monday = start - timedelta(days=start.weekday())
        return monday, monday + timedelta(days=6)
    last = calendar.monthrange(start.year, start.month)[1]
    return start.replace(day=1), start.replace(day=last)


def days_between(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last``, both included."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
