"""The arithmetic of the statistics: one pass over the step rows, no I/O.

``fold`` takes the rows of ``visit_steps`` (in key order) and the undone actions,
and counts every figure for the division, each day, service, counter, clerk and
hour of the day at once. ``Tally`` is one such group; ``p90`` is the percentile.
Keeping this pure lets the tests check each figure on hand-made rows, and keeps
the one SQL query simple enough to stay on its index.

A group keeps its waits as sorted *runs* (one per day summary it was merged from,
see ``summaries.py``): counts, sums, the longest wait, the waits within a target
and the nearest-rank percentile all come from the runs without merging them.
Nothing here depends on the service target: it is applied when the figures are
made, so a day's fold can be kept and reused for any target.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from .errors import StatsError

MINUTE_MS = 60_000

#: How a step can end, in the order the tables show them.
OUTCOMES: tuple[str, ...] = (
    "served",
    "refused",
    "referred",
    "behaviour",
    "transferred",
    "no_show",
    "cancelled",
    "expired",
)
#: Steps whose service time counts: a transfer ends a step before its service is done.
_SERVICE_TIMED = frozenset({"served", "refused", "referred", "behaviour"})


@dataclass(frozen=True, slots=True)
class ServiceTarget:
    """A service target: ``share`` of the waits end in a call within ``minutes``."""

    minutes: float = 20.0
    share: float = 0.9

    def __post_init__(self) -> None:
        if not (isinstance(self.minutes, int | float) and 0 < self.minutes <= 24 * 60):
            raise StatsError(
                f"The target's minutes must be above 0 and at most 1440, not {self.minutes!r}."
            )
        if not (isinstance(self.share, int | float) and 0 < self.share <= 1):
            raise StatsError(
                f"The target's share must be above 0 and at most 1, not {self.share!r}."
            )

    @property
    def ms(self) -> float:
        return self.minutes * MINUTE_MS


class StepRow(NamedTuple):
    """The columns of ``visit_steps`` the statistics read, in the query's order."""

    day: str
    number: str
    step: int
    service: str
    arrival: int
    queued_at: int | None
    called_at: int | None
    started_at: int | None
    finished_at: int | None
    counter: str | None
    clerk: str | None
    outcome: str | None
    reason: str | None
    referral: str | None
    rating: int | None
    rating_tags: str | None


class Undone(NamedTuple):
    """An action a counter took back (``action_undone``), with the clerk logged in there."""

    day: str
    counter: str
    clerk: str | None
    action: str


