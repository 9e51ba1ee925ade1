"""What the hall display shows, as plain data: ``board(hall, ...)`` -> ``Board``.

A pure function of the hall (display/hall.py), the moment, the language and the
catalogs. The Kivy app compares the board with the one it drew last and draws only
when it changed, so an idle display redraws once a minute (the clock) and when the
texts turn to the next language; nothing else.

Every fact is in words as well as in colour or motion: a new call says "New call!",
a recall "Calling again!", a counter's accessibility feature has an icon *and* its
name, closing soon and closed are sentences.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from display.hall import Hall
from display.phrases import Catalog
from kiosk.view import Local, Text, Words, say, text
from kiosk.wording import clock_time, opening_words, today_hours, wait_words

#: One glyph per accessibility feature (all in DejaVu Sans), always beside its name.
ICONS = {
    "wheelchair_access": "♿",
    "lowered_desk": "⬇",
    "hearing_loop": "T",  # the telecoil "T" of hearing-loop signs
    "sign_language": "☝",
    "magnifier": "⚲",
}
_MINUTE_MS = 60_000


@dataclass(frozen=True)
class Feature:
    icon: str
    label: str


@dataclass(frozen=True)
class CallRow:
    number: str
    counter: str
    #: "again" (in the board's language) for a recall, else "".
    recall: str


@dataclass(frozen=True)
class QueueRow:
    #: The ticket letter of the service: tickets starting with it wait in this queue.
    prefix: str
    service: str
    waiting: str
    wait: str


@dataclass(frozen=True)
class Board:
    lang: str
    division: str
    clock: str
    hours: str
    #: Closing soon or closed, as a sentence; ``notice_level`` is "", "soon" or "closed".
    notice: str
    notice_level: str
    #: The newest call: its heading ("Now calling", "New call!", "Calling again!"),
    #: ticket, counter, the counter's features and note. Empty number: no call yet.
    heading: str
    number: str
    counter: str
    #: The counter as the card shows it: the word ("Counter") over its number ("10").
    counter_word: str
    counter_number: str
    features: tuple[Feature, ...]
    note: str
    highlight: bool
    #: What is being said (or was said last), written out.
    caption: str
    empty: str
    previous_heading: str
    previous: tuple[CallRow, ...]
    queues_heading: str
    columns: tuple[str, str, str]
    queues: tuple[QueueRow, ...]
    notes: str
    #: "Reconnecting…" while the server is away, else "".
    reconnecting: str


def board(
    hall: Hall,
    catalog: Catalog,
    *,
    lang: str,
    now: int,
    connected: bool,
    highlight: bool = False,
    caption: str = "",
    closing_soon_ms: int = 30 * _MINUTE_MS,
) -> Board:
    """The board in ``lang`` at ``now`` (epoch ms, the server's clock)."""

    def words(w: Words) -> str:
        return say(w, catalog, lang)

    lobby = hall.lobby
    newest = hall.newest
    counter = hall.counter(newest.counter) if newest is not None else {}
    if newest is None:
        heading = ""
    elif highlight:
        heading = words(text("display.recall" if newest.recall else "display.new_call"))
    else:
        heading = words(text("display.recall" if newest.recall else "display.calling"))
    notice, level = _notice(hall, now, closing_soon_ms)
    return Board(
        lang=lang,
        division=words(Local(lobby.division.get("name") or {})) if lobby else "",
        clock=clock_time(now, lobby) if lobby else "",
        hours=words(today_hours(lobby)) if lobby else "",
        notice=" ".join(words(sentence) for sentence in notice),
        notice_level=level,
        heading=heading,
        number=newest.number if newest else "",
        counter=_counter_name(hall, newest.counter, catalog, lang) if newest else "",
        counter_word=words(text("display.counter_word")) if newest else "",
        counter_number=str(hall.counter_number(newest.counter) or newest.counter) if newest else "",
        features=tuple(
            Feature(ICONS.get(code, "•"), words(text(f"accessibility.{code}")))
            for code in counter.get("accessibility", [])
        ),
        note=words(Local(counter["note"])) if counter.get("note") else "",
        highlight=highlight and newest is not None,
        caption=caption,
        empty=words(text("display.no_calls")) if newest is None else "",
        previous_heading=words(text("display.previous")),
        previous=tuple(
            CallRow(
                call.number,
                _counter_name(hall, call.counter, catalog, lang),
                words(text("display.recalled")) if call.recall else "",
            )
            for call in hall.calls[1:]
        ),
        queues_heading=words(text("display.queues")),
        columns=(
            words(text("display.service")),
            words(text("display.waiting")),
            words(text("display.wait")),
        ),
        queues=_queues(hall, catalog, lang),
        notes=words(Local(lobby.division["notes"]))
        if lobby and lobby.division.get("notes")
        else "",
        reconnecting="" if connected else words(text("display.reconnecting")),
    )


def _counter_name(hall: Hall, counter_id: str, catalog: Catalog, lang: str) -> str:
    number = hall.counter_number(counter_id) or counter_id
    return catalog.text(lang, "display.counter", counter=number)


def _notice(hall: Hall, now: int, closing_soon_ms: int) -> tuple[tuple[Text, ...], str]:
    """Closing soon (within ``closing_soon_ms``) or closed with the next opening."""
    lobby = hall.lobby
    if lobby is None:
        return (), ""
    closing = lobby.closing_at(now)
    if closing is None:
        return (text("display.closed_now"), opening_words(lobby.next_opening(now), lobby)), "closed"
    if closing - now <= closing_soon_ms:
        minutes = max(1, math.ceil((closing - now) / _MINUTE_MS))
        soon = text("display.closing_soon", minutes=minutes, close=clock_time(closing, lobby))
        return (soon,), "soon"
    return (), ""


def _queues(hall: Hall, catalog: Catalog, lang: str) -> tuple[QueueRow, ...]:
    lobby = hall.lobby
    if lobby is None:
        return ()
    rows = []
    for service in lobby.services:
        estimate = lobby.estimate_ms(service["id"])
        wait = text("display.no_counter") if estimate is None else wait_words(estimate)
        rows.append(
            QueueRow(
                prefix=str(service.get("prefix", "")),
                service=Local(service["name"]).get(lang),
                waiting=str(lobby.waiting(service["id"])),
                wait=say(wait, catalog, lang),
            )
        )
    return tuple(rows)


def _notes(hall: Hall, lang: str) -> str:
    """The division's own notes (step-free entrance, lift, ...), in ``lang``."""
    notes = hall.lobby.division.get("notes") if hall.lobby is not None else None
    return Local(notes).get(lang) if notes else ""
