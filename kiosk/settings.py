"""The kiosk's settings: read once at start, checked, and passed down.

    settings = KioskSettings.load("kiosk.toml")      # or KioskSettings.from_mapping({...})

A file looks like this (every key but the first three has a default)::

    server_url = "wss://rinda.example.lv/ws"
    division = "riga-1"
    device_token = "d1...."                 # printed once by `rinda-server device add`
    languages = ["lv", "en", "ru", "uk"]    # Latvian first; the division may offer fewer

    [screen]                                # the visible area, portrait
    width_px = 1080
    height_px = 1920
    width_mm = 336.0
    height_mm = 597.9
    lower_edge_mm = 700                     # floor to the lower edge of the visible area

    [timeouts]                              # seconds
    idle = 60                               # no touch for this long: the warning appears
    warning = 30                            # ... and stays this long before the reset (>= 20)
    done = 10                               # on the last screens (ticket, closed, thanks)
    accessible_idle = 180                   # the same in the accessible mode (longer)
    accessible_warning = 60
    accessible_done = 30
    retry = 2                               # between two tries while the server is away

    [volume]
    steps = 7
    min_db = -24.0                          # the quietest step, relative to the loudest
    start_step = 4

    [printer]                               # handed to the printer as it is
    kind = "network"

Loading collects every problem before it fails: ``SettingsError.problems`` lists
them, one line each, so a technician fixes the file in one pass.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kiosk.accessibility import (
    MIN_VOLUME_SPAN_DB,
    Mounting,
    ScreenGeometry,
    VolumeScale,
)

SHIPPED_LANGUAGES = ("lv", "en", "ru", "uk")
#: The kiosk never resets sooner than this after warning (DESIGN: at least 20 s).
MIN_WARNING_S = 20.0
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class SettingsError(ValueError):
    """The settings cannot be used; ``problems`` says every reason, one per line."""

    def __init__(self, problems: list[str], source: str = "settings") -> None:
        self.problems = tuple(problems)
        self.source = source
        super().__init__("\n".join(f"{source}: {problem}" for problem in problems))


@dataclass(frozen=True)
class ScreenSettings:
    width_px: int = 1080
    height_px: int = 1920
    width_mm: float = 336.0
    height_mm: float = 597.9
    #: Height above the floor of the visible area's lower edge.
    lower_edge_mm: float = 700.0

    @property
    def geometry(self) -> ScreenGeometry:
        return ScreenGeometry(self.width_px, self.height_px, self.width_mm, self.height_mm)

    @property
    def mounting(self) -> Mounting:
        return Mounting(self.geometry, self.lower_edge_mm)


@dataclass(frozen=True)
class Timeouts:
    """Inactivity, in seconds: ``idle`` without a touch, then a warning for ``warning``
    seconds that offers more time, then back to the start."""

    idle: float = 60.0
    warning: float = 30.0
    done: float = 10.0
    accessible_idle: float = 180.0
    accessible_warning: float = 60.0
    accessible_done: float = 30.0
    retry: float = 2.0

    def limits_ms(self, accessible: bool, last_screen: bool) -> tuple[int, int]:
        """(quiet time before the warning, length of the warning) in ms."""
        if accessible:
            idle = self.accessible_done if last_screen else self.accessible_idle
            return int(idle * 1000), int(self.accessible_warning * 1000)
        idle = self.done if last_screen else self.idle
        return int(idle * 1000), int(self.warning * 1000)


@dataclass(frozen=True)
class VolumeSettings:
    steps: int = 7
    min_db: float = -24.0
    max_db: float = 0.0
    start_step: int = 4

    @property
    def scale(self) -> VolumeScale:
        return VolumeScale(self.steps, self.min_db, self.max_db)


@dataclass(frozen=True)
class KioskSettings:
    server_url: str
    division: str
    device_token: str = field(repr=False)
    languages: tuple[str, ...] = SHIPPED_LANGUAGES
    screen: ScreenSettings = ScreenSettings()
    timeouts: Timeouts = Timeouts()
    volume: VolumeSettings = VolumeSettings()
    #: The printer's own settings, handed to the printer as they are.
    printer: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> KioskSettings:
        """Read and check a TOML file; raise ``SettingsError`` listing every problem."""
        file = Path(path)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except OSError as error:
            raise SettingsError([f"cannot read the file: {error.strerror}"], str(file)) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise SettingsError([f"not valid TOML: {error}"], str(file)) from None
        return cls.from_mapping(data, source=str(file))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "settings") -> KioskSettings:
        """Check ``data`` (as read from TOML); raise ``SettingsError`` listing every problem."""
        problems: list[str] = []
        read = _Reader(data, problems)
        url = read.text("server_url", required=True)
        if url and not url.startswith(("ws://", "wss://")):
            problems.append("server_url: must start with ws:// or wss://")
        division = read.text("division", required=True)
        if division and not _ID.match(division):
            problems.append("division: must be a division id such as riga-1")
        token = read.text("device_token", required=True)
        languages = tuple(read.list_of_text("languages", SHIPPED_LANGUAGES))
        unknown = [lang for lang in languages if lang not in SHIPPED_LANGUAGES]
        if unknown:
            problems.append(f"languages: {unknown} are not shipped (lv, en, ru, uk)")
        if languages[:1] != ("lv",):
            problems.append("languages: Latvian (lv) comes first")
        if len(set(languages)) != len(languages):
            problems.append("languages: a language is listed twice")

        screen = read.section(
            "screen",
            ScreenSettings,
            width_px=_positive_int,
            height_px=_positive_int,
            width_mm=_positive,
            height_mm=_positive,
            lower_edge_mm=_between(0, 2500),
        )
        timeouts = read.section(
            "timeouts",
            Timeouts,
            idle=_positive,
            warning=_positive,
            done=_positive,
            accessible_idle=_positive,
            accessible_warning=_positive,
            accessible_done=_positive,
            retry=_between(0.01, 60),
        )
        volume = read.section(
            "volume",
            VolumeSettings,
            steps=_between_int(2, 50),
            min_db=_between(-120, 0),
            max_db=_between(-120, 0),
            start_step=_between_int(0, 49),
        )
        printer = data.get("printer", {})
        if not isinstance(printer, Mapping):
            problems.append("printer: must be a table")
            printer = {}
        extra = sorted(set(data) - _TOP_KEYS)
        if extra:
            problems.append(f"unknown keys {extra}")

        if timeouts is not None:
            for name in ("warning", "accessible_warning"):
                if getattr(timeouts, name) < MIN_WARNING_S:
                    problems.append(
                        f"timeouts.{name}: the warning must last at least {MIN_WARNING_S:g} s"
                    )
            for name in ("idle", "warning", "done"):
                if getattr(timeouts, f"accessible_{name}") < getattr(timeouts, name):
                    problems.append(
                        f"timeouts.accessible_{name}: must not be shorter than timeouts.{name}"
                    )
        if volume is not None:
            if volume.max_db - volume.min_db < MIN_VOLUME_SPAN_DB:
                problems.append(
                    f"volume: min_db to max_db must span at least {MIN_VOLUME_SPAN_DB:g} dB"
                )
            if volume.start_step >= volume.steps:
                problems.append("volume.start_step: must be below volume.steps")
        if screen is not None and not screen.mounting.rows_in_reach():
            problems.append(
                "screen.lower_edge_mm: no part of the screen is 380-1220 mm above the floor"
            )
        if problems:
            raise SettingsError(problems, source)
        assert screen is not None and timeouts is not None and volume is not None
        return cls(
            server_url=url,
            division=division,
            device_token=token,
            languages=languages,
            screen=screen,
            timeouts=timeouts,
            volume=volume,
            printer=MappingProxyType(dict(printer)),
        )


_TOP_KEYS = frozenset(
    {
        "server_url",
        "division",
        "device_token",
        "languages",
        "screen",
        "timeouts",
        "volume",
        "printer",
    }
)

Check = Callable[[Any], str | None]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _positive(value: Any) -> str | None:
    return None if _number(value) and value > 0 else "must be a number above 0"


def _positive_int(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    return None if ok else "must be a whole number above 0"


def _between(low: float, high: float) -> Check:
    def check(value: Any) -> str | None:
        return None if _number(value) and low <= value <= high else f"must be {low:g} to {high:g}"

    return check


def _between_int(low: int, high: int) -> Check:
    def check(value: Any) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
        return None if ok else f"must be a whole number from {low} to {high}"

    return check


class _Reader:
    def __init__(self, data: Mapping[str, Any], problems: list[str]) -> None:
        self.data = data
        self.problems = problems

    def text(self, key: str, required: bool = False) -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.append(f"{key}: missing")
            return ""
        if not isinstance(value, str) or not value.strip():
            self.problems.append(f"{key}: must be a non-empty text")
            return ""
        return value.strip()

    def list_of_text(self, key: str, default: tuple[str, ...]) -> list[str]:
        value = self.data.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problems.append(f"{key}: must be a list of texts")
            return list(default)
        return value

    def section(self, key: str, kind: Callable[..., Any], **checks: Check) -> Any:
        table = self.data.get(key, {})
        if not isinstance(table, Mapping):
            self.problems.append(f"{key}: must be a table")
            return None
        before = len(self.problems)
        for name in sorted(set(table) - set(checks)):
            self.problems.append(f"{key}.{name}: unknown key")
        for name, check in checks.items():
            if name in table and (problem := check(table[name])) is not None:
                self.problems.append(f"{key}.{name}: {problem}")
        if len(self.problems) > before:
            return None
        return kind(**{name: table[name] for name in checks if name in table})
