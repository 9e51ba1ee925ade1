"""What docs/protocol.md promises, the running server keeps: one test per promise
that the two once told differently, each against a real server."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from websockets.asyncio.client import ClientConnection

from queue_server.client import RequestFailed
from queue_server.protocol import REQUESTS
from tests.conftest import TIMEOUT
from tests.conftest_server import (
    admin,
    clerk,
    display,
    hello,
    kiosk,
    raw,
    sample_fields,
    say,
    serving,
    unchanged,
)
from tests.serverkit import DIVISION, ServerProcess
from tests.test_protocol_doc import (
    BY_HAND_PART,
    REQUESTS_PART,
    SECTIONS,
    SERVER_PART,
    _backticked,
    _section,
    _table,
)

PUBLIC = "https://rinda.example.lv"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server whose tickets carry a status link, shared by the tests that leave
    nothing behind that another test minds."""
    with ServerProcess(tmp_path_factory.mktemp("promises"), extra=["--public-url", PUBLIC]) as s:
        yield s


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of its own: an empty day, and no failed logins counted yet."""
    yield from serving(tmp_path)


# ------------------------------------------------------------- wrong_counter


def test_a_clerk_at_a_counter_another_clerk_holds_gets_wrong_counter_but_for_open_and_logout(
    server: ServerProcess,
) -> None:
    async def intrude() -> dict[str, str]:
        async with (
            clerk(server, "clerk1", "2") as holder,
            clerk(server, "clerk2", "2") as intruder,
            admin(server) as boss,
        ):
            await holder.request("open")
            answers = {}
            async with unchanged(server, boss):
                for spec in REQUESTS.values():
                    if "clerk" not in spec.roles or spec.name in ("hello", "open", "logout"):
                        continue
                    try:
                        await intruder.request(spec.name, **sample_fields(spec))
                        answers[spec.name] = "answered"
                    except RequestFailed as refused:
                        answers[spec.name] = refused.code
            # Their own login they may always end: its token then opens nothing.
            token = intruder.welcome["session"]
            await intruder.request("logout")
            answers["logout"] = "answered"
            await holder.request("close")
            return answers, token

    answers, token = asyncio.run(intrude())
    assert answers.pop("logout") == "answered"
    assert {"snapshot", "sync", "counter_figures"} <= answers.keys()
    assert answers == dict.fromkeys(answers, "wrong_counter")

    async def again() -> str:
        try:
            async with clerk(server, "clerk2", "2", session=token, reconnect=False):
                return "let in"
        except RequestFailed as refused:
            return refused.code

    assert asyncio.run(again()) == "auth_failed"


# ----------------------------------------------------------------- slow-down


def test_three_failed_logins_are_answered_at_once_and_the_fourth_attempt_waits_a_second(
    fresh: ServerProcess,
) -> None:
    async def guess() -> list[float]:
        took = []
        async with raw(fresh) as ws:
            for _ in range(4):
                began = time.monotonic()
                answer = await say(ws, hello(fresh, token="d1.not-the-secret"))
                took.append(time.monotonic() - began)
                assert answer["code"] == "auth_failed"
        return took

    took = asyncio.run(guess())
    assert max(took[:3]) < 0.5, took
    assert 0.9 <= took[3] < 1.9, took


# ------------------------------------------------------------ by hand example

#: The transcript's placeholders, and what stands in their place on the test server.
KIOSK_TOKEN = "d1.EXAMPLE-TOKEN-printed-once-by-device-add"
CLERK = ("ilze", "example-password")
#: Fields whose values depend on the moment the transcript was taken (instants,
#: sequence numbers, tokens): compared by presence only, a list by its length.
MOMENT = {
    "at",
    "now",
    "seq",
    "issued_at",
    "estimate",
    "wait_ms",
    "closing_at",
    "session",
    "session_expires",
}


def _gist(value: Any) -> Any:
    """A message with the moment's values blanked out."""
    if isinstance(value, dict):
        return {key: (_moment(v) if key in MOMENT else _gist(v)) for key, v in value.items()}
    if isinstance(value, list):
        return [_gist(v) for v in value]
    return value


def _moment(value: Any) -> Any:
    if isinstance(value, list):
        return len(value)
    return None if value is None else "…"


def _connections() -> list[list[tuple[str, list[str]]]]:
    """The transcript by connection: each line typed, with the lines received after it."""
    blocks = [
        b
        for s in SECTIONS
        if s.part == BY_HAND_PART
        for b in s.blocks
        if "python -m websockets ws://" in b.text
    ]
    assert blocks, f"no transcript under '## {BY_HAND_PART}'"
    connections: list[list[tuple[str, list[str]]]] = []
    for line in blocks[0].text.splitlines():
        if line.startswith("$ python -m websockets"):
            connections.append([])
        elif line.startswith("> "):
            connections[-1].append((line[2:], []))
        elif line.startswith("< "):
            connections[-1][-1][1].append(line[2:])
    return connections


async def _next_answer(ws: ClientConnection, shown: str) -> dict[str, Any]:
    """The next message the transcript would show; queue summaries come on a timer,
    so one the transcript does not show at this point is passed over."""
    kind = re.match(r'\{"type": "(\w+)"', shown)
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        if message["type"] != "queues" or (kind and kind.group(1) == "queues"):
            return message


