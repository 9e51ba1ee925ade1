"""The office configuration: the default file matches the standard, and admins' files
can replace or extend it, with every problem reported at once."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from queue_server.config import (
    ACCESSIBILITY_FEATURES,
    RULE_KEYS,
    ConfigError,
    default_config_path,
    load_office,
)
from queue_server.core.settings import (
    MINUTE_MS,
    SHIPPED_LANGUAGES,
    Contacts,
    HoursException,
    Office,
    Span,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"

MON, TUE, WED, THU, FRI = range(5)


def span(text: str) -> Span:
    """``"09:00-16:30"`` as minutes after midnight."""
    (oh, om), (ch, cm) = (map(int, part.split(":")) for part in text.split("-"))
    return Span(oh * 60 + om, ch * 60 + cm)


# The standard's reception hours, spelled out division by division.
RIGA_1ST_HOURS = {day: span("08:00-20:00") for day in (MON, TUE, WED, THU, FRI)}
ORDINARY_HOURS = {
    MON: span("09:00-16:30"),
    TUE: span("09:00-16:30"),
    WED: span("09:00-16:30"),
    THU: span("09:00-16:30"),
    FRI: span("09:00-16:00"),
}
ORDINARY_DIVISIONS = (
    "riga-2",
    "riga-3",
    "riga-4",
    "aizkraukle",
    "aluksne",
    "bauska",
    "balvi",
    "cesis",
    "daugavpils",
    "dobele",
    "gulbene",
    "jelgava",
    "jekabpils",
    "jurmala",
    "kraslava",
    "kuldiga",
    "liepaja",
    "limbazi",
    "ludza",
    "madona",
    "ogre",
    "preili",
    "rezekne",
    "saldus",
    "talsi",
    "tukums",
    "valmiera",
    "valka",
    "ventspils",
)
BRANCHES = {
    # id: (branch of, weekly hours)
    "jelgava-livani": ("jelgava", {FRI: span("09:00-16:00")}),
    "valka-smiltene": ("valka", {TUE: span("09:00-15:00")}),
    "riga-1-sigulda": ("riga-1", {WED: span("09:00-14:30")}),
}


@pytest.fixture(scope="module")
def office() -> Office:
    return load_office()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def four(word: str) -> str:
    """An inline TOML table with ``word`` in every shipped language."""
    return "{ " + ", ".join(f'{lang} = "{word} {lang}"' for lang in SHIPPED_LANGUAGES) + " }"


# --- the default file ------------------------------------------------------------


def test_no_path_loads_the_default_file(office: Office) -> None:
    assert default_config_path().is_file()
    assert load_office(default_config_path()) == office


def test_default_has_thirty_divisions_and_three_branches(office: Office) -> None:
    divisions = [d for d in office.divisions.values() if d.branch_of is None]
    branches = [d for d in office.divisions.values() if d.branch_of is not None]
    assert len(divisions) == 30
    assert len(branches) == 3
    assert {d.id for d in divisions} == {"riga-1", *ORDINARY_DIVISIONS}
    assert {b.id for b in branches} == set(BRANCHES)


def test_riga_1st_division_opens_working_days_8_to_20(office: Office) -> None:
    assert dict(office.divisions["riga-1"].week) == RIGA_1ST_HOURS


@pytest.mark.parametrize("division_id", ORDINARY_DIVISIONS)
def test_ordinary_division_hours_are_the_standards(office: Office, division_id: str) -> None:
    """Mon-Thu 9:00-16:30, Fri 9:00-16:00, closed at the weekend."""
    assert dict(office.divisions[division_id].week) == ORDINARY_HOURS


@pytest.mark.parametrize("branch_id", sorted(BRANCHES))
def test_branch_hours_and_parent_are_the_standards(office: Office, branch_id: str) -> None:
    parent, week = BRANCHES[branch_id]
    branch = office.divisions[branch_id]
    assert branch.branch_of == parent
    assert dict(branch.week) == week


def test_division_names_use_latvian_diacritics(office: Office) -> None:
    names = {d.id: d.name["lv"] for d in office.divisions.values()}
    assert names["riga-1"] == "Rīgas 1. nodaļa"
    assert names["aluksne"] == "Alūksnes nodaļa"
    assert names["cesis"] == "Cēsu nodaļa"
    assert names["jelgava-livani"] == "Līvānu filiāle"
    assert names["riga-1"] != names["riga-2"]
    assert len(set(names.values())) == len(names)


def test_contacts_are_the_standards(office: Office) -> None:
    assert office.contacts == Contacts(
        phone="+371 67209400",
        email="pasts@pmlp.gov.lv",
        address="Čiekurkalna 1.līnija 1, k-3, Riga, LV-1026",
        website="www.pmlp.gov.lv",
        portal="www.latvija.lv",
        forum="www.pmlp.gov.lv",
        facebook="facebook.com/IeM.PMLP",
        twitter="twitter.com/IeM_PMLP",
    )
    assert office.languages == ("lv", "en", "ru", "uk")
    assert office.timezone == "Europe/Riga"


def test_rules_are_converted_to_milliseconds(office: Office) -> None:
    assert office.rules.pre_holiday_shortening_ms == 60 * MINUTE_MS
    assert office.rules.no_show_grace_ms == 15 * MINUTE_MS
    assert office.rules.undo_window_ms == 60_000
    assert office.rules.learned_min_samples <= office.rules.learned_window


def test_the_standards_services_are_offered(office: Office) -> None:
    for service_id in (
        "passport",
        "collect",
        "residence",
        "register",
        "residence_permit",
        "citizenship",
        "visas",
    ):
        assert service_id in office.services


def test_every_service_has_every_text_in_every_shipped_language(office: Office) -> None:
    for service in office.services.values():
        for text in (service.name, service.description, service.bring):
            assert set(text) == set(SHIPPED_LANGUAGES), service.id
            assert all(value.strip() for value in text.values()), service.id
        if service.fee is not None:
            assert set(service.fee) == set(SHIPPED_LANGUAGES), service.id
        assert service.expected_ms > 0


def test_fee_notes_name_the_standards_ways_to_pay(office: Office) -> None:
    """Fees are paid by payment card or wire transfer; free services carry no fee note."""
    fees = {s.id for s in office.services.values() if s.fee is not None}
    assert {"passport", "residence_permit", "citizenship", "visas"} <= fees
    assert not {"collect", "residence", "temporary_protection", "consultation"} & fees
    for service_id in fees:
        english = office.services[service_id].fee["en"]  # type: ignore[index]
        assert "payment card" in english and "wire transfer" in english


def test_prefixes_are_distinct_uppercase_letters(office: Office) -> None:
    prefixes = [s.prefix for s in office.services.values()]
    assert all(re.fullmatch("[A-Z]", p) for p in prefixes)
    assert len(set(prefixes)) == len(prefixes)


def test_every_division_serves_the_everyday_services(office: Office) -> None:
    for division in office.divisions.values():
        assert {"passport", "collect", "residence"} <= set(division.services), division.id


def test_every_service_is_offered_somewhere(office: Office) -> None:
    offered = {s for d in office.divisions.values() for s in d.services}
    assert offered == set(office.services)


def test_counters_are_numbered_and_sized_by_division(office: Office) -> None:
    for division in office.divisions.values():
        numbers = [c.number for c in division.counters]
        assert numbers == list(range(1, len(numbers) + 1)), division.id
        size = len(numbers)
        if division.id == "riga-1":
            assert size >= 10
        elif division.branch_of:
            assert 1 <= size <= 2
        else:
            assert 3 <= size <= 5, division.id
        for counter in division.counters:
            assert set(counter.accessibility) <= set(ACCESSIBILITY_FEATURES)
            assert counter.id == str(counter.number)


def test_division_languages_start_with_latvian(office: Office) -> None:
    for division in office.divisions.values():
        assert division.languages[0] == "lv"
        assert set(division.languages) <= set(office.languages)
    assert office.divisions["riga-1"].languages == ("lv", "en", "ru", "uk")
    assert office.divisions["daugavpils"].languages == ("lv", "en", "ru", "uk")


def test_priorities_and_refusal_reasons_are_translated(office: Office) -> None:
    assert {"disability", "pregnancy", "elderly", "small_child"} <= set(office.priorities)
    ranks = [p.rank for p in office.priorities.values()]
    assert len(set(ranks)) == len(ranks)
    for priority in office.priorities.values():
        assert set(priority.label) == set(SHIPPED_LANGUAGES)
    assert {"documents_incomplete", "fee_not_paid", "outside_competence"} <= set(
        office.refusal_reasons
    )
    for reason in office.refusal_reasons.values():
        assert set(reason) == set(SHIPPED_LANGUAGES)


# --- an admin's own file --------------------------------------------------------

MINIMAL = f"""
[office]
name = {four("Office")}
languages = ["lv", "en"]
timezone = "Europe/Riga"

