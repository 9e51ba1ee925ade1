"""What the hall display says: each ticket letter and digit on its own, the counter as a
number, in Latvian, English, Russian and Ukrainian, from the catalogs; and espeak-ng
turns each language's sentence into real speech, offline."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import pytest

from display.phrases import Call, phrase, phrases, say_number, spell_ticket
from kiosk.speech import Speaker
from queue_server.config import Catalog, load_office

LANGUAGES = ("lv", "en", "ru", "uk")
PREFIXES = sorted({service.prefix for service in load_office().services.values()})


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_prefix_is_spelled_letter_and_digit_by_digit(
    catalog: Catalog, lang: str, prefix: str
) -> None:
    number = f"{prefix}012"
    spoken = spell_ticket(number, lang, catalog)
    digits = [catalog.text(lang, f"announce.digit.{d}") for d in "012"]
    assert spoken == ", ".join([catalog.text(lang, f"announce.letter.{prefix}"), *digits])
    said = phrase(Call(number, "3", 0), 3, lang, catalog)
    assert spoken in said.spoken
    assert number in said.written, "the screen writes the ticket as printed"
    if lang in ("ru", "uk"):
        # A Latin letter would make the Cyrillic voices switch to English.
        assert not re.search("[A-Za-z]", said.spoken), said.spoken


@pytest.mark.parametrize("lang", LANGUAGES)
def test_counters_1_to_99_are_said_as_numbers(catalog: Catalog, lang: str) -> None:
    said = {n: say_number(n, lang, catalog) for n in range(1, 100)}
    assert len(set(said.values())) == 99, "every counter number sounds different"
    for n, words in said.items():
        assert words and not re.search(r"\d", words), f"{lang} {n}: {words!r}"
        sentence = phrase(Call("P001", str(n), 0), n, lang, catalog)
        assert sentence.spoken.rstrip(".").endswith(words)
        assert f" {n}." in sentence.written or sentence.written.endswith(f" {n}")


@pytest.mark.parametrize(
    ("lang", "number", "words"),
    [
        ("lv", 3, "trīs"),
        ("lv", 23, "divdesmit trīs"),
        ("lv", 17, "septiņpadsmit"),
        ("en", 23, "twenty-three"),
        ("en", 40, "forty"),
        ("ru", 21, "двадцать один"),
        ("ru", 12, "двенадцать"),
        ("uk", 99, "дев’яносто дев’ять"),
        ("uk", 15, "п’ятнадцять"),
    ],
)
def test_numbers_in_words(catalog: Catalog, lang: str, number: int, words: str) -> None:
    assert say_number(number, lang, catalog) == words


def test_a_number_beyond_the_catalog_is_left_to_the_voice(catalog: Catalog) -> None:
    assert say_number(120, "lv", catalog) == "120"


def test_the_latvian_call_in_full(catalog: Catalog) -> None:
    said = phrase(Call("P012", "3", 0), 3, "lv", catalog)
    assert said.written == "Rindas numurs P012, lūdzu, dodieties uz lodziņu numur 3."
    assert said.spoken == (
        "Rindas numurs pē, nulle, viens, divi, lūdzu, dodieties uz lodziņu numur trīs."
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_recall_says_that_it_is_one(catalog: Catalog, lang: str) -> None:
    first = phrase(Call("V003", "10", 0), 10, lang, catalog)
    again = phrase(Call("V003", "10", 5, recall=True), 10, lang, catalog)
    assert again.spoken != first.spoken and again.written != first.written
    assert spell_ticket("V003", lang, catalog) in again.spoken
    assert again.spoken.rstrip(".").endswith(say_number(10, lang, catalog))


def test_latvian_comes_first_then_each_language_once(catalog: Catalog) -> None:
    said = phrases(Call("I007", "2", 0), 2, ("en", "lv", "ru"), catalog)
    assert [p.lang for p in said] == ["lv", "en", "ru"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_espeak_ng_speaks_each_language_to_a_wav(
    tmp_path: Path, catalog: Catalog, lang: str
) -> None:
    said = phrase(Call("T045", "21", 0), 21, lang, catalog)
    path = Speaker(tmp_path).wav(said.spoken, lang)
    with wave.open(str(path)) as audio:
        frames, rate = audio.getnframes(), audio.getframerate()
    assert frames > 0 and frames / rate > 2.0, f"{lang}: {frames / rate:.2f} s"
