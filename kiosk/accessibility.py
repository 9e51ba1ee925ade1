"""Accessibility of the kiosk, measured: contrast, sizes, reach and loudness as numbers.

Everything here is a pure function of the configured screen and mounting, so a test
(and ``docs/kiosk.md``) can state the figures instead of claiming them:

- contrast ratios by the WCAG 2.x formula, and the two palettes the kiosk ships:
  normal mode (every text on its background at least 4.5:1, WCAG 1.4.3) and the
  accessible mode's high contrast (at least 7:1, WCAG 1.4.6); the edges of controls
  against the screen at least 3:1 (WCAG 1.4.11);
- millimetres to pixels and back on the configured screen, and touch targets of at
  least 15 mm;
- the reach zone of EN 301 549 / EN 17210 for a person standing or in a wheelchair,
  380 to 1220 mm above the floor: which pixel rows lie in it, given the screen's height
  and the mounting height of its lower edge, and whether a layout's controls all do;
- a volume scale for speech spanning at least 18 dB (EN 301 549, 5.1.3.16 and 7.1).

Pixel rows and rectangles count from the **top** of the screen (row 0 is the top
row), as screenshots do; ``Rect.from_bottom`` converts Kivy's coordinates, whose
y grows upwards.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields

#: WCAG 2.x minimum contrast of text: normal mode (AA) and the accessible mode (AAA).
MIN_TEXT_CONTRAST = 4.5
MIN_ACCESSIBLE_CONTRAST = 7.0
#: Edges of controls (buttons, fields) against what surrounds them (WCAG 1.4.11).
MIN_EDGE_CONTRAST = 3.0
#: The smallest touch target, each side, on the configured screen.
MIN_TARGET_MM = 15.0
#: The reach zone above the floor (EN 301 549 refers to EN 17210: 380-1220 mm).
REACH_LOW_MM = 380.0
REACH_HIGH_MM = 1220.0
#: The least span of the speech volume control (EN 301 549, 5.1.3.16 by way of 7.1).
MIN_VOLUME_SPAN_DB = 18.0

_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


# ---------------------------------------------------------------------- contrast


def rgb(colour: str) -> tuple[int, int, int]:
    """``#777``, ``#777777`` or ``777777`` as 8-bit red, green, blue."""
    found = _HEX.match(colour)
    if found is None:
        raise ValueError(f"{colour!r} is not a colour like #1a1a1a or #777")
    digits = found.group(1)
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def relative_luminance(colour: str) -> float:
    """The relative luminance of an sRGB colour, 0 (black) to 1 (white), as WCAG 2.x."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """(L1 + 0.05) / (L2 + 0.05), the lighter colour on top: 1.0 to 21.0."""
    a, b = relative_luminance(first), relative_luminance(second)
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)


@dataclass(frozen=True)
class Palette:
    """The colours of one mode. Every ``*_text`` colour is drawn on the background
    named in ``TEXT_PAIRS``; nothing is told by colour alone (a chosen service also
    shows its position, an unavailable one its reason)."""

    name: str
    background: str
    text: str
    muted_text: str
    button: str
    button_text: str
    selected: str
    selected_text: str
    disabled: str
    disabled_text: str
    warning: str
    warning_text: str
    error: str
    error_text: str
    #: The outline of every control and field.
    edge: str

    def pairs(self) -> Iterator[tuple[str, str, str, float]]:
        """(foreground role, background role, ..., ratio) of every text the screens
        draw, then every control edge, with the ratio measured."""
        for fg, bg in TEXT_PAIRS + EDGE_PAIRS:
            yield fg, bg, f"{getattr(self, fg)} on {getattr(self, bg)}", self.ratio(fg, bg)

    def ratio(self, foreground: str, background: str) -> float:
        return contrast_ratio(getattr(self, foreground), getattr(self, background))

    def weakest_text(self) -> tuple[str, str, float]:
        """The text pair with the lowest contrast: what the palette is worth."""
        fg, bg = min(TEXT_PAIRS, key=lambda pair: self.ratio(*pair))
        return fg, bg, self.ratio(fg, bg)

    def failures(self, minimum: float) -> list[str]:
        """Each text pair below ``minimum`` and each control edge below 3:1, explained."""
        found = [
            f"{fg} on {bg}: {self.ratio(fg, bg):.2f}:1 < {minimum}:1"
            for fg, bg in TEXT_PAIRS
            if self.ratio(fg, bg) < minimum
        ]
        found += [
            f"{fg} against {bg}: {self.ratio(fg, bg):.2f}:1 < {MIN_EDGE_CONTRAST}:1"
            for fg, bg in EDGE_PAIRS
            if self.ratio(fg, bg) < MIN_EDGE_CONTRAST
        ]
        return found

    def colours(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "name"}


#: Every text colour with the background it is drawn on.
TEXT_PAIRS: tuple[tuple[str, str], ...] = (
    ("text", "background"),
    ("muted_text", "background"),
    ("button_text", "button"),
    ("selected_text", "selected"),
    ("disabled_text", "disabled"),
    ("disabled_text", "background"),
    ("warning_text", "warning"),
    ("error_text", "error"),
    ("error_text", "background"),
)
#: Control edges against the screen.
EDGE_PAIRS: tuple[tuple[str, str], ...] = (("edge", "background"), ("button", "background"))

NORMAL = Palette(
    name="normal",
    background="#FFFFFF",
    text="#1A1A1A",
    muted_text="#4D4D4D",
    button="#00457C",
    button_text="#FFFFFF",
    selected="#DCEBF7",
    selected_text="#0B2540",
    disabled="#EDEDED",
    disabled_text="#545454",
    warning="#FFF1C2",
    warning_text="#4A3500",
    error="#FBE3E4",
    error_text="#8A1111",
    edge="#5E6A75",
)

HIGH_CONTRAST = Palette(
    name="high_contrast",
    background="#000000",
    text="#FFFFFF",
    muted_text="#E6E6E6",
    button="#FFE500",
    button_text="#000000",
    selected="#00E5FF",
    selected_text="#000000",
    disabled="#262626",
    disabled_text="#C8C8C8",
    warning="#000000",
    warning_text="#FFE500",
    error="#000000",
    error_text="#FF9E9E",
    edge="#FFFFFF",
)


def palette(accessible: bool) -> Palette:
    return HIGH_CONTRAST if accessible else NORMAL


# ---------------------------------------------------------------------- sizes


@dataclass(frozen=True)
class Rect:
    """A rectangle of pixels: ``x``, ``y`` of its top-left corner (y counted from the
    top of the screen), ``width``, ``height``."""

    x: float
    y: float
    width: float
    height: float

    @classmethod
    def from_bottom(
        cls, x: float, y: float, width: float, height: float, screen_height: int
    ) -> Rect:
        """A rectangle given as Kivy gives it (y of the lower edge, counted upwards)."""
        return cls(x, screen_height - y - height, width, height)

    @property
    def bottom(self) -> float:
        return self.y + self.height


@dataclass(frozen=True)
class ScreenGeometry:
    """The visible area: its size in pixels and in millimetres (portrait or not)."""

    width_px: int
    height_px: int
    width_mm: float
    height_mm: float

    def __post_init__(self) -> None:
        if min(self.width_px, self.height_px) <= 0 or min(self.width_mm, self.height_mm) <= 0:
            raise ValueError("screen sizes must be positive")

    @property
    def px_per_mm_x(self) -> float:
        return self.width_px / self.width_mm

    @property
    def px_per_mm_y(self) -> float:
        return self.height_px / self.height_mm

    def mm_to_px(self, mm: float, axis: str = "y") -> float:
        return mm * (self.px_per_mm_y if axis == "y" else self.px_per_mm_x)

    def px_to_mm(self, px: float, axis: str = "y") -> float:
        return px / (self.px_per_mm_y if axis == "y" else self.px_per_mm_x)

    def min_target_px(self) -> tuple[int, int]:
        """The least width and height in pixels of a 15 mm touch target."""
        return (
            math.ceil(self.mm_to_px(MIN_TARGET_MM, "x") - 1e-9),
            math.ceil(self.mm_to_px(MIN_TARGET_MM, "y") - 1e-9),
        )

    def target_ok(self, rect: Rect) -> bool:
        """True when ``rect`` is at least 15 mm wide and 15 mm high on this screen."""
        return (
            self.px_to_mm(rect.width, "x") >= MIN_TARGET_MM - 1e-9
            and self.px_to_mm(rect.height, "y") >= MIN_TARGET_MM - 1e-9
        )


@dataclass(frozen=True)
class TextSizes:
    """Font sizes (the em square) in millimetres, so they read the same on any panel."""

    body_mm: float
    heading_mm: float
    number_mm: float

    def px(self, geometry: ScreenGeometry) -> dict[str, int]:
        return {
            name: round(geometry.mm_to_px(getattr(self, f"{name}_mm")))
            for name in ("body", "heading", "number")
        }


NORMAL_TEXT = TextSizes(body_mm=6.0, heading_mm=9.0, number_mm=30.0)
#: The accessible mode's larger text: half as large again.
LARGE_TEXT = TextSizes(body_mm=9.0, heading_mm=13.5, number_mm=45.0)


def text_sizes(accessible: bool) -> TextSizes:
    return LARGE_TEXT if accessible else NORMAL_TEXT


# ---------------------------------------------------------------------- reach


@dataclass(frozen=True)
class Mounting:
    """The screen on its stand: ``lower_edge_mm`` is the height of the visible area's
    lower edge above the floor."""

    geometry: ScreenGeometry
    lower_edge_mm: float

    @property
    def top_edge_mm(self) -> float:
        return self.lower_edge_mm + self.geometry.height_mm

    def height_of_row(self, row: float) -> float:
        """Height above the floor, in mm, of the top of pixel row ``row``."""
        return self.top_edge_mm - self.geometry.px_to_mm(row, "y")

    def rows_in_reach(self) -> range:
        """The pixel rows (from the top) that lie wholly 380-1220 mm above the floor;
        empty when the screen is mounted out of reach."""
        per_row = self.geometry.height_mm / self.geometry.height_px
        first = max(0, math.ceil((self.top_edge_mm - REACH_HIGH_MM) / per_row - 1e-9))
        last = min(
            self.geometry.height_px - 1,
            math.floor((self.top_edge_mm - REACH_LOW_MM) / per_row + 1e-9) - 1,
        )
        return range(first, last + 1) if last >= first else range(0)

    def in_reach(self, rect: Rect) -> bool:
        """True when the whole of ``rect`` lies in the reach zone."""
        rows = self.rows_in_reach()
        return bool(rows) and rect.y >= rows.start and rect.bottom <= rows.stop

    def out_of_reach(self, rects: Iterable[Rect]) -> list[Rect]:
        """The rectangles that are not wholly in the reach zone (none: the layout passes)."""
        return [rect for rect in rects if not self.in_reach(rect)]

    def reach_mm(self) -> tuple[float, float]:
        """The part of the screen in reach, as heights above the floor (low, high)."""
        low = max(REACH_LOW_MM, self.lower_edge_mm)
        high = min(REACH_HIGH_MM, self.top_edge_mm)
        return (low, high) if high > low else (0.0, 0.0)


# ---------------------------------------------------------------------- volume


@dataclass(frozen=True)
class VolumeScale:
    """A volume control of ``steps`` steps from ``min_db`` to ``max_db`` (relative to
    the loudest), evenly spaced in decibels."""

    steps: int = 7
    min_db: float = -24.0
    max_db: float = 0.0

    def __post_init__(self) -> None:
        if self.steps < 2:
            raise ValueError("a volume control needs at least two steps")
        if self.span_db < MIN_VOLUME_SPAN_DB:
            raise ValueError(
                f"the volume control spans {self.span_db:g} dB; it must span at least "
                f"{MIN_VOLUME_SPAN_DB:g} dB"
            )

    @property
    def span_db(self) -> float:
        return self.max_db - self.min_db

    def db(self, step: int) -> float:
        """The level of ``step`` (0 = quietest) in dB; steps beyond the ends are clamped."""
        step = min(max(step, 0), self.steps - 1)
        return self.min_db + self.span_db * step / (self.steps - 1)

    def gain(self, step: int) -> float:
        """The amplitude factor of ``step`` (1.0 = the loudest), for the audio player."""
        return float(10 ** (self.db(step) / 20))
