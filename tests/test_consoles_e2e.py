"""The consoles end to end: the real pages in headless Chromium against a real server,
with kiosk and display clients connected over the protocol, one scenario per test.

1. a multi-service visit served at two counters by two clerks, side by side;
2. a recall, a no-show, the visitor's return at the kiosk and the call again;
3. a transfer to another service and a named counter;
4. a refusal with a legal reason, a note and the complaint-right reminder;
5. an admin closes an idle counter and renames a service: the lobby hears it live;
6. a booking made in the admin console, checked in at the kiosk, called first;
7. a clerk cannot reach the admin console or the admin requests;
8. markup in a service's name stays text everywhere;
9. the visitor's status page follows a visit from issue to call.

Every outcome is checked on the pages and in the server: an admin's snapshot of the
division's state, or what the kiosk and display clients received.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from queue_server.client import RequestFailed, RindaClient
from tests.browser import (
    OFFICE,
    isolated_page,
    run,
    service_name,
    text,
)
from tests.conftest import TIMEOUT, at
from tests.serverkit import DIVISION, ServerProcess

WAIT_MS = TIMEOUT * 1000
PUBLIC_URL = "https://rinda.example.lv"
PHONE = {"width": 390, "height": 760}
XSS = "<img src=x onerror=\"document.title='pwned'\">"


# ------------------------------------------------------------------- fixtures


@pytest.fixture
def pages(browser: Any) -> Iterator[Callable[..., Any]]:
    """Opens pages, each in a browser context of its own; closes them afterwards."""
    opened: list[Any] = []

    def open_page(url: str, viewport: dict[str, int] | None = None) -> Any:
        page = isolated_page(browser, url, viewport)
        opened.append(page)
        return page

    yield open_page
    for page in opened:
        page.context.close()


class Lobby:
    """A kiosk and a display that stay connected (in a thread and event loop of their
    own) while the browser is driven, and record every message they receive."""

    def __init__(self, server: ServerProcess, *names: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.clients: dict[str, RindaClient] = {}
        self.seen: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
        self._tasks: list[asyncio.Task[None]] = []
        self._call(self._open(server, names))

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(TIMEOUT)

    async def _open(self, server: ServerProcess, names: tuple[str, ...]) -> None:
        for name in names:
            client = RindaClient(server.url, division=DIVISION, token=server.devices[name])
            await client.start()
            self.clients[name] = client
            self._tasks.append(asyncio.create_task(self._collect(name, client)))

    async def _collect(self, name: str, client: RindaClient) -> None:
        async for message in client.messages():
            self.seen[name].append(message)

    def request(self, name: str, kind: str, **fields: Any) -> dict[str, Any]:
        return self._call(self.clients[name].request(kind, **fields))

    def issue(self, key: str, services: list[str], **fields: Any) -> dict[str, Any]:
        return self.request("kiosk", "issue", key=key, services=services, **fields)["ticket"]

    def mark(self, name: str) -> int:
        """Where the messages from now on start (for ``wait_for(since=...)``)."""
        return len(self.seen[name])

    def wait_for(
        self, name: str, match: Callable[[dict[str, Any]], bool], since: int = 0
    ) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while True:
            for message in self.seen[name][since:]:
                if match(message):
                    return message
            if time.monotonic() > deadline:
                kinds = [m.get("event", {}).get("type", m["type"]) for m in self.seen[name]]
                raise AssertionError(f"{name} did not receive it; it got {kinds}")
            time.sleep(0.05)

    def events(self, name: str, kind: str) -> list[dict[str, Any]]:
        return [
            m["event"]
            for m in self.seen[name]
            if m["type"] == "event" and m["event"]["type"] == kind
        ]

    def close(self) -> None:
        async def close_all() -> None:
            for task in self._tasks:
                task.cancel()
            for client in self.clients.values():
                await client.close()

        self._call(close_all())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(TIMEOUT)
        self.loop.close()


@pytest.fixture
def lobby(server: ServerProcess) -> Iterator[Lobby]:
    connected = Lobby(server, "kiosk", "display")
    yield connected
    connected.close()


def event_of(kind: str, **fields: Any) -> Callable[[dict[str, Any]], bool]:
    """Matches an ``event`` message of ``kind`` whose event has these fields."""

    def match(message: dict[str, Any]) -> bool:
        event = message.get("event") or {}
        return (
            message["type"] == "event"
            and event.get("type") == kind
            and all(event.get(k) == v for k, v in fields.items())
        )

    return match


# ------------------------------------------------------------ server's state


def as_admin(server: ServerProcess, kind: str, **fields: Any) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with RindaClient(
            server.url, division=DIVISION, user="admin1", password=server.passwords["admin1"]
        ) as boss:
            return await boss.request(kind, **fields)

    return run(go())


def as_clerk(
    server: ServerProcess, counter: str, *requests: tuple[str, dict[str, Any]], user: str = "clerk2"
) -> list[dict[str, Any]]:
    """Requests of a clerk at ``counter`` over the protocol, in order."""

    async def go() -> list[dict[str, Any]]:
        async with RindaClient(
            server.url,
            division=DIVISION,
            user=user,
            password=server.passwords[user],
            counter=counter,
        ) as clerk:
            return [await clerk.request(kind, **fields) for kind, fields in requests]

    return run(go())


def snapshot(server: ServerProcess) -> dict[str, Any]:
    return as_admin(server, "snapshot")["snapshot"]


def visit(server: ServerProcess, number: str) -> dict[str, Any]:
    return next(v for v in snapshot(server)["state"]["visits"] if v["number"] == number)


def counter_state(server: ServerProcess, counter: str) -> dict[str, Any]:
    return next(c for c in snapshot(server)["state"]["counters"] if c["id"] == counter)


# --------------------------------------------------------------------- pages


def action(page: Any, act: str) -> Any:
    return page.locator(f'button.act[data-act="{act}"]')


def clerk_console(
    open_page: Callable[..., Any], server: ServerProcess, user: str, counter: str
) -> Any:
    """The clerk console logged in as ``user`` at ``counter``, the counter opened."""
    page = open_page(server.http + f"/clerk?division={DIVISION}&counter={counter}")
    expect(page.locator("#login-counter")).to_have_value(counter)
    page.fill("#login-user", user)
    page.fill("#login-password", server.passwords[user])
    page.press("#login-password", "Enter")
    expect(page.locator("#console")).to_be_visible(timeout=WAIT_MS)
    action(page, "open_close").click()
    expect(page.locator("#counter-status")).to_have_text(
        text("console.counter.status_open"), timeout=WAIT_MS
    )
    return page


def admin_console(
    open_page: Callable[..., Any], server: ServerProcess, user: str = "admin1"
) -> Any:
    page = open_page(server.http + f"/admin?division={DIVISION}")
    expect(page.locator("#login-division")).to_have_value(DIVISION)
    page.fill("#login-user", user)
    page.fill("#login-password", server.passwords[user])
    page.press("#login-password", "Enter")
    if user == "admin1":
        expect(page.locator("#console")).to_be_visible(timeout=WAIT_MS)
        expect(page.locator("#board-counters tbody tr")).not_to_have_count(0, timeout=WAIT_MS)
    return page


def admin_tab(page: Any, name: str) -> None:
    page.click(f'.tab[data-tab="{name}"]')
    expect(page.locator(f"#tab-{name}")).to_be_visible()


def rename_service(page: Any, service: str, names: dict[str, str]) -> None:
    """Configuration tab → the service's section: new names, saved."""
    admin_tab(page, "config")
    section = page.locator("details", has=page.locator("#service-form"))
    if section.get_attribute("open") is None:
        section.locator("summary").click()
    page.select_option("#service-pick", service)
    for lang, name in names.items():
        page.fill(f"#service-name-{lang}", name)
    page.locator("#service-form button[type=submit]").click()
    expect(page.locator("#notice")).to_have_text(
        "✓ " + text("admin.saved_service", service=names["lv"]), timeout=WAIT_MS
    )


