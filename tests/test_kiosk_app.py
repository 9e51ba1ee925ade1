"""The kiosk app (kiosk/app.py) in a real offscreen Kivy window, against a real server
and the fake network printer: a visitor's taps, from the language to the ticket.

One window, one server and one printer serve the whole module (Kivy opens one window
per process). The tests drive the asyncio loop themselves: the app runs as a task
(``KioskApp.serve``: ``async_run`` beside the server connection) and each test runs
its taps in the same loop, waiting for the screen it expects with a bounded timeout.
Taps are real touches (``UnitTestTouch``) at the widget's place on the screen.

The server runs with ``--public-url``, so every ticket carries the address of its
status page and is printed with that QR code. The kiosk reaches it through a relay
(tests/relay.py) that passes every frame and can slip in one the server never sends.
A test that needs the server away stops it and starts it again on the same port and
database; a test that breaks the printer mends it before it ends, so each test starts
from a working kiosk.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sqlite3
import time
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

from kivy.config import Config  # noqa: E402

Config.set("graphics", "width", "1080")
Config.set("graphics", "height", "1920")

from kivy.uix.scrollview import ScrollView  # noqa: E402
from kivy.uix.widget import Widget  # noqa: E402

from kiosk.accessibility import Rect  # noqa: E402
from kiosk.app import KioskApp  # noqa: E402
from kiosk.qr import modules  # noqa: E402
from kiosk.robot import Robot, ancestors  # noqa: E402
from kiosk.settings import KioskSettings  # noqa: E402
from kiosk.ticket import render  # noqa: E402
from kiosk.widgets import KioskButton, MessageBox, QrCode, Tappable, TicketCard  # noqa: E402
from queue_server.config import Catalog  # noqa: E402
from tests.conftest import TIMEOUT, at  # noqa: E402
from tests.conftest_server import admin, clerk, staff_view  # noqa: E402
from tests.conftest_server import kiosk as kiosk_client  # noqa: E402
from tests.fake_printer import FakePrinter  # noqa: E402
from tests.relay import Relay  # noqa: E402
from tests.serverkit import CLOCK_START, DIVISION, ServerProcess  # noqa: E402

#: Where phones reach the server: the status page links on the tickets start here.
PUBLIC_URL = "https://rinda.example.lv"


@dataclass
class Kiosk:
    """The running app and what it talks to, with taps and waits for the tests."""

    app: KioskApp
    server: ServerProcess
    printer: FakePrinter
    loop: asyncio.AbstractEventLoop
    relay: Relay

    def run(self, work: Coroutine[Any, Any, Any]) -> Any:
        return self.loop.run_until_complete(work)

    @property
    def robot(self) -> Robot:
        return Robot(self.app, timeout=TIMEOUT)

    async def reach(self, screen: str, timeout: float = TIMEOUT) -> None:
        await self.robot.reach(screen, timeout)

    def visible(self) -> list[Widget]:
        return self.robot.visible()

    def control(self, verb: str, *args: Any) -> Widget:
        return self.robot.control(verb, *args)

    async def tap(self, verb: str, *args: Any, timeout: float = TIMEOUT) -> None:
        await self.robot.tap(verb, *args, timeout=timeout)

    def ticket_number(self) -> str:
        cards = [w for w in self.visible() if isinstance(w, TicketCard)]
        assert cards, "no ticket on the screen"
        return cards[0].number

    def messages(self) -> list[str]:
        """The messages on the screen as the visitor reads them: the level's word,
        then the sentence."""
        return [
            f"{w.level_word}: {w.text}"
            for w in self.visible()
            if isinstance(w, MessageBox) and w.text
        ]

    def says(self, key: str, lang: str = "en", **params: Any) -> str:
        return self.app.catalog.text(lang, key, **params)

    async def until(self, done: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
        """Wait (bounded) until ``done()``: something the app does on its own time."""
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
            await asyncio.sleep(0.05)

    def controls_out_of_reach(self) -> list[tuple[str, Rect]]:
        """Every visible control not wholly in the reach zone, in the configured
        screen's pixels (counted from the top)."""
        settings = self.app.settings.screen
        window = self.app.root.get_root_window()
        scale = settings.height_px / window.height
        found = []
        for w in self.visible():
            if not isinstance(w, Tappable) or not w.verb or w.height == 0:
                continue
            x, y = w.to_window(w.x, w.y)
            low, high = y, y + w.height
            view = next((a for a in ancestors(w) if isinstance(a, ScrollView)), None)
            if view is not None:  # only the part the list shows can be touched
                _, bottom = view.to_window(view.x, view.y)
                low, high = max(low, bottom), min(high, bottom + view.height)
            if high <= low:
                continue  # scrolled out of sight
            rect = Rect.from_bottom(
                x * scale, low * scale, w.width * scale, (high - low) * scale, settings.height_px
            )
            if not settings.mounting.in_reach(rect):
                found.append((w.verb, rect))
        return found

    def too_small(self) -> list[str]:
        """Visible buttons smaller than 15 mm on the configured screen."""
        settings = self.app.settings.screen
        scale = settings.height_px / self.app.root.get_root_window().height
        return [
            f"{w.verb} {w.text!r}"
            for w in self.visible()
            if isinstance(w, KioskButton)
            and w.height > 0
            and not settings.geometry.target_ok(Rect(0, 0, w.width * scale, w.height * scale))
        ]

    async def visits(self) -> list[dict[str, Any]]:
        async with admin(self.server) as boss:
            return (await staff_view(boss))["state"]["visits"]

    async def printer_reported(self, status: str) -> None:
        """Wait until the admin sees ``status`` as this kiosk's printer (the only
        kiosk that reports one)."""
        async with admin(self.server) as boss:
            deadline = time.monotonic() + TIMEOUT
            while list((printers := (await staff_view(boss))["state"]["printers"]).values()) != [
                status
            ]:
                assert time.monotonic() < deadline, f"the admin sees {printers}, not {status}"
                await asyncio.sleep(0.1)


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kiosk]:
    folder = tmp_path_factory.mktemp("kiosk-app")
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    with (
        ServerProcess(folder, extra=["--public-url", PUBLIC_URL]) as server,
        FakePrinter() as printer,
    ):

        async def open_passport_counter() -> None:
            async with clerk(server, "clerk1", "1") as desk:
                await desk.request("open")

        loop.run_until_complete(open_passport_counter())
        relay = Relay(server.url)
        loop.run_until_complete(relay.start())
        settings = KioskSettings.from_mapping(
            {
                "server_url": relay.url,
                "division": DIVISION,
                "device_token": server.devices["kiosk"],
                "timeouts": {"retry": 0.1},
                "printer": {"kind": "network", "host": printer.host, "port": printer.port},
            }
        )
        app = KioskApp(settings, Catalog.load(), speech_cache=folder / "speech")
        running = loop.create_task(app.serve())
        k = Kiosk(app, server, printer, loop, relay)
        try:
            k.run(k.reach("start", timeout=3 * TIMEOUT))
            yield k
        finally:
            app.stop()
            loop.run_until_complete(asyncio.wait_for(running, TIMEOUT))
            loop.run_until_complete(relay.stop())
            loop.close()
            asyncio.set_event_loop(None)


