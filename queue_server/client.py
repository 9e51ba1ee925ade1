"""The asyncio client of Rinda's protocol, for kiosks, displays, benchmarks and tests.

    async with RindaClient(url, division="riga-1", token=token) as client:
        ticket = await client.request("issue", key=tap_key, services=["passport"])
        async for message in client.messages():   # snapshots, events, queues
            ...

The client says hello, keeps the last sequence number it saw, and when the
connection drops it reconnects with backoff and resumes from that number: it gets
exactly the events it missed, or a fresh snapshot. A request waiting for its answer
when the connection drops fails with ``ConnectionLost``; requests that change
state are safe to send again (issuing is idempotent by its key). Anything else that
goes wrong in a connection (a frame that is not JSON, a bug) is logged with its
traceback (logger ``rinda.client``) and handled as a drop: the client reconnects.

``client.clock`` is the server's clock as the client knows it
(``queue_server.clock.FollowedClock``), set from every ``welcome``: a kiosk or a
display compares the server's instants with it, never with the machine's time.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
import ssl
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Self

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from queue_server.clock import FollowedClock

log = logging.getLogger("rinda.client")


class ClientError(Exception):
    """Root of the client's errors."""


class RequestFailed(ClientError):
    """The server answered with an error message: ``code``, ``message``, ``details``."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details or {}


class ConnectionLost(ClientError):
    """The connection dropped before the answer came; the request may be retried."""


class RequestTimeout(ClientError):
    """No answer within the timeout."""


class RindaClient:
    """One authenticated connection that keeps itself alive."""

    def __init__(
        self,
        url: str,
        *,
        division: str,
        token: str | None = None,
        user: str | None = None,
        password: str | None = None,
        session: str | None = None,
        counter: str | None = None,
        timeout: float = 10.0,
        reconnect: bool = True,
        backoff: tuple[float, float] = (0.1, 5.0),
        ssl_context: ssl.SSLContext | None = None,
        queue_size: int = 10_000,
    ) -> None:
        self.url = url
        self._hello: dict[str, Any] = {"type": "hello", "division": division}
        for key, value in (
            ("token", token),
            ("user", user),
            ("password", password),
            ("session", session),
            ("counter", counter),
        ):
            if value is not None:
                self._hello[key] = value
        self.timeout = timeout
        self.reconnect = reconnect
        self.backoff = backoff
        self.ssl_context = ssl_context
        #: The highest sequence number received in a snapshot or an event.
        self.seq: int | None = None
        #: The welcome message of the current connection.
        self.welcome: dict[str, Any] = {}
        #: The server's clock, set from each welcome (the wall clock before the first).
        self.clock = FollowedClock()
        self.connected = asyncio.Event()
        self.reconnects = 0
        self._ids = itertools.count(1)
        self._pending: dict[Any, asyncio.Future[dict[str, Any]]] = {}
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue(queue_size)
        self._ws: ClientConnection | None = None
        self._runner: asyncio.Task[None] | None = None
        self._first: asyncio.Future[None] | None = None
        self._closing = False

    # ------------------------------------------------------------------ life

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Connect and authenticate; raise if the first attempt fails."""
        self._first = asyncio.get_running_loop().create_future()
        self._runner = asyncio.create_task(self._run())
        await self._first

    @property
    def running(self) -> bool:
        """Connected or reconnecting: ``start()`` succeeded, and the client was neither
        closed nor refused for good since."""
        return self._runner is not None and not self._runner.done()

    async def close(self) -> None:
        self._closing = True
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._runner
        self._fail_pending(ConnectionLost("The client was closed."))

    # -------------------------------------------------------------- requests

    async def request(
        self, kind: str, /, timeout: float | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Send a request and wait for its ``result``; raise ``RequestFailed`` on ``error``."""
        await asyncio.wait_for(self.connected.wait(), timeout or self.timeout)
        ws = self._ws
        if ws is None:
            raise ConnectionLost("Not connected.")
        request_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await ws.send(json.dumps({"type": kind, "id": request_id, **fields}))
            reply = await asyncio.wait_for(future, timeout or self.timeout)
        except ConnectionClosed as exc:
            raise ConnectionLost("The connection dropped while sending.") from exc
        except TimeoutError as exc:
            raise RequestTimeout(f"No answer to {kind} within the timeout.") from exc
        finally:
            self._pending.pop(request_id, None)
        if reply["type"] == "error":
            raise RequestFailed(reply["code"], reply["message"], reply.get("details"))
        return reply

    async def send_raw(self, text: str | bytes) -> None:
        """Send a message as it is (tests of malformed input use this)."""
        await asyncio.wait_for(self.connected.wait(), self.timeout)
        assert self._ws is not None
        await self._ws.send(text)

    async def messages(self) -> AsyncIterator[dict[str, Any]]:
        """Snapshots, events, queue summaries and unmatched errors, in arrival order."""
        while True:
            yield await self._inbox.get()

    async def next_message(self, timeout: float | None = None) -> dict[str, Any]:
        return await asyncio.wait_for(self._inbox.get(), timeout or self.timeout)

    # ---------------------------------------------------------------- inside

    async def _run(self) -> None:
        delay = self.backoff[0]
        while not self._closing:
            try:
                await self._session()
                delay = self.backoff[0]
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError) as exc:
                if self._first is not None and not self._first.done():
                    self._first.set_exception(ConnectionLost(f"Cannot connect: {exc}"))
                    return
            except RequestFailed as exc:
                if self._first is not None and not self._first.done():
                    self._first.set_exception(exc)
                    return
                # Credentials revoked or the division gone: retrying will not help.
                log.error(
                    "Rinda client: %s refused the connection (%s); not reconnecting", self.url, exc
                )
                self._closing = True
            except InvalidURI as exc:
                if self._first is not None and not self._first.done():
                    self._first.set_exception(ClientError(str(exc)))
                return
            except Exception as exc:  # a bad frame, a bug: its traceback, then as a drop
                log.error(
                    "Rinda client: the connection to %s failed; it is dropped and made again",
                    self.url,
                    exc_info=exc,
                )
                if self._first is not None and not self._first.done():
                    self._first.set_exception(ConnectionLost(f"The connection failed: {exc!r}"))
                    return
            self.connected.clear()
            self._ws = None
            self._fail_pending(ConnectionLost("The connection dropped."))
            if self._closing or not self.reconnect:
                return
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, self.backoff[1])
            self.reconnects += 1

    async def _session(self) -> None:
        async with connect(
            self.url,
            ssl=self.ssl_context,
            open_timeout=self.timeout,
            max_size=2**24,
            compression=None,
        ) as ws:
            hello = dict(self._hello)
            if self.seq is not None:
                hello["resume_from"] = self.seq
            await ws.send(json.dumps(hello))
            welcome = json.loads(await asyncio.wait_for(ws.recv(), self.timeout))
            if welcome.get("type") == "error":
                raise RequestFailed(welcome["code"], welcome["message"], welcome.get("details"))
            self.clock.set(welcome["now"], welcome.get("clock_speed", 1.0))
            self.welcome = welcome
            self._ws = ws
            self.connected.set()
            if self._first is not None and not self._first.done():
                self._first.set_result(None)
            async for text in ws:
                self._dispatch(json.loads(text))

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        future = self._pending.get(message.get("id")) if kind in ("result", "error") else None
        if future is not None and not future.done():
            future.set_result(message)
            return
        seq = message.get("seq")
        if kind in ("snapshot", "event") and isinstance(seq, int):
            self.seq = max(self.seq or 0, seq)
        if self._inbox.full():
            self._inbox.get_nowait()  # a reader that does not read loses the oldest
        self._inbox.put_nowait(message)

    def _fail_pending(self, error: Exception) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(error)
        self._pending.clear()
