"""How fast the browser consoles load, and how fast a login shows the first board or visit.

    python bench/console_bench.py [--runs 5] [--json]

A real server (``rinda-server serve`` through ``tests/serverkit.py``: 127.0.0.1, a
free port, its own database with a clerk and an admin provisioned, the clock on a
working Monday morning) and headless Chromium (``/usr/bin/chromium`` driven by
Playwright). Each run opens the console in a fresh browser context (an empty
cache, like a PC's first visit of the day) and measures:

- **DOMContentLoaded / load**: from the start of the navigation to the end of those
  events, as the page's own Navigation Timing entry reports them;
- **login to first render**: from pressing Enter in the login form to the console
  on screen with live data: the clerk's counter status at counter 1, the admin's
  live board with a row per counter (Playwright polls every animation frame).

Each figure is the median of ``--runs`` runs (the first run also pays the server's
first read of the page files). No aim is set yet; the table says what a counter PC
waits for.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for folder in (ROOT, ROOT / "tests"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from browser import ARGS, CHROMIUM, VIEWPORT  # noqa: E402
from serverkit import DIVISION, ServerProcess  # noqa: E402

TIMEOUT_MS = 20_000
NAVIGATION = """() => {
    const entry = performance.getEntriesByType("navigation")[0];
    return {dom: entry.domContentLoadedEventEnd - entry.startTime,
            load: entry.loadEventEnd - entry.startTime};
}"""


def fill_clerk(page: Any, server: ServerProcess) -> None:
    page.fill("#login-counter", "1")
    page.fill("#login-user", "clerk1")
    page.fill("#login-password", server.passwords["clerk1"])


def clerk_ready(page: Any) -> None:
    page.wait_for_selector("#console", state="visible", timeout=TIMEOUT_MS)
    page.wait_for_function(
        "() => (document.querySelector('#counter-status')?.textContent || '').trim() !== ''",
        timeout=TIMEOUT_MS,
    )


def fill_admin(page: Any, server: ServerProcess) -> None:
    page.fill("#login-user", "admin1")
    page.fill("#login-password", server.passwords["admin1"])


def admin_ready(page: Any) -> None:
    page.wait_for_selector("#console", state="visible", timeout=TIMEOUT_MS)
    page.wait_for_selector("#board-counters tbody tr", timeout=TIMEOUT_MS)


CONSOLES: dict[str, tuple[Callable[[Any, ServerProcess], None], Callable[[Any], None]]] = {
    "clerk": (fill_clerk, clerk_ready),
    "admin": (fill_admin, admin_ready),
}


def one_run(browser: Any, server: ServerProcess, console: str) -> dict[str, float]:
    fill, ready = CONSOLES[console]
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(f"{server.http}/{console}?division={DIVISION}", wait_until="load")
        timing = page.evaluate(NAVIGATION)
        page.wait_for_selector("#login-password", state="visible", timeout=TIMEOUT_MS)
        fill(page, server)
        began = time.perf_counter()
        page.press("#login-password", "Enter")
        ready(page)
        login_ms = (time.perf_counter() - began) * 1000
        # Log out by closing: the next run logs in afresh in a context of its own.
    finally:
        context.close()
    return {"dom_ms": timing["dom"], "load_ms": timing["load"], "login_ms": login_ms}


def measure(runs: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    rows = []
    with (
        tempfile.TemporaryDirectory(dir=ROOT / "var") as folder,
        ServerProcess(Path(folder)) as server,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for console in CONSOLES:
                found = [one_run(browser, server, console) for _ in range(runs)]
                row: dict[str, Any] = {"console": console}
                for key in ("dom_ms", "load_ms", "login_ms"):
                    values = [r[key] for r in found]
                    name = key.removesuffix("_ms")
                    row[f"{name}_median_ms"] = round(statistics.median(values), 1)
                    row[f"{key}_runs"] = [round(v, 1) for v in values]
                rows.append(row)
        finally:
            browser.close()
    return {"runs": runs, "browser": str(CHROMIUM), "rows": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per console (default 5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    (ROOT / "var").mkdir(exist_ok=True)
    result = measure(args.runs)
    if args.json:
        print(json.dumps(result))
        return 0
    header = ("console", "DOMContentLoaded ms", "load ms", "login to first render ms")
    lines = [header] + [
        (
            f"/{row['console']}",
            f"{row['dom_median_ms']:.1f}",
            f"{row['load_median_ms']:.1f}",
            f"{row['login_median_ms']:.1f}",
        )
        for row in result["rows"]
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for i, line in enumerate(lines):
        print(
            "  ".join(
                cell.ljust(w) if j == 0 else cell.rjust(w)
                for j, (cell, w) in enumerate(zip(line, widths, strict=True))
            )
        )
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(f"\nmedian of {result['runs']} runs each, a fresh browser context per run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
