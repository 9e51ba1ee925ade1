"""The admin console in real headless Chromium against a real server: the live board
(counters, queues, kiosks and displays, alerts), configuration applied live, booking
by phone, statistics with charts and CSV, the audit trail, device tokens and clerk
passwords shown once, text that stays text, and a clerk's account refused.

Each outcome is checked on the page and in the server's state as an admin sees it
over the protocol.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from queue_server.client import RequestFailed, RindaClient
from tests.browser import (
    console_page,
    run,
    service_name,
    text,
)
from tests.conftest import TIMEOUT
from tests.serverkit import DIVISION, ServerProcess

WAIT_MS = TIMEOUT * 1000
#: Booking codes leave out the look-alikes 0/O, 1/I/L.
CODE = re.compile(r"^[A-HJKMNP-Z2-9]{6}$")
MARKUP = "<img src=x onerror=alert(1)>"


# ------------------------------------------------------------------- helpers


def admin(server: ServerProcess, type_: str, **fields: Any) -> dict[str, Any]:
    """One request as admin1, over the protocol."""

    async def go() -> dict[str, Any]:
        async with RindaClient(
            server.url, division=DIVISION, user="admin1", password=server.passwords["admin1"]
        ) as boss:
            return await boss.request(type_, **fields)

    return run(go())


def snapshot(server: ServerProcess) -> dict[str, Any]:
    return admin(server, "snapshot")["snapshot"]


def clerk(
    server: ServerProcess,
    *requests: tuple[str, dict[str, Any]],
    user: str = "clerk1",
    counter: str = "1",
) -> list[dict[str, Any]]:
    """Requests of a clerk at a counter, in order."""

    async def go() -> list[dict[str, Any]]:
        async with RindaClient(
            server.url,
            division=DIVISION,
            user=user,
            password=server.passwords[user],
            counter=counter,
        ) as c:
            return [await c.request(kind, **fields) for kind, fields in requests]

    return run(go())


def issue(server: ServerProcess, *services: list[str]) -> list[str]:
    async def go() -> list[str]:
        async with RindaClient(server.url, division=DIVISION, token=server.devices["kiosk"]) as k:
            return [
                (await k.request("issue", key=f"k{i}", services=s))["ticket"]["number"]
                for i, s in enumerate(services)
            ]

    return run(go())


@contextmanager
def connected(server: ServerProcess, *devices: str) -> Iterator[Callable[[Any], Any]]:
    """Kiosks and displays that stay connected (in a thread of their own) for the block.

    Yields ``call(lambda clients: coroutine)`` to act through them meanwhile.
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    clients: list[RindaClient] = []

    def call(make: Any) -> Any:
        async def go() -> Any:
            return await make(clients)

        return asyncio.run_coroutine_threadsafe(go(), loop).result(TIMEOUT)

    async def open_all(_: Any) -> None:
        for name in devices:
            client = RindaClient(server.url, division=DIVISION, token=server.devices[name])
            await client.__aenter__()
            clients.append(client)

    async def close_all(_: Any) -> None:
        for client in clients:
            await client.__aexit__(None, None, None)

    call(open_all)
    try:
        yield call
    finally:
        call(close_all)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(TIMEOUT)


def open_admin(browser: Any, server: ServerProcess, user: str = "admin1") -> Any:
    page = console_page(browser, server.http + f"/admin?division={DIVISION}")
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    expect(page.locator("#login-division")).to_have_value(DIVISION)
    page.fill("#login-user", user)
    page.fill("#login-password", server.passwords[user])
    page.press("#login-password", "Enter")
    if user == "admin1":
        expect(page.locator("#console")).to_be_visible(timeout=WAIT_MS)
        expect(page.locator("#board-counters tbody tr")).not_to_have_count(0, timeout=WAIT_MS)
    return page


def tab(page: Any, name: str) -> None:
    page.click(f'.tab[data-tab="{name}"]')
    expect(page.locator(f"#tab-{name}")).to_be_visible()


