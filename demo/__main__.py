"""``python -m demo [--out DIR] [--minutes 90] [--speed 30]``: a simulated lobby morning.

Starts the real server, kiosk and display (offscreen), lets virtual visitors tap the
kiosk and virtual clerks work the counters, shows the lobby's clock as it goes, and
leaves screenshots, the printed tickets and a summary in the folder it names.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from demo.run import Options, run
from queue_server.clock import Clock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="the folder to fill (default var/demo/<time>)")
    parser.add_argument("--minutes", type=float, default=60.0, help="of the lobby's morning")
    parser.add_argument("--speed", type=float, default=20.0, help="times faster than real")
    parser.add_argument("--per-hour", type=float, default=24.0, help="visitors per hour")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if not (0 < args.minutes <= 600 and 1 <= args.speed <= 120 and 0 < args.per_hour <= 400):
        parser.error("--minutes 1-600, --speed 1-120, --per-hour up to 400")
    started = datetime.fromtimestamp(Clock()() / 1000)  # the folder's name: the machine's time
    out = args.out or Path("var/demo") / started.strftime("%Y%m%d-%H%M%S")
    print(f"rinda demo: a simulated morning at Riga 1st Division, {args.speed:g}x real time")
    done = run(Options(out, args.speed, args.minutes, args.per_hour, args.seed))
    print(f"rinda demo: screenshots, tickets and the summary are in {done}")
    print((done / "summary.md").read_text("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
