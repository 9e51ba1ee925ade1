"""The kiosk's Kivy shell: draws ``KioskFlow.view()`` and feeds the flow.

    app = KioskApp(settings, Catalog.load())
    asyncio.run(app.serve())          # the window and the server connection, together

The app owns one ``KioskFlow`` (kiosk/flow.py) and is its imperative shell:

- it runs under ``App.async_run(async_lib="asyncio")`` beside a task that keeps the
  ``RindaClient`` connected and hands every message to ``flow.receive``; a Kivy
  ``Clock`` interval tells the flow when the connection comes and goes
  (``server_away``/``server_back``), calls ``flow.tick()`` and ``flow.refresh()``;
- its background work runs under one ``Supervisor`` (queue_server/supervisor.py): the
  connection is restarted after a failure, a message whose handling fails is logged
  and the next one taken, a failed request is logged, each with its traceback;
- its time is the server's (``client.clock``, followed from each welcome);
- it draws the view into one ``Screen`` per flow screen (each from its own
  ``kv/<screen>.kv``), only when the view changed;
- a tap calls ``app.tap(verb, *args)``: the flow's verb, and when that returns an
  awaitable (a request to the server or the printer), a task for it;
- a ticket is laid out by ``kiosk.ticket.render`` and sent by
  ``kiosk.printer.send_ticket`` in a worker thread;
- sizes and colours come from ``kiosk.accessibility``: millimetres on the configured
  panel, the standard or the high-contrast palette, and in the accessible mode every
  control below the band that lies above the reach zone.

The environment Kivy reads (``KIVY_HOME``, ``KIVY_NO_ARGS``, the window size) is the
caller's business: ``kiosk/__main__.py`` in production, the tests and scripts otherwise.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.audio import SoundLoader
from kivy.core.text import DEFAULT_FONT, LabelBase
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.logger import Logger
from kivy.properties import (
    BooleanProperty,
    DictProperty,
    ListProperty,
    NumericProperty,
    StringProperty,
)
from kivy.uix.screenmanager import NoTransition
from kivy.utils import get_color_from_hex

from kiosk import widgets
from kiosk.accessibility import palette, text_sizes
from kiosk.flow import KioskFlow
from kiosk.presenter import chosen_word, level_word
from kiosk.printer import PrinterSettings, send_ticket
from kiosk.printing import PrintTicket
from kiosk.settings import KioskSettings
from kiosk.speech import Speaker, SpeechError
from kiosk.ticket import render
from kiosk.view import Button, Item, View, Words, say
from queue_server.client import ClientError, RindaClient
from queue_server.config import Catalog
from queue_server.supervisor import Supervisor, logging_report

KV = Path(__file__).parent / "kv"
#: DejaVu Sans covers Latvian, Russian and Ukrainian (Debian: fonts-dejavu-core);
#: Kivy ships the regular face, which serves when the system has none.
FONT_FOLDERS = (Path("/usr/share/fonts/truetype/dejavu"),)
#: Each message level has its own icon (and its own frame): never colour alone.
ICONS = {"info": "ℹ", "warning": "⚠", "error": "✖"}
#: Touch targets: 20 mm (at least the required 15 mm), 25 mm in the accessible mode.
TARGET_MM, ACCESSIBLE_TARGET_MM = 20.0, 25.0
GAP_MM = 3.0


def register_fonts() -> None:
    """Make DejaVu Sans the font of every label (once per process is enough)."""
    for folder in FONT_FOLDERS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists():
            LabelBase.register(
                DEFAULT_FONT, str(regular), fn_bold=str(bold) if bold.exists() else None
            )
            return
    LabelBase.register(DEFAULT_FONT, "data/fonts/DejaVuSans.ttf")


class KioskApp(App):
    """The kiosk on the lobby touchscreen. Widgets read these Properties."""

    #: The palette of the current mode, role -> RGBA (``kiosk.accessibility.Palette``).
    c = DictProperty({})
    accessible = BooleanProperty(False)
    #: Sizes in pixels of the window: text, the ticket number, touch targets, gaps.
    body = NumericProperty(19)
    heading = NumericProperty(29)
    number_size = NumericProperty(96)
    target = NumericProperty(64)
    gap = NumericProperty(10)
    scale_line = NumericProperty(1)
    #: The accessible mode's bands out of reach, above and below the controls.
    reach_top = NumericProperty(0)
    reach_bottom = NumericProperty(0)
    band_text = StringProperty("")
    #: The top bar: the languages, each in its own words; then the other controls.
    languages = ListProperty([])
    controls = ListProperty([])
    countdown_text = StringProperty("")
    countdown_button = DictProperty({})

    def __init__(
        self,
        settings: KioskSettings,
        catalog: Catalog,
        *,
        print_ticket: PrintTicket | None = None,
        speak: Callable[[list[str]], object] | None = None,
        speech_cache: Path | None = None,
        tick_seconds: float = 0.2,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.title = "Rinda"
        self.settings = settings
        self.catalog = catalog
        self.printer = PrinterSettings.from_mapping(settings.printer)
        self.client = RindaClient(
            settings.server_url,
            division=settings.division,
            token=settings.device_token,
            timeout=max(2.0, settings.timeouts.retry * 2),
        )
        self.supervisor = Supervisor(logging_report(Logger, "kiosk"))
        self.spoken: list[list[str]] = []
        self._speak = speak
        self.speech_cache = speech_cache
        self.flow = KioskFlow(
            settings,
            catalog,
            server=self.client,
            print_ticket=print_ticket or self.print_ticket,
            rate=self.rate,
            clock=self.client.clock,
            speak=self.speak,
        )
        self.tick_seconds = tick_seconds
        self._shown: View | None = None
        self._connected: bool | None = None
        self._refreshing = False
        self._reported_printer: str | None = None
        self._audio_warned = False
        self._reporting = False
        self._ticker: Any = None
        self._stopped = False
        self._apply_mode(False)

    # ------------------------------------------------------------------ running

    async def serve(self) -> None:
        """Run the window and the server connection together until the app stops."""
        self.supervisor.run("connection", self._connection)
        try:
            await self.async_run(async_lib="asyncio")
        finally:
            await self.supervisor.stop()
            await self.client.close()

    def build(self) -> Any:
        register_fonts()
        for kv in [KV / "frame.kv", *sorted(set(KV.glob("*.kv")) - {KV / "frame.kv"})]:
            Builder.unload_file(str(kv))
            Builder.load_file(str(kv))
        frame = Factory.KioskFrame()
        frame.manager.transition = NoTransition()
        for name, kind in widgets.SCREEN_CLASSES.items():
            frame.manager.add_widget(kind(name=name))
        Window.bind(size=lambda *_: self._apply_mode(self.accessible))
        self._ticker = Clock.schedule_interval(self._tick, self.tick_seconds)
        return frame

    def on_start(self) -> None:
        self._apply_mode(self.flow.session.accessible)
        self.render()

    def on_stop(self) -> None:
        self._stopped = True
        if self._ticker is not None:
            self._ticker.cancel()

    async def _connection(self) -> None:
        """Connect (retrying until the server answers), then feed the flow every message;
        a message whose handling fails is reported, and the next one is taken."""
        while not self.client.running:
            try:
                await self.client.start()
            except ClientError as error:
                Logger.warning(f"Rinda: cannot reach the server ({error}); retrying")
                await asyncio.sleep(self.settings.timeouts.retry)
        async for message in self.client.messages():
            with self.supervisor.step("message"):
                self.flow.receive(message)
                self.render()

    def _tick(self, _dt: float) -> None:
        """The Kivy clock's interval: a tick that fails is reported, the next one runs."""
        with self.supervisor.step("tick"):
            self._tick_once()

    def _tick_once(self) -> None:
        connected = self.client.connected.is_set()
        if connected != self._connected:
            self._connected = connected
            if connected:
                self.flow.server_back()
                self._reported_printer = None  # a new connection hears it again
            else:
                self.flow.server_away()
        self.flow.tick()
        self._report_printer(connected)
        if self.flow.needs_refresh and not self._refreshing:
            self._refreshing = True
            self.supervisor.spawn("refresh", self.flow.refresh(), then=self._refreshed)
        self.render()

    def _refreshed(self) -> None:
        self._refreshing = False
        self.render()

    def _report_printer(self, connected: bool) -> None:
        """Tell the server when the printer's status changes, so the admin sees it."""
        status = self.flow.printer_status
        if not connected or status == self._reported_printer or self._reporting:
            return
        self._reporting = True

        async def report() -> None:
            await self.client.request("printer_status", status=status)
            self._reported_printer = status

        self.supervisor.spawn("printer status", report(), then=self._reported)

    def _reported(self) -> None:
        self._reporting = False
        self.render()

    # ------------------------------------------------------------------ taps

    def tap(self, verb: str, *args: Any) -> bool:
        """A widget was tapped: the flow's verb; its request, if any, as a task."""
        method = getattr(self.flow, verb, None)
        if method is None or verb.startswith("_"):
            return False
        result = method(*args)
        if inspect.isawaitable(result):
            self.supervisor.spawn(verb, result, then=self.render)
            result = True
        self.render()
        return bool(result)

    # ------------------------------------------------------------------ the outside

    async def print_ticket(self, ticket: dict[str, Any]) -> None:
        """Lay the ticket out and send it to the configured printer, off the UI thread."""
        lobby = self.flow.lobby
        assert lobby is not None
        lang = ticket.get("lang") or self.flow.session.lang

        def work() -> None:
            rendered = render(
                ticket,
                lobby.division,
                lang,
                self.printer.ticket_settings(),
                self.catalog,
                status_url=ticket.get("status_url"),
            )
            send_ticket(self.printer, rendered.data)

        await asyncio.to_thread(work)

    async def rate(self, number: str, stars: int, tags: tuple[str, ...]) -> None:
        await self.client.request("rate", number=number, stars=stars, tags=list(tags))

    def speak(self, lines: list[str]) -> None:
        self.spoken.append(lines)
        if self._speak is not None:
            self._speak(lines)
            return
        self.supervisor.spawn("speech", self._say(lines, self.flow.view().lang))

    async def _say(self, lines: list[str], lang: str) -> None:
        """Speak the lines one after the other, at the visitor's volume."""
        speaker = Speaker(self.speech_cache or Path(self.user_data_dir) / "speech")
        try:
            paths = await asyncio.to_thread(speaker.lines, lines, lang)
        except SpeechError as error:
            self._audio_problem(str(error))
            return
        gain = self.flow.volume_scale.gain(self.flow.volume_step)
        for path in paths:
            sound = SoundLoader.load(str(path))
            if sound is None:
                self._audio_problem("no audio output: speech is shown, not heard")
                return
            sound.volume = gain
            sound.play()
            await asyncio.sleep(sound.length or 0.0)

    def _audio_problem(self, what: str) -> None:
        if not self._audio_warned:
            self._audio_warned = True
            Logger.warning(f"Rinda: {what}")

    # ------------------------------------------------------------------ drawing

    def render(self) -> None:
        """Draw the flow's view, unless it is the one already drawn."""
        if self.root is None or self._stopped:
            return
        view = self.flow.view()
        if view == self._shown:
            return
        self._shown = view
        if view.accessible != self.accessible:
            self._apply_mode(view.accessible)
        lang = view.lang

        def words(w: Words) -> str:
            return say(w, self.catalog, lang)

        self.languages = [
            _button(b, say(b.label, self.catalog, b.args[0]), current=not b.enabled)
            for b in view.controls
            if b.verb == "choose_language"
        ]
        self.controls = [
            _button(b, words(b.label)) for b in view.controls if b.verb != "choose_language"
        ]
        if view.countdown is not None:
            self.countdown_text = words(view.countdown.words)
            self.countdown_button = _button(
                view.countdown.button, words(view.countdown.button.label)
            )
        else:
            self.countdown_text, self.countdown_button = "", {}

        screen = self.root.manager.get_screen(view.screen.value)
        heading = words(view.title)
        self.band_text = heading if view.accessible else ""
        screen.heading = heading
        screen.messages = [
            {
                "level": m.level.value,
                "icon": ICONS[m.level.value],
                "level_word": words(level_word(m.level)),
                "text": words(m.words),
            }
            for m in view.messages
        ]
        screen.items = [_item(i, self.catalog, lang) for i in view.items]
        screen.primary = [_button(b, words(b.label)) for b in view.buttons if b.primary]
        screen.secondary = [_button(b, words(b.label)) for b in view.buttons if not b.primary]
        entry = view.entry
        screen.entry = (
            None
            if entry is None
            else {
                "label": words(entry.label),
                "value": " ".join(entry.value.ljust(entry.length, "_")),
                "keys": [{"text": k, "verb": entry.verb, "args": [k]} for k in entry.keys],
                "erase_text": f"⌫ {words(entry.erase_label)}",
                "erase_verb": entry.erase_verb,
                "erase_enabled": bool(entry.value),
            }
        )
        screen.ticket = (
            None
            if view.ticket is None
            else {
                "number": view.ticket.number,
                "lines": "\n".join(words(line) for line in view.ticket.lines),
                "status_url": view.ticket.status_url or "",
                "qr_words": words(view.ticket.qr_words) if view.ticket.qr_words else "",
            }
        )
        screen.busy = view.busy
        self.root.manager.current = view.screen.value

    def _apply_mode(self, accessible: bool) -> None:
        """Palette and sizes of the standard or the accessible mode, for this window."""
        self.accessible = accessible
        colours = palette(accessible).colours().items()
        self.c = {role: get_color_from_hex(value) for role, value in colours}
        screen = self.settings.screen
        geometry = screen.geometry
        scale = min(Window.width / geometry.width_px, Window.height / geometry.height_px)
        sizes = text_sizes(accessible).px(geometry)
        self.body = sizes["body"] * scale
        self.heading = sizes["heading"] * scale
        self.number_size = sizes["number"] * scale
        wanted_mm = ACCESSIBLE_TARGET_MM if accessible else TARGET_MM
        self.target = geometry.mm_to_px(wanted_mm) * scale
        self.gap = geometry.mm_to_px(GAP_MM) * scale
        self.scale_line = max(1.0, 2 * scale)
        rows = screen.mounting.rows_in_reach()
        self.reach_top = rows.start * scale if accessible else 0
        self.reach_bottom = (geometry.height_px - rows.stop) * scale if accessible else 0


