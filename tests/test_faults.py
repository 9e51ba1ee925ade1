"""Faults of the machine the server runs on: a ``kill -9`` again and again under load,
a full disk, a clock stepped forward and back, the daylight-saving days, and a hall
display that stops reading. Nothing a client was told is lost, nothing is done twice,
and the other clients go on.

Printers that refuse, drop mid-job or run out of paper are the kiosk's faults:
``tests/test_printer.py``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import random
import socket
import sqlite3
import struct
import time
from pathlib import Path
from typing import Any

import pytest

from queue_server.client import ConnectionLost, RequestFailed, RequestTimeout, RindaClient
from tests.conftest import TIMEOUT, at
from tests.conftest_server import admin, clerk, display, healthz, kiosk, staff_view
from tests.serverkit import DIVISION, ServerProcess

#: Backoffs short enough that twenty restarts fit in well under a minute.
FAST = {"timeout": TIMEOUT / 4, "backoff": (0.02, 0.2)}
KILLS = 20


def log_rows(
    db: Path, kind: str, division: str = DIVISION
) -> list[tuple[int, str, dict[str, Any]]]:
    """(seq, day, data) of the events of one type in the file, oldest first."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT seq, day, data FROM events WHERE division = ? AND type = ? ORDER BY seq",
            (division, kind),
        ).fetchall()
    finally:
        conn.close()
    return [(seq, day, json.loads(data)) for seq, day, data in rows]


async def keep_trying(send: Any) -> dict[str, Any]:
    """A request sent again, as it is, until an answer comes (the server may be down)."""
    deadline = time.monotonic() + 3 * TIMEOUT
    while True:
        try:
            reply: dict[str, Any] = await send()
            return reply
        except (ConnectionLost, RequestTimeout, TimeoutError):
            assert time.monotonic() < deadline, "no answer for too long"
            await asyncio.sleep(0.02)


# ------------------------------------------------------------ kill -9, twenty times


class Lobby:
    """Two kiosks issuing, two clerks calling and finishing, and a display listening,
    each a ``RindaClient`` that reconnects and resumes by itself."""

    def __init__(self, server: ServerProcess) -> None:
        self.kiosks = [kiosk(server, **FAST), kiosk(server, "kiosk2", **FAST)]
        self.clerks = [clerk(server, "clerk1", "1", **FAST), clerk(server, "clerk2", "3", **FAST)]
        self.screen = display(server, queue_size=100_000, **FAST)
        self.told: dict[str, str] = {}
        self.heard: list[tuple[str, str, int]] = []
        self.snapshots = 0
        self.running = True

    def clients(self) -> list[RindaClient]:
        return [*self.kiosks, *self.clerks, self.screen]

    async def issue(self, index: int, client: RindaClient) -> None:
        n = 0
        while self.running:
            n += 1
            key = f"k{index}-{n}"
            services = [("passport",), ("collect",), ("passport", "collect")][n % 3]

            async def send(key: str = key, services: tuple[str, ...] = services) -> Any:
                return await client.request("issue", key=key, services=list(services))

            reply = await keep_trying(send)
            self.told[key] = reply["ticket"]["number"]
            await asyncio.sleep(0.03)

    async def serve(self, client: RindaClient) -> None:
        n = 0
        while self.running:
            n += 1
            action = "recall" if n % 5 == 0 else "call_next"
            try:
                await keep_trying(lambda action=action: client.request(action))
            except RequestFailed as refused:
                # A call whose answer was lost in a crash was made: the counter is busy.
                # Nobody waiting, or nobody to recall: try again.
                assert refused.code in (
                    "counter_busy",
                    "queue_empty",
                    "counter_idle",
                    "recall_limit",
                ), refused
                if refused.code != "counter_busy":
                    await asyncio.sleep(0.02)
                    continue
            with contextlib.suppress(RequestFailed):  # counter_idle: finished before a crash
                await keep_trying(lambda: client.request("finish"))

    async def listen(self) -> None:
        async for message in self.screen.messages():
            if message["type"] == "snapshot":
                self.snapshots += 1
            elif message["type"] == "event" and message["event"]["type"] in (
                "visit_called",
                "visit_recalled",
            ):
                event = message["event"]
                self.heard.append((event["number"], event["counter"], message["seq"]))