def counter_row(page: Any, counter: str) -> Any:
    return page.locator(f'#board-counters tr[data-counter="{counter}"]')


def device_id(server: ServerProcess, name: str) -> str:
    devices = admin(server, "list_devices")["devices"]
    return next(d["id"] for d in devices if d["name"] == name)


# --------------------------------------------------------------------- tests


def test_the_board_follows_counters_devices_and_a_printer_fault_live(
    browser: Any, server: ServerProcess, tmp_path: Path
) -> None:
    page = open_admin(browser, server)
    expect(counter_row(page, "1")).to_have_attribute("data-status", "closed")
    kiosk = page.locator(f'#board-devices tr[data-device="{device_id(server, "kiosk")}"]')
    display = page.locator(f'#board-devices tr[data-device="{device_id(server, "display")}"]')
    expect(kiosk).to_have_attribute("data-connected", "no", timeout=WAIT_MS)

    with connected(server, "kiosk", "display") as call:
        # Presence messages, not polling, bring these.
        expect(kiosk).to_have_attribute("data-connected", "yes", timeout=WAIT_MS)
        expect(display).to_have_attribute("data-connected", "yes", timeout=WAIT_MS)
        expect(kiosk).to_contain_text(text("admin.board.connected_yes"))

        clerk(server, ("open", {}))
        row = counter_row(page, "1")
        expect(row).to_have_attribute("data-status", "open", timeout=WAIT_MS)
        expect(row).to_contain_text(text("admin.status.open"))
        expect(row.locator(".clerk")).to_have_text("clerk1")
        issue(server, ["passport"], ["passport", "collect"])
        expect(page.locator('#board-queues tr[data-service="passport"] td').first).to_have_text(
            "2", timeout=WAIT_MS
        )
        [called] = clerk(server, ("call_next", {}))
        number = called["events"][0]["number"]
        expect(row.locator(".serving")).to_have_text(number, timeout=WAIT_MS)

        call(lambda clients: clients[0].request("printer_status", status="paper_out"))
        fault = text("admin.alert.printer_paper_out", kiosk="kiosk")
        expect(page.locator("#alerts")).to_contain_text(fault, timeout=WAIT_MS)
        expect(page.locator("#alerts .alert-printer .icon")).to_have_text("⚠")
        expect(kiosk).to_have_attribute("data-printer", "paper_out")
        expect(page.locator("#alert-count")).to_be_visible()
        page.screenshot(path=str(tmp_path / "console-admin-board.png"))

    expect(kiosk).to_have_attribute("data-connected", "no", timeout=WAIT_MS)
    expect(display).to_have_attribute("data-connected", "no", timeout=WAIT_MS)
    state = snapshot(server)["state"]
    assert state["printers"][device_id(server, "kiosk")] == "paper_out"
    assert next(c for c in state["counters"] if c["id"] == "1")["current"] == number
    assert page.problems == []


def test_a_manager_alert_is_shown_in_words_and_answered_from_the_board(
    browser: Any, server: ServerProcess
) -> None:
    page = open_admin(browser, server)
    clerk(server, ("open", {}), ("alert_manager", {"note": MARKUP}), counter="3")
    alert = page.locator("#alerts .alert-manager")
    expect(alert).to_contain_text(text("admin.alert.label"), timeout=WAIT_MS)
    expect(alert).to_contain_text(text("console.counter_number", number=3))
    expect(alert).to_contain_text("clerk1")
    # The clerk's note is text: no image element, no script run.
    expect(alert.locator(".alert-note")).to_have_text(text("admin.alert.note", note=MARKUP))
    expect(page.locator("#alerts img")).to_have_count(0)
    assert snapshot(server)["state"]["alerts"][0]["counter"] == "3"

    alert.get_by_role("button").click()
    expect(page.locator("#alerts .alert-manager")).to_have_count(0, timeout=WAIT_MS)
    expect(page.locator("#notice")).to_contain_text(
        text("admin.alert.answered", counter=text("console.counter_number", number=3))
    )
    assert snapshot(server)["state"]["alerts"] == []
    assert page.dialogs == [] and page.problems == []


