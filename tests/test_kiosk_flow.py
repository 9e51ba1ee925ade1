"""The kiosk's controller (kiosk/flow.py) against a real server: every way a visit
at the kiosk can go, without a window.

Each test starts ``rinda-server serve`` (clock: Monday 2026-11-30 09:00 unless the
test says otherwise) and drives ``KioskFlow`` over a real ``RindaClient``; the kiosk's
own clock is a manual one set to the same morning. Printing and rating are small
in-test functions that record what they were given and fail when told to.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kiosk.flow import KioskFlow
from kiosk.printing import PaperOut, PrinterOffline, PrintInterrupted
from kiosk.qr import QUIET_ZONE, modules
from kiosk.session import EVERYWHERE, MOVES
from kiosk.settings import KioskSettings, SettingsError
from kiosk.view import Button, Item, Level, Screen, Text, View, Words, say
from kiosk.wording import wait_words
from queue_server.client import ConnectionLost, RequestFailed, RindaClient
from queue_server.config import Catalog
from queue_server.core.settings import SHIPPED_LANGUAGES
from tests.conftest import TIMEOUT, at
from tests.conftest_server import admin, clerk, fence, kiosk, read_until, staff_view
from tests.serverkit import DIVISION, ServerProcess
from tests.test_architecture import imported_modules

ROOT = Path(__file__).resolve().parent.parent
CATALOG = Catalog.load()
MORNING = "2026-11-30 09:00"
#: Counter 1 serves passport and collect, 6 residence, register and consultation.
PASSPORT, RESIDENCE = "1", "6"


class ManualClock:
    """The kiosk's clock: epoch ms that move only when the test says so."""

    def __init__(self, start: str = MORNING) -> None:
        self.ms = at(start)

    def __call__(self) -> int:
        return self.ms

    def advance(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)


@dataclass
class FakePrinter:
    """Records every ticket it is asked to print; raises the faults it is given first."""

    faults: list[Exception] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)

    async def __call__(self, ticket: dict[str, Any]) -> None:
        self.tickets.append(ticket)
        if self.faults:
            raise self.faults.pop(0)


@dataclass
class Recorder:
    """The client as the flow sees it, recording every request; it can lose the first
    answers to issue and check_in, as a connection dropping after the commit would."""

    client: RindaClient
    lose_answers: int = 0
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        self.sent.append((kind, dict(fields)))
        reply = await self.client.request(kind, **fields)
        if kind in ("issue", "check_in") and self.lose_answers:
            self.lose_answers -= 1
            raise ConnectionLost("the answer was lost on the way")
        return reply

    def keys(self, kind: str = "issue") -> list[str]:
        return [fields["key"] for sent, fields in self.sent if sent == kind]


@dataclass
class Kiosk:
    flow: KioskFlow
    client: RindaClient
    server: Recorder
    boss: RindaClient
    clock: ManualClock
    printer: FakePrinter
    ratings: list[tuple[str, int, tuple[str, ...]]]
    spoken: list[list[str]]

    @property
    def view(self) -> View:
        return self.flow.view()

    async def catch_up(self) -> None:
        """Feed the flow everything the server has sent the kiosk so far."""
        for message in (await fence(self.boss, self.client))[0]:
            self.flow.receive(message)

    async def visits(self) -> list[dict[str, Any]]:
        """Today's visits as the server keeps them."""
        return (await staff_view(self.boss))["state"]["visits"]

    async def book(self, when: str, services: tuple[str, ...] = ("passport",)) -> str:
        reply = await self.boss.request("book", services=list(services), due=at(when))
        return reply["code"]


def settings_for(server: ServerProcess, **timeouts: float) -> KioskSettings:
    return KioskSettings.from_mapping(
        {
            "server_url": server.url,
            "division": DIVISION,
            "device_token": server.devices["kiosk"],
            "timeouts": {"retry": 0.05, **timeouts},
        }
    )


@asynccontextmanager
async def at_the_kiosk(
    server: ServerProcess,
    *,
    counters: tuple[str, ...] = (PASSPORT,),
    clock: str = MORNING,
    lose_answers: int = 0,
    fail_rating: Exception | None = None,
) -> AsyncIterator[Kiosk]:
    """A kiosk flow on a real client, after clerks opened ``counters``."""
    async with AsyncExitStack() as stack:
        boss = await stack.enter_async_context(admin(server))
        for user, counter in zip(("clerk1", "clerk2"), counters, strict=False):
            async with clerk(server, user, counter) as desk:
                await desk.request("open")
        client = await stack.enter_async_context(kiosk(server, timeout=1.0))
        recorder = Recorder(client, lose_answers)
        printer = FakePrinter()
        ratings: list[tuple[str, int, tuple[str, ...]]] = []
        spoken: list[list[str]] = []

        async def rate(number: str, stars: int, tags: tuple[str, ...]) -> None:
            if fail_rating is not None:
                raise fail_rating
            ratings.append((number, stars, tags))

        manual = ManualClock(clock)
        flow = KioskFlow(
            settings_for(server),
            CATALOG,
            server=recorder,
            print_ticket=printer,
            rate=rate,
            clock=manual,
            speak=spoken.append,
        )
        for message in await read_until(client, lambda m: m["type"] == "snapshot"):
            flow.receive(message)
        yield Kiosk(flow, client, recorder, boss, manual, printer, ratings, spoken)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with ServerProcess(tmp_path) as running:
        yield running


