"""A lobby day for the whole country on one server: every division at k times its peak.

    python bench/lobby_load.py                  # a readable table
    python bench/lobby_load.py --json           # one JSON object
    python bench/lobby_load.py --levels 1 3 10 --seconds 10 --windows 3

One real ``rinda-server serve`` (``tests/serverkit.py``) on 127.0.0.1 serves all 33
divisions and branches of the default configuration, with its clock on a working
Monday morning (the three branches, closed on Mondays, get the day opened by an
admin's reception-hour exception). Every lobby has its kiosks, one clerk console per
counter and its hall displays, each a real protocol client (``RindaClient``);
the clients run as asyncio tasks in a few worker processes, a division's clients in
one process, so that the clients' CPU is not the server's.

A realistic peak is 250 visits an hour at Riga 1st Division (32 counters), the same
per counter elsewhere (about 7.8 visits an hour a counter: 1,070 an hour in the
country). At level k, visitors arrive k times as fast (Poisson, at the kiosks of
their division) and the clerks serve k times as fast, so each queue stays at the
length of a busy hour while the server gets k times the traffic. Before the first
level every lobby has a queue (120 waiting at Riga 1st Division, 4 per counter
elsewhere). A visit takes one service (85 %) or two; 5 % have a priority. A clerk
calls the next visit, serves it for a random time, finishes it, and calls again;
with nobody waiting for their counter they try again after a new ticket or a second.

Each level runs ``--windows`` windows of ``--seconds``; a window's figures are the
throughput and the p50/p99 latency of each operation, from the request sent to its
answer (``issue``, ``call_next``, ``finish``) or, for ``display``, from the clerk
sending ``call_next`` to the ``visit_called`` event at each display of the division
(``time.time()`` in one process). The table gives the median of the windows. The
server's CPU (``/proc/<pid>/stat``) and resident memory (``/proc/<pid>/status``) are
read at each window's end. Errors are every failed request other than the expected
``queue_empty`` of an idle clerk, every timeout and every reconnection: they must be 0.

Afterwards the log is checked: every ticket a kiosk was told about is in the file
under its key, once, with its row in ``visit_steps``; no number of a division's day
was issued twice; nothing was issued that no kiosk heard of; and every display saw
every call of its division exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter as Tally
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from serverkit import ClientProcess, ServerProcess  # noqa: E402

from queue_server.accounts import Accounts  # noqa: E402
from queue_server.client import (  # noqa: E402
    ClientError,
    RequestFailed,
    RindaClient,
)
from queue_server.config import load_office  # noqa: E402
from queue_server.core.settings import Division  # noqa: E402

#: Monday 30 November 2026, 10:00 in Riga: every division is open (branches: see above).
CLOCK_START = "2026-11-30T10:00"
DAY = "2026-11-30"
WEEKDAY = 0
#: A realistic peak: Riga 1st Division's 250 visits an hour over its 32 counters.
PEAK_PER_COUNTER_HOUR = 250 / 32
#: How busy the clerks are at every level: below 1, so the queues stay near their start.
BUSY = 0.9
TWO_SERVICES = 0.15
PRIORITY = 0.05
#: How common each service is among visits (only those a division's counters serve).
WEIGHTS = {
    "passport": 40,
    "collect": 25,
    "residence": 10,
    "register": 8,
    "consultation": 5,
    "residence_permit": 4,
    "eu_registration": 3,
    "temporary_protection": 2,
    "citizenship": 2,
    "visas": 1,
}
PRIORITIES = ("disability", "pregnancy", "small_child", "elderly")
LANGS = ("lv", "lv", "lv", "en", "ru", "uk")
PASSWORD = "lobby-load-password"
BIG_LOBBY = "riga-1"
BIG_BACKLOG = 120
BACKLOG_PER_COUNTER = 4
#: The shortest service, in seconds of wall time: a call's display event is in by then.
MIN_SERVICE_S = 0.3
#: An idle clerk presses call_next again after this long without a new ticket.
IDLE_RETRY_S = 1.0
#: Seconds the clerks call before the first level counts: every counter gets its first visit.
WARM_UP_S = 3.0
OPS = ("issue", "call_next", "finish", "display")


# ---------------------------------------------------------------------- the plan


def kiosks_for(division: Division) -> int:
    counters = len(division.counters)
    return max(1, counters // 8) + (1 if counters >= 5 else 0)


def displays_for(division: Division) -> int:
    return 2 if division.id == BIG_LOBBY else 1


def plan(folder: Path) -> dict[str, Any]:
    """A database with the devices and the clerk accounts of every division."""
    office = load_office()
    db = folder / "rinda.sqlite"
    now = int(time.time() * 1000)
    lobbies = []
    with Accounts.open(db, office) as accounts:
        for division in office.divisions.values():
            kiosks = [
                accounts.add_device(division.id, "kiosk", f"kiosk {i + 1}", now)[1]
                for i in range(kiosks_for(division))
            ]
            displays = [
                accounts.add_device(division.id, "display", f"hall {i + 1}", now)[1]
                for i in range(displays_for(division))
            ]
            clerks = {}
            for counter in division.counters:
                user = f"{division.id}.c{counter.id}"
                accounts.add_user(user, "clerk", [division.id], now, PASSWORD)
                clerks[counter.id] = user
            served = [s for s in WEIGHTS if s in division.services]
            lobbies.append(
                {
                    "id": division.id,
                    "kiosks": kiosks,
                    "displays": displays,
                    "clerks": clerks,
                    "counter_services": {c.id: list(c.services) for c in division.counters},
                    "services": served,
                    "weights": [WEIGHTS[s] for s in served],
                    "peak_per_s": PEAK_PER_COUNTER_HOUR * len(division.counters) / 3600,
                    "backlog": BIG_BACKLOG
                    if division.id == BIG_LOBBY
                    else BACKLOG_PER_COUNTER * len(division.counters),
                    "closed_today": WEEKDAY not in division.week,
                }
            )
        accounts.add_user("lobby-admin", "admin", ["*"], now, PASSWORD)
    return {"db": db, "lobbies": lobbies}


def split(lobbies: list[dict[str, Any]], parts: int) -> list[list[dict[str, Any]]]:
    """Lobbies in ``parts`` groups of about the same number of clients (biggest first)."""
    groups: list[list[dict[str, Any]]] = [[] for _ in range(parts)]
    sizes = [0] * parts
    for lobby in sorted(lobbies, key=_clients, reverse=True):
        smallest = sizes.index(min(sizes))
        groups[smallest].append(lobby)
        sizes[smallest] += _clients(lobby)
    return [g for g in groups if g]


def _clients(lobby: dict[str, Any]) -> int:
    return len(lobby["kiosks"]) + len(lobby["displays"]) + len(lobby["clerks"])


async def open_branches(server: ServerProcess, lobbies: list[dict[str, Any]]) -> list[str]:
    """The lobbies closed on the bench's weekday open for it, as an admin would."""
    opened = []
    for lobby in lobbies:
        if not lobby["closed_today"]:
            continue
        async with RindaClient(
            server.url, division=lobby["id"], user="lobby-admin", password=PASSWORD, timeout=30
        ) as admin:
            await admin.request(
                "set_hours_exception", day=DAY, open_min=9 * 60, close_min=18 * 60, note="load"
            )
        opened.append(lobby["id"])
    return opened


