"""The call order, in one place, for the counters and for the estimate alike.

Among the tickets a counter may take: first the counter's service order (a visit
transferred to this very counter comes before all), then the priority category,
then the appointment's due time (booked visits before walk-ins), then the visit's
original arrival, so a visitor moving on to their second service is not sent to
the back; the issue sequence breaks ties within one millisecond.
"""

from __future__ import annotations

from collections.abc import Mapping

from .visit import Visit

NO_PRIORITY = 1 << 30
NO_DUE = 1 << 62

OrderKey = tuple[int, int, int, int]


def order_key(visit: Visit, priority_rank: Mapping[str, int]) -> OrderKey:
    """The visit's place among visits of one service at one counter (lower first)."""
    rank = priority_rank.get(visit.priority, NO_PRIORITY) if visit.priority else NO_PRIORITY
    due = visit.due if visit.due is not None else NO_DUE
    return (rank, due, visit.arrival, visit.seq)
