"""Devices and personal accounts, kept in the tables of the store's SQLite file.

``Accounts`` works on a connection it is given (the server's, shared with its
``Store``) or on one it opens itself (``Accounts.open``, for the command line, which
may run while the server runs). Every change is one short ``BEGIN IMMEDIATE``
transaction that also writes a row of ``account_changes``; triggers bump the
generation (``generation()``) in the same transaction, so a server that reads it
every second notices a revoke made by another process and cuts the session off.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlite_utils import Database

from queue_server.core.settings import Office
from queue_server.store import schema
from queue_server.store.errors import explain

from . import hashing, rules
from .errors import AccountError, AlreadyInactive, UnknownDevice, UnknownUser, UsernameTaken

#: Who made a change, when the caller does not say (the command line).
CLI_ACTOR = "cli"
#: How long a writer waits for the file while another process writes (ms).
BUSY_TIMEOUT_MS = 5000
_GENERATED_PASSWORD_BYTES = 12
_TOKEN_MAX = 128

_DEVICE_COLUMNS = "id, division, kind, name, created_at, revoked_at"
_USER_COLUMNS = (
    "id, username, role, divisions, created_at, disabled_at, password_changed_at, credentials"
)
_USER_FIELDS = 8
_BY_NUMBER = "ORDER BY CAST(substr(id, 2) AS INTEGER)"


@dataclass(frozen=True, slots=True)
class Device:
    """A kiosk or a display of one division, known by its id (``d1``, ``d2``, ...)."""

    id: str
    division: str
    kind: str
    name: str
    created_at: int
    revoked_at: int | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class User:
    """A clerk's or an admin's account. ``id`` (``u1``, ...) is what events name.

    ``divisions`` is ``("*",)`` for every division of the office.
    """

    id: str
    username: str
    role: str
    divisions: tuple[str, ...]
    created_at: int
    disabled_at: int | None
    password_changed_at: int
    #: Counts the account's password changes: a login session carries the count it
    #: was opened with and ends when it differs. A count, not a time, so that no clock
    #: (a rehearsal's, a machine's set wrong) can make an old session look newer.
    credentials: int = 0

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    @property
    def all_divisions(self) -> bool:
        return rules.ALL_DIVISIONS in self.divisions

    def may_work_in(self, division: str) -> bool:
        return self.all_divisions or division in self.divisions


@dataclass(frozen=True, slots=True)
class AccountChange:
    """One row of the audit of account changes; it never holds a secret."""

    at: int
    actor: str
    action: str
    subject: str


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    """What checking one login needs, read from the file; ``verify`` is pure CPU.

    A server reads it on its event loop and runs ``verify`` in a worker thread
    (``hashlib.scrypt`` releases the GIL), so a login never stalls the others.
    An unknown username gives a check that spends the same time and never matches.
    """

    user: User | None
    salt: bytes = field(repr=False)
    expected: bytes = field(repr=False)
    params: hashing.ScryptParameters

    def verify(self, password: str) -> User | None:
        """The account if ``password`` is its password and it is not disabled."""
        if not isinstance(password, str):
            password = ""
        digest = hashing.hash_password(password, self.salt, self.params)
        if hashing.same(digest, self.expected) and self.user is not None and self.user.active:
            return self.user
        return None


class Accounts:
    """The devices and personal accounts in one Rinda database file.

    ``office``, when given, is what division ids are checked against.
    """

    def __init__(self, conn_or_db: sqlite3.Connection | Database, office: Office | None = None):
        if isinstance(conn_or_db, Database):
            conn_or_db = conn_or_db.conn
        self._conn = conn_or_db
        self.office = office
        self._owned: Database | None = None

    @classmethod
    def open(cls, path: str | Path, office: Office | None = None) -> Accounts:
        """Open (or create) the file, bring its schema up to date, and own the connection.

        Safe while the server runs: SQLite's WAL lets one process write while others
        read, and a writer waits up to ``BUSY_TIMEOUT_MS`` for the other to finish.
        """
        try:
            db = Database(Path(path), execute_plugins=False)
        except sqlite3.Error as exc:
            raise explain(exc, str(path), "open the database") from exc
        try:
            schema.prepare(db, "NORMAL")
            db.conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        except sqlite3.Error as exc:
            db.close()
            raise explain(exc, str(path), "open the database") from exc
        except BaseException:
            db.close()
            raise
        accounts = cls(db, office)
        accounts._owned = db
        return accounts

    def close(self) -> None:
        """Close the connection if ``open`` made it; a shared one stays open."""
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ devices

    def add_device(
        self, division: str, kind: str, name: str, now: int, *, actor: str = CLI_ACTOR
    ) -> tuple[Device, str]:
        """Register a kiosk or a display; return it and its token, which is never kept."""
        division = rules.check_division(division, self.office)
        kind = rules.check_kind(kind)
        name = rules.check_name(name)
        secret = hashing.new_token_secret()
        salt = hashing.new_salt()
        digest = hashing.hash_token_secret(secret, salt)
        with self._writing("add a device") as conn:
            device = Device(_next_id(conn, "devices", "d"), division, kind, name, now)
            conn.execute(
                "INSERT INTO devices (id, division, kind, name, token_salt, token_hash, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (device.id, division, kind, name, salt.hex(), digest.hex(), now),
            )
            _audit(conn, now, actor, "device_added", device.id)
        return device, f"{device.id}.{secret}"

    def list_devices(self) -> list[Device]:
        """Every device ever added, revoked ones too, oldest first."""
        rows = self._conn.execute(f"SELECT {_DEVICE_COLUMNS} FROM devices {_BY_NUMBER}")
        return [Device(*row) for row in rows.fetchall()]

    def device(self, device_id: str) -> Device | None:
        row = self._conn.execute(
            f"SELECT {_DEVICE_COLUMNS} FROM devices WHERE id = ?", (device_id,)
        ).fetchone()
        return Device(*row) if row else None

    def revoke_device(self, device_id: str, now: int, *, actor: str = CLI_ACTOR) -> Device:
        """Revoke a device for good: its token stops working (add a new device instead)."""
        with self._writing("revoke a device") as conn:
            device = self.device(device_id)
            if device is None:
                raise UnknownDevice(f"There is no device {device_id!r}; see `device list`.")
            if not device.active:
                raise AlreadyInactive(f"Device {device_id} is already revoked.")
            conn.execute("UPDATE devices SET revoked_at = ? WHERE id = ?", (now, device_id))
            _audit(conn, now, actor, "device_revoked", device_id)
        return Device(device.id, device.division, device.kind, device.name, device.created_at, now)

    def verify_device(self, token: str) -> Device | None:
        """The device whose token this is, if it is not revoked; otherwise ``None``."""
        if not isinstance(token, str) or len(token) > _TOKEN_MAX:
            return None
        device_id, dot, secret = token.partition(".")
        if not dot or not secret:
            return None
        row = self._conn.execute(
            f"SELECT token_salt, token_hash, {_DEVICE_COLUMNS} FROM devices WHERE id = ?",
            (device_id,),
        ).fetchone()
        if row is None:
            return None
        salt, expected, *fields = row
        digest = hashing.hash_token_secret(secret, bytes.fromhex(salt))
        device = Device(*fields)
        if hashing.same(digest, bytes.fromhex(expected)) and device.active:
            return device
        return None

    # ------------------------------------------------------------------- users

    def add_user(
        self,
        username: str,
        role: str,
        divisions: Iterable[str],
        now: int,
        password: str | None = None,
        *,
        actor: str = CLI_ACTOR,
    ) -> tuple[User, str]:
        """Create an account; return it and its password (generated when none is given)."""
        username = rules.check_username(username)
        role = rules.check_role(role)
        allowed = rules.check_divisions(divisions, self.office)
        password = _password(password)
        salt = hashing.new_salt()
        digest = hashing.hash_password(password, salt)
        params = hashing.SCRYPT
        with self._writing("add an account") as conn:
            if self._user_row(username) is not None:
                raise UsernameTaken(
                    f"The username {username!r} is taken (usernames are never reused, "
                    "not even those of disabled accounts); choose another."
                )
            user = User(_next_id(conn, "users", "u"), username, role, allowed, now, None, now, 0)
            conn.execute(
                "INSERT INTO users (id, username, role, divisions, password_salt, "
                "password_hash, scrypt_n, scrypt_r, scrypt_p, created_at, "
                "password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    user.id,
                    username,
                    role,
                    json.dumps(list(allowed)),
                    salt.hex(),
                    digest.hex(),
                    params.n,
                    params.r,
                    params.p,
                    now,
                    now,
                ),
            )
            _audit(conn, now, actor, "user_added", user.id)
        return user, password

    def list_users(self) -> list[User]:
        """Every account ever created, disabled ones too, oldest first."""
        rows = self._conn.execute(f"SELECT {_USER_COLUMNS} FROM users {_BY_NUMBER}")
        return [_user(row) for row in rows.fetchall()]

    def user(self, username: str) -> User | None:
        row = self._user_row(username)
        return _user(row[:_USER_FIELDS]) if row else None

    def user_by_id(self, user_id: str) -> User | None:
        row = self._conn.execute(
            f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?", (user_id,)
        ).fetchone()
        return _user(row) if row else None

    def disable_user(self, username: str, now: int, *, actor: str = CLI_ACTOR) -> User:
        """Disable an account for good: it can no longer log in."""
        with self._writing("disable an account") as conn:
            user = self._existing_user(username)
            if not user.active:
                raise AlreadyInactive(f"The account {user.username!r} is already disabled.")
            conn.execute("UPDATE users SET disabled_at = ? WHERE id = ?", (now, user.id))
            _audit(conn, now, actor, "user_disabled", user.id)
        return self._existing_user(username)

    def set_password(
        self, username: str, now: int, password: str | None = None, *, actor: str = CLI_ACTOR
    ) -> str:
        """Give an account a new password (generated when none is given) and return it.

        The new hash uses today's scrypt parameters, so raising ``hashing.SCRYPT``
        reaches every account whose password is set again.
        """
        password = _password(password)
        salt = hashing.new_salt()
        digest = hashing.hash_password(password, salt)
        params = hashing.SCRYPT
        with self._writing("set a password") as conn:
            user = self._existing_user(username)
            if not user.active:
                raise AlreadyInactive(
                    f"The account {user.username!r} is disabled; a disabled account stays disabled."
                )
            # One more change of credentials: every session opened before now ends.
            conn.execute(
                "UPDATE users SET password_salt = ?, password_hash = ?, scrypt_n = ?, "
                "scrypt_r = ?, scrypt_p = ?, password_changed_at = ?, "
                "credentials = credentials + 1 WHERE id = ?",
                (salt.hex(), digest.hex(), params.n, params.r, params.p, now, user.id),
            )
            _audit(conn, now, actor, "password_set", user.id)
        return password

    def password_check(self, username: str) -> PasswordCheck:
        """What ``verify`` needs to check a password for ``username`` (see ``PasswordCheck``)."""
        try:
            row = self._user_row(rules.check_username(username))
        except AccountError:
            row = None
        if row is None:
            # Never matches: no password hashes to random bytes.
            expected = secrets.token_bytes(hashing.KEY_BYTES)
            return PasswordCheck(None, hashing.new_salt(), expected, hashing.SCRYPT)
        user = _user(row[:_USER_FIELDS])
        salt, digest, n, r, p = row[_USER_FIELDS:]
        return PasswordCheck(
            user, bytes.fromhex(salt), bytes.fromhex(digest), hashing.ScryptParameters(n, r, p)
        )

    def verify_user(self, username: str, password: str) -> User | None:
        """The account if the password is right and it is not disabled; otherwise ``None``.

        Takes one scrypt's time in every case, so the time does not tell whether the
        username exists.
        """
        return self.password_check(username).verify(password)

    # ---------------------------------------------------------------- sessions

    def open_session(self, user: User, division: str, now: int, ttl_ms: int) -> tuple[str, int]:
        """A login session for a console: a random token and when it expires.

        The browser keeps the token instead of the password, so a reconnect needs no
        password; only the token's SHA-256 is stored (it has 256 random bits: no salt
        or slow hash is needed).
        """
        token = secrets.token_urlsafe(32)
        expires = now + ttl_ms
        with self._writing("open a session") as conn:
            conn.execute(
                "DELETE FROM login_sessions WHERE expires_at < ? OR ended_at IS NOT NULL",
                (now - 86_400_000,),
            )
            conn.execute(
                "INSERT INTO login_sessions (token_hash, user_id, division, created_at, "
                "expires_at, credentials) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    hashing.hash_session_token(token),
                    user.id,
                    division,
                    now,
                    expires,
                    user.credentials,
                ),
            )
        return token, expires

    def verify_session(self, username: str, token: str, division: str, now: int) -> User | None:
        """The account whose session this is, while it runs and the account is unchanged.

        ``now`` is the server's clock, the one that opened the session and set its end.
        """
        if not isinstance(token, str) or len(token) > _TOKEN_MAX:
            return None
        row = self._conn.execute(
            "SELECT user_id, division, credentials, expires_at, ended_at FROM login_sessions "
            "WHERE token_hash = ?",
            (hashing.hash_session_token(token),),
        ).fetchone()
        if row is None:
            return None
        user_id, opened_in, credentials, expires_at, ended_at = row
        user = self.user_by_id(user_id)
        if (
            user is None
            or ended_at is not None
            or expires_at <= now
            or opened_in != division
            or user.username.casefold() != username.casefold()
            or not user.active
            or user.credentials != credentials
        ):
            return None
        return user

    def session_expires(self, token: str) -> int | None:
        row = self._conn.execute(
            "SELECT expires_at FROM login_sessions WHERE token_hash = ? AND ended_at IS NULL",
            (hashing.hash_session_token(token),),
        ).fetchone()
        return None if row is None else int(row[0])

    def end_session(self, token: str, now: int) -> None:
        """Log out: the token no longer opens anything."""
        with self._writing("end a session") as conn:
            conn.execute(
                "UPDATE login_sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL",
                (now, hashing.hash_session_token(token)),
            )

    def generation(self) -> int:
        """A number that changes with every change of a device or an account."""
        row = self._conn.execute("SELECT value FROM account_generation WHERE id = 1").fetchone()
        return int(row[0])

    def still_valid(self, account: Device | User) -> bool:
        """Whether a session that logged in as ``account`` may go on.

        No longer when the device was revoked, the account disabled, or its password
        changed since.
        """
        if isinstance(account, Device):
            device = self.device(account.id)
            return device is not None and device.active
        user = self.user_by_id(account.id)
        return user is not None and user.active and user.credentials == account.credentials

    def changes(self) -> list[AccountChange]:
        """The audit of account changes, oldest first."""
        rows = self._conn.execute(
            "SELECT at, actor, action, subject FROM account_changes ORDER BY id"
        )
        return [AccountChange(*row) for row in rows.fetchall()]

    # ----------------------------------------------------------------- private

    def _user_row(self, username: str) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self._conn.execute(
            f"SELECT {_USER_COLUMNS}, password_salt, password_hash, scrypt_n, scrypt_r, "
            "scrypt_p FROM users WHERE username = ?",
            (username,),
        ).fetchone()
        return row

    def _existing_user(self, username: str) -> User:
        row = self._user_row(rules.check_username(username))
        if row is None:
            raise UnknownUser(f"There is no account {username!r}; see `user list`.")
        return _user(row[:_USER_FIELDS])

    @contextmanager
    def _writing(self, doing: str) -> Iterator[sqlite3.Connection]:
        """One transaction that takes the write lock at once; nested in an open one."""
        conn = self._conn
        nested = conn.in_transaction
        try:
            conn.execute("SAVEPOINT accounts" if nested else "BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if nested:
                    conn.execute("ROLLBACK TO accounts")
                    conn.execute("RELEASE accounts")
                elif conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("RELEASE accounts" if nested else "COMMIT")
        except sqlite3.Error as exc:
            if not nested and conn.in_transaction:
                conn.execute("ROLLBACK")
            raise explain(exc, _path(conn), doing) from exc


def _next_id(conn: sqlite3.Connection, table: str, prefix: str) -> str:
    # Rows are never deleted, so an id is never handed out twice.
    row = conn.execute(
        f"SELECT coalesce(max(CAST(substr(id, 2) AS INTEGER)), 0) + 1 FROM {table}"
    ).fetchone()
    return f"{prefix}{row[0]}"


def _audit(conn: sqlite3.Connection, now: int, actor: str, action: str, subject: str) -> None:
    conn.execute(
        "INSERT INTO account_changes (at, actor, action, subject) VALUES (?, ?, ?, ?)",
        (now, actor, action, subject),
    )


def _user(row: tuple[Any, ...]) -> User:
    user_id, username, role, divisions, created_at, disabled_at, changed_at, credentials = row
    return User(
        user_id,
        username,
        role,
        tuple(json.loads(divisions)),
        created_at,
        disabled_at,
        changed_at,
        credentials,
    )


def _password(password: str | None) -> str:
    if password is None:
        # 96 random bits in 16 characters: strong, and short enough to type.
        return secrets.token_urlsafe(_GENERATED_PASSWORD_BYTES)
    return rules.check_password(password)


def _path(conn: sqlite3.Connection) -> str:
    for _, name, filename in conn.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return str(filename) or ":memory:"
    return "the database"
