"""Snapshots: a division's whole state at a seq, so recovery replays only the rest.

A snapshot at ``seq`` holds the state after every event of its division up to and
including ``seq``. Only the newest few per division are kept.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

INSERT = "INSERT OR REPLACE INTO snapshots (division, seq, day, data) VALUES (?, ?, ?, ?)"

#: Deletes all but the newest ``keep`` snapshots of a division.
PRUNE = """
    DELETE FROM snapshots WHERE division = ?1 AND seq < (
        SELECT seq FROM snapshots WHERE division = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2 - 1
    )
"""


def latest(conn: sqlite3.Connection, division: str) -> tuple[int, dict[str, Any]] | None:
    """The newest snapshot of ``division`` as (seq, state data), if it has one."""
    row = conn.execute(
        "SELECT seq, data FROM snapshots WHERE division = ? ORDER BY seq DESC LIMIT 1",
        (division,),
    ).fetchone()
    if row is None:
        return None
    return row[0], json.loads(row[1])


def prune_all(conn: sqlite3.Connection, keep: int) -> int:
    """Drop all but the newest ``keep`` snapshots of every division; the count dropped."""
    divisions = [d for (d,) in conn.execute("SELECT DISTINCT division FROM snapshots")]
    before = conn.total_changes
    for division in divisions:
        conn.execute(PRUNE, (division, keep))
    return conn.total_changes - before
