"""The clerk console in real headless Chromium against a real server: logging in,
calling and serving, refusing with a reason, undoing, transferring, a no-show,
keyboard shortcuts, text that stays text, a server restart mid-visit, and the
page's own hygiene (no inline script, nothing secret in storage or URLs).

Each outcome is checked twice: on the page, and in the server's state as an admin
sees it over the protocol.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from queue_server.client import RindaClient
from tests.browser import (
    OFFICE,
    console_page,
    run,
    service_name,
    text,
)
from tests.conftest import TIMEOUT
from tests.serverkit import DIVISION, ServerProcess

WAIT_MS = TIMEOUT * 1000
#: Counter 1 of riga-1 serves passport, then collect.
COUNTER = "1"


# ------------------------------------------------------------------- helpers


def issue(server: ServerProcess, *tickets: tuple[str, list[str]], **fields: Any) -> list[str]:
    """Kiosk tickets: (key, services) each; returns their numbers."""

    async def go() -> list[str]:
        async with RindaClient(server.url, division=DIVISION, token=server.devices["kiosk"]) as k:
            numbers = []
            for key, services in tickets:
                reply = await k.request("issue", key=key, services=services, **fields)
                numbers.append(reply["ticket"]["number"])
            return numbers

    return run(go())


def staff_state(server: ServerProcess) -> dict[str, Any]:
    """The division as the core keeps it, from an admin's snapshot."""

    async def go() -> dict[str, Any]:
        async with RindaClient(
            server.url, division=DIVISION, user="admin1", password=server.passwords["admin1"]
        ) as boss:
            reply = await boss.request("snapshot")
            return reply["snapshot"]["state"]

    return run(go())


def visit(server: ServerProcess, number: str) -> dict[str, Any]:
    return next(v for v in staff_state(server)["visits"] if v["number"] == number)


def counter(server: ServerProcess, counter_id: str = COUNTER) -> dict[str, Any]:
    return next(c for c in staff_state(server)["counters"] if c["id"] == counter_id)


def open_console(browser: Any, server: ServerProcess, user: str = "clerk1") -> Any:
    """The console logged in at counter 1 of riga-1, the counter opened."""
    page = console_page(browser, server.http + f"/clerk?division={DIVISION}")
    log_in(page, server, user)
    press(page, "o", "open_close")
    expect(page.locator("#counter-status")).to_have_text(
        text("console.counter.status_open"), timeout=WAIT_MS
    )
    return page


def log_in(page: Any, server: ServerProcess, user: str = "clerk1", password: str = "") -> None:
    expect(page.locator("#login-division")).to_have_value(DIVISION)
    page.fill("#login-counter", COUNTER)
    page.fill("#login-user", user)
    page.fill("#login-password", password or server.passwords[user])
    page.press("#login-password", "Enter")
    if not password:
        expect(page.locator("#console")).to_be_visible(timeout=WAIT_MS)


def action(page: Any, act: str) -> Any:
    return page.locator(f'button.act[data-act="{act}"]')


def press(page: Any, key: str, act: str) -> None:
    """Press an action's shortcut once its button can apply (the page body has focus)."""
    expect(action(page, act)).to_be_enabled(timeout=WAIT_MS)
    page.locator("#visit-heading").click()  # focus out of any field: shortcuts apply
    page.keyboard.press(key)


# --------------------------------------------------------------------- tests


def test_a_two_service_visit_is_called_served_and_sent_on_to_its_next_service(
    browser: Any, server: ServerProcess
) -> None:
    page = open_console(browser, server)
    [number] = issue(server, ("k1", ["passport", "collect"]), priority="elderly", lang="en")
    action(page, "call_next").click()
    expect(page.locator("#visit-number")).to_have_text(number, timeout=WAIT_MS)
    expect(page.locator("#call")).to_have_attribute("aria-live", "polite")
    now = page.locator("#visit-steps li[aria-current=step]")
    expect(now).to_contain_text(service_name("passport"))
    expect(page.locator("#visit-steps li")).to_have_count(2)
    expect(page.locator("#visit-facts")).to_contain_text(OFFICE.priorities["elderly"].label["lv"])
    assert counter(server)["current"] == number

    press(page, "s", "start")
    expect(page.locator("#visit-status")).to_have_text(text("console.visit.serving"))
    assert visit(server, number)["status"] == "serving"

    press(page, "f", "finish")
    goes_on = text("console.done.next_service", number=number, service=service_name("collect"))
    expect(page.locator("#outcome")).to_have_text(goes_on, timeout=WAIT_MS)
    expect(page.locator("#visit-number")).to_have_text("—")
    state = visit(server, number)
    assert (state["status"], state["index"]) == ("waiting", 1)
    assert state["steps"][0]["outcome"] == "served"

    # Counter 1 serves collecting too: the same visitor is called for their second service.
    press(page, "n", "call_next")
    expect(page.locator("#visit-number")).to_have_text(number, timeout=WAIT_MS)
    expect(now).to_contain_text(service_name("collect"))
    press(page, "f", "finish")
    expect(page.locator("#outcome")).to_have_text(
        text("console.done.finished", number=number), timeout=WAIT_MS
    )
    assert visit(server, number)["status"] == "done"
    served = page.locator("#figures .figure").first
    expect(served).to_contain_text(text("console.figures.served"), timeout=WAIT_MS)
    expect(served.locator("dd")).to_have_text("2", timeout=WAIT_MS)
    assert page.problems == []