# ---------------------------------------------------------------------- reading views


def words(view_words: Words, lang: str = "en") -> str:
    return say(view_words, CATALOG, lang)


def keys(view: View) -> list[str]:
    """The catalog keys of the screen's messages."""
    return [m.words.key for m in view.messages if isinstance(m.words, Text)]


def message(view: View, key: str, lang: str = "en") -> str:
    found = [m for m in view.messages if isinstance(m.words, Text) and m.words.key == key]
    assert found, f"no message {key} among {keys(view)}"
    return words(found[0].words, lang)


def button(view: View, verb: str) -> Button:
    found = [b for b in view.buttons if b.verb == verb]
    assert found, f"no button {verb} among {[b.verb for b in view.buttons]}"
    return found[0]


def item(view: View, item_id: str) -> Item:
    return next(i for i in view.items if i.id == item_id)


def speaks_every_language(flow: KioskFlow) -> None:
    """Every text of the screen exists in every shipped language."""
    for lang in SHIPPED_LANGUAGES:
        lines = flow.speech_lines(lang)
        assert lines and all(line.strip() for line in lines)


async def choose(k: Kiosk, *services: str, priority: str | None = None, lang: str = "en") -> None:
    """Language, services in order, priority, then the confirmation screen."""
    flow = k.flow
    assert flow.choose_language(lang)
    for service in services:
        assert flow.toggle_service(service), service
    assert flow.go_next()
    assert flow.choose_priority(priority)
    assert await flow.confirm()
    assert flow.screen is Screen.CONFIRM


# ---------------------------------------------------------------------- a whole visit


def test_one_service_from_the_language_to_the_number_on_screen(server: ServerProcess) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server) as k:
            flow = k.flow
            assert flow.screen is Screen.START
            assert [i.id for i in k.view.items] == ["lv", "en", "ru", "uk"]
            speaks_every_language(flow)
            assert flow.choose_language("en")
            assert flow.screen is Screen.SERVICES
            passport = item(k.view, "passport")
            assert passport.enabled and passport.note is None
            lines = [words(line) for line in passport.lines]
            assert any(line.startswith("What to bring: ") for line in lines)
            assert any("Estimated wait: less than a minute" in line for line in lines)
            assert not button(k.view, "go_next").enabled

            assert flow.toggle_service("passport")
            assert item(k.view, "passport").position == 1
            assert flow.go_next() and flow.screen is Screen.PRIORITY
            assert item(k.view, "none").selected
            assert await flow.confirm()
            assert "Estimated wait: less than a minute" in message(k.view, "kiosk.confirm.wait")
            assert "kiosk.confirm.past_closing" not in keys(k.view)
            speaks_every_language(flow)

            assert await flow.print()
            assert flow.screen is Screen.DONE
            ticket = k.printer.tickets[0]
            assert k.view.ticket is not None and k.view.ticket.number == ticket["number"]
            assert ticket["number"] == "P001" and ticket["services"] == ["passport"]
            assert "kiosk.done.take" in keys(k.view)
            assert f"Your number is {' '.join('P001')}." in flow.speech_lines()
            speaks_every_language(flow)

            visits = await k.visits()
            assert [(v["number"], v["lang"]) for v in visits] == [("P001", "en")]
            assert k.server.keys() == [visits[0]["key"]]

            assert flow.go_home()
            assert flow.screen is Screen.START and flow.session.lang == "lv"

    asyncio.run(visit())


def test_several_services_are_issued_in_the_order_the_visitor_wants(
    server: ServerProcess,
) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server, counters=(PASSPORT, RESIDENCE)) as k:
            flow = k.flow
            flow.choose_language("en")
            for service in ("collect", "residence", "passport"):
                assert flow.toggle_service(service)
            assert flow.move_service_up("passport")
            assert flow.move_service_up("passport")
            assert not flow.move_service_up("passport")  # already first
            assert flow.move_service_down("collect")
            assert flow.session.services == ["passport", "residence", "collect"]
            positions = {i.id: i.position for i in k.view.items if i.position}
            assert positions == {"passport": 1, "residence": 2, "collect": 3}
            assert "kiosk.services.order" in keys(k.view)
            assert flow.go_next() and await flow.confirm()
            assert [i.id for i in k.view.items] == ["passport", "residence", "collect"]
            assert await flow.print()

            visits = await k.visits()
            assert len(visits) == 1
            assert [step["service"] for step in visits[0]["steps"]] == [
                "passport",
                "residence",
                "collect",
            ]
            ticket = k.view.ticket
            assert ticket is not None and ticket.number.startswith("P")
            services = [
                words(line)
                for line in ticket.lines
                if isinstance(line, Text) and line.key == "kiosk.done.service"
            ]
            assert services == [
                "1. Apply for a passport or eID card",
                "2. Declare a place of residence",
                "3. Collect ready documents",
            ]
            # each service with what to bring for it, in the visit's order
            assert [line.key for line in ticket.lines[:6] if isinstance(line, Text)] == [
                "kiosk.done.service",
                "kiosk.services.bring",
            ] * 3

    asyncio.run(visit())