def test_an_idle_counter_left_open_is_closed_from_the_board(
    browser: Any, server: ServerProcess
) -> None:
    page = open_admin(browser, server)
    clerk(server, ("open", {}), counter="2")
    row = counter_row(page, "2")
    expect(row).to_have_attribute("data-status", "open", timeout=WAIT_MS)
    row.get_by_role("button").click()
    page.click("#dlg-confirm-yes")
    expect(row).to_have_attribute("data-status", "closed", timeout=WAIT_MS)
    state = snapshot(server)["state"]
    assert next(c for c in state["counters"] if c["id"] == "2")["status"] == "closed"


def test_a_counters_services_order_accessibility_and_note_apply_live(
    browser: Any, server: ServerProcess
) -> None:
    page = open_admin(browser, server)
    # Keyboard: from the board's tab to the configuration with the arrow key and Enter.
    page.focus('.tab[data-tab="board"]')
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(page.locator("#tab-config")).to_be_visible()
    page.select_option("#counter-pick", "2")
    services = page.locator("#counter-services li")
    expect(services).to_have_count(2)
    collect = service_name("collect")
    page.get_by_role("button", name=text("admin.counter.up", service=collect)).click()
    page.select_option("#counter-add-service", "residence")
    page.click("#counter-add")
    page.check("#access-hearing_loop")
    page.fill("#counter-note-lv", "Lodziņš pie loga")
    page.fill("#counter-note-en", "By the window")
    page.locator("#counter-form button[type=submit]").click()
    expect(page.locator("#notice")).to_contain_text(
        text("admin.saved_counter", counter=text("console.counter_number", number=2)),
        timeout=WAIT_MS,
    )
    info = next(c for c in snapshot(server)["division"]["counters"] if c["id"] == "2")
    assert info["services"] == ["collect", "passport", "residence"]
    assert "hearing_loop" in info["accessibility"]
    assert info["note"]["lv"] == "Lodziņš pie loga" and info["note"]["en"] == "By the window"
    # The page took the new configuration from the server's fresh snapshot.
    expect(services.first).to_have_attribute("data-service", "collect", timeout=WAIT_MS)
    expect(services).to_have_count(3)

    # A change the server refuses is explained in plain words and changes nothing.
    page.locator("#tab-config summary").nth(2).click()
    page.fill("#hours-day", "2026-12-30")
    page.fill("#hours-open", "15:00")
    page.fill("#hours-close", "09:00")
    page.locator("#hours-form button[type=submit]").click()
    problem = page.locator("#hours-form .form-problem")
    expect(problem).to_contain_text(text("error.invalid_hours"), timeout=WAIT_MS)
    assert snapshot(server)["state"]["exceptions"] == []
    assert page.problems == []


def test_a_service_named_like_markup_stays_text_everywhere(
    browser: Any, server: ServerProcess
) -> None:
    page = open_admin(browser, server)
    admin(
        server,
        "configure_service",
        service="passport",
        name={"lv": MARKUP, "en": "<script>alert(1)</script>"},
    )
    row = page.locator('#board-queues tr[data-service="passport"] th')
    expect(row).to_have_text(MARKUP, timeout=WAIT_MS)
    page.select_option("#lang", "en")
    expect(row).to_have_text("<script>alert(1)</script>", timeout=WAIT_MS)
    tab(page, "bookings")
    expect(page.locator('label[for="book-service-passport"]')).to_contain_text(
        "<script>alert(1)</script>"
    )
    # An hours exception's note, typed on the page, is shown as text too.
    tab(page, "config")
    page.locator("#tab-config summary").nth(2).click()
    page.fill("#hours-day", "2026-12-31")
    page.fill("#hours-open", "08:00")
    page.fill("#hours-close", "14:00")
    page.fill("#hours-note", "<b>Vecgada vakars</b>")
    page.locator("#hours-form button[type=submit]").click()
    cell = page.locator('#hours-list tr[data-day="2026-12-31"]')
    expect(cell).to_contain_text("<b>Vecgada vakars</b>", timeout=WAIT_MS)
    expect(cell).to_contain_text("08:00–14:00")
    expect(page.locator("#tab-config img, #tab-config b, #tab-board img")).to_have_count(0)
    [exception] = snapshot(server)["state"]["exceptions"]
    assert exception == {
        "day": "2026-12-31",
        "open_min": 480,
        "close_min": 840,
        "note": "<b>Vecgada vakars</b>",
    }
    cell.get_by_role("button").click()
    expect(cell).to_have_count(0, timeout=WAIT_MS)
    assert snapshot(server)["state"]["exceptions"] == []
    assert page.dialogs == [] and page.problems == []


