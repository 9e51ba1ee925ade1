"""Inactivity: a visitor who walks away must not leave their choices for the next one,
and a visitor who is slow must never lose them without warning.

After ``idle`` without a touch a warning appears with a countdown and a button for
more time; after ``warning`` more the kiosk returns to the start. The warning is at
least 20 seconds long (settings check it); the accessible mode has longer limits,
and the last screens of a visit (the ticket, closed, thanks) shorter quiet times.
All instants are epoch milliseconds passed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from kiosk.settings import Timeouts


class Phase(StrEnum):
    CALM = "calm"
    WARNING = "warning"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Deadline:
    warn_at: int
    reset_at: int

    def phase(self, now: int) -> Phase:
        if now >= self.reset_at:
            return Phase.EXPIRED
        return Phase.WARNING if now >= self.warn_at else Phase.CALM

    def seconds_left(self, now: int) -> int:
        return max(0, math.ceil((self.reset_at - now) / 1000))


def deadline(touched_at: int, timeouts: Timeouts, accessible: bool, last_screen: bool) -> Deadline:
    """When the warning appears and when the kiosk resets, for a touch at ``touched_at``."""
    idle_ms, warning_ms = timeouts.limits_ms(accessible, last_screen)
    return Deadline(touched_at + idle_ms, touched_at + idle_ms + warning_ms)
