"""One day at a division, played event by event through the real core.

The simulation is a discrete-event loop over instants in epoch milliseconds. It
holds only its visitors' plans and its clerks' intentions; everything that happens
in the lobby is a command sent to the lobby (``DivisionState.execute`` in memory,
or a store), and the report is counted from the events those commands commit.

A clerk opens the counter at opening time and, whenever free, calls the next
visit; the visitor walks up (``StartService``) and is served for a drawn time
(``Finish`` with an outcome, or ``Transfer``), or is not there (``Recall``, then
``NoShow``). Clerks take a lunch pause in turns around midday. After closing the
kiosk issues nothing more; clerks serve those already holding a ticket for up to
``Scenario.overtime_ms`` and then close. At midnight the core closes the day,
which expires whatever is still open.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

from queue_server.core import DivisionState, DomainError, Status
from queue_server.core import commands as c
from queue_server.core import events as e
from queue_server.core.counter import CounterStatus
from queue_server.core.hours import Holidays
from queue_server.core.settings import MINUTE_MS, Office

from .arrivals import Visitor, Window, bookings, check_in_time, slot_grid, walk_ins
from .lobby import Commit, Lobby, MemoryLobby
from .report import DayReport, Tally
from .scenario import Scenario, default_visits, service_weights

#: Days shorter than this have no lunch pause.
LUNCH_MIN_DAY_MS = 6 * 60 * MINUTE_MS


class SimulationError(Exception):
    """A day cannot be simulated as asked; the message says why."""


class DivisionClosedError(SimulationError):
    """The division does not open on the day asked for: there is nothing to simulate."""


@dataclass(slots=True)
class Desk:
    """A counter as its clerk sees it."""

    id: str
    lunch_at: int | None
    #: ``closed``, ``idle`` (open, nobody to call), ``busy``, ``lunch``.
    mode: str = "closed"

    @property
    def clerk(self) -> str:
        return f"clerk-{self.id}"


def simulate_day(
    office: Office,
    division_id: str,
    day: date,
    params: Scenario | None,
    seed: int,
    holidays: Holidays,
    commit: Commit | None = None,
    lobby: Lobby | None = None,
) -> DayReport:
    """Simulate ``day`` at a division and report it.

    ``params`` None is ``Scenario()``; ``holidays`` is the public holiday calendar
    (``holidays.country_holidays("LV")``), as the core takes it.
    ``commit`` sees every batch of events before the in-memory core applies it;
    ``lobby`` replaces the in-memory core altogether (a durable store, say), whose
    state must be that division's, before ``day``. Raises ``DivisionClosedError``
    when the division is closed that day.
    """
    if lobby is None:
        lobby = MemoryLobby(DivisionState(office, division_id, holidays), commit)
    elif commit is not None:
        raise ValueError("Give either commit (for the in-memory core) or lobby, not both.")
    elif lobby.state.division.id != division_id:
        raise ValueError(f"The lobby is {lobby.state.division.id!r}, not {division_id!r}.")
    return DaySimulation(office, lobby, day, params or Scenario(), seed).run()


def _untouched(state: DivisionState, day: str) -> bool:
    """Whether nothing has happened at the division on ``day`` or after it."""
    if state.day is None or state.day < day:
        return True
    busy = any(k.status is not CounterStatus.CLOSED for k in state.counters.values())
    return state.day == day and not state.visits and not state.appointments and not busy


class DaySimulation:
    def __init__(
        self, office: Office, lobby: Lobby, day: date, scenario: Scenario, seed: int
    ) -> None:
        self.office = office
        self.lobby = lobby
        self.division = lobby.state.division
        self.day = day
        if not _untouched(lobby.state, day.isoformat()):
            raise SimulationError(
                f"{self.division.id} already has events of {lobby.state.day}: "
                f"simulate a later day than that, or use a fresh database."
            )
        self.scenario = scenario
        self.seed = seed
        hours = lobby.state.hours
        span = hours.span_ms(day)
        opening = hours.day(day).span
        if span is None or opening is None:
            raise DivisionClosedError(f"{self.division.id} is closed on {day.isoformat()}.")
        self.window = Window(span[0], span[1], opening.open_min)
        self.close_ms = span[1]
        self.overtime_end = span[1] + scenario.overtime_ms
        self.weights = service_weights(scenario, self.division)
        if not any(w > 0 for w in self.weights.values()):
            raise SimulationError(f"No service of {self.division.id} has a weight above 0.")
        self.target = scenario.visits or default_visits(
            scenario, office, self.division, span[1] - span[0]
        )
        # Separate streams: who comes does not shift when clerks draw service times.
        self.rng_visitors = Random(f"{seed}:visitors")
        self.rng_bookings = Random(f"{seed}:bookings")
        self.rng_counters = Random(f"{seed}:counters")
        self.tally = Tally(hour_of=lambda at: int(self.window.minute(at) // 60))
        self.kiosk: dict[str, int] = {}
        self.appointments = dict.fromkeys(
            ("booked", "moved", "full", "early", "on_time", "late", "too_late", "absent"), 0
        )
        self.commands = 0
        self.queue: list[tuple[int, int, Callable[..., None], tuple[Any, ...]]] = []
        self.order = 0
        self.desks = [Desk(k.id, None) for k in self.division.counters]
        self.by_number: dict[str, Visitor] = {}
        #: No-shows who will come back: the day is not over for them yet.
        self.returning = 0

    @property
    def state(self) -> DivisionState:
        return self.lobby.state

    # -- the loop -------------------------------------------------------------------

    def at(self, when: int, action: Callable[..., None], *args: Any) -> None:
        self.order += 1
        heapq.heappush(self.queue, (when, self.order, action, args))

    def run(self) -> DayReport:
        # Clerks first: at the opening instant, counters open before anyone checks in.
        self.plan_clerks()
        self.book()
        for visitor in self.walk_ins:
            self.at(visitor.arrives, self.arrive, visitor)
        queue = self.queue
        while queue:
            when, _, action, args = heapq.heappop(queue)
            action(when, *args)
        if self.scenario.close_day:
            self.close_day()
        return self.tally.report(
            division=self.division.id,
            day=self.day.isoformat(),
            seed=self.seed,
            visits_target=self.target,
            kiosk=self.kiosk,
            appointments=self.appointments,
            commands=self.commands,
        )

    def execute(self, command: c.Command, now: int) -> list[e.Event]:
        self.commands += 1
        found = self.lobby.execute(command, now)
        self.tally.feed(found)
        return found

    def close_day(self) -> None:
        """Let the core close the day at the next local midnight (expiring what is open)."""
        tomorrow = self.day + timedelta(days=1)
        zone = ZoneInfo(self.division.timezone)
        midnight = int(datetime.combine(tomorrow, time(), tzinfo=zone).timestamp() * 1000)
        self.tally.feed(self.lobby.tick(midnight))

    # -- visitors ---------------------------------------------------------------------

    def book(self) -> None:
        """Book the day's appointments before opening; draw the walk-ins."""
        scenario = self.scenario
        booked_count = round(self.target * scenario.appointment_share)
        planned = bookings(
            scenario,
            self.office,
            self.weights,
            self.window,
            booked_count,
            self.rng_bookings,
            first_id=1_000_000,
            code_prefix=f"SIM{self.day:%y%m%d}-",
        )
        coming = booked_count * (1 - scenario.appointment_absent)
        self.walk_ins = walk_ins(
            scenario,
            self.office,
            self.weights,
            self.window,
            max(0.0, self.target - coming),
            self.rng_visitors,
        )
        now = self.window.open_ms - 60 * MINUTE_MS
        slots = slot_grid(self.window, self.office.rules.appointment_slot_ms)
        for visitor in planned:
            now += 1
            if not self.book_one(visitor, now, slots):
                # Fully booked: they come as a walk-in at the time they wanted.
                self.appointments["full"] += 1
                visitor.kind = "walk_in"
                visitor.booking = None
                assert visitor.due is not None
                visitor.arrives, visitor.due = visitor.due, None
                self.at(visitor.arrives, self.arrive, visitor)
                continue
            self.appointments["booked"] += 1
            self.appointments[visitor.kind] += 1
            arrives = check_in_time(visitor, self.office.rules, self.rng_bookings)
            if arrives is not None:
                visitor.arrives = max(arrives, self.window.open_ms)
                self.at(visitor.arrives, self.check_in, visitor)

    def book_one(self, visitor: Visitor, now: int, slots: list[int]) -> bool:
        """Book the wished slot, or the nearest free one; False when every slot is full."""
        wished = visitor.due
        assert visitor.booking is not None and wished is not None
        for due in sorted(slots, key=lambda slot: (abs(slot - wished), slot)):
            try:
                self.execute(c.Book(visitor.booking, visitor.services, due, visitor.priority), now)
            except DomainError as refused:
                if refused.code != "slot_full":
                    raise
                continue
            visitor.due = due
            self.appointments["moved"] += due != wished
            return True
        return False

    def refused(self, code: str) -> None:
        self.kiosk[code] = self.kiosk.get(code, 0) + 1

    def arrive(self, now: int, visitor: Visitor) -> None:
        """A walk-in (or a booked visitor too late for check-in) takes a ticket."""
        try:
            found = self.execute(c.Issue(visitor.key, visitor.services, visitor.priority), now)
        except DomainError as refused:
            self.refused(refused.code)
            return
        self.issued(now, visitor, found)

    def check_in(self, now: int, visitor: Visitor) -> None:
        assert visitor.booking is not None
        try:
            found = self.execute(c.CheckIn(visitor.key, visitor.booking), now)
        except DomainError as refused:
            if refused.code == "appointment_too_late":
                visitor.kind = "walk_in"
                self.arrive(now, visitor)
                return
            if refused.code == "appointment_too_early":
                self.at(refused.details["check_in_from"], self.check_in, visitor)
                return
            self.refused(refused.code)
            return
        self.issued(now, visitor, found)

    def issued(self, now: int, visitor: Visitor, found: list[e.Event]) -> None:
        ticket = next(ev for ev in found if isinstance(ev, e.VisitIssued))
        self.by_number[ticket.number] = visitor
        if visitor.gives_up_after is not None:
            self.at(now + visitor.gives_up_after, self.give_up, ticket.number)
        self.wake(now)

    def give_up(self, now: int, number: str) -> None:
        if self.state.visits[number].status is Status.WAITING:
            self.execute(c.CancelVisit(number), now)
            self.wake(now)

    def come_back(self, now: int, number: str) -> None:
        self.returning -= 1
        self.execute(c.ReturnVisit(number), now)
        self.wake(now)

    # -- clerks -----------------------------------------------------------------------

    def plan_clerks(self) -> None:
        scenario = self.scenario
        window = self.window
        at_once = max(1, round(len(self.desks) * scenario.lunch_share))
        long_day = window.close_ms - window.open_ms >= LUNCH_MIN_DAY_MS
        for i, desk in enumerate(self.desks):
            self.at(window.open_ms, self.open_desk, desk)
            start = window.instant(scenario.lunch_from_min) + (i // at_once) * scenario.lunch_ms
            end = start + scenario.lunch_ms
            if long_day and window.open_ms <= start and end <= window.close_ms:
                desk.lunch_at = start
                self.at(start, self.lunch_due, desk)
        self.at(window.close_ms, self.wake)
        self.at(self.overtime_end, self.wake)

    def open_desk(self, now: int, desk: Desk) -> None:
        self.execute(c.OpenCounter(desk.id, desk.clerk), now)
        desk.mode = "idle"
        self.free(now, desk)

    def wake(self, now: int) -> None:
        """Something changed: idle clerks look again (call, or close after hours)."""
        for desk in self.desks:
            if desk.mode == "idle":
                self.free(now, desk)

    def free(self, now: int, desk: Desk) -> None:
        """The clerk is free: lunch, close, call the next visit, or wait idle."""
        desk.mode = "idle"
        if desk.lunch_at is not None and desk.lunch_at <= now < self.close_ms:
            desk.lunch_at = None
            self.execute(c.PauseCounter(desk.id), now)
            desk.mode = "lunch"
            self.at(now + self.scenario.lunch_ms, self.back_from_lunch, desk)
            return
        if now >= self.close_ms and (
            now >= self.overtime_end or self.tally.open + self.returning == 0
        ):
            self.execute(c.CloseCounter(desk.id), now)
            desk.mode = "closed"
            return
        if self.state.next_for(desk.id) is None:
            return
        found = self.execute(c.CallNext(desk.id), now)
        call = found[-1]
        assert isinstance(call, e.VisitCalled)
        desk.mode = "busy"
        visitor = self.by_number[call.number]
        rng = self.rng_counters
        if visitor.misses_call:
            visitor.misses_call = False
            wait = self.scenario.recall_after_ms
            recalls = min(self.scenario.recalls, self.office.rules.recall_limit)
            for n in range(1, recalls + 1):
                self.at(now + n * wait, self.recall, desk)
            self.at(now + (recalls + 1) * wait, self.no_show, desk, call.number, visitor)
        else:
            self.at(now + rng.randint(*self.scenario.walk_ms), self.start, desk, call.number)

    def lunch_due(self, now: int, desk: Desk) -> None:
        if desk.mode == "idle":
            self.free(now, desk)

    def back_from_lunch(self, now: int, desk: Desk) -> None:
        self.execute(c.ResumeCounter(desk.id), now)
        self.free(now, desk)

    def recall(self, now: int, desk: Desk) -> None:
        self.execute(c.Recall(desk.id), now)

    def no_show(self, now: int, desk: Desk, number: str, visitor: Visitor) -> None:
        self.execute(c.NoShow(desk.id), now)
        if visitor.returns_after is not None:
            self.returning += 1
            self.at(now + visitor.returns_after, self.come_back, number)
        self.free(now, desk)
        self.wake(now)

    def start(self, now: int, desk: Desk, number: str) -> None:
        self.execute(c.StartService(desk.id), now)
        scenario = self.scenario
        rng = self.rng_counters
        service = self.state.visits[number].service
        expected = self.office.services[service].expected_ms * scenario.service_scale
        sigma = scenario.service_sigma
        drawn = rng.lognormvariate(math.log(expected) - sigma * sigma / 2, sigma)
        duration = max(scenario.service_min_ms, int(drawn))
        roll = rng.random()
        if roll < scenario.transfer_share and len(self.weights) > 1:
            self.at(now + duration // 2, self.transfer, desk, number)
            return
        roll -= scenario.transfer_share
        outcome = "served"
        for name, share in (
            ("refused", scenario.refusal_share),
            ("referred", scenario.referral_share),
            ("behaviour", scenario.behaviour_share),
        ):
            if roll < share:
                outcome = name
                break
            roll -= share
        self.at(now + duration, self.finish, desk, outcome)

    def finish(self, now: int, desk: Desk, outcome: str) -> None:
        rng = self.rng_counters
        if outcome == "refused":
            reason = rng.choice(list(self.office.refusal_reasons))
            command = c.Finish(desk.id, "refused", reason=reason)
        elif outcome == "referred":
            command = c.Finish(desk.id, "referred", referral=rng.choice(self.scenario.referrals))
        else:
            command = c.Finish(desk.id, outcome)
        self.execute(command, now)
        self.free(now, desk)
        self.wake(now)

    def transfer(self, now: int, desk: Desk, number: str) -> None:
        """Send the visit on to another service, now and then to one counter."""
        rng = self.rng_counters
        visit = self.state.visits[number]
        taken = {step.service for step in visit.steps}
        options = {s: w for s, w in self.weights.items() if s not in taken and w > 0}
        if not options:
            self.finish(now, desk, "served")
            return
        service = rng.choices(list(options), weights=list(options.values()))[0]
        to_counter = None
        if rng.random() < 0.25:
            serving = [k.id for k in self.division.counters if service in k.services]
            to_counter = rng.choice(serving) if serving else None
        self.execute(c.Transfer(desk.id, service=service, to_counter=to_counter), now)
        self.free(now, desk)
        self.wake(now)
