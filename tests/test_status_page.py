"""The visitor's status page: an unguessable link per ticket that expires with the
day, live status messages over the protocol, and the page itself in Chromium."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from websockets.asyncio.client import connect

from queue_server.client import RindaClient
from queue_server.server import status_links
from tests.conftest import TIMEOUT
from tests.serverkit import ServerProcess

PUBLIC = "https://rinda.example.lv"


def _server(tmp_path) -> ServerProcess:
    return ServerProcess(tmp_path, extra=["--public-url", PUBLIC + "/"])


def _clerk(server: ServerProcess) -> RindaClient:
    return RindaClient(
        server.url,
        division="riga-1",
        user="clerk1",
        password=server.passwords["clerk1"],
        counter="1",
    )


async def _hello(server: ServerProcess, link: str, division: str = "riga-1"):
    ws = await connect(server.url)
    await ws.send(json.dumps({"type": "hello", "id": 1, "division": division, "status": link}))
    return ws, json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


async def _next_status(ws) -> dict:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        if message["type"] == "status":
            return message


def test_the_link_verifies_only_for_its_visit_and_day():
    key = b"k" * 32
    link = status_links.token(key, "riga-1", "2026-11-30", "P001")
    assert status_links.verify(key, link, "riga-1", "2026-11-30") == "P001"
    assert status_links.verify(key, link, "riga-1", "2026-12-01") is None
    assert status_links.verify(key, link, "liepaja", "2026-11-30") is None
    assert status_links.verify(b"x" * 32, link, "riga-1", "2026-11-30") is None
    forged = link.replace("P001", "P002")
    assert status_links.verify(key, forged, "riga-1", "2026-11-30") is None
    assert status_links.verify(key, "riga-1.P001.short", "riga-1", "2026-11-30") is None


def test_a_visitor_follows_the_visit_live_until_it_is_done(tmp_path):
    with _server(tmp_path) as server:

        async def run() -> dict:
            kiosk = RindaClient(server.url, division="riga-1", token=server.devices["kiosk"])
            async with kiosk, _clerk(server) as clerk:
                await clerk.request("open")
                await kiosk.request("issue", key="a", services=["passport"])
                reply = await kiosk.request(
                    "issue", key="b", services=["passport", "collect"], lang="en"
                )
                ticket = reply["ticket"]
                url = ticket["status_url"]
                assert url.startswith(PUBLIC + "/v/riga-1." + ticket["number"] + ".")
                link = urlsplit(url).path.removeprefix("/v/")
                ws, welcome = await _hello(server, link)
                assert welcome["type"] == "welcome" and welcome["role"] == "visitor"
                first = await _next_status(ws)
                # A visitor may only listen.
                await ws.send(json.dumps({"type": "snapshot", "id": 2}))
                refused = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
                await clerk.request("call_next")  # the first visitor
                ahead_none = await _next_status(ws)
                await clerk.request("finish")
                await clerk.request("call_next")  # now ours
                called = await _next_status(ws)
                await clerk.request("finish")
                second_service = await _next_status(ws)
                # The residence step goes to a counter that serves it.
                seen = {
                    "first": first,
                    "refused": refused,
                    "ahead_none": ahead_none,
                    "called": called,
                    "second": second_service,
                }
                await ws.close()
                return seen

        seen = asyncio.run(run())
    first = seen["first"]
    assert first["status"] == "waiting" and first["ahead"] == 1 and first["lang"] == "en"
    assert [s["progress"] for s in first["steps"]] == ["current", "later"]
    assert first["steps"][0]["name"] and first["division"]
    assert seen["refused"]["type"] == "error" and seen["refused"]["code"] == "forbidden"
    assert seen["ahead_none"]["ahead"] == 0
    assert seen["called"]["status"] == "called" and seen["called"]["counter"]["number"] == 1
    second = seen["second"]
    assert second["status"] == "waiting"
    assert [s["progress"] for s in second["steps"]] == ["done", "current"]
    # Nothing personal or internal in what the phone gets.
    for message in seen.values():
        assert "priority" not in message and "key" not in message and "clerk" not in message


def test_a_finished_visit_ends_the_page_and_bad_links_are_refused(tmp_path):
    with _server(tmp_path) as server:

        async def run() -> tuple[dict, list[dict], int | None]:
            kiosk = RindaClient(server.url, division="riga-1", token=server.devices["kiosk"])
            async with kiosk, _clerk(server) as clerk:
                await clerk.request("open")
                ticket = (await kiosk.request("issue", key="a", services=["passport"]))["ticket"]
                link = urlsplit(ticket["status_url"]).path.removeprefix("/v/")
                ws, _ = await _hello(server, link)
                await _next_status(ws)
                await clerk.request("call_next")
                await clerk.request("finish")
                while True:
                    done = await _next_status(ws)
                    if done["status"] == "done":
                        break
                await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
                refusals = []
                tampered = link[:-1] + ("A" if link[-1] != "A" else "B")
                for division, bad in (
                    ("riga-1", tampered),
                    ("riga-1", link.replace(ticket["number"], "P999")),
                    ("liepaja", link),
                ):
                    bad_ws, answer = await _hello(server, bad, division)
                    refusals.append(answer)
                    await bad_ws.close()
                return done, refusals, ws.close_code

        done, refusals, close_code = asyncio.run(run())
    assert done["status"] == "done" and close_code == 1000
    assert [r["code"] for r in refusals] == ["link_expired"] * 3


def test_without_a_public_url_tickets_carry_no_link(tmp_path):
    with ServerProcess(tmp_path) as server:

        async def run() -> dict:
            kiosk = RindaClient(server.url, division="riga-1", token=server.devices["kiosk"])
            async with kiosk, _clerk(server) as clerk:
                await clerk.request("open")
                return (await kiosk.request("issue", key="a", services=["passport"]))["ticket"]

        assert asyncio.run(run())["status_url"] is None


def test_links_survive_a_restart_of_the_server(tmp_path):
    server = _server(tmp_path)
    with server:

        async def issue() -> str:
            kiosk = RindaClient(server.url, division="riga-1", token=server.devices["kiosk"])
            async with kiosk, _clerk(server) as clerk:
                await clerk.request("open")
                ticket = (await kiosk.request("issue", key="a", services=["passport"]))["ticket"]
            return urlsplit(ticket["status_url"]).path.removeprefix("/v/")

        link = asyncio.run(issue())
        server.restart()

        async def follow() -> dict:
            ws, welcome = await _hello(server, link)
            assert welcome["type"] == "welcome", welcome
            status = await _next_status(ws)
            await ws.close()
            return status

        assert asyncio.run(follow())["status"] == "waiting"


def test_pages_are_sent_with_a_strict_content_security_policy(tmp_path):
    link = "/v/riga-1.P001.xxxxxxxxxxxxxxxxxxxxxx"
    with ServerProcess(tmp_path) as server, urllib.request.urlopen(server.http + link) as page:
        headers = page.headers
        body = page.read().decode()
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert '<script type="module" src="/status.js">' in body
    assert "<script>" not in body  # no inline script: the CSP would refuse it


@pytest.mark.parametrize("lang", ["lv", "en", "ru", "uk"])
def test_the_page_in_chromium_follows_the_visit_in_the_tickets_language(tmp_path, lang):
    from playwright.sync_api import expect, sync_playwright

    from queue_server.config import Catalog

    catalog = Catalog.load()
    with _server(tmp_path) as server:

        async def issue() -> str:
            kiosk = RindaClient(server.url, division="riga-1", token=server.devices["kiosk"])
            async with kiosk, _clerk(server) as clerk:
                await clerk.request("open")
                reply = await kiosk.request("issue", key="a", services=["passport"], lang=lang)
            return reply["ticket"]

        ticket = asyncio.run(issue())
        path = urlsplit(ticket["status_url"]).path
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
            page = browser.new_page(viewport={"width": 390, "height": 760})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(server.http + path)
            # Locators, not wait_for_function: the page's CSP forbids evaluating strings.
            expect(page.locator("#number")).to_have_text(ticket["number"], timeout=10_000)
            next_in_line = catalog.raw(lang, "status_page.next_in_line")
            expect(page.locator("#line")).to_contain_text(next_in_line, timeout=10_000)
            expect(page.locator("html")).to_have_attribute("lang", lang)

            async def call() -> None:
                async with _clerk(server) as clerk:
                    await clerk.request("call_next")

            # Playwright's sync API runs its own event loop in this thread.
            with ThreadPoolExecutor(1) as pool:
                pool.submit(asyncio.run, call()).result()
            called = catalog.raw(lang, "status_page.called").replace("{counter}", "1")
            expect(page.locator("#call")).to_contain_text(called, timeout=10_000)
            if lang == "en":
                page.screenshot(path=str(tmp_path / "status-page.png"))
            browser.close()
    assert problems == []


BROWSER_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
