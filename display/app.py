"""The hall display's Kivy shell: draws ``board(hall, ...)`` and says the calls.

    app = DisplayApp(settings, Catalog.load())
    asyncio.run(app.serve())          # the window, the server connection, the announcer

The app owns a ``Hall`` (display/hall.py) and an ``Announcer``
(display/announcer.py) and is their imperative shell:

- it runs under ``App.async_run(async_lib="asyncio")`` beside a task that keeps the
  ``RindaClient`` connected (the client resumes from the last sequence number by
  itself) and hands every message to the hall, and beside the announcer's worker;
- both run under one ``Supervisor`` (queue_server/supervisor.py): a task that fails
  is logged with its traceback and restarted, a message whose handling fails is
  logged and the next one taken;
- its time is the server's (``client.clock``, followed from each welcome): a call is
  fresh, and the day closes, by the server's clock;
- every message, and a ``Clock`` tick once a second (the clock on the wall, the
  languages turning, the end of a highlight, the connection coming and going),
  ends in ``render()``, which draws the board only when it differs from the last;
- a new call stands out for ``highlight_seconds``: amber card, a heading that says
  so, and a frame that blinks twice a second (two frames a second, not sixty: a
  display without a GPU draws every frame in software);
- while a call is said, the board shows the language being spoken, and the sentence
  under the call is the one heard.

The environment Kivy reads (``KIVY_HOME``, ``KIVY_NO_ARGS``, the window size) is the
caller's business: ``display/__main__.py`` in production, the tests and scripts otherwise.
"""

from __future__ import annotations

import asyncio
import time
import wave
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.audio import SoundLoader
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.logger import Logger
from kivy.properties import BooleanProperty, DictProperty, NumericProperty
from kivy.utils import get_color_from_hex

from display import widgets
from display.announcer import Announcement, Announcer, NoAudioOutput, Player, prune_cache
from display.board import Board, board
from display.hall import Hall, News
from display.palette import COLOURS
from display.phrases import Call, Phrase, phrases
from display.settings import DisplaySettings
from kiosk.app import register_fonts
from kiosk.speech import Speaker
from queue_server.client import ClientError, RindaClient
from queue_server.config import Catalog
from queue_server.supervisor import Supervisor, logging_report

KV = Path(__file__).parent / "kv"
#: A new call's frame changes every half second while it stands out.
BLINK_SECONDS = 0.5
#: How often the speech cache is cut back to ``cache_files`` files.
PRUNE_SECONDS = 3600.0
_ = widgets  # the widget classes must exist before the kv rules name them


class SoundPlayer:
    """Plays a WAV file through Kivy's audio (SDL2) and waits until it has finished."""

    async def play(self, path: Path, volume: float) -> None:
        sound = SoundLoader.load(str(path))
        if sound is None:
            raise NoAudioOutput("Kivy has no audio output for WAV files")
        try:
            sound.volume = volume
            sound.play()
            await asyncio.sleep(sound.length or wav_seconds(path))
        finally:
            sound.stop()
            sound.unload()


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as audio:
        return float(audio.getnframes() / audio.getframerate())