async def whole_visit(k: Kiosk, lang: str) -> str:
    """Language, passport, no priority, confirm, print: the number on the screen."""
    await k.tap("choose_language", lang)
    await k.reach("services")
    await k.tap("toggle_service", "passport")
    await k.tap("go_next")
    await k.reach("priority")
    await k.tap("confirm")
    await k.reach("confirm")
    await k.tap("print")
    await k.reach("done")
    return k.ticket_number()


def check_ticket(
    k: Kiosk, number: str, lang: str, services: tuple[str, ...] = ("passport",)
) -> None:
    """The server issued ``number`` in ``lang`` for ``services``, and the printer
    received exactly that ticket, laid out in ``lang``, with the number, the services
    in their order and the QR code of the visit's status page."""
    visits = k.run(k.visits())
    visit = visits[-1]
    assert (visit["number"], visit["lang"]) == (number, lang)
    assert [step["service"] for step in visit["steps"]] == list(services)
    assert [v["number"] for v in visits].count(number) == 1
    ticket, lobby = k.app.flow.session.ticket, k.app.flow.lobby
    assert ticket is not None and lobby is not None and ticket["number"] == number
    url = ticket["status_url"]
    assert url.startswith(f"{PUBLIC_URL}/v/{DIVISION}.{number}.")
    rendered = render(
        ticket,
        lobby.division,
        lang,
        k.app.printer.ticket_settings(),
        k.app.catalog,
        status_url=url,
    )
    assert k.printer.jobs[-1] == rendered.data
    assert number.encode("ascii") in rendered.data
    # GS ( k: store the status page's address in the symbol (fn 80), then print it (fn 81)
    stored = b"\x1d(k" + (len(url) + 3).to_bytes(2, "little") + b"1P0" + url.encode("ascii")
    printed = k.printer.jobs[-1]
    assert printed.count(stored) == 1
    assert printed.index(stored) < printed.index(b"\x1d(k\x03\x001Q0")
    text = "\n".join(rendered.lines)
    names = [lobby.service(sid)["name"][lang].split()[0] for sid in services]
    assert sorted(names, key=text.index) == names


