"""How fast and how light the hall display is: from a call's broadcast to the frame
that shows it, and its CPU share and memory while it runs.

    python bench/display_bench.py            # a readable table
    python bench/display_bench.py --json     # one JSON object

Everything runs on 127.0.0.1 against the real ``rinda-server serve``
(``tests/serverkit.py``, its clock on a working Monday at 09:00) with the Kivy app in
an offscreen 1920x1080 window, in its own process, as in production, with espeak-ng
making the speech (played to SDL's dummy audio driver, which takes as long as a
loudspeaker would).

Call to frame: a clerk at counter 1 calls one ticket after another. A second client
(a display token, listening like the display) stamps the arrival of each
``visit_called`` broadcast; the display stamps the frame (``Window.on_flip``) that
first shows that number. Both stamps are ``time.perf_counter()`` (CLOCK_MONOTONIC on
Linux: one clock for every process of the machine). p50 and p99 are over the calls
(nearest rank; with 30 calls, p99 is the maximum).

Running: for ``--minutes`` (1 by default) a clerk calls a ticket every few seconds
while the display runs; every second the parent samples the display process's CPU
time and resident memory from /proc. The table gives the CPU share (CPU seconds per
wall second) of the whole minute (announcements and all), its median over one-second
samples, and of the quiet seconds (no call within 5 s); then, once the last call is
said and no longer highlighted, the share over 20 idle seconds; and the memory at the
start and the end of the minute.

No aims are set for these (issue 5): the figures are reported as they are.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_HOME", str(ROOT / "var" / "kivy"))
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ["TMPDIR"] = str(ROOT / "var" / "tmp")
os.environ.pop("DISPLAY", None)
for _folder in (os.environ["KIVY_HOME"], os.environ["TMPDIR"]):
    Path(_folder).mkdir(parents=True, exist_ok=True)

CALLS = int(os.environ.get("RINDA_BENCH_CALLS", "30"))
CALL_GAP_S = 0.4
RUN_GAP_S = 4.0
STEP_TIMEOUT = 15.0
QUIET_S = 5.0
#: After the run: wait for the last announcement and highlight to end, then measure.
IDLE_SETTLE_S = 15.0
IDLE_S = 20.0
#: What the child reads from its environment (never its arguments).
ENV_SETTINGS = "RINDA_BENCH_DISPLAY"
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


# ---------------------------------------------------------------------- the child


def child() -> int:
    """The display in this process; prints one JSON line per frame that shows a new
    number: {"number": ..., "flip": perf_counter}."""
    given = json.loads(os.environ[ENV_SETTINGS])
    from kivy.config import Config

    from display.settings import MAX_FPS

    Config.set("graphics", "width", "1920")
    Config.set("graphics", "height", "1080")
    Config.set("graphics", "maxfps", str(MAX_FPS))  # as display/__main__.py does
    from kivy.core.window import Window

    from display.app import DisplayApp
    from display.settings import DisplaySettings
    from queue_server.config import Catalog

    app = DisplayApp(
        DisplaySettings.from_mapping(given["settings"]),
        Catalog.load(),
        speech_cache=Path(given["cache"]),
    )
    shown: dict[str, str | None] = {"number": None}

    def flipped(*_: Any) -> None:
        number = app.root.card.number if app.root is not None else ""
        if number != shown["number"]:
            shown["number"] = number
            print(json.dumps({"number": number, "flip": time.perf_counter()}), flush=True)

    Window.bind(on_flip=flipped)
    asyncio.run(app.serve())
    return 0


# ---------------------------------------------------------------------- the parent


class Display:
    """The display's process and what it printed."""

    def __init__(self, settings: dict[str, Any], cache: Path) -> None:
        env = {**os.environ, ENV_SETTINGS: json.dumps({"settings": settings, "cache": str(cache)})}
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--child"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=(cache.parent / "display.log").open("w"),
            text=True,
        )
        self.flips: dict[str, float] = {}

    async def read(self) -> None:
        assert self.process.stdout is not None
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, self.process.stdout.readline)
            if not line:
                return
            if line.startswith("{"):
                mark = json.loads(line)
                self.flips.setdefault(mark["number"], mark["flip"])

    def usage(self) -> tuple[float, int]:
        """(CPU seconds used so far, resident bytes) of the display process."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(stat[11]) + int(stat[12])) / TICKS
        rss = int(Path(f"/proc/{self.process.pid}/statm").read_text().split()[1]) * PAGE
        return cpu, rss

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


async def until(check: Any, what: str) -> None:
    deadline = time.monotonic() + STEP_TIMEOUT
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"the display bench waited in vain for {what}")
        await asyncio.sleep(0.01)


async def bench(server: Any, display: Display, minutes: float) -> dict[str, Any]:
    from queue_server.client import RindaClient

    kiosk = RindaClient(server.url, division="riga-1", token=server.devices["kiosk"])
    listener = RindaClient(server.url, division="riga-1", token=server.devices["display"])
    desk = RindaClient(
        server.url,
        division="riga-1",
        user="clerk1",
        password=server.passwords["clerk1"],
        counter="1",
    )
    heard: dict[str, float] = {}

    async def listen() -> None:
        async for message in listener.messages():
            event = message.get("event") or {}
            if event.get("type") == "visit_called":
                heard.setdefault(event["number"], time.perf_counter())

    reader = asyncio.ensure_future(display.read())
    async with kiosk, listener, desk:
        ears = asyncio.ensure_future(listen())
        await desk.request("open")
        await until(lambda: "" in display.flips, "the first frame")
        await asyncio.sleep(2.0)  # the display is connected and settled

        async def call(serving: bool) -> str:
            if serving:
                await desk.request("finish")
            number = (
                await kiosk.request("issue", key=f"b{time.time_ns()}", services=["passport"])
            )["ticket"]["number"]
            await desk.request("call_next")
            await until(lambda: number in display.flips and number in heard, number)
            return str(number)

        samples = []
        for i in range(CALLS):
            number = await call(i > 0)
            samples.append((display.flips[number] - heard[number]) * 1000)
            await asyncio.sleep(CALL_GAP_S)

        # A minute (or more) of life: a call every RUN_GAP_S, sampled every second.
        await asyncio.sleep(3.0)
        cpu0, rss0 = display.usage()
        start, ticks, calls_at = time.perf_counter(), [], []
        next_call = start
        while (now := time.perf_counter()) - start < minutes * 60:
            if now >= next_call:
                calls_at.append(now)
                await call(True)
                next_call = now + RUN_GAP_S
            await asyncio.sleep(1.0)
            ticks.append((time.perf_counter(), *display.usage()))
        cpu1, rss1 = display.usage()
        wall = time.perf_counter() - start
        # Then idle: the last call said and no longer highlighted, nothing happening.
        await asyncio.sleep(IDLE_SETTLE_S)
        idle_cpu0, idle_at0 = display.usage()[0], time.perf_counter()
        await asyncio.sleep(IDLE_S)
        idle_share = (display.usage()[0] - idle_cpu0) / (time.perf_counter() - idle_at0)
        ears.cancel()
    display.stop()
    await reader

    shares, quiet = [], []
    previous = (start, cpu0)
    for at, cpu, _rss in ticks:
        share = (cpu - previous[1]) / (at - previous[0])
        shares.append(share)
        if all(abs(at - c) > QUIET_S for c in calls_at):
            quiet.append(share)
        previous = (at, cpu)
    ordered = sorted(samples)
    return {
        "call_to_frame": {
            "calls": len(samples),
            "samples_ms": [round(s, 2) for s in samples],
            "p50_ms": round(statistics.median(samples), 2),
            "p99_ms": round(ordered[math.ceil(0.99 * len(ordered)) - 1], 2),
            "p99_is_max": math.ceil(0.99 * len(ordered)) == len(ordered),
        },
        "running": {
            "seconds": round(wall, 1),
            "calls": len(calls_at),
            "call_every_s": RUN_GAP_S,
            "cpu_share": round((cpu1 - cpu0) / wall, 4),
            "cpu_share_median": round(statistics.median(shares), 4),
            "cpu_share_quiet_median": round(statistics.median(quiet), 4) if quiet else None,
            "quiet_samples": len(quiet),
            "idle_seconds": IDLE_S,
            "cpu_share_idle": round(idle_share, 4),
            "rss_mb_start": round(rss0 / 2**20, 1),
            "rss_mb_end": round(rss1 / 2**20, 1),
        },
    }


def run(minutes: float) -> dict[str, Any]:
    from tests.serverkit import ServerProcess

    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="display-bench-", dir=os.environ["TMPDIR"]))
    try:
        with ServerProcess(folder) as server:
            settings = {
                "server_url": server.url,
                "division": "riga-1",
                "device_token": server.devices["display"],
                "board": {"retry_seconds": 0.2},
                **json.loads(os.environ.get("RINDA_BENCH_EXTRA", "{}")),
            }
            display = Display(settings, folder / "speech")
            try:
                result = asyncio.run(bench(server, display, minutes))
            finally:
                display.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        **result,
        "cpus": os.cpu_count() or 0,
        "seconds": round(time.perf_counter() - started, 1),
    }


def table(result: dict[str, Any]) -> str:
    call, life = result["call_to_frame"], result["running"]
    n = call["calls"]
    p99 = f"p99 of {n} (= max)" if call["p99_is_max"] else f"p99 of {n}"
    rows = [
        ("figure", "value"),
        (f"call broadcast to the frame that shows it, p50 ms ({n} calls)", f"{call['p50_ms']:.1f}"),
        (f"call broadcast to the frame that shows it, {p99} ms", f"{call['p99_ms']:.1f}"),
        (
            f"CPU share over {life['seconds']:.0f} s, a call every {life['call_every_s']:g} s",
            f"{life['cpu_share'] * 100:.1f} %",
        ),
        ("CPU share, median of 1 s samples", f"{life['cpu_share_median'] * 100:.1f} %"),
        (
            f"CPU share idle ({life['idle_seconds']:g} s without calls)",
            f"{life['cpu_share_idle'] * 100:.2f} %",
        ),
        ("resident memory at the start of the run, MB", f"{life['rss_mb_start']:.1f}"),
        ("resident memory at the end of the run, MB", f"{life['rss_mb_end']:.1f}"),
    ]
    width = max(len(r[0]) for r in rows)
    values = max(len(r[1]) for r in rows)
    lines = [f"{a.ljust(width)}  {b.rjust(values)}" for a, b in rows]
    lines.insert(1, f"{'-' * width}  {'-' * values}")
    lines.append(
        f"\n{result['cpus']} CPUs; {result['seconds']} s; offscreen 1920x1080 window, "
        "SDL dummy audio; CPU share 100 % = one core busy"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--minutes", type=float, default=1.0, help="length of the run (1)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child()
    result = run(args.minutes)
    print(json.dumps(result) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
