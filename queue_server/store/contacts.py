"""Contact data of bookings: the only personal data in the file.

It lives here, outside the core and the event log, so that purging it after the
retention period touches one table. A row is kept until ``retention`` after the
later of its creation and the booked time (moving a booking updates ``due``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

UPSERT = (
    "INSERT OR REPLACE INTO bookings_contact (division, code, name, phone, created_at, due) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
MOVE = "UPDATE bookings_contact SET due = ? WHERE division = ? AND code = ?"
PURGE = "DELETE FROM bookings_contact WHERE max(created_at, coalesce(due, created_at)) < ?"


@dataclass(frozen=True, slots=True)
class BookingContact:
    division: str
    code: str
    name: str
    phone: str | None
    created_at: int
    due: int | None


def find(conn: sqlite3.Connection, division: str, code: str) -> BookingContact | None:
    row = conn.execute(
        "SELECT division, code, name, phone, created_at, due FROM bookings_contact "
        "WHERE division = ? AND code = ?",
        (division, code),
    ).fetchone()
    return BookingContact(*row) if row else None
