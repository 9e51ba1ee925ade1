"""The store: durable commits, recovery from snapshots, reporting rows, backup, purge."""

from __future__ import annotations

import contextlib
import json
import random
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import LV_HOLIDAYS, at, small_office
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.core import DivisionState, DomainError
from queue_server.core import commands as c
from queue_server.core import events as e
from queue_server.store import (
    Committed,
    IncompatibleFile,
    StorageUnwritable,
    Store,
    StoreError,
    UnknownDivision,
)
from queue_server.store.reporting import COLUMNS, step_rows

OFFICE = small_office()
FRIDAY = "2026-11-27"
MONDAY = "2026-11-30"

#: A busy Friday and Monday at ``main`` (and a little at ``branch``): multi-service
#: visits, a refusal, a referral, a no-show that returns, a transfer, undos, bookings,
#: an hours exception, visits left waiting that expire when the day rolls over.
SCRIPT: list[tuple[str, str, Any]] = [
    ("main", f"{FRIDAY} 08:50", c.OpenCounter("1", "anna")),
    ("main", f"{FRIDAY} 08:50", c.OpenCounter("2", "berzins")),
    ("main", f"{FRIDAY} 08:51", c.OpenCounter("3", "cirule")),
    ("branch", f"{FRIDAY} 08:55", c.OpenCounter("1", "dace")),
    ("main", f"{FRIDAY} 09:00", c.Issue("k1", ("passport", "residence"))),
    ("main", f"{FRIDAY} 09:01", c.Issue("k2", ("collect",), lang="en")),
    ("main", f"{FRIDAY} 09:02", c.Issue("k3", ("visa",), priority="disability")),
    ("main", f"{FRIDAY} 09:03", c.Book("BK1", ("passport",), at(f"{MONDAY} 10:00"))),
    ("main", f"{FRIDAY} 09:03", c.Book("BK2", ("collect",), at(f"{FRIDAY} 09:45"))),
    ("main", f"{FRIDAY} 09:05", c.CallNext("1")),
    ("main", f"{FRIDAY} 09:06", c.CallNext("2")),
    ("main", f"{FRIDAY} 09:07", c.CallNext("3")),
    ("main", f"{FRIDAY} 09:10", c.Finish("1")),
    ("main", f"{FRIDAY} 09:11", c.Finish("2", "refused", "documents", "missing photo")),
    ("main", f"{FRIDAY} 09:12", c.NoShow("3")),
    ("main", f"{FRIDAY} 09:13", c.CallNext("3")),
    ("main", f"{FRIDAY} 09:14", c.Transfer("3", service="passport", to_counter="1")),
    ("main", f"{FRIDAY} 09:15", c.Issue("k4", ("residence",))),
    ("main", f"{FRIDAY} 09:16", c.CallNext("1")),
    ("main", f"{FRIDAY} 09:16", c.Undo("1")),
    ("main", f"{FRIDAY} 09:18", c.CallNext("1")),
    ("main", f"{FRIDAY} 09:19", c.StartService("1")),
    ("main", f"{FRIDAY} 09:20", c.ReturnVisit("D001")),
    ("main", f"{FRIDAY} 09:21", c.CallNumber("3", "D001")),
    ("main", f"{FRIDAY} 09:22", c.Recall("3")),
    ("main", f"{FRIDAY} 09:25", c.Finish("3", "referred", referral="State Revenue Service")),
    ("main", f"{FRIDAY} 09:30", c.Finish("1", detail="asked about fees")),
    ("main", f"{FRIDAY} 09:31", c.Issue("k5", ("passport", "collect"))),
    ("main", f"{FRIDAY} 09:32", c.SetHoursException("2026-12-01", 600, 900, "training")),
    ("main", f"{FRIDAY} 09:33", c.CheckIn("k9", "BK2")),
    ("main", f"{FRIDAY} 09:34", c.CallNext("2")),
    ("main", f"{FRIDAY} 09:35", c.NoShow("2")),
    ("main", f"{MONDAY} 08:50", c.OpenCounter("1", "anna")),
    ("main", f"{MONDAY} 08:51", c.OpenCounter("3", "cirule")),
    ("main", f"{MONDAY} 09:40", c.CheckIn("k6", "BK1")),
    ("main", f"{MONDAY} 09:41", c.Issue("k7", ("collect",), priority="pregnancy")),
    ("main", f"{MONDAY} 09:42", c.CallNext("1")),
    ("main", f"{MONDAY} 09:45", c.Finish("1", detail="keep me")),
    ("main", f"{MONDAY} 09:46", c.Issue("k7", ("collect",), priority="pregnancy")),
    ("main", f"{MONDAY} 09:47", c.CancelVisit("B001")),
    ("main", f"{MONDAY} 09:48", c.OpenCounter("2", "berzins")),
    ("main", f"{MONDAY} 09:48", c.PauseCounter("2")),
    ("main", f"{MONDAY} 09:49", c.ResumeCounter("2")),
    ("main", f"{MONDAY} 09:50", c.Issue("k8", ("residence", "visa"))),
    ("main", f"{MONDAY} 09:51", c.CallNext("3")),
    ("main", f"{MONDAY} 09:52", c.Transfer("3", service="passport")),
    ("main", f"{MONDAY} 09:52", c.Undo("3")),
    ("main", f"{MONDAY} 09:53", c.Finish("3")),
    ("main", f"{MONDAY} 09:54", c.CallNext("3")),
    ("main", f"{MONDAY} 09:55", c.MoveBooking("BK3", at("2026-12-02 10:00"))),
    ("main", f"{MONDAY} 09:56", c.ClearHoursException("2026-12-01")),
]
#: Commands of the script the core refuses, with the code it gives.
REFUSED = {c.MoveBooking("BK3", at("2026-12-02 10:00")): "unknown_appointment"}
#: Where Monday begins in the script.
MONDAY_AT = next(i for i, (_, when, _) in enumerate(SCRIPT) if when.startswith(MONDAY))


