"""Accessibility of the kiosk as numbers (kiosk/accessibility.py): the contrast formula
against known values, the shipped palettes, millimetres and pixels, touch targets,
the reach zone and the volume scale; and the settings that refuse less."""

from __future__ import annotations

import math

import pytest

from kiosk.accessibility import (
    EDGE_PAIRS,
    HIGH_CONTRAST,
    LARGE_TEXT,
    MIN_ACCESSIBLE_CONTRAST,
    MIN_TEXT_CONTRAST,
    NORMAL,
    NORMAL_TEXT,
    REACH_HIGH_MM,
    REACH_LOW_MM,
    TEXT_PAIRS,
    Mounting,
    Palette,
    Rect,
    ScreenGeometry,
    VolumeScale,
    contrast_ratio,
    palette,
    relative_luminance,
    rgb,
    text_sizes,
)
from kiosk.settings import KioskSettings, ScreenSettings, SettingsError

#: The default kiosk screen: 1080 x 1920 px on a 27-inch panel in portrait.
PANEL = ScreenGeometry(width_px=1080, height_px=1920, width_mm=336.0, height_mm=597.9)


# ---------------------------------------------------------------------- contrast


@pytest.mark.parametrize(
    ("foreground", "background", "expected"),
    [
        ("#000000", "#FFFFFF", 21.0),
        ("#FFF", "#000", 21.0),
        ("#777", "#FFFFFF", 4.48),  # the classic near miss of 4.5:1
        ("#767676", "#FFFFFF", 4.54),  # the lightest grey that passes on white
        ("#595959", "#FFFFFF", 7.0),  # the lightest grey for 7:1 on white
        ("#FF0000", "#FFFFFF", 4.0),
        ("#0000FF", "#FFFFFF", 8.59),
        ("#808080", "#808080", 1.0),
    ],
)
def test_the_contrast_ratio_matches_known_values(
    foreground: str, background: str, expected: float
) -> None:
    assert contrast_ratio(foreground, background) == pytest.approx(expected, abs=0.005)
    assert contrast_ratio(background, foreground) == contrast_ratio(foreground, background)


def test_relative_luminance_spans_black_to_white() -> None:
    assert relative_luminance("#000000") == 0.0
    assert relative_luminance("#ffffff") == pytest.approx(1.0)
    assert relative_luminance("#00FF00") == pytest.approx(0.7152)
    # The sRGB curve: a channel at or below 0.04045 is linear.
    assert relative_luminance("#0A0A0A") == pytest.approx(10 / 255 / 12.92)


@pytest.mark.parametrize("bad", ["#12345", "red", "#GGGGGG", ""])
def test_a_colour_that_is_not_hex_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a colour"):
        rgb(bad)


def test_every_text_of_the_standard_palette_reaches_4_5_to_1() -> None:
    assert NORMAL.failures(MIN_TEXT_CONTRAST) == []
    for fg, bg in TEXT_PAIRS:
        assert NORMAL.ratio(fg, bg) >= 4.5, (fg, bg)
    assert NORMAL.weakest_text()[2] == pytest.approx(6.47, abs=0.01)


def test_every_text_of_the_accessible_palette_reaches_7_to_1() -> None:
    assert HIGH_CONTRAST.failures(MIN_ACCESSIBLE_CONTRAST) == []
    for fg, bg in TEXT_PAIRS:
        assert HIGH_CONTRAST.ratio(fg, bg) >= 7.0, (fg, bg)
    assert HIGH_CONTRAST.weakest_text()[2] == pytest.approx(9.05, abs=0.01)


def test_control_edges_stand_out_from_the_screen_in_both_modes() -> None:
    for shipped in (NORMAL, HIGH_CONTRAST):
        for fg, bg in EDGE_PAIRS:
            assert shipped.ratio(fg, bg) >= 3.0, (shipped.name, fg, bg)


def test_a_palette_with_a_weak_pair_is_caught() -> None:
    weak = Palette(**{**NORMAL.colours(), "name": "weak", "muted_text": "#777777"})
    assert weak.failures(4.5) == ["muted_text on background: 4.48:1 < 4.5:1"]
    assert palette(accessible=True) is HIGH_CONTRAST and palette(accessible=False) is NORMAL


def test_the_palettes_do_not_tell_states_by_lightness_alone() -> None:
    """Selected and disabled rows differ from plain ones in colour, and the view also
    says it in words (position numbers, reasons): this checks the colours differ."""
    for shipped in (NORMAL, HIGH_CONTRAST):
        assert len({shipped.background, shipped.selected, shipped.disabled}) == 3


# ---------------------------------------------------------------------- sizes


def test_millimetres_and_pixels_on_the_configured_screen() -> None:
    assert PANEL.px_per_mm_y == pytest.approx(1920 / 597.9)
    assert PANEL.px_per_mm_x == pytest.approx(1080 / 336.0)
    assert PANEL.mm_to_px(100) == pytest.approx(321.12, abs=0.01)
    assert PANEL.px_to_mm(PANEL.mm_to_px(42.0, "x"), "x") == pytest.approx(42.0)
    with pytest.raises(ValueError):
        ScreenGeometry(1080, 0, 336.0, 597.9)


def test_touch_targets_are_at_least_15_mm() -> None:
    assert PANEL.min_target_px() == (49, 49)
    assert PANEL.target_ok(Rect(0, 0, 49, 49))
    assert not PANEL.target_ok(Rect(0, 0, 48, 60))
    assert not PANEL.target_ok(Rect(0, 0, 300, 40))
    small = ScreenGeometry(800, 1280, 135.0, 216.0)  # a 10-inch tablet: 5.9 px/mm
    assert small.min_target_px() == (89, 89)