@pytest.mark.slow
def test_twenty_kills_under_load_lose_no_ticket_and_repeat_or_miss_no_call(
    tmp_path: Path,
) -> None:
    server = ServerProcess(tmp_path)
    server.start()
    seed = random.randrange(1 << 32)
    pauses = random.Random(seed)

    async def day_of_crashes() -> tuple[Lobby, int, dict[str, Any]]:
        lobby = Lobby(server)
        for client in lobby.clients():
            await client.start()
        for counter in lobby.clerks:
            await counter.request("open")
        listener = asyncio.create_task(lobby.listen())
        work = [asyncio.create_task(lobby.issue(i, k)) for i, k in enumerate(lobby.kiosks)]
        work += [asyncio.create_task(lobby.serve(c)) for c in lobby.clerks]
        for _ in range(KILLS):
            await asyncio.sleep(pauses.uniform(0.15, 0.6))
            await asyncio.to_thread(server.kill)
            await asyncio.to_thread(server.start)
        await asyncio.sleep(0.5)  # everyone is back and working
        lobby.running = False
        await asyncio.gather(*work)
        # A fence: once the display has it, it has everything committed before it.
        async with admin(server) as boss:
            fence = (await boss.request("set_hours_exception", day="2027-06-01"))["seq"][-1]
            async with asyncio.timeout(TIMEOUT):
                while (lobby.screen.seq or 0) < fence:
                    await asyncio.sleep(0.02)
            await asyncio.sleep(0)  # the listener takes the last messages
            state = (await staff_view(boss))["state"]
        listener.cancel()
        for client in lobby.clients():
            assert client.reconnects >= KILLS, "every client came back after every kill"
            await client.close()
        return lobby, fence, state

    try:
        lobby, fence, state = asyncio.run(day_of_crashes())
    finally:
        server.stop()

    # Every ticket a kiosk was told about is in the state, under its key.
    visits = {v["number"]: v for v in state["visits"]}
    lost = [k for k, n in lobby.told.items() if visits.get(n, {}).get("key") != k]
    assert not lost, f"seed {seed}: tickets lost in the crashes: {lost}"
    assert len(lobby.told) > 10 * KILLS
    issued = log_rows(server.db, "visit_issued")
    numbers = [data["number"] for _, _, data in issued]
    keys = [data["key"] for _, _, data in issued]
    assert len(set(numbers)) == len(numbers), "no number is issued twice"
    assert len(set(keys)) == len(keys), "no key gives two tickets"

    # The display heard every call and every recall of the log once, in order.
    called = [
        (data["number"], data["counter"], seq)
        for kind in ("visit_called", "visit_recalled")
        for seq, _, data in log_rows(server.db, kind)
        if seq < fence
    ]
    assert len(called) > KILLS
    assert len(set(lobby.heard)) == len(lobby.heard), f"seed {seed}: a call was heard twice"
    assert sorted(lobby.heard, key=lambda c: c[2]) == lobby.heard
    assert set(lobby.heard) == set(called), f"seed {seed}: calls missed"
    assert lobby.snapshots == 1, "every reconnection resumed from its seq: no fresh snapshot"


# ------------------------------------------------------------------- a full disk


def fill_with_ballast(db: Path, megabytes: int = 4) -> int:
    """Put a table of ballast in the stopped server's file; return the file's pages.

    Started with ``--max-pages`` at that count, the server finds the file full as soon
    as its free pages are used; dropping the ballast frees pages, as deleting old
    files frees a disk.
    """
    conn = sqlite3.connect(db)
    try:
        conn.execute("CREATE TABLE test_ballast (b BLOB)")
        conn.executemany("INSERT INTO test_ballast VALUES (zeroblob(?))", [(1 << 20,)] * megabytes)
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        (free,) = conn.execute("PRAGMA freelist_count").fetchone()
    finally:
        conn.close()
    assert free == 0
    return int(pages)


def free_the_ballast(db: Path) -> None:
    conn = sqlite3.connect(db, timeout=TIMEOUT)
    try:
        conn.execute("DROP TABLE test_ballast")
        conn.commit()
    finally:
        conn.close()


async def login_sessions(server: ServerProcess) -> dict[str, str]:
    """Session tokens of clerk1 and admin1: a console reconnects with them, writing nothing."""
    tokens = {}
    async with clerk(server, "clerk1", "1") as anna, admin(server) as boss:
        tokens["clerk1"] = anna.welcome["session"]
        tokens["admin1"] = boss.welcome["session"]
        await anna.request("open")
    return tokens