def test_a_priority_category_goes_with_the_ticket(server: ServerProcess) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server) as k:
            await choose(k, "passport", priority="disability")
            row = item(k.view, "priority")
            assert words(row.lines[0]) == "Person with a disability"
            assert not k.flow.choose_priority("royalty")
            assert await k.flow.print()
            assert [v["priority"] for v in await k.visits()] == ["disability"]

    asyncio.run(visit())


def test_a_service_no_open_counter_serves_is_shown_unavailable_with_the_reason(
    server: ServerProcess,
) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server) as k:
            flow = k.flow
            flow.choose_language("en")
            visas = item(k.view, "visas")
            assert not visas.enabled
            assert visas.note is not None
            assert words(visas.note).startswith("Not available now: no counter")
            assert not any("Estimated wait" in words(line) for line in visas.lines)
            assert not flow.toggle_service("visas")
            assert flow.session.services == []
            assert message(k.view, "kiosk.problem.service_unavailable").startswith(
                "“Visas and invitations” is not available right now"
            )
            assert flow.toggle_service("passport")
            assert "kiosk.problem.service_unavailable" not in keys(k.view)

    asyncio.run(visit())


def test_a_counter_closing_before_the_tap_sends_the_visitor_back_to_choose(
    server: ServerProcess,
) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server, counters=(PASSPORT, RESIDENCE)) as k:
            await choose(k, "passport", "residence")
            async with clerk(server, "clerk2", RESIDENCE) as desk:
                await desk.request("close")
            assert not await k.flow.print()
            assert k.flow.screen is Screen.SERVICES
            assert "kiosk.problem.service_unavailable" in keys(k.view)
            assert k.flow.session.key is None
            assert k.printer.tickets == [] and await k.visits() == []

            await k.catch_up()
            residence = item(k.view, "residence")
            assert residence.note is not None  # the reason, in words
            assert residence.selected and residence.enabled  # still chosen: a tap takes it out
            assert not button(k.view, "go_next").enabled
            assert k.flow.toggle_service("residence")  # taken out
            assert k.flow.go_next() and await k.flow.confirm() and await k.flow.print()
            assert len(await k.visits()) == 1
            assert len(set(k.server.keys())) == 2  # a new tap, a new key

    asyncio.run(visit())


def test_the_estimated_wait_and_the_counters_follow_what_the_server_sends(
    server: ServerProcess,
) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server) as k:
            flow = k.flow
            flow.choose_language("en")
            async with kiosk(server, "kiosk2") as other:
                for n in range(3):
                    await other.request("issue", key=f"before-{n}", services=["passport"])
            summaries = await read_until(
                k.client,
                lambda m: m["type"] == "queues" and m["queues"]["passport"]["waiting"] == 3,
            )
            for message in summaries:
                flow.receive(message)
            estimate = summaries[-1]["queues"]["passport"]["estimate_ms"]
            assert estimate >= 3 * 12 * 60_000  # three passports of 12 minutes, one counter
            lines = [words(line) for line in item(k.view, "passport").lines]
            assert lines[-1] == "Waiting now: 3. Estimated wait: about 40\u00a0min"

            async with clerk(server, "clerk1", PASSPORT) as desk:
                await desk.request("pause")
                await k.catch_up()
                assert flow.lobby is not None and flow.lobby.counters[PASSPORT] == "paused"
                assert item(k.view, "passport").note is None  # paused is not closed
                await desk.request("resume")
                await desk.request("close")
            await k.catch_up()
            assert item(k.view, "passport").note is not None
            assert not flow.toggle_service("passport")

    asyncio.run(visit())


def test_new_reception_hours_for_today_reach_the_kiosk(server: ServerProcess) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server) as k:
            flow = k.flow
            await k.boss.request(
                "set_hours_exception", day="2026-11-30", open_min=480, close_min=720
            )
            await k.catch_up()
            assert flow.needs_refresh
            assert await flow.refresh() and not flow.needs_refresh
            flow.open_info()
            assert words(item(k.view, "today").lines[0]) == "Today 08:00–12:00"
            assert words(item(k.view, "week").lines[0]) == "Monday: 08:00–20:00"

    asyncio.run(visit())


# ---------------------------------------------------------------------- booked visits


def test_a_booked_visit_on_time_is_checked_in_with_its_code(server: ServerProcess) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server) as k:
            code = await k.book("2026-11-30 09:15")
            flow = k.flow
            flow.choose_language("en")
            assert flow.start_check_in() and flow.screen is Screen.CODE
            assert k.view.entry is not None and k.view.entry.length == len(code)
            assert not button(k.view, "check_in").enabled
            for key in code[:-1]:
                assert flow.type_code(key.lower())
            assert not flow.type_code("0")  # not a key of any booking code
            assert flow.erase_code() and flow.enter_code(f" {code[:3]}-{code[3:]} ")
            assert flow.session.code == code
            assert await flow.check_in()
            assert flow.screen is Screen.DONE
            ticket = k.printer.tickets[0]
            assert ticket["appointment"] == code and ticket["due"] == at("2026-11-30 09:15")
            assert k.view.ticket is not None
            assert "Booked visit at 09:15" in [words(line) for line in k.view.ticket.lines]
            assert k.server.keys("check_in") == [(await k.visits())[0]["key"]]

    asyncio.run(visit())


