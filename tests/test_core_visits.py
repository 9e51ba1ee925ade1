"""The core's commands, one by one: what each does, and every way it is refused."""

from __future__ import annotations

import pytest

from queue_server.core import DivisionState, DomainError, Status
from queue_server.core import events as e
from queue_server.core.commands import (
    CallNext,
    CallNumber,
    CancelVisit,
    CloseCounter,
    Finish,
    Issue,
    NoShow,
    OpenCounter,
    PauseCounter,
    RateVisit,
    Recall,
    ReportPrinter,
    ResumeCounter,
    ReturnVisit,
    StartService,
    Transfer,
    Undo,
)
from tests.conftest import LV_HOLIDAYS, at, small_office

T0 = at("2026-11-30 09:00")
MIN = 60_000


def refused(state: DivisionState, command: object, now: int, code: str) -> DomainError:
    """Assert ``command`` is refused with ``code`` and leaves the state as it was."""
    before = state.snapshot()
    with pytest.raises(DomainError) as caught:
        state.execute(command, now)  # type: ignore[arg-type]
    assert caught.value.code == code, caught.value.message
    assert state.snapshot() == before
    return caught.value


def issue(state: DivisionState, *services: str, now: int = T0, **kw: object) -> str:
    key = f"k{len(state.visits)}-{now}"
    (event,) = state.execute(Issue(key, services, **kw), now)  # type: ignore[arg-type]
    assert isinstance(event, e.VisitIssued)
    return event.number


# ----------------------------------------------------------------- issuing


def test_numbers_take_the_prefix_of_the_first_service_and_count_per_prefix(lobby):
    assert issue(lobby, "passport") == "A001"
    assert issue(lobby, "collect", "passport") == "B001"
    assert issue(lobby, "passport", "residence") == "A002"
    visit = lobby.visit("B001")
    assert [s.service for s in visit.steps] == ["collect", "passport"]
    assert visit.status is Status.WAITING


def test_numbers_restart_each_day(lobby):
    assert issue(lobby, "passport") == "A001"
    assert issue(lobby, "passport") == "A002"
    tuesday = at("2026-12-01 09:30")
    lobby.execute(OpenCounter("1", "c1"), tuesday)
    assert issue(lobby, "passport", now=tuesday) == "A001"
    assert lobby.day == "2026-12-01"


def test_a_repeated_key_returns_no_second_ticket(lobby):
    first = lobby.execute(Issue("tap-1", ("passport",)), T0)
    again = lobby.execute(Issue("tap-1", ("passport",)), T0 + 5000)
    assert len(first) == 1 and again == []
    assert lobby.by_key["tap-1"] == "A001"
    assert len(lobby.visits) == 1


def test_the_thousandth_number_of_a_prefix_is_refused(lobby):
    lobby.issued["A"] = 999
    refused(lobby, Issue("x", ("passport",)), T0, "numbers_exhausted")
    assert issue(lobby, "collect") == "B001"


@pytest.mark.parametrize(
    ("services", "priority", "code"),
    [
        ((), None, "no_services"),
        (("passport", "passport"), None, "repeated_service"),
        (("tea",), None, "unknown_service"),
        (("passport",), "vip", "unknown_priority"),
        (("passport", "collect", "residence", "visa", "passport"), None, "too_many_services"),
    ],
)
def test_bad_issues_are_refused(lobby, services, priority, code):
    refused(lobby, Issue("k", services, priority), T0, code)


def test_a_service_the_division_does_not_offer_is_refused():
    state = DivisionState(small_office(), "branch", LV_HOLIDAYS)
    wednesday = at("2026-12-02 09:00")
    state.execute(OpenCounter("1", "c"), wednesday)
    refused(state, Issue("k", ("visa",)), wednesday, "service_not_offered")


