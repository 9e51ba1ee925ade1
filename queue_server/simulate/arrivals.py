"""Who comes to the lobby and when: seeded Poisson arrivals and booked visits.

Walk-ins arrive as a non-homogeneous Poisson process (drawn by thinning) whose rate
follows ``Scenario.base_rate`` plus its peaks, and is zero outside reception hours.
Booked visitors come around their due time, early, late, too late or not at all.
Each visitor's plan (services, priority, whether they miss their call, whether they
give up) is drawn here, up front, so the day's randomness does not depend on the
order in which the simulation happens to ask for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from random import Random

from queue_server.core.settings import MINUTE_MS, Office, Rules

from .scenario import Scenario


@dataclass(frozen=True)
class Window:
    """The reception hours of the simulated day: ``[open_ms, close_ms)``."""

    open_ms: int
    close_ms: int
    #: Local minutes after midnight at ``open_ms``: turns instants into times of day.
    open_min: int

    def minute(self, at: float) -> float:
        """The local time of day at ``at``, in minutes after midnight."""
        return self.open_min + (at - self.open_ms) / MINUTE_MS

    def instant(self, minute: float) -> int:
        """The instant of a local time of day (minutes after midnight)."""
        return self.open_ms + round((minute - self.open_min) * MINUTE_MS)


@dataclass(slots=True)
class Visitor:
    """One person's plan for the day; the simulation plays it against the core."""

    id: int
    #: When they reach the kiosk (for a booked visitor: when they check in).
    arrives: int
    services: tuple[str, ...]
    priority: str | None
    #: ``walk_in``, or how a booked visitor keeps their time: ``early``, ``on_time``,
    #: ``late``, ``too_late`` (they take an ordinary ticket), ``absent``.
    kind: str = "walk_in"
    booking: str | None = None
    due: int | None = None
    #: Not there at their first call; back after ``returns_after`` ms (None: never).
    misses_call: bool = False
    returns_after: int | None = None
    #: Gives up after waiting this long (None: waits as long as it takes).
    gives_up_after: int | None = None

    @property
    def key(self) -> str:
        """The kiosk's key for this visitor's tap."""
        return f"sim-{self.id}"


def rate(scenario: Scenario, minute: float) -> float:
    """The relative arrival rate at a local time of day."""
    level = scenario.base_rate
    for peak in scenario.peaks:
        z = (minute - peak.at_min) / peak.width_min
        level += peak.height * math.exp(-0.5 * z * z)
    return level


def walk_in_times(scenario: Scenario, window: Window, expected: float, rng: Random) -> list[int]:
    """Arrival instants of a Poisson process of ``expected`` arrivals over the window."""
    span = window.close_ms - window.open_ms
    if span <= 0 or expected <= 0:
        return []
    minutes = range(math.ceil(span / MINUTE_MS))
    levels = [rate(scenario, window.open_min + m + 0.5) for m in minutes]
    peak = max(levels)
    mean = sum(levels) / len(levels)
    # Thinning: candidates at the peak rate, each kept with probability rate / peak.
    per_ms = expected * peak / (mean * span)
    found: list[int] = []
    t = float(window.open_ms)
    while True:
        t += rng.expovariate(per_ms)
        if t >= window.close_ms:
            return found
        if rng.random() * peak < rate(scenario, window.minute(t)):
            found.append(int(t))


def pick_services(scenario: Scenario, weights: dict[str, float], rng: Random) -> tuple[str, ...]:
    """A visit's services, in order: how many from the shares, which by weight."""
    pool = {s: w for s, w in weights.items() if w > 0}
    shares = scenario.services_per_visit[: len(pool)] or (1.0,)
    count = rng.choices(range(1, len(shares) + 1), weights=shares)[0]
    chosen: list[str] = []
    for _ in range(count):
        service = rng.choices(list(pool), weights=list(pool.values()))[0]
        chosen.append(service)
        del pool[service]
    return tuple(chosen)


def pick_priority(scenario: Scenario, office: Office, rng: Random) -> str | None:
    if office.priorities and rng.random() < scenario.priority_share:
        return rng.choice(list(office.priorities))
    return None


def plan_visitor(visitor: Visitor, scenario: Scenario, rules: Rules, rng: Random) -> Visitor:
    """Draw whether the visitor misses their call or gives up waiting."""
    if rng.random() < scenario.no_show_share:
        visitor.misses_call = True
        if rng.random() < scenario.no_show_return_share:
            grace = rules.no_show_grace_ms
            visitor.returns_after = rng.randint(min(MINUTE_MS, grace // 2), grace - 1)
    elif rng.random() < scenario.cancel_share:
        visitor.gives_up_after = rng.randint(*scenario.patience_ms)
    return visitor


def walk_ins(
    scenario: Scenario,
    office: Office,
    weights: dict[str, float],
    window: Window,
    expected: float,
    rng: Random,
    first_id: int = 0,
) -> list[Visitor]:
    """The day's walk-in visitors, in order of arrival."""
    return [
        plan_visitor(
            Visitor(
                first_id + i,
                at,
                pick_services(scenario, weights, rng),
                pick_priority(scenario, office, rng),
            ),
            scenario,
            office.rules,
            rng,
        )
        for i, at in enumerate(walk_in_times(scenario, window, expected, rng))
    ]


def bookings(
    scenario: Scenario,
    office: Office,
    weights: dict[str, float],
    window: Window,
    count: int,
    rng: Random,
    first_id: int = 0,
    code_prefix: str = "SIM",
) -> list[Visitor]:
    """Booked visitors: a wished-for slot each (the booking may move it) and a timing."""
    rules = office.rules
    slots = slot_grid(window, rules.appointment_slot_ms)
    if not slots:
        return []
    kinds = ("early", "late", "too_late", "absent", "on_time")
    shares = (
        scenario.appointment_early,
        scenario.appointment_late,
        scenario.appointment_too_late,
        scenario.appointment_absent,
    )
    kind_weights = (*shares, max(0.0, 1.0 - sum(shares)))
    found = []
    for i in range(count):
        visitor = Visitor(
            first_id + i,
            0,
            pick_services(scenario, weights, rng),
            pick_priority(scenario, office, rng),
            kind=rng.choices(kinds, weights=kind_weights)[0],
            booking=f"{code_prefix}{i + 1:04d}",
            due=rng.choice(slots),
        )
        found.append(plan_visitor(visitor, scenario, rules, rng))
    return found


def slot_grid(window: Window, slot_ms: int) -> list[int]:
    """The booking slots of the day: on the grid from local midnight, ending by closing."""
    first = -(-window.open_min * MINUTE_MS // slot_ms) * slot_ms
    last = window.open_min * MINUTE_MS + (window.close_ms - window.open_ms) - slot_ms
    return [window.instant(m / MINUTE_MS) for m in range(first, last + 1, slot_ms)]


def check_in_time(visitor: Visitor, rules: Rules, rng: Random) -> int | None:
    """When a booked visitor reaches the kiosk, from their due time and timing (None: never)."""
    assert visitor.due is not None
    due = visitor.due
    if visitor.kind == "early":
        return due - rng.randint(5 * MINUTE_MS, max(5 * MINUTE_MS, rules.appointment_early_ms))
    if visitor.kind == "late":
        return due + rng.randint(2 * MINUTE_MS, max(2 * MINUTE_MS, rules.appointment_late_ms))
    if visitor.kind == "too_late":
        return due + rules.appointment_late_ms + rng.randint(MINUTE_MS, 30 * MINUTE_MS)
    if visitor.kind == "absent":
        return None
    return due + rng.randint(-5 * MINUTE_MS, 2 * MINUTE_MS)