def test_the_kiosk_reads_the_servers_time_not_the_machines(kiosk: Kiosk) -> None:
    """The server's clock starts on Monday 30 November 2026 at 09:00 (``--clock-start``):
    the flow's clock (opening hours, closing time, inactivity) is that one."""

    async def times() -> tuple[int, int]:
        async with kiosk_client(kiosk.server, "kiosk2") as other:
            return int(other.welcome["now"]), kiosk.app.flow.now()

    server_now, kiosk_now = kiosk.run(times())
    opening = at(CLOCK_START.replace("T", " "))
    assert opening <= server_now < opening + 3_600_000
    assert abs(kiosk_now - server_now) < 3_000
    assert abs(kiosk_now - time.time() * 1000) > 3_600_000


def test_a_visit_in_latvian_prints_the_number_the_server_issued(kiosk: Kiosk) -> None:
    async def visit() -> str:
        await kiosk.reach("start")
        assert not kiosk.too_small()
        number = await whole_visit(kiosk, "lv")
        assert not kiosk.too_small()
        return number

    number = kiosk.run(visit())
    assert number.startswith("P")
    check_ticket(kiosk, number, "lv")
    kiosk.run(kiosk.tap("go_home"))
    kiosk.run(kiosk.reach("start"))


def test_the_accessible_mode_keeps_every_control_in_reach_through_a_visit(kiosk: Kiosk) -> None:
    async def visit() -> str:
        await kiosk.reach("start")
        await kiosk.tap("toggle_accessible")
        assert kiosk.app.accessible and kiosk.app.reach_top > 0
        assert kiosk.controls_out_of_reach() == []
        await kiosk.tap("choose_language", "en")
        await kiosk.reach("services")
        assert kiosk.controls_out_of_reach() == []
        await kiosk.tap("toggle_service", "passport")
        await kiosk.tap("go_next")
        await kiosk.reach("priority")
        assert kiosk.controls_out_of_reach() == []
        await kiosk.tap("confirm")
        await kiosk.reach("confirm")
        assert kiosk.controls_out_of_reach() == []
        await kiosk.tap("print")
        await kiosk.reach("done")
        assert kiosk.controls_out_of_reach() == []
        assert not kiosk.too_small()
        return kiosk.ticket_number()

    number = kiosk.run(visit())
    check_ticket(kiosk, number, "en")
    assert kiosk.app.spoken, "the accessible mode reads each new screen aloud"
    spoken_files = list(kiosk.app.speech_cache.glob("*.wav"))
    assert spoken_files, "espeak-ng made the speech offline"
    kiosk.run(kiosk.tap("go_home"))
    kiosk.run(kiosk.reach("start"))
    assert not kiosk.app.accessible  # the next visitor starts in the standard mode


def test_a_visit_in_ukrainian_shows_and_prints_in_ukrainian(kiosk: Kiosk) -> None:
    async def visit() -> tuple[str, str]:
        await kiosk.reach("start")
        number = await whole_visit(kiosk, "uk")
        heading = kiosk.app.root.manager.current_screen.heading
        return number, heading

    number, heading = kiosk.run(visit())
    assert heading == kiosk.app.catalog.text("uk", "kiosk.done.title")
    check_ticket(kiosk, number, "uk")
    kiosk.run(kiosk.tap("go_home"))
    kiosk.run(kiosk.reach("start"))


def test_a_visit_in_russian_shows_and_prints_in_russian(kiosk: Kiosk) -> None:
    async def visit() -> tuple[str, str, list[str]]:
        await kiosk.reach("start")
        number = await whole_visit(kiosk, "ru")
        return number, kiosk.app.root.manager.current_screen.heading, kiosk.messages()

    number, heading, messages = kiosk.run(visit())
    assert heading == kiosk.says("kiosk.done.title", "ru")
    take = kiosk.says("kiosk.done.take", "ru")
    assert messages == [f"{kiosk.says('kiosk.banner.info', 'ru')}: {take}"]
    check_ticket(kiosk, number, "ru")
    kiosk.run(kiosk.tap("go_home"))
    kiosk.run(kiosk.reach("start"))


