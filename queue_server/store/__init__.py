"""Storage: the SQLite file that makes Rinda's events durable (see docs/storage.md).

``Store.open(path, office, holidays)`` loads today's state of every division;
``Store.execute(division, command, now)`` decides, commits and returns the events.
``StoreError`` is the root of every error this package raises.
"""

from __future__ import annotations

from .contacts import BookingContact
from .errors import IncompatibleFile, StorageUnwritable, StoreError, UnknownDivision
from .log import Committed
from .recovery import Recovery
from .store import SNAPSHOT_EVERY, SNAPSHOTS_KEPT, Store

__all__ = [
    "SNAPSHOTS_KEPT",
    "SNAPSHOT_EVERY",
    "BookingContact",
    "Committed",
    "IncompatibleFile",
    "Recovery",
    "StorageUnwritable",
    "Store",
    "StoreError",
    "UnknownDivision",
]