def open_store(path: Path, **options: Any) -> Store:
    return Store.open(path, OFFICE, LV_HOLIDAYS, **options)


def run(store: Store, script: list[tuple[str, str, Any]] = SCRIPT) -> list[Committed]:
    found: list[Committed] = []
    for division, when, command in script:
        if command in REFUSED:
            with pytest.raises(DomainError) as refused:
                store.execute(division, command, at(when))
            assert refused.value.code == REFUSED[command]
            continue
        found += store.execute(division, command, at(when))
    return found


def snapshots(store: Store) -> dict[str, dict[str, Any]]:
    return {d: s.snapshot() for d, s in store.states.items()}


def replay_all(path: Path, division: str) -> Iterator[tuple[e.Event, DivisionState]]:
    """Every event of ``division`` from the first, with the state built from nothing just
    before it; last, a closing ``DayOpened`` with the final state."""
    state = DivisionState(OFFICE, division, LV_HOLIDAYS)
    with open_store(path) as store:
        history = store.events_since(0, division=division)
    for item in history:
        yield item.event, state
        state.apply(item.event)
    yield e.DayOpened(at=0, day="end"), state


def expected_reporting(path: Path, division: str) -> set[tuple[Any, ...]]:
    """The reporting rows a replay from the first event gives, day by day."""
    rows: set[tuple[Any, ...]] = set()
    for event, state in replay_all(path, division):
        if isinstance(event, e.DayOpened) and state.day is not None:
            for visit in state.visits.values():
                rows.update(step_rows(division, state.day, visit))
    return rows


def reporting(path: Path, division: str) -> set[tuple[Any, ...]]:
    with connect(path) as conn:
        found = conn.execute(
            f"SELECT {', '.join(COLUMNS)} FROM visit_steps WHERE division = ?", (division,)
        )
        return set(found)


