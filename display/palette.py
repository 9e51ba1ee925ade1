"""The hall display's colours, and every text-on-background pair it draws.

Dark navy with white text reads well across a hall and does not glare on a large
TV; a new call turns its card amber with black text (and pulses its frame). Every
pair is at least 4.5:1 by the WCAG 2.x formula (``tests/test_display_board.py``
measures them with ``kiosk.accessibility.contrast_ratio``), and no state is told by
colour alone: the board says it in words too (display/board.py).
"""

from __future__ import annotations

COLOURS = {
    "background": "#0B1F33",
    "text": "#FFFFFF",
    "muted": "#C5D1DC",
    "panel": "#15324F",
    "accent": "#FFD23F",
    "highlight": "#FFD23F",
    "highlight_text": "#000000",
    "soon": "#FFD23F",
    "soon_text": "#1A1A1A",
    "closed": "#B3261E",
    "closed_text": "#FFFFFF",
    "mark": "#FFFFFF",
    "mark_text": "#0B1F33",
    "rule": "#7F95AA",
}

#: (text colour, background colour) of everything the board writes.
TEXT_PAIRS = (
    ("text", "background"),
    ("muted", "background"),
    ("accent", "background"),
    ("text", "panel"),
    ("muted", "panel"),
    ("accent", "panel"),
    ("highlight_text", "highlight"),
    ("soon_text", "soon"),
    ("closed_text", "closed"),
    ("mark_text", "mark"),
)