def p90(values: Sequence[int]) -> int | None:
    """The 90th percentile by the nearest-rank method: the smallest value that at
    least 90% of ``values`` do not exceed (always one of the values); None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[_p90_rank(len(ordered)) - 1]


def _p90_rank(n: int) -> int:
    return math.ceil(0.9 * n)


#: Sorted runs of waits (ms): lists, or ``array("i")`` read from a day summary.
Runs = Sequence[Sequence[int]]


def runs_count(runs: Runs) -> int:
    return sum(map(len, runs))


def runs_max(runs: Runs) -> int | None:
    return max((run[-1] for run in runs), default=None)


def runs_within(runs: Runs, limit: float) -> int:
    """How many values of the sorted ``runs`` are at most ``limit``."""
    return sum(bisect_right(run, limit) for run in runs)


def runs_p90(runs: Runs) -> int | None:
    """``p90`` of every value of the sorted ``runs`` together, without merging them.

    The answer is the smallest value v with at least ``rank`` values <= v. It lies
    between the smallest and the largest of the runs' own p90s (each run has at
    least 90 % of its values at or below its p90, and fewer than 90 % below it), so
    the search starts there and halves the range of values, counting with a bisect
    per run; a run with no value left in the range is counted once and dropped. A
    year is some 32,000 runs: this takes half the time a sort of each group's
    values would.
    """
    runs = [run for run in runs if run]
    if not runs:
        return None
    if len(runs) == 1:
        run = runs[0]
        return run[_p90_rank(len(run)) - 1]
    rank = _p90_rank(sum(map(len, runs)))
    own = [run[_p90_rank(len(run)) - 1] for run in runs]
    lo, hi = min(own), max(own)
    # Each live run with the window [start, end) of its values in [lo, hi]; ``fixed``
    # counts the values at most lo - 1 of the runs dropped.
    fixed = 0
    live: list[tuple[Sequence[int], int, int]] = []
    for run in runs:
        start, end = bisect_right(run, lo - 1), bisect_right(run, hi)
        if start == end:
            fixed += start
        else:
            live.append((run, start, end))
    while lo < hi:
        mid = (lo + hi) // 2
        cuts = [bisect_right(run, mid, start, end) for run, start, end in live]
        kept: list[tuple[Sequence[int], int, int]] = []
        if fixed + sum(cuts) >= rank:
            hi = mid
            for (run, start, _), cut in zip(live, cuts, strict=True):
                if cut == start:
                    fixed += start
                else:
                    kept.append((run, start, cut))
        else:
            lo = mid + 1
            for (run, _, end), cut in zip(live, cuts, strict=True):
                if cut == end:
                    fixed += end
                else:
                    kept.append((run, cut, end))
        live = kept
    return lo


class Tally:
    """The running counts of one group: a division, a day, a service, a counter, a clerk.

    ``visits`` and ``visit_rating_*`` count visits (their first step), the rest counts
    steps: the division and its days report visits, services, counters and clerks
    report the steps they had.
    """

    __slots__ = (
        "missed",
        "outcomes",
        "rating_count",
        "rating_sum",
        "runs",
        "service_count",
        "service_ms",
        "steps",
        "still_open",
        "undone",
        "visit_rating_count",
        "visit_rating_sum",
        "visits",
        "wait_ms",
        "waits",
    )

    def __init__(self) -> None:
        self.visits = 0
        self.steps = 0
        #: Waits (ms) of the steps called: from joining the queue to the (first) call,
        #: as ``fold`` meets them; ``settle`` sorts them into ``runs``.
        self.waits: list[int] = []
        #: The waits as sorted runs: what the figures are made from; and their sum.
        self.runs: list[Sequence[int]] = []
        self.wait_ms = 0
        self.service_ms = 0
        self.service_count = 0
        self.outcomes: dict[str, int] = {}
        self.still_open = 0
        self.undone = 0
        self.rating_sum = 0
        self.rating_count = 0
        self.visit_rating_sum = 0
        self.visit_rating_count = 0
        #: Steps that expired without a call: the service target counts them as misses.
        self.missed = 0

    def merge(self, other: Tally) -> None:
        """Add ``other``'s counts to these (a cell rolled up into its groups)."""
        self.visits += other.visits
        self.steps += other.steps
        self.waits += other.waits
        self.runs += other.runs
        self.wait_ms += other.wait_ms
        self.service_ms += other.service_ms
        self.service_count += other.service_count
        outcomes = self.outcomes
        for outcome, n in other.outcomes.items():
            outcomes[outcome] = outcomes.get(outcome, 0) + n
        self.still_open += other.still_open
        self.undone += other.undone
        self.rating_sum += other.rating_sum
        self.rating_count += other.rating_count
        self.visit_rating_sum += other.visit_rating_sum
        self.visit_rating_count += other.visit_rating_count
        self.missed += other.missed

    def settle(self) -> None:
        """Sort the waits met so far into a run of their own."""
        if self.waits:
            self.runs.append(sorted(self.waits))
            self.wait_ms += sum(self.waits)
            self.waits = []

    def counts(self) -> list[int]:
        """Every count of the group, in ``COUNTS`` order (a day summary keeps these)."""
        outcomes = self.outcomes
        return [
            self.visits,
            self.steps,
            self.wait_ms,
            self.service_ms,
            self.service_count,
            self.still_open,
            self.undone,
            self.rating_sum,
            self.rating_count,
            self.visit_rating_sum,
            self.visit_rating_count,
            self.missed,
            *(outcomes.get(outcome, 0) for outcome in OUTCOMES),
        ]

    @classmethod
    def of_counts(cls, counts: Sequence[int], runs: list[Sequence[int]]) -> Tally:
        """The group whose ``counts()`` are ``counts`` and whose waits are ``runs``."""
        tally = cls()
        (
            tally.visits,
            tally.steps,
            tally.wait_ms,
            tally.service_ms,
            tally.service_count,
            tally.still_open,
            tally.undone,
            tally.rating_sum,
            tally.rating_count,
            tally.visit_rating_sum,
            tally.visit_rating_count,
            tally.missed,
        ) = counts[:_OUTCOMES_AT]
        tally.outcomes = {
            outcome: n for outcome, n in zip(OUTCOMES, counts[_OUTCOMES_AT:], strict=True) if n
        }
        tally.runs = runs
        return tally


#: What ``Tally.counts()`` lists: these, then one count per outcome of ``OUTCOMES``.
COUNTS: tuple[str, ...] = (
    "visits",
    "steps",
    "wait_ms",
    "service_ms",
    "service_count",
    "still_open",
    "undone",
    "rating_sum",
    "rating_count",
    "visit_rating_sum",
    "visit_rating_count",
    "missed",
    *OUTCOMES,
)
_OUTCOMES_AT = len(COUNTS) - len(OUTCOMES)


@dataclass(slots=True)
class HourTally:
    """Arrivals and waits of one hour of the day (local), over every day of a report."""

    arrivals: int = 0
    waits: list[int] = field(default_factory=list)
    runs: list[Sequence[int]] = field(default_factory=list)
    wait_ms: int = 0
    #: Steps that joined their queue in this hour and expired without a call.
    missed: int = 0

    def settle(self) -> None:
        if self.waits:
            self.runs.append(sorted(self.waits))
            self.wait_ms += sum(self.waits)
            self.waits = []


