"""Never missing, never repeating: resuming after a dropped connection and after a
server restart, sync, snapshots when too much was missed, and idempotent issuing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from queue_server.client import RindaClient
from queue_server.server.settings import ServerSettings
from tests.conftest import TIMEOUT, at
from tests.conftest_server import (
    admin,
    calls,
    clerk,
    display,
    events,
    fence,
    is_event,
    kiosk,
    read_until,
    serving,
    staff_view,
)
from tests.serverkit import ServerProcess

#: Beyond this many missed events, a snapshot instead.
RESUME_LIMIT = ServerSettings.resume_limit


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    yield from serving(tmp_path)


def resuming(server: ServerProcess, seq: int, **options: Any) -> RindaClient:
    """A display that says, in its hello, that ``seq`` is the last it saw."""
    client = display(server, **options)
    client.seq = seq
    return client


def test_a_display_resuming_from_its_last_seq_gets_exactly_the_events_it_missed(
    server: ServerProcess,
) -> None:
    async def away_and_back() -> tuple[list[dict[str, Any]], ...]:
        async with (
            admin(server) as boss,
            kiosk(server) as kiosk1,
            clerk(server, "clerk1", "1") as anna,
            display(server) as witness,
        ):
            await anna.request("open")
            async with display(server) as hall:
                await kiosk1.request("issue", key="tap-1", services=["passport"])
                await fence(boss, hall, witness)
                last_seen = hall.seq
            assert last_seen is not None

            # While the display is away: tickets, calls, a recall, and a booking
            # (which the lobby never sees).
            await kiosk1.request("issue", key="tap-2", services=["passport", "collect"])
            await kiosk1.request("issue", key="tap-3", services=["collect"])
            await anna.request("call_next")
            await anna.request("recall")
            await anna.request("finish")
            await anna.request("call_next")
            await boss.request("book", services=["collect"], due=at("2026-11-30 11:00"))
            (live,) = await fence(boss, witness)

            async with resuming(server, last_seen) as back:
                assert back.welcome["seq"] == live[-1]["seq"]
                resumed = await read_until(back, is_event(live[-1]["seq"]))
                # Anything repeated would come before a second fence.
                (after,) = await fence(boss, back)
            return live, resumed, after

    live, resumed, after = asyncio.run(away_and_back())
    assert [m["type"] for m in resumed if m["type"] not in ("event", "queues")] == []
    assert events(resumed) == events(live)
    assert calls(resumed) == [("P001", "1"), ("P002", "1")]
    assert "appointment_booked" not in [m["event"]["type"] for m in events(resumed)]
    assert len(events(after)) == 1, "only the fence: nothing missed comes twice"


def test_the_client_resumes_by_itself_after_a_server_restart_and_misses_nothing(
    server: ServerProcess,
) -> None:
    async def restart() -> tuple[RindaClient, list[dict[str, Any]], list[dict[str, Any]]]:
        async with (
            admin(server) as boss,
            kiosk(server) as kiosk1,
            clerk(server, "clerk1", "1") as anna,
            display(server) as hall,
        ):
            seen = [await hall.next_message(TIMEOUT)]
            first = seen[0]["seq"]
            await anna.request("open")
            before = await kiosk1.request("issue", key="tap-1", services=["passport"])
            await anna.request("call_next")
            seen += (await fence(boss, hall))[0]

            await asyncio.to_thread(server.restart)

            # Every client comes back by itself; the kiosk's retry is the same ticket.
            again = await kiosk1.request("issue", key="tap-1", services=["passport"])
            assert again["ticket"]["number"] == before["ticket"]["number"]
            assert again["seq"] == []
            await kiosk1.request("issue", key="tap-2", services=["passport"])
            await anna.request("finish")
            await anna.request("call_next")
            seen += (await fence(boss, hall))[0]

            async with resuming(server, first) as replay:
                oracle = await read_until(replay, is_event(seen[-1]["seq"]))
            return hall, seen, oracle

    hall, seen, oracle = asyncio.run(restart())
    assert hall.reconnects >= 1
    assert seen[0]["type"] == "snapshot"
    assert [m["type"] for m in seen[1:] if m["type"] not in ("event", "queues")] == []
    seqs = [m["seq"] for m in events(seen)]
    assert seqs == sorted(set(seqs)), "no event twice, none out of order"
    assert events(seen) == events(oracle), "every event the log has, none it has not"
    assert calls(seen) == [("P001", "1"), ("P002", "1")]


def test_sync_returns_the_events_after_a_seq_or_a_snapshot_for_a_seq_not_reached(
    server: ServerProcess,
) -> None:
    async def sync() -> None:
        async with (
            admin(server) as boss,
            kiosk(server) as kiosk1,
            clerk(server, "clerk1", "1") as anna,
            display(server) as hall,
        ):
            start = (await hall.next_message(TIMEOUT))["seq"]
            await anna.request("open")
            await kiosk1.request("issue", key="tap-1", services=["passport"])
            await boss.request("book", services=["collect"], due=at("2026-11-30 11:00"))
            await anna.request("call_next")
            (live,) = await fence(boss, hall)

            public = (await hall.request("sync", since=start))["events"]
            assert public == [{"seq": m["seq"], "event": m["event"]} for m in events(live)]
            staff = (await boss.request("sync", since=start))["events"]
            assert {"appointment_booked"} == {e["event"]["type"] for e in staff} - {
                e["event"]["type"] for e in public
            }
            assert (await hall.request("sync", since=live[-1]["seq"]))["events"] == []

            ahead = await hall.request("sync", since=live[-1]["seq"] + 1000)
            assert "events" not in ahead
            assert ahead["snapshot"]["seq"] == live[-1]["seq"]
            assert ahead["snapshot"]["calls"][0]["number"] == "P001"

    asyncio.run(sync())


def test_resuming_from_a_seq_the_server_has_not_reached_gets_a_snapshot(
    server: ServerProcess,
) -> None:
    async def from_the_future() -> dict[str, Any]:
        async with kiosk(server) as kiosk1:
            now = (await kiosk1.next_message(TIMEOUT))["seq"]
            async with resuming(server, now + 1000) as hall:
                first = await hall.next_message(TIMEOUT)
                assert hall.welcome["seq"] == now
                return first

    first = asyncio.run(from_the_future())
    assert first["type"] == "snapshot"


def test_resuming_from_beyond_the_resume_limit_gets_a_snapshot(server: ServerProcess) -> None:
    # Each connection may send 200 requests at once (then 50 a second): many admins
    # together commit more events than a display may miss and still resume.
    admins, each = 12, 180
    assert admins * each > RESUME_LIMIT

    async def far_behind() -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
        async with kiosk(server) as kiosk1:
            start = (await kiosk1.next_message(TIMEOUT))["seq"]
            bosses = [admin(server) for _ in range(admins)]
            await asyncio.gather(*(b.start() for b in bosses))
            try:

                async def change_hours(boss: RindaClient) -> None:
                    for _ in range(each):
                        await boss.request("set_hours_exception", day="2027-06-01")

                await asyncio.gather(*(change_hours(b) for b in bosses))
                end = (await staff_view(bosses[0]))["seq"]
                assert end - start > RESUME_LIMIT
                too_far = (await kiosk1.request("sync", since=start))["snapshot"]
                near = (await kiosk1.request("sync", since=end - 10))["events"]
            finally:
                await asyncio.gather(*(b.close() for b in bosses))
            async with resuming(server, start) as hall:
                first = await hall.next_message(TIMEOUT)
            return too_far, near, first

    too_far, near, first = asyncio.run(far_behind())
    assert first["type"] == "snapshot"
    assert too_far["seq"] == first["seq"]
    assert [e["event"]["type"] for e in near] == ["hours_exception_set"] * 10


def test_a_retried_issue_returns_the_same_ticket_also_after_a_restart(
    server: ServerProcess,
) -> None:
    async def tap(retry_kiosk: str) -> tuple[dict[str, Any], dict[str, Any], int]:
        async with (
            kiosk(server) as kiosk1,
            kiosk(server, retry_kiosk) as kiosk2,
            admin(server) as boss,
            clerk(server, "clerk1", "1") as anna,
        ):
            await anna.request("open")
            first = await kiosk1.request("issue", key="tap-1", services=["passport"])
            # The same tap sent again, even with other services: the same ticket.
            again = await kiosk2.request("issue", key="tap-1", services=["collect"])
            visits = len((await staff_view(boss))["state"]["visits"])
            return first, again, visits

    async def after_restart() -> tuple[dict[str, Any], int]:
        async with kiosk(server) as kiosk1, admin(server) as boss:
            again = await kiosk1.request("issue", key="tap-1", services=["passport"])
            return again, len((await staff_view(boss))["state"]["visits"])

    first, again, visits = asyncio.run(tap("kiosk2"))
    assert again["ticket"]["number"] == first["ticket"]["number"] == "P001"
    assert again["ticket"]["services"] == ["passport"]
    assert again["seq"] == [] and len(first["seq"]) == 1
    assert visits == 1
    server.restart()
    later, visits = asyncio.run(after_restart())
    assert later["ticket"]["number"] == "P001" and later["seq"] == []
    assert visits == 1