# ----------------------------------------------------------------- the workers
#
# A worker process (this file with --worker JOBFILE) connects the clients of its
# lobbies, opens the counters, issues the queues, prints {"ready": ...}, then reads
# one line with the schedule, runs it, and prints its samples, the tickets its
# kiosks were told about, the calls its clerks made and what its displays saw.


class Recorder:
    """What one worker saw: samples, errors, tickets, calls."""

    def __init__(self) -> None:
        self.samples: list[tuple[str, float, float]] = []
        self.errors: list[tuple[float, str]] = []
        self.idle = 0
        self.told: list[tuple[str, str, str]] = []
        self.calls: list[tuple[str, str, str, int]] = []
        self.seen: dict[str, list[tuple[str, str, int]]] = {}

    def sample(self, op: str, sent: float, done: float) -> None:
        self.samples.append((op, sent, (done - sent) * 1000))

    def error(self, what: str) -> None:
        self.errors.append((time.time(), what))


class Schedule:
    """Levels as (multiplier, start, end) in ``time.time()``; back to back."""

    def __init__(self, levels: list[tuple[float, float, float]], begin: float) -> None:
        self.levels = levels
        #: When the clerks make their first calls: a warm-up before the first level.
        self.start = begin
        self.end = levels[-1][2]

    def speed(self, now: float) -> float | None:
        """The multiplier at ``now``: the first level's before it, None once all are over."""
        for mult, _, end in self.levels:
            if now < end:
                return mult
        return None


