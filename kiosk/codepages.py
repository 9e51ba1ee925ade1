"""Code pages: one per ticket, chosen among those the printer profile supports.

A thermal printer prints a byte through one character table at a time, selected with
``ESC t n``. A ticket is encoded in ONE table, selected once at its start: no
switching code pages inside a word, or anywhere. The table is chosen per ticket among
the code pages the printer profile (python-escpos' printer database) lists and that
Python can encode, as the one that

1. loses the fewest letters of the ticket's text,
2. then the fewest other characters (dashes, quotes, ``№``),
3. then comes first in the language's preference (``PREFERRED``),
4. then has the lowest number in the profile.

So a Latvian ticket prints in CP1257 or CP775, a Russian one in CP866 or CP1251, a
Ukrainian one in CP1125 or CP1251 (CP866 lacks ``і`` and ``ґ``), an English one in a
Baltic table when it names a Latvian street. Characters the chosen table still lacks
are transliterated (``STAND_INS``, then Cyrillic to Latin, then the letter without its
accent, then ``?``) and reported: printing never fails on a character.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

#: Tables tried first, per language, when several hold the whole text equally well.
PREFERRED: Mapping[str, tuple[str, ...]] = {
    "lv": ("CP1257", "CP775", "ISO_8859-4"),
    "en": ("CP1257", "CP775", "CP437", "CP1252", "CP850"),
    "ru": ("CP866", "CP1251", "CP1125", "ISO_8859-5", "CP855"),
    "uk": ("CP1125", "CP1251", "CP866", "ISO_8859-5"),
}

#: Stand-ins for characters a table lacks, tried in order before anything else.
#: Ukrainian ``і`` prints as the Latin ``i`` it looks exactly like; ``ґ`` as ``г``,
#: as Ukrainian was printed for decades.
STAND_INS: Mapping[str, tuple[str, ...]] = {
    "–": ("-",),
    "—": ("-",),
    "‑": ("-",),
    "−": ("-",),
    "’": ("'",),
    "‘": ("'",),
    "ʼ": ("'",),
    "“": ('"',),
    "”": ('"',),
    "„": ('"',),
    "«": ('"',),
    "»": ('"',),
    "…": ("...",),
    "№": ("No.",),
    "€": ("EUR",),
    "\u00a0": (" ",),
    "\u202f": (" ",),
    "і": ("i",),
    "І": ("I",),
    "ґ": ("г", "g"),
    "Ґ": ("Г", "G"),
    "ї": ("ї", "i"),
    "Ї": ("Ї", "I"),
}

#: Cyrillic to Latin for a table with no Cyrillic at all (Russian: as in ICAO passports).
_RUSSIAN_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu",
    "я": "ia",
}  # fmt: skip
#: Ukrainian: the official transliteration (Cabinet of Ministers of Ukraine, 2010).
_UKRAINIAN_LATIN = {
    **_RUSSIAN_LATIN,
    "г": "h", "ґ": "g", "и": "y", "і": "i", "ї": "i", "є": "ie", "й": "i", "ь": "",
}  # fmt: skip


@dataclass(frozen=True)
class CodePage:
    """A character table of a printer profile."""

    #: The name python-escpos' printer database gives it (``CP1257``).
    name: str
    #: ``n`` of ``ESC t n`` in this profile; None: select nothing (the printer's default).
    number: int | None
    #: The Python codec that encodes text for it.
    codec: str
    characters: frozenset[str] = field(repr=False, compare=False, default=frozenset())

    def holds(self, char: str) -> bool:
        return char in self.characters


#: When a profile lists no table Python can encode: plain ASCII, no selection.
ASCII = CodePage("ASCII", None, "ascii", frozenset(map(chr, range(128))))


class UnknownProfile(ValueError):
    """The printer profile is not in python-escpos' printer database."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        super().__init__(
            f"unknown printer profile {name!r}: use one of python-escpos' profiles "
            f"({', '.join(known)}), or 'default' for a generic Epson-compatible printer"
        )


