"""The authorization matrix: every role against every request, as the role table of
``docs/protocol.md`` draws it, and the credentials that must not work: none at all,
revoked, disabled, of another division, and expired.

A role the table allows gets past the role check (a result, or an error that is not
``forbidden``); every other role gets ``forbidden``; a connection without a hello
gets ``not_authenticated``. Nothing a refused request asked for is done.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection

from queue_server.client import RequestFailed, RindaClient
from queue_server.protocol import REQUESTS
from tests.conftest import TIMEOUT
from tests.conftest_server import (
    admin,
    clerk,
    close_code,
    display,
    hello,
    kiosk,
    raw,
    sample_fields,
    say,
    staff_view,
)
from tests.serverkit import DIVISION, ROOT, ServerProcess

ROLES = ("kiosk", "display", "clerk", "admin", "visitor")


def doc_roles() -> dict[str, set[str]]:
    """The role table of docs/protocol.md: request -> the roles with a tick."""
    text = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    section = text.split("\n## Roles\n", 1)[1].split("\n## ", 1)[0]
    table: dict[str, set[str]] = {}
    for line in section.splitlines():
        found = re.match(r"\| \[`(\w+)`\]\(#\w+\) \|(.*)\|\s*$", line)
        if found:
            cells = [cell.strip() for cell in found.group(2).split("|")]
            table[found.group(1)] = {role for role, cell in zip(ROLES, cells, strict=True) if cell}
    return table


def test_the_doc_table_covers_every_request() -> None:
    assert set(doc_roles()) == set(REQUESTS)


async def outcome(client: RindaClient | ClientConnection, kind: str) -> str:
    """``result`` or the error code of one request with valid sample fields."""
    fields = sample_fields(REQUESTS[kind])
    if isinstance(client, RindaClient):
        try:
            await client.request(kind, **fields)
        except RequestFailed as refused:
            return refused.code
        return "result"
    answer = await say(client, {"type": kind, "id": kind, **fields})
    return "result" if answer["type"] == "result" else str(answer["code"])


def test_exactly_the_roles_the_doc_allows_get_past_the_role_check(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, extra=["--public-url", "https://rinda.example"])
    table = doc_roles()

    async def matrix() -> dict[tuple[str, str], str]:
        found: dict[tuple[str, str], str] = {}
        async with (
            kiosk(server) as as_kiosk,
            display(server) as as_display,
            clerk(server, "clerk1", "1") as as_clerk,
            admin(server) as as_admin,
            raw(server) as anonymous,
            raw(server) as as_visitor,
        ):
            await as_clerk.request("open")
            for n in range(3):  # P001 (the samples' number) and two more before the visitor's
                await as_kiosk.request("issue", key=f"before-{n}", services=["passport"])
            ticket = await as_kiosk.request("issue", key="visitor", services=["passport"])
            link = ticket["ticket"]["status_url"].rsplit("/", 1)[1]
            welcome = await say(as_visitor, {"type": "hello", "division": DIVISION, "status": link})
            assert welcome["role"] == "visitor"
            clients: dict[str, RindaClient | ClientConnection] = {
                "kiosk": as_kiosk,
                "display": as_display,
                "clerk": as_clerk,
                "admin": as_admin,
                "visitor": as_visitor,
            }
            # logout ends the connection: it goes last.
            kinds = sorted(REQUESTS, key=lambda k: (k == "logout", k))
            for kind in kinds:
                found[("nobody", kind)] = await outcome(anonymous, kind)
                for role, client in clients.items():
                    found[(role, kind)] = await outcome(client, kind)
        return found

    with server:
        found = asyncio.run(matrix())
    wrong = []
    for kind in REQUESTS:
        expected_nobody = "not_authenticated" if kind != "hello" else "not forbidden"
        got = found[("nobody", kind)]
        if (got == "not_authenticated") != (expected_nobody == "not_authenticated"):
            wrong.append(("nobody", kind, got))
        for role in ROLES:
            got = found[(role, kind)]
            if (got == "forbidden") == (role in table[kind]):
                wrong.append((role, kind, got))
    assert wrong == []
    # The visitor's phone only listens; a display only listens and reads.
    assert {k for k, roles in table.items() if "visitor" in roles} == {"hello"}
    assert {k for k, roles in table.items() if "display" in roles} == {"hello", "sync", "snapshot"}


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "queue_server.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 3,
        check=True,
    )


async def hello_code(server: ServerProcess, message: dict[str, Any]) -> str:
    async with raw(server) as ws:
        answer = await say(ws, message)
        return str(answer.get("code", answer["type"]))


def test_revoked_disabled_and_foreign_credentials_get_nowhere(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path)

    async def before() -> dict[str, str]:
        async with clerk(server, "clerk1", "1") as anna, admin(server) as boss:
            return {"clerk1": anna.welcome["session"], "admin1": boss.welcome["session"]}

    async def after(sessions: dict[str, str]) -> dict[str, str]:
        def user(name: str, **fields: Any) -> dict[str, Any]:
            return {"type": "hello", "division": DIVISION, "user": name, **fields}

        tries = {
            "revoked kiosk": hello(server, "kiosk"),
            "revoked display": hello(server, "display"),
            "disabled clerk, password": user(
                "clerk1", password=server.passwords["clerk1"], counter="1"
            ),
            "disabled clerk, session": user("clerk1", session=sessions["clerk1"], counter="1"),
            "kiosk of another division": hello(server, "other_kiosk"),
            "clerk in another division": {
                **user("clerk2", password=server.passwords["clerk2"], counter="1"),
                "division": "liepaja",
            },
            "session in another division": {
                **user("admin1", session=sessions["admin1"]),
                "division": "liepaja",
            },
            "made-up session": user("admin1", session="not-a-session"),
            "made-up token": {**hello(server, "kiosk2"), "token": "d2.made-up"},
        }
        found = {}
        async with admin(server) as boss:
            state = await staff_view(boss)
            for name, message in tries.items():
                found[name] = await hello_code(server, message)
            assert await staff_view(boss) == state
        return found

    with server:
        sessions = asyncio.run(before())
        kiosk_id, display_id = (server.devices[d].split(".")[0] for d in ("kiosk", "display"))
        cli("device", "revoke", str(server.db), kiosk_id)
        cli("device", "revoke", str(server.db), display_id)
        cli("user", "disable", str(server.db), "clerk1")
        found = asyncio.run(after(sessions))
    assert found == {
        "revoked kiosk": "auth_failed",
        "revoked display": "auth_failed",
        "disabled clerk, password": "auth_failed",
        "disabled clerk, session": "auth_failed",
        "kiosk of another division": "wrong_division",
        "clerk in another division": "wrong_division",
        "session in another division": "auth_failed",
        "made-up session": "auth_failed",
        "made-up token": "auth_failed",
    }


@pytest.mark.slow
def test_an_expired_session_is_cut_off_and_cannot_say_hello_again(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, extra=["--session-minutes", "0.05"])  # three seconds

    async def expire() -> tuple[int | None, str, str]:
        async with raw(server) as ws:
            welcome = await say(
                ws,
                {
                    "type": "hello",
                    "division": DIVISION,
                    "user": "admin1",
                    "password": server.passwords["admin1"],
                },
            )
            code = await close_code(ws, 3 * TIMEOUT)
        again = await hello_code(
            server,
            {
                "type": "hello",
                "division": DIVISION,
                "user": "admin1",
                "session": welcome["session"],
            },
        )
        fresh = await hello_code(
            server,
            {
                "type": "hello",
                "division": DIVISION,
                "user": "admin1",
                "password": server.passwords["admin1"],
            },
        )
        return code, again, fresh

    with server:
        assert asyncio.run(expire()) == (1008, "auth_failed", "welcome")
