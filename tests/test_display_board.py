"""What the hall display shows, without a window: the board made from the messages a
display receives. The messages come from the real core and the real public views
(queue_server/protocol/views.py) of the shipped configuration's Riga 1st Division."""

from __future__ import annotations

from dataclasses import replace
from itertools import count
from typing import Any

import pytest

from display.board import Board, board
from display.hall import Hall
from display.palette import COLOURS, TEXT_PAIRS
from display.settings import DisplaySettings
from kiosk.accessibility import MIN_TEXT_CONTRAST, contrast_ratio
from kiosk.settings import SettingsError
from queue_server.config import Catalog, load_office
from queue_server.core import DivisionState
from queue_server.core import commands as c
from queue_server.protocol.views import PUBLIC, event_view, queues, snapshot
from tests.conftest import LV_HOLIDAYS, at

MORNING = at("2026-11-30 10:00")


class Lobby:
    """The division on a Monday morning, and the messages a display would get."""

    def __init__(self) -> None:
        self.office = load_office()
        self.state = DivisionState(self.office, "riga-1", LV_HOLIDAYS)
        self.seq = count(1)
        self.hall = Hall()
        self.now = MORNING
        for counter in ("1", "10"):
            self.do(c.OpenCounter(counter, f"clerk{counter}"))
        for i, service in enumerate(["passport"] * 4 + ["visas"] * 2):
            self.do(c.Issue(key=f"k{i}", services=(service,)))
        self.hall.receive(self.snapshot())

    def snapshot(self) -> dict[str, Any]:
        return {"type": "snapshot", **snapshot(self.office, self.state, PUBLIC, 0, self.now)}

    def do(self, command: Any, minutes: float = 1) -> list[dict[str, Any]]:
        """Run a command a little later; the display gets its events and the queues."""
        self.now += int(minutes * 60_000)
        sent = []
        for event in self.state.execute(command, self.now):
            view = event_view(event, PUBLIC)
            if view is not None:
                sent.append({"type": "event", "seq": next(self.seq), "event": view})
        sent.append({"type": "queues", "queues": queues(self.state, self.now)})
        for message in sent:
            self.hall.receive(message)
        return sent

    def board(self, lang: str = "lv", **options: Any) -> Board:
        options.setdefault("now", self.now)
        options.setdefault("connected", True)
        return board(self.hall, Catalog.load(), lang=lang, **options)


@pytest.fixture
def lobby() -> Lobby:
    return Lobby()


def test_the_board_before_any_call(lobby: Lobby) -> None:
    shown = lobby.board("lv")
    assert shown.division == "Rīgas 1. nodaļa"
    assert shown.hours == "Šodien 08:00–20:00"
    assert shown.clock == "10:08"
    assert shown.number == "" and shown.empty and shown.previous == ()
    assert shown.notice == "" and shown.reconnecting == ""
    passport = next(row for row in shown.queues if row.prefix == "P")
    assert passport.waiting == "4" and passport.wait.startswith("apmēram")
    residence = next(row for row in shown.queues if row.prefix == "D")
    assert residence.wait == "nav atvērta lodziņa", "no open counter serves it"
    assert "lifts" in shown.notes


def test_a_call_shows_the_ticket_the_counter_and_its_accessibility(lobby: Lobby) -> None:
    lobby.do(c.CallNext("10"))
    shown = lobby.board("en", highlight=True)
    assert (shown.number, shown.counter_word, shown.counter_number) == ("V001", "Counter", "10")
    assert shown.heading == "New call!" and shown.highlight
    labels = {f.label for f in shown.features}
    assert labels == {
        "Step-free access for wheelchairs",
        "Sign-language interpreting by video link",
    }
    assert all(f.icon for f in shown.features), "every feature has an icon beside its name"
    assert shown.note == "A sign-language interpreter joins by video link on request."
    calm = lobby.board("en")
    assert calm.heading == "Now calling" and not calm.highlight


