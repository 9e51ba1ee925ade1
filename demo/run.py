"""A whole lobby on one machine, driven by a simulated morning.

The real server (on a fresh SQLite file, its clock running ``speed`` times as fast
from the next working day's opening), the real kiosk and the real hall display in
offscreen windows of their own processes, virtual visitors tapping the kiosk at the
plan's times, and virtual clerks working counters over the protocol, as the clerk
console does. A progress line shows the lobby's clock. At the end the folder holds:

    screenshots/   the kiosk's screens for the first visitor, the display every 15 minutes
    tickets/       every printed ticket: the ESC/POS bytes and a readable rendering
    summary.md     what happened: visits, waits, services (and summary.json)
    plan.json      the virtual visitors; server.log, kiosk.log, display.log
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from queue_server.accounts import Accounts
from queue_server.client import ClientError, RequestFailed, RindaClient
from queue_server.clock import Clock, local_day
from queue_server.config import load_office
from queue_server.config.calendar import public_holidays
from queue_server.core.hours import ReceptionHours
from queue_server.core.settings import MINUTE_MS, Office

from . import plan

ROOT = Path(__file__).resolve().parent.parent
DIVISION = "riga-1"
#: The counters the virtual clerks work at, one clerk each.
COUNTERS = ("1", "2", "3", "4", "5", "6")


@dataclass
class Options:
    out: Path
    speed: float = 20.0
    #: Minutes of the lobby's morning to play, from its opening.
    minutes: float = 60.0
    per_hour: float = 24.0
    seed: int = 7
    progress: bool = True


@dataclass
class Tally:
    issued: int = 0
    finished: int = 0
    waiting: int = 0
    calls: list[str] = field(default_factory=list)
    #: Each visit's services and how many of them are done: which service a call is for.
    services: dict[str, list[str]] = field(default_factory=dict)
    done_steps: dict[str, int] = field(default_factory=dict)
    last_line: str = ""

    def service_now(self, number: str) -> str:
        services = self.services.get(number) or ["passport"]
        return services[min(self.done_steps.get(number, 0), len(services) - 1)]


def opening(office: Office, today: date) -> int:
    """The next working day's opening instant at the division (after today)."""
    hours = ReceptionHours(office.divisions[DIVISION], office.rules, public_holidays())
    for offset in range(1, 15):
        span = hours.span_ms(today + timedelta(days=offset))
        if span is not None:
            return span[0]
    raise RuntimeError(f"{DIVISION} does not open in the next two weeks")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(options: Options) -> Path:
    """Play the morning; return the folder with what it left."""
    out = options.out
    out.mkdir(parents=True, exist_ok=True)
    office = load_office()
    # The machine's day (the wall clock): the morning played is the next working day.
    today = local_day(Clock()(), office.timezone)
    start = opening(office, today)
    end = start + int(options.minutes * MINUTE_MS)
    visitors = plan.plan_morning(office, DIVISION, start, end, options.per_hour, options.seed)
    (out / "plan.json").write_text(plan.dumps(visitors), "utf-8")

    db = out / "rinda.sqlite"
    secrets = provision(db, office, start)
    port = free_port()
    url = f"ws://127.0.0.1:{port}/ws"
    local = datetime.fromtimestamp(start / 1000, ZoneInfo(office.timezone))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    kivy_env = {
        **env,
        "KIVY_NO_ARGS": "1",
        "KIVY_HOME": str(out / "kivy"),
        "SDL_AUDIODRIVER": "dummy",
        "KIVY_LOG_MODE": "PYTHON",
    }
    kivy_env.pop("DISPLAY", None)
    kivy_env.pop("WAYLAND_DISPLAY", None)
    (out / "kivy").mkdir(exist_ok=True)
    # The kiosk measures inactivity on the lobby's clock, which runs ``speed`` times
    # as fast: its timeouts stretch by as much, so a visitor has the usual real time.
    timeouts = "\n".join(
        f"{name} = {seconds * options.speed:g}"
        for name, seconds in (
            ("idle", 60), ("warning", 30), ("done", 10), ("accessible_idle", 180),
            ("accessible_warning", 60), ("accessible_done", 30),
        )
    )  # fmt: skip
    (out / "kiosk.toml").write_text(
        f'server_url = "{url}"\ndivision = "{DIVISION}"\n'
        f'device_token = "{secrets["kiosk"]}"\n\n[printer]\nkind = "dummy"\n\n'
        f"[timeouts]\n{timeouts}\n",
        "utf-8",
    )
    (out / "display.token").write_text(secrets["display"] + "\n", "utf-8")
    for name in ("kiosk.toml", "display.token"):
        (out / name).chmod(0o600)

    processes: list[subprocess.Popen[bytes]] = []

    def spawn(name: str, command: list[str], environment: dict[str, str]) -> None:
        log = (out / f"{name}.log").open("ab")
        processes.append(
            subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=log, env=environment)
        )

    port_file = out / "port"
    spawn(
        "server",
        [
            sys.executable, "-m", "queue_server.cli", "serve", "--db", str(db),
            "--port", str(port), "--port-file", str(port_file),
            "--clock-start", local.strftime("%Y-%m-%dT%H:%M"),
            "--clock-speed", str(options.speed),
            "--public-url", f"http://127.0.0.1:{port}",
        ],
        env,
    )  # fmt: skip
    try:
        wait_for(port_file, processes[0], out / "server.log")
        # The kiosk and the display take the lobby's time from the server (its welcome).
        spawn(
            "kiosk",
            [
                sys.executable, "-m", "demo.kiosk_player", "--settings", str(out / "kiosk.toml"),
                "--plan", str(out / "plan.json"), "--out", str(out),
            ],
            kivy_env,
        )  # fmt: skip
        spawn(
            "display",
            [
                sys.executable, "-m", "demo.display_watcher", "--server-url", url,
                "--token-file", str(out / "display.token"), "--out", str(out),
                "--until", str(end),
            ],
            kivy_env,
        )  # fmt: skip
        tally = asyncio.run(lobby(url, office, secrets, end, options))
    finally:
        for process in reversed(processes):
            stop(process)
    write_summary(out, office, db, start, tally)
    return out


