"""The pure core of Rinda: commands in, events out, state as the fold of events.

No I/O lives here: no asyncio, sqlite, websockets or kivy (a test checks the
imports). Time comes in as epoch milliseconds, ids and randomness from the caller.
"""

from __future__ import annotations

from . import commands, events
from .division import OUTCOMES, DivisionState, Quote
from .errors import CODES, DomainError
from .visit import FINAL, TRANSITIONS, Status

__all__ = [
    "CODES",
    "FINAL",
    "OUTCOMES",
    "TRANSITIONS",
    "DivisionState",
    "DomainError",
    "Quote",
    "Status",
    "commands",
    "events",
]
