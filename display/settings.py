"""The hall display's settings: a TOML file and command-line flags, checked once at start.

    settings = DisplaySettings.load("display.toml", {"sound.volume": 60})

A file looks like this (only the first three keys are required; ``device_token_file``
may stand for ``device_token``)::

    server_url = "wss://rinda.example.lv/ws"
    division = "riga-1"
    device_token_file = "/etc/rinda/display.token"   # or device_token = "d1...."
    languages = ["lv", "en", "ru", "uk"]   # default: the division's own languages

    [screen]
    width_px = 1920                        # landscape
    height_px = 1080

    [sound]
    volume = 80                            # percent of the output's full level
    announce = true                        # false: show calls without sound
    chime = "assets/sounds/chime.wav"      # default: the one Rinda ships
    words_per_minute = 140
    cache_files = 2000                     # speech files kept; the oldest go first
    fresh_seconds = 60                     # a call missed while away is said only this fresh

    [board]
    history = 7                            # the newest call and six before it
    highlight_seconds = 8                  # how long a new call stands out
    rotate_seconds = 12                    # the texts turn through the languages this often
    closing_soon_minutes = 30              # "reception ends in ... min" from then on
    retry_seconds = 2                      # between tries while the server is away at start

Flags override keys by their dotted names (``screen.width_px``). Loading collects
every problem before it fails (``SettingsError.problems``), so a technician fixes the
file in one pass; the token never appears in a message or a repr.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.settings import SHIPPED_LANGUAGES, SettingsError

ROOT = Path(__file__).resolve().parent.parent
#: Kivy's frame cap for the display. Nothing on the board moves faster than a blink
#: twice a second, and every idle frame still wakes the loop: 15 a second, not 60.
MAX_FPS = 15
DEFAULT_CHIME = ROOT / "assets" / "sounds" / "chime.wav"
_DIVISION = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

Check = Callable[[Any], str | None]


def _whole(low: int, high: int) -> Check:
    def check(value: Any) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
        return None if ok else f"must be a whole number from {low} to {high}"

    return check


def _real(low: float, high: float) -> Check:
    def check(value: Any) -> str | None:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok and low <= value <= high else f"must be a number from {low:g} to {high:g}"

    return check


def _flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _words(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be a non-empty text"


#: Every key but the connection's: its check and its default.
OPTIONS: dict[str, tuple[Check, Any]] = {
    "screen.width_px": (_whole(320, 7680), 1920),
    "screen.height_px": (_whole(240, 4320), 1080),
    "sound.volume": (_whole(0, 100), 80),
    "sound.announce": (_flag, True),
    "sound.chime": (_words, str(DEFAULT_CHIME)),
    "sound.words_per_minute": (_whole(80, 450), 140),
    "sound.cache_files": (_whole(50, 1_000_000), 2000),
    "sound.fresh_seconds": (_real(0, 3600), 60),
    "board.history": (_whole(2, 12), 7),
    "board.highlight_seconds": (_real(1, 60), 8),
    "board.rotate_seconds": (_real(3, 600), 12),
    "board.closing_soon_minutes": (_whole(0, 240), 30),
    "board.retry_seconds": (_real(0.05, 60), 2),
}
_CONNECTION = ("server_url", "division", "device_token", "device_token_file", "languages")


@dataclass(frozen=True)
class DisplaySettings:
    server_url: str
    division: str
    device_token: str = field(repr=False)
    #: None: the languages the division offers (Latvian first).
    languages: tuple[str, ...] | None = None
    width_px: int = 1920
    height_px: int = 1080
    volume: int = 80
    announce: bool = True
    chime: Path = DEFAULT_CHIME
    words_per_minute: int = 140
    cache_files: int = 2000
    fresh_seconds: float = 60.0
    history: int = 7
    highlight_seconds: float = 8.0
    rotate_seconds: float = 12.0
    closing_soon_minutes: int = 30
    retry_seconds: float = 2.0

    @classmethod
    def load(
        cls, path: str | os.PathLike[str] | None, overrides: Mapping[str, Any] | None = None
    ) -> DisplaySettings:
        """Read the TOML file (if any), apply the flags, check; raise ``SettingsError``."""
        data: dict[str, Any] = {}
        source = "settings"
        if path is not None:
            source = str(path)
            try:
                data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
            except OSError as error:
                raise SettingsError([f"cannot read the file: {error.strerror}"], source) from None
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
                raise SettingsError([f"not valid TOML: {error}"], source) from None
        return cls.from_mapping(with_overrides(data, overrides or {}), source)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "settings") -> DisplaySettings:
        problems: list[str] = []
        flat = _flatten(data)
        for key in sorted(set(flat) - set(OPTIONS) - set(_CONNECTION)):
            problems.append(f"{key}: unknown key")
        values: dict[str, Any] = {}
        for key, (check, default) in OPTIONS.items():
            value = flat.get(key, default)
            if (problem := check(value)) is not None:
                problems.append(f"{key}: {problem}")
            values[key.split(".", 1)[1]] = value

        url = _text(flat, "server_url", problems)
        if url and not url.startswith(("ws://", "wss://")):
            problems.append("server_url: must start with ws:// or wss://")
        division = _text(flat, "division", problems)
        if division and not _DIVISION.match(division):
            problems.append("division: must be a division id such as riga-1")
        token = _token(flat, problems)
        languages = _languages(flat.get("languages"), problems)
        if problems:
            raise SettingsError(problems, source)
        values["chime"] = Path(values["chime"])
        return cls(
            server_url=url,
            division=division,
            device_token=token,
            languages=languages,
            **values,
        )

    def languages_for(self, offered: tuple[str, ...]) -> tuple[str, ...]:
        """The languages to show and say: the configured ones the division offers (or
        all it offers), Latvian always first."""
        wanted = self.languages or offered
        chosen = [lang for lang in wanted if lang in offered or lang == "lv"]
        return ("lv", *(lang for lang in chosen if lang != "lv"))


def with_overrides(data: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with dotted keys (``sound.volume``) replaced; ``None`` leaves a key alone."""
    merged: dict[str, Any] = {k: dict(v) if isinstance(v, Mapping) else v for k, v in data.items()}
    for dotted, value in overrides.items():
        if value is None:
            continue
        section, _, key = dotted.rpartition(".")
        target = merged.setdefault(section, {}) if section else merged
        if isinstance(target, dict):
            target[key] = value
    return merged


