"""A counter's state through the day, and the record that lets its clerk undo."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from .visit import Visit


class CounterStatus(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    PAUSED = "paused"


@dataclass(slots=True)
class UndoRecord:
    """What the counter's last undoable action changed, to put it back exactly."""

    action: str
    at: int
    number: str
    visit_before: Visit
    counter_before: CounterState
    #: The versions right after the action: an undo is refused if either moved on.
    visit_version: int
    counter_version: int
    #: A learned service duration the action added, which an undo takes back.
    sample: tuple[str, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "at": self.at,
            "number": self.number,
            "visit_before": self.visit_before.to_dict(),
            "counter_before": self.counter_before.to_dict(),
            "visit_version": self.visit_version,
            "counter_version": self.counter_version,
            "sample": list(self.sample) if self.sample else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UndoRecord:
        sample = data["sample"]
        return cls(
            action=data["action"],
            at=data["at"],
            number=data["number"],
            visit_before=Visit.from_dict(data["visit_before"]),
            counter_before=CounterState.from_dict(data["counter_before"]),
            visit_version=data["visit_version"],
            counter_version=data["counter_version"],
            sample=(sample[0], sample[1]) if sample else None,
        )


@dataclass(slots=True)
class CounterState:
    id: str
    status: CounterStatus = CounterStatus.CLOSED
    clerk: str | None = None
    #: The ticket number of the visit called to or served at this counter.
    current: str | None = None
    since: int | None = None
    version: int = 0
    last: UndoRecord | None = None

    def copy(self) -> CounterState:
        """A copy without the undo record (an undo goes back one action only)."""
        return replace(self, last=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status.value,
            "clerk": self.clerk,
            "current": self.current,
            "since": self.since,
            "version": self.version,
            "last": self.last.to_dict() if self.last else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CounterState:
        return cls(
            id=data["id"],
            status=CounterStatus(data["status"]),
            clerk=data["clerk"],
            current=data["current"],
            since=data["since"],
            version=data["version"],
            last=UndoRecord.from_dict(data["last"]) if data["last"] else None,
        )