def test_text_is_sized_in_millimetres_and_larger_in_the_accessible_mode() -> None:
    assert NORMAL_TEXT.px(PANEL) == {"body": 19, "heading": 29, "number": 96}
    assert LARGE_TEXT.px(PANEL) == {"body": 29, "heading": 43, "number": 145}
    assert text_sizes(True) is LARGE_TEXT and text_sizes(False) is NORMAL_TEXT
    assert LARGE_TEXT.body_mm / NORMAL_TEXT.body_mm == 1.5


# ---------------------------------------------------------------------- reach


def test_the_reach_zone_of_a_screen_mounted_at_700_mm() -> None:
    mounting = Mounting(PANEL, lower_edge_mm=700)
    rows = mounting.rows_in_reach()
    assert (rows.start, rows.stop) == (251, 1920)
    assert mounting.height_of_row(rows.start) <= REACH_HIGH_MM < mounting.height_of_row(250)
    assert mounting.height_of_row(1920) == pytest.approx(700.0)
    assert mounting.reach_mm() == (700.0, 1220.0)


def test_the_reach_zone_of_a_low_screen_loses_rows_at_the_bottom() -> None:
    mounting = Mounting(PANEL, lower_edge_mm=200)
    rows = mounting.rows_in_reach()
    per_row = PANEL.height_mm / PANEL.height_px
    assert rows.start == 0  # the top edge, 797.9 mm, is in reach
    assert mounting.height_of_row(rows.stop) >= REACH_LOW_MM - 1e-9
    assert mounting.height_of_row(rows.stop + 1) < REACH_LOW_MM
    assert rows.stop == math.floor((797.9 - 380) / per_row)


def test_a_screen_mounted_too_high_has_no_row_in_reach() -> None:
    mounting = Mounting(PANEL, lower_edge_mm=1300)
    assert not mounting.rows_in_reach()
    assert not mounting.in_reach(Rect(0, 1800, 100, 100))
    assert mounting.reach_mm() == (0.0, 0.0)


def test_a_layout_is_checked_control_by_control() -> None:
    mounting = Mounting(PANEL, lower_edge_mm=700)
    inside = [Rect(40, 300, 1000, 120), Rect(40, 1780, 480, 140)]
    above = Rect(40, 100, 300, 120)
    straddling = Rect(40, 200, 300, 120)
    assert mounting.out_of_reach(inside) == []
    assert mounting.out_of_reach([*inside, above, straddling]) == [above, straddling]
    # Kivy counts y upwards from the bottom: the same rectangle, converted.
    assert Rect.from_bottom(40, 0, 480, 140, 1920) == Rect(40, 1780, 480, 140)


# ---------------------------------------------------------------------- volume


def test_the_volume_scale_spans_more_than_18_db() -> None:
    scale = VolumeScale()
    assert scale.span_db == 24.0 >= 18.0
    assert [scale.db(step) for step in range(scale.steps)] == [-24, -20, -16, -12, -8, -4, 0]
    assert scale.gain(6) == 1.0
    assert scale.gain(0) == pytest.approx(0.0631, abs=1e-4)
    assert 20 * math.log10(scale.gain(6) / scale.gain(0)) == pytest.approx(24.0)
    assert scale.db(-3) == -24 and scale.db(99) == 0


def test_a_volume_scale_narrower_than_18_db_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 18 dB"):
        VolumeScale(steps=5, min_db=-12)
    with pytest.raises(ValueError, match="two steps"):
        VolumeScale(steps=1)


# ---------------------------------------------------------------------- settings


def test_the_default_settings_meet_every_figure() -> None:
    settings = KioskSettings.from_mapping(
        {"server_url": "ws://127.0.0.1:8765/ws", "division": "riga-1", "device_token": "t"}
    )
    assert settings.screen == ScreenSettings()
    assert settings.screen.mounting.rows_in_reach()
    assert settings.volume.scale.span_db >= 18
    timeouts = settings.timeouts
    assert timeouts.warning >= 20 and timeouts.accessible_warning >= 20
    assert timeouts.limits_ms(accessible=False, last_screen=False) == (60_000, 30_000)
    assert timeouts.limits_ms(accessible=True, last_screen=False) == (180_000, 60_000)
    assert timeouts.limits_ms(accessible=False, last_screen=True) == (10_000, 30_000)
    assert timeouts.limits_ms(accessible=True, last_screen=True) == (30_000, 60_000)


@pytest.mark.parametrize(
    ("section", "values", "problem"),
    [
        ("timeouts", {"warning": 19}, "timeouts.warning: the warning must last at least 20 s"),
        (
            "timeouts",
            {"accessible_warning": 25, "warning": 30},
            "timeouts.accessible_warning: must not be shorter than timeouts.warning",
        ),
        ("volume", {"min_db": -10}, "volume: min_db to max_db must span at least 18 dB"),
        ("volume", {"start_step": 7}, "volume.start_step: must be below volume.steps"),
        ("screen", {"width_mm": 0}, "screen.width_mm: must be a number above 0"),
        (
            "screen",
            {"lower_edge_mm": 1250},
            "screen.lower_edge_mm: no part of the screen is 380-1220 mm above the floor",
        ),
        ("screen", {"dpi": 96}, "screen.dpi: unknown key"),
    ],
)
def test_settings_that_fall_short_are_refused(
    section: str, values: dict[str, object], problem: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        KioskSettings.from_mapping(
            {
                "server_url": "ws://127.0.0.1:8765/ws",
                "division": "riga-1",
                "device_token": "t",
                section: values,
            }
        )
    assert problem in caught.value.problems
