"""The configuration reference: generated from the table the loader checks against,
committed up to date, and that table is exactly what the loader enforces."""

from __future__ import annotations

from pathlib import Path

import pytest

from queue_server.config import ConfigError, Problem, load_office, schema
from queue_server.config.reference import COMMAND, REFERENCE, main, render
from queue_server.config.schema import (
    CONTACTS,
    COUNTER,
    DIVISION,
    EXCEPTION,
    HOURS,
    OFFICE,
    PRIORITY,
    ROOT,
    RULES,
    SERVICE,
    TEMPLATE,
    Section,
)

#: Where an instance of each section is written in a file: its TOML header and the
#: dotted path problems are reported at. New entries ("extra") are added by extending.
PLACES: dict[Section, tuple[str, str]] = {
    ROOT: ("", ""),
    OFFICE: ("[office]", "office"),
    CONTACTS: ("[office.contacts]", "office.contacts"),
    SERVICE: ("[services.extra]", "services.extra"),
    PRIORITY: ("[priorities.extra]", "priorities.extra"),
    TEMPLATE: ("[templates.extra]", "templates.extra"),
    DIVISION: ("[divisions.extra]", "divisions.extra"),
    HOURS: ("[divisions.extra.hours]", "divisions.extra.hours"),
    COUNTER: ("[[divisions.extra.counters]]", "divisions.extra.counters[0]"),
    EXCEPTION: ("[[divisions.extra.exceptions]]", "divisions.extra.exceptions[0]"),
}
#: Sections whose keys can only be left out of a file that replaces the default.
REPLACING = (ROOT, OFFICE, CONTACTS)
EXTENDS = 'extends = "default"\n'


def problems(tmp_path: Path, text: str) -> list[Problem]:
    path = tmp_path / "office.toml"
    path.write_text(text, encoding="utf-8")
    try:
        load_office(path)
    except ConfigError as error:
        return list(error.problems)
    return []


def at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def every_key() -> list[tuple[Section, str]]:
    return [(section, key) for section in PLACES for key in section.names]


def test_the_committed_reference_is_what_the_generator_writes() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == render(), (
        f"docs/configuration-reference.md is out of date: run `.venv/bin/{COMMAND}` "
        "and commit the result"
    )


def test_the_command_writes_the_reference_and_check_finds_a_stale_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reference.md"
    assert main(["--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == render()
    assert main(["--check", "--output", str(out)]) == 0
    out.write_text(render().replace("`recall_limit`", "`recall_limt`"), encoding="utf-8")
    assert main(["--check", "--output", str(out)]) == 1
    assert f"is out of date: run `{COMMAND}`" in capsys.readouterr().err


def test_the_reference_lists_every_section_rule_and_code() -> None:
    text = render()
    for section in PLACES:
        for key in section.names:
            assert f"| `{key}` |" in text, key
    for rule in RULES:
        assert f"| `{rule.name}` |" in text
    for code in ("wheelchair_access", "lowered_desk", "hearing_loop", "sign_language"):
        assert f"| `{code}` |" in text
    assert "| `no_show_grace_minutes` | minutes | 15 |" in text
    assert "| `riga-1-sigulda` | Sigulda Branch | `riga-1` |" in text


def test_every_section_of_the_schema_is_tested() -> None:
    sections = {value for value in vars(schema).values() if isinstance(value, Section)}
    assert sections == set(PLACES)


@pytest.mark.parametrize("section", list(PLACES), ids=lambda s: s.where)
def test_an_empty_section_misses_exactly_its_required_keys(
    tmp_path: Path, section: Section
) -> None:
    header, path = PLACES[section]
    found = problems(tmp_path, ("" if section in REPLACING else EXTENDS) + header + "\n")
    missing = {p.path for p in found if p.what == "missing" and p.path.startswith(path)}
    missing = {m for m in missing if m.count(".") == at(path, "x").count(".")}
    assert missing == {at(path, key) for key in section.required}


@pytest.mark.parametrize(
    ("section", "key"), every_key(), ids=[f"{s.where}:{k}" for s, k in every_key()]
)
def test_every_listed_key_is_known_to_the_loader(
    tmp_path: Path, section: Section, key: str
) -> None:
    """A wrong value is refused as a wrong value of that key, never as an unknown key."""
    header, path = PLACES[section]
    text = f"{key} = true\n" if key == "extends" else f"{EXTENDS}{header}\n{key} = true\n"
    found = [p for p in problems(tmp_path, text) if p.path == at(path, key)]
    assert all(not p.what.startswith("unknown key") for p in found), found
    if (section, key) != (TEMPLATE, "branch_of"):  # a template's branch_of is read only in use
        assert found, f"{at(path, key)} = true was not refused"


@pytest.mark.parametrize("section", list(PLACES), ids=lambda s: s.where)
def test_a_key_not_listed_is_unknown(tmp_path: Path, section: Section) -> None:
    header, path = PLACES[section]
    found = problems(tmp_path, f"{EXTENDS}{header}\nbogus = true\n")
    assert any(p.path == at(path, "bogus") and p.what.startswith("unknown key") for p in found)


@pytest.mark.parametrize("rule", [rule.name for rule in RULES])
def test_every_rule_is_known_to_the_loader(tmp_path: Path, rule: str) -> None:
    found = problems(tmp_path, f"{EXTENDS}[rules]\n{rule} = true\n")
    assert [p.path for p in found] == [f"rules.{rule}"]
    assert not found[0].what.startswith("unknown key")
