"""The kiosk's widgets: Properties to draw and taps to forward, nothing else.

Each widget holds what it shows as Kivy Properties (plain strings, numbers and
lists of dicts the app prepares) and forwards every tap to ``App.tap(verb, *args)``.
Layout and colours live in the ``.kv`` files under ``kiosk/kv/``: one per screen,
and ``frame.kv`` for the frame and the parts every screen shares. No widget decides
anything: what a tap does is the flow's business (``kiosk/flow.py``).
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.factory import Factory
from kivy.graphics.texture import Texture
from kivy.properties import (
    BooleanProperty,
    DictProperty,
    ListProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.image import Image
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen

from kiosk.qr import modules


class Tappable(ButtonBehavior):
    """Anything with a ``verb``: a release calls ``app.tap(verb, *args)``."""

    verb = StringProperty("")
    args = ListProperty([])
    enabled = BooleanProperty(True)

    def on_release(self) -> None:
        if self.enabled and self.verb:
            App.get_running_app().tap(self.verb, *self.args)


class KioskButton(Tappable, Label):
    """A control: its words, whether it is the main way forward, whether it is the
    current choice (a language button of the language shown)."""

    primary = BooleanProperty(False)
    current = BooleanProperty(False)


class Rows(BoxLayout):
    """A column (or row) of ``viewclass`` widgets, one per dict of ``data``."""

    data = ListProperty([])
    viewclass = StringProperty("")

    def on_data(self, _widget: Any, data: list[dict[str, Any]]) -> None:
        self.clear_widgets()
        kind = Factory.get(self.viewclass)
        for entry in data:
            self.add_widget(kind(**entry))


class Grid(GridLayout):
    """A grid of ``viewclass`` widgets (buttons, keys), one per dict of ``data``."""

    data = ListProperty([])
    viewclass = StringProperty("KioskButton")

    def on_data(self, _widget: Any, data: list[dict[str, Any]]) -> None:
        self.clear_widgets()
        kind = Factory.get(self.viewclass)
        for entry in data:
            self.add_widget(kind(**entry))


class MessageBox(BoxLayout):
    """A sentence with its level (info, warning, error), shown by an icon and a word,
    not by colour alone."""

    level = StringProperty("info")
    icon = StringProperty("")
    #: The level in words ("Please note", "Problem"), beside the icon.
    level_word = StringProperty("")
    text = StringProperty("")


class ItemRow(Tappable, BoxLayout):
    """A row of a list: a service, a priority, a language, a line of a summary."""

    label = StringProperty("")
    lines = StringProperty("")
    note = StringProperty("")
    selected = BooleanProperty(False)
    #: False: drawn as unavailable (with its ``note``); a tap still reaches the flow,
    #: which says why it cannot be chosen.
    available = BooleanProperty(True)
    #: The order of a chosen service, as text ("1", "2"), or "".
    position = StringProperty("")
    #: "Chosen" (or "Chosen: number 2 in order") in words beside the tick, or "".
    chosen = StringProperty("")
    #: False: the row is a button that goes straight on (no box for a tick).
    choice = BooleanProperty(True)
    #: The row's own controls (move a chosen service earlier or later).
    buttons = ListProperty([])
    item_id = StringProperty("")


class Keypad(BoxLayout):
    """A field typed with on-screen keys: the label, what is typed so far (with a
    mark for each character still to type), the keys and the erase key."""

    label = StringProperty("")
    value = StringProperty("")
    keys = ListProperty([])
    erase_text = StringProperty("")
    erase_verb = StringProperty("")
    erase_enabled = BooleanProperty(False)


class TicketCard(BoxLayout):
    """The number the server confirmed, large, and the ticket's lines."""

    number = StringProperty("")
    lines = StringProperty("")


class QrCode(Image):
    """The QR code of ``url`` (empty: nothing), drawn module by module."""

    url = StringProperty("")

    def on_url(self, _widget: Any, url: str) -> None:
        if not url:
            self.texture = None
            return
        rows = modules(url)
        size = len(rows)
        # A texture's first row is its bottom one; a light module is opaque white.
        dark, light = b"\x00\x00\x00\xff", b"\xff\xff\xff\xff"
        pixels = b"".join(dark if d else light for row in reversed(rows) for d in row)
        texture = Texture.create(size=(size, size), colorfmt="rgba")
        texture.blit_buffer(pixels, colorfmt="rgba", bufferfmt="ubyte")
        texture.mag_filter = texture.min_filter = "nearest"
        self.texture = texture


class CountdownBar(BoxLayout):
    """The inactivity warning with its "more time" button (empty: no warning)."""

    text = StringProperty("")
    button = DictProperty({})


class TopBar(BoxLayout):
    """On every screen: the languages, the accessible mode, read aloud, volume."""

    controls = ListProperty([])


class KioskScreen(Screen):
    """One screen of the flow: everything it may show, as the app prepared it."""

    heading = StringProperty("")
    messages = ListProperty([])
    items = ListProperty([])
    #: The main way forward (full width), then the other controls (two a row).
    primary = ListProperty([])
    secondary = ListProperty([])
    entry = ObjectProperty(None, allownone=True)
    ticket = ObjectProperty(None, allownone=True)
    busy = BooleanProperty(False)


class KioskFrame(BoxLayout):
    """The window's content: the band out of reach, the top bar, the countdown and
    the screens."""

    manager = ObjectProperty(None)


# One class per screen of ``kiosk.view.Screen``, so each has its own rule in its own
# ``kv/<screen>.kv`` file.
SCREEN_CLASSES: dict[str, type[KioskScreen]] = {
    name: type(f"{name.capitalize()}Screen", (KioskScreen,), {})
    for name in (
        "start",
        "services",
        "priority",
        "code",
        "confirm",
        "closed",
        "issuing",
        "printing",
        "done",
        "info",
        "rating",
        "rated",
        "unavailable",
    )
}
for _cls in SCREEN_CLASSES.values():
    Factory.register(_cls.__name__, cls=_cls)