@contextlib.contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection to the file (as an analyst's tool has), committed and closed."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def dump(path: Path) -> list[str]:
    with connect(path) as conn:
        return list(conn.iterdump())


# --------------------------------------------------------------------- recovery


@pytest.mark.parametrize("snapshot_every", [1, 4, 2000])
def test_reopened_file_restores_the_live_state(tmp_path: Path, snapshot_every: int) -> None:
    path = tmp_path / "rinda.sqlite"
    with open_store(path, snapshot_every=snapshot_every) as live:
        run(live)
        expected = snapshots(live)
        assert expected["main"]["day"] == MONDAY
    with open_store(path, snapshot_every=snapshot_every) as reopened:
        assert snapshots(reopened) == expected


def test_reopening_after_every_command_carries_on_like_a_store_that_never_closed(
    tmp_path: Path,
) -> None:
    with open_store(tmp_path / "live.sqlite", snapshot_every=3) as live:
        path = tmp_path / "restarted.sqlite"
        for division, when, command in SCRIPT:
            restarted = open_store(path, snapshot_every=3)
            try:
                assert snapshots(restarted) == snapshots(live)
                assert restarted.last_seq == live.last_seq
                if command in REFUSED:
                    continue
                assert restarted.execute(division, command, at(when)) == live.execute(
                    division, command, at(when)
                )
            finally:
                restarted.close()


def test_only_events_after_the_latest_snapshot_are_replayed(tmp_path: Path) -> None:
    path = tmp_path / "rinda.sqlite"
    with open_store(path, snapshot_every=5) as live:
        run(live)
        expected = snapshots(live)
    with connect(path) as conn:
        (snap_seq,) = conn.execute(
            "SELECT max(seq) FROM snapshots WHERE division = 'main'"
        ).fetchone()
        (after,) = conn.execute(
            "SELECT count(*) FROM events WHERE division = 'main' AND seq > ?", (snap_seq,)
        ).fetchone()
        # Poison everything the snapshot covers: a reopen that read it would fail.
        conn.execute(
            "UPDATE events SET data = 'not json' WHERE division = 'main' AND seq <= ?",
            (snap_seq,),
        )
    assert 0 < after < 5
    with open_store(path, snapshot_every=5) as reopened:
        assert reopened.recovery["main"].snapshot_seq == snap_seq
        assert reopened.recovery["main"].replayed == after
        assert snapshots(reopened)["main"] == expected["main"]


def test_a_snapshot_is_written_when_a_day_opens_and_only_a_few_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "rinda.sqlite"
    with open_store(path, snapshots_kept=2) as store:
        run(store)
    with connect(path) as conn:
        kept = conn.execute(
            "SELECT division, count(*), max(day) FROM snapshots GROUP BY division ORDER BY 1"
        ).fetchall()
        opened = conn.execute(
            "SELECT max(seq) FROM events WHERE division = 'main' AND type = 'day_opened'"
        ).fetchone()[0]
        newest = conn.execute("SELECT max(seq) FROM snapshots WHERE division = 'main'")
        assert newest.fetchone()[0] == opened
    assert kept == [("branch", 1, FRIDAY), ("main", 2, MONDAY)]


def test_a_file_without_snapshots_still_replays_from_the_first_event(tmp_path: Path) -> None:
    path = tmp_path / "rinda.sqlite"
    with open_store(path) as live:
        run(live)
        expected = snapshots(live)
    with connect(path) as conn:
        conn.execute("DELETE FROM snapshots")
    with open_store(path) as reopened:
        assert reopened.recovery["main"].snapshot_seq == 0
        assert snapshots(reopened) == expected


# ------------------------------------------------------------------- committing


def test_a_refused_command_leaves_the_file_and_the_state_untouched(tmp_path: Path) -> None:
    path = tmp_path / "rinda.sqlite"
    with open_store(path) as store:
        run(store)
        before_state, before_file = snapshots(store), dump(path)
        last_seq = store.last_seq
        for command in (
            c.CallNext("2"),
            c.Finish("1"),
            c.Issue("k99", ("nonsense",)),
            c.Finish("3", "refused"),
            c.ReturnVisit("A001"),
        ):
            with pytest.raises(DomainError):
                store.execute("main", command, at(f"{MONDAY} 10:00"))
        assert snapshots(store) == before_state
        assert store.last_seq == last_seq
    assert dump(path) == before_file


def test_sequence_numbers_strictly_increase_and_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "rinda.sqlite"
    half = len(SCRIPT) // 2
    with open_store(path) as store:
        first = run(store, SCRIPT[:half])
    with open_store(path) as store:
        assert store.last_seq == first[-1].seq
        second = run(store, SCRIPT[half:])
    seqs = [x.seq for x in first + second]
    assert seqs == list(range(1, len(seqs) + 1))
    # A row deleted by hand at the end does not make its number come back.
    with connect(path) as conn:
        conn.execute("DELETE FROM events WHERE seq = ?", (seqs[-1],))
    with open_store(path) as store:
        assert store.last_seq == seqs[-1]
        [again] = store.execute("main", c.Issue("k100", ("collect",)), at(f"{MONDAY} 11:00"))
        assert again.seq == seqs[-1] + 1


def test_execute_returns_the_new_day_and_the_commands_events_in_commit_order(
    tmp_path: Path,
) -> None:
    with open_store(tmp_path / "rinda.sqlite") as store:
        run(store, SCRIPT[:MONDAY_AT])
        found = store.execute("main", c.OpenCounter("1", "anna"), at(f"{MONDAY} 08:50"))
    assert [type(x.event) for x in found] == [e.DayClosed, e.DayOpened, e.CounterOpened]
    assert isinstance(found[0].event, e.DayClosed)
    assert found[0].event.expired == ("C001", "A002")
    assert [x.seq for x in found] == list(range(found[0].seq, found[0].seq + 3))
    assert {x.division for x in found} == {"main"}


def test_a_new_day_commits_even_when_the_command_after_it_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rinda.sqlite"
    with open_store(path) as store:
        run(store, SCRIPT[:MONDAY_AT])
        with pytest.raises(DomainError):
            store.execute("main", c.CallNext("1"), at(f"{MONDAY} 09:00"))
        assert store.states["main"].day == MONDAY
        expected = snapshots(store)
    with open_store(path) as store:
        assert snapshots(store) == expected
        assert store.tick("main", at(f"{MONDAY} 09:01")) == []


def test_reporting_rows_match_the_state_one_row_per_step(tmp_path: Path) -> None:
    path = tmp_path / "rinda.sqlite"
    with open_store(path) as store:
        run(store)
        state = store.states["main"]
        assert state.day is not None
        today = {row for v in state.visits.values() for row in step_rows("main", MONDAY, v)}
    for division in ("main", "branch"):
        assert reporting(path, division) == expected_reporting(path, division)
    assert {r for r in reporting(path, "main") if r[1] == MONDAY} == today
    with connect(path) as conn:
        friday = conn.execute(
            "SELECT number, step, service, outcome, reason, detail, referral, status "
            "FROM visit_steps WHERE day = ? ORDER BY number, step",
            (FRIDAY,),
        ).fetchall()
        (undone_transfer,) = conn.execute(
            "SELECT count(*) FROM visit_steps WHERE day = ? AND number = 'C001'", (MONDAY,)
        ).fetchone()
    assert friday == [
        ("A001", 0, "passport", "served", None, None, None, "done"),
        ("A001", 1, "residence", "transferred", None, None, None, "done"),
        ("A001", 2, "passport", "served", None, "asked about fees", None, "done"),
        ("A002", 0, "passport", "expired", None, None, None, "expired"),
        ("A002", 1, "collect", None, None, None, None, "expired"),
        ("B001", 0, "collect", "refused", "documents", "missing photo", None, "done"),
        ("B002", 0, "collect", "no_show", None, None, None, "no_show"),
        ("C001", 0, "residence", "expired", None, None, None, "expired"),
        ("D001", 0, "visa", "referred", None, None, "State Revenue Service", "done"),
    ]
    assert undone_transfer == 2


def test_unknown_division_is_a_store_error(tmp_path: Path) -> None:
    with open_store(tmp_path / "rinda.sqlite") as store:
        with pytest.raises(UnknownDivision, match="nowhere"):
            store.execute("nowhere", c.CallNext("1"), at(f"{MONDAY} 09:00"))
        assert issubclass(UnknownDivision, StoreError)


# ------------------------------------------------------------------ reconnecting


def test_events_since_gives_what_a_reconnecting_client_missed(tmp_path: Path) -> None:
    with open_store(tmp_path / "rinda.sqlite") as store:
        committed = run(store)
        assert store.events_since(0) == committed
        assert store.events_since(10) == committed[10:]
        assert store.events_since(10, limit=3) == committed[10:13]
        assert store.events_since(0, division="branch") == [
            x for x in committed if x.division == "branch"
        ]
        assert store.events_since(store.last_seq) == []


# ------------------------------------------------------------------ write failure


def test_a_full_disk_raises_keeps_memory_equal_to_the_file_and_recovers(tmp_path: Path) -> None:
    path = tmp_path / "rinda.sqlite"
    store = open_store(path, snapshot_every=7)
    try:
        run(store, SCRIPT[:4])
        conn = store.db.conn
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        conn.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StorageUnwritable, match="full"):
            for n in range(2000):
                store.execute("main", c.Issue(f"x{n}", ("collect",)), at(f"{FRIDAY} 09:00"))
        failed_at = n
        with open_store(path, snapshot_every=7) as from_file:
            assert snapshots(store) == snapshots(from_file)
            assert store.last_seq == from_file.last_seq
        assert f"x{failed_at}" not in store.states["main"].by_key

        conn.execute("PRAGMA max_page_count = 1073741823")
        [issued] = store.execute(
            "main", c.Issue(f"x{failed_at}", ("collect",)), at(f"{FRIDAY} 09:00")
        )
        assert issued.seq == store.last_seq
        assert isinstance(issued.event, e.VisitIssued)
        assert issued.event.number == f"B{failed_at + 1:03d}"
        live = snapshots(store)
    finally:
        store.close()
    with open_store(path, snapshot_every=7) as reopened:
        assert snapshots(reopened) == live