def test_a_service_no_open_counter_serves_is_unavailable(lobby):
    lobby.execute(PauseCounter("3"), T0)
    assert issue(lobby, "visa")  # a paused counter comes back
    lobby.execute(ResumeCounter("3"), T0)
    lobby.execute(CloseCounter("3"), T0)
    refused(lobby, Issue("k", ("visa",)), T0, "service_unavailable")


def test_no_ticket_outside_reception_hours(lobby):
    error = refused(lobby, Issue("k", ("passport",)), at("2026-11-30 17:00"), "division_closed")
    assert error.details["next_open"] == at("2026-12-01 09:00")
    refused(lobby, Issue("k", ("passport",)), at("2026-11-30 08:59"), "division_closed")
    assert issue(lobby, "passport", now=at("2026-11-30 16:59"))


def test_a_public_holiday_issues_nothing():
    state = DivisionState(small_office(), "main", LV_HOLIDAYS)
    holiday = at("2026-11-18 10:00")
    state.execute(OpenCounter("1", "c"), holiday)
    error = refused(state, Issue("k", ("passport",)), holiday, "division_closed")
    assert error.details["next_open"] == at("2026-11-19 09:00")


def test_the_estimate_warns_when_the_call_would_come_after_closing(lobby):
    late = at("2026-11-30 16:40")
    for _ in range(4):
        issue(lobby, "visa", now=late)
    last = lobby.visit(issue(lobby, "visa", now=late))
    assert last.past_closing
    assert last.estimate is not None and last.estimate >= at("2026-11-30 17:00")
    quote = lobby.quote(("collect",), None, late)
    assert quote.wait_ms == 0 and not quote.past_closing


# ----------------------------------------------------------------- call order


def test_call_next_follows_the_counters_service_order(lobby):
    a = issue(lobby, "passport", now=T0)
    b = issue(lobby, "collect", now=T0 + 1000)
    (called,) = lobby.execute(CallNext("2"), T0 + 2000)  # counter 2: collect first
    assert called.number == b
    (called,) = lobby.execute(CallNext("1"), T0 + 3000)
    assert called.number == a


def test_priority_before_appointment_before_arrival(lobby):
    plain = issue(lobby, "passport", now=T0)
    pregnant = issue(lobby, "passport", now=T0 + 1000, priority="pregnancy")
    disabled = issue(lobby, "passport", now=T0 + 2000, priority="disability")
    order = []
    for i in range(3):
        (called,) = lobby.execute(CallNext("1"), T0 + 10_000 + i)
        order.append(called.number)
        lobby.execute(Finish("1"), T0 + 20_000 + i)
    assert order == [disabled, pregnant, plain]


def test_a_second_service_keeps_the_original_arrival(lobby):
    two = issue(lobby, "collect", "residence", now=T0)
    later = issue(lobby, "residence", now=T0 + 60_000)
    lobby.execute(CallNext("2"), T0 + 70_000)  # takes the collect step of `two`
    lobby.execute(Finish("2"), T0 + 80_000)
    assert lobby.visit(two).status is Status.WAITING
    assert lobby.visit(two).service == "residence"
    (called,) = lobby.execute(CallNext("3"), T0 + 90_000)
    assert called.number == two, "the earlier arrival goes first, not to the back"
    assert lobby.visit(later).status is Status.WAITING


def test_an_empty_queue_is_refused(lobby):
    refused(lobby, CallNext("3"), T0, "queue_empty")


def test_counter_states_guard_calls(lobby):
    issue(lobby, "passport")
    refused(lobby, CallNext("9"), T0, "unknown_counter")
    lobby.execute(PauseCounter("1"), T0)
    refused(lobby, CallNext("1"), T0, "counter_paused")
    refused(lobby, PauseCounter("1"), T0, "counter_paused")
    lobby.execute(ResumeCounter("1"), T0)
    refused(lobby, ResumeCounter("1"), T0, "counter_not_paused")
    lobby.execute(CallNext("1"), T0)
    refused(lobby, CallNext("1"), T0, "counter_busy")
    refused(lobby, CloseCounter("1"), T0, "counter_busy")
    refused(lobby, PauseCounter("1"), T0, "counter_busy")
    refused(lobby, OpenCounter("1", "x"), T0, "counter_open")
    lobby.execute(Finish("1"), T0 + MIN)
    lobby.execute(CloseCounter("1"), T0 + MIN)
    refused(lobby, CloseCounter("1"), T0, "counter_closed")
    refused(lobby, CallNext("1"), T0, "counter_closed")
    assert lobby.counters["1"].clerk is None