[office.contacts]
phone = "+371 1"
email = "a@example.lv"
address = "Street 1"
website = "example.lv"
portal = "portal.example.lv"
forum = "forum.example.lv"
facebook = "facebook.com/example"
twitter = "twitter.com/example"

[rules]
no_show_grace_minutes = 5
undo_window_seconds = 30

[services.passport]
prefix = "A"
expected_minutes = 7.5
name = {{ lv = "Pase", en = "Passport" }}
description = {{ lv = "Pase", en = "Passport" }}
bring = {{ lv = "Nekas", en = "Nothing" }}

[priorities.disability]
rank = 1
label = {{ lv = "Invaliditāte", en = "Disability" }}

[refusal_reasons.documents_incomplete]
lv = "Trūkst dokumentu"
en = "Documents missing"

[divisions.lobby]
name = {{ lv = "Zāle", en = "Lobby" }}
languages = ["lv", "en"]
hours = {{ sat = "10:00-13:00" }}
exceptions = [{{ date = 2026-12-24, hours = "closed", note = "Christmas Eve" }}]

[[divisions.lobby.counters]]
number = 1
id = "desk-a"
services = ["passport"]
accessibility = ["hearing_loop"]
"""


def test_own_file_replaces_the_default(tmp_path: Path) -> None:
    office = load_office(write(tmp_path, "own.toml", MINIMAL))
    assert list(office.divisions) == ["lobby"]
    assert list(office.services) == ["passport"]
    assert office.languages == ("lv", "en")
    lobby = office.divisions["lobby"]
    assert dict(lobby.week) == {5: Span(600, 780)}
    assert lobby.exceptions == (HoursException(date(2026, 12, 24), None, "Christmas Eve"),)
    assert lobby.counters[0].id == "desk-a"
    assert office.services["passport"].expected_ms == 450_000
    assert office.rules.no_show_grace_ms == 5 * MINUTE_MS
    assert office.rules.undo_window_ms == 30_000
    assert office.rules.recall_limit == 2  # not set: the default rule


def test_own_file_extends_the_default(tmp_path: Path, office: Office) -> None:
    """Change one division's Friday, add a division from a template: the rest stays."""
    own = write(
        tmp_path,
        "own.toml",
        f"""
extends = "default"

[rules]
recall_limit = 3

[divisions.cesis.hours]
fri = "09:00-15:00"

[divisions.cesis.notes]
lv = "Lifts remontā"
en = "Lift under repair"
ru = "Лифт в ремонте"
uk = "Ліфт на ремонті"

[divisions.riga-5]
template = "city"
name = {four("Riga 5")}
hours = {{ sat = "10:00-14:00" }}
exceptions = [{{ date = "2026-11-17", hours = "09:00-12:00" }}]
""",
    )
    extended = load_office(own)
    cesis = extended.divisions["cesis"]
    assert dict(cesis.week) == {**ORDINARY_HOURS, FRI: span("09:00-15:00")}
    assert cesis.notes["en"] == "Lift under repair"
    assert cesis.counters == office.divisions["cesis"].counters
    riga_5 = extended.divisions["riga-5"]
    assert dict(riga_5.week) == {**ORDINARY_HOURS, 5: span("10:00-14:00")}
    assert riga_5.counters == office.divisions["riga-2"].counters
    assert riga_5.exceptions == (HoursException(date(2026, 11, 17), span("09:00-12:00")),)
    assert list(extended.divisions)[-1] == "riga-5"
    assert len(extended.divisions) == len(office.divisions) + 1
    assert extended.rules.recall_limit == 3
    assert extended.divisions["riga-1"] == office.divisions["riga-1"]
    assert extended.services == office.services


