"""Reading configuration files and stacking them, remembering where each key came from.

An admin's file may replace the default or extend it (``extends = "default"`` or a
path); several files stack in the order given. Tables merge key by key, anything
else (strings, numbers, arrays) is replaced whole. The merged tree keeps, for every
table and key, the file and key path that set it, so a problem found after merging
is still reported against the line an admin has to change.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from queue_server.config.errors import ConfigError, Problem

#: A key path in the TOML tree: table keys and array indexes.
KeyPath = tuple[str | int, ...]

#: The value of ``extends`` that names the default configuration file.
DEFAULT = "default"


def dotted(path: KeyPath) -> str:
    """``("divisions", "riga-1", "counters", 0)`` -> ``divisions.riga-1.counters[0]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _is_bare_key(part):
            text += f".{part}" if text else part
        else:
            text += f'."{part}"' if text else f'"{part}"'
    return text


def _is_bare_key(key: str) -> bool:
    return bool(key) and all(c.isascii() and (c.isalnum() or c in "-_") for c in key)


@dataclass(frozen=True)
class Layered:
    """A merged TOML tree and, per key path, the ``(file, key path)`` that set it."""

    data: Mapping[str, Any]
    origins: Mapping[KeyPath, tuple[str, KeyPath]]

    @classmethod
    def from_file(cls, file: str, data: Mapping[str, Any]) -> Layered:
        origins = {path: (file, path) for path in _table_paths(data, ())}
        return cls(data, origins)

    def over(self, base: Layered) -> Layered:
        """This tree merged over ``base``: its keys win, tables merge key by key."""
        return Layered(merge(base.data, self.data), {**base.origins, **self.origins})

    def where(self, path: KeyPath) -> tuple[str, str]:
        """The file and dotted key path to blame for a problem at ``path``."""
        for cut in range(len(path), -1, -1):
            found = self.origins.get(path[:cut])
            if found is not None:
                file, origin = found
                return file, dotted(origin + path[cut:])
        return "?", dotted(path)

    def with_base(self, path: tuple[str, ...], base: tuple[str, ...]) -> Layered:
        """The table at ``path`` merged over the table at ``base``.

        Keys it takes from ``base`` keep pointing at ``base``, so a problem in a shared
        template is reported once, where it is written.
        """
        own = _lookup(self.data, path)
        shared = _lookup(self.data, base)
        data = _replace(self.data, path, merge(shared, own))
        inherited = {
            path + key[len(base) :]: origin
            for key, origin in self.origins.items()
            if key[: len(base)] == base and len(key) > len(base)
        }
        own_origins = {
            key: origin for key, origin in self.origins.items() if key[: len(path)] == path
        }
        return Layered(data, {**self.origins, **inherited, **own_origins})


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` deep-merged over ``base``; neither is changed."""
    merged = dict(base)
    for key, value in over.items():
        below = merged.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            merged[key] = merge(below, value)
        else:
            merged[key] = value
    return merged


def read_layers(paths: Sequence[Path], default: Path) -> Layered:
    """Read ``paths`` (each with what it extends) and stack them, later over earlier."""
    problems: list[Problem] = []
    stack = Layered({}, {})
    for path in paths:
        for layer in _chain(path, default, problems, seen=()):
            stack = layer.over(stack)
    if problems:
        raise ConfigError(problems)
    return stack


def _chain(
    path: Path, default: Path, problems: list[Problem], seen: tuple[Path, ...]
) -> list[Layered]:
    """The layers of ``path``: what it extends first, then the file itself."""
    file = str(path)
    data = read_toml(path, problems)
    if data is None:
        return []
    extends = data.pop("extends", None)
    layer = Layered.from_file(file, data)
    if extends is None:
        return [layer]
    if not isinstance(extends, str) or not extends:
        problems.append(Problem(file, "extends", f'must be "{DEFAULT}" or a file path'))
        return [layer]
    base = default if extends == DEFAULT else path.parent / extends
    if base.resolve() in seen or base.resolve() == path.resolve():
        problems.append(Problem(file, "extends", f"{extends!r} extends itself in a loop"))
        return [layer]
    return [*_chain(base, default, problems, (*seen, path.resolve())), layer]


def read_toml(path: Path, problems: list[Problem]) -> dict[str, Any] | None:
    """The TOML document in ``path``, or None after recording why it cannot be read."""
    try:
        with path.open("rb") as stream:
            return tomllib.load(stream)
    except OSError as error:
        problems.append(Problem(str(path), "", f"cannot read the file: {error.strerror}"))
    except tomllib.TOMLDecodeError as error:
        problems.append(Problem(str(path), "", f"not valid TOML: {error}"))
    except UnicodeDecodeError:
        problems.append(Problem(str(path), "", "not UTF-8 text"))
    return None


def _table_paths(table: Mapping[str, Any], prefix: KeyPath) -> list[KeyPath]:
    """Every table and key path under ``prefix``; arrays count as single values."""
    paths: list[KeyPath] = [prefix]
    for key, value in table.items():
        if isinstance(value, Mapping):
            paths.extend(_table_paths(value, (*prefix, key)))
        else:
            paths.append((*prefix, key))
    return paths


def _lookup(data: Mapping[str, Any], path: tuple[str, ...]) -> Mapping[str, Any]:
    for key in path:
        found = data.get(key) if isinstance(data, Mapping) else None
        data = found if isinstance(found, Mapping) else {}
    return data


def _replace(data: Mapping[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    copy = dict(data)
    head, *rest = path
    copy[head] = _replace(_lookup(data, (head,)), tuple(rest), value) if rest else value
    return copy
