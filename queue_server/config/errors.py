"""The configuration package's one exception, and the problems it reports.

Loading stops only after every problem is found, so an admin fixes a broken file in
one pass: ``ConfigError`` carries all of them, one line each, as
``file: key.path: what is wrong``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file, at one key (``path`` is empty for the file itself)."""

    file: str
    path: str
    what: str

    def __str__(self) -> str:
        if not self.path:
            return f"{self.file}: {self.what}"
        return f"{self.file}: {self.path}: {self.what}"


class ConfigError(Exception):
    """Configuration or catalogs cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class MissingTextError(ConfigError):
    """A catalog key has no text in the asked language nor in Latvian, the fallback."""

    def __init__(self, file: str, lang: str, key: str) -> None:
        self.lang = lang
        self.key = key
        super().__init__([Problem(file, key, f"no text in {lang!r} nor in 'lv'")])