def test_call_a_specific_number(lobby):
    first = issue(lobby, "passport", now=T0)
    second = issue(lobby, "passport", now=T0 + 1000)
    visa = issue(lobby, "visa", now=T0 + 2000)
    (called,) = lobby.execute(CallNumber("1", second), T0 + 3000)
    assert called.number == second
    assert lobby.visit(first).status is Status.WAITING
    lobby.execute(Finish("1"), T0 + 4000)
    refused(lobby, CallNumber("1", visa), T0 + 5000, "service_not_at_counter")
    refused(lobby, CallNumber("1", "Z999"), T0 + 5000, "unknown_visit")
    refused(lobby, CallNumber("1", second), T0 + 5000, "illegal_transition")


# ----------------------------------------------------------------- at the counter


def test_recall_has_a_limit(lobby):
    number = issue(lobby, "passport")
    lobby.execute(CallNext("1"), T0)
    lobby.execute(Recall("1"), T0 + 1000)
    lobby.execute(Recall("1"), T0 + 2000)
    assert lobby.visit(number).recalls == 2
    refused(lobby, Recall("1"), T0 + 3000, "recall_limit")
    lobby.execute(StartService("1"), T0 + 4000)
    refused(lobby, Recall("1"), T0 + 5000, "illegal_transition")
    refused(lobby, Recall("2"), T0 + 5000, "counter_idle")


def test_a_no_show_returns_once_within_the_grace(lobby):
    number = issue(lobby, "passport")
    lobby.execute(CallNext("1"), T0)
    lobby.execute(NoShow("1"), T0 + MIN)
    assert lobby.visit(number).status is Status.NO_SHOW
    assert lobby.counters["1"].current is None
    lobby.execute(ReturnVisit(number), T0 + 10 * MIN)
    visit = lobby.visit(number)
    assert visit.status is Status.WAITING and visit.returned
    lobby.execute(CallNext("1"), T0 + 11 * MIN)
    lobby.execute(NoShow("1"), T0 + 12 * MIN)
    refused(lobby, ReturnVisit(number), T0 + 13 * MIN, "already_returned")


def test_a_no_show_past_the_grace_cannot_return(lobby):
    number = issue(lobby, "passport")
    lobby.execute(CallNext("1"), T0)
    lobby.execute(NoShow("1"), T0 + MIN)
    refused(lobby, ReturnVisit(number), T0 + 17 * MIN, "grace_over")
    refused(lobby, CallNumber("1", number), T0 + 17 * MIN, "grace_over")
    (returned, called) = lobby.execute(CallNumber("1", number), T0 + 15 * MIN)
    assert isinstance(returned, e.VisitReturned) and isinstance(called, e.VisitCalled)


def test_finish_sends_a_multi_service_visit_on_and_ends_the_last_step(lobby):
    number = issue(lobby, "passport", "visa")
    lobby.execute(CallNext("1"), T0)
    lobby.execute(StartService("1"), T0 + MIN)
    lobby.execute(Finish("1"), T0 + 9 * MIN)
    visit = lobby.visit(number)
    assert visit.status is Status.WAITING and visit.service == "visa"
    assert visit.steps[0].outcome == "served" and visit.steps[0].clerk == "clerk1"
    lobby.execute(CallNext("3"), T0 + 10 * MIN)
    lobby.execute(Finish("3"), T0 + 20 * MIN)
    assert lobby.visit(number).status is Status.DONE
    assert lobby.visit(number).closed_at == T0 + 20 * MIN


