"""How the queue server does over real WebSockets: tickets per second, call latency, memory.

    python bench/server_bench.py            # a readable table
    python bench/server_bench.py --json     # one JSON object

Every figure comes from the real ``rinda-server serve`` (``tests/serverkit.py``) on
127.0.0.1 with its clock on a working Monday morning, and from clients that run in
processes of their own, so that the clients' CPU is not the server's. On a machine
with few cores they still share the CPUs with the server: the output says so.

Tickets per second: 16 counters of Riga 1st Division are opened by 16 clerk sessions,
then 8 kiosk processes issue tickets, each one after the other as a kiosk does: a
ticket is answered only once it is committed. Every ticket is broadcast to the kiosks;
in a second variant the 16 clerk sessions stay connected and get it too. Nobody is
called meanwhile, so the queue grows by every ticket, and the estimate of a new ticket
costs more as the queue grows: the figures are given for four stretches of 200
tickets, from a queue of 80 (a busy hour at Riga 1st Division has 100-200 waiting) to
one of 880. Each
run has a fresh database; the figures are medians of the runs. The server's own CPU
time per ticket is measured beside (from /proc), and what it would allow on one core.
Each kiosk sends about 200 requests in a few seconds: within the server's rate limit
per connection (a burst of 200, refilled at 50 a second), which a longer run would hit.

Call latency: 20, then 500, displays are connected (at most 125 to a process); clerks
at four counters call waiting tickets one by one. A call's latency is the time from
the moment the clerk sends ``call_next`` to the moment a display has the
``visit_called`` event (``time.time()`` on both sides: one machine, one clock). p50
and p99 are over every (call, display) pair of a run; the figures are medians of runs.

Memory: the server's resident set (VmRSS) idle, with the 500 displays connected, and
after the calls made with them connected.

Aims (issue 3): 2,000 tickets/s (FQM: 5-33); p99 under 50 ms with 20 displays;
under 60 MB with 500 connections (FQM: about 100 MB idle).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from serverkit import DIVISION, ClientProcess, ServerProcess  # noqa: E402

from queue_server.accounts import Accounts  # noqa: E402
from queue_server.client import RindaClient  # noqa: E402
from queue_server.config import load_office  # noqa: E402

AIM_TICKETS_PER_S = 2000
AIM_P99_MS = 50.0
AIM_RSS_MB = 60.0
KIOSKS = 8
CLERKS = 16
#: Every service of Riga 1st Division (one prefix each); counters 1-16 serve them all.
SERVICES = (
    "passport",
    "collect",
    "residence",
    "register",
    "residence_permit",
    "citizenship",
    "visas",
    "temporary_protection",
    "eu_registration",
    "consultation",
)
#: Counters whose clerks make the calls of the latency runs (all four serve passports).
CALLING_COUNTERS = ("1", "2", "3", "4")
DISPLAYS_PER_PROCESS = 125
#: Tickets each kiosk issues before the stretches that count.
WARM_UP = 10
CLERK_PASSWORD = "bench-clerk-password"
#: Seconds between a call's finish and the next call: calls do not overlap.
CALL_GAP_S = 0.02


# ---------------------------------------------------------------- provisioning


def provision(folder: Path, displays: int) -> dict[str, Any]:
    """A database with 8 kiosks, ``displays`` displays, and a clerk for each of 16 counters."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "rinda.sqlite"
    now = int(time.time() * 1000)
    with Accounts.open(db, load_office()) as accounts:
        kiosks = [
            accounts.add_device(DIVISION, "kiosk", f"kiosk{i}", now)[1] for i in range(KIOSKS)
        ]
        screens = [
            accounts.add_device(DIVISION, "display", f"display{i}", now)[1] for i in range(displays)
        ]
        clerks = {}
        for counter in range(1, CLERKS + 1):
            user = f"clerk{counter}"
            accounts.add_user(user, "clerk", [DIVISION], now, CLERK_PASSWORD)
            clerks[str(counter)] = user
    return {"db": db, "kiosks": kiosks, "displays": screens, "clerks": clerks}


