"""Screenshots of the kiosk's screens, into docs/screenshots/.

    .venv/bin/python scripts/kiosk_screenshots.py [--scale 0.5]

Starts a real ``rinda-server serve`` (tests/serverkit.py: Monday 30 November 2026,
09:00, counter 1 opened by a clerk) and the kiosk app in an offscreen window of the
default 1080 x 1920, walks through a visit and saves
``kiosk-<screen>-<lang>[-accessible].png``: every screen in English, the main way
(start, services, priority, confirm, done) in Latvian, Russian and Ukrainian, and the
screens a visitor taps through in the accessible mode (in Latvian). Screens that are
hard to reach on purpose (closed, issuing, rated, unavailable) are set directly.
Tickets go to a dummy printer; ``kiosk-done-<lang>-paper-out.png`` shows the done
screen of a printer out of paper (the number, and the status page's QR code).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_HOME", str(ROOT / "var" / "kivy"))
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ["TMPDIR"] = str(ROOT / "var" / "tmp")
for folder in (os.environ["KIVY_HOME"], os.environ["TMPDIR"]):
    Path(folder).mkdir(parents=True, exist_ok=True)

from kivy.config import Config  # noqa: E402

Config.set("graphics", "width", "1080")
Config.set("graphics", "height", "1920")

from kiosk.app import KioskApp  # noqa: E402
from kiosk.printer import PaperOut  # noqa: E402
from kiosk.settings import KioskSettings  # noqa: E402
from kiosk.view import Screen  # noqa: E402
from queue_server.client import RindaClient  # noqa: E402
from queue_server.config import Catalog  # noqa: E402
from tests.serverkit import DIVISION, ServerProcess  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
#: Where phones reach the server: tickets carry a status page link (a QR code).
PUBLIC_URL = "https://rinda.example.lv"
ALL = tuple(s.value for s in Screen)
MAIN_WAY = ("start", "services", "priority", "confirm", "done")
ACCESSIBLE = ("start", "services", "priority", "confirm", "printing", "done", "code", "info")


class Shots:
    def __init__(self, app: KioskApp, scale: float) -> None:
        self.app = app
        self.scale = scale
        self.saved: list[Path] = []

    async def settle(self, screen: str | None = None, timeout: float = 10.0) -> None:
        """Let the app draw (and reach ``screen``) before a screenshot."""
        deadline = time.monotonic() + timeout
        while screen is not None and self.app.flow.screen.value != screen:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the kiosk did not reach {screen}: {self.app.flow.screen}")
            await asyncio.sleep(0.05)
        self.app.render()
        await asyncio.sleep(0.3)

    async def take(
        self, wanted: tuple[str, ...], lang: str, accessible: bool, what: str = ""
    ) -> None:
        screen = self.app.flow.screen.value
        if screen not in wanted:
            return
        await self.settle(screen)
        name = f"kiosk-{screen}-{lang}{'-accessible' if accessible else ''}{what}.png"
        self.app.root.export_to_png(str(OUT / name), scale=self.scale)
        self.saved.append(OUT / name)


async def walk(shots: Shots, lang: str, accessible: bool, wanted: tuple[str, ...]) -> None:
    app, flow = shots.app, shots.app.flow
    release = asyncio.Event()
    app.printing_gate = release

    def home() -> None:
        flow.go_home()
        flow.session.lang = lang
        if accessible:
            flow.toggle_accessible()

    home()
    await shots.take(wanted, lang, accessible)
    app.tap("choose_language", lang)
    app.tap("toggle_service", "passport")
    app.tap("toggle_service", "collect")
    await shots.take(wanted, lang, accessible)
    app.tap("go_next")
    await shots.take(wanted, lang, accessible)
    app.tap("confirm")
    await shots.settle("confirm")
    while flow.quote_pending:
        await asyncio.sleep(0.05)
    await shots.take(wanted, lang, accessible)
    app.tap("print")
    await shots.settle("printing")
    await shots.take(wanted, lang, accessible)
    release.set()
    await shots.settle("done")
    await shots.take(wanted, lang, accessible)

    if "done" in wanted:  # the printer out of paper: the number and the QR code on screen
        home()
        app.printer_fault = PaperOut("ticket printer")
        app.tap("choose_language", lang)
        app.tap("toggle_service", "passport")
        app.tap("go_next")
        app.tap("confirm")
        await shots.settle("confirm")
        while flow.quote_pending:
            await asyncio.sleep(0.05)
        app.tap("print")
        await shots.settle("done")
        await shots.take(wanted, lang, accessible, "-paper-out")
        app.printer_fault = None

    home()
    app.tap("open_info")
    await shots.take(wanted, lang, accessible)
    home()
    app.tap("choose_language", lang)
    app.tap("start_check_in")
    for key in "K7M":
        app.tap("type_code", key)
    await shots.take(wanted, lang, accessible)
    home()
    app.tap("open_rating")
    for key in "P001":
        app.tap("type_number", key)
    app.tap("set_stars", 5)
    app.tap("toggle_tag", "polite")
    await shots.take(wanted, lang, accessible)
    for screen in (Screen.RATED, Screen.CLOSED):
        home()
        flow.session.screen = screen
        await shots.take(wanted, lang, accessible)
    home()
    flow.choose_language(lang)
    flow.session.screen = Screen.ISSUING
    await shots.take(wanted, lang, accessible)
    flow.session.screen = Screen.START  # go_home waits for a ticket being issued
    home()
    flow.online = False  # what the kiosk shows while the server is away
    await shots.take(wanted, lang, accessible)
    flow.online = True
    home()


async def main(scale: float) -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("kiosk-*.png"):
        old.unlink()
    folder = Path(tempfile.mkdtemp(prefix="kiosk-shots-"))
    try:
        with ServerProcess(folder, extra=["--public-url", PUBLIC_URL]) as server:
            async with RindaClient(
                server.url,
                division=DIVISION,
                user="clerk1",
                password=server.passwords["clerk1"],
                counter="1",
            ) as desk:
                await desk.request("open")
            settings = KioskSettings.from_mapping(
                {
                    "server_url": server.url,
                    "division": DIVISION,
                    "device_token": server.devices["kiosk"],
                    "printer": {"kind": "dummy"},
                }
            )
            app = GatedKiosk(settings, Catalog.load())  # on the server's clock
            running = asyncio.ensure_future(app.serve())
            shots = Shots(app, scale)
            await shots.settle("start", timeout=20)
            for lang in ("en", "lv", "ru", "uk"):
                await walk(shots, lang, False, ALL if lang == "en" else MAIN_WAY)
            await walk(shots, "lv", True, ACCESSIBLE)
            await shots.settle()  # let the last layout run before the app goes
            app.stop()
            await asyncio.wait_for(running, 10)
            return shots.saved
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class GatedKiosk(KioskApp):
    """The kiosk, with a printer that waits for the script (to show "printing") and
    fails when the script says so."""

    printing_gate: asyncio.Event | None = None
    printer_fault: Exception | None = None

    async def print_ticket(self, ticket: dict[str, object]) -> None:
        if self.printing_gate is not None:
            await self.printing_gate.wait()
        if self.printer_fault is not None:
            raise self.printer_fault
        await super().print_ticket(ticket)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.5, help="image size (1: 1080x1920)")
    saved = asyncio.run(main(parser.parse_args().scale))
    print(f"kiosk screenshots: {len(saved)} files in {OUT.relative_to(ROOT)}")