def test_too_early_unknown_used_and_another_day_are_explained_in_plain_words(
    server: ServerProcess,
) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server) as k:
            early = await k.book("2026-11-30 11:00")
            tomorrow = await k.book("2026-12-01 09:00")
            used = await k.book("2026-11-30 09:15")
            flow = k.flow
            flow.choose_language("en")
            flow.toggle_service("collect")
            flow.start_check_in()

            async def check_in(code: str) -> str:
                assert flow.enter_code(code)
                assert not await flow.check_in()
                assert flow.screen is Screen.CODE
                errors = [m for m in k.view.messages if m.level is not Level.INFO]
                assert len(errors) == 1
                return words(errors[0].words)

            assert await check_in(early) == (
                "Your booked time has not come yet. You can check in from 10:30. "
                "Please come back to the kiosk then."
            )
            assert "Tuesday, 01.12.2026, at 09:00" in await check_in(tomorrow)
            assert await check_in("ZZZZZZ") == (
                "We found no booked visit with the code ZZZZZZ. "
                "Please check the code and type it again."
            )
            assert flow.enter_code(used) and await flow.check_in()
            assert flow.go_home()
            flow.choose_language("en")
            flow.start_check_in()
            assert (await check_in(used)).startswith("This booked visit has already been")
            assert len(await k.visits()) == 1
            assert flow.go_back() and flow.screen is Screen.SERVICES

    asyncio.run(visit())


def test_too_late_for_a_booked_visit_offers_an_ordinary_ticket(tmp_path: Path) -> None:
    async def book(server: ServerProcess) -> str:
        async with admin(server) as boss:
            reply = await boss.request("book", services=["passport"], due=at("2026-11-30 09:15"))
            return reply["code"]

    server = ServerProcess(tmp_path)
    with server:
        code = asyncio.run(book(server))
    server.clock_start = "2026-11-30T09:40"

    async def visit() -> None:
        async with at_the_kiosk(server, clock="2026-11-30 09:40") as k:
            flow = k.flow
            flow.choose_language("en")
            flow.toggle_service("passport")
            flow.go_next()
            flow.start_check_in()
            flow.enter_code(code)
            assert not await flow.check_in()
            assert message_level(k.view, Level.ERROR) == (
                "Your visit was booked for 09:15, and the time to check in for it has passed. "
                "You can take an ordinary ticket instead."
            )
            assert words(button(k.view, "go_back").label) == "Take an ordinary ticket"
            assert flow.go_back() and flow.screen is Screen.PRIORITY
            assert flow.session.services == ["passport"]
            assert await flow.confirm() and await flow.print()
            assert [v["appointment"] for v in await k.visits()] == [None]

    with server:
        asyncio.run(visit())


def message_level(view: View, level: Level) -> str:
    found = [m for m in view.messages if m.level is level]
    assert len(found) == 1, found
    return words(found[0].words)


# ---------------------------------------------------------------------- hours


@pytest.mark.parametrize("lang", SHIPPED_LANGUAGES)
def test_a_closed_division_issues_no_ticket_and_says_when_it_opens(
    tmp_path: Path, lang: str
) -> None:
    async def visit(server: ServerProcess) -> None:
        async with at_the_kiosk(server, clock="2026-11-30 20:30") as k:
            flow = k.flow
            start = message_level(k.view, Level.WARNING)
            assert "08:00–20:00" in start and "01.12.2026" in start
            flow.choose_language(lang)
            passport = item(k.view, "passport")
            assert passport.enabled  # the counter is open; the division is not
            assert flow.toggle_service("passport") and flow.go_next()
            assert await flow.confirm()
            assert flow.screen is Screen.CLOSED
            view = k.view
            assert not [b for b in view.buttons if b.verb == "print"]
            texts = [words(m.words, lang) for m in view.messages]
            assert texts[1] == CATALOG.text(lang, "hours.today", open="08:00", close="20:00")
            weekday = CATALOG.text(lang, "weekday.1")
            assert f"{weekday}, 01.12.2026, 08:00–20:00" in texts[2]
            assert not await flow.print()
            assert k.printer.tickets == [] and await k.visits() == []
            speaks_every_language(flow)

    with ServerProcess(tmp_path, clock_start="2026-11-30T20:30") as server:
        asyncio.run(visit(server))


def test_closing_between_the_estimate_and_the_tap_gives_the_next_opening(
    server: ServerProcess,
) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server) as k:
            await choose(k, "passport")
            await k.boss.request("set_hours_exception", day="2026-11-30", note="Staff meeting")
            assert not await k.flow.print()
            assert k.flow.screen is Screen.CLOSED
            assert "Tuesday, 01.12.2026, 08:00–20:00" in words(k.view.messages[2].words)
            assert k.flow.session.key is None and await k.visits() == []

    asyncio.run(visit())