def clean(*pages_: Any) -> None:
    for page in pages_:
        assert page.problems == [], page.problems
        assert page.dialogs == [], page.dialogs


# --------------------------------------------------------------------- tests


def test_1_a_two_service_visit_is_served_at_two_counters_by_two_clerks(
    pages: Callable[..., Any], server: ServerProcess, lobby: Lobby
) -> None:
    first = clerk_console(pages, server, "clerk1", "1")  # passport, collect
    second = clerk_console(pages, server, "clerk2", "6")  # residence, register, consultation
    number = lobby.issue("k1", ["passport", "residence"])["number"]

    action(first, "call_next").click()
    expect(first.locator("#visit-number")).to_have_text(number, timeout=WAIT_MS)
    now = first.locator("#visit-steps li[aria-current=step]")
    expect(now).to_contain_text(service_name("passport"))
    expect(first.locator("#visit-steps li")).to_have_count(2)
    action(first, "start").click()
    expect(first.locator("#visit-status")).to_have_text(
        text("console.visit.serving"), timeout=WAIT_MS
    )
    assert visit(server, number)["status"] == "serving"
    action(first, "finish").click()
    goes_on = text("console.done.next_service", number=number, service=service_name("residence"))
    expect(first.locator("#outcome")).to_have_text(goes_on, timeout=WAIT_MS)
    expect(first.locator("#visit-number")).to_have_text("—")
    between = visit(server, number)
    assert (between["status"], between["index"]) == ("waiting", 1)

    # Counter 6's console saw the visitor join its residence queue, live.
    expect(second.locator('#queues [data-service="residence"] .queue-count')).to_have_text(
        text("console.queue.waiting", count=1), timeout=WAIT_MS
    )
    # The clerk there calls that very number: the dialog lists who waits for counter 6.
    action(second, "call_number").click()
    dialog = second.locator("#dlg-call")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#call-waiting")).to_have_text(
        text("console.dialog.call_waiting", numbers=number)
    )
    dialog.locator("#call-number").fill(number)
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden(timeout=WAIT_MS)
    expect(second.locator("#visit-number")).to_have_text(number, timeout=WAIT_MS)
    expect(second.locator("#visit-steps li[aria-current=step]")).to_contain_text(
        service_name("residence")
    )
    expect(second.locator("#visit-steps li.step-done")).to_contain_text(service_name("passport"))
    action(second, "finish").click()
    expect(second.locator("#outcome")).to_have_text(
        text("console.done.finished", number=number), timeout=WAIT_MS
    )
    expect(second.locator("#visit-number")).to_have_text("—")

    done = visit(server, number)
    assert done["status"] == "done"
    steps = [(s["service"], s["counter"], s["outcome"]) for s in done["steps"]]
    assert steps == [("passport", "1", "served"), ("residence", "6", "served")]
    assert done["steps"][0]["started_at"] is not None
    assert done["steps"][0]["clerk"] != done["steps"][1]["clerk"]
    # The hall display announced the same number at both counters.
    lobby.wait_for("display", event_of("visit_called", number=number, counter="6"))
    calls = [(e["number"], e["counter"]) for e in lobby.events("display", "visit_called")]
    assert calls == [(number, "1"), (number, "6")]
    clean(first, second)


