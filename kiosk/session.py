"""One visitor at the kiosk, from the first tap to the return to the start screen,
and the one table of what each screen lets them do.

``MOVES`` is read by the flow (a tap that its screen does not allow does nothing)
and by ``docs/kiosk.md`` (a test keeps the two in step).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kiosk.view import Screen

#: What the visitor can do on every screen: one tap away, always.
EVERYWHERE = frozenset(
    {
        "choose_language",
        "toggle_accessible",
        "read_aloud",
        "volume_up",
        "volume_down",
        "extend_time",
    }
)

#: The verbs each screen accepts besides those of ``EVERYWHERE``.
MOVES: dict[Screen, frozenset[str]] = {
    Screen.START: frozenset({"open_info", "open_rating"}),
    Screen.SERVICES: frozenset(
        {
            "toggle_service",
            "move_service_up",
            "move_service_down",
            "go_next",
            "start_check_in",
            "open_info",
            "go_back",
            "go_home",
        }
    ),
    Screen.PRIORITY: frozenset(
        {"choose_priority", "confirm", "start_check_in", "open_info", "go_back", "go_home"}
    ),
    Screen.CODE: frozenset(
        {"type_code", "erase_code", "enter_code", "check_in", "go_back", "go_home"}
    ),
    Screen.CONFIRM: frozenset({"print", "confirm", "go_back", "go_home"}),
    Screen.CLOSED: frozenset({"open_info", "go_home"}),
    Screen.ISSUING: frozenset({"go_home"}),
    Screen.PRINTING: frozenset(),
    Screen.DONE: frozenset({"reprint", "go_home"}),
    Screen.INFO: frozenset({"go_back", "go_home"}),
    Screen.RATING: frozenset(
        {
            "type_number",
            "erase_number",
            "enter_number",
            "set_stars",
            "toggle_tag",
            "submit_rating",
            "go_back",
            "go_home",
        }
    ),
    Screen.RATED: frozenset({"go_home"}),
    Screen.UNAVAILABLE: frozenset({"open_info"}),
}

#: Where ``go_back`` leads; None: back to the screen the visitor came from.
BACK: dict[Screen, Screen | None] = {
    Screen.SERVICES: Screen.START,
    Screen.PRIORITY: Screen.SERVICES,
    Screen.CODE: None,
    Screen.CONFIRM: Screen.PRIORITY,
    Screen.INFO: None,
    Screen.RATING: Screen.START,
}

#: Screens that end a visit at the kiosk: they return to the start sooner.
LAST_SCREENS = frozenset({Screen.DONE, Screen.CLOSED, Screen.RATED})

#: The characters of the booking codes the server makes (no 0/O, 1/I/L look-alikes).
CODE_KEYS = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
#: A ticket number: the prefix letter of its first service and three digits.
NUMBER_KEYS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
NUMBER_LENGTH = 4
NUMBER = re.compile(r"^[A-Z][0-9]{3}$")

#: What a visitor can say was good or bad about a visit they rate.
GOOD_TAGS = ("polite", "quick", "clear", "solved")
BAD_TAGS = ("long_wait", "impolite", "unclear", "not_solved")
STARS = range(1, 6)


@dataclass(frozen=True)
class Problem:
    """A refusal to explain to the visitor: the server's code and its details."""

    code: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Rating:
    number: str = ""
    stars: int | None = None
    tags: list[str] = field(default_factory=list)
    problem: Problem | None = None
    sending: bool = False


@dataclass
class Session:
    """The visitor's choices and where they are; a new one for every visitor."""

    lang: str
    accessible: bool = False
    screen: Screen = Screen.START
    #: Where ``go_back`` returns to from the code entry and the information.
    origin: Screen = Screen.START
    #: The chosen services, in the order the visitor wants them.
    services: list[str] = field(default_factory=list)
    priority: str | None = None
    code: str = ""
    #: The server's quote for (services, priority) and what it was asked for.
    quote: dict[str, Any] | None = None
    quoted_for: tuple[tuple[str, ...], str | None] | None = None
    quote_failed: bool = False
    #: The idempotency key of the current tap on print (or check in): made once per
    #: tap, sent again on every retry of it, dropped when the server has answered.
    key: str | None = None
    #: The ticket the server confirmed: the only number the kiosk ever shows.
    ticket: dict[str, Any] | None = None
    printer_fault: str | None = None
    #: A refusal to explain on the current screen.
    problem: Problem | None = None
    #: The division is closed: the reception hours to show instead of a ticket.
    next_open: tuple[int, int] | None = None
    rating: Rating = field(default_factory=Rating)
    #: The visitor has done something: an untouched start screen never times out.
    touched: bool = False

    def choice(self) -> tuple[tuple[str, ...], str | None]:
        return tuple(self.services), self.priority
