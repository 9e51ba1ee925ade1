"""Rebuilding a division's state from the file: its newest snapshot, then the rest.

Only the events after the snapshot are read, so a restart costs at most one
snapshot interval of replay, however many years of history the file holds.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from queue_server.core import DivisionState
from queue_server.core.hours import Holidays
from queue_server.core.settings import Office

from . import log, snapshots
from .errors import StoreError


@dataclass(frozen=True, slots=True)
class Recovery:
    """How a division's state was rebuilt: from which snapshot, replaying how many events."""

    snapshot_seq: int
    replayed: int


def load_division(
    conn: sqlite3.Connection, office: Office, holidays: Holidays, division: str
) -> tuple[DivisionState, Recovery]:
    """The state of ``division`` as the file holds it, and how it was rebuilt."""
    found = snapshots.latest(conn, division)
    at_seq = 0
    try:
        if found is None:
            state = DivisionState(office, division, holidays)
        else:
            at_seq, data = found
            state = DivisionState.restore(office, holidays, data)
        replayed = 0
        for event in log.replay_rows(conn, division, at_seq):
            state.apply(event)
            replayed += 1
    except (KeyError, ValueError, TypeError, AssertionError) as exc:
        raise StoreError(
            f"The log of division {division!r} cannot be replayed after the snapshot at "
            f"seq {at_seq}: {exc!r}. Either the file is damaged (restore the latest backup) "
            "or the configuration lost a counter or service that today's visits still use."
        ) from exc
    return state, Recovery(snapshot_seq=at_seq, replayed=replayed)
