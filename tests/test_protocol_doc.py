"""docs/protocol.md and the protocol's code tell the same story.

The document is parsed in a few fixed shapes, so that a client author can trust it:

- under ``## Requests``, one ``### `name``` section per request type, with a line
  ``Roles: kiosk, admin``, either a table whose header starts
  ``| field | kind | required |`` (first column: the field name in backticks) or the
  line ``Fields: none.``, JSON examples of the request and of its reply, and an
  ``Errors:`` paragraph naming error codes in backticks;
- under ``## Server messages``, one ``### `name``` section per server message type,
  with a JSON example of it;
- the role table (header ``| request | kiosk | display | clerk | admin |``), the
  table of field kinds (header ``| kind | ...``) and the table of event views
  (header ``| event | public ...``);
- a ```` ```text ```` transcript of ``python -m websockets ws://...`` under
  ``## Talking to Rinda by hand``: one or more connections, each begun by a line
  ``$ python -m websockets ...``, with lines typed (``> ``) and received (``< ``; a
  line cut short with ``…`` is not parsed).

Every failure names the place in the document and what is missing or wrong there.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pytest

from queue_server.core import errors as domain_errors
from queue_server.core import events as core_events
from queue_server.protocol import (
    REQUESTS,
    ROLES,
    SERVER_MESSAGES,
    ProtocolError,
    parse,
    views,
)
from queue_server.protocol import errors as protocol_errors
from queue_server.protocol.messages import KINDS

DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"
DOC_NAME = "docs/protocol.md"

REQUESTS_PART = "Requests"
SERVER_PART = "Server messages"
BY_HAND_PART = "Talking to Rinda by hand"

_H2 = re.compile(r"^## (.+?)\s*$")
_H3 = re.compile(r"^### (.+?)\s*$")
_BACKTICKED = re.compile(r"^`([^`]+)`$")
_FENCE = re.compile(r"^```(\S*)\s*$")


@dataclass
class Block:
    """A fenced code block: its language, its text and the line it starts on."""

    lang: str
    text: str
    line: int


@dataclass
class Section:
    """Everything under one ``###`` heading (or under a ``##`` heading before any)."""

    part: str
    heading: str
    line: int
    #: Body lines outside code blocks, with their line numbers.
    lines: list[tuple[int, str]] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)

    @property
    def name(self) -> str | None:
        """The request or message name of a ``### `name``` heading, else None."""
        found = _BACKTICKED.match(self.heading)
        return found.group(1) if found else None

    @property
    def title(self) -> str:
        return f"## {self.part} > ### {self.heading}" if self.heading else f"## {self.part}"

    @property
    def where(self) -> str:
        return f"{DOC_NAME}:{self.line} ({self.title})"

    def at(self, line: int) -> str:
        """A line of the document inside this section."""
        return f"{DOC_NAME}:{line} ({self.title})"


def _read_sections() -> list[Section]:
    text = DOC_PATH.read_text(encoding="utf-8")
    sections: list[Section] = []
    part = ""
    current = Section(part="", heading="", line=1)
    sections.append(current)
    fence: Block | None = None
    fence_lines: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        found_fence = _FENCE.match(line)
        if fence is not None:
            if line.strip() == "```":
                fence.text = "\n".join(fence_lines)
                current.blocks.append(fence)
                fence = None
            else:
                fence_lines.append(line)
            continue
        if found_fence:
            fence = Block(found_fence.group(1), "", number + 1)
            fence_lines = []
            continue
        if h2 := _H2.match(line):
            part = h2.group(1)
            current = Section(part=part, heading="", line=number)
            sections.append(current)
        elif h3 := _H3.match(line):
            current = Section(part=part, heading=h3.group(1), line=number)
            sections.append(current)
        else:
            current.lines.append((number, line))
    assert fence is None, f"{DOC_NAME}: a code block opened on line {fence.line - 1} never closes"
    return sections


SECTIONS = _read_sections()


def _named(part: str) -> dict[str, Section]:
    return {s.name: s for s in SECTIONS if s.part == part and s.name is not None}


def _section(part: str, name: str) -> Section:
    found = _named(part).get(name)
    if found is None:
        pytest.fail(f"{DOC_NAME} has no '### `{name}`' section under '## {part}'")
    return found


