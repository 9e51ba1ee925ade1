"""Service durations learned from finished steps.

The figure per service is the median of the most recent finished steps: robust
against the one visit that took an hour. Until there are enough of them, the
configured expected duration stands.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from statistics import median_low


class LearnedDurations:
    def __init__(self, configured: Mapping[str, int], window: int, min_samples: int) -> None:
        self._configured = dict(configured)
        self._window = window
        self._min = min_samples
        self._samples: dict[str, deque[int]] = {}
        self._cache: dict[str, int] = {}

    def add(self, service: str, duration_ms: int) -> None:
        self._samples.setdefault(service, deque(maxlen=self._window)).append(duration_ms)
        self._cache.clear()

    def forget(self, service: str, duration_ms: int) -> None:
        """Take back one sample (an undone finish); the newest equal one goes."""
        samples = self._samples.get(service)
        if not samples:
            return
        self._cache.clear()
        for i in range(len(samples) - 1, -1, -1):
            if samples[i] == duration_ms:
                del samples[i]
                if not samples:
                    del self._samples[service]
                return

    def expected(self, service: str) -> int:
        samples = self._samples.get(service)
        if samples is not None and len(samples) >= self._min:
            return int(median_low(samples))
        return self._configured.get(service, 0)

    def expected_all(self) -> dict[str, int]:
        """Every service's expected duration (cached until the next sample)."""
        if not self._cache:
            self._cache = {service: self.expected(service) for service in self._configured}
        return self._cache

    def configure(self, service: str, expected_ms: int) -> None:
        """The configured duration of a service, changed by an admin (or a new one)."""
        self._configured[service] = expected_ms
        self._cache.clear()

    def to_dict(self) -> dict[str, list[int]]:
        return {service: list(samples) for service, samples in self._samples.items()}

    def load(self, data: Mapping[str, list[int]]) -> None:
        self._samples = {s: deque(v, maxlen=self._window) for s, v in data.items()}
        self._cache.clear()
