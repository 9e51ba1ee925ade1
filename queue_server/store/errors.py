"""The store's exceptions. ``StoreError`` is the root: catch it to catch them all.

A ``DomainError`` from the core is not wrapped: it passes through ``Store.execute``
unchanged, because a refused command is the sender's business, not the store's.
"""

from __future__ import annotations

import sqlite3


class StoreError(Exception):
    """Something went wrong with the database file; the message says what to do."""


class StorageUnwritable(StoreError):
    """The file cannot take the write: the disk is full, read-only, or failing.

    Nothing of the refused batch was kept, in the file or in memory. Free space or
    fix the disk, then retry: the store works again as soon as writes succeed.
    """


class IncompatibleFile(StoreError):
    """The file was written by a newer Rinda (it has migrations this one does not know)."""


class UnknownDivision(StoreError, KeyError):
    """The division is not in the office's configuration."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


#: SQLite's primary result codes that mean "the storage refuses writes".
_UNWRITABLE = {
    3: "permission denied",  # SQLITE_PERM
    8: "the file is read-only",  # SQLITE_READONLY
    10: "a disk I/O error",  # SQLITE_IOERR
    13: "the disk or the database is full",  # SQLITE_FULL
    14: "the file cannot be opened",  # SQLITE_CANTOPEN
}


def explain(exc: sqlite3.Error, path: str, doing: str) -> StoreError:
    """The ``StoreError`` for a SQLite failure while ``doing`` something to ``path``."""
    code = getattr(exc, "sqlite_errorcode", None)
    reason = _UNWRITABLE.get(code & 0xFF) if isinstance(code, int) else None
    if reason is not None:
        return StorageUnwritable(
            f"Could not {doing} in {path}: {reason} ({exc}). Nothing of it was kept; "
            "free disk space or fix the storage, then retry."
        )
    return StoreError(f"Could not {doing} in {path}: {exc}.")
