"""The queue server: ``serve`` runs it until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import signal
import ssl
from collections.abc import Awaitable, Callable

from websockets.asyncio.server import serve as ws_serve

from queue_server.accounts import Accounts
from queue_server.core.hours import Holidays
from queue_server.core.settings import Office
from queue_server.protocol import MAX_MESSAGE_BYTES
from queue_server.store import Store

from .app import TIMERS, QueueServer
from .logs import log
from .settings import ServerSettings

__all__ = ["QueueServer", "ServerSettings", "serve"]


def _tls(settings: ServerSettings) -> ssl.SSLContext | None:
    if settings.certfile is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(settings.certfile, settings.keyfile)
    return context


async def serve(
    settings: ServerSettings,
    office: Office,
    holidays: Holidays,
    ready: Callable[[int], Awaitable[None] | None] | None = None,
) -> None:
    """Run the server until SIGTERM/SIGINT; ``ready(port)`` is called once it listens."""
    store = Store.open(settings.db, office, holidays)
    if settings.max_pages is not None:
        store.db.conn.execute(f"PRAGMA max_page_count = {int(settings.max_pages)}")
    try:
        server = QueueServer(settings, office, store, Accounts(store.db, office))
        server.open_days()
        stop = asyncio.get_running_loop().create_future()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
        async with ws_serve(
            server.handle,
            settings.host,
            settings.port,
            process_request=server.process_request,
            ssl=_tls(settings),
            max_size=MAX_MESSAGE_BYTES,
            ping_interval=settings.ping_interval,
            ping_timeout=settings.ping_timeout,
            server_header="Rinda",
            # Messages are small JSON: compressing each one for each connection costs
            # more CPU and memory than it saves on a lobby network.
            compression=None,
        ) as ws_server:
            port = ws_server.sockets[0].getsockname()[1]
            scheme = "wss" if settings.certfile else "ws"
            log("listening", url=f"{scheme}://{settings.host}:{port}/ws", seq=store.last_seq)
            if ready is not None:
                maybe = ready(port)
                if maybe is not None:
                    await maybe
            # Supervised: a failure is logged with its traceback and the loop restarts;
            # /healthz fails while its heartbeat is stale.
            server.supervisor.run(TIMERS, server.run_timers)
            try:
                await stop
            finally:
                await server.supervisor.stop()
            log("stopping", connections=sum(len(s) for s in server.subscribers.values()))
    finally:
        store.close()
        log("stopped")
