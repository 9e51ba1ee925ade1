"""From a checked request to a core command, and from the state to the answer.

A clerk's requests name no counter: the counter is the one the clerk logged in to,
so a clerk cannot act anywhere else. Admins name the counter they act on.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from queue_server.core import DivisionState
from queue_server.core import commands as c
from queue_server.protocol import Request

#: Booking codes: no 0/O, 1/I/L, so they can be read out on the phone.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


@dataclass
class Session:
    """One authenticated connection: who it is and where it may act."""

    role: str
    division: str
    #: The device id or the account id: what the event log records as the actor.
    actor: str
    counter: str | None = None
    source: str = ""
    #: The highest sequence number this connection has been sent.
    seq: int = 0
    #: The device or account it authenticated as (checked again when accounts change).
    account: Any = None
    #: While the welcome is being sent: broadcasts wait here, to keep their order.
    backlog: list[str] | None = None
    #: A console's login session token, and when it expires (epoch ms).
    login: str | None = None
    expires: int | None = None
    #: A visitor's status page: the ticket number it follows, and the last status sent.
    visit: str | None = None
    last_status: str | None = None
    visit_over: bool = False


def booking_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))


def _counter(session: Session) -> str:
    assert session.counter is not None, "a clerk session always has its counter"
    return session.counter


_BUILD: dict[str, Callable[[dict[str, Any], Session], c.Command]] = {
    "issue": lambda f, s: c.Issue(f["key"], tuple(f["services"]), f["priority"], f["lang"] or "lv"),
    "check_in": lambda f, s: c.CheckIn(f["key"], f["code"], f["lang"] or "lv"),
    "return_visit": lambda f, s: c.ReturnVisit(f["number"]),
    "printer_status": lambda f, s: c.ReportPrinter(s.actor, f["status"]),
    "rate": lambda f, s: c.RateVisit(f["number"], f["stars"], tuple(f["tags"] or ())),
    "alert_manager": lambda f, s: c.AlertManager(_counter(s), s.actor, f["note"] or ""),
    "answer_alert": lambda f, s: c.AnswerAlert(f["counter"], s.actor),
    "open": lambda f, s: c.OpenCounter(_counter(s), s.actor),
    "close": lambda f, s: c.CloseCounter(_counter(s)),
    "pause": lambda f, s: c.PauseCounter(_counter(s)),
    "resume": lambda f, s: c.ResumeCounter(_counter(s)),
    "call_next": lambda f, s: c.CallNext(_counter(s)),
    "call_number": lambda f, s: c.CallNumber(_counter(s), f["number"]),
    "recall": lambda f, s: c.Recall(_counter(s)),
    "no_show": lambda f, s: c.NoShow(_counter(s)),
    "start": lambda f, s: c.StartService(_counter(s)),
    "finish": lambda f, s: c.Finish(
        _counter(s), f["outcome"] or "served", f["reason"], f["detail"], f["referral"]
    ),
    "transfer": lambda f, s: c.Transfer(_counter(s), f["service"], f["to_counter"]),
    "undo": lambda f, s: c.Undo(_counter(s)),
    "cancel_visit": lambda f, s: c.CancelVisit(f["number"]),
    "close_counter": lambda f, s: c.CloseCounter(f["counter"]),
    "book": lambda f, s: c.Book(booking_code(), tuple(f["services"]), f["due"], f["priority"]),
    "move_booking": lambda f, s: c.MoveBooking(f["code"], f["due"]),
    "cancel_booking": lambda f, s: c.CancelBooking(f["code"]),
    "set_hours_exception": lambda f, s: c.SetHoursException(
        f["day"], f["open_min"], f["close_min"], f["note"] or ""
    ),
    "clear_hours_exception": lambda f, s: c.ClearHoursException(f["day"]),
    "configure_counter": lambda f, s: c.ConfigureCounter(
        f["counter"],
        None if f["services"] is None else tuple(f["services"]),
        None if f["accessibility"] is None else tuple(f["accessibility"]),
        f["note"],
    ),
    "configure_service": lambda f, s: c.ConfigureService(
        f["service"],
        f["name"],
        f["description"],
        f["bring"],
        None if f["expected_minutes"] is None else f["expected_minutes"] * 60_000,
        f["prefix"],
    ),
    "configure_priority": lambda f, s: c.ConfigurePriority(f["priority"], f["label"]),
    "set_notes": lambda f, s: c.SetNotes(f["notes"]),
}

#: Requests that change state (the others only read).
COMMANDS = frozenset(_BUILD)


def command_for(request: Request, session: Session) -> c.Command:
    return _BUILD[request.type](request.fields, session)


def ticket(
    state: DivisionState, number: str, now: int, status_link: str | None = None
) -> dict[str, Any]:
    """What the kiosk prints and shows: number, services, place in line, estimate, and
    the address of the visit's live status page (for the QR code), when there is one."""
    visit = state.visit(number)
    closing = state.hours.closing_ms(visit.arrival)
    return {
        "number": visit.number,
        "services": [s.service for s in visit.steps],
        "priority": visit.priority,
        "appointment": visit.appointment,
        "due": visit.due,
        "lang": visit.lang,
        "issued_at": visit.arrival,
        "ahead": state.ahead(number) if visit.status.value == "waiting" else 0,
        "estimate": visit.estimate,
        "wait_ms": None if visit.estimate is None else max(0, visit.estimate - visit.arrival),
        "past_closing": visit.past_closing,
        "closing_at": closing,
        "status": visit.status.value,
        "status_url": status_link,
    }
