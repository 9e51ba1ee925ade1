"""Slowing down password guessing: a delay per source that grows with its failures.

``LoginThrottle`` does no I/O and reads no clock: the server passes the time in
(seconds of a monotonic clock, such as ``loop.time()``) and sleeps the delay it is
given before it answers a login. Three failed logins from a source cost nothing
(people mistype); the attempt after the third failure waits 1 s, the next ones 2, 4
and 8 s (the cap). A success, or a quiet period, forgets the source. Memory stays
bounded: beyond ``max_sources`` the source whose last failure is oldest is forgotten
first.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass(slots=True)
class _Source:
    failures: int
    last_failure: float
    #: The earliest time the next attempt from this source may be answered.
    ready_at: float


class LoginThrottle:
    """Per source (a client's IP address, say): failed logins in, delays out."""

    def __init__(
        self,
        *,
        free_failures: int = 3,
        first_delay: float = 1.0,
        max_delay: float = 8.0,
        forget_after: float = 15 * 60.0,
        max_sources: int = 10_000,
    ) -> None:
        # The first failure is answered at once whatever the setting: nothing is known
        # of a source before it fails.
        if free_failures < 1 or first_delay <= 0 or max_delay < first_delay:
            raise ValueError("need free_failures >= 1 and 0 < first_delay <= max_delay")
        if forget_after <= 0 or max_sources < 1:
            raise ValueError("need forget_after > 0 and max_sources >= 1")
        self.free_failures = free_failures
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.forget_after = forget_after
        self.max_sources = max_sources
        # Ordered by last failure, oldest first: eviction and forgetting pop the front.
        self._sources: OrderedDict[str, _Source] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sources)

    def step(self, failures: int) -> float:
        """The delay owed after ``failures`` failures in a row: none before the
        ``free_failures``-th, ``first_delay`` after it, doubling up to ``max_delay``."""
        if failures < self.free_failures:
            return 0.0
        return min(self.max_delay, self.first_delay * 2.0 ** (failures - self.free_failures))

    def delay(self, source: str, now: float) -> float:
        """Seconds to wait before answering an attempt from ``source`` made at ``now``."""
        entry = self._current(source, now)
        return 0.0 if entry is None else max(0.0, entry.ready_at - now)

    def admit(self, source: str, now: float) -> float:
        """Like ``delay``, and hold the slot: a parallel attempt waits one more step.

        So opening many connections at once does not multiply a source's guesses.
        """
        entry = self._current(source, now)
        if entry is None:
            return 0.0
        wait = max(0.0, entry.ready_at - now)
        entry.ready_at = max(entry.ready_at, now) + self.step(entry.failures)
        return wait

    def failed(self, source: str, now: float) -> None:
        """Count a failed login from ``source`` at ``now``."""
        self._forget_stale(now)
        entry = self._current(source, now)
        if entry is None:
            entry = self._sources[source] = _Source(0, now, now)
        entry.failures += 1
        entry.last_failure = now
        entry.ready_at = max(entry.ready_at, now + self.step(entry.failures))
        self._sources.move_to_end(source)
        while len(self._sources) > self.max_sources:
            self._sources.popitem(last=False)

    def succeeded(self, source: str) -> None:
        """A successful login: forget the source's failures."""
        self._sources.pop(source, None)

    def _current(self, source: str, now: float) -> _Source | None:
        entry = self._sources.get(source)
        if entry is not None and now - entry.last_failure >= self.forget_after:
            del self._sources[source]
            return None
        return entry

    def _forget_stale(self, now: float) -> None:
        while self._sources:
            oldest = next(iter(self._sources.values()))
            if now - oldest.last_failure < self.forget_after:
                return
            self._sources.popitem(last=False)
