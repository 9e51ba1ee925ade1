"""The core's one exception: a command that the rules do not allow.

Every refusal has a stable machine ``code`` (the protocol sends it, the catalogs
translate it for visitors under ``error.<code>``), an English sentence for logs and
staff, and the fields that explain it. Raising it never changes any state.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A command was refused; ``code`` says which rule, ``details`` carry the facts."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.message!r})"


#: Every code the core raises, with what it means. The catalogs must translate each
#: one (``error.<code>``) and ``docs/core.md`` lists them; tests check both.
CODES: dict[str, str] = {
    "wrong_division": "The command names another division than this one.",
    "stale_day": "The day has changed: open the new day before handling commands.",
    "unknown_command": "No such command.",
    "no_services": "A visit needs at least one service.",
    "too_many_services": "A visit can hold only a limited number of services.",
    "repeated_service": "A service can appear only once in a visit.",
    "unknown_service": "No such service is configured.",
    "service_not_offered": "This division does not offer the service.",
    "service_unavailable": "No open counter serves the service now.",
    "unknown_priority": "No such priority category is configured.",
    "division_closed": "The division is closed: no tickets are issued now.",
    "numbers_exhausted": "All ticket numbers of this prefix are used today.",
    "unknown_visit": "No visit with this number today.",
    "illegal_transition": "The visit is not in a state that allows this.",
    "unknown_counter": "No such counter in this division.",
    "counter_closed": "The counter is closed.",
    "counter_open": "The counter is already open.",
    "counter_paused": "The counter is paused.",
    "counter_not_paused": "The counter is not paused.",
    "no_alert": "The counter has no open alert.",
    "invalid_configuration": "A configuration change is not valid.",
    "service_still_waiting": "Visitors wait for a service no counter would serve any more.",
    "counter_busy": "The counter is still serving a visit.",
    "counter_idle": "The counter has no current visit.",
    "service_not_at_counter": "The counter does not serve this service.",
    "queue_empty": "Nobody is waiting for the services of this counter.",
    "recall_limit": "The visit was recalled as often as allowed.",
    "grace_over": "The no-show grace period is over.",
    "already_returned": "A no-show can return only once.",
    "unknown_outcome": "No such outcome.",
    "reason_required": "A refusal needs its legal reason.",
    "unknown_reason": "No such refusal reason is configured.",
    "referral_required": "A referral needs the authority it refers to.",
    "transfer_target_required": "A transfer needs a service or a counter.",
    "nothing_to_undo": "The counter has no action to undo.",
    "undo_window_over": "The action is too old to undo.",
    "undo_superseded": "The visit has moved on since; the action cannot be undone.",
    "unknown_appointment": "No booked visit with this code.",
    "appointment_not_today": "The booked visit is for another day.",
    "appointment_too_early": "It is too early to check in for the booked visit.",
    "appointment_too_late": "The booked visit's check-in time has passed.",
    "appointment_used": "The booked visit is already checked in or cancelled.",
    "appointment_code_taken": "The booking code is already in use.",
    "slot_full": "The time slot is fully booked.",
    "slot_invalid": "The time slot is in the past, outside reception hours, or off the grid.",
    "invalid_hours": "Reception hours must open before they close.",
    "not_finished": "Only a finished visit can be rated.",
    "already_rated": "The visit has already been rated.",
    "invalid_rating": "A rating is 1 to 5 stars with known tags.",
    "unknown_printer_status": "A printer is ok, offline, paper_out or unknown.",
}


def refuse(code: str, message: str, **details: Any) -> DomainError:
    """Build the error for ``code``; ``raise refuse(...)`` reads as the rule it enforces."""
    assert code in CODES, code
    return DomainError(code, message, **details)
