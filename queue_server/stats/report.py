"""A report: the statistics of one division over a day, a week, a month or any days.

``report(db, division, period, start, target)`` reads the store's file and returns a
``Report`` of frozen dataclasses: the division's figures, a row per day, service,
counter and clerk, refusals by legal reason, referrals by authority, undone
actions, ratings, the service target and a series per hour of the day.
``report_span`` does the same for any run of days (a year). ``Report.to_dict()`` is
its JSON shape; ``tables(report)`` its CSV tables. What each figure means exactly is
in ``docs/statistics.md``; how closed days are read from their summaries in
``summaries.py``.
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from queue_server.core.visit import RATING_TAGS

from .errors import StatsError
from .figures import (
    MINUTE_MS,
    Folded,
    HourTally,
    ServiceTarget,
    Tally,
    fold,
    runs_count,
    runs_max,
    runs_p90,
    runs_within,
)
from .period import Period, days_between, parse_day, parse_period, period_days
from .read import check, first_calls, local_hour, open_read_only, step_rows, undone_actions
from .summaries import fold_days

DEFAULT_TIMEZONE = "Europe/Riga"
_DIGITS = re.compile(r"(\d+)")


@dataclass(frozen=True, slots=True)
class Figures:
    """The figures of one group: the division, a day, a service, a counter or a clerk.

    Times are minutes; ``None`` where there is nothing to measure (no step called,
    no rating, nothing counted for the target).
    """

    name: str
    visits: int
    called: int
    wait_mean_min: float | None
    wait_p90_min: float | None
    wait_max_min: float | None
    service_mean_min: float | None
    served: int
    refused: int
    referred: int
    behaviour: int
    transferred: int
    no_shows: int
    cancelled: int
    expired: int
    open: int
    #: None for services: an undo belongs to a counter, not to a service.
    undone: int | None
    ratings: int
    rating_mean: float | None
    target_counted: int
    target_within: int
    target_share: float | None
    target_met: bool | None


@dataclass(frozen=True, slots=True)
class Count:
    """How often one thing happened (a refusal reason, a referral authority) and its share."""

    name: str | None
    count: int
    share: float


@dataclass(frozen=True, slots=True)
class UndoneCount:
    counter: str
    clerk: str | None
    action: str
    count: int


@dataclass(frozen=True, slots=True)
class Ratings:
    """The visitors' ratings: one per rated visit."""

    count: int
    mean: float | None
    #: Visits rated 1, 2, 3, 4 and 5 stars.
    distribution: tuple[int, int, int, int, int]
    #: Every known tag (``RATING_TAGS``) with how many ratings chose it.
    tags: dict[str, int]


@dataclass(frozen=True, slots=True)
class HourFigures:
    """One hour of the day (local), summed over every day of the report."""

    hour: int
    arrivals: int
    arrivals_per_day: float
    called: int
    wait_mean_min: float | None
    wait_p90_min: float | None
    target_share: float | None


@dataclass(frozen=True, slots=True)
class TargetResult:
    """The service target and how the period did against it."""

    minutes: float
    share: float
    counted: int
    within: int
    achieved: float | None
    met: bool | None
    #: Days that counted at least one wait, and those of them that met the target.
    days_counted: int
    days_met: int


