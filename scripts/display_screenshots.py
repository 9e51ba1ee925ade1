"""Screenshots of the hall display, into docs/screenshots/.

    .venv/bin/python scripts/display_screenshots.py [--scale 0.5]

Starts a real ``rinda-server serve`` (tests/serverkit.py) and the display app in an
offscreen window of the default 1920 x 1080, and saves:

- ``display-busy-lv.png``: a busy Monday morning: clerks at counters 1, 2, 6 and 10
  call one ticket after another, a recall among them; the newest call (counter 10,
  with its sign-language note) still stands out;
- ``display-busy-en.png``, ``-ru``, ``-uk``: the same lobby a little later, when the
  texts have turned to English, Russian and Ukrainian;
- ``display-closing-lv.png``: a quarter of an hour before closing;
- ``display-closed-lv.png``: Monday evening after closing, with the next opening;
- ``display-offline-lv.png``: the busy lobby after the server went away: the last
  picture stays, with the "reconnecting" mark.

Calls are "said" by a silent player, so the pictures do not wait for speech.
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
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ["TMPDIR"] = str(ROOT / "var" / "tmp")
os.environ.pop("DISPLAY", None)
for folder in (os.environ["KIVY_HOME"], os.environ["TMPDIR"]):
    Path(folder).mkdir(parents=True, exist_ok=True)

from kivy.config import Config  # noqa: E402

Config.set("graphics", "width", "1920")
Config.set("graphics", "height", "1080")

from display.app import DisplayApp  # noqa: E402
from display.settings import DisplaySettings  # noqa: E402
from queue_server.client import RindaClient  # noqa: E402
from queue_server.config import Catalog  # noqa: E402
from tests.serverkit import DIVISION, ServerProcess  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
#: Clerk, counter, and the services whose tickets the kiosk issues for them.
DESKS = (("clerk1", "1"), ("clerk2", "10"))


class SilentPlayer:
    async def play(self, path: Path, volume: float) -> None:
        await asyncio.sleep(0)


class PinnedDisplay(DisplayApp):
    """The display with its board language pinned (the texts turn by the clock)."""

    pinned = "lv"

    def language(self, now: int) -> str:
        return self.pinned


async def wait_for(check, what: str, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the display never showed {what}")
        await asyncio.sleep(0.05)


async def shoot(app: DisplayApp, name: str, scale: float, saved: list[Path]) -> None:
    app.render()
    await asyncio.sleep(0.4)  # a few frames: the layout settles
    path = OUT / f"display-{name}.png"
    app.root.export_to_png(str(path), scale=scale)
    saved.append(path)


def display(server: ServerProcess, folder: Path) -> PinnedDisplay:
    """The display, on the server's clock (``--clock-start``)."""
    settings = DisplaySettings.from_mapping(
        {
            "server_url": server.url,
            "division": DIVISION,
            "device_token": server.devices["display"],
            "board": {"retry_seconds": 0.2, "highlight_seconds": 60},
        }
    )
    return PinnedDisplay(
        settings,
        Catalog.load(),
        player=SilentPlayer(),
        speech_cache=folder / "speech",
    )


async def busy_lobby(server: ServerProcess, app: PinnedDisplay, scale: float) -> list[Path]:
    saved: list[Path] = []
    kiosk = RindaClient(server.url, division=DIVISION, token=server.devices["kiosk"])
    desks = {
        counter: RindaClient(
            server.url,
            division=DIVISION,
            user=user,
            password=server.passwords[user],
            counter=counter,
        )
        for user, counter in DESKS
    }
    async with kiosk:
        for desk in desks.values():
            await desk.start()
            await desk.request("open")
        wanted = ["passport"] * 9 + ["collect"] * 5 + ["visas"] * 4 + ["residence_permit"] * 3
        for i, service in enumerate(wanted):
            await kiosk.request("issue", key=f"shot-{i}", services=[service])
        serving: set[str] = set()
        for counter in ("1", "10", "1", "10", "1"):
            desk = desks[counter]
            if counter in serving:
                await desk.request("finish")
            await desk.request("call_next")
            serving.add(counter)
            await asyncio.sleep(0.3)
        await desks["1"].request("recall")
        await asyncio.sleep(0.3)
        await desks["10"].request("finish")
        await desks["10"].request("call_next")
        newest = (await desks["10"].request("snapshot"))["snapshot"]["calls"][0]["number"]
        await wait_for(lambda: app.hall.newest and app.hall.newest.number == newest, newest)
        await wait_for(lambda: not app.announcer.pending, "the calls said")
        await wait_for(lambda: app.hall.lobby.queues["passport"]["waiting"] < 9, "the queues")
        await shoot(app, "busy-lv", scale, saved)
        app._stop_highlight()
        for lang in ("en", "ru", "uk"):
            app.pinned = lang
            await shoot(app, f"busy-{lang}", scale, saved)
        app.pinned = "lv"
        for desk in desks.values():
            await desk.close()
    server.stop()
    await wait_for(lambda: app.shown is not None and app.shown.reconnecting, "reconnecting")
    await shoot(app, "offline-lv", scale, saved)
    return saved


async def quiet_hours(folder: Path, start: str, name: str, scale: float) -> list[Path]:
    saved: list[Path] = []
    with ServerProcess(folder, clock_start=start) as server:
        app = display(server, folder)
        running = asyncio.ensure_future(app.serve())
        await wait_for(lambda: app.shown is not None and app.shown.division, "the division")
        await shoot(app, name, scale, saved)
        app.stop()
        await asyncio.wait_for(running, 10)
    return saved


async def main(scale: float) -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("display-*.png"):
        old.unlink()
    folder = Path(tempfile.mkdtemp(prefix="display-shots-", dir=os.environ["TMPDIR"]))
    saved: list[Path] = []
    try:
        start = "2026-11-30T10:20"
        with ServerProcess(_mk(folder / "busy"), clock_start=start) as server:
            app = display(server, folder)
            running = asyncio.ensure_future(app.serve())
            await wait_for(lambda: app.shown is not None and app.shown.division, "the division")
            saved += await busy_lobby(server, app, scale)
            app.stop()
            await asyncio.wait_for(running, 10)
        saved += await quiet_hours(_mk(folder / "soon"), "2026-11-30T19:45", "closing-lv", scale)
        saved += await quiet_hours(_mk(folder / "closed"), "2026-11-30T20:30", "closed-lv", scale)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return saved


def _mk(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.5, help="image size (1: 1920x1080)")
    shots = asyncio.run(main(parser.parse_args().scale))
    print(f"display screenshots: {len(shots)} files in {OUT.relative_to(ROOT)}")