def test_an_estimate_past_closing_time_is_a_clear_warning(tmp_path: Path) -> None:
    async def visit(server: ServerProcess) -> None:
        async with at_the_kiosk(server, clock="2026-11-30 19:45") as k:
            async with kiosk(server, "kiosk2") as other:
                for n in range(2):
                    await other.request("issue", key=f"earlier-{n}", services=["passport"])
            await choose(k, "passport")
            warning = message_level(k.view, Level.WARNING)
            assert warning.startswith("The estimated time of your call")
            assert "Please note: The estimated time of your call" in " ".join(
                k.flow.speech_lines()
            )  # said to be a warning, as the screen shows it beside its icon
            assert "(20:00)" in warning
            assert button(k.view, "print").enabled
            assert await k.flow.print()
            assert k.printer.tickets[0]["past_closing"] is True
            assert "kiosk.done.past_closing" in keys(k.view)

    with ServerProcess(tmp_path, clock_start="2026-11-30T19:45") as server:
        asyncio.run(visit(server))


# ---------------------------------------------------------------------- no server


def test_without_a_snapshot_or_a_server_the_kiosk_says_it_is_unavailable(
    server: ServerProcess,
) -> None:
    settings = settings_for(server)

    async def nothing(*args: Any) -> None:
        raise AssertionError("not called")

    alone = KioskFlow(
        settings,
        CATALOG,
        server=Recorder(None),  # type: ignore[arg-type]
        print_ticket=nothing,
        rate=nothing,
        clock=ManualClock(),
    )
    assert alone.screen is Screen.UNAVAILABLE
    assert alone.view().title == Text("kiosk.unavailable.title")
    assert alone.view().buttons == ()  # nothing to show yet, not even the hours
    assert alone.choose_language("en") and alone.screen is Screen.UNAVAILABLE
    assert not alone.open_info()
    speaks_every_language(alone)

    async def visit() -> None:
        async with at_the_kiosk(server) as k:
            k.flow.server_away()
            assert k.flow.screen is Screen.UNAVAILABLE
            assert k.flow.open_info() and k.flow.go_back()
            k.flow.server_back()
            assert k.flow.screen is Screen.START
            k.flow.choose_language("en")
            k.flow.server_away()
            assert k.flow.screen is Screen.SERVICES  # mid-visit: a banner, not a new screen
            assert "kiosk.banner.away" in keys(k.view)
            assert k.flow.toggle_service("passport")

    asyncio.run(visit())


def test_the_server_down_then_back_issues_one_ticket_with_one_key(
    server: ServerProcess,
) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server) as k:
            await choose(k, "passport")
            await asyncio.to_thread(server.stop)
            tap = asyncio.create_task(k.flow.print())
            while k.flow.online:
                await asyncio.sleep(0.02)
            view = k.view
            assert view.screen is Screen.ISSUING and view.ticket is None
            assert "kiosk.issuing.away" in keys(view)
            assert button(view, "go_home").enabled
            assert k.printer.tickets == []
            speaks_every_language(k.flow)
            await asyncio.sleep(0.3)
            await asyncio.to_thread(server.start)
            assert await asyncio.wait_for(tap, TIMEOUT)
            assert k.flow.screen is Screen.DONE
            tried = k.server.keys()
            assert len(tried) >= 2 and len(set(tried)) == 1
            visits = await k.visits()
            assert [v["key"] for v in visits] == [tried[0]]
            assert k.view.ticket is not None and k.view.ticket.number == visits[0]["number"]

    asyncio.run(visit())


def test_an_answer_lost_after_the_commit_is_asked_again_and_gives_the_same_ticket(
    server: ServerProcess,
) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server, lose_answers=2) as k:
            await choose(k, "passport")
            both = await asyncio.gather(k.flow.print(), k.flow.print())
            assert sorted(both) == [False, True]  # a second tap while issuing does nothing
            tried = k.server.keys()
            assert len(tried) == 3 and len(set(tried)) == 1
            visits = await k.visits()
            assert len(visits) == 1
            assert [t["number"] for t in k.printer.tickets] == [visits[0]["number"]]

    asyncio.run(visit())


def test_a_visitor_who_gives_up_while_the_server_is_away_leaves_no_ticket(
    server: ServerProcess,
) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server) as k:
            await choose(k, "passport")
            await asyncio.to_thread(server.stop)
            tap = asyncio.create_task(k.flow.print())
            while k.flow.online:
                await asyncio.sleep(0.02)
            assert k.flow.go_home()
            assert not await asyncio.wait_for(tap, TIMEOUT)
            assert k.flow.screen is Screen.UNAVAILABLE  # at the start, with no server
            await asyncio.to_thread(server.start)
            assert await k.visits() == [] and k.printer.tickets == []

    asyncio.run(visit())


# ---------------------------------------------------------------------- the printer


