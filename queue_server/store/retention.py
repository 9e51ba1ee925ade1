"""Purging personal data after the retention period; the only rewrite the log gets.

Three things hold personal data: contact rows of bookings (deleted), and the free
texts a clerk may type when finishing a step, ``detail`` and ``referral`` (blanked
to null in ``visit_steps``, in the JSON of ``step_finished`` events and in
snapshots). A step counts from the instant it finished. Tickets carry no names.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from . import contacts, snapshots
from .log import dumps

_FREE_TEXT = ("detail", "referral")

_REDACT_STEPS = """
    UPDATE visit_steps SET detail = NULL, referral = NULL
    WHERE coalesce(finished_at, arrival) < ? AND (detail IS NOT NULL OR referral IS NOT NULL)
"""

_REDACT_EVENTS = """
    UPDATE events SET data = json_set(data, '$.detail', NULL, '$.referral', NULL)
    WHERE type = 'step_finished' AND at < ?
      AND (json_extract(data, '$.detail') IS NOT NULL
           OR json_extract(data, '$.referral') IS NOT NULL)
"""


def purge(conn: sqlite3.Connection, cutoff: int, cutoff_day: str, keep: int) -> dict[str, int]:
    """Purge what is older than ``cutoff`` (epoch ms; ``cutoff_day`` its local date).

    Runs inside the caller's transaction; returns how many rows each step changed.
    """
    counts = {
        "contacts_deleted": conn.execute(contacts.PURGE, (cutoff,)).rowcount,
        "visit_steps_redacted": conn.execute(_REDACT_STEPS, (cutoff,)).rowcount,
        "events_redacted": conn.execute(_REDACT_EVENTS, (cutoff,)).rowcount,
        "snapshots_redacted": _redact_snapshots(conn, cutoff, cutoff_day),
        "snapshots_deleted": snapshots.prune_all(conn, keep),
    }
    return counts


def _redact_snapshots(conn: sqlite3.Connection, cutoff: int, cutoff_day: str) -> int:
    changed = []
    rows = conn.execute(
        "SELECT division, seq, data FROM snapshots WHERE day <= ?", (cutoff_day,)
    ).fetchall()
    for division, seq, data in rows:
        state = json.loads(data)
        if _redact_state(state, cutoff):
            changed.append((dumps(state), division, seq))
    conn.executemany("UPDATE snapshots SET data = ? WHERE division = ? AND seq = ?", changed)
    return len(changed)


def _redact_state(state: dict[str, Any], cutoff: int) -> bool:
    visits = list(state.get("visits", []))
    visits += [k["last"]["visit_before"] for k in state.get("counters", []) if k.get("last")]
    changed = False
    for visit in visits:
        for step in visit["steps"]:
            finished = step.get("finished_at")
            if finished is None or finished >= cutoff:
                continue
            for name in _FREE_TEXT:
                if step.get(name) is not None:
                    step[name] = None
                    changed = True
    return changed
