"""How fast the kiosk app is: its cold start, and from the tap on "print" to the ticket.

    python bench/kiosk_bench.py            # a readable table
    python bench/kiosk_bench.py --json     # one JSON object

Everything runs on 127.0.0.1 against the real ``rinda-server serve``
(``tests/serverkit.py``, its clock on a working Monday at 09:00, one passport counter
open) and the fake ESC/POS network printer (``tests/fake_printer.py``), with the Kivy
app offscreen (1080x1920, as in tests/test_kiosk_app.py).

Cold start: a fresh Python process imports and starts the kiosk app, several times.
Each child reports ``time.perf_counter()`` (CLOCK_MONOTONIC on Linux: one clock for
every process of the machine) at its first line, at the first frame the window flips,
and at the first frame that shows the start screen (connected to the server, the
lobby loaded: ready for a visitor). The figures are from the parent's spawn (so they
include the interpreter's own start), medians of the runs.

Print: in one app instance, visits one after the other: the language, the passport
service, on, confirm, print. The time is from the release of the tap on "print" (a
button fires on release) to the arrival of the last byte of that ticket's job at the
fake printer (stamped when the chunk holding it comes off the socket). It covers the
request to the server, the layout of the ticket, the status query before it and the
bytes themselves; not the status query after it. p50 and p99 are over the visits of
one run (nearest rank: with 20 visits, p99 is the maximum).

No aims are set for these (issue 4): the figures are reported as they are.
"""

from __future__ import annotations

import time

TOP = time.perf_counter()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

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

COLD_RUNS = 5
VISITS = 20
CHILD_TIMEOUT = 30.0
STEP_TIMEOUT = 10.0
WIDTH, HEIGHT = 1080, 1920
#: What the child of a cold start reads from its environment (never its arguments).
ENV_SETTINGS = "RINDA_BENCH_KIOSK"


# ---------------------------------------------------------------------- the app


def kiosk_settings(url: str, token: str, printer: tuple[str, int]) -> dict[str, Any]:
    return {
        "server_url": url,
        "division": "riga-1",
        "device_token": token,
        "timeouts": {"retry": 0.1},
        "printer": {"kind": "network", "host": printer[0], "port": printer[1]},
    }


def make_app(settings: dict[str, Any]) -> Any:
    """The kiosk app; its clock is the server's (``client.clock``)."""
    from kivy.config import Config

    Config.set("graphics", "width", str(WIDTH))
    Config.set("graphics", "height", str(HEIGHT))

    from kiosk.app import KioskApp
    from kiosk.settings import KioskSettings
    from queue_server.config import Catalog

    return KioskApp(KioskSettings.from_mapping(settings), Catalog.load())


def cold_child() -> int:
    """One cold start: prints the perf_counter of the first line, the first frame and
    the first frame of the start screen, as JSON, then stops."""
    given = json.loads(os.environ[ENV_SETTINGS])
    app = make_app(given["settings"])
    from kivy.clock import Clock
    from kivy.core.window import Window

    marks: dict[str, float] = {"top": TOP}
    screens: dict[str, str] = {}

    def flipped(*_: Any) -> None:
        now = time.perf_counter()
        shown = app.root.manager.current if app.root is not None else ""
        if "first_frame" not in marks:
            marks["first_frame"], screens["first_frame"] = now, shown
        if "start_frame" not in marks and shown == "start":
            marks["start_frame"] = now
            Clock.schedule_once(lambda _dt: app.stop(), 0)

    Window.bind(on_flip=flipped)
    Clock.schedule_once(lambda _dt: app.stop(), CHILD_TIMEOUT - 5)  # never hang
    asyncio.run(app.serve())
    print(json.dumps({**marks, "first_screen": screens.get("first_frame", "")}))
    return 0


def cold_starts(settings: dict[str, Any]) -> dict[str, Any]:
    runs = []
    env = {**os.environ, ENV_SETTINGS: json.dumps({"settings": settings})}
    for _ in range(COLD_RUNS):
        spawned = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--cold-child"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"a cold start failed:\n{done.stderr[-3000:]}")
        marks = json.loads(done.stdout.strip().splitlines()[-1])
        if "start_frame" not in marks:
            raise SystemExit(f"a cold start never showed the start screen:\n{done.stderr[-3000:]}")
        runs.append(
            {
                "interpreter_s": round(marks["top"] - spawned, 4),
                "first_frame_s": round(marks["first_frame"] - spawned, 4),
                "start_screen_s": round(marks["start_frame"] - spawned, 4),
                "first_screen": marks["first_screen"],
            }
        )
    return {
        "runs": runs,
        "first_screens": sorted({r["first_screen"] for r in runs}),
        **{
            f"{key}_median": round(statistics.median(r[key] for r in runs), 4)
            for key in ("interpreter_s", "first_frame_s", "start_screen_s")
        },
    }


# ---------------------------------------------------------------------- printing


def timed_printer() -> Any:
    """The fake printer, stamping when the last byte of each job arrived."""
    from tests.fake_printer import FakePrinter

    class TimedPrinter(FakePrinter):
        def __init__(self) -> None:
            super().__init__()
            self.last_byte: dict[int, float] = {}  # id of a job -> perf_counter
            self.closed = 0

        def _take(self, conn: socket.socket, job: bytearray, data: bytes) -> bytes | None:
            arrived = time.perf_counter()
            before = len(job)
            rest = super()._take(conn, job, data)
            if len(job) > before:
                with self._lock:
                    self.last_byte[id(job)] = arrived
            return rest

        def _serve(self, conn: socket.socket) -> None:
            super()._serve(conn)
            with self._changed:
                self.closed += 1
                self._changed.notify_all()

        def job_stamp(self, index: int) -> tuple[int, float]:
            with self._lock:
                job = self._jobs[index]
                return len(job), self.last_byte[id(job)]

    return TimedPrinter()


