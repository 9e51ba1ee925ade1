"""Screenshots of the clerk and admin consoles and the visitor's status page, into
docs/screenshots/.

    .venv/bin/python scripts/console_screenshots.py

Starts a real ``rinda-server serve`` for each picture (tests/serverkit.py: Monday
30 November 2026, 09:00) and drives the pages in headless Chromium as the console
tests do (tests/browser.py), with the same scenes:

- ``console-clerk.png``: the clerk console in English serving the second service of
  an elderly visitor's visit, with a queue behind it (tests/test_console_clerk.py);
- ``console-admin-board.png``: the admin console's live board: counter 1 serving, two
  tickets issued, the kiosk and the display connected and the kiosk's printer out of
  paper (tests/test_console_admin.py);
- ``console-admin-statistics.png``: the statistics of the day after three visits,
  served, refused and referred (tests/test_console_admin.py);
- ``status-page.png``: a ticket's status page on a phone, in English, just after its
  call (tests/test_status_page.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]
os.environ["TMPDIR"] = str(ROOT / "var" / "tmp")
Path(os.environ["TMPDIR"]).mkdir(parents=True, exist_ok=True)

from playwright.sync_api import expect  # noqa: E402

from queue_server.client import RindaClient  # noqa: E402
from queue_server.config import Catalog  # noqa: E402
from tests.browser import chromium, isolated_page, run  # noqa: E402
from tests.serverkit import DIVISION, ServerProcess  # noqa: E402
from tests.test_console_admin import (  # noqa: E402
    WAIT_MS,
    clerk,
    connected,
    counter_row,
    device_id,
    issue,
    open_admin,
    statistics_of_a_day,
)
from tests.test_console_clerk import serve_a_second_service  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
#: Where phones reach the server: the status page's link (the ticket's QR code).
PUBLIC_URL = "https://rinda.example.lv"
#: A phone's screen, as in the status page's test.
PHONE = {"width": 390, "height": 760}


def clerk_console(browser: Any, server: ServerProcess, out: Path) -> None:
    serve_a_second_service(browser, server).screenshot(path=str(out))


def admin_board(browser: Any, server: ServerProcess, out: Path) -> None:
    page = open_admin(browser, server)
    kiosk = page.locator(f'#board-devices tr[data-device="{device_id(server, "kiosk")}"]')
    with connected(server, "kiosk", "display") as call:
        expect(kiosk).to_have_attribute("data-connected", "yes", timeout=WAIT_MS)
        clerk(server, ("open", {}))
        row = counter_row(page, "1")
        expect(row).to_have_attribute("data-status", "open", timeout=WAIT_MS)
        issue(server, ["passport"], ["passport", "collect"])
        waiting = page.locator('#board-queues tr[data-service="passport"] td').first
        expect(waiting).to_have_text("2", timeout=WAIT_MS)
        [called] = clerk(server, ("call_next", {}))
        number = called["events"][0]["number"]
        expect(row.locator(".serving")).to_have_text(number, timeout=WAIT_MS)
        call(lambda clients: clients[0].request("printer_status", status="paper_out"))
        expect(kiosk).to_have_attribute("data-printer", "paper_out", timeout=WAIT_MS)
        expect(page.locator("#alert-count")).to_be_visible()
        page.screenshot(path=str(out))


def admin_statistics(browser: Any, server: ServerProcess, out: Path) -> None:
    statistics_of_a_day(browser, server).screenshot(path=str(out), full_page=True)


def status_page(browser: Any, server: ServerProcess, out: Path) -> None:
    async def clerk_does(what: str) -> dict[str, Any]:
        async with RindaClient(
            server.url,
            division=DIVISION,
            user="clerk1",
            password=server.passwords["clerk1"],
            counter="1",
        ) as desk:
            return await desk.request(what)

    async def ticket() -> dict[str, Any]:
        async with RindaClient(server.url, division=DIVISION, token=server.devices["kiosk"]) as k:
            reply = await k.request("issue", key="a", services=["passport"], lang="en")
            return dict(reply["ticket"])

    run(clerk_does("open"))
    issued = run(ticket())
    page = isolated_page(browser, server.http + urlsplit(issued["status_url"]).path, PHONE)
    expect(page.locator("#number")).to_have_text(issued["number"], timeout=WAIT_MS)
    run(clerk_does("call_next"))
    called = Catalog.load().raw("en", "status_page.called").replace("{counter}", "1")
    expect(page.locator("#call")).to_contain_text(called, timeout=WAIT_MS)
    page.screenshot(path=str(out))
    page.context.close()


#: Each picture: its file, how it is made, and the server's extra options.
SCENES: tuple[tuple[str, Callable[[Any, ServerProcess, Path], None], list[str]], ...] = (
    ("console-clerk.png", clerk_console, []),
    ("console-admin-board.png", admin_board, []),
    ("console-admin-statistics.png", admin_statistics, []),
    ("status-page.png", status_page, ["--public-url", PUBLIC_URL + "/"]),
)


def main() -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="console-shots-") as temp, chromium() as browser:
        for name, scene, extra in SCENES:
            folder = Path(temp) / name.removesuffix(".png")
            folder.mkdir()
            with ServerProcess(folder, extra=extra) as server:
                scene(browser, server, OUT / name)
            saved.append(OUT / name)
    return saved


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    shots = main()
    print(f"console screenshots: {len(shots)} files in {OUT.relative_to(ROOT)}")