def test_2_a_recalled_no_show_returns_at_the_kiosk_and_is_called_again(
    pages: Callable[..., Any], server: ServerProcess, lobby: Lobby
) -> None:
    page = clerk_console(pages, server, "clerk1", "1")
    number = lobby.issue("k1", ["passport"])["number"]
    action(page, "call_next").click()
    expect(page.locator("#visit-number")).to_have_text(number, timeout=WAIT_MS)

    action(page, "recall").click()
    expect(page.locator("#outcome")).to_have_text(
        text("console.done.recalled", number=number), timeout=WAIT_MS
    )
    expect(page.locator("#visit-facts")).to_contain_text(text("console.visit.recalls", count=1))
    assert visit(server, number)["recalls"] == 1
    lobby.wait_for("display", event_of("visit_recalled", number=number, counter="1"))

    action(page, "no_show").click()
    expect(page.locator("#outcome")).to_have_text(
        text("console.done.no_show", number=number), timeout=WAIT_MS
    )
    expect(page.locator("#visit-number")).to_have_text("—")
    missed = visit(server, number)
    assert (missed["status"], missed["steps"][0]["outcome"]) == ("no_show", "no_show")
    assert counter_state(server, "1")["current"] is None

    # Within the grace period the visitor comes back to the kiosk.
    lobby.request("kiosk", "return_visit", number=number)
    back = visit(server, number)
    assert (back["status"], back["returned"]) == ("waiting", True)
    expect(page.locator('#queues [data-service="passport"] .queue-count')).to_have_text(
        text("console.queue.waiting", count=1), timeout=WAIT_MS
    )
    action(page, "call_next").click()
    expect(page.locator("#visit-number")).to_have_text(number, timeout=WAIT_MS)
    expect(page.locator("#outcome")).to_have_text(text("console.done.called", number=number))
    again = visit(server, number)
    assert (again["status"], again["counter"]) == ("called", "1")
    assert counter_state(server, "1")["current"] == number
    clean(page)


