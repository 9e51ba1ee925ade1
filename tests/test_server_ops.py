"""Running the server: TLS, a clean stop on SIGTERM, and logs without personal data."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from queue_server.client import RequestFailed, RindaClient
from tests.conftest import TIMEOUT, at
from tests.serverkit import ServerProcess


def self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_tls_serves_wss_and_https(tmp_path):
    cert, key = self_signed(tmp_path)
    with ServerProcess(tmp_path, extra=["--cert", str(cert), "--key", str(key)]) as server:
        context = ssl.create_default_context(cafile=str(cert))
        with urllib.request.urlopen(
            f"https://127.0.0.1:{server.port}/healthz", context=context, timeout=TIMEOUT
        ) as reply:
            assert json.load(reply)["ok"] is True

        async def talk() -> dict:
            url = f"wss://127.0.0.1:{server.port}/ws"
            token = server.devices["display"]
            async with RindaClient(url, division="riga-1", token=token, ssl_context=context) as c:
                return await c.next_message(TIMEOUT)

        assert asyncio.run(talk())["type"] == "snapshot"

        async def plain() -> None:
            async with connect(f"ws://127.0.0.1:{server.port}/ws", open_timeout=TIMEOUT):
                pass

        with pytest.raises((OSError, ConnectionClosed, InvalidHandshake, EOFError)):
            asyncio.run(plain())


def test_sigterm_closes_connections_cleanly_and_exits(tmp_path):
    server = ServerProcess(tmp_path)
    server.start()

    async def watch() -> int | None:
        async with connect(server.url, open_timeout=TIMEOUT) as ws:
            hello = {"type": "hello", "division": "riga-1", "token": server.devices["display"]}
            await ws.send(json.dumps(hello))
            assert json.loads(await ws.recv())["type"] == "welcome"
            await ws.recv()  # the snapshot
            assert server.process is not None
            server.process.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await asyncio.wait_for(ws.recv(), TIMEOUT)
            return closed.value.rcvd.code if closed.value.rcvd else None

    assert asyncio.run(watch()) == 1001  # going away
    assert server.stop() == 0
    assert '"event": "stopped"' in server.log()


def test_logs_are_structured_and_carry_no_secrets_or_personal_data(tmp_path):
    with ServerProcess(tmp_path) as server:
        password = server.passwords["clerk1"]

        async def day() -> None:
            kiosk = RindaClient(server.url, division="riga-1", token=server.devices["kiosk"])
            clerk = RindaClient(
                server.url, division="riga-1", user="clerk1", password=password, counter="1"
            )
            async with kiosk, clerk:
                await clerk.request("open")
                await kiosk.request("issue", key="t1", services=["passport"], priority="disability")
                await clerk.request("call_next")
                await clerk.request(
                    "finish",
                    outcome="refused",
                    reason="documents_incomplete",
                    detail="Jānis Bērziņš, phone 29999999",
                )
            bad = RindaClient(
                server.url, division="riga-1", user="clerk1", password="wrong-pass", reconnect=False
            )
            with pytest.raises(RequestFailed) as refused:
                await bad.start()
            assert refused.value.code == "auth_failed"

        asyncio.run(day())
    lines = server.log().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert records and all({"ts", "level", "event"} <= r.keys() for r in records)
    assert {"connected", "command", "login_failed"} <= {r["event"] for r in records}
    text = "\n".join(lines)
    for secret in (*server.devices.values(), *server.passwords.values(), "wrong-pass"):
        assert secret not in text
    for personal in ("Bērziņš", "29999999", "disability"):
        assert personal not in text, personal
    (failed,) = [r for r in records if r["event"] == "login_failed"]
    assert re.fullmatch(r"[0-9a-f]{8}", failed["source"]), "a source is a tag, not an address"


def test_a_demonstration_clock_runs_faster_from_its_start(tmp_path):
    """--clock-speed 600: ten minutes of the lobby pass in a second of real time."""
    with ServerProcess(tmp_path, extra=["--clock-speed", "600"]) as server:

        async def counter(request: str) -> int:
            async with RindaClient(
                server.url,
                division="riga-1",
                user="clerk1",
                password=server.passwords["clerk1"],
                counter="1",
            ) as desk:
                reply = await desk.request(request)
                return int(reply["events"][-1]["at"])

        opened = asyncio.run(counter("open"))
        time.sleep(1.0)
        closed = asyncio.run(counter("close"))
    assert opened >= at("2026-11-30 09:00")
    assert closed - opened >= 600_000  # at least 1 s of real time: 600 s of the lobby's


def test_a_fast_clock_needs_a_start(tmp_path):
    found = subprocess.run(
        [
            sys.executable,
            "-m",
            "queue_server.cli",
            "serve",
            "--db",
            str(tmp_path / "x.sqlite"),
            "--clock-speed",
            "60",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert found.returncode != 0 and "--clock-speed needs --clock-start" in found.stderr


async def _failed_login(server: ServerProcess, forwarded: str) -> None:
    headers = {"X-Forwarded-For": forwarded}
    async with connect(server.url, additional_headers=headers) as ws:
        await ws.send(
            json.dumps({"type": "hello", "division": "riga-1", "user": "clerk1",
                        "password": "wrong", "counter": "1"})
        )  # fmt: skip
        answer = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        assert answer["code"] == "auth_failed"


def _sources(server: ServerProcess) -> list[str]:
    records = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    return [r["source"] for r in records if r["event"] == "login_failed"]


def test_behind_a_trusted_proxy_each_client_is_counted_apart(tmp_path):
    """With --trusted-proxy the slow-down of failed logins counts the address the
    proxy saw; without it, X-Forwarded-For is ignored (a client cannot choose)."""
    (tmp_path / "trusted").mkdir()
    (tmp_path / "direct").mkdir()
    with ServerProcess(tmp_path / "trusted", extra=["--trusted-proxy", "127.0.0.1"]) as proxied:
        for address in ("10.0.0.5", "10.0.0.6", "10.0.0.5"):
            asyncio.run(_failed_login(proxied, f"203.0.113.9, {address}"))
        trusted = _sources(proxied)
    with ServerProcess(tmp_path / "direct") as direct:
        for address in ("10.0.0.5", "10.0.0.6"):
            asyncio.run(_failed_login(direct, address))
        ignored = _sources(direct)
    assert trusted[0] == trusted[2] != trusted[1]
    assert ignored[0] == ignored[1]
