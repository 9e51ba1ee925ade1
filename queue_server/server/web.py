"""The static files the server hands out: the consoles (plain HTML, CSS, JavaScript).

Only files inside ``queue_server/web`` are served, by their exact name; nothing is
read from a path the client makes up.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
}

#: Pretty paths for the consoles.
_ALIASES = {"/": "index.html", "/clerk": "clerk.html", "/admin": "admin.html"}


@cache
def _files() -> dict[str, Path]:
    return {
        "/" + p.relative_to(WEB_ROOT).as_posix(): p
        for p in WEB_ROOT.rglob("*")
        if p.is_file() and p.suffix in _TYPES
    }


def page(path: str) -> tuple[bytes, str] | None:
    """The bytes and content type of a served path, or None (404)."""
    alias = _ALIASES.get(path)
    found = _files().get("/" + alias if alias else path)
    if found is None:
        return None
    return found.read_bytes(), _TYPES[found.suffix]
