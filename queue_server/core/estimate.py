"""Estimated call times: the day played forward with the call order and learned durations.

Every open (or paused) counter takes, whenever it is free, the visit the call order
gives it; each step lasts its service's expected duration; a visit with several
services rejoins the next queue when its step ends, keeping its arrival. The instant
each waiting visit is first taken is its estimated call time. This is the same rule
the counters follow, so the estimate is exactly as good as the learned durations.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .ordering import OrderKey
from .settings import Counter
from .visit import Visit

#: A queue entry: the visit's order key, its number and the step's index.
_Entry = tuple[OrderKey, str, int]


@dataclass(frozen=True, slots=True)
class Busy:
    """A counter that is open or paused, and when it is expected to be free."""

    counter: Counter
    free_at: int


def forecast(
    counters: Iterable[Busy],
    queued: Iterable[tuple[OrderKey, Visit, int, int]],
    expected: Mapping[str, int],
    until: str | None = None,
) -> dict[str, int]:
    """Estimated call instant per ticket number.

    ``queued`` holds (order key, visit, step index, instant the step joins its
    queue). With ``until``, stop as soon as that number has its estimate. A number
    missing from the result has no open counter for its service: no estimate.
    """
    visits: dict[str, Visit] = {}
    ready: dict[str, list[_Entry]] = {}
    bound: dict[str, list[_Entry]] = {}
    pending: list[tuple[int, _Entry]] = []

    free = sorted((busy.free_at, i, busy.counter) for i, busy in enumerate(counters))
    start = free[0][0] if free else 0
    for key, visit, index, joins_at in queued:
        visits[visit.number] = visit
        entry = (key, visit.number, index)
        if joins_at > start:
            pending.append((joins_at, entry))
            continue
        step = visit.steps[index]
        if step.counter_only:
            bound.setdefault(step.counter_only, []).append(entry)
        else:
            ready.setdefault(step.service, []).append(entry)
    for pool in (*ready.values(), *bound.values()):
        heapq.heapify(pool)
    heapq.heapify(pending)

    def enqueue(entry: _Entry) -> None:
        step = visits[entry[1]].steps[entry[2]]
        pool = bound if step.counter_only else ready
        heapq.heappush(pool.setdefault(step.counter_only or step.service, []), entry)

    result: dict[str, int] = {}
    while free:
        t, i, counter = heapq.heappop(free)
        while pending and pending[0][0] <= t:
            enqueue(heapq.heappop(pending)[1])
        taken = _take(counter, ready, bound)
        if taken is None:
            later = _next_for(counter, pending, visits)
            if later is not None:
                heapq.heappush(free, (later, i, counter))
            continue
        key, number, index = taken
        visit = visits[number]
        if number not in result:
            result[number] = t
            if number == until:
                break
        done = t + expected.get(visit.steps[index].service, 0)
        if index + 1 < len(visit.steps):
            heapq.heappush(pending, (done, (key, number, index + 1)))
        heapq.heappush(free, (done, i, counter))
    return result


def _take(
    counter: Counter, ready: dict[str, list[_Entry]], bound: dict[str, list[_Entry]]
) -> _Entry | None:
    own = bound.get(counter.id)
    if own:
        return heapq.heappop(own)
    for service in counter.services:
        pool = ready.get(service)
        if pool:
            return heapq.heappop(pool)
    return None


def _next_for(
    counter: Counter, pending: list[tuple[int, _Entry]], visits: dict[str, Visit]
) -> int | None:
    """The earliest instant a pending step this counter may take joins its queue."""
    best: int | None = None
    for joins_at, (_, number, index) in pending:
        step = visits[number].steps[index]
        mine = (
            step.counter_only == counter.id
            if step.counter_only
            else step.service in counter.services
        )
        if mine and (best is None or joins_at < best):
            best = joins_at
    return best
