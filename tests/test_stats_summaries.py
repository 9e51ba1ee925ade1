"""Day summaries give exactly the figures a fold of every row gives, and never go stale.

Three weekdays are simulated through the real store (with ratings, undone misclicks,
no-shows who return, refusals and referrals), and a fourth is under way: "today".
The store summarises each day when the next one opens. Every report is then made
twice, from the summaries (``summaries=True``, what the server does) and from
every row (``summaries=False``, the straightforward fold), and the two must be
equal, field for field, also after closed days change behind the store's back.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from conftest import LV_HOLIDAYS, at, small_office
from hypothesis import given
from hypothesis import strategies as st
from sqlite_utils import Database
from test_stats import Lobby, StaffLobby

from queue_server.cli import main as server_main
from queue_server.core import commands as c
from queue_server.simulate import Scenario, simulate_day
from queue_server.simulate.cli import main_simulate
from queue_server.stats import ServiceTarget, open_read_only, p90, report, report_span
from queue_server.stats.figures import runs_p90, runs_within
from queue_server.stats.summaries import CURRENT_DAY, FORMAT, SUMMARIES, fill, warm_file
from queue_server.store import Store

CLOSED = ("2026-11-30", "2026-12-01", "2026-12-02")
TODAY = "2026-12-03"
SCENARIO = Scenario(
    no_show_share=0.1, no_show_return_share=0.6, refusal_share=0.05, referral_share=0.05
)
TARGETS = (ServiceTarget(), ServiceTarget(5, 0.5), ServiceTarget(12.5, 0.75))


def build(path: Path) -> None:
    """Monday to Wednesday simulated and closed; Thursday (today) begun, not over."""
    with Store.open(path, small_office(), LV_HOLIDAYS) as store:
        for n, day in enumerate(CLOSED):
            lobby = StaffLobby(store, seed=n)
            simulate_day(
                small_office(),
                "main",
                date.fromisoformat(day),
                SCENARIO,
                n,
                LV_HOLIDAYS,
                lobby=lobby,
            )
        today = Lobby(store, TODAY)
        today("08:50", c.OpenCounter("1", "anna"))
        first = today.issue("09:00", "passport")
        today.issue("09:01", "collect")
        today("09:04", c.CallNext("1"))
        today("09:10", c.Finish("1"))
        today("09:11", c.RateVisit(first, 2, ("long_wait",)))
        today("09:12", c.CallNext("1"))
        today("09:12:20", c.Undo("1"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("summaries") / "rinda.sqlite"
    build(path)
    return path


@pytest.fixture
def copy(built: Path, tmp_path: Path) -> Path:
    """A copy of the built file that a test may change."""
    path = tmp_path / "rinda.sqlite"
    shutil.copy(built, path)
    return path


def summarised(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [day for (day,) in conn.execute("SELECT day FROM day_summaries ORDER BY day")]


def assert_agree(path: Path, timezone: str = "Europe/Riga") -> None:
    """Every day, the week, the month and a span: summaries and every row agree."""
    db = open_read_only(path)
    try:
        asks = [("day", day) for day in (*CLOSED, TODAY)]
        asks += [("week", TODAY), ("month", "2026-11-30"), ("month", TODAY)]
        for target in TARGETS:
            for period, start in asks:
                fast = report(db, "main", period, start, target, timezone)
                slow = report(db, "main", period, start, target, timezone, summaries=False)
                assert fast == slow, (period, start, target)
            fast = report_span(db, "main", "2026-11-01", "2026-12-31", target, timezone)
            slow = report_span(
                db, "main", "2026-11-01", "2026-12-31", target, timezone, summaries=False
            )
            assert fast == slow and fast.to_dict() == slow.to_dict()
    finally:
        db.close()


def test_the_store_summarises_each_day_when_the_next_one_opens(built):
    assert summarised(built) == list(CLOSED)  # today is not over: never summarised
    with sqlite3.connect(built) as conn:
        rows = conn.execute("SELECT DISTINCT timezone, format FROM day_summaries").fetchall()
    assert rows == [("Europe/Riga", FORMAT)]


def test_summaries_and_every_row_agree_over_many_days_and_today(built):
    db = open_read_only(built)
    try:
        span = report_span(db, "main", CLOSED[0], TODAY)
    finally:
        db.close()
    # The data has what every figure needs: returns, undone actions, ratings, referrals.
    summary = span.summary
    assert summary.visits > 200 and summary.undone > 5 and summary.ratings > 50
    assert summary.referred > 0 and summary.refused > 0 and summary.open > 0
    assert span.period is None and span.to_dict()["period"] is None
    assert_agree(built)


def test_another_time_zone_reads_every_row_and_still_agrees(built):
    assert_agree(built, timezone="Europe/London")


def test_a_purge_blanking_referrals_of_closed_days_is_seen(copy):
    with Store.open(copy, small_office(), LV_HOLIDAYS) as store:
        counts = store.purge(at(f"{TODAY} 23:00"), retention_days=1)
    assert counts["visit_steps_redacted"] > 0
    # The purge changed every closed day: their summaries are gone until refilled.
    assert summarised(copy) == []
    assert_agree(copy)
    db = open_read_only(copy)
    try:
        referrals = report(db, "main", "week", TODAY).referrals
    finally:
        db.close()
    assert [r.name for r in referrals] == [None]  # "(purged)"
    db = Database(copy)
    try:
        assert fill(db, "main", "Europe/Riga") == list(reversed(CLOSED))
    finally:
        db.close()
    assert summarised(copy) == list(CLOSED)
    assert_agree(copy)


def test_a_late_rating_and_a_late_undo_of_a_closed_day_are_seen(copy):
    """Rows of a closed day changed by another tool: its summary is dropped, never read stale."""
    day = CLOSED[1]
    with sqlite3.connect(copy) as conn:
        number = conn.execute(
            "SELECT number FROM visit_steps WHERE division = 'main' AND day = ? "
            "AND step = 0 AND rating IS NULL AND outcome = 'served' LIMIT 1",
            (day,),
        ).fetchone()[0]
        conn.execute(
            "UPDATE visit_steps SET rating = 1, rating_tags = 'impolite' "
            "WHERE division = 'main' AND day = ? AND number = ?",
            (day, number),
        )
    assert summarised(copy) == [CLOSED[0], CLOSED[2]]
    with sqlite3.connect(copy) as conn:
        conn.execute(
            "INSERT INTO events (division, day, type, at, data) VALUES ('main', ?, "
            '\'action_undone\', ?, \'{"counter":"2","action":"call","number":"A001"}\')',
            (CLOSED[0], at(f"{CLOSED[0]} 12:00")),
        )
    assert summarised(copy) == [CLOSED[2]]
    assert_agree(copy)
    db = open_read_only(copy)
    try:
        assert report(db, "main", "day", day).ratings.tags["impolite"] >= 1
        undone = report(db, "main", "day", CLOSED[0]).undone
    finally:
        db.close()
    assert any(u.counter == "2" and u.action == "call" for u in undone)


def test_a_summary_of_today_is_never_read(copy):
    """Only days before the division's current day are read from summaries."""
    with sqlite3.connect(copy) as conn:
        conn.execute(
            "INSERT INTO day_summaries (division, day, timezone, format, figures, counts, waits) "
            "SELECT division, ?, timezone, format, figures, counts, waits FROM day_summaries "
            "WHERE day = ?",
            (TODAY, CLOSED[0]),
        )
    assert TODAY in summarised(copy)
    assert_agree(copy)


