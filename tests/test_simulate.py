"""The day simulation: deterministic, through the real core, and its report adds up."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

import pytest

from queue_server.core import FINAL, DivisionState
from queue_server.core import events as e
from queue_server.simulate import (
    DayReport,
    DivisionClosedError,
    MemoryLobby,
    Scenario,
    SimulationError,
    simulate_day,
)
from queue_server.simulate.arrivals import Window, walk_in_times
from queue_server.simulate.cli import main_simulate, next_working_day
from tests.conftest import LV_HOLIDAYS, at, small_office

MONDAY = date(2026, 11, 30)
#: The day before Proclamation Day (18 November): the small office closes at 16:00.
PRE_HOLIDAY = date(2026, 11, 17)
DOCS = Path(__file__).resolve().parents[1] / "docs" / "simulation.md"

REPORT_KEYS = {
    "division",
    "day",
    "seed",
    "visits_target",
    "visits",
    "outcomes",
    "kiosk",
    "appointments",
    "wait",
    "services",
    "counters",
    "utilisation",
    "estimate",
    "by_hour",
    "commands",
    "events",
}


def run(
    day: date = MONDAY, seed: int = 7, **params: object
) -> tuple[DayReport, list[e.Event], DivisionState]:
    """Simulate a day at the small office's ``main``; keep the log and the state before
    the day is closed (so the visits can be inspected)."""
    log: list[e.Event] = []
    state = DivisionState(small_office(), "main", LV_HOLIDAYS)
    scenario = Scenario(close_day=False, **params)  # type: ignore[arg-type]
    report = simulate_day(
        small_office(),
        "main",
        day,
        scenario,
        seed,
        LV_HOLIDAYS,
        lobby=MemoryLobby(state, log.extend),
    )
    return report, log, state


@pytest.fixture(scope="module")
def busy_day() -> tuple[DayReport, list[e.Event], DivisionState]:
    """A busy Monday with every kind of visit and ending, at a higher rate than usual."""
    return run(
        visits=140,
        priority_share=0.1,
        appointment_share=0.25,
        no_show_share=0.1,
        no_show_return_share=0.5,
        cancel_share=0.05,
        transfer_share=0.08,
        refusal_share=0.05,
        referral_share=0.05,
    )


def test_the_same_seed_gives_the_same_report_and_another_seed_another():
    office = small_office()
    first = simulate_day(office, "main", MONDAY, Scenario(), 3, LV_HOLIDAYS)
    again = simulate_day(office, "main", MONDAY, Scenario(), 3, LV_HOLIDAYS)
    other = simulate_day(office, "main", MONDAY, Scenario(), 4, LV_HOLIDAYS)
    assert first.to_dict() == again.to_dict()
    assert first.to_dict() != other.to_dict()


def test_every_issued_visit_ends_in_exactly_one_state_counted_once(busy_day):
    report, log, state = busy_day
    issued = [ev.number for ev in log if isinstance(ev, e.VisitIssued)]
    assert len(issued) == len(set(issued)) == len(state.visits) == report.visits["issued"]
    by_status = {s: 0 for s in ("done", "no_show", "cancelled", "expired")}
    still_open = 0
    for visit in state.visits.values():
        if visit.status in FINAL:
            by_status[visit.status.value] += 1
        else:
            still_open += 1
    assert {k: report.visits[k] for k in by_status} == by_status
    assert report.visits["open"] == still_open
    assert sum(by_status.values()) + still_open == report.visits["issued"]
    assert by_status["no_show"] and by_status["cancelled"] and report.visits["returned"]


def test_closing_the_day_expires_what_is_still_open():
    """An overloaded day without overtime leaves visits; the core's day close expires them."""
    office = small_office()
    log: list[e.Event] = []
    scenario = Scenario(visits=250, overtime_ms=0)
    report = simulate_day(office, "main", MONDAY, scenario, 5, LV_HOLIDAYS, commit=log.extend)
    closed = [ev for ev in log if isinstance(ev, e.DayClosed)]
    assert len(closed) == 1 and closed[0].day == MONDAY.isoformat()
    assert report.visits["open"] == 0
    assert report.visits["expired"] == len(closed[0].expired) > 0
    final = sum(report.visits[k] for k in ("done", "no_show", "cancelled", "expired"))
    assert final == report.visits["issued"]


