"""The hall display (display/app.py) in a real offscreen Kivy window against a real
server: a clerk calls, the display shows the call with the counter's note and says it
(espeak-ng makes real WAV files; the player records them instead of sounding them);
a recall is shown and said as one; the server goes away and comes back, and the
display keeps its picture, marks the loss, recovers and says nothing twice.

As in tests/test_kiosk_app.py, one window, one server and one app serve the module,
and the tests drive the asyncio loop themselves; the display reaches the server
through a relay (tests/relay.py) that can slip in a frame the server never sends.
Kivy is imported inside the fixture: the window is the process's one window (the
kiosk's tests use it too), so the display sets it to landscape for its tests and
gives it back as it found it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
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

from kiosk.wording import clock_time  # noqa: E402
from queue_server.client import RequestFailed, RindaClient  # noqa: E402
from queue_server.config import Catalog  # noqa: E402
from tests.conftest import TIMEOUT, at  # noqa: E402
from tests.conftest_server import clerk, kiosk  # noqa: E402
from tests.relay import Relay  # noqa: E402
from tests.serverkit import CLOCK_START, DIVISION, ServerProcess  # noqa: E402

LANDSCAPE = (1920, 1080)


class RecordingPlayer:
    """Stands in for the loudspeaker: records each file it is given, in order; raises
    ``fail_next`` (once) when a test sets it."""

    def __init__(self) -> None:
        self.played: list[Path] = []
        self.fail_next: Exception | None = None

    async def play(self, path: Path, volume: float) -> None:
        if self.fail_next is not None:
            failure, self.fail_next = self.fail_next, None
            raise failure
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
    relay: Relay

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
        relay = Relay(server.url)
        loop.run_until_complete(relay.start())
        settings = DisplaySettings.from_mapping(
            {
                "server_url": relay.url,
                "division": DIVISION,
                "device_token": server.devices["display"],
                "board": {"retry_seconds": 0.1},
            }
        )
        player = RecordingPlayer()
        app = DisplayApp(settings, Catalog.load(), player=player, speech_cache=folder / "speech")
        running = loop.create_task(app.serve())
        desks = {"1": clerk(server, "clerk1", "1"), "10": clerk(server, "clerk2", "10")}
        h = Hall(app, server, player, loop, desks, kiosk(server), relay)

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
            loop.run_until_complete(relay.stop())
            loop.close()
            asyncio.set_event_loop(None)


def test_the_display_shows_the_servers_time_not_the_machines(hall: Hall) -> None:
    """The server's clock starts on Monday 30 November 2026 at 09:00 (``--clock-start``):
    the display's clock (a call's freshness, closing, the clock on the board) is that
    one."""

    async def times() -> tuple[int, int]:
        async with kiosk(hall.server, "kiosk2") as other:
            return int(other.welcome["now"]), hall.app.client.clock()

    server_now, shown_now = hall.run(times())
    opening = at(CLOCK_START.replace("T", " "))
    assert opening <= server_now < opening + 3_600_000
    assert abs(shown_now - server_now) < 3_000
    assert abs(shown_now - time.time() * 1000) > 3_600_000
    lobby = hall.app.hall.lobby
    around = {clock_time(server_now + delta, lobby) for delta in (-3_000, 0, 3_000)}
    hall.run(hall.until(lambda: hall.app.root.bar.clock in around, f"the clock at {around}"))


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


async def call_at_10(hall: Hall) -> str:
    """A new visa ticket called at counter 10 (after its visitor of the moment)."""
    number = await hall.issue("visas")
    with contextlib.suppress(RequestFailed):
        await hall.desks["10"].request("finish")
    await hall.desks["10"].request("call_next")
    return number


def test_a_message_whose_handling_fails_is_logged_with_its_traceback_and_the_next_is_shown(
    hall: Hall, caplog: pytest.LogCaptureFixture
) -> None:
    """A snapshot without its division (slipped in by the relay) makes the hall raise:
    the log has the failure with its traceback, and the next call is shown and said."""
    app = hall.app

    async def broken_then_next() -> str:
        await hall.relay.inject(json.dumps({"type": "snapshot"}))
        await hall.until(lambda: "message failed" in caplog.text, "the failure in the log")
        number = await call_at_10(hall)
        await hall.until(lambda: app.root.card.number == number, number)
        await hall.until(lambda: not app.announcer.pending, "the call said")
        return number

    reconnects = app.client.reconnects
    with caplog.at_level(logging.INFO):
        number = hall.run(broken_then_next())
    assert "Rinda: display: message failed\nTraceback (most recent call last)" in caplog.text
    assert "from_snapshot" in caplog.text and "KeyError: 'division'" in caplog.text
    assert app.announcer.said[-1].call.number == number
    assert app.client.reconnects == reconnects


def test_an_announcer_that_fails_is_logged_with_its_traceback_and_says_the_next_call(
    hall: Hall, caplog: pytest.LogCaptureFixture
) -> None:
    """The player raises what the announcer does not expect (not an audio fault) in the
    middle of a call: the announcer's task fails, the log has its traceback, and the
    supervisor starts it again, so the next call is said."""
    app = hall.app

    async def failed_then_next() -> tuple[str, str]:
        hall.player.fail_next = RuntimeError("the player broke")
        first = await call_at_10(hall)
        await hall.until(lambda: "announcer failed" in caplog.text, "the failure in the log")
        await hall.until(lambda: not app.announcer.pending, "the failed call over")
        played = len(hall.player.played)
        second = await call_at_10(hall)
        await hall.until(lambda: app.root.card.number == second, second)
        await hall.until(lambda: app.announcer.said[-1].call.number == second, "the next call")
        await hall.until(lambda: not app.announcer.pending, "the next call said")
        assert len(hall.player.played) - played == 1 + len(app.hall.languages)  # chime, speech
        return first, second

    with caplog.at_level(logging.INFO):
        first, second = hall.run(failed_then_next())
    assert "Rinda: display: announcer failed\nTraceback (most recent call last)" in caplog.text
    assert "RuntimeError: the player broke" in caplog.text
    assert [a.call.number for a in app.announcer.said[-2:]] == [first, second]