def _json_blocks(section: Section) -> list[tuple[Block, Any]]:
    """The section's JSON examples, parsed (a block that does not parse fails)."""
    found = []
    for block in section.blocks:
        if block.lang != "json":
            continue
        try:
            found.append((block, json.loads(block.text)))
        except ValueError as exc:
            pytest.fail(f"{section.at(block.line)}: not valid JSON: {exc}")
    return found


def _table(section: Section, header: re.Pattern[str]) -> list[tuple[int, list[str]]] | None:
    """The rows (line number, cells) of the section's one table whose header matches."""
    lines = section.lines
    starts = [i for i, (_, line) in enumerate(lines) if header.match(line)]
    if not starts:
        return None
    assert len(starts) == 1, f"{section.where}: {len(starts)} tables match {header.pattern!r}"
    rows = []
    for number, line in lines[starts[0] + 2 :]:
        if not line.startswith("|"):
            break
        rows.append((number, [cell.strip() for cell in line.strip().strip("|").split("|")]))
    return rows


def _backticked(cell: str) -> str | None:
    found = _BACKTICKED.match(cell.strip())
    return found.group(1) if found else None


# ------------------------------------------------------------------ the sections


def test_every_request_type_has_a_section() -> None:
    documented = _named(REQUESTS_PART)
    missing = [name for name in REQUESTS if name not in documented]
    assert not missing, (
        f"{DOC_NAME} has no '### `name`' section under '## {REQUESTS_PART}' for the "
        f"request types {missing} (they are in queue_server/protocol/messages.py REQUESTS)"
    )


def test_every_server_message_type_has_a_section() -> None:
    documented = _named(SERVER_PART)
    missing = [name for name in SERVER_MESSAGES if name not in documented]
    assert not missing, (
        f"{DOC_NAME} has no '### `name`' section under '## {SERVER_PART}' for the "
        f"server messages {missing} (they are in SERVER_MESSAGES)"
    )


def test_every_backticked_heading_is_a_real_message() -> None:
    problems = []
    seen: set[tuple[str, str]] = set()
    for section in SECTIONS:
        name = section.name
        if name is None:
            continue
        if (section.part, name) in seen:
            problems.append(f"{section.where}: a second section for {name!r}")
        seen.add((section.part, name))
        if section.part == REQUESTS_PART:
            if name not in REQUESTS:
                problems.append(f"{section.where}: there is no request type {name!r} in the code")
        elif section.part == SERVER_PART:
            if name not in SERVER_MESSAGES:
                problems.append(f"{section.where}: the server sends no message type {name!r}")
        else:
            problems.append(
                f"{section.where}: '### `{name}`' headings belong under '## {REQUESTS_PART}' "
                f"or '## {SERVER_PART}' only"
            )
    assert not problems, "stale or misplaced sections:\n" + "\n".join(problems)


# ------------------------------------------------------------------ error codes


def test_every_error_code_is_in_the_document() -> None:
    text = DOC_PATH.read_text(encoding="utf-8")
    missing = [
        f"{source} code {code!r}"
        for source, codes in (
            ("protocol (queue_server/protocol/errors.py)", protocol_errors.CODES),
            ("domain (queue_server/core/errors.py)", domain_errors.CODES),
        )
        for code in codes
        if f"`{code}`" not in text
    ]
    assert not missing, f"{DOC_NAME} never names (in backticks) the error " + ", ".join(missing)


_CODES_HEADER = re.compile(r"^\|\s*code\s*\|\s*meaning\s*\|")


@pytest.mark.parametrize(
    ("heading", "codes"),
    [
        ("Protocol error codes", protocol_errors.CODES),
        ("Domain error codes", domain_errors.CODES),
    ],
)
def test_the_error_code_tables_match_the_code(heading: str, codes: dict[str, str]) -> None:
    found = [s for s in SECTIONS if s.heading == heading]
    assert found, f"{DOC_NAME} has no '### {heading}' section"
    section = found[0]
    rows = _table(section, _CODES_HEADER)
    assert rows is not None, f"{section.where}: no '| code | meaning |' table"
    documented = {line: _backticked(cells[0]) for line, cells in rows}
    problems = [
        f"line {line}: no `code` in the first column"
        for line, code in documented.items()
        if code is None
    ]
    problems += [f"{code!r} has no row" for code in codes if code not in documented.values()]
    problems += [
        f"line {line}: {code!r} is not a {heading[:-1].lower()}"
        for line, code in documented.items()
        if code is not None and code not in codes
    ]
    assert not problems, f"{section.where}:\n" + "\n".join(problems)


