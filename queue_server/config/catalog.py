"""Translation catalogs: every visitor- and clerk-facing sentence in each language.

A catalog is ``assets/i18n/<lang>.toml``; nested tables give dotted keys
(``[error] no_services = "..."`` is ``error.no_services``). Texts are ``str.format``
templates: ``{open}`` is a parameter, ``{{`` a literal brace. A text missing in one
language falls back to Latvian, the official language.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from queue_server.config.assets import default_catalog_dir
from queue_server.config.errors import ConfigError, MissingTextError, Problem
from queue_server.config.layers import read_toml
from queue_server.core.settings import SHIPPED_LANGUAGES

FALLBACK = "lv"


class Catalog:
    """The texts of all languages, looked up by language and dotted key."""

    def __init__(self, texts: Mapping[str, Mapping[str, str]], source: str = "catalogs") -> None:
        if FALLBACK not in texts:
            raise ConfigError([Problem(source, "", f"no {FALLBACK}.toml, the fallback catalog")])
        self._texts = {lang: dict(entries) for lang, entries in texts.items()}
        self._source = source

    @classmethod
    def load(cls, directory: str | os.PathLike[str] | None = None) -> Catalog:
        """Read every ``<lang>.toml`` in ``directory`` (default: the shipped catalogs).

        Raises ``ConfigError`` listing every unreadable file and non-text value.
        """
        folder = Path(directory) if directory is not None else default_catalog_dir()
        problems: list[Problem] = []
        texts: dict[str, dict[str, str]] = {}
        for file in sorted(folder.glob("*.toml"), key=_shipped_first):
            data = read_toml(file, problems)
            if data is not None:
                texts[file.stem] = _flatten(data, str(file), problems)
        if not texts and not problems:
            problems.append(Problem(str(folder), "", "no catalogs (<lang>.toml) found"))
        if problems:
            raise ConfigError(problems)
        return cls(texts, source=str(folder))

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages with a catalog, shipped ones first in their order."""
        return tuple(self._texts)

    def keys(self, lang: str) -> frozenset[str]:
        """The keys ``lang``'s own catalog has (without falling back)."""
        return frozenset(self._texts.get(lang, {}))

    def raw(self, lang: str, key: str) -> str:
        """The unformatted template for ``key`` in ``lang``, falling back to Latvian."""
        template = self._texts.get(lang, {}).get(key)
        if template is None:
            template = self._texts[FALLBACK].get(key)
        if template is None:
            raise MissingTextError(self._source, lang, key)
        return template

    def text(self, lang: str, key: str, **params: Any) -> str:
        """``key`` in ``lang`` (or Latvian) with ``{name}`` parameters filled in.

        Raises ``MissingTextError`` when no catalog has ``key``.
        """
        return self.raw(lang, key).format(**params)


def _shipped_first(file: Path) -> tuple[int, str]:
    lang = file.stem
    order = SHIPPED_LANGUAGES.index(lang) if lang in SHIPPED_LANGUAGES else len(SHIPPED_LANGUAGES)
    return order, lang


def _flatten(
    table: Mapping[str, Any], file: str, problems: list[Problem], prefix: str = ""
) -> dict[str, str]:
    """Nested tables as dotted keys; every leaf must be a non-empty string."""
    flat: dict[str, str] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, file, problems, f"{dotted}."))
        elif isinstance(value, str) and value.strip():
            flat[dotted] = value
        else:
            problems.append(Problem(file, dotted, "must be a non-empty string"))
    return flat