# ------------------------------------------------------------------------ files


def test_backup_opens_and_holds_every_committed_event(tmp_path: Path) -> None:
    path = tmp_path / "rinda.sqlite"
    copy = tmp_path / "backup" / "copy.sqlite"
    copy.parent.mkdir()
    with open_store(path) as store:
        committed = run(store)
        expected = snapshots(store)
        assert store.backup(copy) == copy
        store.execute("main", c.Issue("after", ("collect",)), at(f"{MONDAY} 10:00"))
    assert not copy.with_name("copy.sqlite.partial").exists()
    with connect(copy) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert conn.execute("SELECT count(*), max(seq) FROM events").fetchone() == (
            len(committed),
            committed[-1].seq,
        )
    with open_store(copy) as restored:
        assert snapshots(restored) == expected
        assert restored.events_since(0) == committed


def test_a_file_from_a_newer_rinda_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rinda.sqlite"
    open_store(path).close()
    with connect(path) as conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('rinda.store', 'from_the_future', '2030-01-01')"
        )
    with pytest.raises(IncompatibleFile, match="from_the_future"):
        open_store(path)


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "rinda.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match=r"rinda\.sqlite"):
        open_store(path)


# -------------------------------------------------------------------- retention


def test_purge_removes_old_contacts_and_redacts_old_free_text_but_keeps_todays(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rinda.sqlite"
    with open_store(path, snapshot_every=4, snapshots_kept=2) as store:
        run(store, SCRIPT[:9])
        store.add_booking_contact("main", "BK1", "Jānis Bērziņš", "+371 20000001", at(FRIDAY))
        store.add_booking_contact("main", "BK2", "Līga Ozola", None, at(FRIDAY))
        run(store, SCRIPT[9:])
        assert store.booking_contact("main", "BK1") is not None
        events_before = store.last_seq
        counts = store.purge(at(f"{MONDAY} 12:00"), retention_days=1)
        live = snapshots(store)
        # Booked for Monday: kept until a day after the visit. Friday's booking: gone.
        assert store.booking_contact("main", "BK2") is None
        kept = store.booking_contact("main", "BK1")
        assert kept is not None and kept.name == "Jānis Bērziņš"
        assert kept.due == at(f"{MONDAY} 10:00")
        assert store.last_seq == events_before

    assert counts["contacts_deleted"] == 1
    assert counts["visit_steps_redacted"] == 3
    assert counts["events_redacted"] == 3
    with connect(path) as conn:
        texts = conn.execute(
            "SELECT day, detail, referral FROM visit_steps "
            "WHERE detail IS NOT NULL OR referral IS NOT NULL"
        ).fetchall()
        events = [data for (data,) in conn.execute("SELECT data FROM events")]
        snaps = [data for (data,) in conn.execute("SELECT data FROM snapshots")]
        per_division = dict(
            conn.execute("SELECT division, count(*) FROM snapshots GROUP BY division")
        )
        (log_size,) = conn.execute("SELECT count(*) FROM events").fetchone()
    assert texts == [(MONDAY, "keep me", None)]
    assert log_size == events_before
    for old in ("missing photo", "State Revenue Service", "asked about fees"):
        assert not any(old in data for data in events + snaps)
    assert any("keep me" in data for data in events)
    finished = [json.loads(d) for d in events if '"outcome"' in d]
    assert {"detail", "referral"} <= set(finished[0])
    assert max(per_division.values()) <= 2
    with open_store(path, snapshot_every=4) as reopened:
        assert snapshots(reopened) == live


def test_purge_refuses_a_retention_shorter_than_a_day(tmp_path: Path) -> None:
    with open_store(tmp_path / "rinda.sqlite") as store, pytest.raises(ValueError):
        store.purge(at(f"{MONDAY} 12:00"), retention_days=0)


# ---------------------------------------------------------------- any sequence

SERVICES = ("passport", "collect", "residence", "visa")


def command_for(store: Store, kind: int, k: int, pick: int) -> Any:
    """A command that is usually legal: the draw picks the intent, the state the rest."""
    state = store.states["main"]
    counter = "123"[k]
    at_counter = state.counters[counter]
    numbers = list(state.visits) or ["A001"]
    number = numbers[pick % len(numbers)]
    if kind <= 2:
        services = tuple(SERVICES[(pick + i) % 4] for i in range(1 + pick % 3))
        priority = "disability" if pick % 7 == 0 else None
        return c.Issue(f"key{pick}-{kind}-{len(numbers)}", services, priority)
    if kind <= 8:
        if at_counter.status == "closed":
            return c.OpenCounter(counter, f"clerk{counter}")
        if at_counter.status == "paused":
            return c.ResumeCounter(counter)
        if at_counter.current is None:
            return c.CallNumber(counter, number) if pick % 5 == 0 else c.CallNext(counter)
        outcome = ("served", "refused", "referred", "behaviour", "served")[pick % 5]
        return [
            c.Finish(counter, outcome, "documents", f"free text {pick}", "Tax office"),
            c.Finish(counter),
            c.StartService(counter),
            c.Recall(counter),
            c.NoShow(counter),
            c.Transfer(counter, SERVICES[pick % 4], "123"[pick % 3] if pick % 2 else None),
            c.Undo(counter),
        ][pick % 7]
    if kind == 9:
        return c.ReturnVisit(number) if pick % 2 else c.Undo(counter)
    if kind == 10:
        due = at("2026-12-04 10:00") + pick * 900_000
        return c.CancelVisit(number) if pick % 2 else c.Book(f"BK{pick}", ("visa",), due)
    return c.PauseCounter(counter) if pick % 2 else c.CloseCounter(counter)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    length=st.integers(1, 120),
    snapshot_every=st.sampled_from([1, 2, 5, 2000]),
)
def test_any_sequence_of_commands_reopens_to_the_same_state_and_reports(
    seed: int, length: int, snapshot_every: int
) -> None:
    chance = random.Random(seed)
    days = iter(["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rinda.sqlite"
        with open_store(path, snapshot_every=snapshot_every) as live:
            now = at(f"{next(days)} 09:00")
            for counter in "123":
                live.execute("main", c.OpenCounter(counter, f"clerk{counter}"), now)
            for _ in range(length):
                if chance.random() < 0.03:
                    now = at(f"{next(days, '2026-12-07')} 09:00")
                now += chance.randrange(60_000)
                kind, k, pick = chance.randrange(12), chance.randrange(3), chance.randrange(30)
                with contextlib.suppress(DomainError):
                    live.execute("main", command_for(live, kind, k, pick), now)
            expected = snapshots(live)
        with open_store(path, snapshot_every=snapshot_every) as reopened:
            assert snapshots(reopened) == expected
        assert reporting(path, "main") == expected_reporting(path, "main")
