"""What the tests of the running server share: clients by role, reading a client's
messages up to a point, fences, raw connections, and the state a staff member sees.

Every helper talks to a real ``rinda-server serve`` (``tests/serverkit.py``) over
real sockets. Waits are bounded by the shared ``TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from queue_server.client import RindaClient
from queue_server.protocol.messages import RequestType
from tests.conftest import TIMEOUT, at
from tests.serverkit import DIVISION, ServerProcess

#: Short backoffs: a test waits for a reconnect in tenths of a second, not seconds.
QUICK = {"timeout": TIMEOUT, "backoff": (0.05, 0.5)}

#: A day whose reception hours the fences change: far from the day the tests run in.
FENCE_DAY = "2027-06-01"

#: A valid value of each field kind (``queue_server.protocol.messages.KINDS``).
SAMPLES: dict[str, Any] = {
    "id": "sample",
    "ids": ["passport"],
    "number": "P001",
    "text": "sample",
    "note": "sample",
    "secret": "sample",
    "lang": "lv",
    "instant": at("2026-11-30 10:00"),
    "seq": 0,
    "minute": 600,
    "day": FENCE_DAY,
    "role": "kiosk",
    "stars": 3,
    "printer": "ok",
    "tags": ["quick"],
    "codes": ["hearing_loop"],
    "texts": {"lv": "paraugs", "en": "sample"},
    "prefix": "Q",
    "minutes": 20,
    "share": 0.9,
    "period": "day",
    "device": "kiosk",
}


def serving(folder: Path) -> Iterator[ServerProcess]:
    """A running server with its own database in ``folder``, stopped afterwards."""
    with ServerProcess(folder) as server:
        yield server


def sample_fields(spec: RequestType) -> dict[str, Any]:
    """The required fields of a request, each with a valid value of its kind."""
    return {name: SAMPLES[kind] for name, (kind, required) in spec.fields.items() if required}


# ---------------------------------------------------------------------- clients


def kiosk(server: ServerProcess, name: str = "kiosk", **options: Any) -> RindaClient:
    return RindaClient(server.url, division=DIVISION, token=server.devices[name], **QUICK | options)


def display(server: ServerProcess, **options: Any) -> RindaClient:
    return RindaClient(
        server.url, division=DIVISION, token=server.devices["display"], **QUICK | options
    )


def clerk(server: ServerProcess, user: str, counter: str, **options: Any) -> RindaClient:
    return RindaClient(
        server.url,
        division=DIVISION,
        user=user,
        password=server.passwords[user],
        counter=counter,
        **QUICK | options,
    )


def admin(server: ServerProcess, **options: Any) -> RindaClient:
    return RindaClient(
        server.url,
        division=DIVISION,
        user="admin1",
        password=server.passwords["admin1"],
        **QUICK | options,
    )


# ---------------------------------------------------------------------- reading


async def read_until(
    client: RindaClient, done: Callable[[dict[str, Any]], bool], timeout: float = TIMEOUT
) -> list[dict[str, Any]]:
    """The client's messages up to and including the first that ``done`` accepts."""
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while True:
            message = await client.next_message(timeout)
            seen.append(message)
            if done(message):
                return seen


def is_event(seq: int) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m.get("type") == "event" and m.get("seq") == seq


def events(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``event`` messages among ``messages``, in order."""
    return [m for m in messages if m["type"] == "event"]


def calls(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(number, counter) of every call among ``messages``, in order."""
    return [
        (m["event"]["number"], m["event"]["counter"])
        for m in events(messages)
        if m["event"]["type"] == "visit_called"
    ]


async def fence(staff: RindaClient, *readers: RindaClient) -> list[list[dict[str, Any]]]:
    """Commit one public event and read each reader's messages up to it.

    Whatever the server sent a reader before the fence is then in hand, so a missing
    or repeated message shows without waiting to see whether one more comes.
    """
    reply = await staff.request("set_hours_exception", day=FENCE_DAY)
    seq = reply["seq"][-1]
    return [await read_until(reader, is_event(seq)) for reader in readers]


async def staff_view(staff: RindaClient) -> dict[str, Any]:
    """The division as a staff snapshot has it: ``seq`` and the core's whole ``state``."""
    snapshot = (await staff.request("snapshot"))["snapshot"]
    return {"seq": snapshot["seq"], "state": snapshot["state"]}


def healthz(server: ServerProcess) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(server.http + "/healthz", timeout=TIMEOUT) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@asynccontextmanager
async def unchanged(server: ServerProcess, staff: RindaClient) -> AsyncIterator[None]:
    """Assert that what runs inside commits nothing: same seq, same state."""
    before = await staff_view(staff)
    before_health = healthz(server)[1]["seq"]
    yield
    assert await staff_view(staff) == before
    assert healthz(server)[1]["seq"] == before_health


# ---------------------------------------------------------------------- raw


@asynccontextmanager
async def raw(server: ServerProcess) -> AsyncIterator[ClientConnection]:
    """A bare WebSocket connection: nothing said yet, nothing done behind the test's back."""
    async with connect(server.url, open_timeout=TIMEOUT, max_size=2**24) as ws:
        yield ws


async def say(ws: ClientConnection, message: dict[str, Any] | str | bytes) -> dict[str, Any]:
    """Send one message and return the answer to it (welcome, result or error),
    skipping the snapshots, events and queue summaries sent meanwhile."""
    await ws.send(message if isinstance(message, str | bytes) else json.dumps(message))
    while True:
        answer = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        if answer["type"] in ("welcome", "result", "error"):
            return answer


def hello(server: ServerProcess, device: str = "display", **fields: Any) -> dict[str, Any]:
    return {"type": "hello", "division": DIVISION, "token": server.devices[device], **fields}


async def close_code(ws: ClientConnection, timeout: float = TIMEOUT) -> int | None:
    """Read until the server closes the connection; its close code (None: no close frame)."""
    with pytest.raises(ConnectionClosed) as closed:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    return closed.value.rcvd.code if closed.value.rcvd else None
