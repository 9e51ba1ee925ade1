"""The state of one division's lobby today, as the fold of its events.

``handle(command, now)`` reads the state and answers with the events the command
causes, or raises ``DomainError`` and changes nothing. ``apply(event)`` is the only
thing that changes the state. ``tick(now)`` gives the events that time alone
causes (a new day). Replaying the same events gives the same state, which
``snapshot()`` makes comparable and storable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from . import commands as c
from . import events as e
from .appointment import Appointment, Booking
from .counter import CounterState, CounterStatus, UndoRecord
from .durations import LearnedDurations
from .errors import refuse
from .estimate import Busy, forecast
from .hours import Holidays, ReceptionHours
from .ordering import OrderKey, order_key
from .settings import (
    ACCESSIBILITY_FEATURES,
    SHIPPED_LANGUAGES,
    Counter,
    HoursException,
    Office,
    Span,
)
from .visit import FINAL, RATING_TAGS, Status, Step, Visit, check_move

#: What a kiosk may say of its printer.
PRINTER_STATUSES = ("ok", "offline", "paper_out", "unknown")

#: Outcomes a clerk may give a step, besides a transfer.
OUTCOMES = ("served", "refused", "referred", "behaviour")
#: Outcomes whose duration teaches the estimate how long the service takes.
_LEARNED = frozenset({"served", "refused", "referred"})
MAX_NUMBER = 999

#: Makes a batch of events durable before the state applies them.
Commit = Callable[[list[e.Event]], None]


@dataclass(frozen=True, slots=True)
class Quote:
    """What the kiosk tells before issuing: when the visitor would be called."""

    call_at: int | None
    wait_ms: int | None
    closing_at: int | None
    past_closing: bool


class DivisionState:
    """Today's queue of one division: visits, counters, bookings, hours, durations."""

    def __init__(self, office: Office, division_id: str, holidays: Holidays) -> None:
        self.office = office
        self.division = office.divisions[division_id]
        self.rules = office.rules
        self.holidays = holidays
        self.hours = ReceptionHours(self.division, self.rules, holidays)
        self.priority_rank = {p.id: p.rank for p in office.priorities.values()}
        self.counter_settings: dict[str, Counter] = {k.id: k for k in self.division.counters}
        self.offered = frozenset(self.division.services)
        self.day: str | None = None
        self.visits: dict[str, Visit] = {}
        self.by_key: dict[str, str] = {}
        self.issued: dict[str, int] = {}
        self.counters = {k.id: CounterState(k.id) for k in self.division.counters}
        self.appointments: dict[str, Appointment] = {}
        self.exceptions: dict[str, HoursException] = {}
        #: Each kiosk's printer status, by device id (kept across days).
        self.printers: dict[str, str] = {}
        #: Open silent alerts to the manager: counter -> (instant, clerk, note).
        self.alerts: dict[str, tuple[int, str, str]] = {}
        #: The configuration changes made live, the latest per thing configured: kept
        #: in snapshots, so that they outlive the days whose logs they were made in.
        self.configured: dict[tuple[str, str], dict[str, Any]] = {}
        self.durations = LearnedDurations(
            {s: office.services[s].expected_ms for s in self.division.services},
            self.rules.learned_window,
            self.rules.learned_min_samples,
        )
        self._waiting: dict[str, dict[str, Visit]] = {}
        self._bound: dict[str, dict[str, Visit]] = {}
        #: Each visit's place in the call order never changes: computed once.
        self._keys: dict[str, OrderKey] = {}

    # ------------------------------------------------------------------ reading

    @property
    def id(self) -> str:
        return self.division.id

    def visit(self, number: str) -> Visit:
        found = self.visits.get(number)
        if found is None:
            raise refuse("unknown_visit", f"There is no visit {number} today.", number=number)
        return found

    def waiting(self, service: str | None = None) -> list[Visit]:
        """Waiting visits (of one service), in no particular order."""
        if service is not None:
            pools: Iterable[dict[str, Visit]] = [self._waiting.get(service, {})]
        else:
            pools = self._waiting.values()
        found = [v for pool in pools for v in pool.values()]
        if service is None:
            found += [v for pool in self._bound.values() for v in pool.values()]
        else:
            found += [
                v for pool in self._bound.values() for v in pool.values() if v.service == service
            ]
        return found

    def ahead(self, number: str) -> int:
        """How many waiting visits of its current service come before this one."""
        visit = self.visit(number)
        mine = self._keys[number]
        return sum(
            1
            for other in self._waiting.get(visit.service, {}).values()
            if self._keys[other.number] < mine
        )

    def next_for(self, counter_id: str) -> Visit | None:
        """The visit the call order gives this counter now, if any."""
        keys = self._keys
        own = self._bound.get(counter_id)
        if own:
            return own[min(own, key=keys.__getitem__)]
        for service in self.counter_settings[counter_id].services:
            pool = self._waiting.get(service)
            if pool:
                return pool[min(pool, key=keys.__getitem__)]
        return None

    def estimates(self, now: int) -> dict[str, int]:
        """The estimated call instant of every waiting visit that has one."""
        return forecast(*self._forecast_inputs(now), self.durations.expected_all())

    def quote(self, services: tuple[str, ...], priority: str | None, now: int) -> Quote:
        """The estimate for a visit that is not issued yet (the kiosk's preview).

        Refuses what an issue would refuse for its content (unknown or repeated
        services, an unknown priority); a service no open counter serves has no
        estimate (``call_at`` None) rather than an error, so the kiosk can show why.
        """
        if not services:
            raise refuse("no_services", "Choose at least one service.")
        if len(set(services)) != len(services):
            raise refuse("repeated_service", "Each service can be chosen once per visit.")
        for service in services:
            self._check_offered(service)
        self._check_priority(priority)
        probe = Visit(
            number="?",
            key="",
            seq=len(self.visits) + 1,
            arrival=now,
            steps=[Step(s, queued_at=now) for s in services],
            priority=priority,
        )
        return self._quote(probe, now)

    def _quote(self, probe: Visit, now: int) -> Quote:
        busy, queued = self._forecast_inputs(now)
        queued.append((order_key(probe, self.priority_rank), probe, 0, now))
        found = forecast(busy, queued, self.durations.expected_all(), until=probe.number)
        call_at = found.get(probe.number)
        closing = self.hours.closing_ms(now)
        past = call_at is not None and closing is not None and call_at >= closing
        wait = None if call_at is None else call_at - now
        return Quote(call_at=call_at, wait_ms=wait, closing_at=closing, past_closing=past)

    def _forecast_inputs(
        self, now: int
    ) -> tuple[list[Busy], list[tuple[OrderKey, Visit, int, int]]]:
        """Counters with the instant each is free, and the steps that will queue."""
        keys = self._keys
        busy: list[Busy] = []
        queued = [(keys[v.number], v, v.index, now) for v in self.waiting()]
        expected = self.durations.expected_all()
        for counter in self.division.counters:
            state = self.counters[counter.id]
            if state.status is CounterStatus.CLOSED:
                continue
            free_at = now
            if state.status is CounterStatus.PAUSED and state.since is not None:
                free_at = max(now, state.since + self.rules.pause_expected_ms)
            elif state.current is not None:
                visit = self.visits[state.current]
                step = visit.step
                begun = step.called_at if step.called_at is not None else now
                free_at = max(now, begun + expected.get(step.service, 0))
                if visit.index + 1 < len(visit.steps):
                    queued.append((keys[visit.number], visit, visit.index + 1, free_at))
            busy.append(Busy(counter, free_at))
        return busy, queued

    # ----------------------------------------------------------------- deciding

    def tick(self, now: int) -> list[e.Event]:
        """Events that time alone causes: the close of yesterday and a new day."""
        today = self.hours.local_date(now).isoformat()
        if self.day is not None and today <= self.day:
            return []
        found: list[e.Event] = []
        if self.day is not None:
            still_open = tuple(n for n, v in self.visits.items() if v.status not in FINAL)
            found.append(e.DayClosed(at=now, day=self.day, expired=still_open))
        found.append(e.DayOpened(at=now, day=today))
        return found

    def handle(self, command: c.Command, now: int) -> list[e.Event]:
        """The events ``command`` causes at ``now``; raises ``DomainError`` if refused."""
        if self.day is None or self.hours.local_date(now).isoformat() > self.day:
            raise refuse("stale_day", "A new day has begun: apply tick() events first.")
        handler = _HANDLERS.get(type(command))
        if handler is None:
            raise refuse("unknown_command", f"Unknown command {type(command).__name__}.")
        return handler(self, command, now)

    def advance(self, now: int, commit: Commit | None = None) -> list[e.Event]:
        """Commit (through ``commit``) and apply what time alone causes; return it."""
        found = self.tick(now)
        self._commit_and_apply(found, commit)
        return found

    def execute(self, command: c.Command, now: int, commit: Commit | None = None) -> list[e.Event]:
        """Advance the clock, then handle and apply ``command``; return its events.

        ``commit`` sees each batch before it is applied (the store makes it durable
        there). The events of a new day commit on their own, before the command is
        decided against the new day.
        """
        self.advance(now, commit)
        found = self.handle(command, now)
        self._commit_and_apply(found, commit)
        return found

    def _commit_and_apply(self, found: list[e.Event], commit: Commit | None) -> None:
        if found and commit is not None:
            commit(found)
        for event in found:
            self.apply(event)

    def _issue(self, cmd: c.Issue, now: int) -> list[e.Event]:
        if cmd.key in self.by_key:
            return []
        services = self._check_services(cmd.services, now)
        self._check_priority(cmd.priority)
        self._check_open(now)
        return [self._issued(cmd.key, services, cmd.priority, cmd.lang, None, None, now)]

    def _check_in(self, cmd: c.CheckIn, now: int) -> list[e.Event]:
        if cmd.key in self.by_key:
            return []
        booking = self._appointment(cmd.code)
        if booking.status is not Booking.BOOKED:
            raise refuse("appointment_used", "This booking was already used or cancelled.")
        if self.hours.local_date(booking.due).isoformat() != self.day:
            raise refuse(
                "appointment_not_today", "The booked visit is for another day.", due=booking.due
            )
        earliest = booking.due - self.rules.appointment_early_ms
        if now < earliest:
            raise refuse(
                "appointment_too_early",
                "It is too early to check in for this booking.",
                check_in_from=earliest,
            )
        if now > booking.due + self.rules.appointment_late_ms:
            raise refuse(
                "appointment_too_late",
                "The check-in time of this booking has passed; take an ordinary ticket.",
                due=booking.due,
            )
        services = self._check_services(booking.services, now)
        self._check_open(now)
        return [
            self._issued(
                cmd.key, services, booking.priority, cmd.lang, booking.code, booking.due, now
            )
        ]

    def _issued(
        self,
        key: str,
        services: tuple[str, ...],
        priority: str | None,
        lang: str,
        appointment: str | None,
        due: int | None,
        now: int,
    ) -> e.VisitIssued:
        prefix = self.office.services[services[0]].prefix
        n = self.issued.get(prefix, 0) + 1
        if n > MAX_NUMBER:
            raise refuse(
                "numbers_exhausted", f"All numbers {prefix}001-{prefix}999 are used today."
            )
        number = f"{prefix}{n:03d}"
        probe = Visit(
            number=number,
            key=key,
            seq=len(self.visits) + 1,
            arrival=now,
            steps=[Step(s, queued_at=now) for s in services],
            priority=priority,
            due=due,
        )
        quote = self._quote(probe, now)
        return e.VisitIssued(
            at=now,
            number=number,
            key=key,
            services=services,
            priority=priority,
            lang=lang,
            appointment=appointment,
            due=due,
            estimate=quote.call_at,
            past_closing=quote.past_closing,
        )

    def _check_services(self, services: tuple[str, ...], now: int) -> tuple[str, ...]:
        if not services:
            raise refuse("no_services", "Choose at least one service.")
        if len(services) > len(self.offered):
            raise refuse("too_many_services", "A visit has more services than are offered.")
        if len(set(services)) != len(services):
            raise refuse("repeated_service", "Each service can be chosen once per visit.")
        for service in services:
            self._check_offered(service)
            if not self._available(service):
                raise refuse(
                    "service_unavailable",
                    f"No open counter serves {service} now.",
                    service=service,
                )
        return tuple(services)

    def _check_offered(self, service: str) -> None:
        if service not in self.office.services:
            raise refuse("unknown_service", f"There is no service {service!r}.", service=service)
        if service not in self.offered:
            raise refuse(
                "service_not_offered",
                f"This division does not offer {service}.",
                service=service,
            )

    def _available(self, service: str) -> bool:
        return any(
            self.counters[k.id].status is not CounterStatus.CLOSED and service in k.services
            for k in self.division.counters
        )

    def _check_priority(self, priority: str | None) -> None:
        if priority is not None and priority not in self.office.priorities:
            raise refuse(
                "unknown_priority", f"There is no priority {priority!r}.", priority=priority
            )

    def _check_open(self, now: int) -> None:
        if not self.hours.is_open(now):
            upcoming = self.hours.next_opening(now)
            raise refuse(
                "division_closed",
                "The division is closed: no tickets are issued now.",
                next_open=upcoming[0] if upcoming else None,
                next_close=upcoming[1] if upcoming else None,
            )

    def _return(self, cmd: c.ReturnVisit, now: int) -> list[e.Event]:
        visit = self.visit(cmd.number)
        self._check_return(visit, now)
        return [e.VisitReturned(at=now, number=visit.number)]

    def _check_return(self, visit: Visit, now: int) -> None:
        check_move(visit.status, "return", visit.number)
        if visit.returned:
            raise refuse("already_returned", "A missed ticket can come back only once.")
        assert visit.missed_at is not None
        if now - visit.missed_at > self.rules.no_show_grace_ms:
            raise refuse(
                "grace_over",
                "The ticket was missed too long ago; take a new one.",
                missed_at=visit.missed_at,
            )

    def _rate(self, cmd: c.RateVisit, now: int) -> list[e.Event]:
        visit = self.visit(cmd.number)
        if visit.status is not Status.DONE:
            raise refuse("not_finished", "Only a finished visit can be rated.", number=cmd.number)
        if visit.rating is not None:
            raise refuse("already_rated", "This visit has already been rated. Thank you!")
        unknown = [t for t in cmd.tags if t not in RATING_TAGS]
        if not 1 <= cmd.stars <= 5 or unknown or len(set(cmd.tags)) != len(cmd.tags):
            raise refuse("invalid_rating", "Give 1 to 5 stars and known tags.", tags=unknown)
        return [e.VisitRated(at=now, number=visit.number, stars=cmd.stars, tags=tuple(cmd.tags))]

    def _report_printer(self, cmd: c.ReportPrinter, now: int) -> list[e.Event]:
        if cmd.status not in PRINTER_STATUSES:
            raise refuse(
                "unknown_printer_status",
                f"A printer is one of {', '.join(PRINTER_STATUSES)}.",
                status=cmd.status,
            )
        if self.printers.get(cmd.device) == cmd.status:
            return []
        return [e.PrinterReported(at=now, device=cmd.device, status=cmd.status)]

    def _alert_manager(self, cmd: c.AlertManager, now: int) -> list[e.Event]:
        self._counter(cmd.counter)
        if cmd.counter in self.alerts:
            return []  # already waiting for the manager: one alert is enough
        return [e.ManagerAlerted(at=now, counter=cmd.counter, clerk=cmd.clerk, note=cmd.note)]

    def _answer_alert(self, cmd: c.AnswerAlert, now: int) -> list[e.Event]:
        self._counter(cmd.counter)
        if cmd.counter not in self.alerts:
            raise refuse("no_alert", f"Counter {cmd.counter} has no open alert.")
        return [e.AlertAnswered(at=now, counter=cmd.counter, admin=cmd.admin)]

    # live configuration

    def _configure_counter(self, cmd: c.ConfigureCounter, now: int) -> list[e.Event]:
        self._counter(cmd.counter)
        old = self.counter_settings[cmd.counter]
        services = old.services if cmd.services is None else tuple(cmd.services)
        if not services:
            raise refuse("no_services", "A counter serves at least one service.")
        if len(set(services)) != len(services):
            raise refuse("repeated_service", "Each service can be listed once per counter.")
        for service in services:
            if service not in self.office.services:
                raise refuse(
                    "unknown_service", f"There is no service {service!r}.", service=service
                )
        codes = old.accessibility if cmd.accessibility is None else tuple(cmd.accessibility)
        unknown = [x for x in codes if x not in ACCESSIBILITY_FEATURES]
        if unknown or len(set(codes)) != len(codes):
            raise refuse(
                "invalid_configuration",
                f"Accessibility codes are {', '.join(ACCESSIBILITY_FEATURES)}, each once.",
                codes=unknown,
            )
        note = dict(old.note) if cmd.note is None else _texts(cmd.note, required=False)
        stranded = self._stranded(cmd.counter, services)
        if stranded:
            raise refuse(
                "service_still_waiting",
                f"Visitors wait for {', '.join(stranded)}: another counter must serve it first.",
                services=stranded,
            )
        if (services, codes, note) == (old.services, old.accessibility, dict(old.note)):
            return []
        return [
            e.CounterConfigured(
                at=now, counter=cmd.counter, services=services, accessibility=codes, note=note
            )
        ]

    def _stranded(self, counter_id: str, services: tuple[str, ...]) -> list[str]:
        """Services visitors wait for that no counter would serve after the change."""
        served = {
            s
            for k in self.division.counters
            for s in (services if k.id == counter_id else k.services)
        }
        waiting = {v.service for v in self.waiting()}
        if self._bound.get(counter_id):
            waiting |= {v.service for v in self._bound[counter_id].values()}
        return sorted(waiting - served)

    def _configure_service(self, cmd: c.ConfigureService, now: int) -> list[e.Event]:
        self._check_offered(cmd.service)
        old = self.office.services[cmd.service]
        prefix = old.prefix if cmd.prefix is None else cmd.prefix
        if len(prefix) != 1 or not "A" <= prefix <= "Z":
            raise refuse("invalid_configuration", "A prefix is one letter from A to Z.")
        expected = old.expected_ms if cmd.expected_ms is None else cmd.expected_ms
        if not 60_000 <= expected <= 4 * 3_600_000:
            raise refuse("invalid_configuration", "An expected duration is 1 minute to 4 hours.")
        name = dict(old.name) if cmd.name is None else _texts(cmd.name, required=True)
        description = (
            dict(old.description)
            if cmd.description is None
            else _texts(cmd.description, required=False)
        )
        bring = dict(old.bring) if cmd.bring is None else _texts(cmd.bring, required=False)
        found = e.ServiceConfigured(
            at=now,
            service=cmd.service,
            prefix=prefix,
            name=name,
            description=description,
            bring=bring,
            expected_ms=expected,
        )
        same = (prefix, name, description, bring, expected) == (
            old.prefix,
            dict(old.name),
            dict(old.description),
            dict(old.bring),
            old.expected_ms,
        )
        return [] if same else [found]

    def _configure_priority(self, cmd: c.ConfigurePriority, now: int) -> list[e.Event]:
        self._check_priority(cmd.priority)
        label = _texts(cmd.label, required=True)
        if label == dict(self.office.priorities[cmd.priority].label):
            return []
        return [e.PriorityConfigured(at=now, priority=cmd.priority, label=label)]

    def _set_notes(self, cmd: c.SetNotes, now: int) -> list[e.Event]:
        notes = _texts(cmd.notes, required=False)
        if notes == dict(self.division.notes):
            return []
        return [e.NotesSet(at=now, notes=notes)]

    def _cancel_visit(self, cmd: c.CancelVisit, now: int) -> list[e.Event]:
        visit = self.visit(cmd.number)
        check_move(visit.status, "cancel", visit.number)
        return [e.VisitCancelled(at=now, number=visit.number)]

    # counters

    def _counter(self, counter_id: str) -> CounterState:
        state = self.counters.get(counter_id)
        if state is None:
            raise refuse(
                "unknown_counter", f"There is no counter {counter_id!r}.", counter=counter_id
            )
        return state

    def _ready_to_call(self, counter_id: str) -> CounterState:
        state = self._counter(counter_id)
        if state.status is CounterStatus.CLOSED:
            raise refuse("counter_closed", "Open the counter first.")
        if state.status is CounterStatus.PAUSED:
            raise refuse("counter_paused", "The counter is paused: resume it first.")
        if state.current is not None:
            raise refuse(
                "counter_busy", f"Finish visit {state.current} first.", number=state.current
            )
        return state

    def _current(self, counter_id: str) -> tuple[CounterState, Visit]:
        state = self._counter(counter_id)
        if state.current is None:
            raise refuse("counter_idle", "The counter has no current visit.")
        return state, self.visits[state.current]

    def _open_counter(self, cmd: c.OpenCounter, now: int) -> list[e.Event]:
        if self._counter(cmd.counter).status is not CounterStatus.CLOSED:
            raise refuse("counter_open", "The counter is already open.")
        return [e.CounterOpened(at=now, counter=cmd.counter, clerk=cmd.clerk)]

    def _close_counter(self, cmd: c.CloseCounter, now: int) -> list[e.Event]:
        state = self._counter(cmd.counter)
        if state.status is CounterStatus.CLOSED:
            raise refuse("counter_closed", "The counter is already closed.")
        if state.current is not None:
            raise refuse("counter_busy", f"Finish visit {state.current} first.")
        return [e.CounterClosed(at=now, counter=cmd.counter)]

    def _pause_counter(self, cmd: c.PauseCounter, now: int) -> list[e.Event]:
        self._ready_to_call(cmd.counter)
        return [e.CounterPaused(at=now, counter=cmd.counter)]

    def _resume_counter(self, cmd: c.ResumeCounter, now: int) -> list[e.Event]:
        if self._counter(cmd.counter).status is not CounterStatus.PAUSED:
            raise refuse("counter_not_paused", "The counter is not paused.")
        return [e.CounterResumed(at=now, counter=cmd.counter)]

    def _call_next(self, cmd: c.CallNext, now: int) -> list[e.Event]:
        state = self._ready_to_call(cmd.counter)
        visit = self.next_for(cmd.counter)
        if visit is None:
            raise refuse("queue_empty", "Nobody is waiting for this counter's services.")
        assert state.clerk is not None
        return [e.VisitCalled(at=now, number=visit.number, counter=state.id, clerk=state.clerk)]

    def _call_number(self, cmd: c.CallNumber, now: int) -> list[e.Event]:
        state = self._ready_to_call(cmd.counter)
        visit = self.visit(cmd.number)
        found: list[e.Event] = []
        if visit.status is Status.NO_SHOW:
            self._check_return(visit, now)
            found.append(e.VisitReturned(at=now, number=visit.number))
        else:
            check_move(visit.status, "call", visit.number)
        step = visit.step
        settings = self.counter_settings[state.id]
        allowed = (
            step.counter_only == state.id
            if step.counter_only
            else step.service in settings.services
        )
        if not allowed:
            raise refuse(
                "service_not_at_counter",
                f"Counter {settings.number} does not serve {step.service}: transfer instead.",
                service=step.service,
            )
        assert state.clerk is not None
        found.append(
            e.VisitCalled(at=now, number=visit.number, counter=state.id, clerk=state.clerk)
        )
        return found

    def _recall(self, cmd: c.Recall, now: int) -> list[e.Event]:
        state, visit = self._current(cmd.counter)
        check_move(visit.status, "recall", visit.number)
        if visit.recalls >= self.rules.recall_limit:
            raise refuse(
                "recall_limit",
                f"Visit {visit.number} was recalled {visit.recalls} times: mark it a no-show.",
            )
        return [e.VisitRecalled(at=now, number=visit.number, counter=state.id)]

    def _no_show(self, cmd: c.NoShow, now: int) -> list[e.Event]:
        state, visit = self._current(cmd.counter)
        check_move(visit.status, "no_show", visit.number)
        return [e.VisitMissed(at=now, number=visit.number, counter=state.id)]

    def _start(self, cmd: c.StartService, now: int) -> list[e.Event]:
        state, visit = self._current(cmd.counter)
        check_move(visit.status, "start", visit.number)
        return [e.ServiceStarted(at=now, number=visit.number, counter=state.id)]

    def _finish(self, cmd: c.Finish, now: int) -> list[e.Event]:
        state, visit = self._current(cmd.counter)
        check_move(visit.status, "finish", visit.number)
        if cmd.outcome not in OUTCOMES:
            raise refuse("unknown_outcome", f"There is no outcome {cmd.outcome!r}.")
        if cmd.outcome == "refused":
            if not cmd.reason:
                raise refuse("reason_required", "A refusal needs its legal reason.")
            if cmd.reason not in self.office.refusal_reasons:
                raise refuse("unknown_reason", f"There is no refusal reason {cmd.reason!r}.")
        if cmd.outcome == "referred" and not (cmd.referral and cmd.referral.strip()):
            raise refuse("referral_required", "Name the authority the visitor is referred to.")
        assert state.clerk is not None
        return [
            e.StepFinished(
                at=now,
                number=visit.number,
                counter=state.id,
                clerk=state.clerk,
                outcome=cmd.outcome,
                reason=cmd.reason if cmd.outcome == "refused" else None,
                detail=cmd.detail,
                referral=cmd.referral if cmd.outcome == "referred" else None,
            )
        ]

    def _transfer(self, cmd: c.Transfer, now: int) -> list[e.Event]:
        state, visit = self._current(cmd.counter)
        check_move(visit.status, "transfer", visit.number)
        if cmd.service is None and cmd.to_counter is None:
            raise refuse("transfer_target_required", "Choose a service or a counter.")
        service = cmd.service or visit.service
        self._check_offered(service)
        if cmd.to_counter is not None:
            self._counter(cmd.to_counter)
        elif not any(service in k.services for k in self.division.counters):
            raise refuse("service_not_offered", f"No counter serves {service}.")
        return [
            e.VisitTransferred(
                at=now,
                number=visit.number,
                counter=state.id,
                service=service,
                to_counter=cmd.to_counter,
            )
        ]

    def _undo(self, cmd: c.Undo, now: int) -> list[e.Event]:
        state = self._counter(cmd.counter)
        last = state.last
        if last is None:
            raise refuse("nothing_to_undo", "There is nothing to undo at this counter.")
        if now - last.at > self.rules.undo_window_ms:
            raise refuse("undo_window_over", "That action is too old to undo.")
        if (
            self.visits[last.number].version != last.visit_version
            or state.version != last.counter_version
        ):
            raise refuse("undo_superseded", f"Visit {last.number} has moved on since.")
        return [e.ActionUndone(at=now, counter=state.id, action=last.action, number=last.number)]

    # bookings

    def _appointment(self, code: str) -> Appointment:
        found = self.appointments.get(code)
        if found is None:
            raise refuse("unknown_appointment", "There is no booking with this code.")
        return found

    def _check_slot(self, due: int, services: tuple[str, ...], now: int, code: str) -> None:
        slot_min = self.rules.appointment_slot_ms // 60_000
        span = self.hours.span_ms(self.hours.local_date(due))
        if (
            due <= now
            or span is None
            or not span[0] <= due < span[1]
            or self.hours.local_minute(due) % slot_min
            or due % 60_000
        ):
            raise refuse("slot_invalid", "Choose a free time slot within reception hours.")
        taken = sum(
            1
            for a in self.appointments.values()
            if a.status is Booking.BOOKED
            and a.due == due
            and a.code != code
            and a.services[0] == services[0]
        )
        if taken >= self.rules.appointment_capacity:
            raise refuse("slot_full", "That time slot is fully booked.", due=due)

    def free_slots(self, service: str, day: str, now: int) -> list[tuple[int, int]]:
        """The bookable slots of a local date for visits whose first service is
        ``service``: each slot's instant and how many places are still free (0: full).
        Slots start on the hour's slot grid within reception hours, after ``now``."""
        self._check_offered(service)
        span = self.hours.span_ms(_parse_day(day))
        if span is None:
            return []
        slot = self.rules.appointment_slot_ms
        slot_min = slot // 60_000
        taken: dict[int, int] = {}
        for a in self.appointments.values():
            if a.status is Booking.BOOKED and a.services[0] == service:
                taken[a.due] = taken.get(a.due, 0) + 1
        found = []
        due = span[0] - span[0] % 60_000
        while due < span[1]:
            if due > now and self.hours.local_minute(due) % slot_min == 0:
                found.append((due, max(0, self.rules.appointment_capacity - taken.get(due, 0))))
            due += 60_000 if self.hours.local_minute(due) % slot_min else slot
        return found

    def _book(self, cmd: c.Book, now: int) -> list[e.Event]:
        if cmd.code in self.appointments:
            raise refuse("appointment_code_taken", "That booking code is already used.")
        if not cmd.services:
            raise refuse("no_services", "Choose at least one service.")
        if len(set(cmd.services)) != len(cmd.services):
            raise refuse("repeated_service", "Each service can be chosen once per visit.")
        for service in cmd.services:
            self._check_offered(service)
        self._check_priority(cmd.priority)
        self._check_slot(cmd.due, cmd.services, now, cmd.code)
        return [
            e.AppointmentBooked(
                at=now,
                code=cmd.code,
                services=tuple(cmd.services),
                due=cmd.due,
                priority=cmd.priority,
            )
        ]

    def _booked(self, code: str) -> Appointment:
        booking = self._appointment(code)
        if booking.status is not Booking.BOOKED:
            raise refuse("appointment_used", "This booking was already used or cancelled.")
        return booking

    def _move_booking(self, cmd: c.MoveBooking, now: int) -> list[e.Event]:
        booking = self._booked(cmd.code)
        self._check_slot(cmd.due, booking.services, now, cmd.code)
        return [e.AppointmentMoved(at=now, code=cmd.code, due=cmd.due)]

    def _cancel_booking(self, cmd: c.CancelBooking, now: int) -> list[e.Event]:
        self._booked(cmd.code)
        return [e.AppointmentCancelled(at=now, code=cmd.code)]

    # reception hours

    def _set_exception(self, cmd: c.SetHoursException, now: int) -> list[e.Event]:
        _parse_day(cmd.day)
        closed = cmd.open_min is None and cmd.close_min is None
        if not closed and not (
            cmd.open_min is not None
            and cmd.close_min is not None
            and 0 <= cmd.open_min < cmd.close_min <= 24 * 60
        ):
            raise refuse("invalid_hours", "Reception must open before it closes, within the day.")
        return [
            e.HoursExceptionSet(
                at=now, day=cmd.day, open_min=cmd.open_min, close_min=cmd.close_min, note=cmd.note
            )
        ]

    def _clear_exception(self, cmd: c.ClearHoursException, now: int) -> list[e.Event]:
        _parse_day(cmd.day)
        if cmd.day not in self.exceptions:
            return []
        return [e.HoursExceptionCleared(at=now, day=cmd.day)]

    # ----------------------------------------------------------------- applying

    def apply(self, event: e.Event) -> None:
        """Change the state by one event (already decided and committed)."""
        _APPLIERS[type(event)](self, event)

    def _unindex(self, visit: Visit) -> None:
        if visit.status is Status.WAITING:
            step = visit.step
            if step.counter_only:
                self._bound[step.counter_only].pop(visit.number, None)
            else:
                self._waiting[step.service].pop(visit.number, None)

    def _index(self, visit: Visit) -> None:
        if visit.status is Status.WAITING:
            step = visit.step
            if step.counter_only:
                self._bound.setdefault(step.counter_only, {})[visit.number] = visit
            else:
                self._waiting.setdefault(step.service, {})[visit.number] = visit

    def _on_day_opened(self, ev: e.DayOpened) -> None:
        self.day = ev.day
        self.visits.clear()
        self.by_key.clear()
        self.issued.clear()
        self._waiting.clear()
        self._bound.clear()
        self._keys.clear()
        self.counters = {k.id: CounterState(k.id) for k in self.division.counters}
        self.alerts.clear()
        self.appointments = {
            code: a
            for code, a in self.appointments.items()
            if self.hours.local_date(a.due).isoformat() >= ev.day
        }

    def _on_day_closed(self, ev: e.DayClosed) -> None:
        for number in ev.expired:
            visit = self.visits[number]
            self._unindex(visit)
            if visit.counter is not None:
                self.counters[visit.counter].current = None
            visit.status = Status.EXPIRED
            visit.counter = None
            visit.closed_at = ev.at
            visit.step.outcome = visit.step.outcome or "expired"
            visit.version += 1

    def _on_issued(self, ev: e.VisitIssued) -> None:
        visit = Visit(
            number=ev.number,
            key=ev.key,
            seq=len(self.visits) + 1,
            arrival=ev.at,
            steps=[Step(s, queued_at=ev.at) for s in ev.services],
            priority=ev.priority,
            lang=ev.lang,
            appointment=ev.appointment,
            due=ev.due,
            estimate=ev.estimate,
            past_closing=ev.past_closing,
        )
        self.visits[visit.number] = visit
        self.by_key[visit.key] = visit.number
        self._keys[visit.number] = order_key(visit, self.priority_rank)
        self.issued[visit.number[0]] = int(visit.number[1:])
        if ev.appointment is not None:
            booking = self.appointments[ev.appointment]
            booking.status = Booking.CHECKED_IN
            booking.number = visit.number
        self._index(visit)

    def _changing(
        self, number: str, counter_id: str | None, action: str | None, at: int
    ) -> tuple[Visit, CounterState | None, tuple[Visit, CounterState] | None]:
        """Take a visit (and counter) out of the indexes before a change; keep the
        state before it when the action can be undone."""
        visit = self.visits[number]
        counter = self.counters[counter_id] if counter_id is not None else None
        before = (visit.copy(), counter.copy()) if action and counter else None
        self._unindex(visit)
        return visit, counter, before

    def _changed(
        self,
        visit: Visit,
        counter: CounterState | None,
        action: str | None,
        at: int,
        before: tuple[Visit, CounterState] | None,
        sample: tuple[str, int] | None = None,
    ) -> None:
        visit.version += 1
        self._index(visit)
        if counter is None:
            return
        counter.version += 1
        if before is not None and action is not None:
            counter.last = UndoRecord(
                action=action,
                at=at,
                number=visit.number,
                visit_before=before[0],
                counter_before=before[1],
                visit_version=visit.version,
                counter_version=counter.version,
                sample=sample,
            )

    def _on_called(self, ev: e.VisitCalled) -> None:
        visit, counter, before = self._changing(ev.number, ev.counter, "call", ev.at)
        assert counter is not None
        visit.status = Status.CALLED
        visit.counter = counter.id
        visit.recalls = 0
        step = visit.step
        step.called_at = ev.at
        step.started_at = None
        step.counter = counter.id
        step.clerk = ev.clerk
        counter.current = visit.number
        counter.since = ev.at
        self._changed(visit, counter, "call", ev.at, before)

    def _on_recalled(self, ev: e.VisitRecalled) -> None:
        self.visits[ev.number].recalls += 1

    def _on_missed(self, ev: e.VisitMissed) -> None:
        visit, counter, before = self._changing(ev.number, ev.counter, "no_show", ev.at)
        assert counter is not None
        visit.status = Status.NO_SHOW
        visit.counter = None
        visit.missed_at = ev.at
        visit.closed_at = ev.at
        visit.step.outcome = "no_show"
        counter.current = None
        counter.since = ev.at
        self._changed(visit, counter, "no_show", ev.at, before)

    def _on_returned(self, ev: e.VisitReturned) -> None:
        visit, _, _ = self._changing(ev.number, None, None, ev.at)
        visit.status = Status.WAITING
        visit.returned = True
        visit.closed_at = None
        visit.step.outcome = None
        self._changed(visit, None, None, ev.at, None)

    def _on_cancelled(self, ev: e.VisitCancelled) -> None:
        visit, _, _ = self._changing(ev.number, None, None, ev.at)
        if visit.counter is not None:
            counter = self.counters[visit.counter]
            counter.current = None
            counter.version += 1
        visit.status = Status.CANCELLED
        visit.counter = None
        visit.closed_at = ev.at
        visit.step.outcome = "cancelled"
        self._changed(visit, None, None, ev.at, None)

    def _on_rated(self, ev: e.VisitRated) -> None:
        visit = self.visits[ev.number]
        visit.rating = ev.stars
        visit.rating_tags = ev.tags
        visit.version += 1

    def _on_printer(self, ev: e.PrinterReported) -> None:
        self.printers[ev.device] = ev.status

    def _on_counter_configured(self, ev: e.CounterConfigured) -> None:
        new = replace(
            self.counter_settings[ev.counter],
            services=tuple(ev.services),
            accessibility=tuple(ev.accessibility),
            note=dict(ev.note),
        )
        counters = tuple(new if k.id == ev.counter else k for k in self.division.counters)
        self.division = replace(self.division, counters=counters)
        self.counter_settings[ev.counter] = new
        self.offered = frozenset(self.division.services)
        for service in new.services:
            if service not in self.durations.expected_all():
                self.durations.configure(service, self.office.services[service].expected_ms)
        self.configured[("counter", ev.counter)] = e.to_dict(ev)

    def _on_service_configured(self, ev: e.ServiceConfigured) -> None:
        old = self.office.services[ev.service]
        new = replace(
            old,
            prefix=ev.prefix,
            name=dict(ev.name),
            description=dict(ev.description),
            bring=dict(ev.bring),
            expected_ms=ev.expected_ms,
        )
        self.office = replace(self.office, services={**self.office.services, ev.service: new})
        self.durations.configure(ev.service, ev.expected_ms)
        self.configured[("service", ev.service)] = e.to_dict(ev)

    def _on_priority_configured(self, ev: e.PriorityConfigured) -> None:
        new = replace(self.office.priorities[ev.priority], label=dict(ev.label))
        self.office = replace(self.office, priorities={**self.office.priorities, ev.priority: new})
        self.configured[("priority", ev.priority)] = e.to_dict(ev)

    def _on_notes_set(self, ev: e.NotesSet) -> None:
        self.division = replace(self.division, notes=dict(ev.notes))
        self.configured[("notes", "")] = e.to_dict(ev)

    def _on_alerted(self, ev: e.ManagerAlerted) -> None:
        self.alerts[ev.counter] = (ev.at, ev.clerk, ev.note)

    def _on_alert_answered(self, ev: e.AlertAnswered) -> None:
        self.alerts.pop(ev.counter, None)

    def _on_started(self, ev: e.ServiceStarted) -> None:
        visit = self.visits[ev.number]
        visit.status = Status.SERVING
        visit.step.started_at = ev.at
        visit.version += 1

    def _on_finished(self, ev: e.StepFinished) -> None:
        visit, counter, before = self._changing(ev.number, ev.counter, "finish", ev.at)
        assert counter is not None
        step = visit.step
        step.finished_at = ev.at
        step.outcome = ev.outcome
        step.reason = ev.reason
        step.detail = ev.detail
        step.referral = ev.referral
        step.clerk = ev.clerk
        sample = None
        if ev.outcome in _LEARNED:
            # The counter is occupied from the call: the walk to the desk counts.
            begun = step.called_at if step.called_at is not None else ev.at
            sample = (step.service, ev.at - begun)
            self.durations.add(*sample)
        counter.current = None
        counter.since = ev.at
        visit.counter = None
        visit.recalls = 0
        if ev.outcome == "behaviour" or visit.index + 1 == len(visit.steps):
            for rest in visit.steps[visit.index + 1 :]:
                rest.outcome = "cancelled"
            visit.status = Status.DONE
            visit.closed_at = ev.at
        else:
            visit.index += 1
            visit.step.queued_at = ev.at
            visit.status = Status.WAITING
        self._changed(visit, counter, "finish", ev.at, before, sample)

    def _on_transferred(self, ev: e.VisitTransferred) -> None:
        visit, counter, before = self._changing(ev.number, ev.counter, "transfer", ev.at)
        assert counter is not None
        step = visit.step
        step.finished_at = ev.at
        step.outcome = "transferred"
        visit.steps.insert(
            visit.index + 1, Step(ev.service, counter_only=ev.to_counter, queued_at=ev.at)
        )
        visit.index += 1
        visit.status = Status.WAITING
        visit.counter = None
        visit.recalls = 0
        counter.current = None
        counter.since = ev.at
        self._changed(visit, counter, "transfer", ev.at, before)

    def _on_undone(self, ev: e.ActionUndone) -> None:
        record = self.counters[ev.counter].last
        assert record is not None
        self._unindex(self.visits[ev.number])
        restored = record.visit_before.copy()
        restored.version = self.visits[ev.number].version + 1
        self.visits[ev.number] = restored
        counter = record.counter_before.copy()
        counter.version = self.counters[ev.counter].version + 1
        self.counters[ev.counter] = counter
        if record.sample is not None:
            self.durations.forget(*record.sample)
        self._index(restored)

    def _on_counter_opened(self, ev: e.CounterOpened) -> None:
        self._set_counter(ev, CounterStatus.OPEN, ev.clerk)

    def _on_counter_closed(self, ev: e.CounterClosed) -> None:
        self._set_counter(ev, CounterStatus.CLOSED, None)

    def _on_counter_paused(self, ev: e.CounterPaused) -> None:
        self._set_counter(ev, CounterStatus.PAUSED, self.counters[ev.counter].clerk)

    def _on_counter_resumed(self, ev: e.CounterResumed) -> None:
        self._set_counter(ev, CounterStatus.OPEN, self.counters[ev.counter].clerk)

    def _set_counter(
        self,
        ev: e.CounterOpened | e.CounterClosed | e.CounterPaused | e.CounterResumed,
        status: CounterStatus,
        clerk: str | None,
    ) -> None:
        counter = self.counters[ev.counter]
        counter.status = status
        counter.clerk = clerk
        counter.since = ev.at
        counter.version += 1
        counter.last = None

    def _on_booked(self, ev: e.AppointmentBooked) -> None:
        self.appointments[ev.code] = Appointment(ev.code, ev.services, ev.due, ev.priority)

    def _on_booking_moved(self, ev: e.AppointmentMoved) -> None:
        self.appointments[ev.code].due = ev.due

    def _on_booking_cancelled(self, ev: e.AppointmentCancelled) -> None:
        self.appointments[ev.code].status = Booking.CANCELLED

    def _on_exception_set(self, ev: e.HoursExceptionSet) -> None:
        span = (
            Span(ev.open_min, ev.close_min)
            if ev.open_min is not None and ev.close_min is not None
            else None
        )
        exception = HoursException(_parse_day(ev.day), span, ev.note)
        self.exceptions[ev.day] = exception
        self.hours = self.hours.with_exception(exception)

    def _on_exception_cleared(self, ev: e.HoursExceptionCleared) -> None:
        self.exceptions.pop(ev.day, None)
        self.hours = self.hours.without_exception(_parse_day(ev.day))

    # ---------------------------------------------------------------- snapshots

    def snapshot(self) -> dict[str, Any]:
        """The whole state as JSON-ready data; ``restore`` rebuilds it exactly."""
        return {
            "division": self.division.id,
            "day": self.day,
            "issued": dict(self.issued),
            "visits": [v.to_dict() for v in self.visits.values()],
            "counters": [k.to_dict() for k in self.counters.values()],
            "appointments": [a.to_dict() for a in self.appointments.values()],
            "exceptions": [
                {
                    "day": day,
                    "open_min": x.span.open_min if x.span else None,
                    "close_min": x.span.close_min if x.span else None,
                    "note": x.note,
                }
                for day, x in self.exceptions.items()
            ],
            "durations": self.durations.to_dict(),
            "printers": dict(self.printers),
            "alerts": [
                {"counter": k, "at": at, "clerk": clerk, "note": note}
                for k, (at, clerk, note) in self.alerts.items()
            ],
            "configured": list(self.configured.values()),
        }

    @classmethod
    def restore(cls, office: Office, holidays: Holidays, data: dict[str, Any]) -> DivisionState:
        state = cls(office, data["division"], holidays)
        for change in data.get("configured", []):
            state.apply(e.from_dict(change))
        state.day = data["day"]
        state.issued = dict(data["issued"])
        for raw in data["visits"]:
            visit = Visit.from_dict(raw)
            state.visits[visit.number] = visit
            state.by_key[visit.key] = visit.number
            state._keys[visit.number] = order_key(visit, state.priority_rank)
            state._index(visit)
        for raw in data["counters"]:
            if raw["id"] in state.counters:
                state.counters[raw["id"]] = CounterState.from_dict(raw)
        for raw in data["appointments"]:
            booking = Appointment.from_dict(raw)
            state.appointments[booking.code] = booking
        for raw in data["exceptions"]:
            state._on_exception_set(e.HoursExceptionSet(at=0, **raw))
        state.durations.load(data["durations"])
        state.printers = dict(data.get("printers", {}))
        state.alerts = {
            a["counter"]: (a["at"], a["clerk"], a["note"]) for a in data.get("alerts", [])
        }
        return state