def test_a_caller_is_booked_into_a_free_slot_moved_and_cancelled(
    browser: Any, server: ServerProcess
) -> None:
    page = open_admin(browser, server)
    tab(page, "bookings")
    page.check("#book-service-passport")
    page.fill("#book-day", "2026-12-01")
    page.click("#book-find")
    slots = page.locator("#book-slots input[type=radio]:not([disabled])")
    expect(slots.first).to_be_visible(timeout=WAIT_MS)
    due = int(slots.first.get_attribute("value"))
    slots.first.check()
    page.fill("#book-name", "Jānis Bērziņš")
    page.fill("#book-phone", "+371 20000000")
    page.locator("#book-form button[type=submit]").click()
    code_box = page.locator("#book-code")
    expect(code_box).to_be_visible(timeout=WAIT_MS)
    code = code_box.inner_text().strip()
    assert CODE.match(code), code
    # The caller's details leave the form once booked.
    expect(page.locator("#book-name")).to_have_value("")
    [booking] = [a for a in snapshot(server)["state"]["appointments"] if a["code"] == code]
    assert booking["services"] == ["passport"] and booking["due"] == due
    assert admin(server, "booking_contact", code=code)["name"] == "Jānis Bērziņš"

    row = page.locator(f'#book-list tr[data-code="{code}"]')
    expect(row).to_be_visible(timeout=WAIT_MS)
    row.get_by_role("button", name=text("admin.book.contact_label", code=code)).click()
    expect(row.locator(".contact")).to_have_text("Jānis Bērziņš · +371 20000000", timeout=WAIT_MS)

    row.get_by_role("button", name=text("admin.book.move_label", code=code)).click()
    page.click("#move-find")
    later = page.locator("#move-slots input[type=radio]:not([disabled])").nth(2)
    expect(later).to_be_visible(timeout=WAIT_MS)
    new_due = int(later.get_attribute("value"))
    later.check()
    page.locator("#move-form button[type=submit]").click()
    expect(page.locator("#dlg-move")).to_be_hidden(timeout=WAIT_MS)
    [moved] = [a for a in snapshot(server)["state"]["appointments"] if a["code"] == code]
    assert moved["due"] == new_due != due

    row.get_by_role("button", name=text("admin.book.cancel_label", code=code)).click()
    page.click("#dlg-confirm-yes")
    expect(row).to_have_attribute("data-status", "cancelled", timeout=WAIT_MS)
    [gone] = [a for a in snapshot(server)["state"]["appointments"] if a["code"] == code]
    assert gone["status"] == "cancelled"
    assert page.problems == []


def statistics_of_a_day(browser: Any, server: ServerProcess) -> Any:
    """The statistics tab of the server's day after three visits (served, refused,
    referred): the picture of docs/consoles.md (scripts/console_screenshots.py)."""
    clerk(server, ("open", {}))
    issue(server, ["passport"], ["passport"], ["passport"])
    clerk(
        server,
        ("call_next", {}),
        ("finish", {}),
        ("call_next", {}),
        ("finish", {"outcome": "refused", "reason": "fee_not_paid"}),
        ("call_next", {}),
        ("finish", {"outcome": "referred", "referral": '=HYPERLINK("http://x")'}),
    )
    page = open_admin(browser, server)
    tab(page, "stats")
    expect(page.locator("#stats-start")).to_have_value("2026-11-30")
    page.locator("#stats-form button[type=submit]").click()
    services = page.locator('[data-table="services"]')
    expect(services).to_be_visible(timeout=WAIT_MS)
    expect(services.locator("tbody tr").first).to_contain_text(service_name("passport"))
    expect(page.locator(".verdict")).to_be_visible()
    expect(page.locator(".chart svg").first).to_be_visible()
    expect(page.locator('[data-table="refusals"]')).to_contain_text(
        text("console.reason.fee_not_paid")
    )
    return page


