"""Statistics over real SQLite files written by the real store.

A hand-made week (a Friday, a Monday of five visits, a Tuesday) is committed
command by command through ``Store.execute``; the expected figures are computed
here from the instants the test itself chose. A simulated day through the store
(with ratings and undone misclicks on top) is checked against the simulation's
own report, which is counted from the event stream.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import random
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from conftest import LV_HOLIDAYS, at, small_office
from sqlite_utils import Database

from queue_server.cli import main as server_main
from queue_server.core import DivisionState, DomainError, Status
from queue_server.core import commands as c
from queue_server.core import events as e
from queue_server.core.visit import RATING_TAGS
from queue_server.simulate import Scenario, StoreLobby, simulate_day
from queue_server.simulate.cli import main_simulate
from queue_server.stats import (
    TABLE_NAMES,
    Period,
    ServiceTarget,
    StatsError,
    open_read_only,
    p90,
    period_days,
    report,
    report_file,
    tables,
    to_csv,
)
from queue_server.stats.read import STEPS, UNDONE, local_hour
from queue_server.store import Store

MIN = 60_000
PERSONAL = ("Jānis", "Bērziņš", "20000000", "Mr X", "photo")


@dataclass(frozen=True)
class Step:
    """A step of the hand-made data as the test expects it: when it queued and was called."""

    day: str
    service: str
    queued: str
    called: str | None
    counter: str | None = None
    clerk: str | None = None


# The steps the hand-made commands below produce, with the instants chosen for them.
FRIDAY = [Step("2026-11-27", "passport", "10:00", "10:06", "1", "anna")]
MONDAY = [
    Step("2026-11-30", "passport", "09:00", "09:04", "1", "anna"),  # A001 served
    Step("2026-11-30", "passport", "09:02", "09:06", "2", "berta"),  # A002 refused
    Step("2026-11-30", "residence", "09:05", "09:07", "3", "chris"),  # C001 step 1
    Step("2026-11-30", "visa", "09:17", "09:17", "3", "chris"),  # C001 step 2
    Step("2026-11-30", "passport", "09:12", "09:15", "1", "anna"),  # A003 no-show
    Step("2026-11-30", "collect", "09:10", "09:21", "2", "berta"),  # B001, after an undo
]
TUESDAY = [
    Step("2026-12-01", "passport", "09:00", "09:03", "1", "dita"),  # A001 transferred
    Step("2026-12-01", "collect", "09:10", "09:12", "1", "dita"),  # A001 served
    Step("2026-12-01", "collect", "16:55", None),  # B001 never called: expired
]


def wait_ms(step: Step) -> int:
    assert step.called is not None
    return at(f"{step.day} {step.called}") - at(f"{step.day} {step.queued}")


def minutes(ms: float) -> float:
    return round(ms / MIN, 2)


class Lobby:
    """Commands to division ``main`` of a store, at local Riga times."""

    def __init__(self, store: Store, day: str) -> None:
        self.store = store
        self.day = day

    def __call__(self, when: str, command: c.Command) -> list[e.Event]:
        return [x.event for x in self.store.execute("main", command, at(f"{self.day} {when}"))]

    def issue(self, when: str, *services: str) -> str:
        found = self(when, c.Issue(f"{self.day}-{when}-{services}", services))
        return next(ev.number for ev in found if isinstance(ev, e.VisitIssued))


def called(found: list[e.Event]) -> str:
    return next(ev.number for ev in found if isinstance(ev, e.VisitCalled))


def build_week(path: Path) -> None:
    """Friday 27 November, Monday 30 November and Tuesday 1 December 2026 at ``main``."""
    with Store.open(path, small_office(), LV_HOLIDAYS) as store:
        fri = Lobby(store, "2026-11-27")
        fri("08:50", c.OpenCounter("1", "anna"))
        fri.issue("10:00", "passport")
        fri("10:06", c.CallNext("1"))
        fri("10:20", c.Finish("1", "referred", referral="State Revenue Service"))

        mon = Lobby(store, "2026-11-30")
        for counter, clerk in (("1", "anna"), ("2", "berta"), ("3", "chris")):
            mon("08:50", c.OpenCounter(counter, clerk))
        mon("08:55", c.Book("BK1", ("passport",), at("2026-11-30 11:00")))
        store.add_booking_contact(
            "main", "BK1", "Jānis Bērziņš", "+371 20000000", at("2026-11-30 08:55")
        )
        a001 = mon.issue("09:00", "passport")
        mon.issue("09:02", "passport")
        assert called(mon("09:04", c.CallNext("1"))) == a001
        c001 = mon.issue("09:05", "residence", "visa")
        mon("09:05", c.StartService("1"))
        mon("09:06", c.CallNext("2"))
        mon("09:07", c.CallNext("3"))
        b001 = mon.issue("09:10", "collect")
        mon.issue("09:12", "passport")
        mon("09:15", c.Finish("1"))
        mon("09:15", c.CallNext("1"))
        mon("09:16", c.RateVisit(a001, 3, ("long_wait",)))
        mon("09:17", c.Finish("3"))
        mon("09:17", c.CallNext("3"))
        mon("09:20", c.NoShow("1"))
        mon("09:20", c.Finish("2", "refused", "documents", detail="Mr X forgot the photo"))
        mon("09:20", c.CallNext("1"))
        mon("09:20:30", c.Undo("1"))
        assert called(mon("09:21", c.CallNext("2"))) == b001
        mon("09:25", c.Finish("2"))
        mon("09:26", c.RateVisit(b001, 4, ("quick",)))
        mon("09:27", c.Finish("3"))
        mon("09:28", c.RateVisit(c001, 5, ("polite", "quick")))

        tue = Lobby(store, "2026-12-01")
        tue("08:50", c.OpenCounter("1", "dita"))
        tue.issue("09:00", "passport")
        tue("09:03", c.CallNext("1"))
        tue("09:10", c.Transfer("1", service="collect"))
        tue("09:12", c.CallNext("1"))
        tue("09:15", c.Finish("1"))
        tue.issue("16:55", "collect")
        store.tick("main", at("2026-12-02 07:00"))  # the night closes Tuesday: B001 expires


@pytest.fixture(scope="module")
def week_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stats") / "rinda.sqlite"
    build_week(path)
    return path


@pytest.fixture
def db(week_file: Path):
    found = open_read_only(week_file)
    yield found
    found.close()


# ------------------------------------------------------------------ the hand-made day


def test_a_day_counts_visits_waits_p90_and_service_times_from_known_instants(db):
    day = report(db, "main", "day", "2026-11-30")
    waits = sorted(wait_ms(s) for s in MONDAY)
    assert waits == [0, 2 * MIN, 3 * MIN, 4 * MIN, 4 * MIN, 11 * MIN]
    summary = day.summary
    assert (day.first_day, day.last_day) == ("2026-11-30", "2026-11-30")
    assert summary.visits == 5 and summary.called == 6
    assert summary.wait_mean_min == minutes(sum(waits) / len(waits)) == 4.0
    # Nearest rank: the ceil(0.9 * 6) = 6th smallest wait.
    assert summary.wait_p90_min == minutes(waits[math.ceil(0.9 * 6) - 1]) == 11.0
    assert summary.wait_max_min == 11.0
    # Served/refused steps, from the start of service (or the call without one):
    # A001 09:05-09:15, A002 09:06-09:20, C001 09:07-09:17 and 09:17-09:27, B001 09:21-09:25.
    assert summary.service_mean_min == minutes((10 + 14 + 10 + 10 + 4) * MIN / 5)
    assert (summary.served, summary.refused, summary.no_shows, summary.undone) == (4, 1, 1, 1)
    assert (summary.transferred, summary.expired, summary.cancelled, summary.open) == (0, 0, 0, 0)


def test_each_service_counter_and_clerk_gets_its_own_row(db):
    day = report(db, "main", Period.DAY, date(2026, 11, 30))
    services = {row.name: row for row in day.services}
    assert set(services) == {"passport", "residence", "visa", "collect"}
    passport = [wait_ms(s) for s in MONDAY if s.service == "passport"]
    assert services["passport"].visits == 3
    assert services["passport"].wait_mean_min == minutes(sum(passport) / 3)
    assert services["passport"].no_shows == 1 and services["passport"].refused == 1
    assert services["passport"].undone is None  # an undo belongs to a counter
    clerks = {row.name: row for row in day.clerks}
    for clerk in ("anna", "berta", "chris"):
        mine = [wait_ms(s) for s in MONDAY if s.clerk == clerk]
        assert clerks[clerk].called == len(mine)
        assert clerks[clerk].wait_mean_min == minutes(sum(mine) / len(mine))
    assert [row.name for row in day.counters] == ["1", "2", "3"]
    assert clerks["anna"].undone == 1 and clerks["berta"].undone == 0
    assert [row.undone for row in day.counters] == [1, 0, 0]
    # A rating counts for every step of the visit it rates.
    assert (clerks["anna"].ratings, clerks["anna"].rating_mean) == (1, 3.0)
    assert (clerks["chris"].ratings, clerks["chris"].rating_mean) == (2, 5.0)


def test_refusals_by_reason_undone_actions_and_ratings(db):
    day = report(db, "main", "day", "2026-11-30")
    assert [(r.name, r.count, r.share) for r in day.refusals] == [("documents", 1, 1.0)]
    assert day.referrals == ()
    assert [(u.counter, u.clerk, u.action, u.count) for u in day.undone] == [
        ("1", "anna", "call", 1)
    ]
    ratings = day.ratings
    assert (ratings.count, ratings.mean) == (3, 4.0)
    assert ratings.distribution == (0, 0, 1, 1, 1)
    assert list(ratings.tags) == list(RATING_TAGS)
    assert {t: n for t, n in ratings.tags.items() if n} == {"long_wait": 1, "quick": 2, "polite": 1}
    assert (day.summary.ratings, day.summary.rating_mean) == (3, 4.0)


def test_the_service_target_counts_waits_within_the_minutes(db):
    waits = [wait_ms(s) for s in MONDAY]
    for minutes_, share, expected_within in ((20, 0.9, 6), (4, 0.8, 5), (3, 0.5, 3)):
        day = report(db, "main", "day", "2026-11-30", ServiceTarget(minutes_, share))
        assert expected_within == sum(w <= minutes_ * MIN for w in waits)
        target = day.target
        assert (target.counted, target.within) == (6, expected_within)
        assert target.achieved == round(expected_within / 6, 4)
        assert target.met is (expected_within / 6 >= share)
        assert (target.days_counted, target.days_met) == (1, int(target.met))


def test_arrivals_and_waits_per_hour_of_the_day(db):
    day = report(db, "main", "day", "2026-11-30")
    assert [h.hour for h in day.hours] == [9]
    hour = day.hours[0]
    assert (hour.arrivals, hour.arrivals_per_day, hour.called) == (5, 5.0, 6)
    assert hour.wait_mean_min == 4.0 and hour.wait_p90_min == 11.0 and hour.target_share == 1.0


# ----------------------------------------------------------------- weeks and months


def test_a_week_runs_monday_to_sunday_around_any_of_its_days(db):
    week = report(db, "main", "week", "2026-12-03")  # a Thursday
    assert (week.first_day, week.last_day) == ("2026-11-30", "2026-12-06")
    assert [d.name for d in week.days][0::6] == ["2026-11-30", "2026-12-06"]
    assert len(week.days) == 7
    assert week.summary.visits == 5 + 2  # Friday the 27th is the week before
    waits = [wait_ms(s) for s in MONDAY + TUESDAY if s.called]
    assert week.summary.called == len(waits) == 8
    assert week.summary.wait_mean_min == minutes(sum(waits) / len(waits))
    days = {d.name: d for d in week.days}
    tuesday = days["2026-12-01"]
    assert (tuesday.visits, tuesday.transferred, tuesday.served, tuesday.expired) == (2, 1, 1, 1)
    # Only the served collect step is timed (09:12-09:15): a transfer ends a step early.
    assert tuesday.service_mean_min == 3.0
    # The expired step was never called: it counts against the target.
    assert (tuesday.target_counted, tuesday.target_within, tuesday.target_met) == (3, 2, False)
    assert days["2026-12-02"].visits == 0 and days["2026-12-02"].target_met is None
    assert (week.target.days_counted, week.target.days_met) == (2, 1)
    assert week.target.achieved == round(8 / 9, 4)


def test_a_month_runs_from_its_first_to_its_last_day(db):
    november = report(db, "main", "month", "2026-11-15")
    assert (november.first_day, november.last_day) == ("2026-11-01", "2026-11-30")
    assert len(november.days) == 30
    assert november.summary.visits == 1 + 5
    assert [(r.name, r.count) for r in november.referrals] == [("State Revenue Service", 1)]
    december = report(db, "main", "month", "2026-12-01")
    assert (december.first_day, december.last_day, len(december.days)) == (
        "2026-12-01",
        "2026-12-31",
        31,
    )
    assert december.summary.visits == 2 and december.clerks[0].name == "dita"
    assert report(db, "branch", "month", "2026-11-15").summary.visits == 0


def test_period_days_of_each_kind():
    assert period_days(Period.DAY, date(2026, 2, 28)) == (date(2026, 2, 28), date(2026, 2, 28))
    assert period_days(Period.WEEK, date(2026, 11, 30)) == (date(2026, 11, 30), date(2026, 12, 6))
    assert period_days(Period.WEEK, date(2026, 12, 6)) == (date(2026, 11, 30), date(2026, 12, 6))
    assert period_days(Period.MONTH, date(2028, 2, 10)) == (date(2028, 2, 1), date(2028, 2, 29))


def test_local_hours_follow_daylight_saving_time():
    hour_of = local_hour("Europe/Riga")
    assert hour_of(at("2026-03-28 09:30")) == 9  # winter, UTC+2
    assert hour_of(at("2026-03-29 09:30")) == 9  # summer, UTC+3
    assert hour_of(at("2026-10-25 02:59")) == 2


def test_p90_is_the_nearest_rank():
    assert p90([]) is None
    assert p90([7]) == 7
    assert p90(list(range(1, 11))) == 9
    assert p90(list(range(1, 12))) == 10
    assert p90([5, 1, 3]) == 5


# ------------------------------------------------------------ a no-show who returns


def test_a_returning_no_show_waits_until_the_first_call(tmp_path):
    """A no-show who comes back is called again; their wait still ends at the first call."""
    path = tmp_path / "rinda.sqlite"
    with Store.open(path, small_office(), LV_HOLIDAYS) as store:
        day = Lobby(store, "2026-11-30")
        day("08:50", c.OpenCounter("1", "anna"))
        day("08:50", c.OpenCounter("2", "berta"))
        first = day.issue("09:00", "passport")
        second = day.issue("09:01", "collect")
        day("09:05", c.CallNext("1"))  # the first: 5 minutes
        day("09:08", c.NoShow("1"))
        day("09:10", c.ReturnVisit(first))
        day("09:12", c.CallNext("1"))
        day("09:15", c.Finish("1"))
        day("09:03", c.CallNext("2"))  # the second: 2 minutes
        day("09:06", c.NoShow("2"))
        day("09:09", c.CallNumber("2", second))  # calling a missed number returns it
        day("09:11", c.Finish("2"))
    found = report_file(path, "main", "day", "2026-11-30")
    assert found.summary.called == 2 and found.summary.no_shows == 0
    assert found.summary.served == 2
    assert found.summary.wait_mean_min == 3.5 and found.summary.wait_max_min == 5.0
    # Service runs from the call after the return: 09:12-09:15 and 09:09-09:11.
    assert found.summary.service_mean_min == 2.5


# ------------------------------------------------------------------ a simulated day


class StaffLobby:
    """A store lobby where visitors also rate and clerks also undo (and redo) misclicks."""

    def __init__(self, store: Store, seed: int) -> None:
        self.inner = StoreLobby(store, "main")
        self.rng = random.Random(seed)
        self.undone: dict[str, int] = {}
        self.stars: list[int] = []

    @property
    def state(self) -> DivisionState:
        return self.inner.state

    def execute(self, command: c.Command, now: int) -> list[e.Event]:
        found = self.inner.execute(command, now)
        if isinstance(command, c.CallNext | c.Finish) and self.rng.random() < 0.1:
            self.inner.execute(c.Undo(command.counter), now)
            self.undone[command.counter] = self.undone.get(command.counter, 0) + 1
            found = self.inner.execute(command, now)
        if isinstance(command, c.Finish):
            number = next(ev.number for ev in found if isinstance(ev, e.StepFinished))
            if self.state.visits[number].status is Status.DONE and self.rng.random() < 0.6:
                stars = self.rng.randint(1, 5)
                with contextlib.suppress(DomainError):
                    self.inner.execute(c.RateVisit(number, stars, ("clear",)), now)
                    self.stars.append(stars)
        return found

    def tick(self, now: int) -> list[e.Event]:
        return self.inner.tick(now)


def test_a_simulated_day_agrees_with_the_simulations_own_report(tmp_path):
    """The simulation counts from the events; the statistics from visit_steps: they agree."""
    path = tmp_path / "rinda.sqlite"
    scenario = Scenario(no_show_share=0.1, no_show_return_share=0.6, refusal_share=0.05)
    with Store.open(path, small_office(), LV_HOLIDAYS) as store:
        lobby = StaffLobby(store, 5)
        sim = simulate_day(
            small_office(), "main", date(2026, 11, 30), scenario, 5, LV_HOLIDAYS, lobby=lobby
        )
    assert sim.visits["returned"] > 0 and sum(lobby.undone.values()) > 0
    found = report_file(path, "main", "day", "2026-11-30")
    summary = found.summary
    assert summary.visits == sim.visits["issued"]
    for outcome in ("served", "refused", "referred", "transferred"):
        assert getattr(summary, outcome) == sim.outcomes[outcome], outcome
    assert summary.no_shows == sim.visits["no_show"]
    services = {row.name: row for row in found.services}
    for name, figures in sim.services.items():
        assert services[name].called == figures.wait.count, name
        assert services[name].wait_mean_min == pytest.approx(figures.wait.mean, abs=0.006)
        assert services[name].wait_max_min == pytest.approx(figures.wait.max, abs=0.006)
        assert services[name].service_mean_min == pytest.approx(figures.service.mean, abs=0.006)
    assert {row.name: row.undone for row in found.counters} == {
        k: lobby.undone.get(k, 0) for k in ("1", "2", "3")
    }
    assert found.ratings.count == len(lobby.stars)
    assert found.ratings.distribution == tuple(lobby.stars.count(n) for n in range(1, 6))
    assert found.ratings.tags["clear"] == len(lobby.stars)


# ---------------------------------------------------------------- JSON, CSV, privacy


def test_the_json_shape_and_every_csv_table_round_trip(db):
    week = report(db, "main", "week", "2026-11-30")
    data = json.loads(json.dumps(week.to_dict()))
    assert data["period"] == "week" and data["summary"]["visits"] == 7
    assert data["ratings"]["distribution"] == [0, 0, 1, 1, 1]
    found = tables(week)
    assert tuple(found) == TABLE_NAMES
    for name, table in found.items():
        parsed = list(csv.reader(io.StringIO(to_csv(table))))
        assert tuple(parsed[0]) == table.columns, name
        expected = [
            [
                "" if v is None else ("yes" if v is True else "no" if v is False else str(v))
                for v in row
            ]
            for row in table.rows
        ]
        assert parsed[1:] == expected, name
    days = list(csv.DictReader(io.StringIO(to_csv(found["days"]))))
    assert [d["day"] for d in days][:2] == ["2026-11-30", "2026-12-01"]
    assert days[1]["target_met"] == "no" and days[2]["wait_mean_min"] == ""


def test_csv_defuses_cells_a_spreadsheet_would_run():
    from queue_server.stats import Table

    table = Table(
        "t", ("name", "n"), (("=HYPERLINK(1)", 1), ("+1", -2), ("-x", 0), ("@a", 1), ("ok", 2))
    )
    rows = list(csv.reader(io.StringIO(to_csv(table))))
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(1)", "'+1", "'-x", "'@a", "ok"]
    assert rows[2][1] == "-2"  # numbers stay numbers


def test_a_referral_that_looks_like_a_formula_is_defused(tmp_path):
    path = tmp_path / "rinda.sqlite"
    with Store.open(path, small_office(), LV_HOLIDAYS) as store:
        day = Lobby(store, "2026-11-30")
        day("08:50", c.OpenCounter("1", "=cmd|anna"))
        day.issue("09:00", "passport")
        day("09:01", c.CallNext("1"))
        day("09:05", c.Finish("1", "referred", referral='=HYPERLINK("x")'))
    found = tables(report_file(path, "main", "day", "2026-11-30"))
    assert "'=HYPERLINK" in to_csv(found["referrals"])
    assert "'=cmd|anna" in to_csv(found["clerks"])


def test_no_personal_data_appears_in_any_output(db, week_file, capsys):
    for period, start in (("day", "2026-11-30"), ("week", "2026-11-30"), ("month", "2026-11-30")):
        found = report(db, "main", period, start)
        texts = [json.dumps(found.to_dict(), ensure_ascii=False)]
        texts += [to_csv(t) for t in tables(found).values()]
        from queue_server.stats.cli import to_text

        texts.append(to_text(found))
        for text in texts:
            for word in PERSONAL:
                assert word not in text
    # The booking contact and the clerk's note are in the file, only not in the output.
    with sqlite3.connect(week_file) as conn:
        assert conn.execute("SELECT name FROM bookings_contact").fetchone() == ("Jānis Bērziņš",)
        assert conn.execute(
            "SELECT count(*) FROM visit_steps WHERE detail LIKE '%Mr X%'"
        ).fetchone() == (1,)


# ------------------------------------------------------------------ errors and speed


def test_bad_requests_raise_stats_errors_that_say_why(db, tmp_path):
    with pytest.raises(StatsError, match="no period 'year'"):
        report(db, "main", "year", "2026-11-30")
    with pytest.raises(StatsError, match="YYYY-MM-DD"):
        report(db, "main", "day", "30.11.2026")
    with pytest.raises(StatsError, match="share"):
        ServiceTarget(20, 1.5)
    with pytest.raises(StatsError, match="minutes"):
        ServiceTarget(0, 0.9)
    with pytest.raises(StatsError, match="time zone"):
        report(db, "main", "day", "2026-11-30", timezone="Mars/Olympus")
    with pytest.raises(StatsError, match="no database file"):
        report_file(tmp_path / "missing.sqlite", "main", "day", "2026-11-30")
    other = tmp_path / "other.sqlite"
    Database(other)["things"].insert({"a": 1})
    with pytest.raises(StatsError, match="no visit_steps table"):
        report_file(other, "main", "day", "2026-11-30")


def test_the_queries_read_through_indexes(db):
    for sql in (STEPS, UNDONE):
        plan = " ".join(
            row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", ("main", "a", "b"))
        )
        assert "USING INDEX" in plan and "SCAN" not in plan, plan
        assert "TEMP B-TREE" not in plan, plan


def test_reading_never_writes_the_file(week_file):
    with open_read_only(week_file) as found, pytest.raises(sqlite3.OperationalError):
        found.execute("DELETE FROM visit_steps")


# ------------------------------------------------------------------------ the command


def test_the_command_prints_a_table_json_and_csv(tmp_path, capsys):
    db = str(tmp_path / "sim.sqlite")
    args = ["--division", "riga-1-sigulda", "--date", "2026-12-02", "--visits", "40"]
    assert main_simulate([*args, "--db", db]) == 0
    capsys.readouterr()
    base = ["stats", "--db", db, "--division", "riga-1-sigulda", "--start", "2026-12-02"]
    assert server_main([*base, "--period", "day"]) == 0
    text = capsys.readouterr().out
    assert "Statistics of riga-1-sigulda, day 2026-12-02 to 2026-12-02" in text
    assert "Services" in text and "Clerks" in text
    assert server_main([*base, "--json", "--target-minutes", "5", "--target-share", "0.5"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["first_day"] == "2026-11-30" and data["summary"]["visits"] > 30
    assert data["target"]["minutes"] == 5 and data["target"]["share"] == 0.5
    assert server_main([*base, "--period", "month", "--csv", "days"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 31 and rows[1]["day"] == "2026-12-02" and int(rows[1]["visits"]) > 30


def test_the_command_explains_bad_options(tmp_path, capsys):
    db = str(tmp_path / "none.sqlite")
    assert server_main(["stats", "--db", db, "--division", "nowhere"]) == 2
    assert "no division 'nowhere'" in capsys.readouterr().err
    assert server_main(["stats", "--db", db, "--division", "riga-1"]) == 2
    assert "no database file" in capsys.readouterr().err
    args = ["stats", "--db", db, "--division", "riga-1", "--target-share", "2"]
    assert server_main(args) == 2
    assert "share" in capsys.readouterr().err
