"""The demonstration: a short simulated morning through the real server, kiosk and
display, checked against what it leaves behind and what the server stored."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.serverkit import ROOT


def test_a_short_morning_leaves_tickets_screenshots_and_a_true_summary(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "demo", "--out", str(out), "--minutes", "12", "--speed", "20",
         "--per-hour", "30", "--seed", "3"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "lobby clock" in done.stdout and str(out) in done.stdout

    with sqlite3.connect(out / "rinda.sqlite") as db:
        numbers = {row[0] for row in db.execute("SELECT DISTINCT number FROM visit_steps")}
        called = db.execute("SELECT count(*) FROM events WHERE type = 'visit_called'").fetchone()
    assert numbers, "the virtual visitors took tickets at the real kiosk"
    tickets = {p.stem for p in (out / "tickets").glob("*.escpos")}
    assert tickets == numbers  # every issued ticket printed, none the server does not know
    for number in tickets:
        data = (out / "tickets" / f"{number}.escpos").read_bytes()
        assert data.startswith(b"\x1b@") and number.encode() in data
        assert number in (out / "tickets" / f"{number}.txt").read_text("utf-8")
    assert called[0] > 0, "the virtual clerks called visitors"

    shots = {p.name: p.stat().st_size for p in (out / "screenshots").glob("*.png")}
    for name in ("kiosk-0-start.png", "kiosk-3-confirm.png", "kiosk-4-done.png"):
        assert shots.get(name, 0) > 10_000, f"{name} missing or empty: {sorted(shots)}"
    assert any(n.startswith("display-") and size > 10_000 for n, size in shots.items())

    summary = (out / "summary.md").read_text("utf-8")
    assert f"visits issued at the kiosk: {len(numbers)}" in summary
    assert f"tickets printed: {len(tickets)}" in summary
    # Secrets stay in the folder's private files, never in what it shows or logs.
    token = (out / "display.token").read_text().strip()
    assert token not in done.stdout and token not in summary
    assert (out / "display.token").stat().st_mode & 0o077 == 0
