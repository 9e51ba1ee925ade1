"""Who may do what: every role against every request it may not send, clerks bound
to their counter, hellos that fail, silence, and credentials revoked while in use."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from queue_server.accounts import Accounts
from queue_server.client import RequestFailed
from queue_server.protocol import REQUESTS
from tests.conftest import TIMEOUT
from tests.conftest_server import (
    admin,
    clerk,
    close_code,
    display,
    hello,
    kiosk,
    raw,
    sample_fields,
    say,
    serving,
    staff_view,
    unchanged,
)
from tests.serverkit import DIVISION, ServerProcess

#: Revocations are checked once a second: a cut-off takes at most about that long.
CUT_OFF = TIMEOUT / 4


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    yield from serving(tmp_path)


def now_ms() -> int:
    return int(time.time() * 1000)


def test_every_role_is_refused_every_request_it_may_not_send_and_stays_connected(
    server: ServerProcess,
) -> None:
    async def try_everything() -> list[tuple[str, str, str]]:
        wrong: list[tuple[str, str, str]] = []
        async with (
            kiosk(server) as as_kiosk,
            display(server) as as_display,
            clerk(server, "clerk1", "1") as as_clerk,
            admin(server) as as_admin,
        ):
            clients = {
                "kiosk": as_kiosk,
                "display": as_display,
                "clerk": as_clerk,
                "admin": as_admin,
            }
            async with unchanged(server, as_admin):
                for spec in REQUESTS.values():
                    for role, client in clients.items():
                        if role in spec.roles:
                            continue
                        try:
                            await client.request(spec.name, **sample_fields(spec))
                            wrong.append((role, spec.name, "accepted"))
                        except RequestFailed as refused:
                            if refused.code != "forbidden":
                                wrong.append((role, spec.name, refused.code))
                        # Still connected and served.
                        reply = await client.request("sync", since=client.welcome["seq"])
                        assert reply["type"] == "result"
        return wrong

    assert asyncio.run(try_everything()) == []
    # The table leaves nothing to a display but listening.
    assert {r.name for r in REQUESTS.values() if "display" in r.roles} == {
        "hello",
        "sync",
        "snapshot",
    }


def test_a_clerk_request_takes_no_counter_and_acts_at_the_clerks_own(
    server: ServerProcess,
) -> None:
    async def two_counters() -> None:
        async with (
            clerk(server, "clerk1", "1") as anna,
            clerk(server, "clerk2", "6") as boris,
            kiosk(server) as kiosk1,
            admin(server) as boss,
        ):
            assert anna.welcome["counter"] == "1" and boris.welcome["counter"] == "6"
            await anna.request("open")
            await kiosk1.request("issue", key="tap-1", services=["passport"])
            async with unchanged(server, boss):
                for spec in REQUESTS.values():
                    if "clerk" not in spec.roles or spec.name == "hello":
                        continue
                    with pytest.raises(RequestFailed) as refused:
                        await boris.request(spec.name, **sample_fields(spec), counter="1")
                    assert (refused.value.code, refused.value.details) == (
                        "unknown_field",
                        {"field": "counter"},
                    ), spec.name
                # Counter 6 is closed: boris cannot call anyone, even though
                # counter 1 is open and has a visitor waiting for it.
                with pytest.raises(RequestFailed) as refused:
                    await boris.request("call_next")
                assert refused.value.code == "counter_closed"

            called = await anna.request("call_next")
            assert [(e["type"], e["counter"]) for e in called["events"]] == [("visit_called", "1")]
            opened = await boris.request("open")
            assert [(e["type"], e["counter"]) for e in opened["events"]] == [
                ("counter_opened", "6")
            ]
            counters = {c["id"]: c for c in (await staff_view(boss))["state"]["counters"]}
            assert counters["1"]["current"] == "P001"
            assert counters["6"]["current"] is None

    asyncio.run(two_counters())


def test_a_clerk_at_a_counter_another_clerk_opened_is_refused_or_recorded_as_itself(
    server: ServerProcess,
) -> None:
    async def shared_counter() -> list[tuple[str, str | None]]:
        async with (
            clerk(server, "clerk1", "1") as anna,
            clerk(server, "clerk2", "1") as boris,
            kiosk(server) as kiosk1,
        ):
            await anna.request("open")
            await kiosk1.request("issue", key="tap-1", services=["passport"])
            acted = []
            for kind in ("call_next", "finish"):
                try:
                    reply = await boris.request(kind)
                except RequestFailed as refused:
                    acted.append((kind, refused.code))
                    continue
                for event in reply["events"]:
                    acted.append((kind, "clerk " + event["clerk"]))
            return [(k, who) for k, who in acted if who != "clerk " + boris.welcome["actor"]]

    wrongly = asyncio.run(shared_counter())
    assert all(who == "wrong_counter" for _, who in wrongly), wrongly


def test_an_admin_cannot_close_a_counter_while_it_serves(server: ServerProcess) -> None:
    async def close_busy() -> None:
        async with (
            clerk(server, "clerk1", "1") as anna,
            kiosk(server) as kiosk1,
            admin(server) as boss,
        ):
            await anna.request("open")
            await kiosk1.request("issue", key="tap-1", services=["passport"])
            await anna.request("call_next")
            async with unchanged(server, boss):
                with pytest.raises(RequestFailed) as refused:
                    await boss.request("close_counter", counter="1")
                assert refused.value.code == "counter_busy"
            await anna.request("finish")
            closed = await boss.request("close_counter", counter="1")
            assert [(e["type"], e["counter"]) for e in closed["events"]] == [
                ("counter_closed", "1")
            ]
            with pytest.raises(RequestFailed) as refused:
                await anna.request("call_next")
            assert refused.value.code == "counter_closed"

    asyncio.run(close_busy())


def test_hello_is_refused_for_another_division_an_unknown_one_and_bad_credentials(
    server: ServerProcess,
) -> None:
    async def hellos() -> None:
        async with raw(server) as ws:
            # Each refusal leaves the connection waiting for a better hello.
            refusals = [
                (hello(server, "other_kiosk"), "wrong_division"),
                ({**hello(server), "division": "atlantis"}, "unknown_division"),
                (
                    {
                        "type": "hello",
                        "division": "liepaja",
                        "user": "clerk1",
                        "password": server.passwords["clerk1"],
                        "counter": "1",
                    },
                    "wrong_division",
                ),
                ({**hello(server), "token": "d1.not-the-secret"}, "auth_failed"),
                (
                    {
                        "type": "hello",
                        "division": DIVISION,
                        "user": "clerk1",
                        "password": "not-the-password",
                        "counter": "1",
                    },
                    "auth_failed",
                ),
                (
                    {
                        "type": "hello",
                        "division": DIVISION,
                        "user": "nobody",
                        "password": "whatever",
                    },
                    "auth_failed",
                ),
                ({"type": "hello", "division": DIVISION}, "missing_field"),
            ]
            for message, code in refusals:
                answer = await say(ws, message)
                assert (answer["type"], answer["code"]) == ("error", code), message
            welcome = await say(ws, hello(server, "kiosk"))
            assert (welcome["type"], welcome["role"]) == ("welcome", "kiosk")
            again = await say(ws, hello(server, "kiosk"))
            assert again["code"] == "already_authenticated"

    asyncio.run(hellos())


def test_a_clerk_must_name_one_of_the_divisions_counters(server: ServerProcess) -> None:
    async def hellos() -> None:
        for counter, code in ((None, "missing_field"), ("99", "unknown_counter")):
            client = clerk(server, "clerk1", counter, reconnect=False)
            with pytest.raises(RequestFailed) as refused:
                await client.start()
            assert refused.value.code == code, counter
        async with clerk(server, "clerk1", "32") as last:
            assert last.welcome["counter"] == "32"

    asyncio.run(hellos())


def test_nothing_but_hello_is_accepted_first(server: ServerProcess) -> None:
    async def before_hello() -> None:
        async with raw(server) as ws:
            for n, spec in enumerate(REQUESTS.values()):
                if spec.name == "hello":
                    continue
                answer = await say(ws, {"type": spec.name, "id": n, **sample_fields(spec)})
                assert (answer["type"], answer["code"], answer["id"]) == (
                    "error",
                    "not_authenticated",
                    n,
                ), spec.name
            assert (await say(ws, hello(server)))["type"] == "welcome"

    asyncio.run(before_hello())
    assert '"event": "command"' not in server.log()


def test_a_connection_that_says_nothing_is_closed_after_the_hello_timeout(
    server: ServerProcess,
) -> None:
    async def silence() -> tuple[int | None, float]:
        async with raw(server) as ws:
            began = time.monotonic()
            code = await close_code(ws)
            return code, time.monotonic() - began

    code, waited = asyncio.run(silence())
    assert code == 1008  # policy violation: authenticate first
    assert waited >= 4  # "a few seconds" (5 by default), not at once


def test_a_revoked_device_is_cut_off_and_cannot_say_hello_again(server: ServerProcess) -> None:
    device_id = server.devices["display"].split(".")[0]

    async def revoke() -> None:
        async with raw(server) as ws, kiosk(server) as bystander:
            assert (await say(ws, hello(server)))["type"] == "welcome"
            with Accounts.open(server.db) as accounts:
                accounts.revoke_device(device_id, now_ms())
            assert await close_code(ws, CUT_OFF) == 1008
            # The other device goes on.
            assert (await bystander.request("snapshot"))["type"] == "result"
        async with raw(server) as ws:
            answer = await say(ws, hello(server))
            assert (answer["type"], answer["code"]) == ("error", "auth_failed")

    asyncio.run(revoke())


def test_a_disabled_user_is_cut_off_and_cannot_log_in_again(server: ServerProcess) -> None:
    async def disable() -> None:
        cut = clerk(server, "clerk1", "1", reconnect=False)
        async with cut, clerk(server, "clerk2", "6") as bystander:
            await cut.request("open")
            with Accounts.open(server.db) as accounts:
                accounts.disable_user("clerk1", now_ms())
            async with asyncio.timeout(CUT_OFF):
                while cut.connected.is_set():
                    await asyncio.sleep(0.02)
            assert (await bystander.request("open"))["type"] == "result"
        again = clerk(server, "clerk1", "1", reconnect=False)
        with pytest.raises(RequestFailed) as refused:
            await again.start()
        assert refused.value.code == "auth_failed"

    asyncio.run(disable())
