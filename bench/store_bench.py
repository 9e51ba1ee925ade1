"""How fast the store commits, and how fast it recovers on a file with years of history.

    python bench/store_bench.py            # a readable table
    python bench/store_bench.py --json     # one JSON object

Commits: a busy division (six counters open, about forty visitors waiting) takes a
realistic mix of issue / call / start / finish / recall / no-show commands; each
command is decided by the core and committed durably (WAL, synchronous=NORMAL)
before the next one. The figure is the median of several runs on fresh files. The
same mix against a bare in-memory ``DivisionState`` shows what the core alone costs.

Recovery: a file with 1,000,000 events of synthetic history (inserted directly) and
a busy day of real events committed through the store, stopped just before the next
snapshot so that a restart replays nearly the most it ever has to. The figure is the
median time of ``Store.open`` on it.

Targets: 5,000 durable commands per second; recovery within 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
from sqlite_utils import Database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from queue_server.core import DivisionState, DomainError
from queue_server.core import commands as c
from queue_server.core.commands import Command
from queue_server.core.settings import (
    MINUTE_MS,
    Contacts,
    Counter,
    Division,
    Office,
    Priority,
    Service,
    Span,
)
from queue_server.store import SNAPSHOT_EVERY, Store
from queue_server.store.log import dumps
from queue_server.store.reporting import COLUMNS

TARGET_COMMANDS_PER_S = 5000
TARGET_RECOVERY_S = 0.5
RIGA = ZoneInfo("Europe/Riga")
LV_HOLIDAYS = holidays.country_holidays("LV")
#: A Monday with nothing special about it: the benchmark's "today".
TODAY = date(2026, 11, 30)
HISTORY_EVENTS = 1_000_000
WAITING = 40
VISITS_PER_DAY = 400


def local_ms(day: date, hour: int, minute: int = 0) -> int:
    return int(datetime(day.year, day.month, day.day, hour, minute, tzinfo=RIGA).timestamp()) * 1000


def _text(word: str) -> dict[str, str]:
    return {lang: word for lang in ("lv", "en", "ru", "uk")}


def bench_office() -> Office:
    """A large division (six counters) and three smaller ones, open 8-20 on workdays."""
    services = {
        sid: Service(
            sid, prefix, _text(sid), _text(sid), _text("passport"), None, minutes * MINUTE_MS
        )
        for sid, prefix, minutes in (
            ("passport", "A", 10),
            ("collect", "B", 3),
            ("residence", "C", 15),
            ("citizenship", "D", 20),
            ("registration", "E", 6),
        )
    }
    week = {day: Span(8 * 60, 20 * 60) for day in range(5)}
    counters = (
        Counter("1", 1, ("passport", "collect")),
        Counter("2", 2, ("passport", "collect")),
        Counter("3", 3, ("collect", "passport", "registration")),
        Counter("4", 4, ("residence", "citizenship")),
        Counter("5", 5, ("residence", "registration")),
        Counter("6", 6, ("citizenship", "residence", "passport")),
    )
    divisions = {"riga1": Division("riga1", _text("Rīga 1"), ("lv", "en", "ru"), week, counters)}
    for name in ("jelgava", "valmiera", "liepaja"):
        divisions[name] = Division(name, _text(name), ("lv", "en"), week, counters[:3])
    return Office(
        name=_text("PMLP"),
        contacts=Contacts("", "", "", "", "", "", "", ""),
        languages=("lv", "en", "ru", "uk"),
        services=services,
        priorities={"disability": Priority("disability", 1, _text("disability"))},
        refusal_reasons={"documents": _text("documents")},
        divisions=divisions,
    )


OFFICE = bench_office()
VISIT_MIXES = (
    ("passport",),
    ("passport",),
    ("collect",),
    ("collect",),
    ("residence",),
    ("registration",),
    ("citizenship",),
    ("passport", "collect"),
    ("residence", "registration"),
)


def lobby_commands(state: Callable[[], DivisionState], seed: int) -> Iterator[Command]:
    """An endless, realistic mix at the big division, always legal in the state given."""
    chance = random.Random(seed)
    counters = [k.id for k in OFFICE.divisions["riga1"].counters]
    for counter in counters:
        yield c.OpenCounter(counter, f"clerk{counter}")
    n = 0
    while True:
        n += 1
        now_state = state()
        if len(now_state.waiting()) < WAITING or chance.random() < 0.12:
            mix = chance.choice(VISIT_MIXES)
            priority = "disability" if chance.random() < 0.03 else None
            yield c.Issue(f"tap-{seed}-{n}", mix, priority)
            continue
        counter = counters[n % len(counters)]
        at_counter = now_state.counters[counter]
        if at_counter.current is None:
            yield c.CallNext(counter)
            continue
        visit = now_state.visits[at_counter.current]
        roll = chance.random()
        if visit.status == "called" and roll < 0.05 and visit.recalls < 2:
            yield c.Recall(counter)
        elif visit.status == "called" and roll < 0.08:
            yield c.NoShow(counter)
        elif visit.status == "called" and roll < 0.6:
            yield c.StartService(counter)
        elif roll < 0.95:
            yield c.Finish(counter)
        else:
            yield c.Finish(counter, "refused", "documents", detail="no photo")


def run_mix(
    execute: Callable[[Command, int], object],
    state: Callable[[], DivisionState],
    count: int,
    seed: int,
) -> tuple[int, float]:
    """Execute ``count`` commands of the mix; (commands done, seconds)."""
    now = local_ms(TODAY, 8)
    done = 0
    commands = lobby_commands(state, seed)
    started = time.perf_counter()
    while done < count:
        now += 200
        try:
            execute(next(commands), now)
        except DomainError as refused:
            if refused.code == "numbers_exhausted":
                break
            continue
        done += 1
    return done, time.perf_counter() - started


def durable_run(count: int, seed: int) -> float:
    """Commands per second through the store, on a fresh file."""
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "bench.sqlite", OFFICE, LV_HOLIDAYS)
        try:
            done, seconds = run_mix(
                lambda cmd, now: store.execute("riga1", cmd, now),
                lambda: store.states["riga1"],
                count,
                seed,
            )
        finally:
            store.close()
    return done / seconds


def core_run(count: int, seed: int) -> float:
    """Commands per second of the core alone, in memory (what the store adds to)."""
    bare = DivisionState(OFFICE, "riga1", LV_HOLIDAYS)
    done, seconds = run_mix(bare.execute, lambda: bare, count, seed)
    return done / seconds


def measure_commits(runs: int, count: int) -> dict[str, object]:
    durable = [durable_run(count, seed) for seed in range(runs)]
    core_only = [core_run(count, seed) for seed in range(runs)]
    d, k = statistics.median(durable), statistics.median(core_only)
    return {
        "commands_per_s": round(d),
        "commands_per_s_runs": [round(x) for x in durable],
        "core_only_commands_per_s": round(k),
        "store_us_per_command": round((1 / d - 1 / k) * 1e6, 1),
    }


def _history() -> Iterator[tuple[str, str, int, int | None]]:
    """Past working days at every division: (division, day, day opened, visit or None)."""
    day = TODAY - timedelta(days=1)
    while True:
        day -= timedelta(days=1)
        if day.weekday() >= 5:
            continue
        for division in OFFICE.divisions:
            opened = local_ms(day, 7, 59)
            yield division, day.isoformat(), opened, None
            for visit in range(VISITS_PER_DAY):
                yield division, day.isoformat(), opened, visit


def history_events(count: int) -> Iterator[tuple[object, ...]]:
    """Synthetic event rows: each past visit issued, called and finished."""
    seq = 0
    for division, day, opened, visit in _history():
        if visit is None:
            happened = [("day_opened", opened, {"day": day})]
        else:
            number = f"A{visit % 999 + 1:03d}"
            issued = opened + 60_000 + visit * 80_000
            desk = {"number": number, "counter": "1", "clerk": "clerk1"}
            happened = [
                (
                    "visit_issued",
                    issued,
                    {
                        "number": number,
                        "key": f"k{visit}",
                        "services": ["passport"],
                        "priority": None,
                        "lang": "lv",
                        "appointment": None,
                        "due": None,
                        "estimate": issued + 600_000,
                        "past_closing": False,
                    },
                ),
                ("visit_called", issued + 500_000, desk),
                (
                    "step_finished",
                    issued + 900_000,
                    {**desk, "outcome": "served", "reason": None, "detail": None, "referral": None},
                ),
            ]
        for type_, at, data in happened:
            seq += 1
            yield (seq, division, day, type_, at, dumps(data))
            if seq == count:
                return


def history_steps(count: int) -> Iterator[tuple[object, ...]]:
    """The reporting rows of the synthetic visits (one step each)."""
    visits = count // 3
    for division, day, opened, visit in _history():
        if visit is None:
            continue
        visits -= 1
        if visits < 0:
            return
        number = f"A{visit % 999 + 1:03d}"
        issued = opened + 60_000 + visit * 80_000
        yield (
            division, day, number, 0, "passport", None, None, "lv", issued, issued,
            issued + 500_000, None, issued + 900_000, "1", "clerk1", "served", None, None,
            None, None, "done", issued + 600_000, 0, 0, None, None,
        )  # fmt: skip


def build_history(path: Path) -> dict[str, int]:
    """1,000,000 events of history, then a busy day through the store, stopped just short
    of the next snapshot of the big division."""
    Store.open(path, OFFICE, LV_HOLIDAYS).close()
    db = Database(path)
    with db.atomic():
        db.conn.executemany(
            "INSERT INTO events (seq, division, day, type, at, data) VALUES (?, ?, ?, ?, ?, ?)",
            history_events(HISTORY_EVENTS),
        )
        db.conn.executemany(
            f"INSERT INTO visit_steps VALUES ({', '.join('?' * len(COLUMNS))})",
            history_steps(HISTORY_EVENTS),
        )
    db.close()

    store = Store.open(path, OFFICE, LV_HOLIDAYS)
    try:
        now = local_ms(TODAY, 8)
        for division in OFFICE.divisions:
            store.tick(division, now)
        since_snapshot = 0
        commands = lobby_commands(lambda: store.states["riga1"], seed=99)
        day_events = 0
        # Stop one event short of a snapshot: the restart replays nearly SNAPSHOT_EVERY.
        while day_events < 2 * SNAPSHOT_EVERY or since_snapshot < SNAPSHOT_EVERY - 10:
            now += 1000
            try:
                found = store.execute("riga1", next(commands), now)
            except DomainError:
                continue
            day_events += len(found)
            since_snapshot += len(found)
            if since_snapshot >= SNAPSHOT_EVERY:
                since_snapshot = 0
        last_seq = store.last_seq
    finally:
        store.close()
    return {"events": last_seq, "today_events": day_events}


def measure_recovery(opens: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "history.sqlite"
        started = time.perf_counter()
        built = build_history(path)
        build_s = time.perf_counter() - started
        times = []
        for _ in range(opens):
            started = time.perf_counter()
            store = Store.open(path, OFFICE, LV_HOLIDAYS)
            times.append(time.perf_counter() - started)
            replayed = store.recovery["riga1"].replayed
            visits = len(store.states["riga1"].visits)
            store.close()
        size = path.stat().st_size
    return {
        "recovery_s": round(statistics.median(times), 4),
        "recovery_s_runs": [round(t, 4) for t in times],
        "history_events": built["events"],
        "today_events": built["today_events"],
        "replayed_events": replayed,
        "visits_today": visits,
        "file_mb": round(size / 2**20, 1),
        "build_s": round(build_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--runs", type=int, default=5, help="commit runs (median)")
    parser.add_argument("--commands", type=int, default=6000, help="commands per run")
    parser.add_argument("--opens", type=int, default=7, help="recovery opens (median)")
    args = parser.parse_args()

    commits = measure_commits(args.runs, args.commands)
    recovery = measure_recovery(args.opens)
    result = {
        **commits,
        "commands_target": TARGET_COMMANDS_PER_S,
        "commands_ratio": round(commits["commands_per_s"] / TARGET_COMMANDS_PER_S, 2),
        **recovery,
        "recovery_target_s": TARGET_RECOVERY_S,
        "recovery_ratio": round(TARGET_RECOVERY_S / float(recovery["recovery_s"]), 2),  # type: ignore[arg-type]
    }
    if args.json:
        print(json.dumps(result))
        return
    print("Rinda store benchmark (WAL, synchronous=NORMAL)")
    table = [
        (
            "durable commands/s (median)",
            f"{result['commands_per_s']:,}",
            f"target {TARGET_COMMANDS_PER_S:,}/s: x{result['commands_ratio']}",
        ),
        ("  runs", ", ".join(f"{x:,}" for x in commits["commands_per_s_runs"]), ""),
        ("  core alone, no store", f"{result['core_only_commands_per_s']:,}/s", ""),
        ("  store cost per command", f"{result['store_us_per_command']} µs", ""),
        (
            "recovery, Store.open (median)",
            f"{result['recovery_s']} s",
            f"target {TARGET_RECOVERY_S} s: x{result['recovery_ratio']} headroom",
        ),
        (
            "  history in the file",
            f"{result['history_events']:,} events",
            f"{result['file_mb']} MB",
        ),
        (
            "  replayed after the snapshot",
            f"{result['replayed_events']:,} events",
            f"{result['visits_today']} visits today",
        ),
    ]
    width = max(len(row[0]) for row in table)
    for name, value, note in table:
        print(f"{name:<{width}}  {value:>22}  {note}")


if __name__ == "__main__":
    main()