def test_files_stack_in_order_and_extend_relative_paths(tmp_path: Path) -> None:
    write(tmp_path, "base.toml", MINIMAL)
    middle = write(tmp_path, "middle.toml", 'extends = "base.toml"\n[rules]\nrecall_limit = 4\n')
    top = write(tmp_path, "top.toml", "[rules]\nrecall_limit = 5\nlearned_window = 30\n")
    assert load_office(middle).rules.recall_limit == 4
    stacked = load_office(middle, top)
    assert stacked.rules.recall_limit == 5
    assert stacked.rules.learned_window == 30
    assert list(stacked.divisions) == ["lobby"]


def test_broken_file_reports_every_problem_with_file_and_key(tmp_path: Path) -> None:
    broken = write(
        tmp_path,
        "broken.toml",
        f"""
extends = "default"

[rules]
recall_limit = 0
undo_window = 60

[services.passport]
prefix = "I"

[services.fingerprints]
prefix = "xx"
expected_minutes = 5
name = {{ lv = "Pirkstu nospiedumi", en = "Fingerprints" }}
description = {four("Fingerprints")}
bring = {four("Passport")}

[priorities.elderly]
rank = 1

[divisions.cesis]
languages = ["en", "lv", "de"]
hourz = {{ fri = "09:00-15:00" }}

[divisions.cesis.hours]
fri = "16:00-09:00"

[divisions.new]
template = "regionl"
branch_of = "nowhere"
name = {four("New")}
languages = ["lv"]
hours = {{ mon = "9:00-16:00", tue = "09:00-25:00" }}
exceptions = [{{ date = "2026-02-30", hours = "closed" }}]

[[divisions.new.counters]]
number = 1
services = ["passport", "pasport"]
accessibility = ["ramp"]

[[divisions.new.counters]]
number = 1
services = []
""",
    )
    with pytest.raises(ConfigError) as caught:
        load_office(broken)
    lines = str(caught.value).splitlines()
    name = str(broken)
    expected = [
        (name, "rules.recall_limit", "at least 1"),
        (name, "rules.undo_window", "unknown key"),
        (name, "services.passport.prefix", "also the prefix of service 'collect'"),
        (str(default_config_path()), "services.collect.prefix", "'passport'"),
        (name, "services.fingerprints.prefix", "one uppercase letter"),
        (name, "services.fingerprints.name.ru", "missing"),
        (name, "services.fingerprints.name.uk", "missing"),
        (name, "priorities.elderly.rank", "also the rank of priority 'disability'"),
        (name, "divisions.cesis.languages[0]", "must start with 'lv'"),
        (name, "divisions.cesis.languages[2]", "unknown language 'de'"),
        (name, "divisions.cesis.hourz", "did you mean 'hours'"),
        (name, "divisions.cesis.hours.fri", "must open before it closes"),
        (name, "divisions.new.template", "unknown template 'regionl'"),
        (name, "divisions.new.branch_of", "unknown division 'nowhere'"),
        (name, "divisions.new.hours.mon", "HH:MM-HH:MM"),
        (name, "divisions.new.hours.tue", "not a time of day"),
        (name, "divisions.new.exceptions[0].date", "must be a date"),
        (name, "divisions.new.counters[0].services[1]", "did you mean 'passport'"),
        (name, "divisions.new.counters[0].accessibility[0]", "unknown accessibility"),
        (name, "divisions.new.counters[1].number", "also the number of counter [0]"),
        (name, "divisions.new.counters[1].services", "at least one service"),
    ]
    for file, key, what in expected:
        prefix = f"{file}: {key}: "
        assert any(line.startswith(prefix) and what in line for line in lines), (
            f"no {prefix}...{what} in:\n{caught.value}"
        )
    assert len(lines) == len(caught.value.problems)


