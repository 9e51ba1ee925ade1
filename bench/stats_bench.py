"""How long a statistics report takes for a day, a week, a month and a year of a busy division.

    python bench/stats_bench.py [--days 30] [--visits 1500] [--year-visits 1100] [--json]
    python bench/stats_bench.py --keep var/stats-month.sqlite --keep-year var/stats-year.sqlite

**The month** is real: Riga 1st Division of the shipped configuration, opened every
day of November 2026 (so a month has 30 working days), each day simulated through
the real core and the durable store (``simulate_day`` with a ``StoreLobby``), about
1,500 visits a day. On top of the simulation, visitors rate about half of their
finished visits and clerks undo about 1% of their calls and finishes (and do them
again), so that every figure of the report has rows to read. The store summarises
each day when the next one opens, as it does in production.

**The year** (2026, 365 days, about 1,100 visits a day: some 400,000 visits) is built
from the month in seconds instead of simulated for ten minutes: day N of the year is
a copy of simulated day N mod 30, its instants shifted to the same local times of
the new day, keeping a random ``--year-visits`` / 1,506 of its visits (each with all
its ``visit_steps`` rows, first calls and events; the events without a visit,
counter openings and the like, all kept). Rows go in with ``executemany`` in the
store's column order, events in day order with new sequence numbers, so the file
is what the store would have written (the JSON of the events is copied as it is:
the statistics read only its counters, clerks and actions). The last day (31
December) is "today": its events stop before its close. Then every closed day is
summarised with ``summaries.fill`` (what ``rinda-server stats --warm`` does), timed.

Each figure is the median of ``--repeats`` runs of a report through a fresh read-only
connection (``report_file``: the summaries of the closed days, the rows of the others,
the fold and the figures), as the server answers an admin's request; "every row" is
the same report with ``summaries=False`` (each row of the period folded, as before
the summaries). Aim: a year within one second.
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
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from queue_server.config import load_office
from queue_server.core import DivisionState, DomainError, Status
from queue_server.core import commands as c
from queue_server.core import events as e
from queue_server.core.settings import Office, Span
from queue_server.core.visit import RATING_TAGS
from queue_server.simulate import Scenario, StoreLobby, simulate_day
from queue_server.stats import Report, open_read_only, report, report_span, tables, to_csv
from queue_server.stats.summaries import fill
from queue_server.store import Store
from queue_server.store.reporting import COLUMNS

AIM_YEAR_S = 1.0
DIVISION = "riga-1"
FIRST_DAY = date(2026, 11, 1)
YEAR = 2026
ZONE = ZoneInfo("Europe/Riga")
#: The instants of a ``visit_steps`` row, shifted when a day is copied.
INSTANTS = ("arrival", "queued_at", "called_at", "started_at", "finished_at", "estimate")
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
        one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "days": one("SELECT count(DISTINCT day) FROM visit_steps"),
            "visits": one("SELECT count(*) FROM visit_steps WHERE step = 0"),
            "steps": one("SELECT count(*) FROM visit_steps"),
            "events": one("SELECT count(*) FROM events"),
            "undone": one("SELECT count(*) FROM events WHERE type = 'action_undone'"),
            "ratings": one(
                "SELECT count(*) FROM visit_steps WHERE step = 0 AND rating IS NOT NULL"
            ),
            "summaries": one("SELECT count(*) FROM day_summaries"),
            "megabytes": round(path.stat().st_size / 1e6),
        }
    finally:
        db.close()


# ---------------------------------------------------------------------- the year


def local_midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=ZONE).timestamp() * 1000)


class Template:
    """One simulated day of the month, read once, to be copied to days of the year."""

    def __init__(self, conn: Any, day: str) -> None:
        self.day = day
        self.midnight = local_midnight(date.fromisoformat(day))
        self.steps: dict[str, list[list[Any]]] = {}
        rows = conn.execute(
            f"SELECT {', '.join(COLUMNS)} FROM visit_steps WHERE division = ? AND day = ? "
            "ORDER BY number, step",
            (DIVISION, day),
        )
        for row in rows:
            self.steps.setdefault(row[2], []).append(list(row))
        self.first_calls = conn.execute(
            "SELECT number, step, called_at FROM visit_first_calls WHERE division = ? AND day = ?",
            (DIVISION, day),
        ).fetchall()
        self.events = [
            (type_, at, data, actor, json.loads(data).get("number"))
            for type_, at, data, actor in conn.execute(
                "SELECT type, at, data, actor FROM events WHERE division = ? AND day = ? "
                "ORDER BY seq",
                (DIVISION, day),
            )
        ]


def build_year(month: Path, path: Path, visits: int, seed: int = 2026) -> float:
    """Copy the month's days into the 365 days of ``YEAR`` at ``path``; the seconds it took."""
    import sqlite3

    began = time.perf_counter()
    Store.open(path, every_day_office(), NO_HOLIDAYS).close()  # the schema, nothing else
    source = sqlite3.connect(month)
    days = [r[0] for r in source.execute("SELECT DISTINCT day FROM visit_steps ORDER BY day")]
    templates = [Template(source, day) for day in days]
    source.close()
    mean = sum(len(t.steps) for t in templates) / len(templates)
    keep = min(1.0, visits / mean)
    instants = [COLUMNS.index(name) for name in INSTANTS]
    day_at = COLUMNS.index("day")
    rng = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    seq = 0
    first = date(YEAR, 1, 1)
    last = date(YEAR, 12, 31)
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        text = day.isoformat()
        print(f"stats_bench: copying day {n + 1}/365", file=sys.stderr, end="\r", flush=True)
        template = templates[n % len(templates)]
        shift = local_midnight(day) - template.midnight
        kept = {number for number in template.steps if rng.random() < keep}
        steps = []
        for number in kept:
            for row in template.steps[number]:
                copy = list(row)
                copy[day_at] = text
                for i in instants:
                    if copy[i] is not None:
                        copy[i] += shift
                steps.append(copy)
        conn.executemany(
            f"INSERT INTO visit_steps ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(COLUMNS))})",
            steps,
        )
        conn.executemany(
            "INSERT INTO visit_first_calls (division, day, number, step, called_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (DIVISION, text, number, step, called_at + shift)
                for number, step, called_at in template.first_calls
                if number in kept
            ],
        )
        events = []
        for type_, at, data, actor, number in template.events:
            if number is not None and number not in kept:
                continue
            if type_ == "day_closed" and day == last:
                continue  # the year's last day is today: not over yet
            if type_ in ("day_opened", "day_closed"):
                data = data.replace(template.day, text)
            seq += 1
            events.append((seq, DIVISION, text, type_, at + shift, data, actor))
        conn.executemany(
            "INSERT INTO events (seq, division, day, type, at, data, actor) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            events,
        )
    conn.execute("COMMIT")
    conn.close()
    print(file=sys.stderr)
    return time.perf_counter() - began