def _errors_paragraph(section: Section) -> list[str] | None:
    """The codes in backticks of the section's ``Errors:`` paragraph, outside
    parentheses (None: no such paragraph)."""
    lines = [line for _, line in section.lines]
    for i, line in enumerate(lines):
        if line.startswith("Errors:"):
            paragraph = []
            for rest in lines[i:]:
                if not rest.strip():
                    break
                paragraph.append(rest)
            text = " ".join(paragraph)
            # Remarks in parentheses may name fields in backticks: only codes count.
            while (shorter := re.sub(r"\([^()]*\)", "", text)) != text:
                text = shorter
            return re.findall(r"`(\w+)`", text)
    return None


@pytest.mark.parametrize("name", list(REQUESTS))
def test_the_errors_of_a_request_are_real_codes(name: str) -> None:
    section = _section(REQUESTS_PART, name)
    codes = _errors_paragraph(section)
    assert codes is not None, f"{section.where}: no 'Errors:' paragraph"
    known = set(protocol_errors.CODES) | set(domain_errors.CODES)
    unknown = [code for code in codes if code not in known]
    assert not unknown, f"{section.where}: 'Errors:' names codes that do not exist: {unknown}"


# ----------------------------------------------------------- fields and roles


_FIELD_HEADER = re.compile(r"^\|\s*field\s*\|\s*kind\s*\|\s*required\s*\|")
_NO_FIELDS = re.compile(r"^Fields:\s*none\.?\s*$", re.IGNORECASE)
_ROLES_LINE = re.compile(r"^Roles:\s*(.*?)\s*$")


@pytest.mark.parametrize("name", list(REQUESTS))
def test_the_fields_of_a_request_match_the_code(name: str) -> None:
    section = _section(REQUESTS_PART, name)
    spec = REQUESTS[name]
    rows = _table(section, _FIELD_HEADER)
    says_none = any(_NO_FIELDS.match(line) for _, line in section.lines)
    if rows is None:
        assert says_none, (
            f"{section.where}: neither a '| field | kind | required | ... |' table "
            f"nor a 'Fields: none.' line"
        )
        assert not spec.fields, (
            f"{section.where}: says 'Fields: none.' but {name} takes {list(spec.fields)}"
        )
        return
    assert not says_none, f"{section.where}: has a field table and also 'Fields: none.'"
    documented: dict[str, tuple[str, bool]] = {}
    problems = []
    for line, cells in rows:
        field_name = _backticked(cells[0])
        if field_name is None or len(cells) < 3:
            problems.append(f"line {line}: the first column must hold `field` in backticks")
            continue
        if field_name in documented:
            problems.append(f"line {line}: {field_name!r} is listed twice")
        kind = cells[1].strip("` ")
        required = cells[2].strip().lower()
        if required not in ("yes", "no"):
            problems.append(f"line {line}: 'required' of {field_name!r} must be yes or no")
        documented[field_name] = (kind, required == "yes")
    missing = [f for f in spec.fields if f not in documented]
    extra = [f for f in documented if f not in spec.fields]
    if missing:
        problems.append(f"fields of {name} missing from the table: {missing}")
    if extra:
        problems.append(f"fields in the table that {name} does not take: {extra}")
    for field_name, (kind, required) in spec.fields.items():
        if field_name not in documented:
            continue
        doc_kind, doc_required = documented[field_name]
        if doc_kind != kind:
            problems.append(f"{field_name!r} is of kind {kind!r} in the code, {doc_kind!r} here")
        if doc_required != required:
            wanted = "required" if required else "optional"
            problems.append(f"{field_name!r} is {wanted} in the code")
    assert not problems, f"{section.where}:\n" + "\n".join(problems)


def _roles(text: str) -> set[str]:
    return {role.strip(" `") for role in text.split(",") if role.strip(" `")}


@pytest.mark.parametrize("name", list(REQUESTS))
def test_the_roles_of_a_request_match_the_code(name: str) -> None:
    section = _section(REQUESTS_PART, name)
    found = [m.group(1) for _, line in section.lines if (m := _ROLES_LINE.match(line))]
    assert len(found) == 1, f"{section.where}: wants one 'Roles: ...' line, has {len(found)}"
    documented = _roles(found[0])
    wanted = set(REQUESTS[name].roles)
    assert documented == wanted, (
        f"{section.where}: 'Roles:' lists {sorted(documented)}, the code allows "
        f"{sorted(wanted)} (missing: {sorted(wanted - documented)}, "
        f"not allowed: {sorted(documented - wanted)})"
    )


