"""Core commands per second, in memory, at Riga 1st Division with every counter open.

A steady lobby: the queue is filled to a given length, then visitors keep
arriving (``Issue``, one to three services) while counters in turn call, start and
finish (``CallNext``, ``StartService``, ``Finish``), issuing only while the queue
is below its length (a fresh lobby, untimed, takes over before the day's ticket
numbers run out). Every command goes through ``DivisionState.execute`` (tick,
decide, apply), as the server runs it, without the store. The figure is the median
of the runs; the target is 20,000 commands per second.

    python bench/core_bench.py [--repeats 5] [--commands 20000] [--queues 10 40 120] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date, datetime
from datetime import time as clock
from pathlib import Path
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import holidays as holiday_calendars

from queue_server.config import load_office
from queue_server.core import DivisionState
from queue_server.core import commands as c
from queue_server.core.settings import Office

TARGET_PER_S = 20_000
DIVISION = "riga-1"
DAY = date(2026, 11, 30)
#: Instants between two commands: 20,000 commands take about an hour of the day.
STEP_MS = 180
KINDS = ("Issue", "CallNext", "StartService", "Finish")
#: A lobby is replaced (untimed) before any prefix reaches its last ticket numbers.
NUMBERS_PER_LOBBY = 900


def _lobby(office: Office, queue: int, rng: Random) -> tuple[DivisionState, int]:
    state = DivisionState(office, DIVISION, holiday_calendars.country_holidays("LV"))
    zone = ZoneInfo(office.divisions[DIVISION].timezone)
    now = int(datetime.combine(DAY, clock(9), tzinfo=zone).timestamp() * 1000)
    for counter in state.division.counters:
        state.execute(c.OpenCounter(counter.id, f"clerk-{counter.id}"), now)
    for n in range(queue):
        state.execute(c.Issue(f"fill-{n}", _services(state, rng)), now)
    return state, now


def _services(state: DivisionState, rng: Random) -> tuple[str, ...]:
    offered = list(state.division.services)
    weights = [1 / (i + 1) for i in range(len(offered))]
    count = rng.choices((1, 2, 3), weights=(70, 25, 5))[0]
    chosen: list[str] = []
    while len(chosen) < count:
        service = rng.choices(offered, weights=weights)[0]
        if service not in chosen:
            chosen.append(service)
    return tuple(chosen)


def one_run(office: Office, queue: int, commands: int, seed: int) -> dict[str, Any]:
    """Run ``commands`` commands against a lobby kept at ``queue`` waiting visits."""
    rng = Random(seed)
    state, now = _lobby(office, queue, rng)
    counters = [k.id for k in state.division.counters]
    spent = dict.fromkeys(KINDS, 0.0)
    done = dict.fromkeys(KINDS, 0)
    clock_ns = time.perf_counter_ns
    turn = issued = 0

    def timed(kind: str, command: c.Command) -> None:
        nonlocal now
        now += STEP_MS
        began = clock_ns()
        state.execute(command, now)
        spent[kind] += clock_ns() - began
        done[kind] += 1

    total = 0
    while total < commands:
        if max(state.issued.values(), default=0) >= NUMBERS_PER_LOBBY:
            # Ticket numbers run to 999 per prefix a day: go on in a fresh lobby.
            state, now = _lobby(office, queue, rng)
        if len(state.waiting()) < queue:
            timed("Issue", c.Issue(f"k-{issued}", _services(state, rng)))
            issued += 1
        for _ in counters:
            counter = counters[turn % len(counters)]
            turn += 1
            if state.next_for(counter) is not None:
                timed("CallNext", c.CallNext(counter))
                timed("StartService", c.StartService(counter))
                timed("Finish", c.Finish(counter))
                break
        total = sum(done.values())
    elapsed_ns = sum(spent.values())
    return {
        "commands": total,
        "seconds": elapsed_ns / 1e9,
        "per_s": total / (elapsed_ns / 1e9),
        "per_command_us": {k: spent[k] / done[k] / 1e3 if done[k] else None for k in KINDS},
        "mix": {k: round(done[k] / total, 3) for k in KINDS},
        "waiting_at_end": len(state.waiting()),
    }


def run(
    repeats: int = 5, commands: int = 20_000, queues: tuple[int, ...] = (10, 40, 120)
) -> dict[str, Any]:
    """The benchmark's figures: per queue length, the median of ``repeats`` runs."""
    office = load_office()
    rows = []
    for queue in queues:
        runs = [one_run(office, queue, commands, seed) for seed in range(repeats)]
        per_s = statistics.median(r["per_s"] for r in runs)
        rows.append(
            {
                "queue": queue,
                "commands_per_s": round(per_s),
                "ratio_to_target": round(per_s / TARGET_PER_S, 2),
                "per_command_us": {
                    k: round(statistics.median(r["per_command_us"][k] for r in runs), 1)
                    for k in KINDS
                },
                "mix": runs[0]["mix"],
                "runs_per_s": [round(r["per_s"]) for r in runs],
            }
        )
    headline = rows[len(rows) // 2] if rows else None
    return {
        "bench": "core",
        "division": DIVISION,
        "counters": len(office.divisions[DIVISION].counters),
        "target_per_s": TARGET_PER_S,
        "repeats": repeats,
        "commands_per_run": commands,
        "python": sys.version.split()[0],
        "commands_per_s": headline["commands_per_s"] if headline else None,
        "ratio_to_target": headline["ratio_to_target"] if headline else None,
        "rows": rows,
    }


def to_text(result: dict[str, Any]) -> str:
    lines = [
        f"Core commands per second at {result['division']} ({result['counters']} counters open),"
        f" in memory; median of {result['repeats']} runs of {result['commands_per_run']}"
        f" commands; target {result['target_per_s']:,}/s",
        "",
        f"{'queue':>5}  {'commands/s':>10}  {'x target':>8}  "
        + "  ".join(f"{k + ' µs':>15}" for k in KINDS),
    ]
    for row in result["rows"]:
        cells = "  ".join(f"{row['per_command_us'][k]:>15.1f}" for k in KINDS)
        lines.append(
            f"{row['queue']:>5}  {row['commands_per_s']:>10,}  {row['ratio_to_target']:>8.2f}  "
            + cells
        )
    mix = result["rows"][0]["mix"] if result["rows"] else {}
    lines += ["", "mix: " + ", ".join(f"{k} {v:.0%}" for k, v in mix.items())]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--commands", type=int, default=20_000)
    parser.add_argument("--queues", type=int, nargs="+", default=[10, 40, 120])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    result = run(max(1, args.repeats), args.commands, tuple(args.queues))
    print(json.dumps(result) if args.json else to_text(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