def _flatten(data: Mapping[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping) and key in ("screen", "sound", "board"):
            flat.update({f"{key}.{inner}": v for inner, v in value.items()})
        else:
            flat[key] = value
    return flat


def _text(flat: Mapping[str, Any], key: str, problems: list[str]) -> str:
    value = flat.get(key)
    if value is None:
        problems.append(f"{key}: missing")
        return ""
    if _words(value) is not None:
        problems.append(f"{key}: must be a non-empty text")
        return ""
    return str(value).strip()


def _token(flat: Mapping[str, Any], problems: list[str]) -> str:
    """The device token, given as it is or in a file only root can read."""
    if "device_token" in flat and "device_token_file" in flat:
        problems.append("device_token, device_token_file: give one of them, not both")
        return ""
    if "device_token_file" in flat:
        name = _text(flat, "device_token_file", problems)
        if not name:
            return ""
        try:
            token = Path(name).read_text(encoding="utf-8").strip()
        except OSError as error:
            problems.append(f"device_token_file: cannot read {name}: {error.strerror}")
            return ""
        if not token:
            problems.append(f"device_token_file: {name} is empty")
        return token
    if "device_token" not in flat:
        problems.append("device_token: missing (or give device_token_file)")
        return ""
    return _text(flat, "device_token", problems)


def _languages(value: Any, problems: list[str]) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        problems.append("languages: must be a list of language codes")
        return None
    rules = (
        (all(lang in SHIPPED_LANGUAGES for lang in value), "only lv, en, ru and uk are shipped"),
        (list(value[:1]) == ["lv"], "Latvian (lv) comes first"),
        (len(set(value)) == len(value), "each language once"),
    )
    problems.extend(f"languages: {rule}" for ok, rule in rules if not ok)
    return tuple(value)