def by_session(
    server: ServerProcess, user: str, token: str, counter: str | None = None
) -> RindaClient:
    return RindaClient(
        server.url,
        division=DIVISION,
        user=user,
        session=token,
        counter=counter,
        timeout=TIMEOUT,
        backoff=(0.05, 0.5),
    )


def test_a_full_disk_refuses_new_work_keeps_the_old_and_recovers_when_space_returns(
    tmp_path: Path,
) -> None:
    server = ServerProcess(tmp_path)
    server.start()
    try:
        sessions = asyncio.run(login_sessions(server))
    finally:
        server.stop()
    server.extra = ["--max-pages", str(fill_with_ballast(server.db))]
    server.start()

    async def fill_and_free() -> dict[str, Any]:
        found: dict[str, Any] = {"told": {}}
        async with (
            kiosk(server) as desk,
            by_session(server, "clerk1", sessions["clerk1"], "1") as anna,
            by_session(server, "admin1", sessions["admin1"]) as boss,
        ):
            # Tickets go in until the file is full: the first refusal is `unavailable`.
            for n in range(3000):
                before = await staff_view(boss)
                try:
                    reply = await desk.request("issue", key=f"t{n}", services=["passport"])
                except RequestFailed as refused:
                    found["refusal"] = refused.code
                    assert await staff_view(boss) == before, "a refused issue changed nothing"
                    break
                found["told"][f"t{n}"] = reply["ticket"]["number"]
            found["full_after"] = n
            # Still full: every command is refused the same way, and changes nothing.
            before = await staff_view(boss)
            refusals = []
            for kind, client, fields in (
                ("issue", desk, {"key": f"t{n}", "services": ["passport"]}),
                ("call_next", anna, {}),
                ("set_hours_exception", boss, {"day": "2027-06-01"}),
            ):
                try:
                    await client.request(kind, **fields)
                    refusals.append((kind, "accepted"))
                except RequestFailed as refused:
                    refusals.append((kind, refused.code))
            found["refusals"] = refusals
            assert await staff_view(boss) == before
            found["health_full"] = healthz(server)
            # What was committed before is all there.
            found["state_full"] = (await staff_view(boss))["state"]

            await asyncio.to_thread(free_the_ballast, server.db)
            again = await desk.request("issue", key=f"t{n}", services=["passport"])
            found["told"][f"t{n}"] = again["ticket"]["number"]
            found["after"] = again["ticket"]["number"]
            found["called"] = (await anna.request("call_next"))["events"][0]["number"]
        return found

    try:
        found = asyncio.run(fill_and_free())
    finally:
        server.stop()
    server.extra = []
    server.start()
    try:

        async def reread() -> dict[str, Any]:
            async with admin(server) as boss:
                return (await staff_view(boss))["state"]

        state = asyncio.run(reread())
    finally:
        server.stop()

    told = found["told"]
    assert found["refusal"] == "unavailable"
    assert found["full_after"] > 0, "the file took tickets until it was full"
    assert found["refusals"] == [
        ("issue", "unavailable"),
        ("call_next", "unavailable"),
        ("set_hours_exception", "unavailable"),
    ]
    full_visits = {v["key"]: v["number"] for v in found["state_full"]["visits"]}
    assert {k: n for k, n in told.items() if k != f"t{found['full_after']}"} == full_visits
    # Space back: the refused ticket is issued with the next number, and called first.
    assert found["after"] == f"P{len(told):03d}"
    assert found["called"] == "P001"
    assert {v["key"]: v["number"] for v in state["visits"]} == told


def test_healthz_says_so_while_the_disk_is_full(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path)
    server.start()
    server.stop()
    server.extra = ["--max-pages", str(fill_with_ballast(server.db))]
    server.start()

    async def fill() -> str:
        async with kiosk(server) as desk:
            for n in range(3000):
                try:
                    await desk.request("issue", key=f"t{n}", services=["collect"])
                except RequestFailed as refused:
                    return refused.code
        return "never full"

    try:
        asyncio.run(clerk_opens(server))
        assert asyncio.run(fill()) == "unavailable"
        status, health = healthz(server)
    finally:
        server.stop()
    assert (status, health["ok"], health["writable"]) == (503, False, False)


