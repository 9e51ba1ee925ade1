"""Reception hours: when a division is open, day by day and instant by instant.

Precedence for a local date: an admin's exception, then a public holiday (closed),
then the weekly schedule. A day the weekly schedule opens whose next calendar day
is a public holiday closes ``rules.pre_holiday_shortening_ms`` earlier (Latvian
labour law: one hour), or not at all when that leaves nothing.

The holiday calendar is injected: anything that answers ``day in calendar`` (a set
works, and so does ``holidays.country_holidays("LV")``, whose ``get`` also gives the
name). Instants are int milliseconds since the Unix epoch; local dates and times
come from the division's time zone, so daylight-saving changes are handled here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from queue_server.core.errors import refuse
from queue_server.core.settings import MINUTE_MS, Division, HoursException, Rules, Span

DayKind = Literal["regular", "weekly_closed", "holiday", "pre_holiday", "exception"]

#: How far ``next_opening`` looks ahead before it gives up.
SEARCH_DAYS = 400

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)
_DAY_MINUTES = 24 * 60


class Holidays(Protocol):
    """A public holiday calendar."""

    def __contains__(self, day: date, /) -> bool: ...


@dataclass(frozen=True)
class DayHours:
    """The hours of one local date and why: ``span`` is None when closed."""

    day: date
    span: Span | None
    kind: DayKind
    #: The holiday's name (for a pre-holiday day: the next day's), where the calendar knows it.
    holiday: str | None = None
    #: The admin's note of an exception.
    note: str = ""


class ReceptionHours:
    """The reception hours of one division; immutable, with per-day caching."""

    def __init__(
        self,
        division: Division,
        rules: Rules,
        holidays: Holidays,
        exceptions: Mapping[date, HoursException] | None = None,
    ) -> None:
        merged = {exc.day: exc for exc in division.exceptions}
        merged.update(exceptions or {})
        for day, exc in merged.items():
            _check_exception(day, exc)
        self.division = division
        self.rules = rules
        self.holidays = holidays
        self._exceptions = merged
        self._zone = ZoneInfo(division.timezone)
        self._days: dict[date, DayHours] = {}
        self._spans: dict[date, tuple[int, int] | None] = {}

    @property
    def exceptions(self) -> dict[date, HoursException]:
        """All exceptions in force (configured and added), by date; a copy."""
        return dict(self._exceptions)

    # -- days ---------------------------------------------------------------------

    def day(self, day: date) -> DayHours:
        """The hours of a local date."""
        hours = self._days.get(day)
        if hours is None:
            hours = self._days[day] = self._compute(day)
        return hours

    def _compute(self, day: date) -> DayHours:
        exc = self._exceptions.get(day)
        if exc is not None:
            return DayHours(day, exc.span, "exception", self._holiday_name(day), exc.note)
        if day in self.holidays:
            return DayHours(day, None, "holiday", self._holiday_name(day))
        span = self.division.week.get(day.weekday())
        if span is None:
            return DayHours(day, None, "weekly_closed")
        tomorrow = day + timedelta(days=1)
        if tomorrow not in self.holidays:
            return DayHours(day, span, "regular")
        # Whole minutes, rounded up: never open longer than the rule allows.
        shortening = -(-self.rules.pre_holiday_shortening_ms // MINUTE_MS)
        close = span.close_min - shortening
        short = Span(span.open_min, close) if close > span.open_min else None
        return DayHours(day, short, "pre_holiday", self._holiday_name(tomorrow))

    def _holiday_name(self, day: date) -> str | None:
        if day not in self.holidays:
            return None
        get = getattr(self.holidays, "get", None)
        name = get(day) if callable(get) else None
        return name if isinstance(name, str) else None

    # -- instants -----------------------------------------------------------------

    def _local(self, at_ms: int) -> datetime:
        return datetime.fromtimestamp(at_ms // 1000, tz=self._zone)

    def local_date(self, at_ms: int) -> date:
        """The division's local date at an instant."""
        return self._local(at_ms).date()

    def local_minute(self, at_ms: int) -> int:
        """Minutes after local midnight on the wall clock at an instant."""
        local = self._local(at_ms)
        return local.hour * 60 + local.minute

    def _instant(self, day: date, minute: int) -> int:
        wall = datetime.combine(day, time()) + timedelta(minutes=minute)
        return (wall.replace(tzinfo=self._zone) - _EPOCH) // _ONE_MS

    def span_ms(self, day: date) -> tuple[int, int] | None:
        """The ``[open, close)`` instants of a local date, or None when it is closed."""
        if day in self._spans:
            return self._spans[day]
        span = self.day(day).span
        result = (
            None
            if span is None
            else (self._instant(day, span.open_min), self._instant(day, span.close_min))
        )
        self._spans[day] = result
        return result

    def is_open(self, at_ms: int) -> bool:
        """Whether reception is open at an instant."""
        return self.closing_ms(at_ms) is not None

    def closing_ms(self, at_ms: int) -> int | None:
        """The closing instant of the period open at ``at_ms``, or None when closed."""
        span = self.span_ms(self.local_date(at_ms))
        if span is not None and span[0] <= at_ms < span[1]:
            return span[1]
        return None

    def next_opening(self, at_ms: int) -> tuple[int, int] | None:
        """The first open period ending after ``at_ms`` (the current one when open)."""
        today = self.local_date(at_ms)
        for offset in range(SEARCH_DAYS + 1):
            span = self.span_ms(today + timedelta(days=offset))
            if span is not None and span[1] > at_ms:
                return span
        return None

    # -- exceptions -------------------------------------------------------------------

    def with_exception(self, exc: HoursException) -> ReceptionHours:
        """A copy with ``exc`` in force (replacing any exception of its date)."""
        _check_exception(exc.day, exc)
        return self._replaced({**self._exceptions, exc.day: exc})

    def without_exception(self, day: date) -> ReceptionHours:
        """A copy without any exception on ``day`` (configured ones included)."""
        return self._replaced({d: e for d, e in self._exceptions.items() if d != day})

    def _replaced(self, exceptions: dict[date, HoursException]) -> ReceptionHours:
        copy = ReceptionHours(self.division, self.rules, self.holidays)
        copy._exceptions = exceptions
        return copy


def _check_exception(day: date, exc: HoursException) -> None:
    if exc.day != day:
        raise refuse("invalid_hours", f"The exception for {exc.day} is filed under {day}.")
    span = exc.span
    if span is not None and not 0 <= span.open_min < span.close_min <= _DAY_MINUTES:
        raise refuse(
            "invalid_hours",
            f"The exception for {day} must open before it closes, within the day.",
            open_min=span.open_min,
            close_min=span.close_min,
        )