def test_3_a_transfer_to_another_service_at_a_named_counter(
    pages: Callable[..., Any], server: ServerProcess, lobby: Lobby
) -> None:
    page = clerk_console(pages, server, "clerk1", "1")
    number = lobby.issue("k1", ["passport"])["number"]
    action(page, "call_next").click()
    expect(page.locator("#visit-number")).to_have_text(number, timeout=WAIT_MS)

    action(page, "transfer").click()
    dialog = page.locator("#dlg-transfer")
    expect(dialog).to_be_visible()
    dialog.locator("#transfer-service").select_option("residence")
    dialog.locator("#transfer-counter").select_option("6")
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden(timeout=WAIT_MS)
    target = f"{service_name('residence')}, {text('console.done.transfer_counter', counter='6')}"
    expect(page.locator("#outcome")).to_have_text(
        text("console.done.transferred", number=number, target=target), timeout=WAIT_MS
    )
    expect(page.locator("#visit-number")).to_have_text("—")

    moved = visit(server, number)
    assert (moved["status"], moved["index"]) == ("waiting", 1)
    old, new = moved["steps"]
    assert (old["service"], old["counter"], old["outcome"]) == ("passport", "1", "transferred")
    assert (new["service"], new["counter_only"], new["outcome"]) == ("residence", "6", None)
    # Bound to counter 6: counter 3, which also serves residence, does not get it.
    with pytest.raises(RequestFailed) as refused:
        as_clerk(server, "3", ("open", {}), ("call_next", {}))
    assert refused.value.code == "queue_empty"
    [_, called] = as_clerk(server, "6", ("open", {}), ("call_next", {}))
    assert called["events"][0]["number"] == number
    clean(page)