def test_waits_and_service_times_are_never_negative(busy_day):
    report, log, state = busy_day
    issued_at = {ev.number: ev.at for ev in log if isinstance(ev, e.VisitIssued)}
    for ev in log:
        if isinstance(ev, e.VisitCalled):
            assert ev.at >= issued_at[ev.number]
    for visit in state.visits.values():
        for step in visit.steps:
            if step.called_at is not None:
                assert step.queued_at is not None and step.called_at >= step.queued_at
    spreads = [report.wait] + [f.wait for f in report.services.values()]
    spreads += [f.service for f in report.services.values()]
    for spread in spreads:
        if spread.count:
            assert 0 <= spread.mean <= spread.max and 0 <= spread.median <= spread.p90


def test_no_ticket_is_issued_outside_reception_hours():
    """On a pre-holiday day the hours end early; late booked visitors are refused."""
    report, log, state = run(
        PRE_HOLIDAY, seed=2, visits=120, appointment_share=0.5, appointment_too_late=0.6
    )
    open_ms, close_ms = state.hours.span_ms(PRE_HOLIDAY) or (0, 0)
    assert close_ms == at("2026-11-17 16:00")
    issued = [ev for ev in log if isinstance(ev, e.VisitIssued)]
    assert issued and all(open_ms <= ev.at < close_ms for ev in issued)
    assert report.kiosk.get("division_closed", 0) > 0
    assert report.appointments["too_late"] > 0


def test_several_services_are_served_in_the_order_chosen(busy_day):
    report, log, state = busy_day
    chosen = {ev.number: ev.services for ev in log if isinstance(ev, e.VisitIssued)}
    several = [v for v in state.visits.values() if len(chosen[v.number]) > 1]
    assert len(several) == report.visits["several_services"] > 5
    for visit in several:
        steps = visit.steps
        # A transfer inserts its step right after the step it ended.
        own = [
            s.service
            for i, s in enumerate(steps)
            if i == 0 or steps[i - 1].outcome != "transferred"
        ]
        assert own == list(chosen[visit.number])
        times = [s.called_at for s in visit.steps if s.called_at is not None]
        assert times == sorted(times)
        for before, after in zip(visit.steps, visit.steps[1:], strict=False):
            if after.called_at is not None:
                assert before.finished_at is not None and before.finished_at <= after.called_at


def test_clerks_open_pause_for_lunch_and_close_through_the_core(busy_day):
    _, log, _ = busy_day
    kinds = [type(ev) for ev in log]
    assert kinds.count(e.CounterOpened) == 3
    assert kinds.count(e.CounterPaused) == kinds.count(e.CounterResumed) == 3
    assert kinds.count(e.CounterClosed) == 3


def test_the_report_counts_the_mix_of_visits_and_endings(busy_day):
    report, log, _ = busy_day
    v, o = report.visits, report.outcomes
    assert v["walk_in"] + v["booked"] == v["issued"]
    assert v["booked"] and v["priority"] and v["several_services"]
    assert o["served"] and o["refused"] and o["referred"] and o["transferred"] and o["no_show"]
    assert report.appointments["booked"] >= v["booked"]
    assert report.events == len(log)
    assert 0 < report.utilisation <= 1
    assert all(0 <= k.utilisation <= 1 for k in report.counters.values())
    assert report.estimate.samples == report.wait.count
    assert report.estimate.mean_abs_min >= 0 and report.estimate.p90_abs_min >= 0


def test_the_json_report_has_the_documented_keys(busy_day):
    report, _, _ = busy_day
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert set(data) == REPORT_KEYS
    documented = set(re.findall(r"^\| `([a-z0-9_]+)`", DOCS.read_text(encoding="utf-8"), re.M))
    nested = {
        *data["visits"],
        *data["outcomes"],
        *data["appointments"],
        *data["wait"],
        *data["estimate"],
    }
    assert documented >= REPORT_KEYS
    assert nested <= documented, nested - documented
    assert set(data["wait"]) == {"count", "mean", "median", "p90", "max"}
    text = report.to_text()
    assert "estimate error" in text and "utilisation" in text


