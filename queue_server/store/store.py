"""The store: the one writer of the SQLite file, and the holder of today's states.

Commit order, for every batch of events the core decides: the events are applied
to the division's state in memory, then written in ONE transaction (event rows,
the reporting rows of the visits they touched, and a snapshot when one is due),
and only then handed back. If the write fails, the division's state is rebuilt
from the file, so memory never holds what the file does not.

A ``Store`` is not thread-safe: use it from one thread (the server's event loop).
``backup`` alone may run in a worker thread: it reads through its own connection.
"""

from __future__ import annotations

import secrets
import shutil
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Self
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from queue_server.core import DivisionState
from queue_server.core import events as e
from queue_server.core.commands import Command
from queue_server.core.hours import Holidays
from queue_server.core.settings import Office
from queue_server.stats import StatsError, summaries

from . import contacts, log, reporting, retention, schema, snapshots
from .backup import backup as _backup
from .contacts import BookingContact
from .errors import StoreError, UnknownDivision, explain
from .log import Committed
from .recovery import Recovery, load_division

#: Events of a division between two snapshots: the most a restart replays.
SNAPSHOT_EVERY = 2000
#: Snapshots kept per division (the newest ones).
SNAPSHOTS_KEPT = 3
_DAY_MS = 86_400_000
#: Below this much free space on its disk the file is reported as not writable: a
#: lobby day's log takes a few megabytes, and SQLite needs room to checkpoint.
MIN_FREE_BYTES = 16 << 20

_Work = Callable[[sqlite3.Connection], object]