async def sleep_until(instant: float) -> None:
    delay = instant - time.time()
    if delay > 0:
        await asyncio.sleep(delay)


class Lobby:
    """One division's clients in a worker."""

    def __init__(self, job: dict[str, Any], url: str, rec: Recorder) -> None:
        self.job = job
        self.id: str = job["id"]
        self.rec = rec
        self.rng = random.Random(self.id)
        options: dict[str, Any] = {"timeout": 30, "queue_size": 50}
        self.kiosks = [
            RindaClient(url, division=self.id, token=t, **options) for t in job["kiosks"]
        ]
        self.displays = [
            RindaClient(url, division=self.id, token=t, timeout=30) for t in job["displays"]
        ]
        self.clerks = {
            counter: RindaClient(
                url, division=self.id, user=user, password=PASSWORD, counter=counter, **options
            )
            for counter, user in job["clerks"].items()
        }
        self.idle: dict[str, asyncio.Event] = {}
        self.watchers: list[asyncio.Task[None]] = []
        #: counter -> when its clerk sent the latest call_next
        self.call_sent: dict[str, float] = {}
        # Two clerks at a step's mean time keep the division at BUSY of its peak.
        per_step = job["peak_per_s"] * (1 + TWO_SERVICES)
        self.mean_service_s = BUSY * len(self.clerks) / per_step

    def clients(self) -> list[RindaClient]:
        return [*self.displays, *self.kiosks, *self.clerks.values()]

    async def connect(self) -> None:
        for client in self.displays + self.kiosks:
            await client.start()
        for client in self.clerks.values():
            await client.start()
            await client.request("open")
        for i, display in enumerate(self.displays):
            self.rec.seen[f"{self.id}#{i}"] = []
            self.watchers.append(asyncio.create_task(self.watch(i, display)))

    async def issue_backlog(self) -> None:
        kiosk = self.kiosks[0]
        for i in range(self.job["backlog"]):
            key = f"{self.id}-queue-{i}"
            reply = await kiosk.request("issue", key=key, services=self.services())
            self.rec.told.append((self.id, key, reply["ticket"]["number"]))

    def services(self) -> list[str]:
        names, weights = self.job["services"], self.job["weights"]
        first = self.rng.choices(names, weights)[0]
        if self.rng.random() < TWO_SERVICES and len(names) > 1:
            second = self.rng.choices(names, weights)[0]
            if second != first:
                return [first, second]
        return [first]

    def wake(self, service: str | None = None) -> None:
        """A visit joined a queue: wake one idle clerk whose counter serves it."""
        served = self.job["counter_services"]
        fit = [c for c in self.idle if service is None or service in served[c]]
        if fit:
            self.idle.pop(self.rng.choice(fit)).set()

    async def kiosk(self, index: int, client: RindaClient, schedule: Schedule) -> None:
        n = 0
        for mult, start, end in schedule.levels:
            rate = self.job["peak_per_s"] * mult / len(self.kiosks)
            at = start
            while True:
                at += self.rng.expovariate(rate)
                if at >= end:
                    break
                await sleep_until(at)
                n += 1
                key = f"{self.id}-k{index}-{n}"
                services = self.services()
                extra: dict[str, Any] = {"lang": self.rng.choice(LANGS)}
                if self.rng.random() < PRIORITY:
                    extra["priority"] = self.rng.choice(PRIORITIES)
                sent = time.time()
                try:
                    reply = await client.request("issue", key=key, services=services, **extra)
                except (ClientError, TimeoutError) as failure:
                    self.rec.error(f"{self.id} issue: {failure!r}")
                    continue
                self.rec.sample("issue", sent, time.time())
                self.rec.told.append((self.id, key, reply["ticket"]["number"]))
                self.wake(services[0])

    async def clerk(self, counter: str, client: RindaClient, schedule: Schedule) -> None:
        await sleep_until(schedule.start)
        while schedule.speed(time.time()) is not None:
            sent = time.time()
            self.call_sent[counter] = sent
            try:
                reply = await client.request("call_next")
            except RequestFailed as refused:
                if refused.code != "queue_empty":
                    self.rec.error(f"{self.id}/{counter} call_next: {refused.code}")
                    await asyncio.sleep(IDLE_RETRY_S)
                    continue
                self.rec.idle += 1
                woken = self.idle[counter] = asyncio.Event()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), IDLE_RETRY_S * (0.5 + self.rng.random()))
                self.idle.pop(counter, None)
                continue
            except (ClientError, TimeoutError) as failure:
                self.rec.error(f"{self.id}/{counter} call_next: {failure!r}")
                await asyncio.sleep(IDLE_RETRY_S)
                continue
            self.rec.sample("call_next", sent, time.time())
            [called] = [e for e in reply["events"] if e["type"] == "visit_called"]
            self.rec.calls.append((self.id, counter, called["number"], reply["seq"][-1]))
            await self.serve(schedule)
            sent = time.time()
            try:
                reply = await client.request("finish")
            except (ClientError, TimeoutError) as failure:
                self.rec.error(f"{self.id}/{counter} finish: {failure!r}")
                continue
            self.rec.sample("finish", sent, time.time())
            self.wake()  # a visit with a second service waits again

    async def serve(self, schedule: Schedule) -> None:
        """A service of random length at the peak, shortened by the level's speed."""
        work = self.rng.expovariate(1 / self.mean_service_s)
        began = time.time()
        while True:
            mult = schedule.speed(time.time())
            if mult is None:
                return
            step = min(0.25, work / mult)
            if step <= 0:
                break
            await asyncio.sleep(step)
            work -= step * mult
        await sleep_until(began + MIN_SERVICE_S)

    async def watch(self, index: int, display: RindaClient) -> None:
        seen = self.rec.seen[f"{self.id}#{index}"]
        async for message in display.messages():
            if message.get("type") != "event" or message["event"]["type"] != "visit_called":
                continue
            now = time.time()
            event = message["event"]
            seen.append((event["number"], event["counter"], message["seq"]))
            sent = self.call_sent.get(event["counter"])
            if sent is not None:
                self.rec.sample("display", sent, now)