@pytest.mark.parametrize(
    ("fault", "code", "status"),
    [
        (PrinterOffline("ticket printer"), "offline", "offline"),
        (PaperOut("ticket printer"), "paper_out", "paper_out"),
        (PrintInterrupted("ticket printer", "connection reset"), "interrupted", "offline"),
        (RuntimeError("anything else"), "fault", "unknown"),
    ],
)
def test_a_printer_fault_keeps_the_number_on_screen(
    server: ServerProcess, fault: Exception, code: str, status: str
) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server) as k:
            k.printer.faults.append(fault)
            await choose(k, "passport")
            assert await k.flow.print()
            view = k.view
            assert view.screen is Screen.DONE
            assert view.ticket is not None and view.ticket.number == "P001"
            assert f"kiosk.printer.{code}" in keys(view)
            assert "P001" in message(view, "kiosk.done.on_screen")
            assert k.flow.printer_status == status  # what the admin is told
            speaks_every_language(k.flow)

            assert await k.flow.reprint()
            assert "kiosk.done.take" in keys(k.view) and k.flow.printer_status == "ok"
            assert [t["number"] for t in k.printer.tickets] == ["P001", "P001"]
            assert len(await k.visits()) == 1
            assert not [b for b in k.view.buttons if b.verb == "reprint"]

    asyncio.run(visit())


def test_a_ticket_not_printed_offers_its_status_page_as_a_code_on_screen(
    tmp_path: Path,
) -> None:
    """With a public address, a ticket the printer could not print leaves the status
    page's address on the done screen (drawn as a QR code), with words saying what it
    is for; a printed ticket carries the code on paper instead."""

    async def visit(server: ServerProcess) -> None:
        async with at_the_kiosk(server) as k:
            await choose(k, "passport")
            assert await k.flow.print()
            assert k.view.ticket is not None and k.view.ticket.status_url is None
            assert k.flow.go_home()

            k.printer.faults.append(PaperOut("ticket printer"))
            await choose(k, "passport")
            assert await k.flow.print()
            url = k.printer.tickets[-1]["status_url"]
            assert url.startswith(f"https://rinda.example.lv/v/{DIVISION}.P002.")
            shown = k.view.ticket
            assert shown is not None and shown.status_url == url
            assert shown.qr_words == Text("kiosk.done.status_qr")
            assert words(shown.qr_words) in k.flow.speech_lines()
            speaks_every_language(k.flow)

            assert await k.flow.reprint()  # printed now: the code is on the paper
            assert k.view.ticket is not None and k.view.ticket.status_url is None

    with ServerProcess(tmp_path, extra=["--public-url", "https://rinda.example.lv"]) as server:
        asyncio.run(visit(server))


def test_the_code_on_screen_has_the_modules_of_a_qr_code() -> None:
    """A QR code of a version that holds the address, with its quiet zone and the
    finder pattern in the corner."""
    url = "https://rinda.example.lv/v/riga-1.P001.0123456789abcdef0123456789abcdef"
    rows = modules(url)
    size = len(rows)
    assert all(len(row) == size for row in rows)
    assert (size - 2 * QUIET_ZONE - 17) % 4 == 0  # 21, 25, 29, ... modules and the zone
    assert not any(rows[0]) and not any(row[0] for row in rows)
    finder = [row[QUIET_ZONE : QUIET_ZONE + 7] for row in rows[QUIET_ZONE : QUIET_ZONE + 7]]
    assert all(finder[0]) and all(finder[6])
    assert finder[1] == (True, False, False, False, False, False, True)
    assert finder[3] == (True, False, True, True, True, False, True)


@pytest.mark.parametrize(
    ("minutes", "said"),
    [
        (25, "about 25\u00a0min"),
        (60, "about 1\u00a0h"),
        (100, "about 1\u00a0h\u00a040\u00a0min"),
    ],
)
def test_a_wait_is_said_whole_and_kept_on_one_line(minutes: int, said: str) -> None:
    assert words(wait_words(minutes * 60_000)) == said


# ---------------------------------------------------------------------- inactivity


def test_inactivity_warns_offers_more_time_then_starts_over(server: ServerProcess) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server) as k:
            flow, clock = k.flow, k.clock
            flow.choose_language("en")
            flow.toggle_service("passport")
            clock.advance(59)
            flow.tick()
            assert k.view.countdown is None
            clock.advance(1)
            flow.tick()
            countdown = k.view.countdown
            assert countdown is not None and countdown.seconds_left == 30 >= 20
            assert countdown.button.verb == "extend_time"
            assert "30 s" in words(countdown.words)
            assert flow.speech_lines()[0] == words(countdown.words)
            assert flow.extend_time()
            assert k.view.countdown is None
            assert flow.session.services == ["passport"]

            clock.advance(60 + 29)
            flow.tick()
            assert flow.screen is Screen.SERVICES and k.view.countdown.seconds_left == 1
            clock.advance(1)
            flow.tick()
            assert flow.screen is Screen.START
            assert flow.session.services == [] and flow.session.lang == "lv"

            clock.advance(3600)
            flow.tick()
            assert flow.screen is Screen.START and k.view.countdown is None

    asyncio.run(visit())


def test_the_accessible_mode_gives_more_time_and_reads_each_screen(
    server: ServerProcess,
) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server) as k:
            flow, clock = k.flow, k.clock
            assert flow.toggle_accessible()
            assert k.view.accessible
            assert {"volume_up", "volume_down"} <= {b.verb for b in k.view.controls}
            assert flow.choose_language("en")
            assert k.spoken[-1][0] == "Choose one or more services, in the order you want them"
            clock.advance(150)
            flow.tick()
            assert k.view.countdown is None  # the standard mode would have reset by now
            clock.advance(30)
            flow.tick()
            assert k.view.countdown is not None and k.view.countdown.seconds_left == 60
            clock.advance(60)
            flow.tick()
            assert flow.screen is Screen.START and not flow.session.accessible

            before = flow.volume_step
            assert flow.toggle_accessible() and flow.volume_up()
            assert flow.volume_step == before + 1
            while flow.volume_up():
                pass
            assert flow.volume_scale.db(flow.volume_step) == 0.0
            while flow.volume_down():
                pass
            assert flow.volume_scale.db(flow.volume_step) <= -18.0

    asyncio.run(visit())


