"""A WebSocket relay on 127.0.0.1 between clients and a real Rinda server, for tests
that need a client to receive what the server never sends.

    relay = Relay(server.url)
    await relay.start()
    client = RindaClient(relay.url, ...)       # every frame passes both ways, unchanged
    await relay.inject("not JSON")             # a frame of the relay's own, to the client
    await relay.stop()

Each client connection gets a connection of its own to the server; when one side
closes, the relay closes the other, so a server that stops or restarts looks to the
client as it would without the relay.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.conftest import TIMEOUT

MAX_SIZE = 2**24


class Relay:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        #: How many client connections the relay has taken (a reconnect adds one).
        self.connections = 0
        self._open: list[ServerConnection] = []
        self._server: Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the relay first"
        port = self._server.sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{port}/ws"

    async def start(self) -> None:
        self._server = await serve(self._relay, "127.0.0.1", 0, max_size=MAX_SIZE, compression=None)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def inject(self, frame: str | bytes) -> None:
        """Send ``frame`` to the newest client connection, as if the server had."""
        assert self._open, "no client is connected through the relay"
        await self._open[-1].send(frame)

    async def _relay(self, client: ServerConnection) -> None:
        self.connections += 1
        try:
            server = await connect(
                self.upstream, open_timeout=TIMEOUT, max_size=MAX_SIZE, compression=None
            )
        except (OSError, InvalidHandshake, TimeoutError):
            await client.close(1011, "the server is away")
            return
        self._open.append(client)
        try:
            async with server:
                await _until_one_ends(_pump(client, server), _pump(server, client))
        finally:
            self._open.remove(client)
            await client.close()


async def _pump(
    source: ServerConnection | ClientConnection, sink: ServerConnection | ClientConnection
) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for frame in source:
            await sink.send(frame)


async def _until_one_ends(*work: Awaitable[None]) -> None:
    tasks = [asyncio.ensure_future(w) for w in work]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