async def worker(job_file: str) -> None:
    job = json.loads(Path(job_file).read_text())
    rec = Recorder()
    lobbies = [Lobby(lobby, job["url"], rec) for lobby in job["lobbies"]]
    await asyncio.gather(*(lobby.connect() for lobby in lobbies))
    await asyncio.gather(*(lobby.issue_backlog() for lobby in lobbies))
    clients = [c for lobby in lobbies for c in lobby.clients()]
    _say({"ready": True, "clients": len(clients)})
    order = json.loads(await asyncio.to_thread(sys.stdin.readline))
    schedule = Schedule([tuple(level) for level in order["levels"]], order["begin"])
    tasks = []
    for lobby in lobbies:
        tasks += [lobby.kiosk(i, kiosk, schedule) for i, kiosk in enumerate(lobby.kiosks)]
        tasks += [lobby.clerk(c, client, schedule) for c, client in lobby.clerks.items()]
    await asyncio.gather(*tasks)
    await asyncio.sleep(1.0)  # the last calls reach the displays
    rec.errors += [(time.time(), "reconnected") for c in clients for _ in range(c.reconnects)]
    _say(
        {
            "samples": rec.samples,
            "errors": rec.errors,
            "idle": rec.idle,
            "told": rec.told,
            "calls": rec.calls,
            "seen": rec.seen,
        }
    )
    await asyncio.to_thread(sys.stdin.readline)
    await asyncio.gather(*(c.close() for c in clients))


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def client_process(job_file: Path) -> ClientProcess:
    return ClientProcess([sys.executable, __file__, "--worker", str(job_file)], 30.0)


