"""Reading typed values out of the merged TOML tree while collecting every problem.

Each reader takes a raw value and its key path, returns the value converted (or
``None`` when it is unusable) and records what is wrong, so the caller carries on
and the admin sees all problems at once. A value of ``None`` means the key is absent:
TOML has no null, and a missing required key was already reported by ``table``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import date
from difflib import get_close_matches
from typing import Any

from queue_server.config.errors import ConfigError, Problem
from queue_server.config.layers import KeyPath, Layered
from queue_server.core.settings import SHIPPED_LANGUAGES, Span

_SLUG = re.compile(r"[a-z][a-z0-9_-]*")
_RANGE = re.compile(r"(\d\d):(\d\d)-(\d\d):(\d\d)")

#: The word that marks a closed day where hours are expected.
CLOSED = "closed"


class Checker:
    """Collects problems against a merged tree; each is reported once."""

    def __init__(self, doc: Layered) -> None:
        self.doc = doc
        self._problems: dict[Problem, None] = {}

    def problem(self, path: KeyPath, what: str) -> None:
        file, where = self.doc.where(path)
        self._problems.setdefault(Problem(file, where, what), None)

    def raise_if_any(self) -> None:
        if self._problems:
            raise ConfigError(self._problems)

    def table(
        self,
        value: Any,
        path: KeyPath,
        required: Collection[str] = (),
        optional: Collection[str] = (),
    ) -> Mapping[str, Any]:
        """A table with exactly these keys; an unusable value reads as an empty table."""
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.problem(path, f"must be a table, not {_kind(value)}")
            return {}
        known = [*required, *optional]
        for key in value:
            if key not in known:
                self.problem((*path, key), "unknown key" + _did_you_mean(key, known))
        for key in required:
            if key not in value:
                self.problem((*path, key), "missing")
        return value

    def entries(self, value: Any, path: KeyPath, what: str) -> Iterator[tuple[str, Any]]:
        """The ``id = value`` pairs of a table of named things, ids checked as slugs."""
        if value is None:
            return
        if not isinstance(value, Mapping):
            self.problem(path, f"must be a table, not {_kind(value)}")
            return
        for key, item in value.items():
            if _SLUG.fullmatch(key):
                yield key, item
            else:
                self.problem(
                    (*path, key),
                    f"{what} id must be lowercase ASCII letters, digits, '-' or '_'",
                )

    def string(self, value: Any, path: KeyPath) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(path, f"must be a non-empty string, not {_kind(value)}")
            return None
        return value

    def choice(self, value: Any, path: KeyPath, choices: Sequence[str], noun: str) -> str | None:
        """A string naming one of ``choices`` (a ``noun``: service, template, division...)."""
        text = self.string(value, path)
        if text is not None and text not in choices:
            self.problem(path, _unknown(noun, text, choices))
            return None
        return text

    def distinct(self, owned: Sequence[tuple[KeyPath, str, Any]], key: str) -> None:
        """Report each ``(path, owner, value)`` whose value another owner shares.

        Both sides are reported, so the line an admin just changed is always named.
        """
        owners: dict[Any, list[tuple[KeyPath, str]]] = {}
        for path, owner, value in owned:
            owners.setdefault(value, []).append((path, owner))
        for value, sharing in owners.items():
            for path, owner in sharing:
                others = [other for _, other in sharing if other != owner]
                if others:
                    self.problem(path, f"{value!r} is also the {key} of {', '.join(others)}")

    def integer(self, value: Any, path: KeyPath, minimum: int = 1) -> int | None:
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            self.problem(path, f"must be a whole number, not {_kind(value)}")
            return None
        if value < minimum:
            self.problem(path, f"must be at least {minimum}, not {value}")
            return None
        return value

    def duration_ms(self, value: Any, path: KeyPath, unit_ms: int) -> int | None:
        """A positive number of ``unit_ms`` units, in milliseconds."""
        if value is None:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool):
            self.problem(path, f"must be a number, not {_kind(value)}")
            return None
        if value <= 0:
            self.problem(path, f"must be more than 0, not {value}")
            return None
        return round(value * unit_ms)

    def strings(
        self, value: Any, path: KeyPath, choices: Sequence[str] = (), noun: str = "value"
    ) -> tuple[str, ...]:
        """An array of distinct strings, each one of ``choices`` (a ``noun``) when given."""
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem(path, f"must be an array of strings, not {_kind(value)}")
            return ()
        items: list[str] = []
        for index, item in enumerate(value):
            text = self.string(item, (*path, index))
            if text is None:
                continue
            if choices and text not in choices:
                self.problem((*path, index), _unknown(noun, text, choices))
            elif text in items:
                self.problem((*path, index), f"{text!r} is listed twice")
            else:
                items.append(text)
        return tuple(items)

    def local_text(self, value: Any, path: KeyPath, languages: Sequence[str]) -> dict[str, str]:
        """A text in each of ``languages``; other shipped languages may be given too."""
        extra = [lang for lang in SHIPPED_LANGUAGES if lang not in languages]
        table = self.table(value, path, required=languages, optional=extra)
        texts: dict[str, str] = {}
        for lang, text in table.items():
            if lang in SHIPPED_LANGUAGES:
                checked = self.string(text, (*path, lang))
                if checked is not None:
                    texts[lang] = checked
        return texts

    def span(self, value: Any, path: KeyPath) -> Span | None:
        """``"HH:MM-HH:MM"`` as a Span, or None for ``"closed"`` or a bad value."""
        if value is None or value == CLOSED:
            return None
        match = _RANGE.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            self.problem(path, f'must be "HH:MM-HH:MM" or "{CLOSED}", not {value!r}')
            return None
        oh, om, ch, cm = (int(group) for group in match.groups())
        if oh > 23 or om > 59 or ch > 24 or cm > 59 or (ch == 24 and cm > 0):
            self.problem(path, f"{value!r} is not a time of day")
            return None
        span = Span(oh * 60 + om, ch * 60 + cm)
        if span.open_min >= span.close_min:
            self.problem(path, f"{value!r} must open before it closes")
            return None
        return span

    def date(self, value: Any, path: KeyPath) -> date | None:
        """A TOML date (``2026-11-17``) or the same as a string."""
        if value is None:
            return None
        if isinstance(value, date) and not hasattr(value, "hour"):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(path, f"must be a date like 2026-11-17, not {value!r}")
        return None


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    kinds = {str: "a string", int: "a whole number", float: "a number", list: "an array"}
    for kind, word in kinds.items():
        if isinstance(value, kind):
            return f"{word} ({value!r})" if not isinstance(value, list) else word
    return "a table" if isinstance(value, Mapping) else type(value).__name__


def _did_you_mean(key: str, known: Sequence[str]) -> str:
    close = get_close_matches(key, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _unknown(noun: str, value: str, choices: Sequence[str]) -> str:
    """``unknown service 'pasport' (did you mean 'passport'?)``; short lists are spelled out."""
    hint = _did_you_mean(value, choices)
    if not hint and len(choices) <= 8:
        hint = " (one of " + ", ".join(repr(choice) for choice in choices) + ")"
    return f"unknown {noun} {value!r}{hint}"