def test_previous_calls_newest_first_and_a_recall_marked(lobby: Lobby) -> None:
    lobby.do(c.CallNext("1"))
    lobby.do(c.CallNext("10"))
    lobby.do(c.Finish("1"))
    lobby.do(c.CallNext("1"))
    lobby.do(c.Recall("10"))
    shown = lobby.board("lv")
    assert shown.number == "V001" and shown.heading == "Atkārtots izsaukums!"
    assert [(r.number, r.counter, r.recall) for r in shown.previous] == [
        ("P002", "Lodziņš 1", ""),
        ("P001", "Lodziņš 1", ""),
    ]
    lobby.do(c.Finish("10"))
    lobby.do(c.CallNext("10"))
    again = lobby.board("ru")
    assert again.previous[0] == replace(again.previous[0], number="V001", recall="повторно")


def test_a_call_the_clerk_undoes_leaves_the_board(lobby: Lobby) -> None:
    lobby.do(c.CallNext("1"))
    lobby.do(c.Undo("1"), minutes=0.1)
    assert lobby.board().number == ""


def test_closing_soon_and_closed_are_said_in_words(lobby: Lobby) -> None:
    soon = lobby.board("lv", now=at("2026-11-30 19:40"))
    assert soon.notice_level == "soon"
    assert soon.notice == "Pieņemšana beigsies pēc 20 min, plkst. 20:00."
    closed = lobby.board("en", now=at("2026-11-30 20:30"))
    assert closed.notice_level == "closed"
    assert closed.notice.startswith("The division is closed now. Next reception: ")
    assert "08:00–20:00" in closed.notice


def test_the_reconnecting_mark_is_written(lobby: Lobby) -> None:
    assert lobby.board("uk", connected=False).reconnecting == "Відновлюємо зв’язок…"


def test_the_same_facts_make_the_same_board(lobby: Lobby) -> None:
    """The app redraws only when the board differs: an idle minute is one board."""
    assert lobby.board("lv") == lobby.board("lv")
    assert lobby.board("lv") != lobby.board("en")
    assert lobby.board("lv") != lobby.board("lv", now=lobby.now + 60_000)


def test_a_resent_event_changes_nothing(lobby: Lobby) -> None:
    sent = lobby.do(c.CallNext("1"))
    before = list(lobby.hall.calls)
    for message in sent:
        assert not lobby.hall.receive(message).calls
    assert lobby.hall.calls == before


@pytest.mark.parametrize(("fg", "bg"), TEXT_PAIRS)
def test_every_text_has_at_least_4_5_to_1_contrast(fg: str, bg: str) -> None:
    assert contrast_ratio(COLOURS[fg], COLOURS[bg]) >= MIN_TEXT_CONTRAST


def test_settings_come_from_a_file_and_flags(tmp_path: Any) -> None:
    token = tmp_path / "display.token"
    token.write_text("d1.secret\n", encoding="utf-8")
    file = tmp_path / "display.toml"
    file.write_text(
        'server_url = "ws://127.0.0.1:8765/ws"\ndivision = "riga-1"\n'
        f'device_token_file = "{token}"\n[sound]\nvolume = 40\n',
        encoding="utf-8",
    )
    settings = DisplaySettings.load(file, {"sound.volume": 70, "screen.width_px": None})
    assert (settings.device_token, settings.volume, settings.width_px) == ("d1.secret", 70, 1920)
    assert "secret" not in repr(settings)
    assert settings.languages_for(("lv", "en", "ru")) == ("lv", "en", "ru")
    assert replace(settings, languages=("lv", "uk")).languages_for(("lv", "en")) == ("lv",)


def test_bad_settings_list_every_problem() -> None:
    with pytest.raises(SettingsError) as caught:
        DisplaySettings.from_mapping(
            {
                "server_url": "http://x",
                "division": "riga 1",
                "languages": ["en", "xx"],
                "sound": {"volume": 120, "loud": True},
                "screen": {"width_px": "wide"},
            }
        )
    problems = "\n".join(caught.value.problems)
    for expected in (
        "server_url: must start with ws://",
        "division: must be a division id",
        "device_token: missing",
        "languages: only lv, en, ru and uk are shipped",
        "languages: Latvian (lv) comes first",
        "sound.volume: must be a whole number from 0 to 100",
        "sound.loud: unknown key",
        "screen.width_px: must be a whole number",
    ):
        assert expected in problems
