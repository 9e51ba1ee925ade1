"""``rinda-display [display.toml] [flags]``: the hall display on the lobby TV.

Reads the display's settings (display/settings.py: the TOML file, then the flags on
top), then runs the Kivy window, the connection to the server and the announcer until
the window closes. ``--windowed`` opens a window of the configured size instead of
going fullscreen (for a try on a desktop).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from typing import Any


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="rinda-display", description=__doc__.splitlines()[0])
    parser.add_argument("settings", nargs="?", help="the display's TOML settings file")
    parser.add_argument("--server-url", help="ws:// or wss:// URL of the server's /ws")
    parser.add_argument("--division", help="the division id, e.g. riga-1")
    token = parser.add_mutually_exclusive_group()
    token.add_argument("--token", help="the display's device token (prefer --token-file)")
    token.add_argument("--token-file", help="a file holding the device token")
    parser.add_argument("--width", type=int, help="window width in pixels (1920)")
    parser.add_argument("--height", type=int, help="window height in pixels (1080)")
    parser.add_argument("--languages", help="comma-separated, Latvian first: lv,en,ru")
    parser.add_argument("--volume", type=int, help="0-100 percent (80)")
    parser.add_argument("--mute", action="store_true", help="show calls without sound")
    parser.add_argument("--windowed", action="store_true", help="a window, not fullscreen")
    return parser.parse_args(argv)


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The flags as dotted settings keys (None: not given, the file decides)."""
    return {
        "server_url": args.server_url,
        "division": args.division,
        "device_token": args.token,
        "device_token_file": args.token_file,
        "languages": args.languages.split(",") if args.languages else None,
        "screen.width_px": args.width,
        "screen.height_px": args.height,
        "sound.volume": args.volume,
        "sound.announce": False if args.mute else None,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    from display.settings import MAX_FPS, DisplaySettings
    from kiosk.settings import SettingsError

    try:
        settings = DisplaySettings.load(args.settings, overrides(args))
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kivy.config import Config

    Config.set("graphics", "width", str(settings.width_px))
    Config.set("graphics", "height", str(settings.height_px))
    Config.set("graphics", "fullscreen", "0" if args.windowed else "auto")
    Config.set("graphics", "show_cursor", "1" if args.windowed else "0")
    Config.set("graphics", "maxfps", str(MAX_FPS))
    Config.set("kivy", "exit_on_escape", "0")

    from display.app import DisplayApp
    from queue_server.config import Catalog

    asyncio.run(DisplayApp(settings, Catalog.load()).serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