@contextmanager
def workers(job_files: Sequence[Path]) -> Iterator[list[ClientProcess]]:
    started = [client_process(path) for path in job_files]
    try:
        yield started
    finally:
        for one in started:
            one.stop()


# ------------------------------------------------------------------ the figures


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_mb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {key} for process {pid}")


def percentile(ordered: Sequence[float], p: float) -> float:
    """The nearest-rank percentile of sorted values."""
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def window_figures(
    samples: list[tuple[str, float, float]], errors: list[float], began: float, ended: float
) -> dict[str, Any]:
    seconds = ended - began
    figures: dict[str, Any] = {
        "errors": sum(1 for t in errors if began <= t < ended),
    }
    for op in OPS:
        latencies = sorted(ms for kind, t, ms in samples if kind == op and began <= t < ended)
        figures[op] = {
            "count": len(latencies),
            "per_s": len(latencies) / seconds,
            "p50_ms": percentile(latencies, 50),
            "p99_ms": percentile(latencies, 99),
        }
    return figures


def _median(values: Sequence[float]) -> float:
    clean = [v for v in values if v == v]
    return statistics.median(clean) if clean else float("nan")


def account(db: Path, reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Every ticket told is in the log once, with its statistics row; every call seen."""
    told = [tuple(t) for r in reports for t in r["told"]]
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        issued: dict[tuple[str, str], list[str]] = {}
        numbers: Tally[tuple[str, str, str]] = Tally()
        for division, day, data in conn.execute(
            "SELECT division, day, data FROM events WHERE type = 'visit_issued'"
        ):
            event = json.loads(data)
            issued.setdefault((division, event["key"]), []).append(event["number"])
            numbers[(division, day, event["number"])] += 1
        steps = set(conn.execute("SELECT division, number FROM visit_steps WHERE step = 0"))
        calls: dict[str, set[tuple[str, str, int]]] = {}
        for division, seq, data in conn.execute(
            "SELECT division, seq, data FROM events WHERE type = 'visit_called'"
        ):
            event = json.loads(data)
            calls.setdefault(division, set()).add((event["number"], event["counter"], seq))
    finally:
        conn.close()
    missing = [t for t in told if issued.get((t[0], t[1])) != [t[2]]]
    told_keys = {(t[0], t[1]) for t in told}
    untold = [key for key in issued if key not in told_keys]
    without_steps = [t for t in told if (t[0], t[2]) not in steps]
    twice = [n for n, times in numbers.items() if times > 1]
    missed = twice_seen = deliveries = 0
    for report in reports:
        for display, seen in report["seen"].items():
            division = display.split("#")[0]
            got = [tuple(s) for s in seen]
            deliveries += len(got)
            twice_seen += len(got) - len(set(got))
            missed += len(calls.get(division, set()) - set(got))
    return {
        "tickets_told": len(told),
        "tickets_in_log": sum(len(n) for n in issued.values()),
        "missing": len(missing),
        "numbers_twice": len(twice),
        "issued_untold": len(untold),
        "without_statistics_row": len(without_steps),
        "calls": sum(len(c) for c in calls.values()),
        "display_deliveries": deliveries,
        "display_missed": missed,
        "display_twice": twice_seen,
        "examples": [*missing[:3], *twice[:3], *untold[:3]],
    }


def run(levels: Sequence[float], seconds: float, windows: int, processes: int) -> dict[str, Any]:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rinda-lobby-") as tmp:
        folder = Path(tmp)
        setup = plan(folder)
        lobbies = setup["lobbies"]
        server = ServerProcess(folder, clock_start=CLOCK_START, provision_accounts=False)
        server.start(timeout=60)
        try:
            assert server.process is not None
            pid = server.process.pid
            opened = asyncio.run(open_branches(server, lobbies))
            jobs = []
            for i, group in enumerate(split(lobbies, processes)):
                path = folder / f"job{i}.json"
                path.write_text(json.dumps({"url": server.url, "lobbies": group}))
                jobs.append(path)
            with workers(jobs) as team:
                clients = sum(w.read()["clients"] for w in team)
                idle_rss = proc_mb(pid, "VmRSS")
                begin = time.time() + 0.5
                t0 = begin + WARM_UP_S
                span = seconds * windows
                schedule = [(m, t0 + i * span, t0 + (i + 1) * span) for i, m in enumerate(levels)]
                for w in team:
                    w.order(json.dumps({"begin": begin, "levels": schedule}))
                server_windows = []
                time.sleep(max(0.0, t0 - time.time()))
                last_cpu = proc_cpu_s(pid)
                for _, start, _ in schedule:
                    for j in range(windows):
                        end = start + (j + 1) * seconds
                        time.sleep(max(0.0, end - time.time()))
                        cpu = proc_cpu_s(pid)
                        server_windows.append(
                            {"busy": (cpu - last_cpu) / seconds, "rss_mb": proc_mb(pid, "VmRSS")}
                        )
                        last_cpu = cpu
                reports = [w.read() for w in team]
                peak_rss = proc_mb(pid, "VmHWM")
                for w in team:
                    w.order("stop")
        finally:
            server.stop()
        accounting = account(server.db, reports)
    samples = [tuple(s) for r in reports for s in r["samples"]]
    error_times = [t for r in reports for t, _ in r["errors"]]
    rows = []
    for i, (mult, start, _) in enumerate(schedule):
        per_window = [
            window_figures(samples, error_times, start + j * seconds, start + (j + 1) * seconds)
            for j in range(windows)
        ]
        server_part = server_windows[i * windows : (i + 1) * windows]
        row: dict[str, Any] = {
            "level": mult,
            "visits_per_hour": round(sum(lobby["peak_per_s"] for lobby in lobbies) * 3600 * mult),
            "errors": sum(w["errors"] for w in per_window),
            "server_cpu": round(_median([w["busy"] for w in server_part]), 3),
            "server_rss_mb": round(max(w["rss_mb"] for w in server_part), 1),
        }
        for op in OPS:
            row[op] = {
                "per_s": round(_median([w[op]["per_s"] for w in per_window]), 2),
                "p50_ms": round(_median([w[op]["p50_ms"] for w in per_window]), 2),
                "p99_ms": round(_median([w[op]["p99_ms"] for w in per_window]), 2),
                "count": sum(w[op]["count"] for w in per_window),
            }
        rows.append(row)
    errors = [what for r in reports for _, what in r["errors"]]
    return {
        "cpus": os.cpu_count() or 0,
        "divisions": len(lobbies),
        "opened_by_exception": opened,
        "counters": sum(len(lobby["clerks"]) for lobby in lobbies),
        "clients": {
            "total": clients,
            "kiosks": sum(len(lobby["kiosks"]) for lobby in lobbies),
            "clerks": sum(len(lobby["clerks"]) for lobby in lobbies),
            "displays": sum(len(lobby["displays"]) for lobby in lobbies),
            "processes": len(jobs),
        },
        "peak_visits_per_hour": round(sum(lobby["peak_per_s"] for lobby in lobbies) * 3600),
        "seconds_per_window": seconds,
        "windows": windows,
        "levels": rows,
        "errors": len(errors),
        "error_examples": errors[:5],
        "idle_calls": sum(r["idle"] for r in reports),
        "server_idle_rss_mb": round(idle_rss, 1),
        "server_peak_rss_mb": round(peak_rss, 1),
        "accounting": accounting,
        "ok": not errors
        and not any(
            accounting[k]
            for k in (
                "missing",
                "numbers_twice",
                "issued_untold",
                "without_statistics_row",
                "display_missed",
                "display_twice",
            )
        ),
        "seconds": round(time.perf_counter() - started, 1),
    }


def to_text(result: dict[str, Any]) -> str:
    clients = result["clients"]
    lines = [
        f"A lobby day on one server: {result['divisions']} divisions and branches, "
        f"{result['counters']} counters; {clients['total']} clients ({clients['kiosks']} "
        f"kiosks, {clients['clerks']} clerks, {clients['displays']} displays) in "
        f"{clients['processes']} processes; peak (1x) = {result['peak_visits_per_hour']:,} "
        f"visits/h; median of {result['windows']} windows of {result['seconds_per_window']:g} s",
        "",
        f"{'level':>5}  {'visits/h':>8}  {'op':<9}  {'per s':>7}  {'p50 ms':>7}  "
        f"{'p99 ms':>7}  {'errors':>6}  {'server CPU':>10}  {'RSS MB':>6}",
    ]
    for row in result["levels"]:
        for i, op in enumerate(OPS):
            figures = row[op]
            head = (
                f"{row['level']:>4g}x  {row['visits_per_hour']:>8,}"
                if i == 0
                else f"{'':>5}  {'':>8}"
            )
            tail = (
                f"  {row['errors']:>6}  {row['server_cpu']:>10.1%}  {row['server_rss_mb']:>6.1f}"
                if i == 0
                else ""
            )
            lines.append(
                f"{head}  {op:<9}  {figures['per_s']:>7.2f}  {figures['p50_ms']:>7.2f}  "
                f"{figures['p99_ms']:>7.2f}{tail}"
            )
    acc = result["accounting"]
    lines += [
        "",
        f"Tickets: {acc['tickets_told']:,} told to kiosks, {acc['tickets_in_log']:,} in the log; "
        f"{acc['missing']} missing, {acc['numbers_twice']} numbers twice, "
        f"{acc['issued_untold']} issued unheard, {acc['without_statistics_row']} without "
        "a statistics row",
        f"Calls: {acc['calls']:,}; {acc['display_deliveries']:,} deliveries to displays, "
        f"{acc['display_missed']} missed, {acc['display_twice']} twice",
        f"Errors: {result['errors']}; idle clerks' empty calls: {result['idle_calls']:,}",
        f"Server memory: {result['server_idle_rss_mb']:.1f} MB with every client connected, "
        f"peak {result['server_peak_rss_mb']:.1f} MB",
        "Opened by an admin's exception (closed on Mondays): "
        + ", ".join(result["opened_by_exception"]),
        f"{'OK' if result['ok'] else 'FAILED'}; {result['cpus']} CPUs shared by the server and "
        f"the clients ({result['seconds']} s)",
    ]
    if result["error_examples"]:
        lines.append("First errors: " + "; ".join(result["error_examples"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--levels",
        type=float,
        nargs="+",
        default=[1, 3, 10, 30, 100, 300],
        help="multiples of the peak",
    )
    parser.add_argument("--seconds", type=float, default=7.0, help="seconds per window")
    parser.add_argument("--windows", type=int, default=3, help="windows per level")
    parser.add_argument("--processes", type=int, default=3, help="client processes")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--worker", metavar="JOB", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        asyncio.run(worker(args.worker))
        return 0
    result = run(args.levels, args.seconds, max(1, args.windows), max(1, args.processes))
    print(json.dumps(result) if args.json else to_text(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
