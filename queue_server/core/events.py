"""Events: what happened, in the order it happened. The log of these is the truth.

Each event is a small frozen value with the instant ``at`` (epoch ms). The store
adds the division and the sequence number when it commits them. ``to_dict`` and
``from_dict`` give the JSON shape the log and the protocol carry.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Event:
    type: ClassVar[str] = ""
    at: int

    def numbers(self) -> tuple[str, ...]:
        """The ticket numbers of the visits this event changes."""
        number = getattr(self, "number", None)
        return (number,) if number else ()


@dataclass(frozen=True, slots=True)
class DayOpened(Event):
    type: ClassVar[str] = "day_opened"
    day: str


@dataclass(frozen=True, slots=True)
class DayClosed(Event):
    """The day is over; the visits still open are ``expired`` (listed)."""

    type: ClassVar[str] = "day_closed"
    day: str
    expired: tuple[str, ...] = ()

    def numbers(self) -> tuple[str, ...]:
        return self.expired


@dataclass(frozen=True, slots=True)
class VisitIssued(Event):
    type: ClassVar[str] = "visit_issued"
    number: str
    key: str
    services: tuple[str, ...]
    priority: str | None = None
    lang: str = "lv"
    appointment: str | None = None
    due: int | None = None
    #: The estimated call instant when the ticket was issued (None: no estimate).
    estimate: int | None = None
    past_closing: bool = False


@dataclass(frozen=True, slots=True)
class VisitCalled(Event):
    type: ClassVar[str] = "visit_called"
    number: str
    counter: str
    clerk: str


@dataclass(frozen=True, slots=True)
class VisitRecalled(Event):
    type: ClassVar[str] = "visit_recalled"
    number: str
    counter: str


@dataclass(frozen=True, slots=True)
class VisitMissed(Event):
    """The called visitor did not come: a no-show."""

    type: ClassVar[str] = "visit_missed"
    number: str
    counter: str


@dataclass(frozen=True, slots=True)
class VisitReturned(Event):
    type: ClassVar[str] = "visit_returned"
    number: str


@dataclass(frozen=True, slots=True)
class VisitCancelled(Event):
    type: ClassVar[str] = "visit_cancelled"
    number: str


@dataclass(frozen=True, slots=True)
class VisitRated(Event):
    """The visitor's rating of a finished visit: stars and tags, nothing personal."""

    type: ClassVar[str] = "visit_rated"
    number: str
    stars: int
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PrinterReported(Event):
    """A kiosk's printer changed its status (only changes are recorded)."""

    type: ClassVar[str] = "printer_reported"
    device: str
    status: str


@dataclass(frozen=True, slots=True)
class CounterConfigured(Event):
    """A counter's services (in call order), accessibility codes and note, as they are now."""

    type: ClassVar[str] = "counter_configured"
    counter: str
    services: tuple[str, ...]
    accessibility: tuple[str, ...]
    note: dict[str, str]


@dataclass(frozen=True, slots=True)
class ServiceConfigured(Event):
    """A service's texts, prefix and expected duration in this division, as they are now."""

    type: ClassVar[str] = "service_configured"
    service: str
    prefix: str
    name: dict[str, str]
    description: dict[str, str]
    bring: dict[str, str]
    expected_ms: int


@dataclass(frozen=True, slots=True)
class PriorityConfigured(Event):
    type: ClassVar[str] = "priority_configured"
    priority: str
    label: dict[str, str]


@dataclass(frozen=True, slots=True)
class NotesSet(Event):
    type: ClassVar[str] = "notes_set"
    notes: dict[str, str]


@dataclass(frozen=True, slots=True)
class ManagerAlerted(Event):
    """A clerk called the manager silently: staff only, never on a lobby screen."""

    type: ClassVar[str] = "manager_alerted"
    counter: str
    clerk: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class AlertAnswered(Event):
    type: ClassVar[str] = "alert_answered"
    counter: str
    admin: str


