"""The static files the server hands out: the consoles (plain HTML, CSS, JavaScript),
and the translation catalogs as JSON for them.

Only files inside ``queue_server/web`` are served, by their exact name; nothing is
read from a path the client makes up. ``/i18n/<lang>.json`` is the catalog of a
shipped language (``assets/i18n/<lang>.toml``) as one flat object of dotted keys,
with Latvian filling any gap, so the consoles keep no texts of their own.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from queue_server.config import Catalog
from queue_server.core.settings import SHIPPED_LANGUAGES

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

#: The catalogs, one path per shipped language.
_CATALOGS = {f"/i18n/{lang}.json": lang for lang in SHIPPED_LANGUAGES}


@cache
def _files() -> dict[str, Path]:
    return {
        "/" + p.relative_to(WEB_ROOT).as_posix(): p
        for p in WEB_ROOT.rglob("*")
        if p.is_file() and p.suffix in _TYPES
    }


@cache
def catalog_json(lang: str) -> bytes:
    """Every text of ``lang``'s catalog, by dotted key, Latvian where it has none."""
    catalog = Catalog.load()
    keys = sorted(catalog.keys("lv") | catalog.keys(lang))
    texts = {key: catalog.raw(lang, key) for key in keys}
    return json.dumps(texts, ensure_ascii=False, separators=(",", ":")).encode()


def page(path: str) -> tuple[bytes, str] | None:
    """The bytes and content type of a served path, or None (404)."""
    lang = _CATALOGS.get(path)
    if lang is not None:
        return catalog_json(lang), "application/json; charset=utf-8"
    alias = _ALIASES.get(path)
    found = _files().get("/" + alias if alias else path)
    if found is None:
        return None
    return found.read_bytes(), _TYPES[found.suffix]