def test_a_refusal_takes_a_legal_reason_reminds_of_the_complaint_right_and_can_be_undone(
    browser: Any, server: ServerProcess
) -> None:
    page = open_console(browser, server)
    [number] = issue(server, ("k1", ["passport"]))
    press(page, "n", "call_next")
    expect(page.locator("#visit-number")).to_have_text(number, timeout=WAIT_MS)

    press(page, "x", "refuse")
    dialog = page.locator("#dlg-refuse")
    expect(dialog).to_be_visible()
    contacts = OFFICE.contacts
    complaint = text("complaint.right", address=contacts.address, email=contacts.email)
    expect(dialog.locator("#refuse-complaint")).to_have_text(complaint)
    expect(dialog.locator("#refuse-reason option")).to_have_count(1 + len(OFFICE.refusal_reasons))
    problem = dialog.locator(".dlg-problem")

    # Without saying it was told, the page asks for it; without a reason, the server refuses.
    dialog.locator("button[type=submit]").click()
    expect(problem).to_contain_text(text("console.dialog.refuse_need_told"))
    dialog.locator("#refuse-told").check()
    dialog.locator("button[type=submit]").click()
    expect(problem).to_contain_text(text("error.reason_required"), timeout=WAIT_MS)
    expect(problem).to_contain_text("A refusal needs its legal reason.")
    assert visit(server, number)["status"] == "called"

    reason = OFFICE.refusal_reasons["fee_not_paid"]["lv"]
    dialog.locator("#refuse-reason").select_option("fee_not_paid")
    expect(dialog.locator("#refuse-reason-text")).to_have_text(reason)
    dialog.locator("#refuse-detail").fill("Maksās internetā.")
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden(timeout=WAIT_MS)
    expect(page.locator("#outcome")).to_have_text(
        text("console.done.refused", number=number), timeout=WAIT_MS
    )
    step = visit(server, number)["steps"][0]
    assert (step["outcome"], step["reason"], step["detail"]) == (
        "refused",
        "fee_not_paid",
        "Maksās internetā.",
    )

    # Undo shows the seconds left, and puts the visit back at the counter.
    expect(page.locator("#undo-label")).to_have_text(re.compile(r"\(\d+ s\)"), timeout=WAIT_MS)
    press(page, "u", "undo")
    expect(page.locator("#visit-number")).to_have_text(number, timeout=WAIT_MS)
    expect(page.locator("#outcome")).to_contain_text(text("console.undo_action.finish"))
    state = visit(server, number)
    assert (state["status"], state["steps"][0]["outcome"]) == ("called", None)
    assert counter(server)["current"] == number
    # Nothing left to undo: the button says so by being disabled.
    expect(action(page, "undo")).to_be_disabled()
    assert page.problems == []


