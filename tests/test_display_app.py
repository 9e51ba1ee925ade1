"""The hall display (display/app.py) in a real offscreen Kivy window against a real
server: a clerk calls, the display shows the call with the counter's note and says it
(espeak-ng makes real WAV files; the player records them instead of sounding them);
a recall is shown and said as one; the server goes away and comes back, and the
display keeps its picture, marks the loss, recovers and says nothing twice.

As in tests/test_kiosk_app.py, one window, one server and one app serve the module,
and the tests drive the asyncio loop themselves. Kivy is imported inside the fixture:
the window is the process's one window (the kiosk's tests use it too), so the display
sets it to landscape for its tests and gives it back as it found it.
"""

from __future__ import annotations

import asyncio
import os
import time
import wave
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_HOME", str(ROOT / "var" / "kivy"))
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
Path(os.environ["KIVY_HOME"]).mkdir(parents=True, exist_ok=True)

from queue_server.client import RindaClient  # noqa: E402
from queue_server.config import Catalog  # noqa: E402
from tests.conftest import TIMEOUT, at  # noqa: E402
from tests.conftest_server import clerk, kiosk  # noqa: E402
from tests.serverkit import CLOCK_START, DIVISION, ServerProcess  # noqa: E402

LANDSCAPE = (1920, 1080)


class RecordingPlayer:
    """Stands in for the loudspeaker: records each file it is given, in order."""

    def __init__(self) -> None:
        self.played: list[Path] = []

    async def play(self, path: Path, volume: float) -> None:
        self.played.append(path)
        await asyncio.sleep(0.01)