_ROLE_TABLE_HEADER = re.compile(r"^\|\s*request\s*\|\s*kiosk\s*\|\s*display\s*\|\s*clerk\s*\|")


def test_the_role_table_matches_the_code() -> None:
    holders = [s for s in SECTIONS if _table(s, _ROLE_TABLE_HEADER) is not None]
    assert len(holders) == 1, (
        f"{DOC_NAME} wants one role table '| request | kiosk | display | clerk | admin |', "
        f"has {len(holders)}"
    )
    section = holders[0]
    header = next(line for _, line in section.lines if _ROLE_TABLE_HEADER.match(line))
    columns = [c.strip() for c in header.strip().strip("|").split("|")][1:]
    assert columns == list(ROLES), f"{section.where}: the role columns must be {list(ROLES)}"
    documented: dict[str, set[str]] = {}
    for _, cells in _table(section, _ROLE_TABLE_HEADER) or []:
        name = re.search(r"`(\w+)`", cells[0])
        assert name, f"{section.where}: a row of the role table names no `request`"
        documented[name.group(1)] = {
            role for role, cell in zip(ROLES, cells[1:], strict=False) if cell
        }
    problems = [
        f"{name}: the table says {sorted(documented.get(name, set()))}, "
        f"the code {sorted(spec.roles)}"
        for name, spec in REQUESTS.items()
        if documented.get(name) != set(spec.roles)
    ]
    problems += [f"{name}: in the table but not a request" for name in documented - REQUESTS.keys()]
    assert not problems, f"{section.where}: the role table is wrong:\n" + "\n".join(problems)


_KINDS_HEADER = re.compile(r"^\|\s*kind\s*\|")


def test_every_field_kind_is_explained() -> None:
    holders = [s for s in SECTIONS if _table(s, _KINDS_HEADER) is not None]
    assert holders, f"{DOC_NAME} has no table of field kinds ('| kind | ... |')"
    documented = {
        _backticked(cells[0]) for s in holders for _, cells in _table(s, _KINDS_HEADER) or []
    }
    missing = [kind for kind in KINDS if kind not in documented]
    assert not missing, f"{holders[0].where}: the table of field kinds misses {missing}"


# ------------------------------------------------------------------ examples


def test_every_json_example_parses() -> None:
    problems = []
    for section in SECTIONS:
        for block in section.blocks:
            if block.lang != "json":
                continue
            try:
                data = json.loads(block.text)
            except ValueError as exc:
                problems.append(f"{section.at(block.line)}: {exc}")
                continue
            kind = data.get("type") if isinstance(data, dict) else None
            if kind not in REQUESTS and kind not in SERVER_MESSAGES:
                problems.append(
                    f"{section.at(block.line)}: an example of no known message type ({kind!r})"
                )
    assert not problems, "JSON examples that are wrong:\n" + "\n".join(problems)


def _check_request(text: str, where: str, role: str | None) -> str | None:
    """The problem with one request example, or None when it is fine."""
    try:
        request = parse(text)
    except ProtocolError as exc:
        return f"{where}: the server would refuse it: {exc.code}: {exc.message}"
    if role is not None and role not in REQUESTS[request.type].roles:
        return f"{where}: the role {role} may not send {request.type}"
    return None


@pytest.mark.parametrize("name", list(REQUESTS))
def test_a_request_has_examples_that_the_server_accepts(name: str) -> None:
    section = _section(REQUESTS_PART, name)
    reply_type = "welcome" if name == "hello" else "result"
    requests, replies, problems = [], [], []
    for block, data in _json_blocks(section):
        where = section.at(block.line)
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == name:
            requests.append(data)
            if problem := _check_request(block.text, where, None):
                problems.append(problem)
        elif kind == reply_type:
            replies.append(data)
        elif kind in REQUESTS:
            problems.append(f"{where}: an example of {kind!r} in the section of {name!r}")
    if not requests:
        problems.append(f'{section.where}: no JSON example of the request (\'"type": "{name}"\')')
    if not replies:
        problems.append(f"{section.where}: no JSON example of its reply (a {reply_type})")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", list(SERVER_MESSAGES))
def test_a_server_message_has_an_example(name: str) -> None:
    section = _section(SERVER_PART, name)
    kinds = [data.get("type") for _, data in _json_blocks(section) if isinstance(data, dict)]
    assert name in kinds, f'{section.where}: no JSON example with "type": "{name}"'


