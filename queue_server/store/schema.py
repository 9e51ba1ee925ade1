"""The file's schema, as an ordered list of sqlite-utils migrations.

Each migration runs once per file, in its own transaction together with its row in
``_sqlite_migrations``. Add new ones at the end; never edit one that has shipped.
Tables are created without ``STRICT`` so that the file opens in any SQLite tool.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from .errors import IncompatibleFile

MIGRATIONS = Migrations("rinda.store")
#: The names of the migrations this program knows, in order.
KNOWN: list[str] = []


def migration(func: Callable[[Database], None]) -> Callable[[Database], None]:
    """Register ``func`` as the next migration, named after the function."""
    KNOWN.append(func.__name__)
    return MIGRATIONS(name=func.__name__)(func)


@migration
def event_log(db: Database) -> None:
    # AUTOINCREMENT keeps the highest seq ever used in sqlite_sequence, so a seq is
    # never handed out twice, even if rows at the end were deleted by hand.
    db.execute(
        """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            division TEXT NOT NULL,
            day TEXT NOT NULL,
            type TEXT NOT NULL,
            at INTEGER NOT NULL,
            data TEXT NOT NULL
        )
        """
    )
    db.table("events").create_index(["division", "seq"], index_name="events_by_division")


@migration
def snapshots(db: Database) -> None:
    db.table("snapshots").create(
        {"division": str, "seq": int, "day": str, "data": str},
        pk=("division", "seq"),
        not_null={"division", "seq", "data"},
    )


@migration
def visit_steps(db: Database) -> None:
    db.table("visit_steps").create(
        {
            "division": str,
            "day": str,
            "number": str,
            "step": int,
            "service": str,
            "priority": str,
            "appointment": str,
            "lang": str,
            "arrival": int,
            "queued_at": int,
            "called_at": int,
            "started_at": int,
            "finished_at": int,
            "counter": str,
            "clerk": str,
            "outcome": str,
            "reason": str,
            "detail": str,
            "referral": str,
            "counter_only": str,
            "status": str,
            "estimate": int,
            "past_closing": int,
            "returned": int,
        },
        pk=("division", "day", "number", "step"),
        not_null={"division", "day", "number", "step", "service", "arrival", "status"},
    )
    db.table("visit_steps").create_index(["day", "service"], index_name="visit_steps_by_day")


@migration
def bookings_contact(db: Database) -> None:
    db.table("bookings_contact").create(
        {
            "division": str,
            "code": str,
            "name": str,
            "phone": str,
            "created_at": int,
            "due": int,
        },
        pk=("division", "code"),
        not_null={"division", "code", "created_at"},
    )


@migration
def accounts(db: Database) -> None:
    # Devices and personal accounts (queue_server.accounts, docs/accounts.md). Rows are
    # never deleted: a revoked device or a disabled user keeps its id, so an id in the
    # event log never comes to mean someone else. (One statement per execute: an
    # executescript would commit in the middle of the migration's transaction.)
    db.execute(
        """
        CREATE TABLE devices (
            id TEXT PRIMARY KEY,
            division TEXT NOT NULL,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            token_salt TEXT NOT NULL,
            token_hash TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER
        )
        """
    )
    db.execute(
        """
        CREATE TABLE users (
            id TEXT PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            role TEXT NOT NULL,
            divisions TEXT NOT NULL,
            password_salt TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            scrypt_n INTEGER NOT NULL,
            scrypt_r INTEGER NOT NULL,
            scrypt_p INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            disabled_at INTEGER,
            password_changed_at INTEGER NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE account_changes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL
        )
        """
    )
    db.execute(
        "CREATE TABLE account_generation ("
        "id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL)"
    )
    db.execute("INSERT INTO account_generation (id, value) VALUES (1, 0)")
    # Triggers, not code, bump the generation: a running server then notices any
    # change of devices or users, even one made with another SQLite tool.
    for table in ("devices", "users"):
        for change in ("INSERT", "UPDATE", "DELETE"):
            db.execute(
                f"CREATE TRIGGER {table}_{change.lower()}_generation AFTER {change} ON {table} "
                "BEGIN UPDATE account_generation SET value = value + 1 WHERE id = 1; END"
            )


def prepare(db: Database, synchronous: str) -> None:
    """Set the connection up (WAL, durability, caches) and bring the schema up to date."""
    if synchronous.upper() not in ("NORMAL", "FULL"):
        raise ValueError(f"synchronous must be NORMAL or FULL, not {synchronous!r}")
    db.enable_wal()
    conn = db.conn
    conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
    # Wait a little for a writer outside Rinda (an analyst's tool) instead of failing.
    conn.execute("PRAGMA busy_timeout=2000")
    conn.execute("PRAGMA cache_size=-16000")
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute("PRAGMA journal_size_limit=67108864")
    unknown = [m.name for m in MIGRATIONS.applied(db) if m.name not in KNOWN]
    if unknown:
        raise IncompatibleFile(
            f"The database was written by a newer Rinda (migrations {', '.join(unknown)}); "
            "upgrade this program before opening it."
        )
    MIGRATIONS.apply(db)


@migration
def visit_ratings(db: Database) -> None:
    # A visit's rating stands on every row of the visit: count step 0 per visit.
    db.execute("ALTER TABLE visit_steps ADD COLUMN rating INTEGER")
    db.execute("ALTER TABLE visit_steps ADD COLUMN rating_tags TEXT")


@migration
def audit_and_sessions(db: Database) -> None:
    # Who caused each event (the audit trail), and the consoles' login sessions: a
    # browser keeps a random token instead of the password; only its hash is stored.
    db.execute("ALTER TABLE events ADD COLUMN actor TEXT")
    db.execute(
        """
        CREATE TABLE login_sessions (
            token_hash TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            division TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            ended_at INTEGER
        )
        """
    )


@migration
def server_keys(db: Database) -> None:
    # Keys the server makes once and keeps (the MAC key of the visitors' status links),
    # so that links printed before a restart still open after it.
    db.execute("CREATE TABLE server_keys (name TEXT PRIMARY KEY, value BLOB NOT NULL)")


@migration
def statistics(db: Database) -> None:
    # Statistics read the undone actions (and the counter openings that say which
    # clerk was at the counter) from the log. A partial index keeps that read short
    # over years of history while costing commits nearly nothing: these events are rare.
    db.execute(
        "CREATE INDEX events_for_statistics ON events (division, day) "
        "WHERE type IN ('action_undone', 'counter_opened')"
    )
    # A wait ends at the step's first call, but a no-show who comes back is called
    # again and visit_steps.called_at then holds the later call. When a visit comes
    # back, its rows still hold the first calls: keep them here. (A trigger, so that
    # visit_steps keeps its columns and the store its one upsert.)
    db.execute(
        """
        CREATE TABLE visit_first_calls (
            division TEXT NOT NULL,
            day TEXT NOT NULL,
            number TEXT NOT NULL,
            step INTEGER NOT NULL,
            called_at INTEGER NOT NULL,
            PRIMARY KEY (division, day, number, step)
        )
        """
    )
    db.execute(
        """
        CREATE TRIGGER visit_steps_first_call AFTER UPDATE OF returned ON visit_steps
        WHEN NEW.returned = 1 AND OLD.returned = 0 AND OLD.called_at IS NOT NULL
        BEGIN
            INSERT OR IGNORE INTO visit_first_calls (division, day, number, step, called_at)
            VALUES (OLD.division, OLD.day, OLD.number, OLD.step, OLD.called_at);
        END
        """
    )


@migration
def day_summaries(db: Database) -> None:
    # Statistics keep the fold of each closed day here (queue_server.stats.summaries),
    # so that a report over a year reads 365 rows instead of half a million. A cache:
    # the triggers below delete a day's summary whenever anything statistics read
    # about that day changes (a late edit, the retention purge, another tool), and
    # the reports fold such a day from its rows until it is summarised again.
    db.execute(
        """
        CREATE TABLE day_summaries (
            division TEXT NOT NULL,
            day TEXT NOT NULL,
            timezone TEXT NOT NULL,
            format INTEGER NOT NULL,
            figures TEXT NOT NULL,
            counts BLOB NOT NULL,
            waits BLOB NOT NULL,
            PRIMARY KEY (division, day)
        )
        """
    )
    # (division, day) of the row before and after each change; an upsert of today's
    # row costs one probe of this small table's key.
    changes = [
        ("insert", "AFTER INSERT", "NEW"),
        ("update", "AFTER UPDATE", "OLD"),
        ("rekey", "AFTER UPDATE OF division, day", "NEW"),
        ("delete", "AFTER DELETE", "OLD"),
    ]
    for table in ("visit_steps", "visit_first_calls", "events"):
        for name, change, row in changes:
            if table == "events":
                # The log is read for undone actions and counter openings only.
                change = change.replace("day", "day, type")
                when = f" WHEN {row}.type IN ('action_undone', 'counter_opened')"
            else:
                when = ""
            db.execute(
                f"CREATE TRIGGER {table}_{name}_forgets_summary {change} ON {table}{when} "
                f"BEGIN DELETE FROM day_summaries "
                f"WHERE division = {row}.division AND day = {row}.day; END"
            )


@migration
def credential_counts(db: Database) -> None:
    # What ends a login session is a count of the account's password changes that the
    # session carries, not a comparison of times: the accounts' command line and a
    # rehearsing server (--clock-start) read different clocks. Sessions opened before
    # this migration keep working where the old rule let them.
    db.execute("ALTER TABLE users ADD COLUMN credentials INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE login_sessions ADD COLUMN credentials INTEGER")
    db.execute(
        "UPDATE login_sessions SET credentials = 0 WHERE created_at >= "
        "(SELECT password_changed_at FROM users WHERE users.id = login_sessions.user_id)"
    )
