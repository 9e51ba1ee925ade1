"""The server's settings: built once from the command line and passed down."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServerSettings:
    db: Path
    host: str = "127.0.0.1"
    port: int = 8765
    certfile: Path | None = None
    keyfile: Path | None = None
    #: Seconds a new connection has to say hello.
    hello_timeout: float = 5.0
    #: Requests a connection may send per second on average, and in a burst.
    rate: float = 50.0
    burst: int = 200
    #: Bytes waiting in a connection's outgoing buffer before it is cut off as too slow.
    max_backlog: int = 1 << 20
    #: Events a reconnecting client may miss and still resume; beyond, a snapshot.
    resume_limit: int = 2000
    #: Seconds between checks of the clock (a new day) and of revoked accounts.
    tick_interval: float = 1.0
    #: Seconds between two queue summaries of a division (coalesced).
    queues_interval: float = 0.5
    #: ``/healthz`` fails when the timers' loop has not beaten for this many seconds.
    timers_stale_after: float = 5.0
    ping_interval: float = 20.0
    ping_timeout: float = 20.0
    #: Start the server's clock at this instant (epoch ms) instead of the wall clock;
    #: it then runs at real speed. For demonstrations, rehearsals and tests.
    clock_start_ms: int | None = None
    #: How many times faster than real time that clock runs (demonstrations only).
    clock_speed: float = 1.0
    #: How long a console's login session lasts (a working day); then log in again.
    session_ms: int = 12 * 3600 * 1000
    #: The server's address as visitors' phones reach it (``https://rinda.example.lv``):
    #: tickets then carry a QR code of the visit's status page. None: no status links.
    public_url: str | None = None
    #: Reverse proxies whose X-Forwarded-For names the real client (nginx in front).
    trusted_proxies: tuple[str, ...] = ()
    #: Tests only: the database may not grow beyond this many pages (SQLite's
    #: ``max_page_count``), so a test can fill the "disk" and free it again.
    max_pages: int | None = None