def summarise(path: Path) -> tuple[float, int]:
    """Summarise every closed day of the file (``rinda-server stats --warm``); seconds, days."""
    from sqlite_utils import Database

    began = time.perf_counter()
    db = Database(path)
    try:
        done = fill(db, DIVISION, "Europe/Riga")
    finally:
        db.close()
    return time.perf_counter() - began, len(done)


# -------------------------------------------------------------------- the timing


Ask = Callable[[Any, bool], Report]


def time_report(
    path: Path, period: str, ask: Ask, start: str, repeats: int, every_row_repeats: int
) -> dict[str, Any]:
    """Median of ``repeats`` reports (and of the same with ``summaries=False``)."""

    def once(summaries: bool) -> tuple[float, Report]:
        began = time.perf_counter()
        db = open_read_only(path)
        try:
            found = ask(db, summaries)
        finally:
            db.close()
        return time.perf_counter() - began, found

    runs, csv_runs = [], []
    found = None
    for _ in range(repeats):
        took, found = once(True)
        runs.append(took)
        began = time.perf_counter()
        for table in tables(found).values():
            to_csv(table)
        csv_runs.append(time.perf_counter() - began)
    straight = []
    for _ in range(every_row_repeats):
        took, slow = once(False)
        straight.append(took)
        if slow != found:
            raise SystemExit(f"stats_bench: the {period} differs without summaries")
    assert found is not None
    median = statistics.median(runs)
    return {
        "period": period,
        "start": start,
        "days": len(found.days),
        "visits": found.summary.visits,
        "median_ms": round(median * 1000, 1),
        "runs_ms": [round(r * 1000, 1) for r in runs],
        "every_row_median_ms": (round(statistics.median(straight) * 1000, 1) if straight else None),
        "all_csv_median_ms": round(statistics.median(csv_runs) * 1000, 1),
        "ratio_to_aim": round(median / AIM_YEAR_S, 3),
    }


def periods(
    path: Path, day: date, year: int | None, repeats: int, every_row: int
) -> list[dict[str, Any]]:
    def of(period: str) -> Ask:
        return lambda db, summaries: report(db, DIVISION, period, day, summaries=summaries)

    rows = [
        time_report(path, "day", of("day"), day.isoformat(), repeats, every_row),
        time_report(path, "week", of("week"), day.isoformat(), repeats, every_row),
        time_report(path, "month", of("month"), day.isoformat(), repeats, every_row),
    ]
    if year is not None:

        def ask(db: Any, summaries: bool) -> Report:
            first, last = f"{year}-01-01", f"{year}-12-31"
            return report_span(db, DIVISION, first, last, summaries=summaries)

        rows.append(time_report(path, "year", ask, str(year), repeats, max(1, every_row - 2)))
    return rows