@dataclass
class Hall:
    app: Any
    server: ServerProcess
    player: RecordingPlayer
    loop: asyncio.AbstractEventLoop
    desks: dict[str, RindaClient]
    kiosk: RindaClient

    def run(self, work: Coroutine[Any, Any, Any]) -> Any:
        return self.loop.run_until_complete(work)

    async def until(self, check: Callable[[], Any], what: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not check():
            assert time.monotonic() < deadline, f"the display never showed {what}"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # a frame or two: the layout settles

    def texts(self) -> list[str]:
        """Every text drawn in the window now."""
        return [w.text for w in self.app.root.walk() if hasattr(w, "text") and w.text]

    async def issue(self, service: str) -> str:
        reply = await self.kiosk.request("issue", key=f"t-{time.time_ns()}", services=[service])
        return str(reply["ticket"]["number"])


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    from kivy.core.window import Window

    from display.app import DisplayApp
    from display.settings import DisplaySettings

    folder = tmp_path_factory.mktemp("display-app")
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    before = Window.size
    Window.size = LANDSCAPE
    with ServerProcess(folder) as server:
        settings = DisplaySettings.from_mapping(
            {
                "server_url": server.url,
                "division": DIVISION,
                "device_token": server.devices["display"],
                "board": {"retry_seconds": 0.1},
            }
        )
        started, epoch = time.time(), at(CLOCK_START.replace("T", " "))
        player = RecordingPlayer()
        app = DisplayApp(
            settings,
            Catalog.load(),
            clock=lambda: epoch + int((time.time() - started) * 1000),
            player=player,
            speech_cache=folder / "speech",
        )
        running = loop.create_task(app.serve())
        desks = {"1": clerk(server, "clerk1", "1"), "10": clerk(server, "clerk2", "10")}
        h = Hall(app, server, player, loop, desks, kiosk(server))

        async def open_desks() -> None:
            await h.kiosk.start()
            for desk in desks.values():
                await desk.start()
                await desk.request("open")
            await h.until(lambda: app.shown is not None and app.shown.division, "the division")

        try:
            h.run(open_desks())
            yield h
        finally:
            Window.size = before  # while the app runs: its kv rules still read it
            loop.run_until_complete(asyncio.sleep(0.2))
            app.stop()
            loop.run_until_complete(asyncio.wait_for(running, TIMEOUT))
            for client in (*desks.values(), h.kiosk):
                loop.run_until_complete(client.close())
            loop.close()
            asyncio.set_event_loop(None)


def test_a_call_shows_the_ticket_the_counter_and_its_note_and_is_said(hall: Hall) -> None:
    async def call() -> str:
        number = await hall.issue("visas")
        await hall.desks["10"].request("call_next")
        await hall.until(lambda: hall.app.root.card.number == number, number)
        await hall.until(lambda: not hall.app.announcer.pending, "the call said")
        return number

    number = hall.run(call())
    app, shown = hall.app, hall.app.shown
    assert shown.number == number and shown.counter_number == "10" and shown.highlight
    lang = shown.lang
    note = app.hall.counter("10")["note"][lang]
    texts = hall.texts()
    assert number in texts and "10" in texts
    assert note in texts, "the counter's accessibility note is on the screen"
    feature = app.catalog.text(lang, "accessibility.sign_language")
    assert feature in texts
    # Said: the chime, then Latvian and each other language, from real espeak-ng files.
    played = hall.player.played
    assert played[0] == app.settings.chime
    speech = played[1:]
    assert len(speech) == len(app.hall.languages) == 4
    for path in speech:
        with wave.open(str(path)) as audio:
            assert audio.getnframes() > audio.getframerate(), f"{path.name} is speech"
    said = app.announcer.said[-1]
    assert [p.lang for p in said.phrases] == ["lv", "en", "ru", "uk"]
    assert all(number in p.written for p in said.phrases)
    # What is said is written: the caption is the sentence of the board's language.
    caption = next(p.written for p in said.phrases if p.lang == app.shown.lang)
    assert "♪ " + caption in hall.texts()


def test_a_recall_is_shown_and_said_as_a_recall(hall: Hall) -> None:
    async def recall() -> None:
        before = len(hall.app.announcer.said)
        await hall.desks["10"].request("recall")
        await hall.until(lambda: len(hall.app.announcer.said) > before, "the recall")
        await hall.until(lambda: not hall.app.announcer.pending, "the recall said")

    hall.run(recall())
    assert hall.app.announcer.said[-1].call.recall
    lang = hall.app.shown.lang
    assert hall.app.catalog.text(lang, "display.recall") in hall.texts()


def test_the_number_is_sized_from_the_screen_height(hall: Hall) -> None:
    from kivy.core.window import Window

    async def resized(size: tuple[int, int]) -> float:
        Window.size = size
        await hall.until(lambda: abs(hall.app.u - Window.height / 100) < 0.01, "the new size")
        return float(hall.app.root.card.ids.number.font_size) / Window.height

    small, large = hall.run(resized((1280, 720))), hall.run(resized(LANDSCAPE))
    assert small == pytest.approx(large) == pytest.approx(0.20)


def test_without_the_server_the_picture_stays_and_it_recovers_by_itself(hall: Hall) -> None:
    app = hall.app

    async def away_and_back() -> None:
        said_before = len(app.announcer.said)
        number = app.shown.number
        hall.server.stop()
        await hall.until(lambda: app.root.bar.reconnecting, "the reconnecting mark")
        assert app.root.card.number == number, "the last picture stays"
        assert any(
            app.catalog.text(app.shown.lang, "display.reconnecting") in t for t in hall.texts()
        )
        hall.server.start()
        await hall.until(lambda: not app.root.bar.reconnecting, "the connection back")
        assert len(app.announcer.said) == said_before, "nothing is said twice after a reconnect"
        for desk in hall.desks.values():
            await desk.connected.wait()
        fresh = await hall.issue("passport")
        await hall.desks["1"].request("call_next")
        await hall.until(lambda: app.root.card.number == fresh, fresh)
        await hall.until(lambda: not app.announcer.pending, "the new call said")
        assert [a.call.number for a in app.announcer.said[said_before:]] == [fresh]

    hall.run(away_and_back())
