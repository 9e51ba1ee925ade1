"""``rinda-server serve``: run the queue server until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from queue_server.config.calendar import public_holidays
from queue_server.config.options import add_config_option, office_from

from . import logs, serve
from .settings import ServerSettings

#: The address to listen on the lobby network: every interface of the machine.
LOBBY_HOST = "0.0.0.0"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="run the queue server (WebSocket endpoint /ws, /healthz, the consoles)",
        description=(
            "Run the server every kiosk, display, clerk and admin talks to. It listens on "
            "127.0.0.1 unless --lobby or --host says otherwise; SIGTERM stops it cleanly."
        ),
    )
    parser.add_argument(
        "--db", type=Path, default=Path("var/rinda.sqlite"), help="the SQLite file (created)"
    )
    add_config_option(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--lobby", action="store_true", help=f"listen on the lobby network ({LOBBY_HOST})"
    )
    parser.add_argument("--port", type=int, default=8765, help="port (0: any free port)")
    parser.add_argument("--cert", type=Path, help="TLS certificate (PEM): serve wss and https")
    parser.add_argument("--key", type=Path, help="TLS private key (PEM)")
    parser.add_argument(
        "--rate",
        type=float,
        default=ServerSettings.rate,
        help="requests per second one connection may send on average (default %(default)s)",
    )
    parser.add_argument(
        "--burst",
        type=int,
        default=ServerSettings.burst,
        help="requests one connection may send at once (default %(default)s)",
    )
    parser.add_argument(
        "--clock-start",
        type=_instant,
        metavar="YYYY-MM-DDTHH:MM",
        help="run the clock from this local time (Europe/Riga) instead of now: rehearsals, demos",
    )
    parser.add_argument(
        "--clock-speed",
        type=float,
        default=1.0,
        help="with --clock-start: run the clock this many times as fast (a demonstration "
        "plays a morning in minutes; never in a real lobby)",
    )
    parser.add_argument(
        "--public-url",
        help="the address phones reach this server at (https://...): tickets get a QR code "
        "of the visit's live status page",
    )
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="a reverse proxy in front (repeatable): the client address is then the last "
        "one in its X-Forwarded-For header",
    )
    parser.add_argument(
        "--session-minutes",
        type=float,
        default=ServerSettings.session_ms / 60_000,
        help="how long a console login lasts before it must log in again (default %(default)s)",
    )
    parser.add_argument(
        "--port-file", type=Path, help="write the port here once listening (for scripts)"
    )
    parser.add_argument(
        "--max-pages",
        type=int,
        help="TESTS ONLY: the database may not grow beyond this many pages (SQLite's "
        "max_page_count), to rehearse a full disk; never in a real lobby",
    )
    parser.set_defaults(handler=run)
    return parser


def _instant(text: str) -> int:
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time like 2026-11-30T09:00") from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo("Europe/Riga"))
    return int(local.timestamp() * 1000)


def run(args: argparse.Namespace) -> int:
    if (args.cert is None) != (args.key is None):
        raise SystemExit("rinda-server serve: give both --cert and --key, or neither.")
    if args.clock_speed != 1.0 and args.clock_start is None:
        raise SystemExit("rinda-server serve: --clock-speed needs --clock-start.")
    if not 0 < args.clock_speed <= 3600:
        raise SystemExit("rinda-server serve: --clock-speed is above 0 and at most 3600.")
    logs.setup()
    office = office_from(args)
    args.db.parent.mkdir(parents=True, exist_ok=True)
    settings = ServerSettings(
        db=args.db,
        host=LOBBY_HOST if args.lobby else args.host,
        port=args.port,
        certfile=args.cert,
        keyfile=args.key,
        clock_start_ms=args.clock_start,
        clock_speed=args.clock_speed,
        rate=args.rate,
        burst=args.burst,
        session_ms=int(args.session_minutes * 60_000),
        trusted_proxies=tuple(args.trusted_proxy),
        public_url=args.public_url.rstrip("/") if args.public_url else None,
        max_pages=args.max_pages,
    )

    def ready(port: int) -> None:
        if args.port_file is not None:
            args.port_file.write_text(f"{port}\n", encoding="ascii")

    asyncio.run(serve(settings, office, public_holidays(), ready))
    return 0
