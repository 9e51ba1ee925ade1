"""Commands: what a kiosk, a clerk or an admin asks the core to do.

A command is a request; the core answers with events or a ``DomainError``. Counters
and visits are named by their ids and ticket numbers; who sends what is the
server's business (roles), not the core's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Issue:
    """A visitor takes a ticket for one or several services, in the order given.

    ``key`` is made by the kiosk for the tap: a repeated key returns the same ticket.
    """

    key: str
    services: tuple[str, ...]
    priority: str | None = None
    lang: str = "lv"


@dataclass(frozen=True, slots=True)
class CheckIn:
    """A visitor with a booked visit checks in with the booking code."""

    key: str
    code: str
    lang: str = "lv"


@dataclass(frozen=True, slots=True)
class ReturnVisit:
    """A visitor who missed their call returns (once, within the grace period)."""

    number: str


@dataclass(frozen=True, slots=True)
class CancelVisit:
    """A waiting or called visit is withdrawn."""

    number: str


@dataclass(frozen=True, slots=True)
class RateVisit:
    """A visitor rates their finished visit: 1-5 stars and optional tags."""

    number: str
    stars: int
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReportPrinter:
    """A kiosk says how its printer is: ``ok``, ``offline``, ``paper_out`` or ``unknown``."""

    device: str
    status: str


@dataclass(frozen=True, slots=True)
class AlertManager:
    """A clerk calls the manager silently (the seed: a manager or the police may be
    needed); the alert stays open on the admin console until an admin answers it."""

    counter: str
    clerk: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class AnswerAlert:
    """An admin has seen to a counter's alert."""

    counter: str
    admin: str


@dataclass(frozen=True, slots=True)
class ConfigureCounter:
    """An admin changes a counter: its services in call order, its accessibility
    codes, its note (None: unchanged)."""

    counter: str
    services: tuple[str, ...] | None = None
    accessibility: tuple[str, ...] | None = None
    note: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class ConfigureService:
    """An admin changes a service's texts, expected duration or prefix (None: unchanged)."""

    service: str
    name: Mapping[str, str] | None = None
    description: Mapping[str, str] | None = None
    bring: Mapping[str, str] | None = None
    expected_ms: int | None = None
    prefix: str | None = None


@dataclass(frozen=True, slots=True)
class ConfigurePriority:
    priority: str
    label: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class SetNotes:
    """The division's own notes for the lobby (accessible entrance, lift, ...)."""

    notes: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class OpenCounter:
    counter: str
    clerk: str


@dataclass(frozen=True, slots=True)
class CloseCounter:
    counter: str


@dataclass(frozen=True, slots=True)
class PauseCounter:
    counter: str


@dataclass(frozen=True, slots=True)
class ResumeCounter:
    counter: str


@dataclass(frozen=True, slots=True)
class CallNext:
    """The counter calls the visit that the call order puts first."""

    counter: str


@dataclass(frozen=True, slots=True)
class CallNumber:
    """The counter calls one ticket number (also a no-show returning within the grace)."""

    counter: str
    number: str


@dataclass(frozen=True, slots=True)
class Recall:
    counter: str


@dataclass(frozen=True, slots=True)
class NoShow:
    counter: str


@dataclass(frozen=True, slots=True)
class StartService:
    """The called visitor arrived at the counter (optional: finishing implies it)."""

    counter: str


@dataclass(frozen=True, slots=True)
class Finish:
    """The counter ends the current step with its outcome.

    ``served``; ``refused`` with a configured legal ``reason`` (and optional ``detail``);
    ``referred`` to another authority named in ``referral``; ``behaviour``: the clerk
    ended the service because of the visitor's behaviour (ends the whole visit).
    """

    counter: str
    outcome: str = "served"
    reason: str | None = None
    detail: str | None = None
    referral: str | None = None


@dataclass(frozen=True, slots=True)
class Transfer:
    """The counter sends the visit to another service, another counter, or both."""

    counter: str
    service: str | None = None
    to_counter: str | None = None


@dataclass(frozen=True, slots=True)
class Undo:
    """The counter takes back its last action, within the undo window."""

    counter: str


@dataclass(frozen=True, slots=True)
class Book:
    """A visit is booked for a time slot (the caller's contact stays outside the core)."""

    code: str
    services: tuple[str, ...]
    due: int
    priority: str | None = None


@dataclass(frozen=True, slots=True)
class CancelBooking:
    code: str


@dataclass(frozen=True, slots=True)
class MoveBooking:
    code: str
    due: int


@dataclass(frozen=True, slots=True)
class SetHoursException:
    """Other reception hours for one date (``open_min``/``close_min`` None: closed)."""

    day: str
    open_min: int | None
    close_min: int | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class ClearHoursException:
    day: str


Command = (
    Issue
    | CheckIn
    | ReturnVisit
    | CancelVisit
    | RateVisit
    | ReportPrinter
    | OpenCounter
    | CloseCounter
    | PauseCounter
    | ResumeCounter
    | CallNext
    | CallNumber
    | Recall
    | NoShow
    | StartService
    | Finish
    | Transfer
    | Undo
    | Book
    | CancelBooking
    | MoveBooking
    | SetHoursException
    | ClearHoursException
)
