"""The one clock of a Rinda program: epoch milliseconds, read through one object.

Every program builds its clock once, at its edge, and passes it down; nothing else
reads the time of day (``docs/time.md`` gives the rule and the few documented
exceptions). Three kinds:

- ``Clock()``: the machine's wall clock (a real lobby).
- ``Clock(start_ms, speed)``: a clock that starts at a given instant and runs
  ``speed`` times as fast (rehearsals, demonstrations, tests). Its progress is
  measured on the monotonic clock, so a step of the machine's clock (NTP) does not
  move it.
- ``FollowedClock()``: a client's copy of the server's clock. It is set from the
  ``now`` and ``clock_speed`` of each ``welcome`` and runs on the monotonic clock
  in between, so a kiosk or a display compares the server's instants (a call's
  time, the closing time) only with the server's own time. Before its first
  welcome it reads the wall clock.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from zoneinfo import ZoneInfo


class Clock:
    """Epoch milliseconds: the wall clock, or one started at ``start_ms`` running
    ``speed`` times as fast."""

    def __init__(self, start_ms: int | None = None, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("a clock's speed is above 0")
        if start_ms is None and speed != 1.0:
            raise ValueError("only a clock with a start runs faster than real time")
        self.start_ms = start_ms
        self.speed = speed
        self._began = time.monotonic()

    def __call__(self) -> int:
        if self.start_ms is None:
            return int(time.time() * 1000)
        return int(self.start_ms + (time.monotonic() - self._began) * 1000 * self.speed)

    @property
    def wall(self) -> bool:
        """Whether this is the machine's own time (no start was given)."""
        return self.start_ms is None


class FollowedClock:
    """The server's clock as a client knows it: set at each welcome, then running."""

    def __init__(self) -> None:
        self._anchor_ms: float | None = None
        self._anchored_at = 0.0
        self.speed = 1.0

    def set(self, now_ms: int, speed: float = 1.0) -> None:
        """The server said it is ``now_ms`` and its clock runs ``speed`` times as fast."""
        self._anchor_ms = float(now_ms)
        self._anchored_at = time.monotonic()
        self.speed = speed if speed > 0 else 1.0

    @property
    def following(self) -> bool:
        """Whether a server has told its time yet."""
        return self._anchor_ms is not None

    def __call__(self) -> int:
        if self._anchor_ms is None:
            return int(time.time() * 1000)
        elapsed = time.monotonic() - self._anchored_at
        return int(self._anchor_ms + elapsed * 1000 * self.speed)


def local_day(ms: int, zone: str) -> date:
    """The calendar day in ``zone`` (``Europe/Riga``) of the instant ``ms``."""
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(zone)).date()
