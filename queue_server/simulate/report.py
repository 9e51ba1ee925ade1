"""The figures of a simulated day, counted from the events the core committed.

The report reads only the event stream, as statistics read the event log: what a
day's log says is what the report says, whichever lobby ran the commands.

Definitions (every time in minutes):

- **step wait**: from the instant a step joins its queue to its first call. The first
  step joins at issue (the visitor's arrival at the kiosk); a later step when the
  step before it finishes; a transferred step at the transfer. Recalls and a
  no-show's return do not restart it.
- **visit wait**: from issue to the visit's first call (the first step's wait).
- **service time**: from the visitor's arrival at the counter (``ServiceStarted``; the
  call when there is none) to the end of the step; transferred steps are left out.
- **utilisation**: a counter's busy time (from a call to the end of that visit's
  step there: finished, transferred, missed, cancelled) over its open time (opened
  to closed, without pauses).
- **estimate error**: the real first-call instant minus ``VisitIssued.estimate`` (the
  estimated call instant given at issue); positive is later than promised.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from queue_server.core import events as e
from queue_server.core.settings import MINUTE_MS

#: Terminal statuses a visit can end the day in, and ``open`` for one that did not.
FINAL_STATES = ("done", "no_show", "cancelled", "expired")


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation between sorted values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _minutes(ms: float) -> float:
    return round(ms / MINUTE_MS, 2) if not math.isnan(ms) else math.nan


@dataclass(frozen=True)
class Spread:
    """Summary of a sample of durations, in minutes."""

    count: int
    mean: float
    median: float
    p90: float
    max: float

    @classmethod
    def of(cls, samples_ms: Sequence[int]) -> Spread:
        if not samples_ms:
            return cls(0, math.nan, math.nan, math.nan, math.nan)
        return cls(
            count=len(samples_ms),
            mean=_minutes(sum(samples_ms) / len(samples_ms)),
            median=_minutes(percentile(samples_ms, 50)),
            p90=_minutes(percentile(samples_ms, 90)),
            max=_minutes(max(samples_ms)),
        )


@dataclass(frozen=True)
class ServiceFigures:
    """One service: steps called, their step wait, and the service time."""

    steps: int
    wait: Spread
    service: Spread


@dataclass(frozen=True)
class CounterFigures:
    open_min: float
    busy_min: float
    utilisation: float
    steps: int


@dataclass(frozen=True)
class EstimateFigures:
    """Accuracy of the estimate printed on the ticket, against the real first call."""

    samples: int
    mean_abs_min: float
    median_abs_min: float
    p90_abs_min: float
    bias_min: float
    #: Visits issued without an estimate (no open counter for a service).
    missing: int


@dataclass(frozen=True)
class HourFigures:
    """Visits issued in one local hour, and their visit wait."""

    hour: int
    issued: int
    mean_wait_min: float


@dataclass(frozen=True)
class DayReport:
    """A simulated day's figures; ``to_dict`` is the JSON shape, ``to_text`` a table."""

    division: str
    day: str
    seed: int
    visits_target: int
    #: issued, walk_in, booked, priority, several_services, served, done, no_show,
    #: cancelled, expired, open, never_called, returned, past_closing, no_estimate.
    visits: dict[str, int]
    #: Step endings: served, refused, referred, behaviour, transferred, no_show; and recalls.
    outcomes: dict[str, int]
    #: What the kiosk refused (by error code), and how booked visitors fared.
    kiosk: dict[str, int]
    appointments: dict[str, int]
    wait: Spread
    services: dict[str, ServiceFigures]
    counters: dict[str, CounterFigures]
    utilisation: float
    estimate: EstimateFigures
    by_hour: list[HourFigures]
    commands: int
    events: int

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (NaN, for an empty sample, becomes None)."""
        data: dict[str, Any] = _clean(asdict(self))
        return data

    def to_text(self) -> str:
        return _text(self)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


_COUNTED = (
    "issued",
    "walk_in",
    "booked",
    "priority",
    "several_services",
    "returned",
    "past_closing",
    "no_estimate",
)


@dataclass(slots=True)
class _Visit:
    arrival: int
    services: list[str]
    estimate: int | None
    hour: int
    index: int = 0
    joined: int = 0
    step_called: bool = False
    begun: int = 0
    counter: str | None = None
    status: str = "waiting"
    first_call: int | None = None
    served: bool = False


@dataclass(slots=True)
class _Counter:
    open_since: int | None = None
    open_ms: int = 0
    busy_since: int | None = None
    busy_ms: int = 0
    steps: int = 0


@dataclass
class Tally:
    """Folds the day's events into the figures a ``DayReport`` shows."""

    hour_of: Callable[[int], int]
    visits: dict[str, _Visit] = field(default_factory=dict)
    counters: dict[str, _Counter] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("served", "refused", "referred", "behaviour", "transferred", "no_show", "recalls"),
            0,
        )
    )
    visit_waits: list[int] = field(default_factory=list)
    step_waits: dict[str, list[int]] = field(default_factory=dict)
    service_times: dict[str, list[int]] = field(default_factory=dict)
    errors: list[int] = field(default_factory=list)
    hour_waits: dict[int, list[int]] = field(default_factory=dict)
    hour_issued: dict[int, int] = field(default_factory=dict)
    events: int = 0
    #: Visits not in a final state: issued and not yet done, missed, cancelled or expired.
    open: int = 0

    def __post_init__(self) -> None:
        for name in _COUNTED:
            self.counts[name] = 0

    def feed(self, events: Iterable[e.Event]) -> None:
        for event in events:
            self.events += 1
            handler = _FOLD.get(type(event))
            if handler is not None:
                handler(self, event)

    # -- visits -------------------------------------------------------------------

    def _issued(self, ev: e.VisitIssued) -> None:
        hour = self.hour_of(ev.at)
        self.visits[ev.number] = _Visit(
            arrival=ev.at, services=list(ev.services), estimate=ev.estimate, hour=hour, joined=ev.at
        )
        counts = self.counts
        counts["issued"] += 1
        counts["booked" if ev.appointment else "walk_in"] += 1
        counts["priority"] += ev.priority is not None
        counts["several_services"] += len(ev.services) > 1
        counts["past_closing"] += ev.past_closing
        counts["no_estimate"] += ev.estimate is None
        self.hour_issued[hour] = self.hour_issued.get(hour, 0) + 1
        self.open += 1

    def _called(self, ev: e.VisitCalled) -> None:
        visit = self.visits[ev.number]
        if not visit.step_called:
            visit.step_called = True
            wait = ev.at - visit.joined
            self.step_waits.setdefault(visit.services[visit.index], []).append(wait)
        if visit.first_call is None:
            visit.first_call = ev.at
            wait = ev.at - visit.arrival
            self.visit_waits.append(wait)
            self.hour_waits.setdefault(visit.hour, []).append(wait)
            if visit.estimate is not None:
                self.errors.append(ev.at - visit.estimate)
        visit.status = "called"
        visit.counter = ev.counter
        visit.begun = ev.at
        self._counter(ev.counter).busy_since = ev.at

    def _recalled(self, ev: e.VisitRecalled) -> None:
        self.outcomes["recalls"] += 1

    def _missed(self, ev: e.VisitMissed) -> None:
        self.outcomes["no_show"] += 1
        self._leave_counter(self.visits[ev.number], ev.at)
        self._final(ev.number, "no_show")

    def _returned(self, ev: e.VisitReturned) -> None:
        self.counts["returned"] += 1
        self.visits[ev.number].status = "waiting"
        self.open += 1

    def _cancelled(self, ev: e.VisitCancelled) -> None:
        self._leave_counter(self.visits[ev.number], ev.at)
        self._final(ev.number, "cancelled")

    def _started(self, ev: e.ServiceStarted) -> None:
        visit = self.visits[ev.number]
        visit.begun = ev.at
        visit.status = "serving"

    def _finished(self, ev: e.StepFinished) -> None:
        visit = self.visits[ev.number]
        self.outcomes[ev.outcome] = self.outcomes.get(ev.outcome, 0) + 1
        service = visit.services[visit.index]
        self.service_times.setdefault(service, []).append(ev.at - visit.begun)
        self._counter(ev.counter).steps += 1
        self._leave_counter(visit, ev.at)
        visit.served = visit.served or ev.outcome == "served"
        if ev.outcome == "behaviour" or visit.index + 1 == len(visit.services):
            self._final(ev.number, "done")
        else:
            self._next_step(visit, ev.at)

    def _transferred(self, ev: e.VisitTransferred) -> None:
        visit = self.visits[ev.number]
        self.outcomes["transferred"] += 1
        self._counter(ev.counter).steps += 1
        self._leave_counter(visit, ev.at)
        visit.services.insert(visit.index + 1, ev.service)
        self._next_step(visit, ev.at)

    def _day_closed(self, ev: e.DayClosed) -> None:
        for number in ev.expired:
            visit = self.visits.get(number)
            if visit is not None:
                self._leave_counter(visit, ev.at)
                self._final(number, "expired")

    def _next_step(self, visit: _Visit, at: int) -> None:
        visit.index += 1
        visit.joined = at
        visit.step_called = False
        visit.status = "waiting"

    def _final(self, number: str, status: str) -> None:
        self.visits[number].status = status
        self.open -= 1

    def _leave_counter(self, visit: _Visit, at: int) -> None:
        if visit.counter is None:
            return
        counter = self._counter(visit.counter)
        if counter.busy_since is not None:
            counter.busy_ms += at - counter.busy_since
            counter.busy_since = None
        visit.counter = None

    # -- counters -----------------------------------------------------------------

    def _counter(self, counter_id: str) -> _Counter:
        found = self.counters.get(counter_id)
        if found is None:
            found = self.counters[counter_id] = _Counter()
        return found

    def _counter_opened(self, ev: e.CounterOpened | e.CounterResumed) -> None:
        self._counter(ev.counter).open_since = ev.at

    def _counter_closed(self, ev: e.CounterClosed | e.CounterPaused) -> None:
        counter = self._counter(ev.counter)
        if counter.open_since is not None:
            counter.open_ms += ev.at - counter.open_since
            counter.open_since = None

    # -- the report ---------------------------------------------------------------

    def report(
        self,
        *,
        division: str,
        day: str,
        seed: int,
        visits_target: int,
        kiosk: dict[str, int],
        appointments: dict[str, int],
        commands: int,
    ) -> DayReport:
        states = dict.fromkeys((*FINAL_STATES, "open"), 0)
        served = never_called = 0
        for visit in self.visits.values():
            states[visit.status if visit.status in FINAL_STATES else "open"] += 1
            served += visit.status == "done" and visit.served
            never_called += visit.first_call is None
        visits = {
            key: self.counts[key]
            for key in ("issued", "walk_in", "booked", "priority", "several_services")
        }
        visits["served"] = served
        visits.update(states)
        visits["never_called"] = never_called
        visits.update(
            {key: self.counts[key] for key in ("returned", "past_closing", "no_estimate")}
        )
        services = {
            service: ServiceFigures(
                steps=len(self.step_waits.get(service, ())),
                wait=Spread.of(self.step_waits.get(service, [])),
                service=Spread.of(self.service_times.get(service, [])),
            )
            for service in sorted(set(self.step_waits) | set(self.service_times))
        }
        counters = {
            cid: CounterFigures(
                open_min=_minutes(k.open_ms),
                busy_min=_minutes(k.busy_ms),
                utilisation=round(k.busy_ms / k.open_ms, 3) if k.open_ms else math.nan,
                steps=k.steps,
            )
            for cid, k in self.counters.items()
        }
        open_ms = sum(k.open_ms for k in self.counters.values())
        busy_ms = sum(k.busy_ms for k in self.counters.values())
        errors = self.errors
        absolute = [abs(x) for x in errors]
        estimate = EstimateFigures(
            samples=len(errors),
            mean_abs_min=_minutes(sum(absolute) / len(absolute)) if absolute else math.nan,
            median_abs_min=_minutes(percentile(absolute, 50)),
            p90_abs_min=_minutes(percentile(absolute, 90)),
            bias_min=_minutes(sum(errors) / len(errors)) if errors else math.nan,
            missing=self.counts["no_estimate"],
        )
        by_hour = [
            HourFigures(
                hour=hour,
                issued=self.hour_issued.get(hour, 0),
                mean_wait_min=Spread.of(self.hour_waits.get(hour, [])).mean,
            )
            for hour in sorted(set(self.hour_issued) | set(self.hour_waits))
        ]
        return DayReport(
            division=division,
            day=day,
            seed=seed,
            visits_target=visits_target,
            visits=visits,
            outcomes=dict(self.outcomes),
            kiosk=dict(sorted(kiosk.items())),
            appointments=appointments,
            wait=Spread.of(self.visit_waits),
            services=services,
            counters=counters,
            utilisation=round(busy_ms / open_ms, 3) if open_ms else math.nan,
            estimate=estimate,
            by_hour=by_hour,
            commands=commands,
            events=self.events,
        )


