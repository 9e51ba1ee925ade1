"""The running server end to end: a visit's whole life across a kiosk, two clerks
and a display; what the lobby may see; the day rolling over; plain HTTP."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TIMEOUT, at
from tests.conftest_server import (
    admin,
    calls,
    clerk,
    display,
    events,
    fence,
    healthz,
    is_event,
    kiosk,
    read_until,
    serving,
    staff_view,
)
from tests.serverkit import ServerProcess

#: Counter 1 serves passport then collect; counter 6 serves residence first.
PASSPORT_COUNTER, RESIDENCE_COUNTER = "1", "6"

#: Keys a lobby screen must never receive: who served, how it ended, and anything
#: that reveals a visitor's circumstances or booking.
STAFF_ONLY_KEYS = frozenset(
    {"priority", "clerk", "outcome", "reason", "detail", "referral", "appointment", "code", "due"}
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    yield from serving(tmp_path)


@dataclass
class Day:
    """What a morning at riga-1 left behind, as each party saw it."""

    tickets: dict[str, dict[str, Any]]
    #: Everything the display received, from its snapshot to the last fence.
    display: list[dict[str, Any]]
    #: Everything the second kiosk received: a lobby screen too.
    kiosk2: list[dict[str, Any]]
    #: The snapshot a display connecting afterwards receives.
    late_snapshot: dict[str, Any]
    #: The visit of the two-service ticket after its first step, as staff see it.
    between_steps: dict[str, Any]
    #: Values that are staff-only: clerk ids, the booking code, outcome texts.
    secrets: list[str]


async def a_morning(server: ServerProcess) -> Day:
    """Passport and residence for one visitor, residence for two more, and a booked
    collection with priority; two clerks serve them; a display watches it all."""
    async with (
        admin(server) as boss,
        kiosk(server) as kiosk1,
        kiosk(server, "kiosk2") as kiosk2,
        clerk(server, "clerk1", PASSPORT_COUNTER) as anna,
        clerk(server, "clerk2", RESIDENCE_COUNTER) as boris,
        display(server) as hall,
    ):
        await anna.request("open")
        await boris.request("open")
        code = (
            await boss.request(
                "book", services=["collect"], due=at("2026-11-30 09:15"), priority="elderly"
            )
        )["code"]

        tickets = {}
        for name, client, fields in (
            ("both", kiosk1, {"key": "tap-1", "services": ["passport", "residence"]}),
            ("residence", kiosk2, {"key": "tap-2", "services": ["residence"]}),
            ("booked", kiosk1, {"key": "tap-3", "code": code}),
            ("residence2", kiosk2, {"key": "tap-4", "services": ["residence"]}),
        ):
            kind = "check_in" if "code" in fields else "issue"
            tickets[name] = (await client.request(kind, **fields))["ticket"]
        both = tickets["both"]["number"]

        assert (await anna.request("call_next"))["events"][0]["number"] == both
        await anna.request("start")
        await anna.request("finish")
        visits = {v["number"]: v for v in (await staff_view(boss))["state"]["visits"]}
        between_steps = visits[both]

        # Residence comes first at counter 6, and among its visitors the one who
        # arrived first: the two-service visitor keeps their arrival.
        assert (await boris.request("call_next"))["events"][0]["number"] == both
        assert (await anna.request("call_next"))["events"][0]["number"] == tickets["booked"][
            "number"
        ]
        await anna.request(
            "finish", outcome="refused", reason="documents_incomplete", detail="old photo"
        )
        await boris.request("finish")
        assert (await boris.request("call_next"))["events"][0]["number"] == tickets["residence"][
            "number"
        ]
        await boris.request("finish", outcome="referred", referral="State Revenue Service")

        seen_by_hall, seen_by_kiosk2 = await fence(boss, hall, kiosk2)
        async with display(server) as late:
            late_snapshot = await late.next_message(TIMEOUT)
        return Day(
            tickets=tickets,
            display=seen_by_hall,
            kiosk2=seen_by_kiosk2,
            late_snapshot=late_snapshot,
            between_steps=between_steps,
            secrets=[
                code,
                anna.welcome["actor"],
                boris.welcome["actor"],
                "documents_incomplete",
                "old photo",
                "State Revenue Service",
            ],
        )


def test_a_two_service_visit_goes_through_two_counters_and_the_display_hears_each_call_once(
    server: ServerProcess,
) -> None:
    day = asyncio.run(a_morning(server))
    both, residence, booked = (day.tickets[k]["number"] for k in ("both", "residence", "booked"))
    assert (both, residence, booked) == ("P001", "D001", "I001")

    ticket = day.tickets["both"]
    assert ticket["services"] == ["passport", "residence"]
    assert ticket["ahead"] == 0
    assert isinstance(ticket["estimate"], int) and ticket["estimate"] >= ticket["issued_at"]
    assert day.tickets["residence2"]["ahead"] == 1  # D001 is before it

    visit = day.between_steps
    assert visit["status"] == "waiting"
    assert visit["steps"][visit["index"]]["service"] == "residence"
    assert visit["arrival"] == ticket["issued_at"]

    assert day.display[0]["type"] == "snapshot"
    assert calls(day.display) == [
        (both, PASSPORT_COUNTER),
        (both, RESIDENCE_COUNTER),
        (booked, PASSPORT_COUNTER),
        (residence, RESIDENCE_COUNTER),
    ]
    seqs = [m["seq"] for m in events(day.display)]
    assert seqs == sorted(set(seqs)), "every event once, in the order committed"
    assert calls(day.kiosk2) == [], "a kiosk hears of counters and queues, not of calls"
    assert {m["event"]["type"] for m in events(day.kiosk2)} <= {
        "counter_opened",
        "counter_closed",
        "counter_paused",
        "counter_resumed",
        "hours_exception_set",
    }


def test_lobby_screens_never_see_priority_clerks_outcomes_or_booking_codes(
    server: ServerProcess,
) -> None:
    day = asyncio.run(a_morning(server))

    def keys(value: Any) -> set[str]:
        if isinstance(value, dict):
            return set(value).union(*(keys(v) for v in value.values()))
        if isinstance(value, list):
            return set().union(*(keys(v) for v in value))
        return set()

    lobby = [*day.display, *day.kiosk2, day.late_snapshot]
    assert {"visit_issued", "step_finished"} <= {m["event"]["type"] for m in events(lobby)}
    for message in lobby:
        assert not keys(message) & STAFF_ONLY_KEYS, message
        text = json.dumps(message, ensure_ascii=False)
        for secret in day.secrets:
            assert json.dumps(secret) not in text, (secret, message)
    # The categories are listed for the kiosk's buttons; no visit carries one.
    for message in events(lobby):
        assert "elderly" not in json.dumps(message)
    snapshot = day.late_snapshot
    assert snapshot["type"] == "snapshot" and "state" not in snapshot
    assert {"number": "P001", "counter": RESIDENCE_COUNTER} in [
        {"number": c["number"], "counter": c["counter"]} for c in snapshot["calls"]
    ]


def test_a_display_connected_across_midnight_hears_the_day_close_and_open(
    tmp_path: Path,
) -> None:
    # The server ticks its clock 0.5, 1.5, 2.5 s after it starts listening; midnight
    # falls at about 1.75 s, and a kiosk says hello at 2.1 s: before the next tick.
    server = ServerProcess(tmp_path, clock_start="2026-11-30T23:59:58.250")
    server.start()
    started = time.monotonic()

    async def across_midnight() -> list[dict[str, Any]]:
        async with display(server) as hall, admin(server) as boss:
            assert (await hall.next_message(TIMEOUT))["day"] == "2026-11-30"
            await asyncio.sleep(started + 2.1 - time.monotonic())
            async with kiosk(server) as early:
                if not 1.9 < time.monotonic() - started < 2.4:
                    pytest.skip("the machine was too slow to hit the moment between two ticks")
                assert (await early.next_message(TIMEOUT))["day"] == "2026-12-01"
            (seen,) = await fence(boss, hall)
            return seen

    try:
        seen = asyncio.run(across_midnight())
    finally:
        server.stop()
    kinds = [m["event"]["type"] for m in events(seen)]
    assert kinds[:2] == ["day_closed", "day_opened"]


def test_healthz_says_the_database_is_writable_and_the_state_loaded(
    server: ServerProcess,
) -> None:
    status, body = healthz(server)
    assert status == 200
    assert body["ok"] is True and body["writable"] is True and body["loaded"] is True
    assert isinstance(body["seq"], int)


def test_an_unknown_path_is_404(server: ServerProcess) -> None:
    for path in ("/nothing-here", "/ws/extra", "/../../etc/passwd", "/healthz/x"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(server.http + path, timeout=TIMEOUT)
        refused.value.close()  # an open socket would hold up the server's shutdown
        assert refused.value.code == 404, path


def test_the_root_serves_the_console_page(server: ServerProcess) -> None:
    with urllib.request.urlopen(server.http + "/", timeout=TIMEOUT) as reply:
        assert reply.status == 200
        assert reply.headers["Content-Type"].startswith("text/html")
        assert b"<html" in reply.read().lower()


def test_a_call_reaches_every_connected_display(server: ServerProcess) -> None:
    async def hall_of_screens() -> list[list[dict[str, Any]]]:
        async with (
            clerk(server, "clerk1", PASSPORT_COUNTER) as anna,
            kiosk(server) as kiosk1,
        ):
            screens = [display(server) for _ in range(5)]
            for screen in screens:
                await screen.start()
            try:
                await anna.request("open")
                await kiosk1.request("issue", key="tap-1", services=["passport"])
                called = (await anna.request("call_next"))["seq"][-1]
                return [await read_until(s, is_event(called)) for s in screens]
            finally:
                for screen in screens:
                    await screen.close()

    for seen in asyncio.run(hall_of_screens()):
        assert calls(seen) == [("P001", PASSPORT_COUNTER)]


def test_a_snapshot_marks_a_recall_and_the_welcome_tells_the_time(tmp_path):
    """A display that gets a fresh snapshot still shows a recall as one; a device can
    tell from the welcome how far its clock is from the server's."""
    from tests.conftest_server import clerk as _clerk
    from tests.conftest_server import display as _display
    from tests.conftest_server import kiosk as _kiosk

    with ServerProcess(tmp_path) as server:

        async def run() -> tuple[dict, list]:
            async with _clerk(server, "clerk1", "1") as desk, _kiosk(server) as k:
                await desk.request("open")
                await k.request("issue", key="a", services=["passport"])
                await k.request("issue", key="b", services=["passport"])
                await desk.request("call_next")
                await desk.request("finish")
                await desk.request("call_next")
                await desk.request("recall")
            async with _display(server) as screen:
                snapshot = await screen.next_message(TIMEOUT)
                return screen.welcome, snapshot["calls"]

        welcome, calls = asyncio.run(run())
    assert welcome["now"] >= at("2026-11-30 09:00")
    assert [(c["number"], c["recall"]) for c in calls] == [("P002", True), ("P001", False)]
