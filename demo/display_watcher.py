"""The demonstration's hall display: the real display app in an offscreen window on
the lobby's (fast) clock, the server's, which the display follows (``client.clock``);
photographed every few minutes of that clock and at the end.

    python -m demo.display_watcher --server-url URL --token-file F --out DIR \\
        --every-minutes 15 --until MS
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.display_watcher")
    parser.add_argument("--server-url", required=True)
    parser.add_argument("--division", default="riga-1")
    parser.add_argument("--token-file", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--every-minutes", type=float, default=15.0)
    parser.add_argument("--until", required=True, type=int)
    args = parser.parse_args(argv)

    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kivy.config import Config

    Config.set("graphics", "width", "1280")
    Config.set("graphics", "height", "720")
    asyncio.run(_watch(args))
    return 0


async def _watch(args: argparse.Namespace) -> None:
    from display.app import DisplayApp
    from display.settings import DisplaySettings
    from queue_server.config import Catalog

    settings = DisplaySettings.from_mapping(
        {
            "server_url": args.server_url,
            "division": args.division,
            "device_token": args.token_file.read_text("utf-8").strip(),
            # A demonstration has no speakers: the calls are shown, not spoken.
            "sound": {"announce": False},
        }
    )
    shots = args.out / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    app = DisplayApp(settings, Catalog.load(), speech_cache=args.out / "speech")
    clock = app.client.clock
    running = asyncio.ensure_future(app.serve())
    every_ms = args.every_minutes * 60_000
    try:
        while not clock.following and not running.done():
            await asyncio.sleep(0.05)  # the lobby's clock is the server's: wait for it
        next_shot = clock() + every_ms
        while clock() < args.until and not running.done():
            await asyncio.sleep(0.25)
            if clock() >= next_shot and app.root is not None:
                _shoot(app, shots, clock())
                next_shot += every_ms
        if app.root is not None:
            _shoot(app, shots, clock())
    finally:
        app.stop()
        await asyncio.wait_for(running, 20)


def _shoot(app: object, shots: Path, now: int) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    local = datetime.fromtimestamp(now / 1000, ZoneInfo("Europe/Riga")).strftime("%H%M")
    app.root.export_to_png(str(shots / f"display-{local}.png"))  # type: ignore[attr-defined]


if __name__ == "__main__":
    sys.exit(main())
