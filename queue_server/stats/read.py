"""Reading the store's file: the step rows and the undone actions of a period.

Two queries, both on an index: the step rows of a division and a range of days
come in primary-key order from ``visit_steps``; the undone actions (and the
counter openings that say who was at the counter) from the partial index
``events_for_statistics`` of the log. Nothing here writes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlite_utils import Database

from .errors import StatsError
from .figures import StepRow, Undone

STEPS = """
    SELECT day, number, step, service, arrival, queued_at, called_at, started_at,
           finished_at, counter, clerk, outcome, reason, referral, rating, rating_tags
    FROM visit_steps
    WHERE division = ? AND day BETWEEN ? AND ?
    ORDER BY division, day, number, step
"""

FIRST_CALLS = """
    SELECT day, number, step, called_at FROM visit_first_calls
    WHERE division = ? AND day BETWEEN ? AND ?
"""

#: The ``type IN`` term is written exactly as in the partial index, so SQLite uses it.
UNDONE = """
    SELECT day, type, data FROM events
    WHERE division = ? AND day BETWEEN ? AND ?
      AND type IN ('action_undone', 'counter_opened')
    ORDER BY day, seq
"""

_NEEDED = {"visit_steps": {"rating", "rating_tags", "clerk"}, "events": {"type", "data"}}
_QUARTER_HOUR_MS = 900_000


def open_read_only(path: str | Path) -> Database:
    """The store's file, opened for reading only (safe beside a running server: WAL).

    Raises ``StatsError`` when the file is missing or is not a Rinda database.
    """
    path = Path(path)
    if not path.is_file():
        raise StatsError(f"There is no database file {path}.")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        conn.execute("PRAGMA busy_timeout=2000")
    except sqlite3.Error as exc:
        raise StatsError(f"Could not open {path} for reading: {exc}.") from exc
    db = Database(conn)
    try:
        check(db)
    except BaseException:
        db.close()
        raise
    return db


def check(db: Database) -> None:
    """Raise ``StatsError`` unless ``db`` has the tables and columns statistics read."""
    try:
        for table, columns in _NEEDED.items():
            have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            if not have:
                raise StatsError(f"The database has no {table} table: is it Rinda's?")
            missing = columns - have
            if missing:
                raise StatsError(
                    f"The database's {table} table lacks {', '.join(sorted(missing))}: "
                    "open it once with this version of Rinda's server to upgrade it."
                )
    except sqlite3.Error as exc:
        raise StatsError(f"Could not read the database: {exc}.") from exc


def step_rows(db: Database, division: str, first: str, last: str) -> Iterator[StepRow]:
    """The step rows of ``division`` from day ``first`` to ``last``, in key order."""
    cursor = db.execute(STEPS, (division, first, last))
    for row in cursor:
        yield StepRow._make(row)


def first_calls(
    db: Database, division: str, first: str, last: str
) -> dict[tuple[str, str, int], int]:
    """The first calls of steps whose visit came back after a no-show (few), by key.

    A file from before the ``statistics`` migration has no such table: its returned
    visits count to the call after their return.
    """
    if not db["visit_first_calls"].exists():
        return {}
    return {
        (day, number, step): called_at
        for day, number, step, called_at in db.execute(FIRST_CALLS, (division, first, last))
    }


def undone_actions(db: Database, division: str, first: str, last: str) -> list[Undone]:
    """Every undone action of the days, with the clerk who had opened the counter."""
    clerks: dict[tuple[str, str], str] = {}
    found: list[Undone] = []
    for day, type_, data in db.execute(UNDONE, (division, first, last)):
        fields = json.loads(data)
        counter = str(fields["counter"])
        if type_ == "counter_opened":
            clerks[day, counter] = str(fields["clerk"])
        else:
            found.append(Undone(day, counter, clerks.get((day, counter)), str(fields["action"])))
    return found


def local_hour(timezone: str) -> Callable[[int], int]:
    """A function from an instant (epoch ms) to its hour of the day in ``timezone``.

    Every zone's offset is a whole number of quarter hours, so the answer is cached
    per quarter hour: a month of rows costs a few thousand zone conversions, not one
    per row.
    """
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise StatsError(f"There is no time zone {timezone!r}.") from None
    cache: dict[int, int] = {}

    def hour_of(at: int) -> int:
        quarter = at // _QUARTER_HOUR_MS
        hour = cache.get(quarter)
        if hour is None:
            hour = cache[quarter] = datetime.fromtimestamp(
                quarter * _QUARTER_HOUR_MS / 1000, zone
            ).hour
        return hour

    return hour_of
