"""The printed ticket: what it says in each language, in one code page, as ESC/POS bytes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from kiosk import codepages
from kiosk.ticket import RenderedTicket, TicketSettings, plain_text, render, wait_text
from queue_server.config import Catalog, load_office
from queue_server.core import DivisionState
from queue_server.protocol.views import division_info
from tests.conftest import LV_HOLIDAYS, at

LANGS = ("lv", "en", "ru", "uk")
LATVIAN_LETTERS = "āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽ"
UKRAINIAN_LETTERS = "іїєґІЇЄҐ"
STATUS_URL = "https://rinda.example.lv/status/riga-1/2026-11-30/P007"
MINUTE = 60_000


def _four(lv: str, en: str, ru: str, uk: str) -> dict[str, str]:
    return {"lv": lv, "en": en, "ru": ru, "uk": uk}


#: A division block as the snapshot carries it (queue_server.protocol.views.division_info),
#: with pangrams so that every special letter of each language is printed.
DIVISION: dict[str, Any] = {
    "id": "riga-1",
    "name": _four(
        "Ķekavas Ģertrūdes ielas nodaļa",
        "Ķekava Ģertrūdes Street Division",
        "Рижское отделение № 1",
        "Ризьке відділення № 1",
    ),
    "timezone": "Europe/Riga",
    "hours": {"today": [9 * 60, 16 * 60 + 30], "kind": "regular", "holiday": None},
    "services": [
        {
            "id": "passport",
            "prefix": "P",
            "name": _four(
                "Glāžšķūņa rūķīši dzērumā čiepj Baha koncertflīģeļu vākus",
                "Apply for a passport",
                "Съешь же ещё этих мягких французских булок, да выпей чаю",
                "Чуєш їх, доцю, га? Кумедна ж ти, прощайся без ґольфів!",
            ),
            "description": _four("-", "-", "-", "-"),
            "bring": _four(
                "ĀČĒĢĪĶĻŅŠŪŽ dokuments",
                "Your identity document",
                "Ёж, Щука и Эхо: паспорт",
                "Їжак, Ґава, Євген та Ірина: паспорт",
            ),
            "fee": None,
        },
        {
            "id": "collect",
            "prefix": "C",
            "name": _four(
                "Gatavo dokumentu saņemšana",
                "Collect ready documents",
                "Получение готовых документов",
                "Отримання готових документів",
            ),
            "description": _four("-", "-", "-", "-"),
            "bring": _four("Pase", "Passport", "Паспорт", "Паспорт"),
            "fee": None,
        },
    ],
    "priorities": [
        {
            "id": "pregnancy",
            "rank": 2,
            "label": _four("Grūtniece", "Pregnant woman", "Беременная женщина", "Вагітна жінка"),
        }
    ],
    "contacts": {
        "address": "Čiekurkalna 1. līnija 1, Rīga, LV-1026",
        "email": "pasts@pmlp.gov.lv",
        "phone": "+371 67209400",
    },
}


def issued(**changes: Any) -> dict[str, Any]:
    """A ticket as the server answers ``issue`` (queue_server/server/dispatch.py)."""
    now = at("2026-11-30 09:15")
    ticket = {
        "number": "P007",
        "services": ["passport", "collect"],
        "priority": None,
        "appointment": None,
        "due": None,
        "lang": "lv",
        "issued_at": now,
        "ahead": 3,
        "estimate": now + 23 * MINUTE,
        "wait_ms": 23 * MINUTE,
        "past_closing": False,
        "closing_at": at("2026-11-30 16:30"),
        "status": "waiting",
    }
    ticket.update(changes)
    return ticket


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def escpos_text(data: bytes, codec: str) -> list[str]:
    """The printed text of ``data``: the ESC/POS commands the ticket uses taken out,
    the rest decoded with ``codec`` and split into lines."""
    text = bytearray()
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == 0x1B:  # ESC @ | ESC t/a/E/!/d/M/- n
            i += 2 if data[i + 1] == ord("@") else 3
        elif byte == 0x1D:  # GS ( k pL pH ... | GS V m [n] | GS ! n
            command = data[i + 1]
            if command == ord("("):
                i += 5 + data[i + 3] + 256 * data[i + 4]
            elif command == ord("V"):
                i += 4 if data[i + 2] in (65, 66) else 3
            else:
                i += 3
        else:
            assert byte == 0x0A or byte >= 0x20, f"unexpected control byte {byte:#x} at {i}"
            text.append(byte)
            i += 1
    return text.decode(codec).split("\n")


def squeeze(text: str) -> str:
    return " ".join(text.split())


def as_printed(line: str, result: RenderedTicket) -> str:
    return "".join(result.replaced.get(c, c) for c in line)


# -- every line, in every language ------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_every_line_decodes_back_from_the_bytes(catalog: Catalog, lang: str) -> None:
    """Decoding the bytes with the chosen code page gives the printed lines, and they
    hold every line of the plain text, in order."""
    ticket = issued(priority="pregnancy", past_closing=True)
    result = render(ticket, DIVISION, lang, TicketSettings(), catalog, STATUS_URL)
    page = next(p for p in codepages.profile_code_pages("default") if p.name == result.code_page)
    decoded = escpos_text(result.data, page.codec)
    assert [line for line in decoded if line.strip()] == list(result.lines)

    printed = squeeze(" ".join(decoded))
    position = 0
    for line in plain_text(ticket, DIVISION, lang, catalog, STATUS_URL):
        expected = squeeze(as_printed(line, result))
        found = printed.find(expected, position)
        assert found >= 0, f"{lang}: {expected!r} not printed (after {printed[position:]!r})"
        position = found + len(expected)


@pytest.mark.parametrize(
    ("lang", "letters"),
    [("lv", LATVIAN_LETTERS), ("ru", "ёЁщЩэЭъ"), ("uk", UKRAINIAN_LETTERS)],
)
def test_the_letters_of_the_language_print_as_themselves(
    catalog: Catalog, lang: str, letters: str
) -> None:
    result = render(issued(), DIVISION, lang, TicketSettings(), catalog, STATUS_URL)
    page = next(p for p in codepages.profile_code_pages("default") if p.name == result.code_page)
    printed = "\n".join(escpos_text(result.data, page.codec))
    for letter in letters:
        assert letter in printed, f"{lang}: {letter} missing from the {page.name} ticket"
    # Only the Latvian street name loses its accents on a Cyrillic ticket.
    assert set(result.replaced) <= set(LATVIAN_LETTERS)


def test_a_latvian_ticket_is_exact_and_says_what_it_chose(catalog: Catalog) -> None:
    result = render(issued(), DIVISION, "lv", TicketSettings(), catalog, STATUS_URL)
    assert result.exact and result.warnings == ()
    assert (result.code_page, result.code_page_number) == ("CP1257", 51)


# -- code pages ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "lang", "page", "number"),
    [
        ("default", "lv", "CP1257", 51),
        ("default", "en", "CP1257", 51),  # the Latvian address decides
        ("default", "ru", "CP1251", 46),  # CP866 lacks the en dash of the hours
        ("default", "uk", "CP1251", 46),  # CP866 lacks і and ґ; CP1125 lacks ’ and –
        ("TM-T88V", "uk", "CP1251", 46),
        ("TM-T88IV", "ru", "CP866", 17),  # its only Cyrillic table
        ("TM-T88IV", "uk", "CP866", 17),
        ("Sunmi-V2", "lv", "CP775", 33),
        ("RP326", "lv", "CP1257", 25),  # the same table has another number here
    ],
)
def test_one_code_page_is_selected_once_at_the_start(
    catalog: Catalog, profile: str, lang: str, page: str, number: int
) -> None:
    result = render(issued(), DIVISION, lang, TicketSettings(profile=profile), catalog, None)
    assert (result.code_page, result.code_page_number) == (page, number)
    assert result.data.startswith(b"\x1b@\x1bt" + bytes([number]))
    assert result.data.count(b"\x1bt") == 1


def test_cp866_prints_ukrainian_with_stand_ins_and_says_so(catalog: Catalog) -> None:
    """CP866 has є and ї but not і and ґ: Latin i (which looks the same) and г."""
    settings = TicketSettings(profile="TM-T88IV")
    result = render(issued(), DIVISION, "uk", settings, catalog, None)
    assert result.replaced["і"] == "i" and result.replaced["І"] == "I"
    assert result.replaced["ґ"] == "г" and result.replaced["Ґ"] == "Г"
    assert "є" not in result.replaced and "ї" not in result.replaced
    assert any("CP866" in w and "'і'→'i'" in w for w in result.warnings)
    decoded = "\n".join(escpos_text(result.data, "cp866"))
    assert "Чуєш їх, доцю, га? Кумедна ж ти, прощайся без гольфiв!" in squeeze(decoded)


def test_a_profile_without_cyrillic_transliterates_and_never_fails(catalog: Catalog) -> None:
    """The ``simple`` profile knows only CP437: Cyrillic is printed in Latin letters."""
    for lang in LANGS:
        result = render(issued(), DIVISION, lang, TicketSettings(profile="simple"), catalog, None)
        assert result.code_page == "CP437"
        assert result.data.decode("cp437")  # encodes and decodes: nothing unprintable
    result = render(issued(), DIVISION, "ru", TicketSettings(profile="simple"), catalog, None)
    assert "Primernoe vremia ozhidaniia: okolo 25 min" in squeeze(" ".join(result.lines))
    assert result.warnings and not result.exact


def test_choice_counts_letters_before_punctuation() -> None:
    """A table that keeps every letter wins over one that keeps the dashes."""
    chosen = codepages.choose("Šodien 09:00–16:30 ā č", "Sunmi-V2", "lv")
    assert chosen.name == "CP775"  # CP775 lacks –, but the others lack letters
    text = codepages.transliterate("Šodien 09:00–16:30", chosen, "lv")
    assert text.text == "Šodien 09:00-16:30" and text.replaced == {"–": "-"}


def test_unknown_characters_become_question_marks() -> None:
    page = codepages.choose("x", "default", "en")
    assert codepages.transliterate("a☃b", page, "en").text == "a?b"


def test_an_unknown_profile_is_refused_with_the_known_ones() -> None:
    with pytest.raises(codepages.UnknownProfile, match="TM-T88V"):
        TicketSettings(profile="TM-Nonexistent")
    with pytest.raises(ValueError, match="columns"):
        TicketSettings(columns=8)


# -- layout -------------------------------------------------------------------------------


def test_the_number_is_printed_large(catalog: Catalog) -> None:
    result = render(issued(), DIVISION, "lv", TicketSettings(), catalog, None)
    # GS ! 0x33: four times as wide and as high, then P007, then back to normal size.
    assert re.search(rb"\x1d!\x33(?:\x1b[Ea].)*P007\n\x1d!\x00", result.data)
    small = render(issued(), DIVISION, "lv", TicketSettings(number_size=2), catalog, None)
    assert re.search(rb"\x1d!\x11(?:\x1b[Ea].)*P007\n", small.data)


def test_the_qr_code_is_native_and_opens_the_status_page(catalog: Catalog) -> None:
    result = render(issued(), DIVISION, "en", TicketSettings(qr_size=5), catalog, STATUS_URL)
    data = result.data
    url = STATUS_URL.encode()
    assert b"\x1d(k\x04\x001A2\x00" in data  # model 2
    assert b"\x1d(k\x03\x001C\x05" in data  # module size 5 dots
    assert b"\x1d(k\x03\x001E1" in data  # error correction M
    store = b"\x1d(k" + (len(url) + 3).to_bytes(2, "little") + b"1P0" + url
    assert store in data
    assert data.index(store) < data.index(b"\x1d(k\x03\x001Q0")  # then print it
    assert STATUS_URL not in " ".join(result.lines)


def test_without_a_status_url_there_is_no_qr_code(catalog: Catalog) -> None:
    result = render(issued(), DIVISION, "en", TicketSettings(), catalog, None)
    assert b"\x1d(k" not in result.data
    assert not any("Scan the code" in line for line in result.lines)


def test_a_printer_without_qr_codes_prints_the_address(catalog: Catalog) -> None:
    result = render(issued(), DIVISION, "en", TicketSettings(profile="simple"), catalog, STATUS_URL)
    assert b"\x1d(k" not in result.data
    assert STATUS_URL in "".join(result.lines)
    assert any("no QR codes" in w for w in result.warnings)


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_lines_fit_the_paper_and_break_between_words(catalog: Catalog, columns: int) -> None:
    for lang in LANGS:
        settings = TicketSettings(columns=columns)
        result = render(issued(past_closing=True), DIVISION, lang, settings, catalog, None)
        assert all(len(line) <= columns for line in result.lines), lang
        words = set(" ".join(result.lines).split())
        for line in plain_text(issued(past_closing=True), DIVISION, lang, catalog):
            for word in as_printed(line, result).split():
                if len(word) <= columns - 3:
                    assert word in words, f"{lang}/{columns}: {word!r} was split"


def test_the_ticket_is_cut_after_the_last_line(catalog: Catalog) -> None:
    result = render(issued(), DIVISION, "lv", TicketSettings(), catalog, None)
    assert result.data.endswith(b"\x1bd\x06\x1dV\x00")  # feed 6 lines, full cut


def test_rendering_is_pure(catalog: Catalog) -> None:
    first = render(issued(), DIVISION, "uk", TicketSettings(), catalog, STATUS_URL)
    second = render(issued(), DIVISION, "uk", TicketSettings(), catalog, STATUS_URL)
    assert first == second


# -- content ------------------------------------------------------------------------------


def test_the_plain_text_in_order(catalog: Catalog) -> None:
    lines = plain_text(issued(priority="pregnancy"), DIVISION, "en", catalog, STATUS_URL)
    assert lines == [
        "Ķekava Ģertrūdes Street Division",
        "Your number",
        "P007",
        "Watch the screen: it will show your number and the counter to go to.",
        "1. Apply for a passport",
        "What to bring: Your identity document",
        "2. Collect ready documents",
        "What to bring: Passport",
        "Ahead of you in line: 3",
        "Estimated wait: about\u00a025\u00a0min",
        "Priority: Pregnant woman",
        "Issued on 30.11.2026 at 09:15",
        "Scan the code to follow your place in line on your phone:",
        "Reception hours today: 09:00–16:30",
        "You can complain in writing at any OCMA division, by post to "
        "Čiekurkalna 1. līnija 1, Rīga, LV-1026 or by e-mail to pasts@pmlp.gov.lv.",
    ]


def test_one_service_is_not_numbered(catalog: Catalog) -> None:
    lines = plain_text(issued(services=["collect"]), DIVISION, "lv", catalog)
    assert "Gatavo dokumentu saņemšana" in lines
    assert not any(line.startswith("1. ") for line in lines)


@pytest.mark.parametrize(
    ("wait_ms", "expected"),
    [
        (None, "unknown"),
        (0, "less than 5 min"),
        (4 * MINUTE, "less than 5 min"),
        (23 * MINUTE, "about 25 min"),
        (27 * MINUTE + 1, "about 30 min"),
        (61 * MINUTE, "about 1 h"),
        (97 * MINUTE, "about 1 h 35 min"),
    ],
)
def test_the_estimated_wait(catalog: Catalog, wait_ms: int | None, expected: str) -> None:
    assert wait_text(wait_ms, "en", catalog) == expected


def test_the_wait_in_every_language(catalog: Catalog) -> None:
    found = {lang: wait_text(25 * MINUTE, lang, catalog) for lang in LANGS}
    assert found == {
        "lv": "apmēram 25 min",
        "en": "about 25 min",
        "ru": "около 25 мин",
        "uk": "близько 25 хв",
    }


def test_next_in_line_and_unknown_wait(catalog: Catalog) -> None:
    lines = plain_text(issued(ahead=0, wait_ms=None), DIVISION, "lv", catalog)
    assert "Rindā pirms jums neviena nav" in lines
    assert "Paredzamais gaidīšanas laiks: nav\u00a0zināms" in lines


def test_the_past_closing_warning_only_when_set(catalog: Catalog) -> None:
    late = plain_text(issued(past_closing=True), DIVISION, "en", catalog)
    assert any(line.startswith("Please note") and "(16:30)" in line for line in late)
    assert not any("Please note" in line for line in plain_text(issued(), DIVISION, "en", catalog))


def test_priority_label_only(catalog: Catalog) -> None:
    """The category's label, nothing more; no line at all without a priority."""
    lines = plain_text(issued(priority="pregnancy"), DIVISION, "ru", catalog)
    assert "Приоритет: Беременная женщина" in lines
    assert not any("Приоритет" in line for line in plain_text(issued(), DIVISION, "ru", catalog))


