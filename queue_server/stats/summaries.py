"""Day summaries: the fold of each closed day, kept in the file, so a year reads 365 rows.

A day that is over (before the division's current day, the day of its latest
event) no longer changes: the store writes rows of the current day only. Its fold
(``figures.fold`` of that one day: every count of every group, and each group's
waits as one sorted run) is therefore kept in ``day_summaries``, one row per
division and day: names as JSON, counts and waits packed as little-endian
integers (``_encode`` gives the layout). Nothing in a summary depends on the
service target (the waits within a target are counted from the sorted waits when a
report is made), only on the time zone that put arrivals into hours, which the row
names.

A report over many days reads the summaries of its closed days and folds only the
days without one (today, and any day not summarised yet) from ``visit_steps``; the
merged counts and runs give exactly the figures a fold of every row gives
(``report(..., summaries=False)`` computes that, and a test compares the two).

Summaries are a cache, never the truth. Triggers of the ``day_summaries``
migration delete a day's summary whenever a row of that day changes in
``visit_steps``, ``visit_first_calls`` or the statistics' events (a late edit, the
retention purge blanking a referral, an analyst's tool), so a stale summary is
never read. ``fill`` writes the missing ones: the store calls it for a few days
each time a division opens a new day, ``rinda-server stats --warm`` (``warm_file``)
for all of them (after an upgrade). The reader only reads.
"""

from __future__ import annotations

import json
import operator
import sqlite3
import sys
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from .errors import StatsError
from .figures import COUNTS, Folded, HourTally, Tally, fold
from .read import check, first_calls, local_hour, step_rows, undone_actions

#: The layout of ``figures``, ``counts`` and ``waits``; rows of another format are ignored (and
#: replaced by ``fill``). Change it whenever ``COUNTS`` or the JSON shape changes.
FORMAT = 1
#: Closed days the store summarises each time a division opens a new day: yesterday,
#: a day the retention purge just changed, and a few more of any backlog.
PER_NEW_DAY = 7

#: The division's current day: the day of its latest event (on ``events_by_division``).
CURRENT_DAY = "SELECT day FROM events WHERE division = ? ORDER BY seq DESC LIMIT 1"

SUMMARIES = """
    SELECT day, figures, counts, waits FROM day_summaries
    WHERE division = ? AND day BETWEEN ? AND ? AND day < ? AND format = ? AND timezone = ?
"""

_SUMMARISED = "SELECT day FROM day_summaries WHERE division = ? AND format = ? AND timezone = ?"
_DAY_BEFORE = "SELECT max(day) FROM visit_steps WHERE division = ? AND day < ?"
_INSERT = """
    INSERT OR REPLACE INTO day_summaries
        (division, day, timezone, format, figures, counts, waits)
    VALUES (?, ?, ?, ?, ?, ?, ?)
"""

_KINDS = ("days", "services", "counters", "clerks")
_SIZE = len(COUNTS)
_COUNT = "q"
_WAIT = "i"


def current_day(db: Database, division: str) -> str | None:
    """The division's current day (of its latest event); None before its first event."""
    row = db.execute(CURRENT_DAY, (division,)).fetchone()
    return row[0] if row else None


def has_summaries(db: Database) -> bool:
    """Whether the file has the ``day_summaries`` table (it was opened by this version)."""
    return bool(db["day_summaries"].exists())


# ------------------------------------------------------------------ reading


def fold_days(
    db: Database,
    division: str,
    days: list[str],
    timezone: str,
    hour_of: Callable[[int], int],
) -> Folded:
    """The fold of ``days`` (consecutive): summaries where kept, ``visit_steps`` elsewhere.

    Call it inside one read transaction, so that summaries and rows are of one moment.
    """
    current = current_day(db, division)
    kept: dict[str, tuple[str, bytes, bytes]] = {}
    if current is not None and has_summaries(db):
        found = db.execute(
            SUMMARIES, (division, days[0], days[-1], current, FORMAT, timezone)
        ).fetchall()
        kept = {day: (figures, counts, waits) for day, figures, counts, waits in found}
    merged = _Merged(days)
    for day in days:
        if day in kept:
            merged.add_summary(*kept[day])
    for run in _runs_without(days, kept):
        first, last = run[0], run[-1]
        folded = fold(
            step_rows(db, division, first, last),
            first_calls(db, division, first, last),
            undone_actions(db, division, first, last),
            run,
            hour_of,
        )
        merged.add_fold(folded)
    return merged.folded()