def provision(db: Path, office: Office, now: int) -> dict[str, str]:
    """The demonstration's devices and accounts: their secrets stay in this process
    and the folder's 0600 files, never on the screen."""
    found: dict[str, str] = {}
    with Accounts.open(db, office) as accounts:
        _, found["kiosk"] = accounts.add_device(DIVISION, "kiosk", "Demo kiosk", now)
        _, found["display"] = accounts.add_device(DIVISION, "display", "Demo display", now)
        for counter in COUNTERS:
            _, found[f"clerk-{counter}"] = accounts.add_user(
                f"demo-clerk-{counter}", "clerk", [DIVISION], now
            )
        _, found["admin"] = accounts.add_user("demo-admin", "admin", [DIVISION], now)
    return found


def wait_for(port_file: Path, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if port_file.exists() and port_file.read_text().strip():
            return
        if process.poll() is not None:
            raise RuntimeError(f"the server exited; see {log}")
        time.sleep(0.05)
    raise RuntimeError(f"the server did not start in 30 s; see {log}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process of ours by its PID: politely, then for sure."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def lobby(
    url: str, office: Office, secrets: dict[str, str], end: int, options: Options
) -> Tally:
    """The clerks' morning and the progress line, until the lobby's clock reaches ``end``.

    The lobby's clock is the server's, as each connection follows it (``client.clock``).
    """
    tally = Tally()
    watcher = RindaClient(url, division=DIVISION, user="demo-admin", password=secrets["admin"])
    now = watcher.clock
    async with watcher:
        jobs = [asyncio.ensure_future(watch(watcher, tally))]
        for index, counter in enumerate(COUNTERS):
            clerk = RindaClient(
                url,
                division=DIVISION,
                user=f"demo-clerk-{counter}",
                password=secrets[f"clerk-{counter}"],
                counter=counter,
            )
            rng = random.Random(options.seed * 100 + index)
            jobs.append(asyncio.ensure_future(work(clerk, office, rng, end, tally)))
        try:
            while now() < end:
                if options.progress:
                    progress(now(), tally, office)
                await asyncio.sleep(1.0)
            await asyncio.wait_for(asyncio.gather(*jobs[1:]), 120)
        finally:
            for job in jobs:
                job.cancel()
                with contextlib.suppress(asyncio.CancelledError, ClientError):
                    await job
    if options.progress and sys.stdout.isatty():
        progress(end, tally, office)
        print(flush=True)
    return tally


def progress(at: int, tally: Tally, office: Office) -> None:
    """One line that the lobby's clock rewrites on a terminal; a line every ten minutes
    of the lobby's clock in a log."""
    local = datetime.fromtimestamp(at / 1000, ZoneInfo(office.timezone))
    line = (
        f"  lobby clock {local:%H:%M}  tickets {tally.issued:3}  waiting {tally.waiting:3}  "
        f"served {tally.finished:3}"
    )
    if sys.stdout.isatty():
        print("\r" + line, end="", flush=True)
    elif local.minute % 10 == 0 and line != tally.last_line:
        print(line, flush=True)
        tally.last_line = line


async def watch(client: RindaClient, tally: Tally) -> None:
    """Count what happens, as the admin console sees it."""
    async for message in client.messages():
        if message["type"] == "queues":
            tally.waiting = sum(q["waiting"] for q in message["queues"].values())
        elif message["type"] == "event":
            kind = message["event"]["type"]
            number = message["event"].get("number", "")
            if kind == "visit_issued":
                tally.issued += 1
                tally.services[number] = list(message["event"]["services"])
            elif kind == "step_finished":
                tally.finished += 1
                tally.done_steps[number] = tally.done_steps.get(number, 0) + 1
            elif kind == "visit_called":
                tally.calls.append(message["event"]["number"])


async def work(
    clerk: RindaClient,
    office: Office,
    rng: random.Random,
    end: int,
    tally: Tally,
) -> None:
    """One clerk's morning on the server's clock: open, then call, serve and finish
    until the end."""

    async def pause(lobby_minutes: float) -> None:
        await asyncio.sleep(lobby_minutes * 60 / clerk.clock.speed)

    async with clerk:
        await clerk.request("open")
        while clerk.clock() < end:
            try:
                called = await clerk.request("call_next")
            except RequestFailed as refused:
                if refused.code != "queue_empty":
                    raise
                await pause(1.0)
                continue
            visit = next(e for e in called["events"] if e["type"] == "visit_called")
            await pause(rng.uniform(0.5, 1.5))  # the visitor walks to the counter
            if rng.random() < 0.04:
                await clerk.request("no_show")
                continue
            await clerk.request("start")
            service = tally.service_now(visit["number"])
            await pause(plan.service_minutes(office, service, rng))
            await clerk.request("finish")
        with contextlib.suppress(RequestFailed):
            await clerk.request("close")


def write_summary(out: Path, office: Office, db: Path, start: int, tally: Tally) -> None:
    from queue_server.stats import report_file

    day = datetime.fromtimestamp(start / 1000, ZoneInfo(office.timezone)).date()
    found = report_file(db, DIVISION, "day", day, timezone=office.timezone)
    data = found.to_dict()
    (out / "summary.json").write_text(json.dumps(data, indent=1, ensure_ascii=False), "utf-8")
    tickets = sorted(p.stem for p in (out / "tickets").glob("*.escpos"))
    shots = sorted(p.name for p in (out / "screenshots").glob("*.png"))
    summary = found.summary
    lines = [
        f"# A simulated morning at {office.divisions[DIVISION].name['en']}, {day}",
        "",
        f"- visits issued at the kiosk: {summary.visits} (the admin's view counted {tally.issued})",
        f"- tickets printed: {len(tickets)} (tickets/*.escpos, readable in tickets/*.txt)",
        f"- calls shown on the hall display: {len(tally.calls)}",
        f"- steps finished: {tally.finished}; waiting at the end: {tally.waiting}",
        f"- mean wait: {_minutes(summary.wait_mean_min)}; 90th percentile:"
        f" {_minutes(summary.wait_p90_min)}",
        f"- screenshots: {', '.join(shots)}",
        "",
        "| service | visits | mean wait | served |",
        "|---|---:|---:|---:|",
    ]
    for row in found.services:
        lines.append(
            f"| {row.name} | {row.visits} | {_minutes(row.wait_mean_min)} | {row.served} |"
        )
    (out / "summary.md").write_text("\n".join(lines) + "\n", "utf-8")


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} min"
