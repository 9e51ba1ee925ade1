"""Booked visits, reception-hour exceptions and the estimate, through the core."""

from __future__ import annotations

from queue_server.core import DivisionState, Status
from queue_server.core import events as e
from queue_server.core.commands import (
    Book,
    CallNext,
    CancelBooking,
    CheckIn,
    ClearHoursException,
    Finish,
    Issue,
    MoveBooking,
    OpenCounter,
    SetHoursException,
    StartService,
)
from queue_server.core.estimate import Busy, forecast
from queue_server.core.ordering import order_key
from queue_server.core.visit import Step, Visit
from tests.conftest import LV_HOLIDAYS, at, small_office
from tests.test_core_visits import MIN, T0, issue, refused

DUE = at("2026-11-30 10:00")


def booked(state: DivisionState, code: str = "BK1", due: int = DUE, **kw: object) -> None:
    state.execute(Book(code, ("passport",), due, **kw), T0 - 30 * MIN)  # type: ignore[arg-type]


def test_book_and_check_in_on_time(lobby):
    booked(lobby)
    (issued,) = lobby.execute(CheckIn("tap", "BK1"), DUE - 5 * MIN)
    assert issued.appointment == "BK1" and issued.due == DUE
    assert lobby.appointments["BK1"].status.value == "checked_in"
    assert lobby.appointments["BK1"].number == issued.number
    refused(lobby, CheckIn("tap2", "BK1"), DUE, "appointment_used")
    assert lobby.execute(CheckIn("tap", "BK1"), DUE) == [], "a retried tap is idempotent"


def test_a_booked_visit_goes_before_walk_ins_of_the_same_priority(lobby):
    walk_in = issue(lobby, "passport", now=T0)
    booked(lobby)
    (issued,) = lobby.execute(CheckIn("tap", "BK1"), DUE - MIN)
    (called,) = lobby.execute(CallNext("1"), DUE)
    assert called.number == issued.number
    assert lobby.visit(walk_in).status is Status.WAITING


def test_check_in_windows(lobby):
    booked(lobby)
    error = refused(lobby, CheckIn("t", "BK1"), DUE - 31 * MIN, "appointment_too_early")
    assert error.details["check_in_from"] == DUE - 30 * MIN
    refused(lobby, CheckIn("t", "BK1"), DUE + 11 * MIN, "appointment_too_late")
    refused(lobby, CheckIn("t", "nope"), DUE, "unknown_appointment")
    lobby.execute(CheckIn("t", "BK1"), DUE + 10 * MIN)


def test_a_booking_for_another_day_does_not_check_in(lobby):
    booked(lobby, "BK2", at("2026-12-01 10:00"))
    refused(lobby, CheckIn("t", "BK2"), DUE, "appointment_not_today")


def test_slots_must_be_free_on_the_grid_and_within_hours(lobby):
    booked(lobby)
    refused(lobby, Book("X", ("passport",), DUE), T0, "slot_full")
    refused(lobby, Book("BK1", ("passport",), DUE + 15 * MIN), T0, "appointment_code_taken")
    refused(lobby, Book("X", ("passport",), DUE + 5 * MIN), T0, "slot_invalid")
    refused(lobby, Book("X", ("passport",), at("2026-11-30 08:30")), T0, "slot_invalid")
    refused(lobby, Book("X", ("passport",), at("2026-11-30 17:00")), T0, "slot_invalid")
    refused(lobby, Book("X", ("passport",), at("2026-11-18 10:00")), T0, "slot_invalid")
    refused(lobby, Book("X", ("passport",), T0 - 15 * MIN), T0, "slot_invalid")
    refused(lobby, Book("X", ("tea",), DUE), T0, "unknown_service")
    refused(lobby, Book("X", (), DUE), T0, "no_services")
    refused(lobby, Book("X", ("passport",), DUE + 15 * MIN, "vip"), T0, "unknown_priority")
    lobby.execute(Book("X", ("collect",), DUE), T0)  # another service's slot is free


def test_move_and_cancel_a_booking(lobby):
    booked(lobby)
    lobby.execute(MoveBooking("BK1", DUE + 30 * MIN), T0)
    assert lobby.appointments["BK1"].due == DUE + 30 * MIN
    lobby.execute(Book("BK2", ("passport",), DUE), T0)  # the old slot is free again
    lobby.execute(CancelBooking("BK1"), T0)
    refused(lobby, CancelBooking("BK1"), T0, "appointment_used")
    refused(lobby, MoveBooking("BK1", DUE), T0, "appointment_used")