async def print_latency(app: Any, printer: Any) -> dict[str, Any]:
    from kivy.tests.common import UnitTestTouch

    from kiosk.widgets import Tappable

    async def reach(screen: str) -> None:
        deadline = time.monotonic() + STEP_TIMEOUT
        while app.root is None or app.root.manager.current != screen:
            if time.monotonic() > deadline:
                raise SystemExit(f"the kiosk shows {app.flow.screen}, not {screen}")
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.15)  # a frame or two: the layout settles

    def control(verb: str, *args: Any) -> Any:
        found = [
            w
            for w in app.root.walk()
            if w.get_root_window() is not None
            and isinstance(w, Tappable)
            and w.verb == verb
            and tuple(w.args) == args
        ]
        if not found:
            raise SystemExit(f"no control {verb}{args} on {app.root.manager.current}")
        return next((w for w in found if w.enabled), found[0])

    async def tap(verb: str, *args: Any, settle: float = 0.2) -> float:
        """A real touch near the control's top edge; the perf_counter of its release."""
        deadline = time.monotonic() + STEP_TIMEOUT
        while not (widget := control(verb, *args)).enabled:
            if time.monotonic() > deadline:
                raise SystemExit(f"{verb} stayed disabled")
            await asyncio.sleep(0.02)
        x, y = widget.to_window(widget.center_x, widget.top - min(10, widget.height / 4))
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        await asyncio.sleep(0.05)
        released = time.perf_counter()
        touch.touch_up()
        await asyncio.sleep(settle)  # a ScrollView hands a tap on after its touch ends
        return released

    async def printed(count: int) -> None:
        deadline = time.monotonic() + STEP_TIMEOUT
        while printer.closed < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"the printer got {printer.closed} jobs, not {count}")
            await asyncio.sleep(0.005)

    await reach("start")
    samples, sizes = [], []
    for visit in range(VISITS):
        await tap("choose_language", "lv")
        await reach("services")
        await tap("toggle_service", "passport")
        await tap("go_next")
        await reach("priority")
        await tap("confirm")
        await reach("confirm")
        released = await tap("print", settle=0)
        await printed(visit + 1)
        size, last = printer.job_stamp(-1)
        samples.append((last - released) * 1000)
        sizes.append(size)
        await reach("done")
        await tap("go_home")
        await reach("start")
    ordered = sorted(samples)
    return {
        "visits": len(samples),
        "samples_ms": [round(s, 2) for s in samples],
        "ticket_bytes": statistics.median(sizes),
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(ordered[math.ceil(0.99 * len(ordered)) - 1], 2),
        "p99_is_max": math.ceil(0.99 * len(ordered)) == len(ordered),
        "min_ms": round(ordered[0], 2),
    }


# ---------------------------------------------------------------------- the bench


async def open_counter(server: Any) -> None:
    from queue_server.client import RindaClient

    async with RindaClient(
        server.url,
        division="riga-1",
        user="clerk1",
        password=server.passwords["clerk1"],
        counter="1",
    ) as desk:
        await desk.request("open")


def run() -> dict[str, Any]:
    from tests.serverkit import ServerProcess

    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="kiosk-bench-", dir=os.environ["TMPDIR"]))
    try:
        with ServerProcess(folder) as server, timed_printer() as printer:
            asyncio.run(open_counter(server))
            settings = kiosk_settings(
                server.url, server.devices["kiosk"], (printer.host, printer.port)
            )
            cold = cold_starts(settings)
            app = make_app(settings)

            async def visits() -> dict[str, Any]:
                running = asyncio.ensure_future(app.serve())
                try:
                    return await print_latency(app, printer)
                finally:
                    app.stop()
                    await asyncio.wait_for(running, STEP_TIMEOUT)

            printing = asyncio.run(visits())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "cold_start": cold,
        "print": printing,
        "cpus": os.cpu_count() or 0,
        "seconds": round(time.perf_counter() - started, 1),
    }


def table(result: dict[str, Any]) -> str:
    cold, printing = result["cold_start"], result["print"]
    shown = "/".join(cold["first_screens"]) or "?"
    n = printing["visits"]
    p99 = f"p99 of {n} (= max)" if printing["p99_is_max"] else f"p99 of {n}"
    rows = [
        ("figure", "value"),
        (
            f"cold start: interpreter up, s (median of {COLD_RUNS})",
            f"{cold['interpreter_s_median']:.3f}",
        ),
        (
            f"cold start: first frame ({shown}), s (median of {COLD_RUNS})",
            f"{cold['first_frame_s_median']:.3f}",
        ),
        (
            f"cold start: start screen drawn, s (median of {COLD_RUNS})",
            f"{cold['start_screen_s_median']:.3f}",
        ),
        (
            f"tap on print to last byte at the printer, p50 ms ({n} visits)",
            f"{printing['p50_ms']:.1f}",
        ),
        (f"tap on print to last byte at the printer, {p99} ms", f"{printing['p99_ms']:.1f}"),
        ("ticket size, bytes (median)", f"{printing['ticket_bytes']:,.0f}"),
    ]
    width = max(len(r[0]) for r in rows)
    values = max(len(r[1]) for r in rows)
    lines = [f"{a.ljust(width)}  {b.rjust(values)}" for a, b in rows]
    lines.insert(1, f"{'-' * width}  {'-' * values}")
    lines.append(
        f"\n{result['cpus']} CPUs; {result['seconds']} s; times from the parent's spawn; "
        "offscreen window, fake printer on 127.0.0.1"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--cold-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cold_child:
        return cold_child()
    result = run()
    print(json.dumps(result) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
