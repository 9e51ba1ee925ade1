"""``rinda-kiosk kiosk.toml``: the kiosk app on the lobby touchscreen.

Reads the kiosk's settings (kiosk/settings.py), then runs the Kivy window beside the
connection to the server until the window closes. ``--windowed`` opens a window of
the configured size instead of going fullscreen (for a try on a desktop).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rinda-kiosk", description=__doc__.splitlines()[0])
    parser.add_argument("settings", help="the kiosk's TOML settings file")
    parser.add_argument("--windowed", action="store_true", help="a window, not fullscreen")
    args = parser.parse_args(argv)

    from kiosk.settings import KioskSettings, SettingsError

    try:
        settings = KioskSettings.load(args.settings)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2

    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kivy.config import Config

    Config.set("graphics", "width", str(settings.screen.width_px))
    Config.set("graphics", "height", str(settings.screen.height_px))
    Config.set("graphics", "fullscreen", "0" if args.windowed else "auto")
    Config.set("kivy", "exit_on_escape", "0")

    from kiosk.app import KioskApp
    from queue_server.config import Catalog

    asyncio.run(KioskApp(settings, Catalog.load()).serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