def test_bookings_outlive_the_day_they_were_made_in(lobby):
    booked(lobby, "LATER", at("2026-12-02 11:00"))
    booked(lobby, "TODAY")
    wednesday = at("2026-12-02 10:45")
    lobby.execute(OpenCounter("1", "c"), wednesday)
    assert set(lobby.appointments) == {"LATER"}
    (issued,) = lobby.execute(CheckIn("t", "LATER"), wednesday)
    assert issued.number == "A001"


def test_an_exception_closes_a_day_and_clearing_it_reopens(lobby):
    lobby.execute(SetHoursException("2026-11-30", None, None, "water leak"), T0)
    refused(lobby, Issue("k", ("passport",)), T0 + MIN, "division_closed")
    lobby.execute(ClearHoursException("2026-11-30"), T0 + MIN)
    assert issue(lobby, "passport", now=T0 + 2 * MIN)
    assert lobby.execute(ClearHoursException("2026-11-30"), T0 + 3 * MIN) == []


def test_an_exception_shortens_a_day(lobby):
    lobby.execute(SetHoursException("2026-11-30", 9 * 60, 12 * 60), T0)
    refused(lobby, Issue("k", ("passport",)), at("2026-11-30 12:00"), "division_closed")
    refused(lobby, SetHoursException("2026-11-30", 12 * 60, 9 * 60), T0, "invalid_hours")
    refused(lobby, SetHoursException("2026-11-30", 9 * 60, None), T0, "invalid_hours")
    refused(lobby, SetHoursException("30.11.2026", None, None), T0, "invalid_hours")


def test_the_pre_holiday_day_stops_issuing_an_hour_early():
    state = DivisionState(small_office(), "main", LV_HOLIDAYS)
    state.execute(OpenCounter("1", "c"), at("2026-11-17 09:00"))
    assert issue(state, "passport", now=at("2026-11-17 15:59"))
    refused(state, Issue("k", ("passport",)), at("2026-11-17 16:00"), "division_closed")


# ----------------------------------------------------------------- estimates


def test_estimates_follow_counters_and_learned_durations(lobby):
    numbers = [issue(lobby, "visa", now=T0 + i) for i in range(3)]  # only counter 3 serves visa
    found = lobby.estimates(T0 + 10)
    assert [found[n] - (T0 + 10) for n in numbers] == [0, 15 * MIN, 30 * MIN]


def test_estimates_use_the_learned_figure_once_there_are_enough_samples():
    state = DivisionState(small_office(learned_min_samples=2), "main", LV_HOLIDAYS)
    state.execute(OpenCounter("3", "c"), T0)
    for i in range(2):
        issue(state, "visa", now=T0 + i * 20 * MIN)
        state.execute(CallNext("3"), T0 + i * 20 * MIN)
        state.execute(StartService("3"), T0 + i * 20 * MIN)
        state.execute(Finish("3"), T0 + i * 20 * MIN + 5 * MIN)
    assert state.durations.expected("visa") == 5 * MIN
    now = T0 + 60 * MIN
    a, b = issue(state, "visa", now=now), issue(state, "visa", now=now)
    assert state.visit(b).estimate - state.visit(a).estimate == 5 * MIN


def test_the_forecast_keeps_a_second_service_in_its_arrival_place(office):
    counters = office.divisions["main"].counters
    first = Visit("A001", "k", 1, 0, [Step("collect"), Step("visa")])
    later = Visit("D001", "k2", 2, 10, [Step("visa")])
    found = forecast(
        [Busy(counters[1], 0), Busy(counters[2], 0)],
        [(order_key(first, {}), first, 0, 0), (order_key(later, {}), later, 0, 0)],
        {"collect": 4 * MIN, "visa": 15 * MIN, "passport": 10 * MIN, "residence": 6 * MIN},
    )
    assert found == {"A001": 0, "D001": 0}
    # With one visa counter, busy until 1 min, the first visit's visa step (ready
    # at 4 min) still comes after D001, which is ready from the start.
    found = forecast(
        [Busy(counters[1], 0), Busy(counters[2], MIN)],
        [(order_key(first, {}), first, 0, 0), (order_key(later, {}), later, 0, 0)],
        {"collect": 4 * MIN, "visa": 15 * MIN},
    )
    assert found == {"A001": 0, "D001": MIN}


def test_no_open_counter_means_no_estimate(lobby):
    number = issue(lobby, "visa")
    assert number in lobby.estimates(T0)
    assert lobby.quote(("visa",), None, T0).wait_ms == 15 * MIN
    for event in (e.CounterClosed(at=T0, counter="3"),):
        lobby.apply(event)
    assert number not in lobby.estimates(T0)
    assert lobby.quote(("visa",), None, T0).call_at is None
