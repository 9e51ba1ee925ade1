"""The parameters of a simulated day: who comes, when, for what, and how clerks work.

Every share is a probability in ``[0, 1]``; every duration is in milliseconds, like
every instant the core sees. The defaults describe an ordinary working day; a
``Scenario()`` with no arguments is ready to run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from queue_server.core.settings import MINUTE_MS, Division, Office


@dataclass(frozen=True)
class Peak:
    """A bump in the arrival rate: centred on a local time of day, in minutes after midnight."""

    at_min: int
    width_min: int
    height: float


@dataclass(frozen=True)
class Scenario:
    """What the simulated day looks like; see ``docs/simulation.md`` for each field."""

    #: Visits the kiosk should issue in the day (walk-ins and booked); None: the division's
    #: default (``default_visits``).
    visits: int | None = None
    #: Relative weight of each service when a visitor picks one; None: a Zipf-like mix
    #: over the division's services in their configured order (the first is most asked for).
    service_weights: Mapping[str, float] | None = None
    #: Shares of visits with one, two, three, ... services.
    services_per_visit: tuple[float, ...] = (0.70, 0.25, 0.05)
    #: Shares of visitors with a priority category (the category is drawn uniformly).
    priority_share: float = 0.03

    #: The arrival rate over the day: a flat base and bumps on top (relative heights).
    base_rate: float = 1.0
    peaks: tuple[Peak, ...] = (Peak(10 * 60, 50, 1.2), Peak(14 * 60, 50, 0.9))

    #: Shares of the day's visits that were booked beforehand.
    appointment_share: float = 0.10
    #: How booked visitors turn up: early (within the early window), late (within the late
    #: window), too late (they take an ordinary ticket), absent (they never come); the rest
    #: come on time (within a few minutes of the due time).
    appointment_early: float = 0.25
    appointment_late: float = 0.15
    appointment_too_late: float = 0.05
    appointment_absent: float = 0.05

    #: Visitors who are not there when called (a no-show), and of them, those who come
    #: back within the grace period.
    no_show_share: float = 0.04
    no_show_return_share: float = 0.30
    #: Visitors who give up waiting and have their ticket cancelled.
    cancel_share: float = 0.005
    #: How long a visitor who gives up waits first (drawn uniformly between these).
    patience_ms: tuple[int, int] = (10 * MINUTE_MS, 60 * MINUTE_MS)

    #: How steps end: a refusal with a legal reason, a referral to another authority,
    #: a transfer to another service, a service ended for the visitor's behaviour.
    refusal_share: float = 0.02
    referral_share: float = 0.01
    transfer_share: float = 0.02
    behaviour_share: float = 0.0
    #: Authorities a referral names.
    referrals: tuple[str, ...] = ("State Revenue Service", "State Social Insurance Agency")

    #: Service time: lognormal with mean ``service_scale * expected`` and this shape.
    service_sigma: float = 0.45
    service_scale: float = 1.0
    #: The shortest service a clerk gives.
    service_min_ms: int = 30_000
    #: From the call to the visitor at the counter (drawn uniformly between these).
    walk_ms: tuple[int, int] = (15_000, 60_000)
    #: How long a clerk waits for a called visitor before each recall and the no-show.
    recall_after_ms: int = 60_000
    #: Recalls before a no-show (capped by the rules' recall limit).
    recalls: int = 1

    #: Each clerk's lunch pause; clerks go in turns, starting at ``lunch_from_min``.
    lunch_ms: int = 30 * MINUTE_MS
    lunch_from_min: int = 12 * 60
    #: How many clerks may be at lunch at once, as a share of the counters (at least one).
    lunch_share: float = 0.34
    #: How long after closing clerks keep serving visitors who already hold a ticket.
    overtime_ms: int = 60 * MINUTE_MS
    #: Expire the visits still open by closing the day through the core at midnight.
    close_day: bool = True

    #: The share of counter time the default number of visits fills.
    target_utilisation: float = 0.85

    def __post_init__(self) -> None:
        if self.visits is not None and self.visits < 1:
            raise ValueError(f"visits must be at least 1, not {self.visits}.")
        for name in _SHARES:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} is a share between 0 and 1, not {value}.")
        if not self.services_per_visit or min(self.services_per_visit) < 0:
            raise ValueError("services_per_visit needs at least one share, none negative.")
        if self.service_sigma < 0 or self.service_scale <= 0:
            raise ValueError("service_sigma must be >= 0 and service_scale > 0.")
        if self.referral_share and not self.referrals:
            raise ValueError("referral_share needs at least one authority in referrals.")
        for name in ("patience_ms", "walk_ms"):
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                raise ValueError(f"{name} must be a range (low, high) with 0 <= low <= high.")


_SHARES = (
    "priority_share",
    "appointment_share",
    "appointment_early",
    "appointment_late",
    "appointment_too_late",
    "appointment_absent",
    "no_show_share",
    "no_show_return_share",
    "cancel_share",
    "refusal_share",
    "referral_share",
    "transfer_share",
    "behaviour_share",
    "lunch_share",
    "target_utilisation",
)


def service_weights(scenario: Scenario, division: Division) -> dict[str, float]:
    """The weight of each service the division offers, in the division's order."""
    offered = division.services
    if scenario.service_weights is None:
        return {s: 1.0 / (i + 1) for i, s in enumerate(offered)}
    return {s: float(scenario.service_weights.get(s, 0.0)) for s in offered}


def default_visits(scenario: Scenario, office: Office, division: Division, open_ms: int) -> int:
    """Visits that fill ``target_utilisation`` of the counters' time over ``open_ms``.

    The work of a visit is its expected number of services times the weighted mean
    expected duration, plus the walk to the counter.
    """
    weights = service_weights(scenario, division)
    total = sum(weights.values()) or 1.0
    mean_ms = sum(w * office.services[s].expected_ms for s, w in weights.items()) / total
    shares = scenario.services_per_visit
    per_visit = sum((n + 1) * p for n, p in enumerate(shares)) / (sum(shares) or 1.0)
    walk = sum(scenario.walk_ms) / 2
    work = per_visit * (mean_ms * scenario.service_scale + walk)
    lunch = scenario.lunch_ms if open_ms >= 6 * 60 * MINUTE_MS else 0
    counter_ms = len(division.counters) * max(open_ms - lunch, 0)
    return max(1, round(scenario.target_utilisation * counter_ms / work))