class Store:
    """Today's state of every division of the office, kept durable in one SQLite file."""

    def __init__(
        self,
        db: Database,
        path: Path,
        office: Office,
        holidays: Holidays,
        snapshot_every: int,
        snapshots_kept: int,
    ) -> None:
        if snapshot_every < 1 or snapshots_kept < 1:
            raise ValueError("snapshot_every and snapshots_kept must be at least 1")
        self.db = db
        self.path = path
        self.office = office
        self.holidays = holidays
        self.snapshot_every = snapshot_every
        self.snapshots_kept = snapshots_kept
        self.states: dict[str, DivisionState] = {}
        #: How each division's state was rebuilt when it was last loaded.
        self.recovery: dict[str, Recovery] = {}
        #: The highest sequence number committed (or ever used) in the file.
        self.last_seq = 0
        #: The latest instant of any committed event: a clock stepped back (a restart
        #: with another clock, NTP) must not give new events an earlier time.
        self.last_at = 0
        #: Why the last write failed, until one succeeds again (health checks read it).
        self.failing: str | None = None
        self._since_snapshot: dict[str, int] = {}

    @classmethod
    def open(
        cls,
        path: str | Path,
        office: Office,
        holidays: Holidays,
        *,
        snapshot_every: int = SNAPSHOT_EVERY,
        snapshots_kept: int = SNAPSHOTS_KEPT,
        synchronous: str = "NORMAL",
    ) -> Store:
        """Open (or create) the file and load today's state of every division of ``office``.

        ``synchronous="NORMAL"`` (WAL) survives a crash of the program; ``"FULL"`` also
        survives a power cut, at a cost in commits per second.
        """
        path = Path(path)
        try:
            db = Database(path, execute_plugins=False)
        except sqlite3.Error as exc:
            raise explain(exc, str(path), "open the database") from exc
        try:
            schema.prepare(db, synchronous)
            store = cls(db, path, office, holidays, snapshot_every, snapshots_kept)
            store.last_seq = log.last_seq(db.conn)
            store.last_at = log.last_at(db.conn)
            for division in office.divisions:
                store._load(division)
        except sqlite3.Error as exc:
            db.close()
            raise explain(exc, str(path), "open the database") from exc
        except BaseException:
            db.close()
            raise
        return store

    def close(self) -> None:
        """Close the file (SQLite checkpoints the WAL into it)."""
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ writing

    def execute(
        self, division: str, command: Command, now: int, actor: str | None = None
    ) -> list[Committed]:
        """Decide ``command`` at ``now``, commit its events, and return them numbered.

        ``actor`` (a device or account id) is recorded with the command's events.

        A new day's events (see ``tick``) commit first, in their own transaction, and
        are returned too. A ``DomainError`` changes nothing, in memory or in the file
        (but a new day committed before it stays committed).
        """
        state = self._state(division)
        committed = self._commit(division, state, state.tick(now))
        committed += self._commit(division, state, state.handle(command, now), actor)
        return committed

    def key(self, name: str) -> bytes:
        """A secret the server keeps across restarts (made at first use: 32 random bytes)."""
        conn = self.db.conn
        row = conn.execute("SELECT value FROM server_keys WHERE name = ?", (name,)).fetchone()
        if row is None:
            value = secrets.token_bytes(32)

            def write(c: sqlite3.Connection) -> None:
                c.execute(
                    "INSERT OR IGNORE INTO server_keys (name, value) VALUES (?, ?)", (name, value)
                )

            self._write(f"keep the key {name!r}", write)
            row = conn.execute("SELECT value FROM server_keys WHERE name = ?", (name,)).fetchone()
        return bytes(row[0])

    def check_room(self) -> str | None:
        """Why a write would fail now, or None: a cheap probe that commits nothing.

        It takes the write lock and two new pages and gives them back (a read-only
        file, a lock, SQLite's page limit show here), and looks at the free space of
        the file's disk (a full disk shows only at a commit otherwise). A writer in
        another process holding the lock is not a failure: the last write's outcome
        stands then.
        """
        conn = self.db.conn
        if conn.in_transaction:
            return self.failing
        (timeout,) = conn.execute("PRAGMA busy_timeout").fetchone()
        conn.execute("PRAGMA busy_timeout=0")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                (page,) = conn.execute("PRAGMA page_size").fetchone()
                conn.execute(
                    "INSERT INTO server_keys (name, value) VALUES ('room probe', zeroblob(?))",
                    (2 * page,),
                )
            finally:
                conn.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                return self.failing
            return str(explain(exc, str(self.path), "write"))
        except sqlite3.Error as exc:
            return str(explain(exc, str(self.path), "write"))
        finally:
            conn.execute(f"PRAGMA busy_timeout={int(timeout)}")
        free = shutil.disk_usage(self.path.parent).free
        if free < MIN_FREE_BYTES:
            return (
                f"The disk of {self.path} has {free >> 20} MiB free (Rinda needs "
                f"{MIN_FREE_BYTES >> 20} MiB): free some space."
            )
        return None

    def tick(self, division: str, now: int) -> list[Committed]:
        """Commit what time alone causes at ``now`` (the close of a day, a new day)."""
        state = self._state(division)
        return self._commit(division, state, state.tick(now))

    def add_booking_contact(
        self,
        division: str,
        code: str,
        name: str,
        phone: str | None,
        now: int,
        due: int | None = None,
    ) -> None:
        """Keep how to reach whoever booked ``code`` (commit the ``Book`` command first).

        ``due`` defaults to the booked time the division's state knows.
        """
        state = self._state(division)
        if due is None and code in state.appointments:
            due = state.appointments[code].due
        self._write(
            "keep a booking contact",
            lambda conn: conn.execute(contacts.UPSERT, (division, code, name, phone, now, due)),
        )

    def booking_contact(self, division: str, code: str) -> BookingContact | None:
        """How to reach whoever booked ``code``, until the retention purges it."""
        return contacts.find(self.db.conn, division, code)

    def purge(self, now: int, retention_days: int) -> dict[str, int]:
        """Delete or blank personal data older than ``retention_days``; counts per kind.

        Also drops snapshots beyond the newest few of each division.
        """
        if retention_days < 1:
            raise ValueError("retention_days must be at least 1 (today's data is in use)")
        cutoff = now - retention_days * _DAY_MS
        local = datetime.fromtimestamp(cutoff / 1000, ZoneInfo(self.office.timezone))
        cutoff_day = local.date().isoformat()
        counts: dict[str, int] = {}

        def run(conn: sqlite3.Connection) -> None:
            counts.update(retention.purge(conn, cutoff, cutoff_day, self.snapshots_kept))

        self._write("purge old personal data", run)
        # A division idle since before the cutoff holds texts in memory that the file
        # no longer has: load it again, so that memory stays what the file says.
        for division, state in list(self.states.items()):
            if state.day is not None and state.day <= cutoff_day:
                self._reload(division)
        return counts

    def backup(self, dest: str | Path) -> Path:
        """A complete, consistent copy of the file at ``dest`` (SQLite's online backup)."""
        return _backup(self.path, Path(dest))

    # ------------------------------------------------------------------ reading

    def events_since(
        self, seq: int, division: str | None = None, limit: int | None = None
    ) -> list[Committed]:
        """The committed events after ``seq`` (of one division), oldest first."""
        try:
            return log.since(self.db.conn, seq, division, limit)
        except sqlite3.Error as exc:
            raise explain(exc, str(self.path), "read the event log") from exc

    # ---------------------------------------------------------------- internals

    def _state(self, division: str) -> DivisionState:
        state = self.states.get(division)
        if state is None:
            if division not in self.office.divisions:
                raise UnknownDivision(f"There is no division {division!r} in the configuration.")
            try:
                self._load(division)
            except sqlite3.Error as exc:
                raise explain(exc, str(self.path), f"load division {division!r}") from exc
            state = self.states[division]
        return state

    def _load(self, division: str) -> None:
        state, recovery = load_division(self.db.conn, self.office, self.holidays, division)
        self.states[division] = state
        self.recovery[division] = recovery
        self._since_snapshot[division] = recovery.replayed

    def _reload(self, division: str) -> None:
        """Rebuild a division from the file after a failed commit; drop it if even that fails."""
        try:
            self._load(division)
        except Exception:
            # Memory must not keep what the file refused: the next use loads it again.
            self.states.pop(division, None)

    def _commit(
        self,
        division: str,
        state: DivisionState,
        found: list[e.Event],
        actor: str | None = None,
    ) -> list[Committed]:
        if not found:
            return []
        seq = self.last_seq
        committed: list[Committed] = []
        rows: list[log.EventRow] = []
        steps: list[reporting.StepRow] = []
        touched: dict[str, None] = {}
        undone: list[str] = []
        moved: list[tuple[int, str, str]] = []
        try:
            for event in found:
                if type(event) is e.DayOpened and touched:
                    # A new day forgets yesterday's visits: report them before it does.
                    steps += _step_rows(division, state, touched)
                    touched = {}
                state.apply(event)
                seq += 1
                day = state.day
                assert day is not None, "the first event of a division opens its day"
                rows.append(log.encode(seq, division, day, event, actor))
                committed.append(Committed(seq, division, event))
                touched.update(dict.fromkeys(event.numbers()))
                if type(event) is e.ActionUndone:
                    undone.append(event.number)
                elif type(event) is e.AppointmentMoved:
                    moved.append((event.due, division, event.code))
            steps += _step_rows(division, state, touched)
            trims = [
                (division, state.day, n, len(state.visits[n].steps))
                for n in undone
                if n in state.visits
            ]
            since = self._since_snapshot[division] + len(found)
            snapshot = None
            if since >= self.snapshot_every or any(type(x) is e.DayOpened for x in found):
                snapshot = (division, seq, state.day, log.dumps(state.snapshot()))
                since = 0
        except BaseException:
            self._reload(division)
            raise

        def write(conn: sqlite3.Connection) -> None:
            conn.executemany(log.INSERT, rows)
            conn.executemany(reporting.UPSERT, steps)
            if trims:
                conn.executemany(reporting.TRIM, trims)
            if moved:
                conn.executemany(contacts.MOVE, moved)
            if snapshot is not None:
                conn.execute(snapshots.INSERT, snapshot)
                conn.execute(snapshots.PRUNE, (division, self.snapshots_kept))

        try:
            self._write(f"commit {len(found)} event(s) of division {division!r}", write)
        except BaseException:
            self._reload(division)
            raise
        self.last_seq = seq
        self.last_at = max(self.last_at, max(event.at for event in found))
        self._since_snapshot[division] = since
        if any(type(x) is e.DayOpened for x in found):
            self._summarise(division, state)
        return committed

    def _summarise(self, division: str, state: DivisionState) -> None:
        """Keep the statistics' summaries of the days just closed (``stats.summaries``).

        After the commit, in transactions of their own: the summaries are a cache,
        so a failure leaves those days to be read from their rows, and loses nothing.
        """
        try:
            summaries.fill(self.db, division, state.division.timezone, limit=summaries.PER_NEW_DAY)
        except (sqlite3.Error, StatsError):
            if self.db.conn.in_transaction:
                self.db.conn.rollback()

    def _write(self, doing: str, work: _Work) -> None:
        """Run ``work`` in one transaction; a SQLite failure becomes a ``StoreError``."""
        conn = self.db.conn
        if conn.in_transaction:
            raise StoreError(
                f"Could not {doing}: a transaction was left open on the store's connection."
            )
        try:
            with self.db.atomic():
                work(conn)
        except sqlite3.Error as exc:
            error = explain(exc, str(self.path), doing)
            self.failing = str(error)
            raise error from exc
        self.failing = None


def _step_rows(
    division: str, state: DivisionState, numbers: dict[str, None]
) -> list[reporting.StepRow]:
    day = state.day
    assert day is not None
    found: list[reporting.StepRow] = []
    for number in numbers:
        visit = state.visits.get(number)
        if visit is not None:
            found += reporting.step_rows(division, day, visit)
    return found