class DisplayApp(App):
    """The hall display on the lobby TV. The kv rules read these Properties."""

    #: The palette, role -> RGBA.
    c = DictProperty({})
    #: 1 % of the window's height in pixels: every size in the kv is a multiple.
    u = NumericProperty(10.8)
    #: A new call stands out now.
    highlighting = BooleanProperty(False)

    def __init__(
        self,
        settings: DisplaySettings,
        catalog: Catalog,
        *,
        player: Player | None = None,
        speech_cache: Path | None = None,
        tick_seconds: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.title = "Rinda"
        self.settings = settings
        self.catalog = catalog
        self.hall = Hall(history=settings.history)
        self.client = RindaClient(
            settings.server_url,
            division=settings.division,
            token=settings.device_token,
            timeout=max(2.0, settings.retry_seconds * 2),
            backoff=(min(0.5, settings.retry_seconds), max(5.0, settings.retry_seconds)),
        )
        self.supervisor = Supervisor(logging_report(Logger, "display"))
        self._speech_cache = speech_cache
        self.speaker = Speaker(
            speech_cache or Path("var/speech"), words_per_minute=settings.words_per_minute
        )
        self.announcer = Announcer(
            self.compose,
            self.speaker,
            player or SoundPlayer(),
            chime=settings.chime if settings.chime.exists() else None,
            volume=settings.volume / 100,
            fresh_ms=int(settings.fresh_seconds * 1000),
            on_say=self._saying,
        )
        self.tick_seconds = tick_seconds
        #: The board drawn last, and how many times a board was drawn (the bench reads it).
        self.shown: Board | None = None
        self.drawn = 0
        self.speaking: Phrase | None = None
        self._highlight_until = 0.0
        self._connected = False
        self._refreshing = False
        self._blink: Any = None
        self._ticker: Any = None
        self._pruner: Any = None
        self._stopped = False
        self.c = {role: get_color_from_hex(value) for role, value in COLOURS.items()}

    # ------------------------------------------------------------------ running

    async def serve(self) -> None:
        """Run the window, the connection and the announcer together until the app stops."""
        if self._speech_cache is None:
            self.speaker.cache = Path(self.user_data_dir) / "speech"
        prune_cache(self.speaker.cache, self.settings.cache_files)
        self.supervisor.run("connection", self._connection)
        if self.settings.announce:
            self.supervisor.run("announcer", self.announcer.run)
        try:
            await self.async_run(async_lib="asyncio")
        finally:
            await self.supervisor.stop()
            await self.client.close()

    def build(self) -> Any:
        register_fonts()
        for kv in sorted(KV.glob("*.kv")):
            Builder.unload_file(str(kv))
            Builder.load_file(str(kv))
        Window.bind(size=self._resize)
        self._resize(Window, Window.size)
        self._ticker = Clock.schedule_interval(self._tick, self.tick_seconds)
        self._pruner = Clock.schedule_interval(self._prune, PRUNE_SECONDS)
        return Factory.HallBoard()

    def on_start(self) -> None:
        self.render()

    def on_stop(self) -> None:
        self._stopped = True
        # The window outlives the app (tests and the bench run several apps in one
        # process): nothing of this app may touch it, or evaluate a rule, afterwards.
        Window.unbind(size=self._resize)
        if self._blink is not None:
            self._blink.cancel()
        Builder.sync()
        for event in (self._ticker, self._pruner):
            if event is not None:
                event.cancel()

    def _prune(self, _dt: float) -> None:
        """Keep the speech cache bounded, off the UI thread."""
        work = asyncio.to_thread(prune_cache, self.speaker.cache, self.settings.cache_files)
        self.supervisor.spawn("speech cache", work)

    def _resize(self, _window: Any, size: tuple[int, int]) -> None:
        self.u = size[1] / 100

    async def _connection(self) -> None:
        """Connect (retrying until the server answers), then take every message; a
        message whose handling fails is reported, and the next one is taken."""
        while not self.client.running:
            try:
                await self.client.start()
            except ClientError as error:
                Logger.warning(f"Rinda: cannot reach the server ({error}); retrying")
                await asyncio.sleep(self.settings.retry_seconds)
        async for message in self.client.messages():
            with self.supervisor.step("message"):
                self.take(message)

    def take(self, message: dict[str, Any]) -> None:
        """One message from the server: the hall, the announcer, the board."""
        if self._stopped:
            return
        news = self.hall.receive(message)
        now = self.client.clock()
        if self.settings.announce:
            self.announcer.hear(news, now)
        if self._stands_out(news, now):
            self._highlight()
        lobby = self.hall.lobby
        if lobby is not None and lobby.stale and not self._refreshing:
            self._refreshing = True
            self.supervisor.spawn("refresh", self._refresh())
        self.render()

    def _stands_out(self, news: News, now: int) -> bool:
        """A call that is live (not from a snapshot, not long missed) stands out."""
        fresh_ms = self.settings.fresh_seconds * 1000
        return not news.snapshot and any(now - call.at <= fresh_ms for call in news.calls)

    async def _refresh(self) -> None:
        """The hours changed (a new day, an exception): a fresh picture from the server."""
        try:
            reply = await self.client.request("snapshot")
            self.take(reply["snapshot"])
        except ClientError as error:
            Logger.warning(f"Rinda: no fresh snapshot ({error}); the next message retries")
        finally:
            self._refreshing = False

    def _tick(self, _dt: float) -> None:
        """The Kivy clock's interval: a tick that fails is reported, the next one runs."""
        with self.supervisor.step("tick"):
            self._connected = self.client.connected.is_set()
            if self.highlighting and time.monotonic() >= self._highlight_until:
                self._stop_highlight()
            self.render()

    # ------------------------------------------------------------------ announcing

    def compose(self, call: Call) -> tuple[Phrase, ...]:
        languages = self.settings.languages_for(self.hall.languages)
        number = self.hall.counter_number(call.counter) or int(call.counter or 0)
        return phrases(call, number, languages, self.catalog)

    def _saying(self, _announcement: Announcement, phrase: Phrase | None) -> None:
        self.speaking = phrase
        self.render()

    def _highlight(self) -> None:
        self._highlight_until = time.monotonic() + self.settings.highlight_seconds
        if self.highlighting:
            return
        self.highlighting = True
        self._blink = Clock.schedule_interval(self._toggle_frame, BLINK_SECONDS)

    def _toggle_frame(self, _dt: float) -> None:
        if self.root is not None:
            self.root.card.pulse = 0.0 if self.root.card.pulse else 1.0

    def _stop_highlight(self) -> None:
        self.highlighting = False
        if self._blink is not None:
            self._blink.cancel()
            self._blink = None
        if self.root is not None:
            self.root.card.pulse = 0.0

    # ------------------------------------------------------------------ drawing

    def language(self, now: int) -> str:
        """The language being spoken, or the one whose turn it is on the board."""
        languages = self.settings.languages_for(self.hall.languages)
        if self.speaking is not None and self.speaking.lang in languages:
            return self.speaking.lang
        turn = int(now // (self.settings.rotate_seconds * 1000))
        return languages[turn % len(languages)]

    def render(self) -> None:
        """Draw the board, unless it is the one already drawn."""
        if self.root is None or self._stopped:
            return
        now = self.client.clock()
        lang = self.language(now)
        shown = board(
            self.hall,
            self.catalog,
            lang=lang,
            now=now,
            connected=self._connected or self.client.connected.is_set(),
            highlight=self.highlighting,
            caption=self._caption(lang),
            closing_soon_ms=self.settings.closing_soon_minutes * 60_000,
        )
        if shown == self.shown:
            return
        self.shown = shown
        self.drawn += 1
        root = self.root
        root.bar.division = shown.division
        root.bar.hours = shown.hours
        root.bar.clock = shown.clock
        root.bar.reconnecting = shown.reconnecting
        root.notice.text = shown.notice
        root.notice.level = shown.notice_level
        card = root.card
        card.heading = shown.heading
        card.number = shown.number
        card.counter = shown.counter
        card.counter_word = shown.counter_word
        card.counter_number = shown.counter_number
        card.features = [{"icon": f.icon, "label": f.label} for f in shown.features]
        card.note = shown.note
        card.caption = shown.caption
        card.empty = shown.empty
        card.highlight = shown.highlight
        root.previous.heading = shown.previous_heading
        root.previous.rows = [
            {"number": r.number, "counter": r.counter, "recall": r.recall} for r in shown.previous
        ]
        queues = root.queues
        queues.heading = shown.queues_heading
        queues.columns = list(shown.columns)
        rows = [
            {"prefix": r.prefix, "service": r.service, "waiting": r.waiting, "wait": r.wait}
            for r in shown.queues
        ]
        half = (len(rows) + 1) // 2
        queues.left, queues.right = rows[:half], rows[half:]
        root.notes = shown.notes

    def _caption(self, lang: str) -> str:
        """The sentence being said now, else the newest call's sentence in ``lang``."""
        if self.speaking is not None:
            return self.speaking.written
        newest = self.hall.newest
        if newest is None:
            return ""
        for phrase in self.compose(newest):
            if phrase.lang == lang:
                return phrase.written
        return ""


__all__ = ["DisplayApp", "SoundPlayer"]