def test_transfer_no_show_and_calling_a_number_back(browser: Any, server: ServerProcess) -> None:
    page = open_console(browser, server)
    first, second = issue(server, ("k1", ["passport"]), ("k2", ["passport"]))
    press(page, "n", "call_next")
    expect(page.locator("#visit-number")).to_have_text(first, timeout=WAIT_MS)

    press(page, "t", "transfer")
    dialog = page.locator("#dlg-transfer")
    dialog.locator("#transfer-service").select_option("residence")
    dialog.locator("#transfer-counter").select_option("3")
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden(timeout=WAIT_MS)
    target = f"{service_name('residence')}, {text('console.done.transfer_counter', counter='3')}"
    expect(page.locator("#outcome")).to_have_text(
        text("console.done.transferred", number=first, target=target), timeout=WAIT_MS
    )
    moved = visit(server, first)
    now = moved["steps"][moved["index"]]
    assert (moved["status"], now["service"], now["counter_only"]) == ("waiting", "residence", "3")

    press(page, "n", "call_next")
    expect(page.locator("#visit-number")).to_have_text(second, timeout=WAIT_MS)
    press(page, "m", "no_show")
    expect(page.locator("#outcome")).to_have_text(
        text("console.done.no_show", number=second), timeout=WAIT_MS
    )
    assert visit(server, second)["status"] == "no_show"
    expect(page.locator("#visit-number")).to_have_text("—")

    # The visitor comes back: the clerk calls the number (a returned no-show).
    press(page, "c", "call_number")
    dialog = page.locator("#dlg-call")
    expect(dialog.locator("#call-number")).to_be_focused()
    page.keyboard.type(second.lower())
    page.keyboard.press("Enter")
    expect(page.locator("#visit-number")).to_have_text(second, timeout=WAIT_MS)
    assert visit(server, second)["status"] == "called"

    # A refused call is explained in the dialog, in plain words.
    press(page, "m", "no_show")
    expect(page.locator("#visit-number")).to_have_text("—", timeout=WAIT_MS)
    press(page, "c", "call_number")
    page.keyboard.type("Z999")
    page.keyboard.press("Enter")
    problem = dialog.locator(".dlg-problem")
    expect(problem).to_contain_text(text("error.unknown_visit"), timeout=WAIT_MS)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.problems == []


def test_buttons_that_cannot_apply_are_disabled_and_the_server_explains_refusals(
    browser: Any, server: ServerProcess
) -> None:
    page = open_console(browser, server)
    for act in ("recall", "no_show", "start", "finish", "transfer", "refuse", "undo"):
        expect(action(page, act)).to_be_disabled()
    for act, key in (("call_next", "N"), ("finish", "F"), ("undo", "U")):
        expect(action(page, act)).to_have_attribute("aria-keyshortcuts", key)
        expect(action(page, act).locator("kbd")).to_have_text(key)
    # Nobody is waiting: the server refuses, and the page says why.
    press(page, "n", "call_next")
    expect(page.locator("#problem-text")).to_have_text(text("error.queue_empty"), timeout=WAIT_MS)
    expect(page.locator("#problem-detail")).to_contain_text("Nobody is waiting")
    # The whole console is reachable with the keyboard.
    page.locator("#problem-close").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#problem")).to_be_hidden()
    assert page.problems == []


def test_a_wrong_password_is_refused_in_plain_words(browser: Any, server: ServerProcess) -> None:
    page = console_page(browser, server.http + f"/clerk?division={DIVISION}")
    log_in(page, server, password="not-the-password")
    error = page.locator("#login-error")
    expect(error).to_contain_text(text("console.error.auth_failed"), timeout=WAIT_MS)
    expect(error).to_contain_text("The credentials are not valid.")
    expect(page.locator("#console")).to_be_hidden()
    expect(page.locator("#login-password")).to_have_value("")
    assert "not-the-password" not in page.url


def test_configured_text_stays_text(browser: Any, tmp_path: Path) -> None:
    hostile = '<script>document.title="owned"</script><img src=x onerror="document.title=1">'
    config = tmp_path / "hostile.toml"
    config.write_text(
        'extends = "default"\n'
        "[services.passport.name]\n"
        f"lv = {json.dumps(hostile)}\nen = {json.dumps(hostile)}\n"
        f"ru = {json.dumps(hostile)}\nuk = {json.dumps(hostile)}\n",
        encoding="utf-8",
    )
    with ServerProcess(tmp_path, extra=["--config", str(config)]) as server:
        page = open_console(browser, server)
        issue(server, ("k1", ["passport"]))
        press(page, "n", "call_next")
        step = page.locator("#visit-steps .step-name").first
        expect(step).to_have_text(hostile, timeout=WAIT_MS)
        expect(page.locator("#queues .queue-name").first).to_have_text(hostile)
        assert page.locator("main img, main script, dialog img").count() == 0
        assert page.title() != "owned" and page.title() != "1"
        assert page.problems == []


def test_the_console_survives_a_server_restart_mid_visit(
    browser: Any, server: ServerProcess
) -> None:
    page = open_console(browser, server)
    [number] = issue(server, ("k1", ["passport", "collect"]))
    press(page, "n", "call_next")
    press(page, "s", "start")
    expect(page.locator("#visit-status")).to_have_text(text("console.visit.serving"))

    server.stop()
    expect(page.locator("#reconnecting")).to_be_visible(timeout=WAIT_MS)
    expect(action(page, "finish")).to_be_disabled()
    issued_meanwhile: list[str] = []
    server.start()  # the same port and database
    issued_meanwhile += issue(server, ("k2", ["passport"]))
    expect(page.locator("#reconnecting")).to_be_hidden(timeout=WAIT_MS)
    expect(page.locator("#visit-number")).to_have_text(number)
    expect(page.locator("#visit-status")).to_have_text(text("console.visit.serving"))
    expect(page.locator('#queues [data-service="passport"] .queue-count')).to_have_text(
        text("console.queue.waiting", count=1), timeout=WAIT_MS
    )

    press(page, "f", "finish")
    expect(page.locator("#outcome")).to_contain_text(service_name("collect"), timeout=WAIT_MS)
    assert visit(server, number)["index"] == 1
    # While the server was down, the browser logged the refused reconnection attempts.
    assert [p for p in page.problems if "ERR_CONNECTION_REFUSED" not in p] == []


