"""Console login sessions, the silent call for the manager, a counter's own figures,
and the actor of every event (the audit trail)."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from queue_server.client import RequestFailed, RindaClient
from tests.conftest import TIMEOUT
from tests.serverkit import ServerProcess


def _clerk(server: ServerProcess, **credential: str) -> RindaClient:
    credential = credential or {"password": server.passwords["clerk1"]}
    return RindaClient(
        server.url, division="riga-1", user="clerk1", counter="1", reconnect=False, **credential
    )


def test_a_session_token_replaces_the_password_until_logout(tmp_path):
    with ServerProcess(tmp_path) as server:

        async def run() -> None:
            async with _clerk(server) as first:
                token = first.welcome["session"]
                expires = first.welcome["session_expires"]
                assert isinstance(token, str) and len(token) >= 40
                assert server.passwords["clerk1"] not in token
            # 12 hours after the login, by the server's clock.
            async with _clerk(server, session=token) as again:
                assert again.welcome["actor"] == first.welcome["actor"]
                assert again.welcome["session"] == token
                assert again.welcome["session_expires"] == expires
                await again.request("open")
                await again.request("logout")
                await asyncio.wait_for(_closed(again), TIMEOUT)
            with pytest.raises(RequestFailed) as ended:
                async with _clerk(server, session=token):
                    pass
            assert ended.value.code == "auth_failed"
            with pytest.raises(RequestFailed) as forged:
                async with _clerk(server, session=token[:-2] + "xx"):
                    pass
            assert forged.value.code == "auth_failed"
            # A session opened in one division does not open another.
            async with _clerk(server) as fresh:
                other = fresh.welcome["session"]
            with pytest.raises(RequestFailed) as elsewhere:
                async with RindaClient(
                    server.url,
                    division="liepaja",
                    user="clerk1",
                    session=other,
                    counter="1",
                    reconnect=False,
                ):
                    pass
            assert elsewhere.value.code in ("auth_failed", "wrong_division")

        asyncio.run(run())
    with sqlite3.connect(server.db) as db:
        stored = [row[0] for row in db.execute("SELECT token_hash FROM login_sessions")]
    assert stored and all(len(h) == 64 for h in stored)


def test_a_rehearsal_clock_days_behind_the_accounts_keeps_console_sessions(tmp_path):
    """Accounts made now with the command line, a server rehearsing three days earlier
    (``--clock-start``): a console logs in, and reconnects with its session token."""
    db = tmp_path / "rinda.sqlite"
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "queue_server.cli",
            "user",
            "add",
            str(db),
            "clerk1",
            "--role",
            "clerk",
            "--division",
            "riga-1",
            "--password-stdin",
        ],
        input="a long password\n",
        capture_output=True,
        text=True,
        check=True,
    )
    assert "clerk1" in made.stdout + made.stderr
    earlier = datetime.now(ZoneInfo("Europe/Riga")) - timedelta(days=3)
    rehearsal = earlier.replace(hour=9, minute=0).strftime("%Y-%m-%dT%H:%M")
    with ServerProcess(tmp_path, clock_start=rehearsal, provision_accounts=False) as server:

        async def run() -> tuple[dict, dict]:
            async with _clerk(server, password="a long password") as first:
                token = first.welcome["session"]
            async with _clerk(server, session=token) as again:
                await again.request("open")
                return first.welcome, again.welcome

        first, again = asyncio.run(run())
    assert again["actor"] == first["actor"] and again["session"] == first["session"]
    assert again["now"] < time.time() * 1000 - 2 * 86_400_000  # the rehearsal's clock


def test_devices_get_no_session(tmp_path):
    with ServerProcess(tmp_path) as server:

        async def run() -> dict:
            async with RindaClient(
                server.url, division="riga-1", token=server.devices["kiosk"]
            ) as kiosk:
                return kiosk.welcome

        welcome = asyncio.run(run())
    assert "session" not in welcome


def test_the_manager_alert_reaches_admins_only_and_is_answered(tmp_path):
    with ServerProcess(tmp_path) as server:

        async def run() -> tuple[dict, dict, list[dict], dict]:
            admin = RindaClient(
                server.url, division="riga-1", user="admin1", password=server.passwords["admin1"]
            )
            display = RindaClient(server.url, division="riga-1", token=server.devices["display"])
            async with _clerk(server) as clerk, admin, display:
                await clerk.request("open")
                first = await clerk.request("alert_manager", note="Raised voices")
                second = await clerk.request("alert_manager")
                assert second["seq"] == []
                with pytest.raises(RequestFailed) as kiosk_like:
                    await display.request("alert_manager")
                assert kiosk_like.value.code == "forbidden"
                alerted = await _event(admin, "manager_alerted")
                snap = (await admin.request("snapshot"))["snapshot"]
                await admin.request("answer_alert", counter="1")
                with pytest.raises(RequestFailed) as twice:
                    await admin.request("answer_alert", counter="1")
                assert twice.value.code == "no_alert"
                await clerk.request("pause")  # a fence for the display
                public = await _events_until(display, "counter_paused")
                after = (await admin.request("snapshot"))["snapshot"]
                return first, alerted, public, {"open": snap, "after": after}

        first, alerted, public, snaps = asyncio.run(run())
    assert first["events"][0]["type"] == "manager_alerted"
    assert alerted["counter"] == "1" and alerted["note"] == "Raised voices"
    assert [a["counter"] for a in snaps["open"]["state"]["alerts"]] == ["1"]
    assert snaps["after"]["state"]["alerts"] == []
    assert not [m for m in public if "alert" in m["type"]]


def test_counter_figures_count_what_the_counter_did_today(tmp_path):
    with ServerProcess(tmp_path) as server:

        async def run() -> tuple[dict, dict]:
            kiosk = RindaClient(server.url, division="riga-1", token=server.devices["kiosk"])
            async with kiosk, _clerk(server) as clerk:
                await clerk.request("open")
                empty = (await clerk.request("counter_figures"))["figures"]
                for key in ("a", "b", "c"):
                    await kiosk.request("issue", key=key, services=["passport"])
                await clerk.request("call_next")
                await clerk.request("start")
                await clerk.request("finish")
                await clerk.request("call_next")
                await clerk.request("no_show")
                await clerk.request("call_next")
                await clerk.request("finish", outcome="referred", referral="State Police")
                return empty, (await clerk.request("counter_figures"))["figures"]

        empty, figures = asyncio.run(run())
    assert empty == {
        "served": 0,
        "refused": 0,
        "referred": 0,
        "behaviour": 0,
        "no_shows": 0,
        "transferred": 0,
        "mean_service_ms": None,
    }
    assert figures["served"] == 1 and figures["referred"] == 1 and figures["no_shows"] == 1
    assert figures["mean_service_ms"] is not None and figures["mean_service_ms"] >= 0


def test_every_event_of_a_command_records_its_actor(tmp_path):
    with ServerProcess(tmp_path) as server:

        async def run() -> tuple[str, str]:
            kiosk = RindaClient(server.url, division="riga-1", token=server.devices["kiosk"])
            async with kiosk, _clerk(server) as clerk:
                await clerk.request("open")
                await kiosk.request("issue", key="k", services=["passport"])
                await clerk.request("call_next")
                return kiosk.welcome["actor"], clerk.welcome["actor"]

        kiosk_id, clerk_id = asyncio.run(run())
    with sqlite3.connect(server.db) as db:
        rows = dict(
            db.execute(
                "SELECT type, actor FROM events WHERE type IN "
                "('counter_opened', 'visit_issued', 'visit_called', 'day_opened')"
            ).fetchall()
        )
    assert rows == {
        "day_opened": None,
        "counter_opened": clerk_id,
        "visit_issued": kiosk_id,
        "visit_called": clerk_id,
    }


async def _closed(client: RindaClient) -> None:
    while client.connected.is_set():
        await asyncio.sleep(0.01)


async def _event(client: RindaClient, kind: str) -> dict:
    return (await _events_until(client, kind))[-1]


async def _events_until(client: RindaClient, kind: str) -> list[dict]:
    found = []
    while True:
        message = await client.next_message(TIMEOUT)
        if message["type"] != "event":
            continue
        found.append(message["event"])
        if message["event"]["type"] == kind:
            return found


def test_an_expired_session_is_cut_off_and_refused(tmp_path):
    # Sessions of 2 seconds: the open console is closed, and its token then refused.
    with ServerProcess(tmp_path, extra=["--session-minutes", str(2 / 60)]) as server:

        async def run() -> str:
            async with _clerk(server) as clerk:
                token = clerk.welcome["session"]
                await asyncio.wait_for(_closed(clerk), TIMEOUT)
            with pytest.raises(RequestFailed) as expired:
                async with _clerk(server, session=token):
                    pass
            return expired.value.code

        assert asyncio.run(run()) == "auth_failed"