def copy_database(template: Path, folder: Path) -> Path:
    """A fresh copy of a provisioned database (with its WAL, if any)."""
    folder.mkdir(parents=True, exist_ok=True)
    for part in template.parent.glob(template.name + "*"):
        shutil.copy(part, folder / part.name)
    return folder / template.name


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_s(pid: int) -> float:
    """CPU seconds (user and system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pid(server: ServerProcess) -> int:
    assert server.process is not None, "the server runs"
    return server.process.pid


# --------------------------------------------------------------------- workers
#
# Each client role runs in a process of its own (this file with --worker ROLE JOB):
# it prints one JSON line when it is ready, then takes orders from stdin, one a
# line, and answers each with one JSON line. End of input: it closes and exits.


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def _order() -> str:
    return (await asyncio.to_thread(sys.stdin.readline)).strip()


async def _open_counters(url: str, clerks: dict[str, str]) -> list[RindaClient]:
    """One clerk session per counter, logged in one after the other, each opening it."""
    sessions = []
    for counter, user in clerks.items():
        session = RindaClient(
            url, division=DIVISION, user=user, password=CLERK_PASSWORD, counter=counter
        )
        await session.start()
        await session.request("open")
        sessions.append(session)
    return sessions


async def kiosk_worker(job: dict[str, Any]) -> None:
    """At each "go N": issue N tickets one after the other."""
    async with RindaClient(job["url"], division=DIVISION, token=job["token"], timeout=30) as kiosk:
        _say({"ready": True})
        stretch = 0
        while (order := (await _order()).split())[:1] == ["go"]:
            stretch += 1
            numbers = []
            began = time.time()
            for i in range(int(order[1])):
                service = SERVICES[(i + job["index"]) % len(SERVICES)]
                key = f"k{job['index']}-{stretch}-{i}"
                reply = await kiosk.request("issue", key=key, services=[service])
                numbers.append(reply["ticket"]["number"])
            _say({"began": began, "ended": time.time(), "numbers": numbers})


async def clerks_worker(job: dict[str, Any]) -> None:
    """Open counters, one clerk session each, and stay connected until the input ends."""
    sessions = await _open_counters(job["url"], job["clerks"])
    _say({"ready": True, "open": len(sessions)})
    await _order()
    await asyncio.gather(*(s.close() for s in sessions))


async def displays_worker(job: dict[str, Any]) -> None:
    """Keep displays connected; note when each ``visit_called`` reaches each of them.

    At each "dump": print the arrivals noted since the last one.
    """
    arrivals: dict[str, list[float]] = {}

    async def listen(display: RindaClient) -> None:
        async for message in display.messages():
            if message.get("type") == "event" and message["event"]["type"] == "visit_called":
                arrivals.setdefault(message["event"]["number"], []).append(time.time())

    displays = [
        RindaClient(job["url"], division=DIVISION, token=token, timeout=60)
        for token in job["tokens"]
    ]
    for batch in range(0, len(displays), 25):
        await asyncio.gather(*(d.start() for d in displays[batch : batch + 25]))
    readers = [asyncio.create_task(listen(d)) for d in displays]
    _say({"ready": True, "connected": len(displays)})
    while await _order() == "dump":
        _say({"arrivals": arrivals})
        arrivals = {}
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*(d.close() for d in displays))


async def caller_worker(job: dict[str, Any]) -> None:
    """At each "round": a kiosk issues passport tickets, then clerks call them one by one.

    Answers with the instant each call was sent, by ticket number.
    """
    clerks = {counter: job["clerks"][counter] for counter in CALLING_COUNTERS}
    sessions = await _open_counters(job["url"], clerks)
    async with RindaClient(job["url"], division=DIVISION, token=job["token"]) as kiosk:
        _say({"ready": True})
        round_no = 0
        while await _order() == "round":
            round_no += 1
            for i in range(job["calls"]):
                await kiosk.request("issue", key=f"r{round_no}-{i}", services=["passport"])
            await asyncio.sleep(0.6)  # the queue summaries of the issuing go out first
            sent: dict[str, float] = {}
            for i in range(job["calls"]):
                clerk = sessions[i % len(sessions)]
                began = time.time()
                reply = await clerk.request("call_next")
                called = next(ev for ev in reply["events"] if ev["type"] == "visit_called")
                sent[called["number"]] = began
                await clerk.request("finish")
                await asyncio.sleep(CALL_GAP_S)
            _say({"sent": sent})
    await asyncio.gather(*(s.close() for s in sessions))


WORKERS = {
    "kiosk": kiosk_worker,
    "clerks": clerks_worker,
    "displays": displays_worker,
    "caller": caller_worker,
}


def client_process(role: str, job: dict[str, Any]) -> ClientProcess:
    return ClientProcess([sys.executable, __file__, "--worker", role, json.dumps(job)])


@contextmanager
def workers(role: str, jobs: Sequence[dict[str, Any]]) -> Iterator[list[ClientProcess]]:
    started = [client_process(role, job) for job in jobs]
    try:
        yield started
    finally:
        for worker in started:
            worker.stop()


# ----------------------------------------------------------------- the figures


def throughput_run(
    template: dict[str, Any], folder: Path, per_kiosk: int, stretches: int, staff: bool
) -> list[dict[str, Any]]:
    """Tickets per second over ``stretches`` stretches of ``8 * per_kiosk`` tickets.

    The clerks open their counters, and stay connected only if ``staff``.
    """
    db = copy_database(template["db"], folder)
    found = []
    with ServerProcess(folder, db=db) as server:
        pid = _pid(server)
        with workers("clerks", [{"url": server.url, "clerks": template["clerks"]}]) as clerks:
            if clerks[0].read()["open"] != CLERKS:
                raise RuntimeError("not every counter opened")
            if not staff:
                clerks[0].stop()  # the counters stay open
            jobs = [
                {"url": server.url, "token": token, "index": i}
                for i, token in enumerate(template["kiosks"])
            ]
            with workers("kiosk", jobs) as kiosks:
                for kiosk in kiosks:
                    kiosk.read()
                for kiosk in kiosks:  # warming up: the first tickets are not counted
                    kiosk.order(f"go {WARM_UP}")
                waiting = sum(len(kiosk.read()["numbers"]) for kiosk in kiosks)
                for _ in range(stretches):
                    cpu_before = cpu_s(pid)
                    for kiosk in kiosks:
                        kiosk.order(f"go {per_kiosk}")
                    results = [kiosk.read() for kiosk in kiosks]
                    cpu = cpu_s(pid) - cpu_before
                    numbers = [n for r in results for n in r["numbers"]]
                    seconds = max(r["ended"] for r in results) - min(r["began"] for r in results)
                    found.append(
                        {
                            "waiting_from": waiting,
                            "waiting_to": waiting + len(numbers),
                            "tickets": len(numbers),
                            "numbers": numbers,
                            "seconds": seconds,
                            "tickets_per_s": len(numbers) / seconds,
                            "server_cpu_ms_per_ticket": cpu * 1000 / len(numbers),
                            "server_busy": cpu / seconds,
                        }
                    )
                    waiting += len(numbers)
    numbers = [n for stretch in found for n in stretch.pop("numbers")]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError("a ticket number was issued twice")
    return found


def latency_runs(
    template: dict[str, Any], folder: Path, displays: int, rounds: int, calls: int
) -> dict[str, Any]:
    """``rounds`` rounds of ``calls`` calls with ``displays`` displays connected."""
    db = copy_database(template["db"], folder)
    tokens = template["displays"][:displays]
    with ServerProcess(folder, db=db) as server:
        pid = _pid(server)
        time.sleep(0.3)
        memory = {"idle_rss_mb": rss_mb(pid)}
        jobs = [
            {"url": server.url, "tokens": tokens[i : i + DISPLAYS_PER_PROCESS]}
            for i in range(0, len(tokens), DISPLAYS_PER_PROCESS)
        ]
        with workers("displays", jobs) as screens:
            connected = sum(s.read()["connected"] for s in screens)
            time.sleep(0.3)
            memory["displays_rss_mb"] = rss_mb(pid)
            job = {
                "url": server.url,
                "token": template["kiosks"][0],
                "clerks": template["clerks"],
                "calls": calls,
            }
            runs = []
            with workers("caller", [job]) as (caller,):
                caller.read()
                for _ in range(rounds):
                    caller.order("round")
                    sent = caller.read()["sent"]
                    time.sleep(0.3)  # the last call reaches every display
                    arrived: dict[str, list[float]] = {}
                    for screen in screens:
                        screen.order("dump")
                        for number, times in screen.read()["arrivals"].items():
                            arrived.setdefault(number, []).extend(times)
                    runs.append(_latencies(sent, arrived, connected))
                memory["after_calls_rss_mb"] = rss_mb(pid)
    return {"displays": connected, "runs": runs, **memory}


def _latencies(
    sent: dict[str, float], arrived: dict[str, list[float]], displays: int
) -> dict[str, Any]:
    every = sorted(
        (t - began) * 1000 for number, began in sent.items() for t in arrived.get(number, [])
    )
    last = sorted((max(arrived[n]) - began) * 1000 for n, began in sent.items() if n in arrived)
    heard = [len(arrived.get(number, [])) for number in sent]
    return {
        "calls": len(sent),
        "deliveries": len(every),
        "missed": sum(max(0, displays - n) for n in heard),
        "twice": sum(max(0, n - displays) for n in heard),
        "p50_ms": percentile(every, 50),
        "p99_ms": percentile(every, 99),
        "max_ms": every[-1] if every else float("nan"),
        "last_display_p50_ms": percentile(last, 50),
    }


def percentile(ordered: Sequence[float], p: float) -> float:
    """The nearest-rank percentile of sorted values."""
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def _median(rows: Sequence[dict[str, Any]], key: str) -> float:
    return statistics.median(row[key] for row in rows)


def run(
    repeats: int,
    rounds: int,
    per_kiosk: int,
    stretches: int,
    calls: int,
    displays: Sequence[int],
) -> dict[str, Any]:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rinda-bench-") as tmp:
        template = provision(Path(tmp) / "template", max(displays))
        tickets = {
            staff: [
                throughput_run(
                    template, Path(tmp) / f"tickets{i}-{staff}", per_kiosk, stretches, staff
                )
                for i in range(repeats)
            ]
            for staff in (False, True)
        }
        latency = [
            latency_runs(template, Path(tmp) / f"displays{n}", n, rounds, calls) for n in displays
        ]
    stretch_rows = []
    for (staff, variant), i in itertools.product(tickets.items(), range(stretches)):
        runs = [run_stretches[i] for run_stretches in variant]
        rate = _median(runs, "tickets_per_s")
        cpu_ms = _median(runs, "server_cpu_ms_per_ticket")
        stretch_rows.append(
            {
                "clerk_sessions": CLERKS if staff else 0,
                "waiting_from": runs[0]["waiting_from"],
                "waiting_to": runs[0]["waiting_to"],
                "tickets_per_s": round(rate),
                "ratio_to_aim": round(rate / AIM_TICKETS_PER_S, 2),
                "server_cpu_ms_per_ticket": round(cpu_ms, 3),
                "one_core_per_s": round(1000 / cpu_ms),
                "server_busy": round(_median(runs, "server_busy"), 2),
                "runs": [round(r["tickets_per_s"]) for r in runs],
            }
        )
    latency_rows = []
    for config in latency:
        runs = config["runs"]
        p99 = _median(runs, "p99_ms")
        latency_rows.append(
            {
                "displays": config["displays"],
                "calls_per_run": calls,
                "p50_ms": round(_median(runs, "p50_ms"), 2),
                "p99_ms": round(p99, 2),
                "ratio_to_aim": round(p99 / AIM_P99_MS, 2),
                "max_ms": round(max(r["max_ms"] for r in runs), 2),
                "last_display_p50_ms": round(_median(runs, "last_display_p50_ms"), 2),
                "missed": sum(r["missed"] for r in runs),
                "twice": sum(r["twice"] for r in runs),
                "idle_rss_mb": round(config["idle_rss_mb"], 1),
                "displays_rss_mb": round(config["displays_rss_mb"], 1),
                "after_calls_rss_mb": round(config["after_calls_rss_mb"], 1),
                "runs_p99_ms": [round(r["p99_ms"], 2) for r in runs],
            }
        )
    biggest = max(latency_rows, key=lambda row: row["displays"])
    rss = max(biggest["displays_rss_mb"], biggest["after_calls_rss_mb"])
    cpus = os.cpu_count() or 0
    return {
        "cpus": cpus,
        "client_processes": {
            "tickets": KIOSKS + 1,
            "latency": 1 + -(-max(displays) // DISPLAYS_PER_PROCESS),
        },
        "shared_cpus": cpus < KIOSKS + 2,
        "repeats": repeats,
        "rounds": rounds,
        "kiosks": KIOSKS,
        "tickets": stretch_rows,
        "tickets_per_s": stretch_rows[0]["tickets_per_s"],
        "tickets_ratio": stretch_rows[0]["ratio_to_aim"],
        "latency": latency_rows,
        "memory": {
            "connections": biggest["displays"],
            "idle_rss_mb": biggest["idle_rss_mb"],
            "connected_rss_mb": biggest["displays_rss_mb"],
            "after_calls_rss_mb": biggest["after_calls_rss_mb"],
            "rss_mb": rss,
            "ratio_to_aim": round(rss / AIM_RSS_MB, 2),
        },
        "aims": {
            "tickets_per_s": AIM_TICKETS_PER_S,
            "p99_ms_20_displays": AIM_P99_MS,
            "rss_mb_500_connections": AIM_RSS_MB,
        },
        "seconds": round(time.perf_counter() - started, 1),
    }


def to_text(result: dict[str, Any]) -> str:
    lines = [
        f"Tickets per second over WebSockets: {result['kiosks']} kiosk processes, one ticket "
        f"at a time each; {CLERKS} counters open, their clerks connected or not; "
        f"median of {result['repeats']} runs; aim {AIM_TICKETS_PER_S:,}/s",
        "",
        f"{'clerks':>6}  {'waiting':>11}  {'tickets/s':>9}  {'x aim':>5}  "
        f"{'server CPU/ticket':>17}  {'server busy':>11}  {'one core/s':>10}  runs",
    ]
    for row in result["tickets"]:
        span = f"{row['waiting_from']}-{row['waiting_to']}"
        lines.append(
            f"{row['clerk_sessions']:>6}  {span:>11}  {row['tickets_per_s']:>9,}  "
            f"{row['ratio_to_aim']:>5.2f}  {row['server_cpu_ms_per_ticket']:>14.3f} ms  "
            f"{row['server_busy']:>11.0%}  {row['one_core_per_s']:>10,}  "
            + ", ".join(f"{r:,}" for r in row["runs"])
        )
    lines += [
        "",
        f"Call to display (clerk sends call_next -> visit_called at a display); "
        f"median of {result['rounds']} runs; aim p99 < {AIM_P99_MS:.0f} ms at 20 displays",
        "",
        f"{'displays':>8}  {'calls':>5}  {'p50 ms':>7}  {'p99 ms':>7}  {'x aim':>5}  "
        f"{'max ms':>7}  {'last display p50':>16}  {'missed':>6}  {'twice':>5}",
    ]
    for row in result["latency"]:
        lines.append(
            f"{row['displays']:>8}  {row['calls_per_run']:>5}  {row['p50_ms']:>7.2f}  "
            f"{row['p99_ms']:>7.2f}  {row['ratio_to_aim']:>5.2f}  {row['max_ms']:>7.1f}  "
            f"{row['last_display_p50_ms']:>13.2f} ms  {row['missed']:>6}  {row['twice']:>5}"
        )
    memory = result["memory"]
    lines += [
        "",
        f"Server memory (VmRSS); aim < {AIM_RSS_MB:.0f} MB with 500 connections",
        "",
        f"{'displays':>8}  {'idle MB':>7}  {'connected MB':>12}  {'after calls MB':>14}",
    ]
    for row in result["latency"]:
        lines.append(
            f"{row['displays']:>8}  {row['idle_rss_mb']:>7.1f}  {row['displays_rss_mb']:>12.1f}  "
            f"{row['after_calls_rss_mb']:>14.1f}"
        )
    lines += [
        "",
        f"with {memory['connections']} displays: {memory['rss_mb']:.1f} MB, "
        f"x aim {memory['ratio_to_aim']:.2f}",
    ]
    if result["shared_cpus"]:
        lines += [
            "",
            f"Note: {result['cpus']} CPUs, so the client processes and the server share them."
            " 'server busy' is the server's CPU time over the wall time of a stretch; 'one"
            " core/s' is what the server's CPU time per ticket would allow on a core of its own.",
        ]
    lines.append(f"({result['seconds']} s)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of the ticket figure")
    parser.add_argument("--rounds", type=int, default=3, help="latency runs per display count")
    parser.add_argument("--per-kiosk", type=int, default=25, help="tickets per kiosk and stretch")
    parser.add_argument("--stretches", type=int, default=4, help="stretches of tickets")
    parser.add_argument("--calls", type=int, default=200, help="calls per latency run")
    parser.add_argument("--displays", type=int, nargs="+", default=[20, 500])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--worker", nargs=2, metavar=("ROLE", "JOB"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        role, job = args.worker
        asyncio.run(WORKERS[role](json.loads(job)))
        return 0
    result = run(
        max(1, args.repeats),
        max(1, args.rounds),
        args.per_kiosk,
        max(1, args.stretches),
        args.calls,
        args.displays,
    )
    print(json.dumps(result) if args.json else to_text(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