def _runs_without(days: list[str], kept: dict[str, Any]) -> Iterator[list[str]]:
    """The runs of consecutive ``days`` that have no summary."""
    run: list[str] = []
    for day in days:
        if day in kept:
            if run:
                yield run
            run = []
        else:
            run.append(day)
    if run:
        yield run


# ------------------------------------------------------------------ writing


def fill(db: Database, division: str, timezone: str, limit: int | None = None) -> list[str]:
    """Summarise the closed days of ``division`` that have rows and no summary, newest first.

    At most ``limit`` days (all without one); returns the days summarised. Each day
    is folded and written in one short write transaction of its own (``BEGIN
    IMMEDIATE``: the rows cannot change between the reading and the writing), so it
    is safe on the store's connection between commits, and on a connection of its
    own beside the running server. A day whose waits do not fit the packed format
    (impossible waits of more than 24 days) is left to be folded from its rows.
    """
    if not has_summaries(db):
        raise StatsError(
            "The database has no day_summaries table: open it once with this "
            "version of Rinda's server to upgrade it."
        )
    hour_of = local_hour(timezone)
    current = current_day(db, division)
    if current is None:
        return []
    have = {day for (day,) in db.execute(_SUMMARISED, (division, FORMAT, timezone))}
    done: list[str] = []
    before = current
    while limit is None or len(done) < limit:
        day = db.execute(_DAY_BEFORE, (division, before)).fetchone()[0]
        if day is None:
            break
        before = day
        if day not in have and _summarise(db, division, day, timezone, hour_of):
            done.append(day)
    return done


def _summarise(
    db: Database, division: str, day: str, timezone: str, hour_of: Callable[[int], int]
) -> bool:
    conn = db.conn
    if conn.in_transaction:
        raise StatsError("Could not summarise a day: a transaction is open on the connection.")
    conn.execute("BEGIN IMMEDIATE")
    try:
        folded = fold(
            step_rows(db, division, day, day),
            first_calls(db, division, day, day),
            undone_actions(db, division, day, day),
            [day],
            hour_of,
        )
        try:
            figures, counts, waits = _encode(folded)
        except OverflowError:
            conn.execute("ROLLBACK")
            return False
        conn.execute(_INSERT, (division, day, timezone, FORMAT, figures, counts, waits))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return True


# ------------------------------------------------------------ the format


def _encode(folded: Folded) -> tuple[str, bytes, bytes]:
    """A day's fold as its row: JSON (names, small tables), packed counts, packed waits.

    Group ``i`` of ``figures["groups"]`` (``[kind, name]``) has the ``COUNTS`` of its
    tally then the start and length of its sorted waits in ``waits`` at
    ``counts[i * (len(COUNTS) + 2):]``; after the groups, hour ``j`` of
    ``figures["hours"]`` has arrivals, missed, wait_ms, start and length. Counts are
    64-bit, waits 32-bit, both little-endian. ``OverflowError`` if a wait does not fit.
    """
    counts = array(_COUNT)
    waits = array(_WAIT)

    def pack(values: list[int], runs: list[Sequence[int]]) -> None:
        start = len(waits)
        for run in runs:
            waits.extend(array(_WAIT, run))
        counts.extend(values)
        counts.extend((start, len(waits) - start))

    names = []
    for kind in _KINDS:
        for name, tally in getattr(folded, kind).items():
            names.append((kind, name))
            pack(tally.counts(), tally.runs)
    for hour in folded.hours.values():
        pack([hour.arrivals, hour.missed, hour.wait_ms], hour.runs)
    data = {
        "groups": names,
        "hours": list(folded.hours),
        "refusals": list(folded.refusals.items()),
        "referrals": list(folded.referrals.items()),
        "undone": [(*key, n) for key, n in folded.undone.items()],
        "stars": list(folded.stars.items()),
        "tags": list(folded.tags.items()),
    }
    if sys.byteorder == "big":
        counts.byteswap()
        waits.byteswap()
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return text, counts.tobytes(), waits.tobytes()


def _unpack(typecode: str, packed: bytes) -> array[int]:
    found = array(typecode)
    found.frombytes(packed)
    if sys.byteorder == "big":
        found.byteswap()
    return found


