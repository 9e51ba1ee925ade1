"""Headless Chromium for the console tests: the system's browser, driven by Playwright.

    with chromium() as browser:
        page = console_page(browser, server.http + "/clerk?division=riga-1")

``playwright install`` cannot download here, so the tests use ``/usr/bin/chromium``.
Every page records what the browser complains about (console errors, uncaught
exceptions, Content-Security-Policy refusals) in ``page.problems``, so a test can
assert there were none.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from queue_server.config import Catalog, load_office
from tests.serverkit import ServerProcess

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: The console's design size: a counter PC's screen.
VIEWPORT = {"width": 1280, "height": 800}


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def console_page(browser: Any, url: str) -> Any:
    """A new page at ``url`` (1280x800) that collects the browser's complaints."""
    page = browser.new_page(viewport=VIEWPORT)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    page.goto(url)
    return page


def run(coroutine: Any) -> Any:
    """Run a coroutine to its end from a test that drives the browser.

    Playwright's sync API keeps an event loop running in this thread, so
    ``asyncio.run`` is refused here: the protocol clients run in a thread of their own.
    """
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def isolated_page(browser: Any, url: str, viewport: dict[str, int] | None = None) -> Any:
    """A page in a browser context of its own (its own storage, like another PC or a
    phone), at ``url``. Besides ``page.problems`` it records every JavaScript dialog
    (``alert``, ``confirm``, ``prompt``) in ``page.dialogs`` and dismisses it.
    Close it with ``page.context.close()``."""
    context = browser.new_context(viewport=viewport or VIEWPORT)
    page = context.new_page()
    problems: list[str] = []
    dialogs: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.problems = problems
    page.dialogs = dialogs
    page.goto(url)
    return page


# ------------------------------------------------- what the console tests share

CATALOG = Catalog.load()
OFFICE = load_office()


def text(key: str, lang: str = "lv", **params: Any) -> str:
    """A catalog text as the pages show it."""
    return CATALOG.text(lang, key, **params)


def service_name(service: str, lang: str = "lv") -> str:
    return OFFICE.services[service].name[lang]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for a test module (import this fixture into the module)."""
    with chromium() as found:
        yield found


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A fresh server for each test (import this fixture into the module)."""
    with ServerProcess(tmp_path) as running:
        yield running
