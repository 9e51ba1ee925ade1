"""The hall display's widgets: Properties to draw, nothing to decide.

Each part of the board holds what it shows as Kivy Properties (strings, flags and
lists of dicts the app prepares from a ``display.board.Board``); layout, sizes and
colours are in ``display/kv/board.kv``. A Kivy Property dispatches only when its
value changes, so setting a whole board again redraws only the parts that differ.
Lists of rows are ``HallRows``: one child widget per dict, updated in place.
"""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.boxlayout import BoxLayout

__all__ = [
    "CallCard",
    "CallRowView",
    "FeatureView",
    "HallBoard",
    "HallRows",
    "HallTopBar",
    "NoticeBar",
    "PreviousCalls",
    "QueueRowView",
    "QueueTable",
]


class HallRows(BoxLayout):
    """One ``viewclass`` widget per dict of ``data``. A new call shifts every row's
    texts but rarely their number, so the rows are kept and only their Properties
    set: making widgets anew costs a display far more than changing a text."""

    data = ListProperty([])
    viewclass = StringProperty("")

    def on_data(self, _widget: object, data: list[dict[str, object]]) -> None:
        rows = list(reversed(self.children))
        if len(rows) != len(data):
            self.clear_widgets()
            kind = Factory.get(self.viewclass)
            rows = [kind() for _ in data]
            for row in rows:
                self.add_widget(row)
        for row, entry in zip(rows, data, strict=True):
            for name, value in entry.items():
                setattr(row, name, value)


class HallTopBar(BoxLayout):
    """The division's name, today's hours, the clock, and the "reconnecting" mark."""

    division = StringProperty("")
    hours = StringProperty("")
    clock = StringProperty("")
    reconnecting = StringProperty("")


class NoticeBar(BoxLayout):
    """Closing soon or closed, as a sentence with an icon; no height when empty."""

    text = StringProperty("")
    #: "", "soon" or "closed".
    level = StringProperty("")


class FeatureView(BoxLayout):
    """One accessibility feature of the called counter: icon and name."""

    icon = StringProperty("")
    label = StringProperty("")


class CallCard(BoxLayout):
    """The newest call, large: heading, ticket, arrow, counter, the counter's features
    and note, and the sentence that is said for it."""

    heading = StringProperty("")
    number = StringProperty("")
    counter = StringProperty("")
    counter_word = StringProperty("")
    counter_number = StringProperty("")
    features = ListProperty([])
    note = StringProperty("")
    caption = StringProperty("")
    empty = StringProperty("")
    #: A new call: amber card, black text, a pulsing frame (``pulse`` 0-1).
    highlight = BooleanProperty(False)
    pulse = NumericProperty(0.0)


class CallRowView(BoxLayout):
    """A previous call: ticket, counter, and "again" for a recall."""

    number = StringProperty("")
    counter = StringProperty("")
    recall = StringProperty("")


class PreviousCalls(BoxLayout):
    heading = StringProperty("")
    rows = ListProperty([])


class QueueRowView(BoxLayout):
    """A service: its ticket letter, name, visits waiting and the estimated wait."""

    prefix = StringProperty("")
    service = StringProperty("")
    waiting = StringProperty("")
    wait = StringProperty("")


class QueueTable(BoxLayout):
    heading = StringProperty("")
    columns = ListProperty(["", "", ""])
    #: Two halves of the services, side by side.
    left = ListProperty([])
    right = ListProperty([])


class HallBoard(BoxLayout):
    """The window's content; the app reaches the parts through these."""

    bar = ObjectProperty(None)
    notice = ObjectProperty(None)
    card = ObjectProperty(None)
    previous = ObjectProperty(None)
    queues = ObjectProperty(None)
    notes = StringProperty("")