def test_the_done_screen_returns_to_the_start_after_a_warning(server: ServerProcess) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server) as k:
            await choose(k, "passport")
            await k.flow.print()
            k.clock.advance(10)
            k.flow.tick()
            assert k.view.countdown is not None and k.view.countdown.seconds_left == 30
            k.clock.advance(30)
            k.flow.tick()
            assert k.flow.screen is Screen.START and k.flow.session.ticket is None

    asyncio.run(visit())


# ---------------------------------------------------------------------- languages


def test_switching_the_language_mid_visit_keeps_every_choice(server: ServerProcess) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server) as k:
            await choose(k, "passport", "collect", priority="elderly")
            assert k.flow.choose_language("ru")
            assert k.flow.screen is Screen.CONFIRM
            assert k.flow.session.services == ["passport", "collect"]
            assert k.flow.session.priority == "elderly"
            assert k.view.lang == "ru"
            assert k.flow.speech_lines()[0] == "Пожалуйста, проверьте свой выбор"
            assert not k.flow.choose_language("de")
            assert await k.flow.print()
            assert k.printer.tickets[0]["lang"] == "ru"
            assert k.flow.speech_lines()[1] == "Ваш номер: P 0 0 1."

    asyncio.run(visit())


# ---------------------------------------------------------------------- information, rating


def test_the_information_screen_has_hours_contacts_and_how_to_complain(
    server: ServerProcess,
) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server) as k:
            assert k.flow.open_info() and k.flow.screen is Screen.INFO
            view = k.view
            assert words(item(view, "today").lines[0]) == "Today 08:00–20:00"
            week = [words(line) for line in item(view, "week").lines]
            assert week[0] == "Monday: 08:00–20:00" and week[6] == "Sunday: Closed"
            contacts = [words(line) for line in item(view, "contacts").lines]
            assert "Information phone: +371 67209400" in contacts
            assert "E-mail: pasts@pmlp.gov.lv" in contacts
            complaint = words(item(view, "complaint").lines[0])
            assert "right to submit a complaint" in complaint and "LV-1026" in complaint
            speaks_every_language(k.flow)
            assert k.flow.go_back() and k.flow.screen is Screen.START

    asyncio.run(visit())


def test_rating_a_finished_visit_takes_a_number_stars_and_tags(server: ServerProcess) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server) as k:
            flow = k.flow
            assert flow.open_rating() and flow.screen is Screen.RATING
            assert not flow.type_number("1")  # a number starts with a letter
            for key in "p01":
                assert flow.type_number(key)
            assert not flow.type_number("x")
            assert not button(k.view, "submit_rating").enabled
            assert flow.type_number("7") and not flow.type_number("8")
            assert not button(k.view, "submit_rating").enabled  # no stars yet
            assert not flow.set_stars(6) and flow.set_stars(4)
            assert flow.toggle_tag("polite") and flow.toggle_tag("long_wait")
            assert flow.toggle_tag("quick") and flow.toggle_tag("long_wait")
            assert not flow.toggle_tag("rude")
            assert item(k.view, "stars-4").selected and item(k.view, "tag-quick").selected
            speaks_every_language(flow)
            assert await flow.submit_rating()
            assert k.ratings == [("P017", 4, ("polite", "quick"))]
            assert flow.screen is Screen.RATED
            speaks_every_language(flow)

    asyncio.run(visit())


@pytest.mark.parametrize(
    ("failure", "key"),
    [
        (RequestFailed("unknown_visit", "No visit P404 today."), "kiosk.rating.unknown_number"),
        (ConnectionLost("gone"), "kiosk.problem.away"),
        (RequestFailed("not_finished", "The visit is still waiting."), "error.not_finished"),
        (RequestFailed("made_up_code", "Something new."), "kiosk.problem.general"),
    ],
)
def test_a_rating_the_server_refuses_is_explained_and_kept(
    server: ServerProcess, failure: Exception, key: str
) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server, fail_rating=failure) as k:
            flow = k.flow
            flow.open_rating()
            assert flow.enter_number("p 404") and flow.set_stars(2)
            assert not await flow.submit_rating()
            assert flow.screen is Screen.RATING
            errors = [m.words for m in k.view.messages if m.level is Level.ERROR]
            assert errors == [Text(key)]
            assert flow.session.rating.number == "P404" and flow.session.rating.stars == 2

    asyncio.run(visit())


# ---------------------------------------------------------------------- the rules


