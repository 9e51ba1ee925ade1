"""Reception hours: the seed's schedules, Latvian holidays, pre-holiday days, DST, exceptions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.core.errors import DomainError
from queue_server.core.hours import DayHours, ReceptionHours
from queue_server.core.settings import MINUTE_MS, Division, HoursException, Rules, Span

RIGA = ZoneInfo("Europe/Riga")
LV = holidays.country_holidays("LV")
RULES = Rules()
HOUR_MS = 60 * MINUTE_MS


def hm(hours: int, minutes: int = 0) -> int:
    return hours * 60 + minutes


def division(division_id: str, week: dict[int, Span], **extra: object) -> Division:
    return Division(
        id=division_id,
        name={"lv": division_id, "en": division_id},
        languages=("lv", "en"),
        week=week,
        counters=(),
        **extra,  # type: ignore[arg-type]
    )


# The seed's schedules (weekday 0 = Monday).
RIGA_1ST = division("riga1", {wd: Span(hm(8), hm(20)) for wd in range(5)})
ORDINARY = division(
    "jelgava", {**{wd: Span(hm(9), hm(16, 30)) for wd in range(4)}, 4: Span(hm(9), hm(16))}
)
LIVANI = division("livani", {4: Span(hm(9), hm(16))}, branch_of="jelgava")
SMILTENE = division("smiltene", {1: Span(hm(9), hm(15))}, branch_of="valka")
SIGULDA = division("sigulda", {2: Span(hm(9), hm(14, 30))}, branch_of="riga1")
ALL = (RIGA_1ST, ORDINARY, LIVANI, SMILTENE, SIGULDA)


def hours(div: Division, rules: Rules = RULES, **kwargs: object) -> ReceptionHours:
    return ReceptionHours(div, rules, LV, **kwargs)  # type: ignore[arg-type]


def riga(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> int:
    """The epoch milliseconds of a Riga wall-clock time."""
    return int(datetime(y, mo, d, h, mi, tzinfo=RIGA).timestamp()) * 1000


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> int:
    return int(datetime(y, mo, d, h, mi, tzinfo=UTC).timestamp()) * 1000


# -- the holidays package -----------------------------------------------------------------


def test_package_lists_the_latvian_2026_days_we_rely_on() -> None:
    days = {d: name for d, name in holidays.country_holidays("LV", years=2026).items()}
    assert "Proclamation" in days[date(2026, 11, 18)]
    assert "Restoration of Independence" in days[date(2026, 5, 4)]  # a Monday this year
    for day in (
        date(2026, 1, 1),
        date(2026, 1, 2),  # day off moved from Saturday 17 January
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 1),
        date(2026, 6, 22),  # day off moved from Saturday 27 June
        date(2026, 6, 23),
        date(2026, 6, 24),
        date(2026, 12, 24),
        date(2026, 12, 25),
        date(2026, 12, 31),
    ):
        assert day in days, day
    # The moved working Saturdays are not in the calendar (an admin exception opens them).
    assert date(2026, 1, 17) not in days
    assert date(2026, 6, 27) not in days


# -- weekly schedules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("div", "day", "span"),
    [
        (RIGA_1ST, date(2026, 11, 10), Span(hm(8), hm(20))),  # Tuesday
        (RIGA_1ST, date(2026, 11, 13), Span(hm(8), hm(20))),  # Friday
        (RIGA_1ST, date(2026, 11, 14), None),  # Saturday
        (RIGA_1ST, date(2026, 11, 15), None),  # Sunday
        (ORDINARY, date(2026, 11, 12), Span(hm(9), hm(16, 30))),  # Thursday
        (ORDINARY, date(2026, 11, 13), Span(hm(9), hm(16))),  # Friday
        (ORDINARY, date(2026, 11, 14), None),
        (LIVANI, date(2026, 11, 13), Span(hm(9), hm(16))),  # Friday
        (LIVANI, date(2026, 11, 12), None),
        (SMILTENE, date(2026, 11, 10), Span(hm(9), hm(15))),  # Tuesday
        (SMILTENE, date(2026, 11, 11), None),
        (SIGULDA, date(2026, 11, 11), Span(hm(9), hm(14, 30))),  # Wednesday
        (SIGULDA, date(2026, 11, 10), None),
    ],
)
def test_weekly_schedule(div: Division, day: date, span: Span | None) -> None:
    result = hours(div).day(day)
    assert result.span == span
    assert result.kind == ("regular" if span else "weekly_closed")
    assert result.holiday is None


@pytest.mark.parametrize(
    ("div", "day", "open_hm", "close_hm"),
    [
        (RIGA_1ST, (2026, 11, 10), (8, 0), (20, 0)),
        (ORDINARY, (2026, 11, 9), (9, 0), (16, 30)),
        (ORDINARY, (2026, 11, 13), (9, 0), (16, 0)),
        (LIVANI, (2026, 11, 13), (9, 0), (16, 0)),
        (SMILTENE, (2026, 11, 10), (9, 0), (15, 0)),
        (SIGULDA, (2026, 11, 11), (9, 0), (14, 30)),
    ],
)
def test_boundaries(
    div: Division, day: tuple[int, int, int], open_hm: tuple[int, int], close_hm: tuple[int, int]
) -> None:
    h = hours(div)
    opening, closing = riga(*day, *open_hm), riga(*day, *close_hm)
    assert not h.is_open(opening - 1)
    assert h.is_open(opening)  # the opening minute is open
    assert h.is_open(closing - 1)
    assert not h.is_open(closing)  # the closing minute is closed
    assert h.closing_ms(opening) == closing
    assert h.closing_ms(closing - 1) == closing
    assert h.closing_ms(closing) is None
    assert h.closing_ms(opening - 1) is None
    assert h.span_ms(date(*day)) == (opening, closing)
    assert h.local_minute(opening) == hm(*open_hm)
    assert h.local_date(closing) == date(*day)


def test_next_opening_across_a_weekend() -> None:
    h = hours(RIGA_1ST)
    friday_close = riga(2026, 11, 13, 20)
    monday = (riga(2026, 11, 16, 8), riga(2026, 11, 16, 20))
    assert h.next_opening(friday_close) == monday
    assert h.next_opening(riga(2026, 11, 14, 12)) == monday
    assert h.next_opening(riga(2026, 11, 16, 7, 59)) == monday
    # While open, the current period is the next one.
    assert h.next_opening(riga(2026, 11, 13, 19, 59)) == (riga(2026, 11, 13, 8), friday_close)
    assert h.next_opening(friday_close - 1) == (riga(2026, 11, 13, 8), friday_close)


def test_next_opening_for_a_branch_open_one_day_a_week() -> None:
    h = hours(LIVANI)
    friday = (riga(2026, 11, 13, 9), riga(2026, 11, 13, 16))
    assert h.next_opening(riga(2026, 11, 9, 10)) == friday  # Monday
    assert h.next_opening(riga(2026, 11, 13, 16)) == (
        riga(2026, 11, 20, 9),
        riga(2026, 11, 20, 16),
    )
    # Friday 1 May 2026 is a holiday: from Thursday the branch next opens a week later.
    assert h.next_opening(riga(2026, 4, 30, 12)) == (riga(2026, 5, 8, 9), riga(2026, 5, 8, 16))
    sigulda = hours(SIGULDA)
    # Wednesday 18 November 2026 is a holiday: Sigulda next opens on the 25th.
    assert sigulda.next_opening(riga(2026, 11, 11, 14, 30)) == (
        riga(2026, 11, 25, 9),
        riga(2026, 11, 25, 14, 30),
    )


def test_next_opening_gives_up_after_the_search_window() -> None:
    never = division("never", {})
    assert hours(never).next_opening(riga(2026, 1, 1)) is None
    far = hours(
        never, exceptions={date(2027, 2, 1): HoursException(date(2027, 2, 1), Span(600, 660))}
    )
    assert far.next_opening(riga(2026, 1, 1)) == (riga(2027, 2, 1, 10), riga(2027, 2, 1, 11))
    assert far.next_opening(riga(2025, 12, 1)) is None  # more than 400 days ahead


# -- holidays and pre-holiday days -------------------------------------------------------


@pytest.mark.parametrize("div", ALL)
def test_proclamation_day_is_closed(div: Division) -> None:
    day = hours(div).day(date(2026, 11, 18))
    assert day == DayHours(
        date(2026, 11, 18), None, "holiday", "Republic of Latvia Proclamation Day"
    )
    assert not hours(div).is_open(riga(2026, 11, 18, 12))


@pytest.mark.parametrize(
    ("div", "span"),
    [
        (RIGA_1ST, Span(hm(8), hm(19))),
        (ORDINARY, Span(hm(9), hm(15, 30))),
        (SMILTENE, Span(hm(9), hm(14))),
    ],
)
def test_the_day_before_a_holiday_is_an_hour_shorter(div: Division, span: Span) -> None:
    h = hours(div)
    day = h.day(date(2026, 11, 17))
    assert day.span == span
    assert day.kind == "pre_holiday"
    assert day.holiday == "Republic of Latvia Proclamation Day"
    close = riga(2026, 11, 17, span.close_min // 60, span.close_min % 60)
    assert h.closing_ms(close - 1) == close
    assert not h.is_open(close)


def test_pre_holiday_only_on_open_days() -> None:
    # Livani is closed on Tuesday 17 November anyway.
    assert hours(LIVANI).day(date(2026, 11, 17)).kind == "weekly_closed"
    # Sunday 3 May precedes the 4 May holiday but is no working day.
    assert hours(RIGA_1ST).day(date(2026, 5, 3)).kind == "weekly_closed"


@pytest.mark.parametrize(
    ("day", "kind", "span"),
    [
        (date(2026, 1, 1), "holiday", None),
        (date(2026, 1, 2), "holiday", None),  # moved day off
        (date(2026, 1, 5), "regular", Span(hm(8), hm(20))),
        (date(2026, 4, 2), "pre_holiday", Span(hm(8), hm(19))),  # before Good Friday
        (date(2026, 4, 3), "holiday", None),
        (date(2026, 4, 6), "holiday", None),  # Easter Monday
        (date(2026, 4, 30), "pre_holiday", Span(hm(8), hm(19))),  # before 1 May
        (date(2026, 5, 1), "holiday", None),
        (date(2026, 5, 4), "holiday", None),  # Restoration of Independence, a Monday
        (date(2026, 5, 5), "regular", Span(hm(8), hm(20))),
        (date(2026, 6, 19), "regular", Span(hm(8), hm(20))),  # only the day right before
        (date(2026, 6, 22), "holiday", None),  # moved day off
        (date(2026, 6, 23), "holiday", None),
        (date(2026, 6, 24), "holiday", None),
        (date(2026, 6, 27), "weekly_closed", None),  # the moved working Saturday
        (date(2026, 12, 23), "pre_holiday", Span(hm(8), hm(19))),
        (date(2026, 12, 24), "holiday", None),
        (date(2026, 12, 25), "holiday", None),
        (date(2026, 12, 28), "regular", Span(hm(8), hm(20))),
        (date(2026, 12, 30), "pre_holiday", Span(hm(8), hm(19))),
        (date(2026, 12, 31), "holiday", None),
    ],
)
def test_latvian_holidays_2026_for_riga_1st(day: date, kind: str, span: Span | None) -> None:
    result = hours(RIGA_1ST).day(day)
    assert (result.kind, result.span) == (kind, span)
    if kind in ("holiday", "pre_holiday"):
        assert result.holiday


def test_sigulda_before_christmas() -> None:
    h = hours(SIGULDA)
    assert h.day(date(2026, 12, 23)).span == Span(hm(9), hm(13, 30))
    assert h.day(date(2026, 12, 30)).span == Span(hm(9), hm(13, 30))
    assert h.day(date(2026, 6, 24)).kind == "holiday"


def test_a_different_shortening() -> None:
    two_hours = Rules(pre_holiday_shortening_ms=2 * HOUR_MS)
    assert hours(RIGA_1ST, two_hours).day(date(2026, 11, 17)).span == Span(hm(8), hm(18))
    # Partial minutes round up: never open longer than the rule allows.
    odd = Rules(pre_holiday_shortening_ms=90_000)
    assert hours(RIGA_1ST, odd).day(date(2026, 11, 17)).span == Span(hm(8), hm(19, 58))
    none = Rules(pre_holiday_shortening_ms=0)
    day = hours(RIGA_1ST, none).day(date(2026, 11, 17))
    assert (day.kind, day.span) == ("pre_holiday", Span(hm(8), hm(20)))


@pytest.mark.parametrize("shortening_min", [hm(5, 30), hm(6)])
def test_a_shortening_that_leaves_nothing_closes_the_day(shortening_min: int) -> None:
    rules = Rules(pre_holiday_shortening_ms=shortening_min * MINUTE_MS)
    h = hours(SIGULDA, rules)
    # Sigulda: Wednesday 23 December 2026, 9:00-14:30, before Christmas Eve.
    day = h.day(date(2026, 12, 23))
    assert (day.kind, day.span) == ("pre_holiday", None)
    assert h.span_ms(date(2026, 12, 23)) is None
    assert not h.is_open(riga(2026, 12, 23, 9))


def test_plain_calendars() -> None:
    holiday = date(2026, 11, 11)  # an ordinary Wednesday, declared a holiday
    as_set = ReceptionHours(RIGA_1ST, RULES, {holiday})
    assert as_set.day(holiday) == DayHours(holiday, None, "holiday", None)
    assert as_set.day(date(2026, 11, 10)).kind == "pre_holiday"
    assert as_set.day(date(2026, 11, 10)).holiday is None
    assert as_set.day(date(2026, 11, 18)).kind == "regular"  # not in this calendar
    as_dict = ReceptionHours(RIGA_1ST, RULES, {holiday: "Office Day"})
    assert as_dict.day(holiday).holiday == "Office Day"
    assert as_dict.day(date(2026, 11, 10)).holiday == "Office Day"


# -- daylight saving (Europe/Riga: EET = UTC+2, EEST = UTC+3) ----------------------------


def test_span_ms_in_winter_and_summer_time() -> None:
    h = hours(RIGA_1ST)
    # Friday 27 March 2026, EET: 8:00 local = 06:00 UTC.
    assert h.span_ms(date(2026, 3, 27)) == (utc(2026, 3, 27, 6), utc(2026, 3, 27, 18))
    # Sunday 29 March 2026: clocks go 03:00 -> 04:00 (01:00 UTC); closed anyway.
    assert h.span_ms(date(2026, 3, 29)) is None
    # Monday 30 March 2026, EEST: 8:00 local = 05:00 UTC.
    assert h.span_ms(date(2026, 3, 30)) == (utc(2026, 3, 30, 5), utc(2026, 3, 30, 17))
    # Friday 23 October 2026, EEST.
    assert h.span_ms(date(2026, 10, 23)) == (utc(2026, 10, 23, 5), utc(2026, 10, 23, 17))
    # Sunday 25 October 2026: clocks go 04:00 -> 03:00 (01:00 UTC).
    assert h.span_ms(date(2026, 10, 25)) is None
    # Monday 26 October 2026, EET again.
    assert h.span_ms(date(2026, 10, 26)) == (utc(2026, 10, 26, 6), utc(2026, 10, 26, 18))


def test_next_opening_across_the_change() -> None:
    h = hours(RIGA_1ST)
    assert h.next_opening(utc(2026, 3, 27, 18)) == (utc(2026, 3, 30, 5), utc(2026, 3, 30, 17))
    assert h.next_opening(utc(2026, 10, 23, 17)) == (utc(2026, 10, 26, 6), utc(2026, 10, 26, 18))
    # The Monday after the spring change: 05:00 UTC is 8:00 local, open; 04:59 is not.
    assert h.is_open(utc(2026, 3, 30, 5))
    assert not h.is_open(utc(2026, 3, 30, 4, 59))
    assert h.local_minute(utc(2026, 3, 30, 5)) == hm(8)
    # The Monday after the autumn change: 05:00 UTC is 7:00 local, still closed.
    assert not h.is_open(utc(2026, 10, 26, 5))
    assert h.local_minute(utc(2026, 10, 26, 5)) == hm(7)
    assert h.is_open(utc(2026, 10, 26, 6))


def test_local_time_across_the_change() -> None:
    h = hours(RIGA_1ST)
    assert h.local_minute(utc(2026, 3, 29, 0, 59)) == hm(2, 59)
    assert h.local_minute(utc(2026, 3, 29, 1)) == hm(4)  # 03:00 never happens
    assert h.local_minute(utc(2026, 10, 25, 0, 59)) == hm(3, 59)
    assert h.local_minute(utc(2026, 10, 25, 1)) == hm(3)  # 03:00-04:00 twice
    assert h.local_date(utc(2026, 10, 25, 1)) == date(2026, 10, 25)
    # Local midnight: 22:00 UTC in winter, 21:00 UTC in summer.
    assert h.local_date(utc(2026, 11, 17, 21, 59)) == date(2026, 11, 17)
    assert h.local_date(utc(2026, 11, 17, 22)) == date(2026, 11, 18)
    assert h.local_date(utc(2026, 6, 30, 21)) == date(2026, 7, 1)


def test_spans_on_the_change_days_have_their_real_length() -> None:
    night = Span(hm(2), hm(5))
    h = hours(
        RIGA_1ST,
        exceptions={
            date(2026, 3, 29): HoursException(date(2026, 3, 29), night),
            date(2026, 10, 25): HoursException(date(2026, 10, 25), night),
        },
    )
    # 02:00 EET = 00:00 UTC, 05:00 EEST = 02:00 UTC: two hours.
    assert h.span_ms(date(2026, 3, 29)) == (utc(2026, 3, 29, 0), utc(2026, 3, 29, 2))
    # 02:00 EEST = 23:00 UTC the day before, 05:00 EET = 03:00 UTC: four hours.
    assert h.span_ms(date(2026, 10, 25)) == (utc(2026, 10, 24, 23), utc(2026, 10, 25, 3))
    assert h.is_open(utc(2026, 10, 25, 0, 30))  # the first 03:30
    assert h.is_open(utc(2026, 10, 25, 1, 30))  # the second 03:30
    assert h.closing_ms(utc(2026, 10, 25, 1, 30)) == utc(2026, 10, 25, 3)


# -- exceptions ---------------------------------------------------------------------------


def test_an_exception_shortens_a_day() -> None:
    day = date(2026, 11, 10)
    h = hours(RIGA_1ST).with_exception(HoursException(day, Span(hm(10), hm(14)), "Staff meeting"))
    assert h.day(day) == DayHours(day, Span(hm(10), hm(14)), "exception", None, "Staff meeting")
    assert not h.is_open(riga(2026, 11, 10, 9))
    assert h.closing_ms(riga(2026, 11, 10, 10)) == riga(2026, 11, 10, 14)
    assert h.next_opening(riga(2026, 11, 10, 8)) == (riga(2026, 11, 10, 10), riga(2026, 11, 10, 14))


def test_an_exception_closes_a_day() -> None:
    day = date(2026, 11, 12)
    h = hours(ORDINARY).with_exception(HoursException(day, None, "Water pipe burst"))
    assert h.day(day) == DayHours(day, None, "exception", None, "Water pipe burst")
    assert h.next_opening(riga(2026, 11, 11, 17)) == (riga(2026, 11, 13, 9), riga(2026, 11, 13, 16))


def test_an_exception_opens_a_holiday_and_overrides_the_pre_holiday_rule() -> None:
    h = hours(RIGA_1ST).with_exception(
        HoursException(date(2026, 11, 18), Span(hm(10), hm(14)), "Passport day")
    )
    day = h.day(date(2026, 11, 18))
    assert (day.kind, day.span) == ("exception", Span(hm(10), hm(14)))
    assert day.holiday == "Republic of Latvia Proclamation Day"
    assert h.is_open(riga(2026, 11, 18, 12))
    # The day before still precedes a public holiday.
    assert h.day(date(2026, 11, 17)).kind == "pre_holiday"
    full = h.with_exception(HoursException(date(2026, 11, 17), Span(hm(8), hm(20))))
    assert full.day(date(2026, 11, 17)).span == Span(hm(8), hm(20))


def test_an_exception_opens_a_moved_working_saturday() -> None:
    saturday = date(2026, 1, 17)
    h = hours(ORDINARY).with_exception(HoursException(saturday, Span(hm(9), hm(16))))
    assert h.is_open(riga(2026, 1, 17, 9))


def test_configured_and_added_exceptions() -> None:
    configured = HoursException(date(2026, 11, 10), None, "configured")
    div = division("riga1", RIGA_1ST.week, exceptions=(configured,))
    added = HoursException(date(2026, 11, 10), Span(hm(8), hm(12)), "added")
    h = hours(div)
    assert h.day(date(2026, 11, 10)).note == "configured"
    assert hours(div, exceptions={added.day: added}).day(date(2026, 11, 10)).note == "added"
    with_added = h.with_exception(added)
    assert with_added.day(date(2026, 11, 10)).note == "added"
    assert h.day(date(2026, 11, 10)).note == "configured"  # the original is unchanged
    removed = with_added.without_exception(date(2026, 11, 10))
    assert removed.day(date(2026, 11, 10)).kind == "regular"
    assert removed.exceptions == {}
    assert h.exceptions == {configured.day: configured}
    # Removing nothing is harmless.
    assert h.without_exception(date(2026, 1, 1)).exceptions == h.exceptions


@pytest.mark.parametrize(
    "span", [Span(hm(10), hm(10)), Span(hm(14), hm(10)), Span(-1, hm(10)), Span(hm(10), hm(25))]
)
def test_bad_exceptions_are_refused(span: Span) -> None:
    h = hours(RIGA_1ST)
    with pytest.raises(DomainError) as error:
        h.with_exception(HoursException(date(2026, 11, 10), span))
    assert error.value.code == "invalid_hours"
    with pytest.raises(DomainError):
        hours(RIGA_1ST, exceptions={date(2026, 11, 10): HoursException(date(2026, 11, 10), span)})


def test_an_exception_under_the_wrong_date_is_refused() -> None:
    exc = HoursException(date(2026, 11, 10), None)
    with pytest.raises(DomainError) as error:
        hours(RIGA_1ST, exceptions={date(2026, 11, 11): exc})
    assert error.value.code == "invalid_hours"


def test_a_whole_day_exception() -> None:
    day = date(2026, 11, 14)
    h = hours(RIGA_1ST).with_exception(HoursException(day, Span(0, hm(24))))
    assert h.span_ms(day) == (riga(2026, 11, 14), riga(2026, 11, 15))
    assert h.is_open(riga(2026, 11, 15) - 1)
    assert not h.is_open(riga(2026, 11, 15))


# -- properties over 2026 ------------------------------------------------------------------

YEAR_START, YEAR_END = riga(2026, 1, 1), riga(2027, 1, 1)
CACHED = [hours(div) for div in ALL] + [
    hours(SIGULDA).with_exception(HoursException(date(2026, 11, 18), Span(hm(9), hm(12)))),
    hours(ORDINARY).with_exception(HoursException(date(2026, 3, 29), Span(hm(2), hm(5)))),
    hours(ORDINARY).with_exception(HoursException(date(2026, 10, 25), Span(hm(2), hm(5)))),
]


@settings(max_examples=300, deadline=None)
@given(which=st.sampled_from(range(len(CACHED))), t=st.integers(YEAR_START, YEAR_END))
def test_is_open_agrees_with_the_span(which: int, t: int) -> None:
    h = CACHED[which]
    span = h.span_ms(h.local_date(t))
    inside = span is not None and span[0] <= t < span[1]
    assert h.is_open(t) == inside
    assert h.closing_ms(t) == (span[1] if inside and span else None)


@settings(max_examples=300, deadline=None)
@given(which=st.sampled_from(range(len(CACHED))), t=st.integers(YEAR_START, YEAR_END))
def test_next_opening_is_the_first_period_ending_after(which: int, t: int) -> None:
    h = CACHED[which]
    found = h.next_opening(t)
    assert found is not None
    opening, closing = found
    assert closing > t
    assert h.span_ms(h.local_date(opening)) == found
    assert h.is_open(opening)
    assert h.closing_ms(closing - 1) == closing
    if opening > t:
        assert not h.is_open(t)
        day = h.local_date(t)
        while day < h.local_date(opening):
            span = h.span_ms(day)
            assert span is None or span[1] <= t, day
            day += timedelta(days=1)
    else:
        assert h.closing_ms(t) == closing
