"""The demonstration's kiosk: the real kiosk app in an offscreen window, tapped by
the plan's virtual visitors at their arrival times on the lobby's (fast) clock: the
server's, which the kiosk follows (``client.clock``).

Each ticket goes through the real printer path to a file printer of its own
(``tickets/<number>.escpos``) with a readable rendering beside it (``.txt``);
screenshots of the first visitor's screens and of the start screen go to
``screenshots/``. Runs as its own process (Kivy opens one window per process):

    python -m demo.kiosk_player --settings kiosk.toml --plan plan.json --out DIR
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.kiosk_player")
    parser.add_argument("--settings", required=True, type=Path)
    parser.add_argument("--plan", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)

    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kiosk.settings import KioskSettings

    settings = KioskSettings.load(args.settings)
    from kivy.config import Config

    Config.set("graphics", "width", str(settings.screen.width_px // 2))
    Config.set("graphics", "height", str(settings.screen.height_px // 2))
    asyncio.run(_play(settings, args))
    return 0


async def _play(settings: Any, args: argparse.Namespace) -> None:
    from demo.plan import loads
    from kiosk.app import KioskApp
    from kiosk.printer import PrinterSettings, send_ticket
    from kiosk.robot import Robot, RobotError
    from kiosk.ticket import render
    from queue_server.config import Catalog

    tickets = args.out / "tickets"
    shots = args.out / "screenshots"
    tickets.mkdir(parents=True, exist_ok=True)
    shots.mkdir(parents=True, exist_ok=True)
    catalog = Catalog.load()
    app: KioskApp

    async def print_ticket(ticket: dict[str, Any]) -> None:
        """The real layout and the real file printer, one file per ticket."""
        lobby = app.flow.lobby
        assert lobby is not None
        number = ticket["number"]
        printer = PrinterSettings.from_mapping(
            {"kind": "file", "path": str(tickets / f"{number}.escpos")}
        )
        rendered = render(
            ticket,
            lobby.division,
            ticket.get("lang") or "lv",
            printer.ticket_settings(),
            catalog,
            status_url=ticket.get("status_url"),
        )
        await asyncio.to_thread(send_ticket, printer, rendered.data)
        (tickets / f"{number}.txt").write_text("\n".join(rendered.lines) + "\n", "utf-8")

    app = KioskApp(settings, catalog, print_ticket=print_ticket, speak=lambda _: None)
    clock = app.client.clock
    running = asyncio.ensure_future(app.serve())
    robot = Robot(app, timeout=20.0)
    shown = 0

    def shoot(name: str) -> None:
        nonlocal shown
        if app.root is not None:
            app.root.export_to_png(str(shots / f"kiosk-{name}.png"))
            shown += 1

    try:
        await robot.reach("start", timeout=60)
        shoot("0-start")
        for index, visitor in enumerate(loads(args.plan.read_text("utf-8"))):
            wait = (visitor.at - clock()) / 1000 / clock.speed
            if wait > 0:
                await asyncio.sleep(wait)
            first = index == 0
            try:
                await _visit(robot, visitor, shoot if first else None)
            except RobotError as error:
                print(f"demo kiosk: visitor {index + 1}: {error}", file=sys.stderr, flush=True)
                if robot.screen() != "start":
                    await robot.tap("go_home")
    finally:
        app.stop()
        await asyncio.wait_for(running, 20)


async def _visit(robot: Any, visitor: Any, shoot: Any) -> None:
    """One visitor's taps: language, services in order, priority, confirm, print."""
    await robot.reach("start")
    await robot.tap("choose_language", visitor.lang)
    await robot.reach("services")
    for service in visitor.services:
        await robot.tap("toggle_service", service)
    if shoot:
        shoot("1-services")
    await robot.tap("go_next")
    await robot.reach("priority")
    if visitor.priority and robot.controls("choose_priority", visitor.priority):
        await robot.tap("choose_priority", visitor.priority)
    if shoot:
        shoot("2-priority")
    await robot.tap("confirm")
    await robot.reach("confirm")
    if shoot:
        shoot("3-confirm")
    await robot.tap("print")
    await robot.reach("done")
    if shoot:
        shoot("4-done")
    await robot.tap("go_home")


if __name__ == "__main__":
    sys.exit(main())
