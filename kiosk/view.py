"""What a kiosk screen shows, as plain data: the Kivy layer draws it, speech reads it.

No text is written here or in the flow. A visible text is either a ``Text`` (a
catalog key with its parameters, translated with ``queue_server.config.Catalog``)
or a ``Local`` (a text of the configuration given per language: a service's name,
the division's notes). ``say`` turns either into a sentence in one language.

A ``View`` is made fresh for every frame the UI draws (``KioskFlow.view()``). Taps
go back to the flow by name: a ``Button`` or an ``Item`` carries the ``verb`` and its
``args``; the UI calls ``getattr(flow, verb)(*args)`` and, when that returns an
awaitable (the verbs that talk to the server or the printer), schedules it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

FALLBACK = "lv"


class Catalog(Protocol):
    """What ``say`` needs of ``queue_server.config.catalog.Catalog``."""

    def text(self, lang: str, key: str, **params: Any) -> str: ...


@dataclass(frozen=True)
class Local:
    """A text from the configuration, per language (Latvian when one is missing)."""

    texts: Mapping[str, str]

    def get(self, lang: str) -> str:
        return self.texts.get(lang) or self.texts.get(FALLBACK) or next(iter(self.texts.values()))


@dataclass(frozen=True)
class Text:
    """A catalog key and its parameters; a parameter may itself be a Text or a Local."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


Words = Text | Local


def text(key: str, **params: Any) -> Text:
    return Text(key, params)


def say(words: Words, catalog: Catalog, lang: str) -> str:
    """``words`` as a sentence in ``lang``."""
    if isinstance(words, Local):
        return words.get(lang)
    params = {
        name: say(value, catalog, lang) if isinstance(value, Text | Local) else value
        for name, value in words.params.items()
    }
    return catalog.text(lang, words.key, **params)


class Screen(StrEnum):
    START = "start"
    SERVICES = "services"
    PRIORITY = "priority"
    CODE = "code"
    CONFIRM = "confirm"
    CLOSED = "closed"
    ISSUING = "issuing"
    PRINTING = "printing"
    DONE = "done"
    INFO = "info"
    RATING = "rating"
    RATED = "rated"
    UNAVAILABLE = "unavailable"


class Level(StrEnum):
    """How a message is shown. Each level also has its own words and an icon in the
    UI: nothing is told by colour alone."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Message:
    level: Level
    words: Words


@dataclass(frozen=True)
class Button:
    """A control: tapping it calls ``flow.<verb>(*args)``."""

    verb: str
    label: Words
    args: tuple[Any, ...] = ()
    enabled: bool = True
    #: The one main way forward on the screen (drawn larger, first for speech).
    primary: bool = False


@dataclass(frozen=True)
class Item:
    """A row of a list: a service, a priority category, a language, a line of a summary."""

    id: str
    label: Words
    #: Further lines under the label (description, what to bring, the wait).
    lines: tuple[Words, ...] = ()
    #: Tapping the row calls ``flow.<verb>(*args)``; None: the row only informs.
    verb: str | None = None
    args: tuple[Any, ...] = ()
    selected: bool = False
    #: The place of a chosen service in the visit (1, 2, ...): shown as a number.
    position: int | None = None
    enabled: bool = True
    #: Why the row cannot be chosen (shown in words, not only greyed out).
    note: Words | None = None
    #: Controls of the row itself (move a chosen service up or down).
    buttons: tuple[Button, ...] = ()
    #: True: one of a set of choices, drawn with a box that shows the tick (or the
    #: place) and the word "chosen"; False: a tap goes straight on (a language on the
    #: start screen), drawn as a button.
    choice: bool = True


@dataclass(frozen=True)
class Entry:
    """A field the visitor types into with the on-screen keys."""

    label: Words
    value: str
    #: The keys to offer, in order.
    keys: str
    length: int
    #: Tapping a key calls ``flow.<verb>(key)``.
    verb: str
    erase_verb: str
    #: The words on the erase key (beside its icon).
    erase_label: Words = Text("kiosk.button.erase")


@dataclass(frozen=True)
class TicketView:
    """A ticket the server confirmed, as the done screen shows it."""

    number: str
    lines: tuple[Words, ...]
    #: The visit's live status page, shown as a QR code beside ``qr_words`` when the
    #: ticket could not be printed (None: no code on the screen).
    status_url: str | None = None
    qr_words: Words | None = None


@dataclass(frozen=True)
class Countdown:
    """The inactivity warning: the screen resets in ``seconds_left`` unless extended."""

    seconds_left: int
    words: Words
    button: Button


@dataclass(frozen=True)
class View:
    screen: Screen
    lang: str
    accessible: bool
    title: Words
    items: tuple[Item, ...] = ()
    messages: tuple[Message, ...] = ()
    buttons: tuple[Button, ...] = ()
    entry: Entry | None = None
    ticket: TicketView | None = None
    countdown: Countdown | None = None
    #: The kiosk is waiting for the server or the printer: show progress.
    busy: bool = False
    #: On every screen: the languages, the accessible mode, reading aloud, volume.
    controls: tuple[Button, ...] = ()
    #: The volume step and the number of steps, for the volume control.
    volume: tuple[int, int] = (0, 1)