def test_an_appointment_shows_its_time_not_its_code(catalog: Catalog) -> None:
    ticket = issued(appointment="K7Q2M9", due=at("2026-11-30 10:30"))
    lines = plain_text(ticket, DIVISION, "uk", catalog)
    assert "Попередній запис на 10:30" in lines
    assert not any("K7Q2M9" in line for line in lines)


@pytest.mark.parametrize(
    ("utc", "local"),
    [("2026-01-15T08:05:00+00:00", "10:05"), ("2026-07-15T08:05:00+00:00", "11:05")],
)
def test_times_are_riga_time_summer_and_winter(catalog: Catalog, utc: str, local: str) -> None:
    from datetime import datetime

    issued_at = int(datetime.fromisoformat(utc).timestamp() * 1000)
    lines = plain_text(issued(issued_at=issued_at), DIVISION, "en", catalog)
    assert any(line.endswith(f"at {local}") for line in lines)


def test_todays_hours_follow_the_kind_of_day(catalog: Catalog) -> None:
    shortened = {**DIVISION, "hours": {"today": [540, 930], "kind": "pre_holiday"}}
    lines = plain_text(issued(), shortened, "lv", catalog)
    assert "Šodien ir pirmssvētku diena: atvērts 09:00–15:30" in lines
    closed = {**DIVISION, "hours": {"today": None, "kind": "holiday"}}
    assert "Today is a public holiday: closed" in plain_text(issued(), closed, "en", catalog)


def test_the_complaint_line_names_the_office_address_and_email(catalog: Catalog) -> None:
    for lang in LANGS:
        last = plain_text(issued(), DIVISION, lang, catalog)[-1]
        assert "Čiekurkalna 1. līnija 1" in last and "pasts@pmlp.gov.lv" in last


@pytest.mark.parametrize("lang", LANGS)
def test_a_ticket_of_the_default_configuration(catalog: Catalog, lang: str) -> None:
    """The division block the server really sends renders in every language."""
    office = load_office()
    state = DivisionState(office, "riga-1", LV_HOLIDAYS)
    now = at("2026-11-30 09:15")
    division = division_info(office, state, now)
    ticket = issued(services=["passport", "collect"], priority="disability")
    result = render(ticket, division, lang, TicketSettings(columns=48), catalog, STATUS_URL)
    lines = plain_text(ticket, division, lang, catalog, STATUS_URL)
    assert lines[0] == division["name"][lang]
    assert any(office.services["passport"].name[lang] in line for line in lines)
    assert any(office.priorities["disability"].label[lang] in line for line in lines)
    assert set(result.replaced) <= set(LATVIAN_LETTERS)