def test_a_file_without_summaries_reads_every_row(copy):
    with sqlite3.connect(copy) as conn:
        conn.execute("DROP TABLE day_summaries")
    assert_agree(copy)


def test_warm_summarises_every_closed_day_without_one(copy, capsys):
    with sqlite3.connect(copy) as conn:
        conn.execute("DELETE FROM day_summaries")
    assert warm_file(copy, "main", "Europe/Riga") == list(reversed(CLOSED))
    assert warm_file(copy, "main", "Europe/Riga") == []
    assert summarised(copy) == list(CLOSED)
    assert_agree(copy)


def test_the_command_warms_a_file(tmp_path, capsys):
    db = str(tmp_path / "sim.sqlite")
    args = ["--division", "riga-1-sigulda", "--date", "2026-12-02", "--visits", "40"]
    assert main_simulate([*args, "--db", db]) == 0
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM day_summaries")
    capsys.readouterr()
    assert server_main(["stats", "--db", db, "--division", "riga-1-sigulda", "--warm"]) == 0
    assert "Summarised 1 closed day(s) of riga-1-sigulda (2026-12-02" in capsys.readouterr().out
    missing = str(tmp_path / "none.sqlite")
    assert server_main(["stats", "--db", missing, "--division", "riga-1", "--warm"]) == 2
    assert "no database file" in capsys.readouterr().err


def test_the_summary_queries_read_through_indexes(built):
    db = open_read_only(built)
    try:
        for sql, params in (
            (SUMMARIES, ("main", "a", "b", "c", 1, "tz")),
            (CURRENT_DAY, ("main",)),
        ):
            plan = " ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", params))
            assert "USING" in plan and "SCAN" not in plan, plan
    finally:
        db.close()


runs_of_waits = st.lists(
    st.lists(st.integers(min_value=-5, max_value=3_000_000), max_size=40).map(sorted),
    max_size=12,
)


@given(runs_of_waits, st.floats(min_value=0, max_value=3_000_000))
def test_percentile_and_target_over_sorted_runs_match_one_sorted_list(runs, limit):
    values = [v for run in runs for v in run]
    assert runs_p90(runs) == p90(values)
    assert runs_within(runs, limit) == sum(v <= limit for v in values)