def test_the_page_keeps_no_secret_and_runs_under_a_strict_csp(
    browser: Any, server: ServerProcess
) -> None:
    with urllib.request.urlopen(server.http + "/clerk") as response:
        body = response.read().decode()
        policy = response.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in policy
    assert not re.search(r"<script(?![^>]*\bsrc=)", body), "no inline script"
    assert not re.search(r"\son[a-z]+\s*=", body), "no inline event handler"
    assert "style=" not in body
    with urllib.request.urlopen(server.http + "/i18n/en.json") as response:
        texts = json.loads(response.read())
    assert texts["console.action.call_next"] == text("console.action.call_next", "en")

    page = open_console(browser, server)
    password = server.passwords["clerk1"]
    stored = page.evaluate("() => JSON.stringify([localStorage, sessionStorage])")
    assert password not in stored and password not in page.url
    assert "clerk1" not in page.url
    # Latvian first, English on request: the page's texts come from the catalog.
    expect(action(page, "call_next")).to_contain_text(text("console.action.call_next"))
    page.select_option("#lang", "en")
    expect(action(page, "call_next")).to_contain_text(text("console.action.call_next", "en"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#link")).to_have_text(text("console.connected", "en"))

    # Logging out forgets the session and shows the login again.
    page.locator("#logout").click()
    expect(page.locator("#login")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#login-error")).to_contain_text(text("console.logged_out", "en"))
    expect(page.locator("#login-password")).to_have_value("")
    assert page.problems == []


def test_a_silent_call_for_the_manager_reaches_the_admins_only(
    browser: Any, server: ServerProcess
) -> None:
    page = open_console(browser, server)

    async def watch() -> list[dict[str, Any]]:
        async with RindaClient(
            server.url, division=DIVISION, user="admin1", password=server.passwords["admin1"]
        ) as boss:
            await boss.next_message()  # the snapshot
            seen = []
            while not any(m.get("event", {}).get("type") == "manager_alerted" for m in seen):
                seen.append(await boss.next_message())
            return seen

    import threading

    found: list[list[dict[str, Any]]] = []
    watcher = threading.Thread(target=lambda: found.append(run(watch())))
    watcher.start()
    page.wait_for_timeout(500)  # the admin is connected
    press(page, "h", "manager")
    expect(page.locator("#manager-note")).to_contain_text(
        text("console.counter.manager_sent", time="")[:-2], timeout=WAIT_MS
    )
    watcher.join(TIMEOUT)
    alert = found[0][-1]["event"]
    assert alert["counter"] == COUNTER
    assert page.problems == []


def serve_a_second_service(browser: Any, server: ServerProcess) -> Any:
    """The console in English serving the second service of a visit, with a queue
    behind it: the picture of docs/consoles.md (scripts/console_screenshots.py)."""
    page = open_console(browser, server)
    page.select_option("#lang", "en")
    [number] = issue(server, ("k1", ["passport", "collect"]), priority="elderly", lang="ru")
    press(page, "n", "call_next")
    press(page, "f", "finish")
    issue(server, ("k2", ["collect"]), ("k3", ["collect"]), ("k4", ["passport"]))
    press(page, "n", "call_next")  # the passport first: the counter's order
    press(page, "f", "finish")
    press(page, "n", "call_next")
    expect(page.locator("#visit-number")).to_have_text(number, timeout=WAIT_MS)
    press(page, "s", "start")
    expect(page.locator("#visit-status")).to_have_text(text("console.visit.serving", "en"))
    page.locator("#visit-heading").click()
    page.wait_for_timeout(600)  # a queue summary
    return page


def test_a_visit_in_progress_fits_a_counter_pcs_screen(
    browser: Any, server: ServerProcess, tmp_path: Path
) -> None:
    page = serve_a_second_service(browser, server)
    page.screenshot(path=str(tmp_path / "console-clerk.png"))
    # Everything fits a counter PC's 1280x800 screen.
    scroll = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert scroll[0] <= 1280 and scroll[1] <= 800, scroll
    assert page.problems == []
