"""Online backup: a consistent copy of the file while the store keeps writing.

The copy is read through its own read-only connection with SQLite's backup API,
so it sees exactly the committed transactions and may run in a worker thread. It
is written beside the destination and renamed into place only when complete, in
rollback-journal mode so that the single file is the whole backup.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .errors import StorageUnwritable, StoreError, explain


def backup(source: Path, dest: Path) -> Path:
    """Copy the database at ``source`` to ``dest`` (replaced if it exists)."""
    dest = Path(dest)
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            copy = sqlite3.connect(partial)
            try:
                src.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")
                (verdict,) = copy.execute("PRAGMA quick_check").fetchone()
            finally:
                copy.close()
        finally:
            src.close()
        if verdict != "ok":
            raise StoreError(f"The backup {dest} failed its integrity check: {verdict}.")
        os.replace(partial, dest)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise explain(exc, str(dest), "write the backup") from exc
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise StorageUnwritable(f"Could not write the backup {dest}: {exc}.") from exc
    return dest
