"""How long a statistics report takes for a day, a week and a month of a busy division.

    python bench/stats_bench.py [--days 30] [--visits 1500] [--repeats 5] [--json]
    python bench/stats_bench.py --keep var/stats-month.sqlite   # build once, time again later

The data is real: Riga 1st Division of the shipped configuration, opened every day
of November 2026 (so a month has 30 working days), each day simulated through the
real core and the durable store (``simulate_day`` with a ``StoreLobby``), about
1,500 visits a day. On top of the simulation, visitors rate about half of their
finished visits and clerks undo about 1% of their calls and finishes (and do them
again), so that every figure of the report has rows to read.

Each figure is the median of ``--repeats`` runs of ``report_file`` (a fresh
read-only connection, the query on its index, the fold and the tables), as the
server would answer an admin's request. Aim: a month within one second.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from queue_server.config import load_office
from queue_server.core import DivisionState, DomainError, Status
from queue_server.core import commands as c
from queue_server.core import events as e
from queue_server.core.settings import Office, Span
from queue_server.core.visit import RATING_TAGS
from queue_server.simulate import Scenario, StoreLobby, simulate_day
from queue_server.stats import report_file, tables, to_csv
from queue_server.store import Store

AIM_MONTH_S = 1.0
DIVISION = "riga-1"
FIRST_DAY = date(2026, 11, 1)
NO_HOLIDAYS: frozenset[date] = frozenset()


class StaffLobby:
    """A ``StoreLobby`` plus what the simulation leaves out: ratings and undone misclicks.

    The simulation sees only the events of the command it sent (or of its repeat
    after an undo), so its own bookkeeping stays right.
    """

    def __init__(self, inner: StoreLobby, seed: int) -> None:
        self.inner = inner
        self.rng = random.Random(f"{seed}:staff")

    @property
    def state(self) -> DivisionState:
        return self.inner.state

    def execute(self, command: c.Command, now: int) -> list[e.Event]:
        found = self.inner.execute(command, now)
        if isinstance(command, c.CallNext | c.Finish) and self.rng.random() < 0.01:
            self.inner.execute(c.Undo(command.counter), now)
            found = self.inner.execute(command, now)
        if isinstance(command, c.Finish):
            self._rate(found, now)
        return found

    def tick(self, now: int) -> list[e.Event]:
        return self.inner.tick(now)

    def _rate(self, found: list[e.Event], now: int) -> None:
        finished = next(ev for ev in found if isinstance(ev, e.StepFinished))
        visit = self.state.visits[finished.number]
        if visit.status is not Status.DONE or self.rng.random() >= 0.5:
            return
        stars = self.rng.choices((1, 2, 3, 4, 5), weights=(4, 4, 10, 30, 52))[0]
        tags = tuple(self.rng.sample(RATING_TAGS, self.rng.randint(0, 2)))
        with contextlib.suppress(DomainError):
            self.inner.execute(c.RateVisit(visit.number, stars, tags), now)


def every_day_office() -> Office:
    """The shipped configuration, with Riga 1st Division open 8-20 every day of the week."""
    office = load_office()
    riga = office.divisions[DIVISION]
    week = {weekday: Span(8 * 60, 20 * 60) for weekday in range(7)}
    divisions = dict(office.divisions)
    divisions[DIVISION] = dataclasses.replace(riga, week=week, exceptions=())
    return dataclasses.replace(office, divisions=divisions)


def build(path: Path, days: int, visits: int) -> float:
    """Simulate ``days`` days into ``path`` through the store; the seconds it took."""
    office = every_day_office()
    began = time.perf_counter()
    with Store.open(path, office, NO_HOLIDAYS) as store:
        for n in range(days):
            print(f"stats_bench: simulating day {n + 1}/{days}", file=sys.stderr, flush=True)
            lobby = StaffLobby(StoreLobby(store, DIVISION), seed=n)
            simulate_day(
                office,
                DIVISION,
                FIRST_DAY + timedelta(days=n),
                Scenario(visits=visits),
                n + 1,
                NO_HOLIDAYS,
                lobby=lobby,
            )
    return time.perf_counter() - began


def counts(path: Path) -> dict[str, int]:
    from sqlite_utils import Database

    db = Database(path)
    try:
        return {
            "visits": db.execute("SELECT count(*) FROM visit_steps WHERE step = 0").fetchone()[0],
            "steps": db.execute("SELECT count(*) FROM visit_steps").fetchone()[0],
            "events": db.execute("SELECT count(*) FROM events").fetchone()[0],
            "undone": db.execute(
                "SELECT count(*) FROM events WHERE type = 'action_undone'"
            ).fetchone()[0],
            "ratings": db.execute(
                "SELECT count(*) FROM visit_steps WHERE step = 0 AND rating IS NOT NULL"
            ).fetchone()[0],
        }
    finally:
        db.close()


def time_report(path: Path, period: str, start: date, repeats: int) -> dict[str, Any]:
    runs = []
    csv_runs = []
    visits = 0
    for _ in range(repeats):
        began = time.perf_counter()
        found = report_file(path, DIVISION, period, start)
        runs.append(time.perf_counter() - began)
        began = time.perf_counter()
        for table in tables(found).values():
            to_csv(table)
        csv_runs.append(time.perf_counter() - began)
        visits = found.summary.visits
    return {
        "period": period,
        "start": start.isoformat(),
        "visits": visits,
        "median_ms": round(statistics.median(runs) * 1000, 1),
        "runs_ms": [round(r * 1000, 1) for r in runs],
        "all_csv_median_ms": round(statistics.median(csv_runs) * 1000, 1),
    }


def measure(path: Path, days: int, visits: int, repeats: int, built: bool) -> dict[str, Any]:
    build_s = build(path, days, visits) if built else None
    middle = FIRST_DAY + timedelta(days=min(days - 1, 15))
    rows = [
        time_report(path, "day", middle, repeats),
        time_report(path, "week", middle, repeats),
        time_report(path, "month", FIRST_DAY, repeats),
    ]
    month = rows[-1]
    return {
        "division": DIVISION,
        "days": days,
        "visits_per_day_asked": visits,
        "file": counts(path),
        "build_s": round(build_s, 1) if build_s is not None else None,
        "repeats": repeats,
        "rows": rows,
        "aim_month_s": AIM_MONTH_S,
        "month_ratio_to_aim": round(month["median_ms"] / 1000 / AIM_MONTH_S, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30, help="days of data (default 30)")
    parser.add_argument("--visits", type=int, default=1500, help="visits a day (default 1500)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per figure (default 5)")
    parser.add_argument("--keep", type=Path, help="build the data here, or reuse it if it exists")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if not 1 <= args.days <= 30:
        parser.error("--days must be 1 to 30 (one month)")
    if args.keep is not None:
        args.keep.parent.mkdir(parents=True, exist_ok=True)
        result = measure(args.keep, args.days, args.visits, args.repeats, not args.keep.exists())
    else:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "stats.sqlite"
            result = measure(path, args.days, args.visits, args.repeats, True)
    if args.json:
        print(json.dumps(result))
        return 0
    file = result["file"]
    print(
        f"Statistics report at {DIVISION}: {result['days']} days, {file['visits']:,} visits, "
        f"{file['steps']:,} steps, {file['events']:,} events, {file['undone']} undone, "
        f"{file['ratings']:,} ratings"
        + (f" (built in {result['build_s']} s)" if result["build_s"] is not None else "")
    )
    header = ("period", "start", "visits", "median ms", "runs ms", "all CSV ms")
    lines = [header] + [
        (
            row["period"],
            row["start"],
            f"{row['visits']:,}",
            f"{row['median_ms']:.1f}",
            " ".join(f"{r:.0f}" for r in row["runs_ms"]),
            f"{row['all_csv_median_ms']:.1f}",
        )
        for row in result["rows"]
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for i, line in enumerate(lines):
        print(
            "  ".join(
                cell.ljust(w) if j < 2 else cell.rjust(w)
                for j, (cell, w) in enumerate(zip(line, widths, strict=True))
            )
        )
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(
        f"\nmedian of {result['repeats']} runs each; month vs the aim of {AIM_MONTH_S:g} s: "
        f"{result['month_ratio_to_aim']:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