def test_statistics_of_the_day_render_with_charts_and_every_table_downloads_as_csv(
    browser: Any, server: ServerProcess, tmp_path: Path
) -> None:
    page = statistics_of_a_day(browser, server)
    page.screenshot(path=str(tmp_path / "console-admin-statistics.png"), full_page=True)

    server_tables = admin(server, "stats", period="day", start="2026-11-30")["tables"]

    def download(name: str) -> list[list[str]]:
        with page.expect_download() as found:
            page.click(f'button[data-csv="{name}"]')
        body = Path(found.value.path()).read_text(encoding="utf-8-sig")
        assert found.value.suggested_filename.endswith(f"-{name}.csv")
        return list(csv.reader(io.StringIO(body)))

    rows = download("services")
    assert rows[0] == server_tables["services"]["columns"]
    passport = next(r for r in rows[1:] if r[0] == "passport")
    assert passport[rows[0].index("visits")] == "3"
    assert passport[rows[0].index("served")] == "1"
    assert download("refusals")[1][:2] == ["fee_not_paid", "1"]
    # A cell a spreadsheet would run as a formula is defused with a leading quote.
    referral = download("referrals")[1][0]
    assert referral == '\'=HYPERLINK("http://x")'
    # Every table the server sends has its CSV button and its rows on the page...
    for name, table in server_tables.items():
        expect(page.locator(f'button[data-csv="{name}"]')).to_have_count(1)
        shown = page.locator(f'[data-table="{name}"] tbody tr')
        expect(shown).to_have_count(max(1, len(table["rows"])))
    # ...and downloads whole (headless Chromium stops a page after ten downloads).
    for name in ("summary", "days", "counters", "clerks"):
        assert len(download(name)) == 1 + len(server_tables[name]["rows"]), name
    assert page.problems == []


def test_the_audit_trail_names_the_clerk_who_called(browser: Any, server: ServerProcess) -> None:
    clerk(server, ("open", {}))
    [number] = issue(server, ["passport"])
    clerk(server, ("call_next", {}))
    page = open_admin(browser, server)
    tab(page, "audit")
    page.fill("#audit-number", number)
    page.select_option("#audit-type", "visit_called")
    page.locator("#audit-form button[type=submit]").click()
    rows = page.locator("#audit-list tbody tr")
    expect(rows).to_have_count(1, timeout=WAIT_MS)
    expect(rows.first.locator(".who")).to_contain_text("clerk1")
    expect(rows.first).to_contain_text(text("admin.event.visit_called"))
    expect(rows.first).to_contain_text("2026-11-30")
    # By the actor's user name: the clerk's actions only.
    page.fill("#audit-number", "")
    page.select_option("#audit-type", "")
    page.fill("#audit-actor", "clerk1")
    page.locator("#audit-form button[type=submit]").click()
    expect(page.locator('#audit-list tr[data-type="counter_opened"]')).to_have_count(
        1, timeout=WAIT_MS
    )
    expect(page.locator('#audit-list tr[data-type="visit_issued"]')).to_have_count(0)
    assert page.problems == []