@dataclass(slots=True)
class Folded:
    """Every group's ``Tally``, and the counts that are tables of their own."""

    division: Tally
    days: dict[str, Tally]
    services: dict[str, Tally] = field(default_factory=dict)
    counters: dict[str, Tally] = field(default_factory=dict)
    clerks: dict[str, Tally] = field(default_factory=dict)
    hours: dict[int, HourTally] = field(default_factory=dict)
    refusals: Counter[str] = field(default_factory=Counter)
    referrals: Counter[str | None] = field(default_factory=Counter)
    undone: Counter[tuple[str, str | None, str]] = field(default_factory=Counter)
    stars: Counter[int] = field(default_factory=Counter)
    tags: Counter[str] = field(default_factory=Counter)

    def groups(self) -> Iterator[Tally]:
        yield self.division
        for kind in (self.days, self.services, self.counters, self.clerks):
            yield from kind.values()


#: A cell of the fold: (day, service, counter, clerk); no counter or clerk before a call.
_Cell = tuple[str, str, str | None, str | None]


def fold(
    rows: Iterable[StepRow],
    first_calls: Mapping[tuple[str, str, int], int],
    undone: Iterable[Undone],
    days: Iterable[str],
    hour_of: Callable[[int], int],
) -> Folded:
    """Count every figure of a report from its step rows (ordered by day, number, step).

    A row is a step the visitor picked; steps the visit never reached (the rest of a
    visit that was cancelled, expired or ended for behaviour before them) are
    skipped: they were never in a queue. ``first_calls`` holds the first call of the
    steps of visits that came back after a no-show, by (day, number, step): their
    rows hold the call after the return, but a wait ends at the first call.
    ``hour_of`` maps an instant to the local hour of the day.

    Each row is counted once, in the cell of its (day, service, counter, clerk);
    the cells are then rolled up into the groups. A month has tens of thousands of
    rows but only a few thousand cells, so this is what keeps a month fast. Every
    group's waits end up sorted, in one run.
    """
    found = Folded(division=Tally(), days={day: Tally() for day in days})
    cells: dict[_Cell, Tally] = {}
    hours = found.hours
    previous: StepRow | None = None
    for row in rows:
        reached = row.step == 0 or (
            previous is not None
            and previous.finished_at is not None
            and previous.outcome != "behaviour"
        )
        previous = row
        if not reached:
            continue
        called_at, outcome = row.called_at, row.outcome
        queued_at = row.queued_at if row.queued_at is not None else row.arrival
        key: _Cell = (row.day, row.service, None, None)
        wait = None
        if called_at is not None:
            key = (row.day, row.service, row.counter, row.clerk)
            first = first_calls.get((row.day, row.number, row.step)) if first_calls else None
            wait = (first if first is not None else called_at) - queued_at
        cell = cells.get(key)
        if cell is None:
            cell = cells[key] = Tally()
        cell.steps += 1
        if wait is not None:
            cell.waits.append(wait)
            _hour(hours, hour_of(queued_at)).waits.append(wait)
            if row.finished_at is not None and outcome in _SERVICE_TIMED:
                begun = row.started_at if row.started_at is not None else called_at
                assert begun is not None
                cell.service_ms += row.finished_at - begun
                cell.service_count += 1
        elif outcome == "expired":
            # The office never called an expired step: it missed the target. A visitor
            # who cancelled before a call left of their own accord: not counted.
            cell.missed += 1
            _hour(hours, hour_of(queued_at)).missed += 1
        if outcome is None:
            cell.still_open += 1
        else:
            cell.outcomes[outcome] = cell.outcomes.get(outcome, 0) + 1
        rating = row.rating
        if rating is not None:
            cell.rating_sum += rating
            cell.rating_count += 1
        if row.step == 0:
            cell.visits += 1
            _hour(hours, hour_of(row.arrival)).arrivals += 1
            if rating is not None:
                cell.visit_rating_sum += rating
                cell.visit_rating_count += 1
                found.stars[rating] += 1
                if row.rating_tags:
                    found.tags.update(row.rating_tags.split(","))
        if outcome == "refused":
            found.refusals[row.reason or ""] += 1
        elif outcome == "referred":
            found.referrals[row.referral.strip() if row.referral else None] += 1
    _roll_up(found, cells)
    for item in undone:
        found.undone[item.counter, item.clerk, item.action] += 1
        found.division.undone += 1
        _group(found.days, item.day).undone += 1
        _group(found.counters, item.counter).undone += 1
        if item.clerk is not None:
            _group(found.clerks, item.clerk).undone += 1
    for group in found.groups():
        group.settle()
    for hour in hours.values():
        hour.settle()
    return found


def _roll_up(found: Folded, cells: dict[_Cell, Tally]) -> None:
    division, days, services = found.division, found.days, found.services
    counters, clerks = found.counters, found.clerks
    for (day, service, counter, clerk), cell in cells.items():
        division.merge(cell)
        _group(days, day).merge(cell)
        _group(services, service).merge(cell)
        if counter is not None:
            _group(counters, counter).merge(cell)
        if clerk is not None:
            _group(clerks, clerk).merge(cell)


def _group(groups: dict[str, Tally], name: str) -> Tally:
    found = groups.get(name)
    if found is None:
        found = groups[name] = Tally()
    return found


def _hour(hours: dict[int, HourTally], hour: int) -> HourTally:
    found = hours.get(hour)
    if found is None:
        found = hours[hour] = HourTally()
    return found
