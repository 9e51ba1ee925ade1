"""Invariants of the core under random sequences of commands (hypothesis).

Whatever a lobby's day throws at it, in any order and with any mistakes: numbers are
unique, no visit is at two counters, no visit is lost, equal visits are called in
arrival order, a visit's services are served in its order, a refusal changes nothing,
and replaying the log (or restoring a snapshot) gives the very same state.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queue_server.core import FINAL, DivisionState, DomainError, Status
from queue_server.core import commands as c
from queue_server.core import events as e
from queue_server.core.ordering import NO_DUE
from tests.conftest import LV_HOLIDAYS, at, small_office

OFFICE = small_office()
SERVICES = ["passport", "collect", "residence", "visa"]
START = at("2026-11-30 09:00")

service_lists = st.lists(st.sampled_from(SERVICES * 5 + ["tea"]), min_size=1, max_size=3)
#: "new" becomes a fresh key for each tap; the others repeat a tap (an idempotent retry).
KEYS = st.sampled_from(["new", "new", "new", "k1", "k2"])
counter = st.sampled_from(["1", "2", "3"] * 4 + ["9"])
number = st.sampled_from(["A001", "A002", "B001", "C001", "C002", "D001", "A003", "B002"])

command = st.one_of(
    *[
        st.builds(
            c.Issue,
            key=KEYS,
            services=service_lists.map(tuple),
        )
    ]
    * 3,
    st.builds(
        c.Issue,
        key=KEYS,
        services=service_lists.map(tuple),
        priority=st.sampled_from([None, None, None, "disability", "pregnancy", "vip"]),
    ),
    st.builds(c.OpenCounter, counter=counter, clerk=st.sampled_from(["ana", "juris"])),
    st.builds(c.PauseCounter, counter=counter),
    st.builds(c.CloseCounter, counter=counter),
    st.builds(c.ResumeCounter, counter=counter),
    st.builds(c.CallNext, counter=counter),
    st.builds(c.CallNext, counter=counter),
    st.builds(c.CallNext, counter=counter),
    st.builds(c.CallNumber, counter=counter, number=number),
    st.builds(c.Recall, counter=counter),
    st.builds(c.NoShow, counter=counter),
    st.builds(c.StartService, counter=counter),
    st.builds(
        c.Finish,
        counter=counter,
        outcome=st.sampled_from(["served", "served", "refused", "referred", "behaviour", "x"]),
        reason=st.sampled_from([None, "fee", "bogus"]),
        referral=st.sampled_from([None, "State Revenue Service"]),
    ),
    st.builds(c.Finish, counter=counter),
    st.builds(c.Finish, counter=counter),
    st.builds(
        c.Transfer,
        counter=counter,
        service=st.sampled_from([None, "visa", "collect", "tea"]),
        to_counter=st.sampled_from([None, "1", "3", "9"]),
    ),
    st.builds(c.Undo, counter=counter),
    st.builds(c.ReturnVisit, number=number),
    st.builds(c.CancelVisit, number=number),
)
# Steps forward in time: mostly seconds, sometimes minutes, rarely into the next day.
_STEPS = {
    "seconds": st.integers(0, 90_000),
    "minutes": st.integers(0, 20 * 60_000),
    "next day": st.just(16 * 3_600_000),
}
step = st.sampled_from(["seconds"] * 40 + ["minutes"] * 6 + ["next day"]).flatmap(_STEPS.get)
# A busy lobby: mostly the everyday flow, so that deep states (second services,
# transfers, undos, returns) are reached often.
counter_flow = st.sampled_from(["1", "2", "3"])
flow = st.one_of(
    st.builds(c.Issue, key=st.just("new"), services=service_lists.map(tuple)),
    st.builds(c.Issue, key=st.just("new"), services=service_lists.map(tuple)),
    st.builds(c.CallNext, counter=counter_flow),
    st.builds(c.CallNext, counter=counter_flow),
    st.builds(c.Finish, counter=counter_flow),
    st.builds(c.StartService, counter=counter_flow),
    st.builds(c.NoShow, counter=counter_flow),
    st.builds(c.Transfer, counter=counter_flow, service=st.sampled_from(SERVICES)),
    st.builds(c.Transfer, counter=counter_flow, to_counter=counter_flow),
    st.builds(c.Undo, counter=counter_flow),
    st.builds(c.ReturnVisit, number=number),
    st.builds(c.CancelVisit, number=number),
    st.builds(c.Recall, counter=counter_flow),
    st.builds(c.CallNumber, counter=counter_flow, number=number),
)
programs = st.one_of(
    st.lists(st.tuples(command, step), min_size=5, max_size=80),
    st.lists(st.tuples(flow, _STEPS["seconds"]), min_size=30, max_size=120),
)


def check_invariants(state: DivisionState, issued_today: set[str]) -> None:
    assert set(state.visits) == issued_today, "no visit lost, none invented"
    at_counters = {}
    for counter_state in state.counters.values():
        if counter_state.current is not None:
            assert counter_state.current not in at_counters, "one visit, two counters"
            at_counters[counter_state.current] = counter_state.id
            assert counter_state.status.value != "closed"
    for visit in state.visits.values():
        assert visit.status in Status
        if visit.status in (Status.CALLED, Status.SERVING):
            assert at_counters.get(visit.number) == visit.counter
        else:
            assert visit.number not in at_counters and visit.counter is None
        if visit.status in FINAL:
            assert visit.closed_at is not None
        # services are served in the visit's order
        times = [(s.called_at, s.finished_at) for s in visit.steps[: visit.index]]
        assert all(f is not None for _, f in times)
        for (_, finished), later in zip(times, visit.steps[1 : visit.index + 1], strict=False):
            assert later.called_at is None or later.called_at >= finished


def check_fair_call(before: DivisionState, called: e.VisitCalled) -> None:
    """No waiting visit of the same service and priority that arrived earlier was skipped."""
    visit = before.visits[called.number]
    if visit.status is not Status.WAITING or visit.step.counter_only:
        return
    for other in before.waiting(visit.service):
        if other.step.counter_only or other.priority != visit.priority:
            continue
        if (other.due or NO_DUE) != (visit.due or NO_DUE):
            continue
        assert (other.arrival, other.seq) >= (visit.arrival, visit.seq), (
            f"{other.number} arrived before {visit.number}"
        )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs)
def test_invariants_hold_for_any_sequence_of_commands(program):
    state = DivisionState(OFFICE, "main", LV_HOLIDAYS)
    log: list[e.Event] = []
    for counter_id in ("1", "2", "3"):
        state.execute(c.OpenCounter(counter_id, "clerk"), START - 60_000, commit=log.extend)
    issued_today: set[str] = set()
    seen_numbers: dict[str, set[str]] = {}
    now = START
    for command_, delta in program:
        now += delta
        ticked = state.tick(now)
        for event in ticked:
            state.apply(event)
            if isinstance(event, e.DayOpened):
                issued_today = set()
        log += ticked
        if isinstance(command_, c.Issue) and command_.key == "new":
            command_ = c.Issue(f"tap{len(log)}", command_.services, command_.priority)
        before = state.snapshot()
        try:
            found = state.handle(command_, now)
        except DomainError as error:
            assert error.code
            assert state.snapshot() == before, "a refused command changed the state"
            continue
        if isinstance(command_, c.CallNext):
            (called,) = found
            check_fair_call(state, called)
        for event in found:
            state.apply(event)
            if isinstance(event, e.VisitIssued):
                day_numbers = seen_numbers.setdefault(state.day or "", set())
                assert event.number not in day_numbers, "a number repeated within a day"
                day_numbers.add(event.number)
                issued_today.add(event.number)
        log += found
        check_invariants(state, issued_today)

    replayed = DivisionState(OFFICE, "main", LV_HOLIDAYS)
    for event in log:
        replayed.apply(e.from_dict(e.to_dict(event)))
    assert replayed.snapshot() == state.snapshot(), "replaying the log gives the same state"
    restored = DivisionState.restore(OFFICE, LV_HOLIDAYS, state.snapshot())
    assert restored.snapshot() == state.snapshot()
    assert restored.estimates(now) == state.estimates(now)