@dataclass(frozen=True, slots=True)
class Report:
    division: str
    #: None for a report over days chosen one by one (``report_span``).
    period: Period | None
    first_day: str
    last_day: str
    timezone: str
    target: TargetResult
    summary: Figures
    days: tuple[Figures, ...]
    services: tuple[Figures, ...]
    counters: tuple[Figures, ...]
    clerks: tuple[Figures, ...]
    refusals: tuple[Count, ...]
    referrals: tuple[Count, ...]
    undone: tuple[UndoneCount, ...]
    ratings: Ratings
    hours: tuple[HourFigures, ...]

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (the server sends this)."""
        data = dataclasses.asdict(self)
        data["period"] = self.period.value if self.period is not None else None
        return data


def report(
    db: Database,
    division: str,
    period: Period | str,
    start: date | str,
    target: ServiceTarget | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    *,
    summaries: bool = True,
) -> Report:
    """The statistics of ``division`` over the ``period`` (day, week, month) around ``start``.

    ``db`` is the store's file (the store's own ``Database``, or ``open_read_only``);
    ``timezone`` the division's, for the hours of the day (its days are already
    local in the file). Raises ``StatsError`` on a bad period, day, target or file.

    Closed days are read from their summaries where the file keeps them (see
    ``summaries.py``); ``summaries=False`` folds every row instead. The figures
    are the same either way.
    """
    chosen = parse_period(period)
    first, last = period_days(chosen, parse_day(start))
    return _report(db, division, chosen, first, last, target, timezone, summaries)


def report_span(
    db: Database,
    division: str,
    first: date | str,
    last: date | str,
    target: ServiceTarget | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    *,
    summaries: bool = True,
) -> Report:
    """``report`` over the days from ``first`` to ``last`` (both included), e.g. a year.

    The report's ``period`` is None. Raises ``StatsError`` when ``last`` is before
    ``first``, and as ``report`` does.
    """
    first_day, last_day = parse_day(first), parse_day(last)
    if last_day < first_day:
        raise StatsError(f"The last day {last_day} is before the first day {first_day}.")
    return _report(db, division, None, first_day, last_day, target, timezone, summaries)


def report_file(
    path: str | Path,
    division: str,
    period: Period | str,
    start: date | str,
    target: ServiceTarget | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> Report:
    """``report`` over the file at ``path``, read through its own read-only connection.

    Safe in a worker thread beside the running store (``asyncio.to_thread``).
    """
    db = open_read_only(path)
    try:
        return report(db, division, period, start, target, timezone)
    finally:
        db.close()


def _report(
    db: Database,
    division: str,
    period: Period | None,
    first: date,
    last: date,
    target: ServiceTarget | None,
    timezone: str,
    summaries: bool,
) -> Report:
    target = target if target is not None else ServiceTarget()
    hour_of = local_hour(timezone)
    days = [d.isoformat() for d in days_between(first, last)]
    check(db)
    conn = db.conn
    # One read transaction: the summaries, the rows and the events of one moment.
    began = not conn.in_transaction
    try:
        if began:
            conn.execute("BEGIN")
        try:
            if summaries:
                folded = fold_days(db, division, days, timezone, hour_of)
            else:
                folded = fold(
                    step_rows(db, division, days[0], days[-1]),
                    first_calls(db, division, days[0], days[-1]),
                    undone_actions(db, division, days[0], days[-1]),
                    days,
                    hour_of,
                )
        finally:
            if began and conn.in_transaction:
                conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise StatsError(f"Could not read the statistics: {exc}.") from exc
    return _build(division, period, days, timezone, target, folded)


def _build(
    division: str,
    period: Period | None,
    days: list[str],
    timezone: str,
    target: ServiceTarget,
    folded: Folded,
) -> Report:
    def rows(tallies: dict[str, Tally], undone: bool = True) -> tuple[Figures, ...]:
        return tuple(
            figures(name, tallies[name], target, by_visit=False, undone=undone)
            for name in sorted(tallies, key=_natural)
        )

    day_rows = tuple(
        figures(day, folded.days[day], target, by_visit=True) for day in sorted(folded.days)
    )
    summary = figures(division, folded.division, target, by_visit=True)
    counted = [row for row in day_rows if row.target_counted]
    return Report(
        division=division,
        period=period,
        first_day=days[0],
        last_day=days[-1],
        timezone=timezone,
        target=TargetResult(
            minutes=target.minutes,
            share=target.share,
            counted=summary.target_counted,
            within=summary.target_within,
            achieved=summary.target_share,
            met=summary.target_met,
            days_counted=len(counted),
            days_met=sum(1 for row in counted if row.target_met),
        ),
        summary=summary,
        days=day_rows,
        services=rows(folded.services, undone=False),
        counters=rows(folded.counters),
        clerks=rows(folded.clerks),
        refusals=_counts(folded.refusals),
        referrals=_counts(folded.referrals),
        undone=tuple(
            UndoneCount(counter, clerk, action, count)
            for (counter, clerk, action), count in sorted(
                folded.undone.items(),
                key=lambda item: (_natural(item[0][0]), item[0][1] or "", item[0][2]),
            )
        ),
        ratings=_ratings(folded),
        hours=_hours(folded.hours, sum(1 for row in day_rows if row.visits), target),
    )


def figures(
    name: str, tally: Tally, target: ServiceTarget, *, by_visit: bool, undone: bool = True
) -> Figures:
    """A group's ``Figures`` from its ``Tally``.

    ``by_visit``: the division and its days count visits and one rating per visit;
    services, counters and clerks count the steps they had, each with its visit's rating.
    """
    runs = tally.runs
    called = runs_count(runs)
    base = called + tally.missed
    within = runs_within(runs, target.ms) if called else 0
    outcomes = tally.outcomes
    share = within / base if base else None
    visits = tally.visits if by_visit else tally.steps
    rating_sum, ratings = (
        (tally.visit_rating_sum, tally.visit_rating_count)
        if by_visit
        else (tally.rating_sum, tally.rating_count)
    )
    return Figures(
        name=name,
        visits=visits,
        called=called,
        wait_mean_min=_minutes(tally.wait_ms / called) if called else None,
        wait_p90_min=_minutes(runs_p90(runs)),
        wait_max_min=_minutes(runs_max(runs)),
        service_mean_min=(
            _minutes(tally.service_ms / tally.service_count) if tally.service_count else None
        ),
        served=outcomes.get("served", 0),
        refused=outcomes.get("refused", 0),
        referred=outcomes.get("referred", 0),
        behaviour=outcomes.get("behaviour", 0),
        transferred=outcomes.get("transferred", 0),
        no_shows=outcomes.get("no_show", 0),
        cancelled=outcomes.get("cancelled", 0),
        expired=outcomes.get("expired", 0),
        open=tally.still_open,
        undone=tally.undone if undone else None,
        ratings=ratings,
        rating_mean=round(rating_sum / ratings, 2) if ratings else None,
        target_counted=base,
        target_within=within,
        target_share=round(share, 4) if share is not None else None,
        target_met=share >= target.share if share is not None else None,
    )


def _counts(counts: Counter[str] | Counter[str | None]) -> tuple[Count, ...]:
    total = sum(counts.values())
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0] or ""))
    return tuple(Count(name, count, round(count / total, 4)) for name, count in ordered)


def _ratings(folded: Folded) -> Ratings:
    stars = folded.stars
    count = sum(stars.values())
    total = sum(star * n for star, n in stars.items())
    tags = {tag: folded.tags[tag] for tag in RATING_TAGS}
    tags.update((tag, n) for tag, n in sorted(folded.tags.items()) if tag not in tags)
    return Ratings(
        count=count,
        mean=round(total / count, 2) if count else None,
        distribution=(stars[1], stars[2], stars[3], stars[4], stars[5]),
        tags=tags,
    )


def _hours(
    hours: dict[int, HourTally], open_days: int, target: ServiceTarget
) -> tuple[HourFigures, ...]:
    if not hours:
        return ()
    found = []
    for hour in range(min(hours), max(hours) + 1):
        tally = hours.get(hour, HourTally())
        runs = tally.runs
        called = runs_count(runs)
        base = called + tally.missed
        found.append(
            HourFigures(
                hour=hour,
                arrivals=tally.arrivals,
                arrivals_per_day=round(tally.arrivals / open_days, 2) if open_days else 0.0,
                called=called,
                wait_mean_min=_minutes(tally.wait_ms / called) if called else None,
                wait_p90_min=_minutes(runs_p90(runs)),
                target_share=(round(runs_within(runs, target.ms) / base, 4) if base else None),
            )
        )
    return tuple(found)


def _minutes(ms: float | None) -> float | None:
    return round(ms / MINUTE_MS, 2) if ms is not None else None


def _natural(name: str) -> tuple[tuple[int, str], ...]:
    """Sort key that puts counter "2" before "10" and "clerk-9" before "clerk-10"."""
    return tuple(
        (int(part), "") if part.isdigit() else (-1, part) for part in _DIGITS.split(name) if part
    )