def test_several_services_are_issued_and_printed_in_the_order_chosen(kiosk: Kiosk) -> None:
    async def visit() -> tuple[str, list[str]]:
        await kiosk.reach("start")
        await kiosk.tap("choose_language", "en")
        await kiosk.reach("services")
        await kiosk.tap("toggle_service", "passport")
        await kiosk.tap("toggle_service", "collect")
        await kiosk.tap("move_service_up", "collect")  # collect first, then passport
        await kiosk.tap("go_next")
        await kiosk.reach("priority")
        await kiosk.tap("confirm")
        await kiosk.reach("confirm")
        shown = [w.item_id for w in kiosk.visible() if getattr(w, "position", "")]
        await kiosk.tap("print")
        await kiosk.reach("done")
        return kiosk.ticket_number(), shown

    number, confirmed = kiosk.run(visit())
    assert confirmed == ["collect", "passport"]
    check_ticket(kiosk, number, "en", services=("collect", "passport"))
    kiosk.run(kiosk.tap("go_home"))
    kiosk.run(kiosk.reach("start"))


@pytest.mark.parametrize(
    ("fault", "code", "status"),
    [
        (FakePrinter.run_out_of_paper, "paper_out", "paper_out"),
        (lambda printer: printer.drop_after_bytes(40), "interrupted", "offline"),
    ],
    ids=["paper-out", "dropped-mid-ticket"],
)
def test_a_printer_fault_keeps_the_number_on_screen_and_the_admin_sees_it(
    kiosk: Kiosk, fault: Callable[[FakePrinter], None], code: str, status: str
) -> None:
    """The visitor reads what happened and their number (with the status page's QR
    code); the number is kept and printed again, never issued twice; the admin sees
    the printer's state until the printer is back."""
    fault(kiosk.printer)
    try:
        number = kiosk.run(whole_visit(kiosk, "en"))
        assert kiosk.ticket_number() == number
        assert kiosk.messages() == [
            f"{kiosk.says('kiosk.banner.error')}: {kiosk.says(f'kiosk.printer.{code}')}",
            f"{kiosk.says('kiosk.banner.info')}: "
            + kiosk.says("kiosk.done.on_screen", number=number),
        ]
        ticket = kiosk.app.flow.session.ticket
        assert ticket is not None
        codes = [w for w in kiosk.visible() if isinstance(w, QrCode) and w.url]
        assert [c.url for c in codes] == [ticket["status_url"]]
        assert codes[0].texture.size == (len(modules(ticket["status_url"])),) * 2
        assert codes[0].height > 0
        kiosk.run(kiosk.printer_reported(status))
    finally:
        kiosk.printer.recover()

    async def print_again() -> None:
        await kiosk.tap("reprint")
        await kiosk.until(
            lambda: (
                kiosk.messages()
                == [f"{kiosk.says('kiosk.banner.info')}: {kiosk.says('kiosk.done.take')}"]
            ),
            "the ticket printed on the second try",
        )
        assert kiosk.ticket_number() == number
        assert not [w for w in kiosk.visible() if isinstance(w, QrCode) and w.url]

    kiosk.run(print_again())
    check_ticket(kiosk, number, "en")  # the same number, one visit, the whole ticket
    kiosk.run(kiosk.printer_reported("ok"))

    kiosk.run(kiosk.tap("go_home"))
    following = kiosk.run(whole_visit(kiosk, "en"))
    assert following != number
    check_ticket(kiosk, following, "en")
    kiosk.run(kiosk.tap("go_home"))
    kiosk.run(kiosk.reach("start"))


def test_without_the_server_the_start_screen_says_so_and_recovers_by_itself(
    kiosk: Kiosk,
) -> None:
    async def away_and_back() -> str:
        await kiosk.reach("start")
        await asyncio.to_thread(kiosk.server.stop)
        await kiosk.reach("unavailable", timeout=3 * TIMEOUT)
        # in Latvian, the start screen's language
        retrying = kiosk.says("kiosk.unavailable.retrying", "lv")
        assert kiosk.messages() == [f"{kiosk.says('kiosk.banner.info', 'lv')}: {retrying}"]
        assert kiosk.app.root.manager.current_screen.heading == kiosk.says(
            "kiosk.unavailable.title", "lv"
        )
        await asyncio.to_thread(kiosk.server.start)  # the same port and database
        await kiosk.reach("start", timeout=3 * TIMEOUT)
        return await whole_visit(kiosk, "en")

    number = kiosk.run(away_and_back())
    check_ticket(kiosk, number, "en")
    kiosk.run(kiosk.tap("go_home"))
    kiosk.run(kiosk.reach("start"))