def _button(b: Button, label: str, current: bool = False) -> dict[str, Any]:
    return {
        "text": label,
        "verb": b.verb,
        "args": list(b.args),
        "enabled": b.enabled and not current,
        "primary": b.primary,
        "current": current,
    }


def _item(item: Item, catalog: Catalog, lang: str) -> dict[str, Any]:
    def words(w: Words) -> str:
        return say(w, catalog, lang)

    # A language is named in its own words, whatever the screen's language.
    label_lang = item.args[0] if item.verb == "choose_language" else lang
    return {
        "item_id": item.id,
        "label": say(item.label, catalog, label_lang),
        "lines": "\n".join(words(line) for line in item.lines),
        "note": words(item.note) if item.note is not None else "",
        "verb": item.verb or "",
        "args": list(item.args),
        "enabled": item.verb is not None,
        "available": item.enabled,
        "selected": item.selected,
        "position": str(item.position) if item.position is not None else "",
        "chosen": _chosen(item, words),
        "choice": item.choice,
        "buttons": [_button(b, words(b.label)) for b in item.buttons],
    }


def _chosen(item: Item, words: Callable[[Words], str]) -> str:
    """A chosen row's word, with the tick beside it when no number shows the place."""
    chosen = chosen_word(item)
    if chosen is None:
        return ""
    return words(chosen) if item.position is not None else f"✓ {words(chosen)}"


__all__ = ["KioskApp", "register_fonts"]