def test_arrivals_follow_the_day_shape_and_stay_within_hours():
    import random

    scenario = Scenario()
    window = Window(at("2026-11-30 08:00"), at("2026-11-30 20:00"), 8 * 60)
    times = walk_in_times(scenario, window, 6000, random.Random(1))
    assert abs(len(times) - 6000) < 4 * 6000**0.5
    assert all(window.open_ms <= t < window.close_ms for t in times)
    per_hour = [0] * 12
    for t in times:
        per_hour[int(window.minute(t) // 60) - 8] += 1
    assert per_hour[2] > 1.5 * per_hour[0]  # 10:00, the morning peak, against 8:00
    assert per_hour[6] > 1.5 * per_hour[11]  # 14:00, after lunch, against 19:00


def test_a_closed_day_cannot_be_simulated():
    sunday = date(2026, 11, 29)
    with pytest.raises(DivisionClosedError):
        simulate_day(small_office(), "main", sunday, Scenario(), 1, LV_HOLIDAYS)


def test_a_day_already_used_in_the_lobby_is_refused():
    state = DivisionState(small_office(), "main", LV_HOLIDAYS)
    lobby = MemoryLobby(state)
    simulate_day(small_office(), "main", MONDAY, Scenario(), 1, LV_HOLIDAYS, lobby=lobby)
    with pytest.raises(SimulationError):
        simulate_day(small_office(), "main", MONDAY, Scenario(), 1, LV_HOLIDAYS, lobby=lobby)
    tuesday = simulate_day(
        small_office(), "main", date(2026, 12, 1), Scenario(), 1, LV_HOLIDAYS, lobby=lobby
    )
    assert tuesday.visits["issued"] > 0


def test_a_day_through_the_store_matches_the_day_in_memory(tmp_path):
    """Every command goes through the durable store; the report and the log agree."""
    from queue_server.simulate import StoreLobby
    from queue_server.store import Store

    office = small_office()
    memory = simulate_day(office, "main", MONDAY, Scenario(), 11, LV_HOLIDAYS)
    with Store.open(tmp_path / "rinda.db", office, LV_HOLIDAYS) as store:
        stored = simulate_day(
            office, "main", MONDAY, Scenario(), 11, LV_HOLIDAYS, lobby=StoreLobby(store, "main")
        )
        logged = store.events_since(0, "main")
    assert stored.to_dict() == memory.to_dict()
    assert len(logged) == stored.events
    assert [c.seq for c in logged] == sorted(c.seq for c in logged)
    with Store.open(tmp_path / "rinda.db", office, LV_HOLIDAYS) as reopened:
        assert reopened.states["main"].day == "2026-12-01"


def test_the_default_configuration_simulates_riga_1st_division():
    from queue_server.config import load_office

    office = load_office()
    report = simulate_day(office, "riga-1", MONDAY, Scenario(), 1, LV_HOLIDAYS)
    assert report.visits["issued"] > 200
    assert set(report.counters) == {k.id for k in office.divisions["riga-1"].counters}
    first, last = report.by_hour[0], report.by_hour[-1]
    assert (first.hour, last.hour) == (8, 19)


def test_the_command_prints_json_and_explains_bad_options(capsys):
    assert main_simulate(["--division", "riga-1-sigulda", "--date", "2026-12-02", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["division"] == "riga-1-sigulda" and data["day"] == "2026-12-02"
    assert main_simulate(["--division", "nowhere"]) == 2
    assert "no division 'nowhere'" in capsys.readouterr().err
    assert main_simulate(["--division", "riga-1-sigulda", "--date", "2026-12-01"]) == 1
    assert "closed" in capsys.readouterr().err


def test_the_command_runs_through_a_database(tmp_path, capsys):
    db = str(tmp_path / "sim.db")
    args = ["--division", "riga-1-sigulda", "--date", "2026-12-02", "--visits", "30"]
    assert main_simulate([*args, "--db", db]) == 0
    assert "Simulated day at riga-1-sigulda on 2026-12-02" in capsys.readouterr().out
    assert main_simulate([*args, "--db", db]) == 1
    assert "already has events" in capsys.readouterr().err


def test_the_next_working_day_skips_weekends_holidays_and_closed_weekdays():
    from queue_server.config import load_office

    office = load_office()
    friday = date(2026, 11, 27)
    assert next_working_day(office, "riga-1", LV_HOLIDAYS, friday) == MONDAY
    assert next_working_day(office, "riga-1-sigulda", LV_HOLIDAYS, MONDAY) == date(2026, 12, 2)
    # 18 November 2026 is Proclamation Day.
    assert next_working_day(office, "riga-1", LV_HOLIDAYS, date(2026, 11, 17)) == date(2026, 11, 19)


def test_the_text_report_is_printed_by_run():
    import argparse

    from queue_server.simulate.cli import add_parser

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    args = parser.parse_args(
        ["simulate", "--division", "riga-1-sigulda", "--date", "2026-12-02", "--seed", "3"]
    )
    out = io.StringIO()
    assert args.handler(args, out) == 0
    assert "issue to first call" in out.getvalue()


@pytest.mark.parametrize(
    "params",
    [{"visits": 0}, {"no_show_share": 1.5}, {"walk_ms": (60_000, 1_000)}, {"referrals": ()}],
)
def test_a_scenario_out_of_range_is_refused_with_the_field_named(params):
    with pytest.raises(ValueError, match=next(iter(params)).split("_")[0]):
        Scenario(**params)
