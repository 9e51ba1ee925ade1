"""What an admin asks that is not a command of the core: free booking slots, the
caller's contact, devices and clerk accounts of the division, statistics and the
audit trail.

An admin acts in the division of their session only: a device or an account of
another division is "unknown" to them, and only clerk accounts that work in this
division alone can be changed from the console (others through the command line).
Reads that scan the file (statistics, audit) run on a read-only connection of their
own, in a worker thread, so the lobby never waits for them.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from queue_server.accounts import AccountError, Accounts
from queue_server.accounts.errors import AlreadyInactive, UnknownDevice, UnknownUser, UsernameTaken
from queue_server.core import DivisionState
from queue_server.protocol import ProtocolError
from queue_server.stats import ServiceTarget, StatsError, open_read_only, report, tables

from .dispatch import Session

#: The most rows one audit answer holds; ``more`` says when there are others.
AUDIT_PAGE = 200


def account_error(error: AccountError) -> ProtocolError:
    """An account refusal as the protocol says it: a stable code and the sentence."""
    if isinstance(error, UnknownDevice):
        return ProtocolError("unknown_device", str(error))
    if isinstance(error, UnknownUser):
        return ProtocolError("unknown_user", str(error))
    if isinstance(error, UsernameTaken):
        return ProtocolError("username_taken", str(error))
    if isinstance(error, AlreadyInactive):
        return ProtocolError("already_inactive", str(error))
    return ProtocolError("invalid_account", str(error))


# ------------------------------------------------------------------ bookings


def free_slots(state: DivisionState, service: str, day: str, now: int) -> dict[str, Any]:
    return {
        "slots": [{"due": due, "free": free} for due, free in state.free_slots(service, day, now)],
        "slot_ms": state.rules.appointment_slot_ms,
    }


# ------------------------------------------------------------------- devices


def list_devices(
    accounts: Accounts, session: Session, connected: set[str], state: DivisionState
) -> dict[str, Any]:
    return {
        "devices": [
            {
                "id": d.id,
                "kind": d.kind,
                "name": d.name,
                "revoked": not d.active,
                "connected": d.id in connected,
                "printer": state.printers.get(d.id) if d.kind == "kiosk" else None,
            }
            for d in accounts.list_devices()
            if d.division == session.division
        ]
    }


def add_device(accounts: Accounts, session: Session, kind: str, name: str, now: int) -> dict:
    device, token = accounts.add_device(session.division, kind, name, now, actor=session.actor)
    return {"device": {"id": device.id, "kind": device.kind, "name": device.name}, "token": token}


def revoke_device(accounts: Accounts, session: Session, device_id: str, now: int) -> dict:
    device = accounts.device(device_id)
    if device is None or device.division != session.division:
        raise ProtocolError("unknown_device", f"This division has no device {device_id!r}.")
    accounts.revoke_device(device_id, now, actor=session.actor)
    return {}


# ------------------------------------------------------------------ accounts


def list_users(accounts: Accounts, session: Session) -> dict[str, Any]:
    return {
        "users": [
            {
                "id": u.id,
                "username": u.username,
                "role": u.role,
                "active": u.active,
                "editable": _editable(u.role, u.divisions, session.division),
            }
            for u in accounts.list_users()
            if u.may_work_in(session.division)
        ]
    }


def add_user(accounts: Accounts, session: Session, username: str, now: int) -> dict[str, Any]:
    user, password = accounts.add_user(
        username, "clerk", [session.division], now, actor=session.actor
    )
    return {"user": {"id": user.id, "username": user.username}, "password": password}


def disable_user(accounts: Accounts, session: Session, username: str, now: int) -> dict:
    _clerk_of(accounts, session, username)
    accounts.disable_user(username, now, actor=session.actor)
    return {}


def reset_password(accounts: Accounts, session: Session, username: str, now: int) -> dict:
    _clerk_of(accounts, session, username)
    return {"password": accounts.set_password(username, now, actor=session.actor)}


def _editable(role: str, divisions: tuple[str, ...], division: str) -> bool:
    return role == "clerk" and divisions == (division,)


def _clerk_of(accounts: Accounts, session: Session, username: str) -> None:
    user = accounts.user(username)
    if user is None or not user.may_work_in(session.division):
        raise ProtocolError("unknown_user", f"This division has no account {username!r}.")
    if not _editable(user.role, user.divisions, session.division):
        raise ProtocolError(
            "forbidden",
            "Only clerk accounts of this division alone can be changed here; "
            "use `rinda-server user` for the others.",
        )


# ------------------------------------------------------- statistics and audit


@dataclass(frozen=True)
class Names:
    """Account and device ids to the names people know them by (for the console)."""

    names: dict[str, str]

    @classmethod
    def of(cls, accounts: Accounts) -> Names:
        found = {u.id: u.username for u in accounts.list_users()}
        found.update({d.id: d.name for d in accounts.list_devices()})
        return cls(found)

    def id_of(self, name: str) -> str | None:
        lowered = name.casefold()
        return next((i for i, n in self.names.items() if n.casefold() == lowered), None)


def statistics(
    path: Path,
    division: str,
    timezone: str,
    fields: dict[str, Any],
    names: Names,
) -> dict[str, Any]:
    """The report and its flat tables (in a worker thread: its own connection)."""
    chosen = {"minutes": fields["target_minutes"], "share": fields["target_share"]}
    db = open_read_only(path)
    try:
        target = ServiceTarget(**{k: v for k, v in chosen.items() if v is not None})
        found = report(db, division, fields["period"], fields["start"], target, timezone)
    except StatsError as error:
        raise ProtocolError("bad_field", str(error), field="start") from error
    finally:
        db.close()
    return {
        "report": found.to_dict(),
        "tables": {
            name: {"columns": list(t.columns), "rows": [list(r) for r in t.rows]}
            for name, t in tables(found).items()
        },
        "names": names.names,
    }


def audit(path: Path, division: str, fields: dict[str, Any], names: Names) -> dict[str, Any]:
    """Events of the division (who, when, what), newest first, filtered and paged."""
    where = ["division = ?"]
    params: list[Any] = [division]
    for column, op, value in (
        ("day", ">=", fields["from_day"]),
        ("day", "<=", fields["to_day"]),
        ("type", "=", fields["event"]),
        ("seq", "<", fields["before_seq"]),
    ):
        if value is not None:
            where.append(f"{column} {op} ?")
            params.append(value)
    if fields["actor"] is not None:
        actor = names.id_of(fields["actor"]) or fields["actor"]
        where.append("actor = ?")
        params.append(actor)
    if fields["number"] is not None:
        where.append("json_extract(data, '$.number') = ?")
        params.append(fields["number"])
    if fields["text"] is not None:
        where.append("instr(lower(data), lower(?)) > 0")
        params.append(fields["text"])
    sql = (
        "SELECT seq, at, type, actor, data FROM events WHERE "
        + " AND ".join(where)
        + " ORDER BY seq DESC LIMIT ?"
    )
    db = open_read_only(path)
    try:
        rows = db.conn.execute(sql, [*params, AUDIT_PAGE + 1]).fetchall()
        changes = _account_changes(db.conn, division, fields, names)
    except sqlite3.Error as error:
        raise ProtocolError(
            "unavailable", f"The audit trail cannot be read now: {error}."
        ) from error
    finally:
        db.close()
    return {
        "rows": [
            {
                "seq": seq,
                "at": at,
                "type": kind,
                "actor": actor,
                "actor_name": names.names.get(actor or "", actor),
                "fields": json.loads(data),
            }
            for seq, at, kind, actor, data in rows[:AUDIT_PAGE]
        ],
        "more": len(rows) > AUDIT_PAGE,
        "account_changes": changes,
    }


def _account_changes(
    conn: sqlite3.Connection, division: str, fields: dict[str, Any], names: Names
) -> list[dict[str, Any]]:
    """Changes of this division's devices and accounts (never a secret)."""
    subjects = {
        row[0] for row in conn.execute("SELECT id FROM devices WHERE division = ?", (division,))
    }
    for user_id, divisions in conn.execute("SELECT id, divisions FROM users"):
        if division in json.loads(divisions) or "*" in json.loads(divisions):
            subjects.add(user_id)
    found = []
    for at, actor, action, subject in conn.execute(
        "SELECT at, actor, action, subject FROM account_changes ORDER BY id DESC LIMIT 1000"
    ):
        if subject not in subjects:
            continue
        if fields["actor"] is not None and names.names.get(actor, actor) != fields["actor"]:
            continue
        found.append(
            {
                "at": at,
                "actor": actor,
                "actor_name": names.names.get(actor, actor),
                "action": action,
                "subject": subject,
                "subject_name": names.names.get(subject, subject),
            }
        )
    return found[:AUDIT_PAGE]