def test_the_example_by_hand_runs_as_shown_against_a_real_server(fresh: ServerProcess) -> None:
    user, password = CLERK
    real = {
        KIOSK_TOKEN: fresh.devices["kiosk"],
        f'"user": "{user}"': '"user": "clerk1"',
        password: fresh.passwords["clerk1"],
    }

    async def replay() -> list[str]:
        problems = []
        for number, lines in enumerate(_connections(), start=1):
            async with raw(fresh) as ws:
                for typed, shown in lines:
                    for placeholder, value in real.items():
                        typed = typed.replace(placeholder, value)
                    await ws.send(typed)
                    for expected in shown:
                        got = await _next_answer(ws, expected)
                        if "…" in expected:  # cut short on the page: only its type shows
                            want = re.match(r'\{"type": "(\w+)"', expected)
                            same = want is not None and got["type"] == want.group(1)
                        else:
                            same = _gist(got) == _gist(json.loads(expected))
                        if not same:
                            problems.append(f"connection {number}: shown {expected}\n  got {got}")
                            return problems
                # Nothing more comes that the transcript does not show.
                with pytest.raises(TimeoutError):
                    while True:
                        extra = json.loads(await asyncio.wait_for(ws.recv(), 0.7))
                        if extra["type"] != "queues":
                            problems.append(f"connection {number}: not shown: {extra}")
                            return problems
        return problems

    assert asyncio.run(replay()) == []


# ------------------------------------------------------ welcome and ticket tables


def _documented(section_part: str, name: str, header: str) -> dict[str, str]:
    """The rows of a table: the field in backticks, and its meaning."""
    section = _section(section_part, name)
    rows = _table(section, re.compile(header))
    assert rows is not None, f"{section.where}: no table '{header}'"
    return {str(_backticked(cells[0])): cells[-1] for _, cells in rows}


def test_every_field_of_a_welcome_and_a_ticket_is_in_the_documents_tables(
    server: ServerProcess,
) -> None:
    async def collect() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        async with (
            kiosk(server) as kiosk1,
            display(server) as display1,
            clerk(server, "clerk1", "1") as clerk1,
            admin(server) as boss,
        ):
            await clerk1.request("open")
            reply = await kiosk1.request("issue", key="promised-fields", services=["passport"])
            await clerk1.request("close")
            ticket = reply["ticket"]
            link = urlsplit(ticket["status_url"]).path.removeprefix("/v/")
            async with raw(server) as ws:
                visitor = await say(ws, {"type": "hello", "division": DIVISION, "status": link})
            welcomes = [c.welcome for c in (kiosk1, display1, clerk1, boss)] + [visitor]
            return welcomes, ticket

    welcomes, ticket = asyncio.run(collect())
    welcome_rows = _documented(SERVER_PART, "welcome", r"^\|\s*field\s*\|\s*meaning\s*\|")
    ticket_rows = _documented(REQUESTS_PART, "issue", r"^\|\s*ticket field\s*\|")
    problems = []
    for welcome in welcomes:
        role = welcome["role"]
        problems += [
            f"the {role}'s welcome has {key!r}"
            for key in welcome
            if key != "type" and key not in welcome_rows
        ]
        if f"`{role}`" not in welcome_rows.get("role", ""):
            problems.append(f"the role row does not name `{role}`")
    if "`visitor`" not in welcome_rows.get("actor", ""):
        problems.append("the actor row does not name a visitor's actor `visitor`")
    problems += [f"a ticket has {key!r}" for key in ticket if key not in ticket_rows]
    assert not problems, "docs/protocol.md misses:\n" + "\n".join(problems)


# -------------------------------------------------------------- malformed input


def test_nan_and_infinity_are_not_json(server: ServerProcess) -> None:
    async def send_all() -> list[tuple[str, str]]:
        answers = []
        async with raw(server) as ws:
            await say(ws, hello(server, "kiosk"))
            for constant in ("NaN", "Infinity", "-Infinity"):
                for text in (
                    f'{{"type": "sync", "id": 1, "since": {constant}}}',
                    f'{{"type": "snapshot", "id": {constant}}}',
                    f'{{"type": "quote", "services": ["passport"], "x": [{constant}]}}',
                ):
                    answers.append((text, (await say(ws, text))["code"]))
        return answers

    answers = asyncio.run(send_all())
    assert answers == [(text, "bad_json") for text, _ in answers]


def test_a_hello_without_a_credential_names_the_missing_field(server: ServerProcess) -> None:
    async def hellos() -> list[dict[str, Any]]:
        async with raw(server) as ws:
            return [
                await say(ws, {"type": "hello", "division": DIVISION}),
                await say(ws, {"type": "hello", "division": DIVISION, "user": "clerk1"}),
            ]

    anonymous, no_password = asyncio.run(hellos())
    assert (anonymous["code"], anonymous.get("details")) == ("missing_field", {"field": "token"})
    assert (no_password["code"], no_password.get("details")) == (
        "missing_field",
        {"field": "password"},
    )


def test_a_message_without_a_type_is_told_it_has_none(server: ServerProcess) -> None:
    async def untyped() -> list[dict[str, Any]]:
        async with raw(server) as ws:
            before = [await say(ws, {"id": 7}), await say(ws, {"id": 8, "type": None})]
            await say(ws, hello(server, "kiosk"))
            return [*before, await say(ws, {"id": 9})]

    for answer in asyncio.run(untyped()):
        assert (answer["code"], answer.get("details")) == ("missing_field", {"field": "type"})
        assert "None" not in answer["message"] and "type" in answer["message"]


def test_forbidden_says_an_admin_not_a_admin(server: ServerProcess) -> None:
    async def forbidden() -> str:
        async with admin(server) as boss:
            with pytest.raises(RequestFailed) as refused:
                await boss.request("call_next")
            return refused.value.message

    assert asyncio.run(forbidden()) == "An admin may not send call_next."