def test_4_a_refusal_records_its_legal_reason_and_reminds_of_the_right_to_complain(
    pages: Callable[..., Any], server: ServerProcess, lobby: Lobby
) -> None:
    page = clerk_console(pages, server, "clerk1", "1")
    number = lobby.issue("k1", ["passport"])["number"]
    action(page, "call_next").click()
    expect(page.locator("#visit-number")).to_have_text(number, timeout=WAIT_MS)

    action(page, "refuse").click()
    dialog = page.locator("#dlg-refuse")
    expect(dialog).to_be_visible()
    options = dialog.locator("#refuse-reason option")
    expect(options).to_have_count(1 + len(OFFICE.refusal_reasons))
    reason = OFFICE.refusal_reasons["documents_incomplete"]["lv"]
    dialog.locator("#refuse-reason").select_option("documents_incomplete")
    expect(dialog.locator("#refuse-reason-text")).to_have_text(reason)
    contacts = OFFICE.contacts
    complaint = dialog.locator("#refuse-complaint")
    expect(complaint).to_be_visible()
    expect(complaint).to_have_text(
        text("complaint.right", address=contacts.address, email=contacts.email)
    )
    dialog.locator("#refuse-detail").fill("Trūkst dzimšanas apliecības.")
    dialog.locator("#refuse-told").check()
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden(timeout=WAIT_MS)
    expect(page.locator("#outcome")).to_have_text(
        text("console.done.refused", number=number), timeout=WAIT_MS
    )

    refused = visit(server, number)
    assert refused["status"] == "done"
    step = refused["steps"][0]
    assert (step["outcome"], step["reason"], step["detail"]) == (
        "refused",
        "documents_incomplete",
        "Trūkst dzimšanas apliecības.",
    )
    figure = page.locator("#figures .figure", has_text=text("console.figures.refused"))
    expect(figure.locator("dd")).to_have_text("1", timeout=WAIT_MS)
    clean(page)


def test_5_closing_a_counter_and_renaming_a_service_reach_the_lobby_live(
    pages: Callable[..., Any], server: ServerProcess, lobby: Lobby
) -> None:
    as_clerk(server, "2", ("open", {}))  # and the clerk walks away
    page = admin_console(pages, server)
    row = page.locator('#board-counters tr[data-counter="2"]')
    expect(row).to_have_attribute("data-status", "open", timeout=WAIT_MS)

    kiosk_mark, display_mark = lobby.mark("kiosk"), lobby.mark("display")
    row.get_by_role("button").click()
    page.click("#dlg-confirm-yes")
    expect(row).to_have_attribute("data-status", "closed", timeout=WAIT_MS)
    expect(page.locator("#notice")).to_contain_text(
        text("admin.board.closed", counter=text("console.counter_number", number=2))
    )
    assert counter_state(server, "2")["status"] == "closed"
    lobby.wait_for("kiosk", event_of("counter_closed", counter="2"), since=kiosk_mark)
    lobby.wait_for("display", event_of("counter_closed", counter="2"), since=display_mark)

    names = {"lv": "Pase vai eID karte", "en": "Passport or eID card"}
    kiosk_mark, display_mark = lobby.mark("kiosk"), lobby.mark("display")
    rename_service(page, "passport", names)
    expect(page.locator('#board-queues tr[data-service="passport"] th')).to_have_text(
        names["lv"], timeout=WAIT_MS
    )

    def renamed(message: dict[str, Any]) -> bool:
        if message["type"] != "snapshot":
            return False
        services = {s["id"]: s for s in message["division"]["services"]}
        return services["passport"]["name"].get("lv") == names["lv"]

    for name, mark in (("kiosk", kiosk_mark), ("display", display_mark)):
        fresh = lobby.wait_for(name, renamed, since=mark)
        passport = next(s for s in fresh["division"]["services"] if s["id"] == "passport")
        assert passport["name"]["en"] == names["en"]
        assert next(c for c in fresh["counters"] if c["id"] == "2")["status"] == "closed"
    info = next(s for s in snapshot(server)["division"]["services"] if s["id"] == "passport")
    assert info["name"]["lv"] == names["lv"] and info["name"]["en"] == names["en"]
    clean(page)