def _texts(texts: Mapping[str, str], *, required: bool) -> dict[str, str]:
    """A configured text in the shipped languages; Latvian first, so it must be there
    when the text is ``required``. Empty texts are dropped."""
    found = {lang: str(v).strip() for lang, v in texts.items() if str(v).strip()}
    unknown = [lang for lang in found if lang not in SHIPPED_LANGUAGES]
    if unknown:
        raise refuse(
            "invalid_configuration",
            f"Texts are in {', '.join(SHIPPED_LANGUAGES)}.",
            languages=unknown,
        )
    if required and "lv" not in found:
        raise refuse("invalid_configuration", "The Latvian text is required.")
    return {lang: found[lang] for lang in SHIPPED_LANGUAGES if lang in found}


def _parse_day(day: str) -> date:
    try:
        return date.fromisoformat(day)
    except (TypeError, ValueError):
        raise refuse("invalid_hours", f"{day!r} is not a date (YYYY-MM-DD).") from None


_HANDLERS: dict[type, Callable[[DivisionState, Any, int], list[e.Event]]] = {
    c.Issue: DivisionState._issue,
    c.CheckIn: DivisionState._check_in,
    c.ReturnVisit: DivisionState._return,
    c.CancelVisit: DivisionState._cancel_visit,
    c.RateVisit: DivisionState._rate,
    c.ReportPrinter: DivisionState._report_printer,
    c.AlertManager: DivisionState._alert_manager,
    c.ConfigureCounter: DivisionState._configure_counter,
    c.ConfigureService: DivisionState._configure_service,
    c.ConfigurePriority: DivisionState._configure_priority,
    c.SetNotes: DivisionState._set_notes,
    c.AnswerAlert: DivisionState._answer_alert,
    c.OpenCounter: DivisionState._open_counter,
    c.CloseCounter: DivisionState._close_counter,
    c.PauseCounter: DivisionState._pause_counter,
    c.ResumeCounter: DivisionState._resume_counter,
    c.CallNext: DivisionState._call_next,
    c.CallNumber: DivisionState._call_number,
    c.Recall: DivisionState._recall,
    c.NoShow: DivisionState._no_show,
    c.StartService: DivisionState._start,
    c.Finish: DivisionState._finish,
    c.Transfer: DivisionState._transfer,
    c.Undo: DivisionState._undo,
    c.Book: DivisionState._book,
    c.MoveBooking: DivisionState._move_booking,
    c.CancelBooking: DivisionState._cancel_booking,
    c.SetHoursException: DivisionState._set_exception,
    c.ClearHoursException: DivisionState._clear_exception,
}