@dataclass(frozen=True, slots=True)
class ServiceStarted(Event):
    type: ClassVar[str] = "service_started"
    number: str
    counter: str


@dataclass(frozen=True, slots=True)
class StepFinished(Event):
    """A step ended at a counter; the visit moves on to its next service or is done."""

    type: ClassVar[str] = "step_finished"
    number: str
    counter: str
    clerk: str
    outcome: str
    reason: str | None = None
    detail: str | None = None
    referral: str | None = None


@dataclass(frozen=True, slots=True)
class VisitTransferred(Event):
    type: ClassVar[str] = "visit_transferred"
    number: str
    counter: str
    service: str
    to_counter: str | None = None


@dataclass(frozen=True, slots=True)
class ActionUndone(Event):
    """The counter's last action was taken back; the state before it returns."""

    type: ClassVar[str] = "action_undone"
    counter: str
    action: str
    number: str


@dataclass(frozen=True, slots=True)
class CounterOpened(Event):
    type: ClassVar[str] = "counter_opened"
    counter: str
    clerk: str


@dataclass(frozen=True, slots=True)
class CounterClosed(Event):
    type: ClassVar[str] = "counter_closed"
    counter: str


@dataclass(frozen=True, slots=True)
class CounterPaused(Event):
    type: ClassVar[str] = "counter_paused"
    counter: str


@dataclass(frozen=True, slots=True)
class CounterResumed(Event):
    type: ClassVar[str] = "counter_resumed"
    counter: str


@dataclass(frozen=True, slots=True)
class AppointmentBooked(Event):
    type: ClassVar[str] = "appointment_booked"
    code: str
    services: tuple[str, ...]
    due: int
    priority: str | None = None


@dataclass(frozen=True, slots=True)
class AppointmentMoved(Event):
    type: ClassVar[str] = "appointment_moved"
    code: str
    due: int


@dataclass(frozen=True, slots=True)
class AppointmentCancelled(Event):
    type: ClassVar[str] = "appointment_cancelled"
    code: str


@dataclass(frozen=True, slots=True)
class HoursExceptionSet(Event):
    type: ClassVar[str] = "hours_exception_set"
    day: str
    open_min: int | None
    close_min: int | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class HoursExceptionCleared(Event):
    type: ClassVar[str] = "hours_exception_cleared"
    day: str


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        DayOpened,
        DayClosed,
        VisitIssued,
        VisitCalled,
        VisitRecalled,
        VisitMissed,
        VisitReturned,
        VisitCancelled,
        VisitRated,
        ManagerAlerted,
        AlertAnswered,
        CounterConfigured,
        ServiceConfigured,
        PriorityConfigured,
        NotesSet,
        PrinterReported,
        ServiceStarted,
        StepFinished,
        VisitTransferred,
        ActionUndone,
        CounterOpened,
        CounterClosed,
        CounterPaused,
        CounterResumed,
        AppointmentBooked,
        AppointmentMoved,
        AppointmentCancelled,
        HoursExceptionSet,
        HoursExceptionCleared,
    )
}

_TUPLE_FIELDS: dict[type[Event], frozenset[str]] = {
    cls: frozenset(f.name for f in fields(cls) if str(f.type).startswith("tuple"))
    for cls in EVENT_TYPES.values()
}


def to_dict(event: Event) -> dict[str, Any]:
    """The JSON shape of an event: its ``type`` and its fields."""
    data: dict[str, Any] = {"type": event.type}
    for f in fields(event):
        value = getattr(event, f.name)
        data[f.name] = list(value) if isinstance(value, tuple) else value
    return data


def from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from ``to_dict``'s shape; ``KeyError`` on an unknown type."""
    cls = EVENT_TYPES[data["type"]]
    tuples = _TUPLE_FIELDS[cls]
    kwargs: dict[str, Any] = {
        key: tuple(value) if key in tuples else value
        for key, value in data.items()
        if key != "type"
    }
    return cls(**kwargs)