@dataclass(frozen=True)
class Transliteration:
    """Text made printable in one code page, and what had to be replaced."""

    text: str
    #: Each replaced character and what prints instead.
    replaced: Mapping[str, str]


def profiles() -> list[str]:
    """The names of every printer profile python-escpos knows."""
    from kiosk.escpos_lib import CAPABILITIES

    return sorted(CAPABILITIES["profiles"])


@cache
def profile_code_pages(profile: str) -> tuple[CodePage, ...]:
    """The single-byte tables ``profile`` supports and Python encodes, by number.

    Raises ``UnknownProfile``.
    """
    from kiosk.escpos_lib import CAPABILITIES

    data = CAPABILITIES["profiles"].get(profile)
    if data is None:
        raise UnknownProfile(profile, profiles())
    found: list[CodePage] = []
    seen: set[str] = set()
    for number, name in sorted(data["codePages"].items(), key=lambda item: int(item[0])):
        codec = CAPABILITIES["encodings"].get(name, {}).get("python_encode")
        if codec is None or name in seen:
            continue
        characters = _single_byte_characters(codec)
        if characters:
            seen.add(name)
            found.append(CodePage(name, int(number), codec, characters))
    return tuple(found)


def choose(text: str, profile: str, lang: str) -> CodePage:
    """The one table of ``profile`` to print ``text`` (in language ``lang``) with."""
    pages = profile_code_pages(profile) or (ASCII,)
    preferred = PREFERRED.get(lang, PREFERRED["en"])
    letters = [c for c in set(text) if c.isalpha()]
    others = [c for c in set(text) if not c.isalpha()]
    counts = {c: text.count(c) for c in set(text)}

    def cost(ranked: tuple[int, CodePage]) -> tuple[int, int, int, int]:
        order, page = ranked
        lost_letters = sum(counts[c] for c in letters if not page.holds(c))
        lost_others = sum(counts[c] for c in others if not page.holds(c))
        rank = preferred.index(page.name) if page.name in preferred else len(preferred)
        return lost_letters, lost_others, rank, order

    return min(enumerate(pages), key=cost)[1]


def transliterate(text: str, page: CodePage, lang: str) -> Transliteration:
    """``text`` with every character ``page`` lacks replaced by something it holds."""
    replaced: dict[str, str] = {}
    out: list[str] = []
    for char in text:
        if page.holds(char):
            out.append(char)
            continue
        if char not in replaced:
            replaced[char] = _stand_in(char, page, lang)
        out.append(replaced[char])
    return Transliteration("".join(out), replaced)


def encode(text: str, page: CodePage) -> bytes:
    """``text`` (already transliterated for ``page``) as the printer's bytes."""
    return text.encode(page.codec)


def _stand_in(char: str, page: CodePage, lang: str) -> str:
    def printable(candidate: str) -> bool:
        return all(page.holds(c) for c in candidate)

    for candidate in STAND_INS.get(char, ()):
        if printable(candidate):
            return candidate
    latin = (_UKRAINIAN_LATIN if lang == "uk" else _RUSSIAN_LATIN).get(char.lower())
    if latin is not None:
        candidate = latin.capitalize() if char.isupper() else latin
        if printable(candidate):
            return candidate
    bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if bare and printable(bare):
        return bare
    return "?"


@cache
def _single_byte_characters(codec: str) -> frozenset[str]:
    """The printable characters of a single-byte codec; none for a multi-byte one."""
    try:
        if len(bytes(range(128, 256)).decode(codec, errors="replace")) != 128:
            return frozenset()
    except LookupError:
        return frozenset()
    found: set[str] = set()
    for byte in (*range(32, 127), *range(128, 256)):
        try:
            found.add(bytes([byte]).decode(codec))
        except UnicodeDecodeError:
            continue
    return frozenset(c for c in found if c.isprintable() or c == "\u00a0")
