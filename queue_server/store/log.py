"""The event log: rows in, ``Committed`` events out.

A row holds the event's ``type`` and ``at`` in columns and its other fields as JSON
in ``data``; the store adds ``seq`` (global, ever increasing), ``division``, the
division's ``day``, and the ``actor``: the device or account whose command caused it
(empty for what time alone causes), so that the audit trail can say who did what.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from queue_server.core import events as e

INSERT = (
    "INSERT INTO events (seq, division, day, type, at, data, actor) VALUES (?, ?, ?, ?, ?, ?, ?)"
)

_SELECT = "SELECT seq, division, type, at, data FROM events"

EventRow = tuple[int, str, str, str, int, str, str | None]


@dataclass(frozen=True, slots=True)
class Committed:
    """An event as the log holds it: durable, numbered, and of one division."""

    seq: int
    division: str
    event: e.Event


def dumps(data: Any) -> str:
    """Compact JSON that keeps Latvian letters readable in any SQLite tool."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def encode(seq: int, division: str, day: str, event: e.Event, actor: str | None = None) -> EventRow:
    data = e.to_dict(event)
    del data["type"], data["at"]
    return (seq, division, day, event.type, event.at, dumps(data), actor)


def decode(type_: str, at: int, data: str) -> e.Event:
    fields = json.loads(data)
    fields["type"] = type_
    fields["at"] = at
    return e.from_dict(fields)


def _committed(rows: Iterable[tuple[int, str, str, int, str]]) -> list[Committed]:
    return [Committed(seq, division, decode(t, at, data)) for seq, division, t, at, data in rows]


def since(
    conn: sqlite3.Connection, seq: int, division: str | None = None, limit: int | None = None
) -> list[Committed]:
    """The events after ``seq`` (of one division), oldest first, at most ``limit``."""
    sql = _SELECT + " WHERE seq > ?"
    params: list[Any] = [seq]
    if division is not None:
        sql += " AND division = ?"
        params.append(division)
    sql += " ORDER BY seq"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return _committed(conn.execute(sql, params))


def replay_rows(conn: sqlite3.Connection, division: str, after: int) -> Iterator[e.Event]:
    """The events of ``division`` after ``after``, oldest first, decoded one at a time."""
    rows = conn.execute(
        "SELECT type, at, data FROM events WHERE division = ? AND seq > ? ORDER BY seq",
        (division, after),
    )
    for type_, at, data in rows:
        yield decode(type_, at, data)


def last_at(conn: sqlite3.Connection) -> int:
    """The latest instant of any event in the log (0 for an empty log)."""
    (found,) = conn.execute("SELECT coalesce(max(at), 0) FROM events").fetchone()
    return int(found)


def last_seq(conn: sqlite3.Connection) -> int:
    """The highest seq ever handed out (also one whose row was deleted since)."""
    (in_table,) = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
    return int(max(in_table, row[0] if row else 0))