def test_refusal_needs_a_configured_legal_reason_and_referral_an_authority(lobby):
    issue(lobby, "passport", "collect")
    lobby.execute(CallNext("1"), T0)
    refused(lobby, Finish("1", "refused"), T0, "reason_required")
    refused(lobby, Finish("1", "refused", reason="mood"), T0, "unknown_reason")
    refused(lobby, Finish("1", "referred", referral="  "), T0, "referral_required")
    refused(lobby, Finish("1", "shrug"), T0, "unknown_outcome")
    (done,) = lobby.execute(Finish("1", "refused", reason="fee", detail="no card"), T0 + MIN)
    assert done.reason == "fee"
    assert lobby.visit("A001").steps[0].outcome == "refused"
    assert lobby.visit("A001").status is Status.WAITING, "the next service still follows"


def test_ending_for_behaviour_ends_the_whole_visit(lobby):
    number = issue(lobby, "passport", "collect")
    lobby.execute(CallNext("1"), T0)
    lobby.execute(Finish("1", "behaviour"), T0 + MIN)
    visit = lobby.visit(number)
    assert visit.status is Status.DONE
    assert [s.outcome for s in visit.steps] == ["behaviour", "cancelled"]


def test_transfer_to_a_service_and_to_a_counter(lobby):
    other = issue(lobby, "collect")  # arrives first, but is not bound to a counter
    number = issue(lobby, "passport")
    lobby.execute(CallNumber("1", number), T0)
    refused(lobby, Transfer("1"), T0, "transfer_target_required")
    refused(lobby, Transfer("1", service="tea"), T0, "unknown_service")
    refused(lobby, Transfer("1", to_counter="7"), T0, "unknown_counter")
    lobby.execute(Transfer("1", service="visa"), T0 + MIN)
    visit = lobby.visit(number)
    assert [s.service for s in visit.steps] == ["passport", "visa"]
    assert visit.steps[0].outcome == "transferred" and visit.status is Status.WAITING
    lobby.execute(CallNext("3"), T0 + 2 * MIN)
    lobby.execute(Transfer("3", to_counter="2"), T0 + 3 * MIN)
    (called,) = lobby.execute(CallNext("2"), T0 + 4 * MIN)
    assert called.number == number, "a visit transferred to this counter comes first"
    assert lobby.next_for("1").number == other


def test_cancel_a_waiting_or_called_visit(lobby):
    a = issue(lobby, "passport")
    b = issue(lobby, "passport")
    lobby.execute(CancelVisit(a), T0)
    lobby.execute(CallNext("1"), T0)
    lobby.execute(CancelVisit(b), T0)
    assert lobby.counters["1"].current is None
    assert {lobby.visit(a).status, lobby.visit(b).status} == {Status.CANCELLED}
    refused(lobby, CancelVisit(a), T0, "illegal_transition")


# ----------------------------------------------------------------- undo


@pytest.mark.parametrize("action", ["call", "no_show", "finish", "transfer"])
def test_undo_puts_back_exactly_the_state_before_the_action(lobby, action):
    issue(lobby, "passport", "visa")
    issue(lobby, "passport")
    steps = {
        "call": [],
        "no_show": [CallNext("1")],
        "finish": [CallNext("1"), StartService("1")],
        "transfer": [CallNext("1")],
    }[action]
    for i, command in enumerate(steps):
        lobby.execute(command, T0 + i * 1000)
    doing = {
        "call": CallNext("1"),
        "no_show": NoShow("1"),
        "finish": Finish("1"),
        "transfer": Transfer("1", service="residence"),
    }[action]
    now = T0 + 9 * MIN
    before = lobby.snapshot()
    lobby.execute(doing, now)
    (undone,) = lobby.execute(Undo("1"), now + 30_000)
    assert undone.action == action
    after = lobby.snapshot()

    def comparable(snap):
        for v in snap["visits"]:
            v.pop("version")
        for k in snap["counters"]:
            k.pop("version")
            k.pop("last")
        return snap

    assert comparable(after) == comparable(before)
    refused(lobby, Undo("1"), now + 31_000, "nothing_to_undo")