_APPLIERS: dict[type, Callable[[DivisionState, Any], None]] = {
    e.DayOpened: DivisionState._on_day_opened,
    e.DayClosed: DivisionState._on_day_closed,
    e.VisitIssued: DivisionState._on_issued,
    e.VisitCalled: DivisionState._on_called,
    e.VisitRecalled: DivisionState._on_recalled,
    e.VisitMissed: DivisionState._on_missed,
    e.VisitReturned: DivisionState._on_returned,
    e.VisitCancelled: DivisionState._on_cancelled,
    e.VisitRated: DivisionState._on_rated,
    e.PrinterReported: DivisionState._on_printer,
    e.ManagerAlerted: DivisionState._on_alerted,
    e.CounterConfigured: DivisionState._on_counter_configured,
    e.ServiceConfigured: DivisionState._on_service_configured,
    e.PriorityConfigured: DivisionState._on_priority_configured,
    e.NotesSet: DivisionState._on_notes_set,
    e.AlertAnswered: DivisionState._on_alert_answered,
    e.ServiceStarted: DivisionState._on_started,
    e.StepFinished: DivisionState._on_finished,
    e.VisitTransferred: DivisionState._on_transferred,
    e.ActionUndone: DivisionState._on_undone,
    e.CounterOpened: DivisionState._on_counter_opened,
    e.CounterClosed: DivisionState._on_counter_closed,
    e.CounterPaused: DivisionState._on_counter_paused,
    e.CounterResumed: DivisionState._on_counter_resumed,
    e.AppointmentBooked: DivisionState._on_booked,
    e.AppointmentMoved: DivisionState._on_booking_moved,
    e.AppointmentCancelled: DivisionState._on_booking_cancelled,
    e.HoursExceptionSet: DivisionState._on_exception_set,
    e.HoursExceptionCleared: DivisionState._on_exception_cleared,
}