_FOLD: dict[type[e.Event], Callable[[Tally, Any], None]] = {
    e.VisitIssued: Tally._issued,
    e.VisitCalled: Tally._called,
    e.VisitRecalled: Tally._recalled,
    e.VisitMissed: Tally._missed,
    e.VisitReturned: Tally._returned,
    e.VisitCancelled: Tally._cancelled,
    e.ServiceStarted: Tally._started,
    e.StepFinished: Tally._finished,
    e.VisitTransferred: Tally._transferred,
    e.DayClosed: Tally._day_closed,
    e.CounterOpened: Tally._counter_opened,
    e.CounterResumed: Tally._counter_opened,
    e.CounterClosed: Tally._counter_closed,
    e.CounterPaused: Tally._counter_closed,
}


# -- text -----------------------------------------------------------------------------


def _fmt(value: float | int) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.1f}"
    return str(value)


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    cells = [list(headers)] + [
        [_fmt(c) if isinstance(c, (int, float)) else str(c) for c in row] for row in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def _text(r: DayReport) -> str:
    lines = [
        f"Simulated day at {r.division} on {r.day}"
        f" (seed {r.seed}, target {r.visits_target} visits)",
        "",
    ]
    v = r.visits
    lines += _table(
        ("visits", "count"),
        [(key.replace("_", " "), value) for key, value in v.items()],
    )
    lines.append("")
    lines += _table(
        ("step endings", "count"), [(k.replace("_", " "), n) for k, n in r.outcomes.items()]
    )
    if r.kiosk or r.appointments:
        lines.append("")
        rows = [(f"kiosk refused: {k}", n) for k, n in r.kiosk.items()]
        rows += [(f"booked: {k.replace('_', ' ')}", n) for k, n in r.appointments.items()]
        lines += _table(("kiosk and bookings", "count"), rows)
    lines.append("")
    w = r.wait
    lines += _table(
        ("wait (min)", "visits", "mean", "median", "p90", "max"),
        [("issue to first call", w.count, w.mean, w.median, w.p90, w.max)],
    )
    lines.append("")
    lines += _table(
        ("service", "steps", "wait mean", "wait p90", "service mean", "service p90"),
        [
            (sid, f.steps, f.wait.mean, f.wait.p90, f.service.mean, f.service.p90)
            for sid, f in r.services.items()
        ],
    )
    lines.append("")
    lines += _table(
        ("counter", "open min", "busy min", "utilisation %", "steps"),
        [
            (cid, k.open_min, k.busy_min, k.utilisation * 100, k.steps)
            for cid, k in r.counters.items()
        ]
        + [("all", "", "", r.utilisation * 100, sum(k.steps for k in r.counters.values()))],
    )
    lines.append("")
    est = r.estimate
    lines += _table(
        ("estimate error (min)", "visits", "mean abs", "median abs", "p90 abs", "bias"),
        [
            (
                "first call vs ticket",
                est.samples,
                est.mean_abs_min,
                est.median_abs_min,
                est.p90_abs_min,
                est.bias_min,
            )
        ],
    )
    lines.append("")
    lines += _table(
        ("hour", "issued", "mean wait"),
        [(f"{h.hour:02d}:00", h.issued, h.mean_wait_min) for h in r.by_hour],
    )
    lines.append("")
    lines.append(f"{r.commands} commands, {r.events} events")
    return "\n".join(lines)
