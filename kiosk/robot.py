"""A robot finger for the running kiosk: real touches at the place a control is drawn.

The demonstration's virtual visitors and the app tests use it the same way a person
uses the screen: find the control of a verb on the screen shown now, wait until it
can be tapped, and touch it (``UnitTestTouch`` down and up, as Kivy's own tests do).
Nothing calls the flow behind the screen's back.

    robot = Robot(app)
    await robot.reach("services")
    await robot.tap("toggle_service", "passport")
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

from kivy.app import App
from kivy.tests.common import UnitTestTouch
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.widgets import Tappable


class RobotError(Exception):
    """The screen did not offer what the robot was asked to do, in time."""


class Robot:
    def __init__(self, app: App, timeout: float = 10.0) -> None:
        self.app = app
        self.timeout = timeout

    def screen(self) -> str:
        root = self.app.root
        return "" if root is None else str(root.manager.current)

    async def reach(self, screen: str, timeout: float | None = None) -> None:
        """Wait until ``screen`` is shown (drawn, not only chosen by the flow)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while self.screen() != screen:
            if time.monotonic() > deadline:
                raise RobotError(f"the kiosk shows {self.screen()!r}, not {screen!r}")
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # one more frame: the layout settles

    def visible(self) -> list[Widget]:
        """Every widget of the frame as drawn now (the current screen only)."""
        root = self.app.root
        if root is None:
            return []
        return [w for w in root.walk() if w.get_root_window() is not None]

    def controls(self, verb: str, *args: Any) -> list[Tappable]:
        return [
            w
            for w in self.visible()
            if isinstance(w, Tappable) and w.verb == verb and tuple(w.args) == args
        ]

    def control(self, verb: str, *args: Any) -> Tappable:
        found = self.controls(verb, *args)
        if not found:
            raise RobotError(f"no control {verb}{args} on {self.screen()!r}")
        return next((w for w in found if w.enabled), found[0])

    async def tap(self, verb: str, *args: Any, timeout: float | None = None) -> None:
        """Touch the control of ``verb`` (once it can be tapped) near its top edge."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while not (widget := self.control(verb, *args)).enabled:
            if time.monotonic() > deadline:
                raise RobotError(f"{verb}{args} stayed disabled on {self.screen()!r}")
            await asyncio.sleep(0.05)
        assert isinstance(widget, Widget)
        view = next((a for a in ancestors(widget) if isinstance(a, ScrollView)), None)
        if view is not None and not _shown_whole(widget, view):
            # A person scrolls the list until the row is in sight, then taps it.
            view.scroll_to(widget, padding=10, animate=False)
            await asyncio.sleep(0.2)
        x, y = widget.to_window(widget.center_x, widget.top - min(10, widget.height / 4))
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        await asyncio.sleep(0.05)
        touch.touch_up()
        await asyncio.sleep(0.35)  # a ScrollView hands a tap on after its touch ends


def ancestors(widget: Widget) -> Iterator[Widget]:
    """The widget's parents up to the window (whose parent is itself)."""
    while widget.parent is not None and widget.parent is not widget:
        widget = widget.parent
        yield widget


def _shown_whole(widget: Widget, view: ScrollView) -> bool:
    """Whether the whole widget is inside the scroll view's visible part."""
    _, low = widget.to_window(widget.x, widget.y)
    _, high = widget.to_window(widget.x, widget.top)
    _, bottom = view.to_window(view.x, view.y)
    return bool(bottom <= low and high <= bottom + view.height)
