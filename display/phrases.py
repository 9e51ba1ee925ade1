"""What the hall display says for a call, and what it writes while it says it.

    phrase(Call("P012", "3", at), 3, "lv", catalog)
    # Phrase(lang="lv",
    #        written="Rindas numurs P012, lūdzu, dodieties uz lodziņu numur 3.",
    #        spoken="Rindas numurs pē, nulle, viens, divi, lūdzu, dodieties uz lodziņu numur trīs.")

Pure functions of the call and the catalogs (``[announce]`` in ``assets/i18n``): no
Kivy, no audio, no clock. The ticket number is spoken letter by letter and digit by
digit, because "P zero one two" survives a noisy hall where "P twelve" does not, and
because a ticket's leading zeros matter; the counter is said as a number ("counter
twenty-three"), as people say it. Every word comes from the catalog of the language,
not from espeak-ng's guesses: its Russian and Ukrainian voices would read a Latin
``P`` as English "pee".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

#: Numbers the catalogs have words for, at most (two digits); above that, digits.
LARGEST_SAID = 99


class Catalog(Protocol):
    """What the phrases need of ``queue_server.config.Catalog``."""

    def text(self, lang: str, key: str, **params: Any) -> str: ...


@dataclass(frozen=True)
class Call:
    """A ticket called to a counter (or called again: ``recall``) at instant ``at``."""

    number: str
    counter: str
    at: int
    recall: bool = False

    @property
    def key(self) -> tuple[str, str, int, bool]:
        """What makes a call itself: the same call heard twice is one announcement."""
        return self.number, self.counter, self.at, self.recall


@dataclass(frozen=True)
class Phrase:
    """One language's sentence for a call: as written on the screen and as spoken."""

    lang: str
    written: str
    spoken: str


def spell_ticket(number: str, lang: str, catalog: Catalog) -> str:
    """``P012`` as ``"pē, nulle, viens, divi"``: each character on its own."""
    words = []
    for char in number.upper():
        if char.isdigit():
            words.append(catalog.text(lang, f"announce.digit.{char}"))
        elif "A" <= char <= "Z":
            words.append(catalog.text(lang, f"announce.letter.{char}"))
    return ", ".join(words)


def say_number(value: int, lang: str, catalog: Catalog) -> str:
    """0-99 in words (``23`` -> ``"divdesmit trīs"``); larger numbers as digits, which
    every voice reads as a number too."""
    if not 0 <= value <= LARGEST_SAID:
        return str(value)
    if value < 10:
        return catalog.text(lang, f"announce.digit.{value}")
    tens, units = divmod(value, 10)
    if value < 20 or units == 0:
        return catalog.text(lang, f"announce.number.{value}")
    return catalog.text(
        lang,
        "announce.compound",
        tens=catalog.text(lang, f"announce.number.{tens * 10}"),
        units=catalog.text(lang, f"announce.digit.{units}"),
    )


def phrase(call: Call, counter_number: int, lang: str, catalog: Catalog) -> Phrase:
    """The sentence for ``call`` in ``lang``: a recall says that it is one."""
    key = "announce.recall" if call.recall else "announce.call"
    return Phrase(
        lang=lang,
        written=catalog.text(lang, key, number=call.number, counter=str(counter_number)),
        spoken=catalog.text(
            lang,
            key,
            number=spell_ticket(call.number, lang, catalog),
            counter=say_number(counter_number, lang, catalog),
        ),
    )


def phrases(
    call: Call, counter_number: int, languages: tuple[str, ...], catalog: Catalog
) -> tuple[Phrase, ...]:
    """The call in Latvian first, then in each other language, each once."""
    ordered = ("lv", *(lang for lang in languages if lang != "lv"))
    return tuple(phrase(call, counter_number, lang, catalog) for lang in ordered)