def test_the_transcript_by_hand_is_a_real_conversation() -> None:
    part = [s for s in SECTIONS if s.part == BY_HAND_PART]
    assert part, f"{DOC_NAME} has no '## {BY_HAND_PART}' section"
    blocks = [
        (s, b)
        for s in part
        for b in s.blocks
        if b.lang == "text" and "python -m websockets ws://" in b.text
    ]
    assert blocks, f"{part[0].where}: no ```text transcript of `python -m websockets ws://...`"
    section, block = blocks[0]
    role: str | None = None
    sent: list[str] = []
    received: list[str] = []
    problems = []
    for offset, line in enumerate(block.text.splitlines()):
        where = section.at(block.line + offset)
        if line.startswith("$ python -m websockets"):
            role = None  # a new connection: it says hello again
        elif line.startswith("> "):
            text = line[2:]
            try:
                kind = json.loads(text).get("type")
            except (ValueError, AttributeError):
                problems.append(f"{where}: a typed line that is not a JSON object")
                continue
            if role is None and kind != "hello":
                problems.append(f"{where}: {kind!r} before the welcome (say hello first)")
            elif problem := _check_request(text, where, role):
                problems.append(problem)
            sent.append(kind)
        elif line.startswith("< "):
            if "…" in line:  # cut short for the page: only its type can be checked
                kind_match = re.match(r'< \{"type": "(\w+)"', line)
                kind = kind_match.group(1) if kind_match else None
            else:
                try:
                    message = json.loads(line[2:])
                except ValueError as exc:
                    problems.append(f"{where}: a received line that is not JSON: {exc}")
                    continue
                kind = message.get("type")
                if kind == "welcome":
                    role = message.get("role")
            if kind not in SERVER_MESSAGES:
                problems.append(f"{where}: the server sends no message of type {kind!r}")
            received.append(kind)
    for kind in ("hello", "issue"):
        if kind not in sent:
            problems.append(f"{section.where}: the transcript never sends a {kind}")
    for kind in ("welcome", "snapshot", "result", "error"):
        if kind not in received:
            problems.append(f"{section.where}: the transcript never receives a {kind}")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------ event views


_EVENTS_HEADER = re.compile(r"^\|\s*event\s*\|\s*public.*\|\s*kiosk")


def _placeholder_event(cls: type[core_events.Event]) -> core_events.Event:
    return cls(**{f.name: 0 for f in fields(cls)})


def test_the_event_view_table_matches_the_views() -> None:
    holders = [s for s in SECTIONS if _table(s, _EVENTS_HEADER) is not None]
    assert len(holders) == 1, (
        f"{DOC_NAME} wants one table of event views ('| event | public ... | staff ... |'), "
        f"has {len(holders)}"
    )
    section = holders[0]
    documented: dict[str, tuple[set[str] | None, set[str] | None, set[str]]] = {}

    def cut(cell: str) -> set[str] | None:
        return None if "not sent" in cell else set(re.findall(r"`(\w+)`", cell))

    for _, cells in _table(section, _EVENTS_HEADER) or []:
        kind = _backticked(cells[0])
        documented[str(kind)] = (cut(cells[1]), cut(cells[2]), cut(cells[3]) or set())
    problems = []
    for kind, cls in core_events.EVENT_TYPES.items():
        if kind not in documented:
            problems.append(f"{kind}: no row")
            continue
        event = _placeholder_event(cls)
        public_view = views.event_view(event, views.PUBLIC)
        public = None if public_view is None else set(public_view) - {"type"}
        kiosk_view = views.event_view(event, views.KIOSK)
        kiosk = None if kiosk_view is None else set(kiosk_view) - {"type"}
        staff = set(views.event_view(event, views.STAFF) or {}) - {"type"}
        doc_public, doc_kiosk, doc_staff = documented[kind]
        if doc_public != public:
            problems.append(f"{kind}: the public sees {public}, the table says {doc_public}")
        if doc_kiosk != kiosk:
            problems.append(f"{kind}: a kiosk sees {kiosk}, the table says {doc_kiosk}")
        if doc_staff != staff:
            problems.append(f"{kind}: staff sees {staff}, the table says {doc_staff}")
    problems += [
        f"{kind}: no such event type" for kind in documented.keys() - core_events.EVENT_TYPES.keys()
    ]
    assert not problems, f"{section.where}: the table of event views is wrong:\n" + "\n".join(
        problems
    )
