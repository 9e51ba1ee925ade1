"""A booked visit: the slot, the services, and whether it was used.

The core keeps no contact data: the booking code is all it needs. Who booked and
how to reach them stays with the server, which purges it after the retention period.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Booking(StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"


@dataclass(slots=True)
class Appointment:
    code: str
    services: tuple[str, ...]
    due: int
    priority: str | None = None
    status: Booking = Booking.BOOKED
    number: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["services"] = list(self.services)
        data["status"] = self.status.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Appointment:
        values = dict(data)
        values["services"] = tuple(data["services"])
        values["status"] = Booking(data["status"])
        return cls(**values)