def test_undo_has_a_window_and_stops_when_the_visit_moved_on(lobby):
    issue(lobby, "collect", "residence")
    lobby.execute(CallNext("2"), T0)
    lobby.execute(Finish("2"), T0 + MIN)
    refused(lobby, Undo("2"), T0 + MIN + 61_000, "undo_window_over")
    lobby.execute(CallNext("3"), T0 + MIN + 1000)  # another counter took the next step
    refused(lobby, Undo("2"), T0 + MIN + 2000, "undo_superseded")


def test_undoing_a_finish_forgets_the_learned_duration():
    state = DivisionState(small_office(learned_min_samples=1), "main", LV_HOLIDAYS)
    state.execute(OpenCounter("1", "c"), T0)
    issue(state, "collect")
    state.execute(CallNext("1"), T0)
    state.execute(Finish("1"), T0 + 30 * MIN)
    assert state.durations.expected("collect") == 30 * MIN
    state.execute(Undo("1"), T0 + 30 * MIN + 1000)
    assert state.durations.expected("collect") == 4 * MIN


# ----------------------------------------------------------------- the day


def test_a_new_day_expires_what_was_left_open(lobby):
    waiting = issue(lobby, "passport")
    serving = issue(lobby, "collect")
    lobby.execute(CallNext("2"), T0)
    tick = lobby.tick(at("2026-12-01 07:00"))
    assert [type(x) for x in tick] == [e.DayClosed, e.DayOpened]
    assert set(tick[0].expired) == {waiting, serving}
    for event in tick:
        lobby.apply(event)
    assert lobby.visits == {} and lobby.counters["2"].current is None
    assert lobby.tick(at("2026-12-01 08:00")) == []


def test_a_command_on_a_new_day_without_its_tick_is_refused(lobby):
    with pytest.raises(DomainError) as caught:
        lobby.handle(CallNext("1"), at("2026-12-01 09:00"))
    assert caught.value.code == "stale_day"


# ----------------------------------------------------------------- rating


def test_a_finished_visit_is_rated_once_with_known_tags(lobby):
    number = issue(lobby, "passport")
    refused(lobby, RateVisit(number, 5), T0, "not_finished")
    lobby.execute(CallNext("1"), T0)
    lobby.execute(Finish("1"), T0 + MIN)
    refused(lobby, RateVisit(number, 6), T0 + MIN, "invalid_rating")
    refused(lobby, RateVisit(number, 4, ("tasty",)), T0 + MIN, "invalid_rating")
    refused(lobby, RateVisit(number, 4, ("quick", "quick")), T0 + MIN, "invalid_rating")
    refused(lobby, RateVisit("A999", 4), T0 + MIN, "unknown_visit")
    (rated,) = lobby.execute(RateVisit(number, 4, ("polite", "long_wait")), T0 + 2 * MIN)
    assert (rated.stars, rated.tags) == (4, ("polite", "long_wait"))
    assert lobby.visit(number).rating == 4
    refused(lobby, RateVisit(number, 1), T0 + 3 * MIN, "already_rated")


def test_a_printer_status_is_recorded_when_it_changes_and_kept_across_days(lobby):
    (reported,) = lobby.execute(ReportPrinter("d1", "paper_out"), T0)
    assert (reported.device, reported.status) == ("d1", "paper_out")
    assert lobby.execute(ReportPrinter("d1", "paper_out"), T0 + MIN) == []
    refused(lobby, ReportPrinter("d1", "on fire"), T0, "unknown_printer_status")
    lobby.execute(OpenCounter("1", "c"), at("2026-12-01 09:00"))
    assert lobby.printers == {"d1": "paper_out"}
