"""A visitor rates a finished visit at the kiosk; staff see it, the lobby does not."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from queue_server.client import RequestFailed, RindaClient
from tests.conftest import TIMEOUT
from tests.serverkit import ServerProcess


def test_a_kiosk_rates_a_finished_visit_and_it_reaches_the_reporting_table(tmp_path):
    with ServerProcess(tmp_path) as server:

        async def visit() -> tuple[str, list[dict], list[dict]]:
            kiosk = RindaClient(server.url, division="riga-1", token=server.devices["kiosk"])
            display = RindaClient(server.url, division="riga-1", token=server.devices["display"])
            clerk = RindaClient(
                server.url,
                division="riga-1",
                user="clerk1",
                password=server.passwords["clerk1"],
                counter="1",
            )
            async with kiosk, display, clerk:
                await clerk.request("open")
                ticket = (await kiosk.request("issue", key="t", services=["passport"]))["ticket"]
                number = ticket["number"]
                with pytest.raises(RequestFailed) as early:
                    await kiosk.request("rate", number=number, stars=5)
                assert early.value.code == "not_finished"
                await clerk.request("call_next")
                await clerk.request("finish")
                await kiosk.request("rate", number=number, stars=4, tags=["polite", "quick"])
                with pytest.raises(RequestFailed) as again:
                    await kiosk.request("rate", number=number, stars=1)
                assert again.value.code == "already_rated"
                with pytest.raises(RequestFailed) as clerk_rates:
                    await clerk.request("rate", number=number, stars=1)
                assert clerk_rates.value.code == "forbidden"
                await clerk.request("pause")  # a fence: after it, everything has arrived
                staff = await _until(clerk, "counter_paused")
                public = await _until(display, "counter_paused")
                return number, staff, public

        number, staff, public = asyncio.run(visit())
    rated = [m["event"] for m in staff if m["event"]["type"] == "visit_rated"]
    assert rated == [
        {
            "type": "visit_rated",
            "at": rated[0]["at"],
            "number": number,
            "stars": 4,
            "tags": ["polite", "quick"],
        }
    ]
    assert not [m for m in public if m["event"]["type"] == "visit_rated"]
    with sqlite3.connect(server.db) as db:
        row = db.execute(
            "SELECT rating, rating_tags FROM visit_steps WHERE number = ? AND step = 0", (number,)
        ).fetchone()
    assert row == (4, "polite,quick")


async def _until(client: RindaClient, kind: str) -> list[dict]:
    """The events a client received up to (and with) the first event of ``kind``."""
    found = []
    while True:
        message = await client.next_message(TIMEOUT)
        if message["type"] != "event":
            continue
        found.append(message)
        if message["event"]["type"] == kind:
            return found


def test_a_printer_fault_reaches_staff_and_not_the_lobby(tmp_path):
    with ServerProcess(tmp_path) as server:

        async def fault() -> tuple[list[dict], list[dict], dict]:
            kiosk = RindaClient(server.url, division="riga-1", token=server.devices["kiosk"])
            display = RindaClient(server.url, division="riga-1", token=server.devices["display"])
            admin = RindaClient(
                server.url, division="riga-1", user="admin1", password=server.passwords["admin1"]
            )
            async with kiosk, display, admin:
                first = await kiosk.request("printer_status", status="paper_out")
                again = await kiosk.request("printer_status", status="paper_out")
                assert len(first["seq"]) == 1 and again["seq"] == []
                with pytest.raises(RequestFailed) as wrong:
                    await display.request("printer_status", status="ok")
                assert wrong.value.code == "forbidden"
                await admin.request("set_hours_exception", day="2027-06-01")  # a fence
                staff = await _until(admin, "hours_exception_set")
                public = await _until(display, "hours_exception_set")
                snapshot = (await admin.request("snapshot"))["snapshot"]
                return staff, public, snapshot

        staff, public, snapshot = asyncio.run(fault())
    reported = [m["event"] for m in staff if m["event"]["type"] == "printer_reported"]
    assert [(r["device"], r["status"]) for r in reported] == [("d1", "paper_out")]
    assert not [m for m in public if m["event"]["type"] == "printer_reported"]
    assert snapshot["state"]["printers"] == {"d1": "paper_out"}