def test_healthz_finds_a_full_disk_itself_after_a_restart_and_sees_space_return(
    tmp_path: Path,
) -> None:
    """No client writes: a server restarted on a full file answers 503 at once, and
    200 within a second or two of space coming back (its probe, not a client's write)."""
    server = ServerProcess(tmp_path)
    server.start()
    server.stop()
    server.extra = ["--max-pages", str(fill_with_ballast(server.db))]
    server.start()
    try:
        full = healthz(server)
        free_the_ballast(server.db)
        deadline = time.monotonic() + TIMEOUT
        while (back := healthz(server))[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        seq = back[1]["seq"]
    finally:
        server.stop()
    status, health = full
    assert (status, health["ok"], health["writable"]) == (503, False, False)
    assert "full" in health["error"]
    assert back[0] == 200 and back[1]["writable"] and back[1]["error"] is None
    assert seq == health["seq"], "nothing was written in between"


async def clerk_opens(server: ServerProcess, counter: str = "1") -> None:
    async with clerk(server, "clerk1", counter) as anna:
        with contextlib.suppress(RequestFailed):
            await anna.request("open")


# ------------------------------------------------------------------------ the clock


class Rehearsal:
    """One database, the server restarted with its clock at different instants."""

    def __init__(self, folder: Path) -> None:
        self.server = ServerProcess(folder)

    def at(self, clock: str, scene: Any) -> Any:
        """Run ``scene(kiosk, clerk, admin)`` with the server's clock started at ``clock``."""
        self.server.clock_start = clock
        self.server.start()

        async def play() -> Any:
            async with (
                kiosk(self.server) as desk,
                clerk(self.server, "clerk1", "1") as anna,
                admin(self.server) as boss,
            ):
                return await scene(desk, anna, boss)

        try:
            return asyncio.run(play())
        finally:
            self.server.stop()


async def take(desk: RindaClient, key: str, service: str = "passport") -> dict[str, Any]:
    ticket: dict[str, Any] = (await desk.request("issue", key=key, services=[service]))["ticket"]
    return ticket


async def hours(boss: RindaClient) -> dict[str, Any]:
    snapshot = (await boss.request("snapshot"))["snapshot"]
    return {"day": snapshot["day"], **snapshot["division"]["hours"]}


async def open_and_take(desk: RindaClient, anna: RindaClient, *keys: str) -> list[str]:
    with contextlib.suppress(RequestFailed):
        await anna.request("open")
    return [(await take(desk, key))["number"] for key in keys]


def issued_per_day(db: Path) -> dict[str, list[str]]:
    days: dict[str, list[str]] = {}
    for _, day, data in log_rows(db, "visit_issued"):
        days.setdefault(day, []).append(data["number"])
    return days


def test_restarts_with_the_clock_stepped_back_and_forward_keep_numbers_unique(
    tmp_path: Path,
) -> None:
    lobby = Rehearsal(tmp_path)
    monday = lobby.at("2026-11-30T10:00", lambda d, a, b: open_and_take(d, a, "a", "b"))

    # The clock goes back half an hour: numbering goes on, a key keeps its ticket.
    async def earlier(desk: RindaClient, anna: RindaClient, boss: RindaClient) -> Any:
        return (
            (await take(desk, "c"))["number"],
            (await take(desk, "a"))["number"],
            await hours(boss),
        )

    back = lobby.at("2026-11-30T09:30", earlier)

    # The next morning: yesterday's visits expired, numbers and keys start again.
    async def next_day(desk: RindaClient, anna: RindaClient, boss: RindaClient) -> Any:
        numbers = await open_and_take(desk, anna, "a", "d")
        view = await staff_view(boss)
        return numbers, await hours(boss), [v["number"] for v in view["state"]["visits"]]

    tuesday = lobby.at("2026-12-01T09:00", next_day)

    # Back to Monday afternoon after Tuesday began: the division stays on Tuesday.
    async def monday_again(desk: RindaClient, anna: RindaClient, boss: RindaClient) -> Any:
        return (await take(desk, "e"))["number"], (await hours(boss))["day"]

    again = lobby.at("2026-11-30T15:00", monday_again)

    assert monday == ["P001", "P002"]
    assert back[:2] == ("P003", "P001")
    assert (back[2]["day"], back[2]["today"], back[2]["kind"]) == (
        "2026-11-30",
        [480, 1200],
        "regular",
    )
    assert tuesday[0] == ["P001", "P002"], "a new day numbers from 1; yesterday's key is new"
    assert (tuesday[1]["day"], tuesday[1]["next_open"]) == (
        "2026-12-01",
        [at("2026-12-01 08:00"), at("2026-12-01 20:00")],
    )
    assert tuesday[2] == ["P001", "P002"], "Monday's visits are not Tuesday's"
    assert again == ("P003", "2026-12-01")
    [(_, _, closed)] = log_rows(lobby.server.db, "day_closed")
    assert sorted(closed["expired"]) == ["P001", "P002", "P003"]
    per_day = issued_per_day(lobby.server.db)
    assert per_day == {
        "2026-11-30": ["P001", "P002", "P003"],
        "2026-12-01": ["P001", "P002", "P003"],
    }


def test_a_clock_stepped_back_does_not_let_a_new_ticket_jump_the_queue(tmp_path: Path) -> None:
    lobby = Rehearsal(tmp_path)
    lobby.at("2026-11-30T10:00", lambda d, a, b: open_and_take(d, a, "a", "b"))

    async def earlier(desk: RindaClient, anna: RindaClient, boss: RindaClient) -> Any:
        ticket = await take(desk, "c")
        called = (await anna.request("call_next"))["events"][0]["number"]
        return ticket["number"], ticket["ahead"], called

    assert lobby.at("2026-11-30T09:30", earlier) == ("P003", 2, "P001")


def test_the_spring_daylight_saving_day_has_23_hours_and_estimates_stay_right(
    tmp_path: Path,
) -> None:
    """28 March 2027, Easter Sunday: the clocks go from 03:00 to 04:00 in Riga."""
    lobby = Rehearsal(tmp_path)

    async def before(desk: RindaClient, anna: RindaClient, boss: RindaClient) -> Any:
        closed = await hours(boss)
        await boss.request("set_hours_exception", day="2027-03-28", open_min=120, close_min=300)
        numbers = await open_and_take(desk, anna, "x1")
        second = await take(desk, "x2")
        return closed, await hours(boss), numbers, second

    closed, opened, first, second = lobby.at("2027-03-28T02:30", before)

    async def after(desk: RindaClient, anna: RindaClient, boss: RindaClient) -> Any:
        return await take(desk, "x3"), await hours(boss)

    third, later = lobby.at("2027-03-28T04:30", after)

    # Easter Sunday and Easter Monday are holidays: the next opening is Tuesday 08:00.
    assert (closed["kind"], closed["today"]) == ("holiday", None)
    assert closed["next_open"] == [at("2027-03-30 08:00"), at("2027-03-30 20:00")]
    # 02:00 to 05:00 on this day is two hours of real time.
    assert (opened["kind"], opened["today"]) == ("exception", [120, 300])
    assert opened["next_open"] == [at("2027-03-28 02:00"), at("2027-03-28 05:00")]
    assert opened["next_open"][1] - opened["next_open"][0] == 2 * 3600_000
    assert later["next_open"] == opened["next_open"]
    assert first == ["P001"]
    assert (second["number"], third["number"]) == ("P002", "P003")
    # 02:30 to 04:30 on the clock is one hour of real time (less the moments between).
    assert round((third["issued_at"] - second["issued_at"]) / 60_000) == 60
    assert third["closing_at"] == second["closing_at"] == at("2027-03-28 05:00")
    # Two visits ahead wait twice as long as one: no hour gained or lost in between.
    assert (second["ahead"], third["ahead"]) == (1, 2)
    assert third["wait_ms"] == 2 * second["wait_ms"] > 0


def test_the_autumn_daylight_saving_day_has_25_hours_and_estimates_stay_right(
    tmp_path: Path,
) -> None:
    """25 October 2026, a Sunday: the clocks go from 04:00 back to 03:00 in Riga."""
    lobby = Rehearsal(tmp_path)

    async def before(desk: RindaClient, anna: RindaClient, boss: RindaClient) -> Any:
        closed = await hours(boss)
        await boss.request("set_hours_exception", day="2026-10-25", open_min=120, close_min=300)
        await open_and_take(desk, anna, "o1")
        return closed, await hours(boss), await take(desk, "o2")

    closed, opened, second = lobby.at("2026-10-25T02:30", before)
    third = lobby.at("2026-10-25T04:30", lambda desk, a, b: take(desk, "o3"))

    async def monday(desk: RindaClient, anna: RindaClient, boss: RindaClient) -> Any:
        return await open_and_take(desk, anna, "m1"), await hours(boss)

    numbers, week = lobby.at("2026-10-26T08:30", monday)

    assert (closed["kind"], closed["next_open"]) == (
        "weekly_closed",
        [at("2026-10-26 08:00"), at("2026-10-26 20:00")],
    )
    assert opened["next_open"] == [at("2026-10-25 02:00"), at("2026-10-25 05:00")]
    assert opened["next_open"][1] - opened["next_open"][0] == 4 * 3600_000
    assert (second["number"], third["number"]) == ("P002", "P003")
    assert third["closing_at"] == second["closing_at"] == at("2026-10-25 05:00")
    assert (second["ahead"], third["ahead"]) == (1, 2)
    assert third["wait_ms"] == 2 * second["wait_ms"] > 0
    assert numbers == ["P001"], "Monday numbers from 1 again"
    assert (week["kind"], week["today"]) == ("regular", [480, 1200])


# -------------------------------------------------------- a display that stops reading


def masked_frame(text: str) -> bytes:
    """One WebSocket text frame as a client sends it (masked)."""
    payload = text.encode()
    mask = os.urandom(4)
    size = len(payload)
    if size < 126:
        header = bytes([0x81, 0x80 | size])
    elif size < 1 << 16:
        header = bytes([0x81, 0x80 | 126]) + struct.pack("!H", size)
    else:
        header = bytes([0x81, 0x80 | 127]) + struct.pack("!Q", size)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def stalled_display(server: ServerProcess) -> socket.socket:
    """A display that says hello and never reads its socket again (a hung TV)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(TIMEOUT)
    sock.connect(("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    answer = b""
    while not answer.endswith(b"\r\n\r\n"):
        answer += sock.recv(1)  # the headers only: the frames after them stay unread
    assert answer.startswith(b"HTTP/1.1 101")
    hello = {"type": "hello", "division": DIVISION, "token": server.devices["display"]}
    sock.sendall(masked_frame(json.dumps(hello)))
    return sock


def test_a_display_that_stops_reading_is_cut_off_and_slows_nobody(tmp_path: Path) -> None:
    """Every change reaches a reading display before the next is made (in lockstep: a
    server that waited for the stalled one would stop here), until the stalled one's
    unread messages pass the server's bound and it is cut off."""
    server = ServerProcess(tmp_path, extra=["--rate", "100000", "--burst", "100000"])
    server.start()
    hung = stalled_display(server)
    notes = "x" * 990

    async def lobby() -> tuple[int, list[str], int]:
        async with (
            display(server, queue_size=100_000) as hall,
            admin(server) as boss,
            kiosk(server) as desk,
            clerk(server, "clerk1", "1") as anna,
        ):
            connected = healthz(server)[1]["connections"]
            rounds = 0
            # Each change of the notes sends every display a fresh snapshot (tens of KiB).
            while "too_slow" not in server.log():
                assert rounds < 1000, "the stalled display was never cut off"
                rounds += 1
                texts = {lang: f"{rounds} {notes}" for lang in ("lv", "en", "ru", "uk")}
                seq = (await boss.request("set_notes", notes=texts))["seq"][-1]
                while (hall.seq or 0) < seq:
                    await hall.next_message()
            # The others go on: a ticket and its call reach the reading display.
            await anna.request("open")
            number = (await take(desk, "after"))["number"]
            called = (await anna.request("call_next"))["seq"][-1]
            heard = []
            while not heard or heard[-1][1] < called:
                message = await hall.next_message()
                if message["type"] == "event" and message["event"]["type"] == "visit_called":
                    heard.append((message["event"]["number"], message["seq"]))
            heard = [number for number, _ in heard]
            assert heard == [number]
            return rounds, heard, connected - healthz(server)[1]["connections"]

    try:
        rounds, _, gone = asyncio.run(lobby())
    finally:
        hung.close()
        server.stop()
    assert rounds > 1, "the stalled display took some unread messages before the cut"
    assert gone == 1, "only the stalled display was dropped"
    cut = [json.loads(line) for line in server.log().splitlines() if "too_slow" in line]
    assert [(c["role"], c["actor"]) for c in cut] == [
        ("display", server.devices["display"].split(".")[0])
    ]