def test_6_a_booking_made_in_the_admin_console_is_checked_in_and_called_first(
    pages: Callable[..., Any], server: ServerProcess, lobby: Lobby
) -> None:
    admin = admin_console(pages, server)
    admin_tab(admin, "bookings")
    admin.check("#book-service-passport")
    expect(admin.locator("#book-day")).to_have_value("2026-11-30")
    admin.click("#book-find")
    # The clock started at 09:00: the 09:15 slot is today's next one, check-in is open
    # from 08:45 (30 minutes early).
    due = at("2026-11-30 09:15")
    slot = admin.locator(f'#book-slots input[type=radio][value="{due}"]')
    expect(slot).to_be_enabled(timeout=WAIT_MS)
    slot.check()
    admin.locator("#book-form button[type=submit]").click()
    code_box = admin.locator("#book-code")
    expect(code_box).to_be_visible(timeout=WAIT_MS)
    code = code_box.inner_text().strip()
    [booking] = [a for a in snapshot(server)["state"]["appointments"] if a["code"] == code]
    assert (booking["services"], booking["due"], booking["status"]) == (["passport"], due, "booked")

    clerk = clerk_console(pages, server, "clerk1", "1")
    walk_ins = [lobby.issue(f"w{i}", ["passport"])["number"] for i in (1, 2)]
    ticket = lobby.request("kiosk", "check_in", key="b1", code=code)["ticket"]
    booked = ticket["number"]
    assert (ticket["appointment"], ticket["due"]) == (code, due)
    row = admin.locator(f'#book-list tr[data-code="{code}"]')
    expect(row).to_have_attribute("data-status", "checked_in", timeout=WAIT_MS)
    expect(row).to_contain_text(text("admin.book.checked_in_as", number=booked))
    expect(clerk.locator('#queues [data-service="passport"] .queue-count')).to_have_text(
        text("console.queue.waiting", count=3), timeout=WAIT_MS
    )

    action(clerk, "call_next").click()
    expect(clerk.locator("#visit-number")).to_have_text(booked, timeout=WAIT_MS)
    expect(clerk.locator("#visit-facts")).to_contain_text(
        text("console.visit.appointment", code=code, time="09:15")
    )
    state = snapshot(server)["state"]
    by_number = {v["number"]: v for v in state["visits"]}
    assert by_number[booked]["status"] == "called"
    assert by_number[booked]["appointment"] == code
    assert [by_number[n]["status"] for n in walk_ins] == ["waiting", "waiting"]
    # Then the walk-ins, in their order of arrival.
    action(clerk, "finish").click()
    expect(clerk.locator("#visit-number")).to_have_text("—", timeout=WAIT_MS)
    action(clerk, "call_next").click()
    expect(clerk.locator("#visit-number")).to_have_text(walk_ins[0], timeout=WAIT_MS)
    clean(admin, clerk)


def test_7_a_clerk_cannot_reach_the_admin_console_or_admin_requests(
    pages: Callable[..., Any], server: ServerProcess
) -> None:
    page = admin_console(pages, server, user="clerk1")
    expect(page.locator("#login-error")).to_contain_text(
        text("admin.login.not_admin"), timeout=WAIT_MS
    )
    expect(page.locator("#console")).to_be_hidden()
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#login-password")).to_have_value("")

    before = snapshot(server)
    refused = {}
    for kind, fields in (
        ("configure_counter", {"counter": "1", "services": ["collect"]}),
        ("stats", {"period": "day", "start": "2026-11-30"}),
        ("audit", {}),
        ("add_user", {"username": "intruder"}),
    ):
        with pytest.raises(RequestFailed) as error:
            as_clerk(server, "1", (kind, fields), user="clerk1")
        refused[kind] = error.value.code
    assert set(refused.values()) == {"forbidden"}, refused
    after = snapshot(server)
    counter = next(c for c in after["division"]["counters"] if c["id"] == "1")
    assert counter["services"] == ["passport", "collect"]
    assert after["seq"] == before["seq"]  # nothing was recorded
    users = as_admin(server, "list_users")["users"]
    assert "intruder" not in {u["username"] for u in users}
    clean(page)


