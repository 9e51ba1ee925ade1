"""How long a full simulated day at Riga 1st Division takes: 1,500 visits, target 1 s.

Each run simulates Monday 30 November 2026 at ``riga-1`` of the shipped
configuration through the real core in memory (``simulate_day``), with a new seed.
The figure is the median of the runs; the time inside the core (all commands, and
issuing alone, which includes the estimate) is measured beside it. A second row
runs the division's default number of visits, what its counters can serve.

    python bench/simulate_bench.py [--repeats 5] [--visits 1500] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import holidays as holiday_calendars

from queue_server.config import load_office
from queue_server.core import DivisionState
from queue_server.core import commands as c
from queue_server.core import events as e
from queue_server.core.settings import Office
from queue_server.simulate import MemoryLobby, Scenario, simulate_day

TARGET_S = 1.0
DIVISION = "riga-1"
DAY = date(2026, 11, 30)
VISITS = 1500


class TimedLobby(MemoryLobby):
    """The in-memory core, with a stopwatch on every command and on issuing alone."""

    def __init__(self, state: DivisionState) -> None:
        super().__init__(state)
        self.core_s = 0.0
        self.issue_s = 0.0

    def execute(self, command: c.Command, now: int) -> list[e.Event]:
        began = time.perf_counter()
        try:
            return super().execute(command, now)
        finally:
            spent = time.perf_counter() - began
            self.core_s += spent
            if isinstance(command, c.Issue | c.CheckIn):
                self.issue_s += spent


def one_run(office: Office, visits: int | None, seed: int) -> dict[str, Any]:
    calendar = holiday_calendars.country_holidays("LV")
    lobby = TimedLobby(DivisionState(office, DIVISION, calendar))
    began = time.perf_counter()
    report = simulate_day(
        office, DIVISION, DAY, Scenario(visits=visits), seed, calendar, lobby=lobby
    )
    seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "core_s": lobby.core_s,
        "issue_s": lobby.issue_s,
        "commands": report.commands,
        "issued": report.visits["issued"],
        "expired": report.visits["expired"],
        "visits_target": report.visits_target,
        "mean_wait_min": report.wait.mean,
        "estimate_mae_min": report.estimate.mean_abs_min,
        "utilisation": report.utilisation,
    }


def _row(label: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    def median(key: str) -> float:
        return float(statistics.median(r[key] for r in runs))

    seconds = median("seconds")
    return {
        "label": label,
        "visits_target": runs[0]["visits_target"],
        "seconds": round(seconds, 3),
        "ratio_to_target": round(seconds / TARGET_S, 2),
        "core_s": round(median("core_s"), 3),
        "issue_s": round(median("issue_s"), 3),
        "commands": round(median("commands")),
        "issued": round(median("issued")),
        "expired": round(median("expired")),
        "mean_wait_min": round(median("mean_wait_min"), 1),
        "estimate_mae_min": round(median("estimate_mae_min"), 1),
        "utilisation": round(median("utilisation"), 3),
        "runs_s": [round(r["seconds"], 3) for r in runs],
    }


def run(repeats: int = 5, visits: int = VISITS) -> dict[str, Any]:
    """The benchmark's figures: the median of ``repeats`` simulated days, per load."""
    office = load_office()
    rows = [
        _row(f"{visits} visits", [one_run(office, visits, seed) for seed in range(repeats)]),
        _row("default visits", [one_run(office, None, seed) for seed in range(repeats)]),
    ]
    return {
        "bench": "simulate",
        "division": DIVISION,
        "day": DAY.isoformat(),
        "counters": len(office.divisions[DIVISION].counters),
        "target_s": TARGET_S,
        "repeats": repeats,
        "python": sys.version.split()[0],
        "seconds": rows[0]["seconds"],
        "ratio_to_target": rows[0]["ratio_to_target"],
        "rows": rows,
    }


def to_text(result: dict[str, Any]) -> str:
    lines = [
        f"A simulated day at {result['division']} ({result['counters']} counters) on"
        f" {result['day']}; median of {result['repeats']} seeds; target {result['target_s']} s",
        "",
        f"{'load':<15} {'visits':>6} {'seconds':>8} {'x target':>8} {'core s':>7}"
        f" {'issue s':>7} {'commands':>8} {'issued':>6} {'expired':>7} {'wait min':>8}"
        f" {'est. MAE':>8} {'util.':>6}",
    ]
    for row in result["rows"]:
        lines.append(
            f"{row['label']:<15} {row['visits_target']:>6} {row['seconds']:>8.3f}"
            f" {row['ratio_to_target']:>8.2f} {row['core_s']:>7.3f} {row['issue_s']:>7.3f}"
            f" {row['commands']:>8} {row['issued']:>6} {row['expired']:>7}"
            f" {row['mean_wait_min']:>8.1f} {row['estimate_mae_min']:>8.1f}"
            f" {row['utilisation']:>6.1%}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--visits", type=int, default=VISITS)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    result = run(max(1, args.repeats), args.visits)
    print(json.dumps(result) if args.json else to_text(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