def test_problem_in_a_template_is_reported_once_at_the_template(tmp_path: Path) -> None:
    own = write(
        tmp_path,
        "own.toml",
        'extends = "default"\n[[templates.regional.counters]]\nnumber = 1\nservices = ["x"]\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_office(own)
    assert [str(p) for p in caught.value.problems] == [
        f"{own}: templates.regional.counters[0].services[0]: unknown service 'x'"
    ]


def test_missing_sections_and_keys_are_named(tmp_path: Path) -> None:
    own = write(tmp_path, "own.toml", '[office]\nlanguages = ["lv"]\n')
    with pytest.raises(ConfigError) as caught:
        load_office(own)
    text = str(caught.value)
    for key in ("services", "priorities", "refusal_reasons", "divisions", "office.name"):
        assert f"{own}: {key}: missing" in text


def test_unreadable_files_are_reported_with_their_names(tmp_path: Path) -> None:
    bad_syntax = write(tmp_path, "syntax.toml", "[office\n")
    missing = tmp_path / "missing.toml"
    with pytest.raises(ConfigError) as caught:
        load_office(bad_syntax, missing)
    text = str(caught.value)
    assert f"{bad_syntax}: not valid TOML" in text
    assert f"{missing}: cannot read the file" in text


def test_extends_loop_is_reported(tmp_path: Path) -> None:
    first = write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    with pytest.raises(ConfigError, match="extends itself in a loop"):
        load_office(first)


def test_docs_describe_every_section_and_rule() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    sections = ("office", "rules", "services", "priorities", "refusal_reasons")
    for word in (*sections, "templates", "divisions", "extends", *RULE_KEYS):
        assert f"`{word}" in docs or f"[{word}" in docs, word
    for feature in ACCESSIBILITY_FEATURES:
        assert f"`{feature}`" in docs, feature