def test_devices_and_clerk_accounts_show_their_secret_once_and_take_effect(
    browser: Any, server: ServerProcess
) -> None:
    page = open_admin(browser, server)
    tab(page, "config")
    page.locator("#devices-section summary").click()
    page.select_option("#device-kind", "display")
    page.fill("#device-name", "Zāles ekrāns")
    page.locator("#device-form button[type=submit]").click()
    secret = page.locator("#dlg-secret-value")
    expect(page.locator("#dlg-secret")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#dlg-secret-note")).to_have_text(text("admin.secret.note"))
    token = secret.input_value()
    page.click("#dlg-secret-done")
    expect(secret).to_have_value("")  # not kept in the page

    async def hello(**credentials: Any) -> str:
        async with RindaClient(server.url, division=DIVISION, reconnect=False, **credentials) as c:
            return c.welcome["role"]

    assert run(hello(token=token)) == "display"
    row = page.locator("#devices-list tr", has_text="Zāles ekrāns")
    expect(row).to_be_visible(timeout=WAIT_MS)
    row.get_by_role("button").click()
    page.click("#dlg-confirm-yes")
    expect(row).to_contain_text(text("admin.devices.revoked"), timeout=WAIT_MS)
    with pytest.raises(RequestFailed):
        run(hello(token=token))

    page.locator("#users-section summary").click()
    page.fill("#user-name", "ilze")
    page.locator("#user-form button[type=submit]").click()
    expect(page.locator("#dlg-secret")).to_be_visible(timeout=WAIT_MS)
    password = secret.input_value()
    page.click("#dlg-secret-done")
    assert run(hello(user="ilze", password=password, counter="1")) == "clerk"
    user_row = page.locator('#users-list tr[data-user="ilze"]')
    user_row.get_by_role("button", name=text("admin.users.reset_label", user="ilze")).click()
    page.click("#dlg-confirm-yes")
    expect(page.locator("#dlg-secret")).to_be_visible(timeout=WAIT_MS)
    new_password = secret.input_value()
    page.click("#dlg-secret-done")
    assert new_password != password
    assert run(hello(user="ilze", password=new_password, counter="1")) == "clerk"
    user_row.get_by_role("button", name=text("admin.users.disable_label", user="ilze")).click()
    page.click("#dlg-confirm-yes")
    expect(user_row).to_contain_text(text("admin.users.disabled"), timeout=WAIT_MS)
    with pytest.raises(RequestFailed):
        run(hello(user="ilze", password=new_password, counter="1"))
    stored = page.evaluate("() => JSON.stringify([localStorage, sessionStorage])")
    assert token not in stored and new_password not in stored
    assert page.problems == []


def test_a_clerks_account_is_refused_in_plain_words(browser: Any, server: ServerProcess) -> None:
    page = open_admin(browser, server, user="clerk1")
    expect(page.locator("#login-error")).to_contain_text(
        text("admin.login.not_admin"), timeout=WAIT_MS
    )
    expect(page.locator("#console")).to_be_hidden()
    # The server, not the page, is what stops a clerk: every admin request is forbidden.
    refused = []
    for kind, fields in (
        ("close_counter", {"counter": "2"}),
        ("configure_counter", {"counter": "1", "services": ["passport"]}),
        ("stats", {"period": "day", "start": "2026-11-30"}),
        ("list_users", {}),
    ):
        try:
            clerk(server, (kind, fields))
        except RequestFailed as error:
            refused.append(error.code)
    assert refused == ["forbidden"] * 4


def test_the_console_logs_in_again_with_its_session_after_a_restart(
    browser: Any, server: ServerProcess
) -> None:
    page = open_admin(browser, server)
    server.restart()
    expect(page.locator("#link")).to_have_text(text("console.connected"), timeout=WAIT_MS * 2)
    clerk(server, ("open", {}), counter="5")
    expect(counter_row(page, "5")).to_have_attribute("data-status", "open", timeout=WAIT_MS)
    stored = page.evaluate("() => JSON.stringify([localStorage, sessionStorage])")
    assert server.passwords["admin1"] not in stored and "session" not in stored
    page.click("#logout")
    expect(page.locator("#login-error")).to_have_text(text("console.logged_out"), timeout=WAIT_MS)
    # Chromium logs the refused reconnects while the server was down; nothing else.
    assert [p for p in page.problems if "ERR_CONNECTION_REFUSED" not in p] == []