def test_8_markup_in_a_service_name_stays_text_in_the_consoles_and_the_lobby(
    pages: Callable[..., Any], server: ServerProcess, lobby: Lobby
) -> None:
    clerk = clerk_console(pages, server, "clerk1", "1")
    admin = admin_console(pages, server)
    titles = (clerk.title(), admin.title())
    marks = {name: lobby.mark(name) for name in ("kiosk", "display")}

    rename_service(admin, "passport", {"lv": XSS, "en": XSS})
    admin_tab(admin, "board")
    expect(admin.locator('#board-queues tr[data-service="passport"] th')).to_have_text(
        XSS, timeout=WAIT_MS
    )
    expect(clerk.locator('#queues [data-service="passport"] .queue-name')).to_have_text(
        XSS, timeout=WAIT_MS
    )
    number = lobby.issue("k1", ["passport"])["number"]
    action(clerk, "call_next").click()
    expect(clerk.locator("#visit-number")).to_have_text(number, timeout=WAIT_MS)
    expect(clerk.locator("#visit-steps .step-name").first).to_have_text(XSS)

    for page in (clerk, admin):
        expect(page.locator("body img")).to_have_count(0)
    clerk.wait_for_timeout(300)  # an injected image would have failed to load by now
    assert (clerk.title(), admin.title()) == titles
    assert "pwned" not in titles

    def carries(message: dict[str, Any]) -> bool:
        return message["type"] == "snapshot" and any(
            s["id"] == "passport" and s["name"].get("lv") == XSS
            for s in message["division"]["services"]
        )

    for name, mark in marks.items():
        lobby.wait_for(name, carries, since=mark)
    info = next(s for s in snapshot(server)["division"]["services"] if s["id"] == "passport")
    assert info["name"]["lv"] == XSS
    clean(clerk, admin)


def test_9_the_status_page_follows_a_visit_from_issue_to_call(
    pages: Callable[..., Any], tmp_path: Path
) -> None:
    with ServerProcess(tmp_path, extra=["--public-url", PUBLIC_URL]) as server:
        lobby = Lobby(server, "kiosk")
        try:
            clerk = clerk_console(pages, server, "clerk1", "1")
            before = lobby.issue("k1", ["passport"])["number"]
            ticket = lobby.issue("k2", ["passport"], lang="en")
            number = ticket["number"]
            link = urlsplit(ticket["status_url"])
            assert f"{link.scheme}://{link.netloc}" == PUBLIC_URL
            assert link.path.startswith(f"/v/{DIVISION}.{number}.")

            phone = pages(server.http + link.path, PHONE)
            expect(phone.locator("#number")).to_have_text(number, timeout=WAIT_MS)
            expect(phone.locator("#line")).to_contain_text(
                text("status_page.ahead", "en", count=1), timeout=WAIT_MS
            )
            expect(phone.locator("#steps li")).to_have_text(
                [f"{service_name('passport', 'en')} {text('status_page.current_step', 'en')}"]
            )

            action(clerk, "call_next").click()
            expect(clerk.locator("#visit-number")).to_have_text(before, timeout=WAIT_MS)
            expect(phone.locator("#line")).to_contain_text(
                text("status_page.next_in_line", "en"), timeout=WAIT_MS
            )
            action(clerk, "finish").click()
            expect(clerk.locator("#visit-number")).to_have_text("—", timeout=WAIT_MS)
            action(clerk, "call_next").click()
            expect(clerk.locator("#visit-number")).to_have_text(number, timeout=WAIT_MS)
            expect(phone.locator("#call")).to_have_text(
                text("status_page.called", "en", counter=1), timeout=WAIT_MS
            )
            called = visit(server, number)
            assert (called["status"], called["counter"]) == ("called", "1")
            scroll = phone.evaluate("() => document.documentElement.scrollWidth")
            assert scroll <= PHONE["width"], scroll
            clean(clerk, phone)
        finally:
            lobby.close()