class _Merged:
    """Days' folds (kept as summaries, or just folded) added up into one report's groups."""

    def __init__(self, days: list[str]) -> None:
        self.days = days
        #: (kind, name) -> the group's counts (``COUNTS`` order) and sorted runs of waits.
        self.groups: dict[tuple[str, str], tuple[list[int], list[Sequence[int]]]] = {}
        #: hour -> [arrivals, missed, wait_ms] and sorted runs of waits.
        self.hours: dict[int, tuple[list[int], list[Sequence[int]]]] = {}
        self.refusals: Counter[str] = Counter()
        self.referrals: Counter[str | None] = Counter()
        self.undone: Counter[tuple[str, str | None, str]] = Counter()
        self.stars: Counter[int] = Counter()
        self.tags: Counter[str] = Counter()

    def add_fold(self, folded: Folded) -> None:
        for kind in _KINDS:
            for name, tally in getattr(folded, kind).items():
                _add(self.groups, (kind, name), tally.counts(), tally.runs)
        for hour, tally in folded.hours.items():
            _add(self.hours, hour, [tally.arrivals, tally.missed, tally.wait_ms], tally.runs)
        self.refusals.update(folded.refusals)
        self.referrals.update(folded.referrals)
        self.undone.update(folded.undone)
        self.stars.update(folded.stars)
        self.tags.update(folded.tags)

    def add_summary(self, figures: str, packed_counts: bytes, packed_waits: bytes) -> None:
        data = json.loads(figures)
        counts = _unpack(_COUNT, packed_counts)
        waits = _unpack(_WAIT, packed_waits)
        groups, hours = self.groups, self.hours
        at, width = 0, _SIZE
        for kind, name in data["groups"]:
            row = counts[at : at + width + 2]
            at += width + 2
            start, length = row[width], row[width + 1]
            runs = [waits[start : start + length]] if length else []
            _add(groups, (kind, name), row[:width], runs)
        for hour in data["hours"]:
            row = counts[at : at + 5]
            at += 5
            start, length = row[3], row[4]
            _add(hours, hour, row[:3], [waits[start : start + length]] if length else [])
        for reason, n in data["refusals"]:
            self.refusals[reason] += n
        for authority, n in data["referrals"]:
            self.referrals[authority] += n
        for counter, clerk, action, n in data["undone"]:
            self.undone[counter, clerk, action] += n
        for stars, n in data["stars"]:
            self.stars[stars] += n
        for tag, n in data["tags"]:
            self.tags[tag] += n

    def folded(self) -> Folded:
        division = [0] * _SIZE
        division_runs: list[Sequence[int]] = []
        add = operator.add
        found: dict[str, dict[str, Tally]] = {kind: {} for kind in _KINDS}
        for (kind, name), (counts, runs) in self.groups.items():
            found[kind][name] = Tally.of_counts(counts, runs)
            if kind == "days":
                division[:] = map(add, division, counts)
                division_runs.extend(runs)
        days = {day: Tally() for day in self.days}
        days.update(found["days"])
        return Folded(
            division=Tally.of_counts(division, division_runs),
            days=days,
            services=found["services"],
            counters=found["counters"],
            clerks=found["clerks"],
            hours={
                hour: HourTally(arrivals=arrivals, runs=runs, wait_ms=wait_ms, missed=missed)
                for hour, ((arrivals, missed, wait_ms), runs) in self.hours.items()
            },
            refusals=self.refusals,
            referrals=self.referrals,
            undone=self.undone,
            stars=self.stars,
            tags=self.tags,
        )


_Key = TypeVar("_Key")


def _add(
    into: dict[_Key, tuple[list[int], list[Sequence[int]]]],
    key: _Key,
    counts: Sequence[int],
    runs: Sequence[Sequence[int]],
) -> None:
    found = into.get(key)
    if found is None:
        into[key] = (list(counts), list(runs))
    else:
        found[0][:] = map(operator.add, found[0], counts)
        found[1].extend(runs)


def warm_file(path: str | Path, division: str, timezone: str) -> list[str]:
    """``fill`` every closed day of ``division`` in the file at ``path``; the days summarised.

    Opens the file for writing through a connection of its own (safe beside the
    running server: each day is one short transaction). ``StatsError`` when the
    file is missing, not Rinda's, or not upgraded yet.
    """
    path = Path(path)
    if not path.is_file():
        raise StatsError(f"There is no database file {path}.")
    try:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=5000")
    except sqlite3.Error as exc:
        raise StatsError(f"Could not open {path}: {exc}.") from exc
    db = Database(conn)
    try:
        check(db)
        return fill(db, division, timezone)
    except sqlite3.Error as exc:
        raise StatsError(f"Could not summarise the days of {path}: {exc}.") from exc
    finally:
        db.close()