def measure(args: argparse.Namespace, month: Path, year: Path) -> dict[str, Any]:
    build_s = build(month, args.days, args.visits) if not month.exists() else None
    # A file kept from before the summaries: upgrade it and summarise its closed days.
    Store.open(month, every_day_office(), NO_HOLIDAYS).close()
    month_warm_s, month_warmed = summarise(month)
    middle = FIRST_DAY + timedelta(days=min(args.days - 1, 15))
    month_rows = periods(month, middle, None, args.repeats, args.repeats)
    result: dict[str, Any] = {
        "division": DIVISION,
        "month": {
            "days": args.days,
            "visits_per_day_asked": args.visits,
            "file": counts(month),
            "build_s": round(build_s, 1) if build_s is not None else None,
            "summarise_s": round(month_warm_s, 1),
            "summarised_days": month_warmed,
            "rows": month_rows,
        },
    }
    if args.days == 30:
        year_build_s = build_year(month, year, args.year_visits) if not year.exists() else None
        warm_s, warmed = summarise(year)
        year_rows = periods(year, date(YEAR, 12, 31), YEAR, args.repeats, args.every_row)
        result["year"] = {
            "visits_per_day_asked": args.year_visits,
            "file": counts(year),
            "build_s": round(year_build_s, 1) if year_build_s is not None else None,
            "summarise_s": round(warm_s, 1),
            "summarised_days": warmed,
            "rows": year_rows,
        }
        result["aim_year_s"] = AIM_YEAR_S
        result["year_ratio_to_aim"] = year_rows[-1]["ratio_to_aim"]
    result["repeats"] = args.repeats
    result["month_ratio_to_aim"] = month_rows[-1]["ratio_to_aim"]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30, help="days of the month (default 30)")
    parser.add_argument("--visits", type=int, default=1500, help="visits a day (default 1500)")
    parser.add_argument(
        "--year-visits", type=int, default=1100, help="visits a day of the year (default 1100)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="runs per figure (default 5)")
    parser.add_argument(
        "--every-row",
        type=int,
        default=3,
        help="runs per figure without summaries (default 3; 1 for the year)",
    )
    parser.add_argument("--keep", type=Path, help="build the month here, or reuse it")
    parser.add_argument("--keep-year", type=Path, help="build the year here, or reuse it")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if not 1 <= args.days <= 30:
        parser.error("--days must be 1 to 30 (one month; the year needs 30)")
    with tempfile.TemporaryDirectory(dir=Path(__file__).resolve().parents[1] / "var") as folder:
        month = args.keep or Path(folder) / "month.sqlite"
        year = args.keep_year or Path(folder) / "year.sqlite"
        for path in (month, year):
            path.parent.mkdir(parents=True, exist_ok=True)
        result = measure(args, month, year)
    if args.json:
        print(json.dumps(result))
        return 0
    print_table(result)
    return 0


def print_table(result: dict[str, Any]) -> None:
    for part in ("month", "year"):
        if part not in result:
            continue
        found = result[part]
        file = found["file"]
        built = f", built in {found['build_s']} s" if found["build_s"] is not None else ""
        warmed = (
            f"; {found['summarised_days']} days summarised in {found['summarise_s']} s"
            if "summarise_s" in found
            else ""
        )
        print(
            f"\nThe {part} at {DIVISION}: {file['days']} days, {file['visits']:,} visits, "
            f"{file['steps']:,} steps, {file['events']:,} events, {file['undone']:,} undone, "
            f"{file['ratings']:,} ratings, {file['megabytes']} MB{built}{warmed}"
        )
        header = ("period", "start", "visits", "median ms", "runs ms", "every row ms", "CSV ms")
        lines = [header] + [
            (
                row["period"],
                row["start"],
                f"{row['visits']:,}",
                f"{row['median_ms']:.1f}",
                " ".join(f"{r:.0f}" for r in row["runs_ms"]),
                f"{row['every_row_median_ms']:.1f}" if row["every_row_median_ms"] else "-",
                f"{row['all_csv_median_ms']:.1f}",
            )
            for row in found["rows"]
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
    print(f'\nmedian of {result["repeats"]} runs each ("every row": summaries=False)')
    if "year_ratio_to_aim" in result:
        print(f"the year vs the aim of {AIM_YEAR_S:g} s: {result['year_ratio_to_aim']:.2f}")


if __name__ == "__main__":
    sys.exit(main())