def test_a_booked_visit_is_checked_in_with_its_code_and_printed(kiosk: Kiosk) -> None:
    async def book() -> str:
        async with admin(kiosk.server) as boss:
            # the next slot of the grid after the kiosk's clock (09:00 and a little)
            reply = await boss.request("book", services=["passport"], due=at("2026-11-30 09:15"))
            return str(reply["code"])

    async def check_in(code: str) -> tuple[str, str]:
        await kiosk.reach("start")
        await kiosk.tap("choose_language", "en")
        await kiosk.reach("services")
        await kiosk.tap("start_check_in")
        await kiosk.reach("code")
        for key in code:
            await kiosk.tap("type_code", key)
        await kiosk.tap("check_in")
        await kiosk.reach("done")
        cards = [w for w in kiosk.visible() if isinstance(w, TicketCard)]
        return kiosk.ticket_number(), cards[0].lines

    code = kiosk.run(book())
    number, lines = kiosk.run(check_in(code))
    assert kiosk.says("kiosk.done.booked", time="09:15") in lines.splitlines()
    visit = kiosk.run(kiosk.visits())[-1]
    assert (visit["number"], visit["appointment"]) == (number, code)
    check_ticket(kiosk, number, "en")
    kiosk.run(kiosk.tap("go_home"))
    kiosk.run(kiosk.reach("start"))


def test_a_finished_visit_is_rated_with_its_number_stars_and_a_tag(kiosk: Kiosk) -> None:
    async def served() -> str:
        await kiosk.reach("start")
        number = await whole_visit(kiosk, "en")
        await kiosk.tap("go_home")
        await kiosk.reach("start")
        async with clerk(kiosk.server, "clerk1", "1") as desk:
            await desk.request("call_number", number=number)
            await desk.request("finish")
        return number

    async def rate(number: str) -> None:
        await kiosk.tap("open_rating")
        await kiosk.reach("rating")
        for key in number:
            await kiosk.tap("type_number", key)
        await kiosk.tap("set_stars", 4)
        await kiosk.tap("toggle_tag", "polite")
        await kiosk.tap("submit_rating")
        await kiosk.reach("rated")

    number = kiosk.run(served())
    kiosk.run(rate(number))

    def rating() -> tuple[int, str] | None:
        with sqlite3.connect(kiosk.server.db) as db:
            return db.execute(
                "SELECT rating, rating_tags FROM visit_steps WHERE number = ? AND step = 0",
                (number,),
            ).fetchone()

    kiosk.run(kiosk.until(lambda: rating() is not None, "the rating in visit_steps"))
    assert rating() == (4, "polite")
    kiosk.run(kiosk.tap("go_home"))
    kiosk.run(kiosk.reach("start"))


def waiting_now(k: Kiosk, service: str) -> int | None:
    """How many wait for ``service``, as the services screen draws it (in English)."""
    for item in k.app.root.manager.get_screen("services").items:
        if item["item_id"] == service:
            found = re.search(r"Waiting now: (\d+)", item["lines"])
            return int(found[1]) if found else None
    return None


def test_a_message_whose_handling_fails_is_logged_with_its_traceback_and_the_next_is_drawn(
    kiosk: Kiosk, caplog: pytest.LogCaptureFixture
) -> None:
    """A snapshot without its division (slipped in by the relay) makes the flow raise:
    the log has the failure with its traceback, and the kiosk goes on drawing what the
    server sends next (one more visitor waiting for a passport), on the same connection."""

    async def broken_then_next() -> None:
        await kiosk.reach("start")
        await kiosk.tap("choose_language", "en")
        await kiosk.reach("services")
        before = waiting_now(kiosk, "passport")
        assert before is not None
        await kiosk.relay.inject(json.dumps({"type": "snapshot"}))
        await kiosk.until(lambda: "message failed" in caplog.text, "the failure in the log")
        async with kiosk_client(kiosk.server, "kiosk2") as other:
            await other.request("issue", key=f"next-{time.time_ns()}", services=["passport"])
        await kiosk.until(
            lambda: waiting_now(kiosk, "passport") == before + 1, "the next message drawn"
        )

    reconnects = kiosk.app.client.reconnects
    with caplog.at_level(logging.INFO):
        kiosk.run(broken_then_next())
    assert "Rinda: kiosk: message failed\nTraceback (most recent call last)" in caplog.text
    assert "from_snapshot" in caplog.text and "KeyError: 'division'" in caplog.text
    assert kiosk.app.client.reconnects == reconnects
    kiosk.run(kiosk.tap("go_home"))
    kiosk.run(kiosk.reach("start"))
