"""The protocol client (queue_server/client.py) against a real server: a connection
that goes wrong in a way the client does not expect is logged with its traceback and
made again, never left dead; and the client's clock is the server's.

A frame the server never sends (not JSON) reaches the client through a relay
(tests/relay.py) that passes everything else between the client and the real server.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from websockets.asyncio.server import ServerConnection, serve

from queue_server.client import ConnectionLost, RindaClient
from tests.conftest import RIGA, TIMEOUT
from tests.conftest_server import QUICK, admin, fence, kiosk
from tests.relay import Relay
from tests.serverkit import DIVISION, ServerProcess

HOUR_MS = 3_600_000


def failures(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the client logged as failed, with the exception it carries."""
    return [
        r
        for r in caplog.records
        if r.name == "rinda.client" and r.levelno >= logging.ERROR and r.exc_info
    ]


def test_a_frame_that_is_not_json_is_logged_with_its_traceback_and_the_client_reconnects(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The display's connection drops, comes back through the relay, and resumes: the
    next event the server commits reaches it."""

    async def scenario(server: ServerProcess) -> tuple[RindaClient, Relay, list[str]]:
        relay = Relay(server.url)
        await relay.start()
        hall = RindaClient(relay.url, division=DIVISION, token=server.devices["display"], **QUICK)
        try:
            async with hall, admin(server) as boss:
                assert (await hall.next_message(TIMEOUT))["type"] == "snapshot"
                await relay.inject("this is not JSON")
                async with asyncio.timeout(TIMEOUT):
                    while not (hall.reconnects and hall.connected.is_set()):
                        await asyncio.sleep(0.02)
                [seen] = await fence(boss, hall)
                return hall, relay, [m["type"] for m in seen]
        finally:
            await relay.stop()

    with caplog.at_level(logging.ERROR, "rinda.client"), ServerProcess(tmp_path) as server:
        hall, relay, after = asyncio.run(scenario(server))

    assert after[-1] == "event", "the event committed after the bad frame arrived"
    assert hall.reconnects == 1 and relay.connections == 2
    [failure] = failures(caplog)
    assert failure.exc_info is not None and failure.exc_info[0] is json.JSONDecodeError
    assert "Traceback (most recent call last)" in caplog.text
    assert "JSONDecodeError" in caplog.text


def test_a_first_answer_that_is_not_json_fails_the_start_instead_of_hanging(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``start()`` raises as when the server cannot be reached (the caller retries);
    before, the client's task died and ``start()`` waited for ever."""

    async def garbled(ws: ServerConnection) -> None:
        await ws.recv()  # the hello
        await ws.send("<html>a proxy's error page</html>")
        await ws.wait_closed()

    async def scenario() -> None:
        async with serve(garbled, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            client = RindaClient(f"ws://127.0.0.1:{port}/ws", division=DIVISION, **QUICK)
            with pytest.raises(ConnectionLost):
                await asyncio.wait_for(client.start(), TIMEOUT)
            assert not client.running
            await client.close()

    with caplog.at_level(logging.ERROR, "rinda.client"):
        asyncio.run(scenario())
    [failure] = failures(caplog)
    assert failure.exc_info is not None and failure.exc_info[0] is json.JSONDecodeError


def test_the_clock_is_the_servers_and_runs_at_its_speed(tmp_path: Path) -> None:
    """A server rehearsing a day 100 days ago at 20 times real time: the client's
    clock reads the server's time, not the machine's, and runs 20 times as fast."""
    start = (datetime.now(RIGA) - timedelta(days=100)).strftime("%Y-%m-%dT%H:%M")

    async def scenario(server: ServerProcess) -> tuple[int, int, int, float]:
        async with kiosk(server) as client:
            before = client.clock()
            await asyncio.sleep(0.5)
            advanced = client.clock() - before
            async with kiosk(server, "kiosk2") as other:  # what the server says it is now
                return advanced, client.clock(), int(other.welcome["now"]), client.clock.speed

    with ServerProcess(tmp_path, clock_start=start, extra=["--clock-speed", "20"]) as server:
        advanced, read, server_now, speed = asyncio.run(scenario(server))
    assert speed == 20.0
    assert advanced >= 0.5 * 20 * 1000  # half a second of the machine's, ten of the lobby's
    assert abs(read - server_now) < 20 * 2_000  # within two real seconds, at 20 times the pace
    assert abs(read - time.time() * 1000) > 99 * 24 * HOUR_MS
