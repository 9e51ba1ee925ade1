"""The server's timers: the queue summaries, the day's rollover, revoked and expired
credentials go on all day, and a timer step that fails is seen in the log and in
``/healthz`` instead of ending the timers silently."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import connect

from tests.conftest import TIMEOUT
from tests.conftest_server import clerk, display, healthz, kiosk, read_until
from tests.serverkit import ROOT, ServerProcess

PUBLIC = "https://rinda.example.lv"
CLI = [sys.executable, "-m", "queue_server.cli"]


def _is(kind: str, **fields: Any) -> Any:
    return lambda m: m.get("type") == kind and all(m.get(k) == v for k, v in fields.items())


def _log_lines(server: ServerProcess) -> list[dict[str, Any]]:
    lines = []
    for line in server.log().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


async def _end_a_visit_under_its_status_page(server: ServerProcess, desk, anna) -> dict:
    """Issue a ticket, follow it on its status page, serve it to the end."""
    ticket = (await desk.request("issue", key="followed", services=["passport"]))["ticket"]
    link = urlsplit(ticket["status_url"]).path.removeprefix("/v/")
    async with connect(server.url) as phone:
        hello = {"type": "hello", "division": "riga-1", "status": link}
        await phone.send(json.dumps(hello))
        last: dict = {}
        await anna.request("call_next")
        await anna.request("finish")
        async with asyncio.timeout(TIMEOUT):
            async for text in phone:
                message = json.loads(text)
                if message["type"] == "status":
                    last = message
        # The page got its last picture and the server closed it: the visit is over.
        assert phone.close_code == 1000
    return last


def test_the_timers_go_on_after_a_status_page_visit_ends(tmp_path):
    """A status page whose visit ends leaves the subscribers while the queue summary
    walks them: afterwards the summaries, revocations, session expiries and the
    day's rollover still happen (a lobby day at 3600 times real speed)."""
    extra = ["--public-url", PUBLIC, "--clock-speed", "3600", "--session-minutes", "600"]
    with ServerProcess(tmp_path, clock_start="2026-11-30T09:00", extra=extra) as server:

        async def day() -> dict[str, Any]:
            seen: dict[str, Any] = {}
            async with (
                kiosk(server, reconnect=False) as desk,
                display(server, reconnect=False) as hall,
                clerk(server, "clerk1", "1", reconnect=False) as anna,
            ):
                await anna.request("open")
                seen["last_status"] = await _end_a_visit_under_its_status_page(server, desk, anna)
                # The queue summary goes on: a new ticket reaches the hall's table.
                issued = await desk.request("issue", key="after", services=["passport"])
                seq = issued["seq"][-1]
                news = await read_until(hall, lambda m: m["type"] == "queues" and m["seq"] >= seq)
                seen["queues"] = news[-1]["queues"]
                # A revoked device is cut off within a tick.
                device_id = hall.welcome["actor"]
                subprocess.run(
                    [*CLI, "device", "revoke", str(server.db), device_id],
                    cwd=ROOT,
                    check=True,
                    capture_output=True,
                )
                async with asyncio.timeout(TIMEOUT):
                    while hall.connected.is_set():
                        await asyncio.sleep(0.05)
                # The clerk's ten-hour session runs out at 19:00 by the server's clock.
                async with asyncio.timeout(3 * TIMEOUT):
                    while anna.connected.is_set():
                        await asyncio.sleep(0.05)
                # Midnight: the kiosk hears the new day open.
                opened = await read_until(
                    desk,
                    lambda m: (
                        m.get("type") == "event"
                        and m["event"]["type"] == "day_opened"
                        and m["event"]["day"] == "2026-12-01"
                    ),
                    timeout=4 * TIMEOUT,
                )
                seen["new_day"] = opened[-1]["event"]
            seen["health"] = healthz(server)
            return seen

        seen = asyncio.run(day())
    assert seen["last_status"]["status"] == "done"
    assert any(q["waiting"] >= 1 for q in seen["queues"].values())
    status, health = seen["health"]
    assert status == 200 and health["timers"]["ok"], health
    events = {line["event"] for line in _log_lines(server)}
    assert {"revoked", "expired"} <= events
    assert "task_failed" not in events


def test_a_failing_timer_step_shows_in_the_log_and_in_healthz_and_the_rest_goes_on(tmp_path):
    """The accounts' generation table vanishes under a running server (another tool):
    the revocation step fails, the log has its traceback, ``/healthz`` answers 503 and
    names the step, the queue summaries go on; once the table is back, all is well."""
    with ServerProcess(tmp_path) as server:
        assert healthz(server)[0] == 200
        with sqlite3.connect(server.db, timeout=TIMEOUT) as db:
            (generation,) = db.execute("SELECT value FROM account_generation").fetchone()
            db.execute("DROP TABLE account_generation")

        async def broken() -> dict[str, Any]:
            seen: dict[str, Any] = {}
            async with (
                kiosk(server, reconnect=False) as desk,
                display(server) as hall,
                clerk(server, "clerk1", "1") as anna,
            ):
                await anna.request("open")
                deadline = time.monotonic() + TIMEOUT
                while (found := healthz(server))[0] == 200 and time.monotonic() < deadline:
                    await asyncio.sleep(0.1)
                seen["health"] = found
                issued = await desk.request("issue", key="meanwhile", services=["passport"])
                seq = issued["seq"][-1]
                news = await read_until(hall, lambda m: m["type"] == "queues" and m["seq"] >= seq)
                seen["queues"] = news[-1]["queues"]
            return seen

        seen = asyncio.run(broken())
        with sqlite3.connect(server.db, timeout=TIMEOUT) as db:
            db.execute(
                "CREATE TABLE account_generation ("
                "id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL)"
            )
            db.execute("INSERT INTO account_generation VALUES (1, ?)", (generation + 1,))
        deadline = time.monotonic() + TIMEOUT
        while (healed := healthz(server))[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        lines = _log_lines(server)
    status, health = seen["health"]
    assert status == 503 and not health["ok"], health
    assert health["timers"]["failing"] == ["revocations"]
    assert "no such table: account_generation" in health["jobs"]["revocations"]["last_error"]
    assert health["jobs"]["timers"]["beat_age_s"] < 5  # the loop itself goes on
    assert any(q["waiting"] >= 1 for q in seen["queues"].values())
    failed = [line for line in lines if line["event"] == "task_failed"]
    assert failed and failed[0]["job"] == "revocations" and failed[0]["level"] == "error"
    assert "Traceback (most recent call last)" in failed[0]["traceback"]
    assert "_check_revocations" in failed[0]["traceback"]
    assert healed[0] == 200 and healed[1]["timers"]["failing"] == []
    assert any(line["event"] == "task_recovered" for line in lines)