def test_a_tap_the_screen_does_not_offer_does_nothing(server: ServerProcess) -> None:
    async def visit() -> None:
        async with at_the_kiosk(server) as k:
            flow = k.flow
            assert not await flow.print()
            assert not await flow.confirm()
            assert not flow.toggle_service("passport")
            assert not await flow.reprint()
            assert flow.screen is Screen.START and k.server.sent == []
            flow.choose_language("en")
            assert not flow.go_next()  # nothing chosen
            assert not await flow.check_in()
            assert flow.screen is Screen.SERVICES and k.server.sent == []

    asyncio.run(visit())


def test_every_button_of_every_screen_reached_is_a_move_its_screen_allows(
    server: ServerProcess,
) -> None:
    """The view never offers a tap the flow would ignore."""

    async def visit() -> None:
        async with at_the_kiosk(server) as k:
            seen: set[Screen] = set()

            def check() -> None:
                view = k.view
                seen.add(view.screen)
                verbs = {b.verb for b in (*view.buttons, *view.controls)}
                verbs |= {i.verb for i in view.items if i.verb}
                verbs |= {b.verb for i in view.items for b in i.buttons}
                if view.countdown:
                    verbs.add(view.countdown.button.verb)
                if view.entry:
                    verbs |= {view.entry.verb, view.entry.erase_verb}
                assert verbs <= MOVES[view.screen] | EVERYWHERE, view.screen

            check()
            k.flow.open_info()
            check()
            k.flow.go_back()
            k.flow.open_rating()
            check()
            k.flow.go_home()
            k.flow.choose_language("en")
            k.flow.toggle_service("passport")
            k.flow.toggle_service("collect")
            check()
            k.flow.go_next()
            check()
            k.flow.start_check_in()
            check()
            k.flow.go_back()
            await k.flow.confirm()
            check()
            k.printer.faults.append(PaperOut("printer"))
            await k.flow.print()
            check()
            k.clock.advance(15)
            k.flow.tick()
            check()
            assert seen >= {
                Screen.START,
                Screen.INFO,
                Screen.RATING,
                Screen.SERVICES,
                Screen.PRIORITY,
                Screen.CODE,
                Screen.CONFIRM,
                Screen.DONE,
            }

    asyncio.run(visit())


#: The controller's modules: the Kivy screens are written on top of them.
CONTROLLER = (
    "flow",
    "session",
    "timeouts",
    "presenter",
    "view",
    "wording",
    "lobby",
    "printing",
    "settings",
    "accessibility",
)


def test_the_controller_imports_no_kivy_and_reads_no_clock() -> None:
    for name in CONTROLLER:
        path = ROOT / "kiosk" / f"{name}.py"
        found = imported_modules(path)
        assert "kivy" not in found, name
        if name != "flow":  # the flow takes asyncio.sleep as its default wait
            assert "asyncio" not in found, name
        text = path.read_text(encoding="utf-8")
        for call in ("time.time(", "datetime.now(", "date.today(", "time.monotonic("):
            assert call not in text, f"{name} calls {call}: time comes in"


def test_docs_list_every_screen_and_every_move() -> None:
    doc = (ROOT / "docs" / "kiosk.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\|\s*`(\w+)`\s*\|[^|]*\|([^|]*)\|", doc, re.MULTILINE))
    for screen, moves in MOVES.items():
        assert screen.value in rows, f"docs/kiosk.md has no row for the screen {screen}"
        documented = set(re.findall(r"`(\w+)`", rows[screen.value]))
        assert documented == set(moves), f"{screen}: docs {documented} != code {set(moves)}"
    for verb in EVERYWHERE:
        assert f"`{verb}`" in doc


def test_settings_are_checked_and_every_problem_is_listed() -> None:
    with pytest.raises(SettingsError) as caught:
        KioskSettings.from_mapping(
            {
                "server_url": "http://example.invalid/ws",
                "division": "riga 1",
                "languages": ["en", "lv", "de"],
                "timeouts": {"warning": 10, "accessible_idle": 30},
                "volume": {"min_db": -12},
                "screen": {"lower_edge_mm": 1500},
                "colour": "blue",
            }
        )
    problems = "\n".join(caught.value.problems)
    for expected in (
        "server_url: must start with ws:// or wss://",
        "division: must be a division id",
        "device_token: missing",
        "languages: ['de'] are not shipped",
        "languages: Latvian (lv) comes first",
        "timeouts.warning: the warning must last at least 20 s",
        "timeouts.accessible_idle: must not be shorter than timeouts.idle",
        "volume: min_db to max_db must span at least 18 dB",
        "screen.lower_edge_mm: no part of the screen is 380-1220 mm above the floor",
        "unknown keys ['colour']",
    ):
        assert expected in problems


def test_settings_load_from_a_file_and_keep_the_token_out_of_sight(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        'server_url = "ws://127.0.0.1:8765/ws"\ndivision = "riga-1"\n'
        'device_token = "d1.not-a-real-token"\nlanguages = ["lv", "en"]\n'
        '[timeouts]\nidle = 45\n[printer]\nkind = "file"\n',
        encoding="utf-8",
    )
    settings = KioskSettings.load(path)
    assert settings.languages == ("lv", "en") and settings.timeouts.idle == 45
    assert settings.printer == {"kind": "file"}
    assert "not-a-real-token" not in repr(settings)
    path.write_text("server_url = \n", encoding="utf-8")
    with pytest.raises(SettingsError, match="not valid TOML"):
        KioskSettings.load(path)
