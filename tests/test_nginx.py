"""deploy/nginx/rinda.conf in a real nginx in front of two real servers: each
division's host name reaches its own server, over TLS, WebSockets and plain HTTP.

nginx runs as an ordinary process on 127.0.0.1 with the example file, only its ports,
upstream addresses and certificate replaced. Clients use the production URLs
(``wss://riga-1.rinda.example.lv/ws``); a small HTTP proxy stands in for the lobby's
DNS and sends every name to nginx, so the names reach nginx in SNI and the Host
header exactly as they would in a lobby.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
import sqlite3
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from queue_server.accounts import Accounts
from queue_server.client import ClientError, RindaClient
from queue_server.config import load_office
from tests.conftest import TIMEOUT
from tests.serverkit import ROOT, ServerProcess

# scripts/setup installs nginx: a missing one is a broken setup, not a reason to skip.
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
assert NGINX is not None, "nginx is not installed: run scripts/setup (apt-get install nginx)"

EXAMPLE = ROOT / "deploy" / "nginx" / "rinda.conf"
SNIPPET = ROOT / "deploy" / "nginx" / "rinda-proxy.conf"
RIGA, LIEPAJA = "riga-1.rinda.example.lv", "liepaja.rinda.example.lv"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def substitute(
    text: str, pattern: str, replacement: str | Callable[[re.Match[str]], str], count: int
) -> str:
    """Replace ``pattern`` exactly ``count`` times, or say what in the example changed."""
    result, found = re.subn(pattern, replacement, text)
    assert found == count, f"{EXAMPLE.name}: expected {count} × {pattern!r}, found {found}"
    return result


def site_config(folder: Path, upstreams: dict[str, int], http: int, https: int) -> Path:
    """The example, listening on 127.0.0.1, in front of ``upstreams`` (name -> port)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    text = substitute(text, r"listen 80;", f"listen 127.0.0.1:{http};", 1)
    text = substitute(text, r"listen 443 ssl", f"listen 127.0.0.1:{https} ssl", 3)
    text = substitute(
        text,
        r"(upstream (\w+) \{\s*server )[^;\s]+",
        lambda m: f"{m[1]}127.0.0.1:{upstreams[m[2]]}",
        len(upstreams),
    )
    text = substitute(text, r"/etc/letsencrypt/live/[^;]+/fullchain\.pem", f"{folder}/cert.pem", 2)
    text = substitute(text, r"/etc/letsencrypt/live/[^;]+/privkey\.pem", f"{folder}/key.pem", 2)
    text = substitute(text, r"/etc/nginx/snippets/rinda-proxy\.conf", str(SNIPPET), 2)
    text = substitute(text, r"root /var/www/letsencrypt;", f"root {folder}/acme;", 1)
    site = folder / "rinda.conf"
    site.write_text(text, encoding="utf-8")
    main = folder / "nginx.conf"
    temp = "\n".join(
        f"    {kind}_temp_path {folder}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main.write_text(
        f"""daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {folder}/access.log;
{temp}
    include {site};
}}
""",
        encoding="utf-8",
    )
    return main


def make_certificate(folder: Path) -> None:
    """A self-signed certificate for *.rinda.example.lv, as the office's CA would give."""
    key, cert = str(folder / "key.pem"), str(folder / "cert.pem")
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", key, "-out", cert, "-subj", "/CN=rinda.example.lv"),
            *("-addext", "subjectAltName=DNS:*.rinda.example.lv"),
        ],
        check=True,
        capture_output=True,
        timeout=TIMEOUT * 3,
    )


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited:\n{log.read_text(errors='replace')}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on {port}:\n{log.read_text(errors='replace')}")


@dataclass
class Site:
    riga: ServerProcess
    liepaja: ServerProcess
    liepaja_clerk: str
    http: int
    https: int
    folder: Path

    @property
    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.folder / "cert.pem"))

    def client(
        self,
        host: str,
        division: str,
        token: str | None = None,
        user: str | None = None,
        password: str | None = None,
        counter: str | None = None,
    ) -> RindaClient:
        """A client of ``wss://<host>/ws`` that trusts the test certificate, no retries."""
        return RindaClient(
            f"wss://{host}/ws",
            division=division,
            token=token,
            user=user,
            password=password,
            counter=counter,
            ssl_context=self.tls,
            timeout=TIMEOUT,
            reconnect=False,
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Server A (Riga 1st Division), server B (Liepaja) and nginx in front of both."""
    folder = tmp_path_factory.mktemp("nginx")
    (folder / "a").mkdir()
    (folder / "b").mkdir()
    riga, liepaja = ServerProcess(folder / "a"), ServerProcess(folder / "b")
    with Accounts.open(liepaja.db, load_office()) as accounts:
        _, password = accounts.add_user(
            "clerk-liepaja", "clerk", ["liepaja"], int(time.time() * 1000)
        )
    make_certificate(folder)
    http, https = free_port(), free_port()
    process = None
    with riga, liepaja:
        config = site_config(
            folder, {"rinda_riga_1": riga.port, "rinda_liepaja": liepaja.port}, http, https
        )
        log = folder / "nginx.out"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [NGINX or "nginx", "-c", str(config), "-p", str(folder), "-e", "stderr"],
                stdout=out,
                stderr=out,
            )
        try:
            wait_for_port(https, process, log)
            wait_for_port(http, process, log)
            yield Site(riga, liepaja, password, http, https, folder)
        finally:
            process.terminate()
            process.wait(TIMEOUT)


class LobbyDns:
    """Stands in for the lobby's DNS: every host name leads to nginx on 127.0.0.1.

    Clients use it as their HTTP proxy (``https_proxy``/``http_proxy``), which the
    websockets client and urllib both honour: a ``CONNECT <name>:443`` is tunnelled to
    nginx's TLS port, a plain request goes to its HTTP port as it came.
    """

    def __init__(self, http: int, https: int) -> None:
        self.ports = {80: http, 443: https}
        self.names: list[str] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> LobbyDns:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        method, target, _ = head.split(b"\r\n", 1)[0].decode("ascii").split(" ", 2)
        if method == "CONNECT":
            name, port = target.rsplit(":", 1)
            self.names.append(name)
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.ports[int(port)])
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.ports[80])
            up_writer.write(head)
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


@pytest.fixture
def through(monkeypatch: pytest.MonkeyPatch) -> Callable[[LobbyDns], None]:
    """Sends the test's clients through a ``LobbyDns`` (127.0.0.1 stays direct)."""
    for name in ("all_proxy", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")

    def use(dns: LobbyDns) -> None:
        for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
            monkeypatch.setenv(name, dns.url)

    return use


def issued(server: ServerProcess, division: str) -> list[str]:
    """Ticket numbers in a server's own database file."""
    with sqlite3.connect(f"{server.db.resolve().as_uri()}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT json_extract(data, '$.number') FROM events "
            "WHERE type = 'visit_issued' AND division = ? ORDER BY seq",
            (division,),
        ).fetchall()
    return [number for (number,) in rows]


def first_counter(division: str, service: str) -> str:
    counters = load_office().divisions[division].counters
    return next(c.id for c in counters if c.services[0] == service)


async def issue_through(
    site: Site, host: str, division: str, token: str, user: str, password: str
) -> str:
    """A clerk opens a counter and a kiosk takes a ticket, both through ``host``."""
    counter = first_counter(division, "passport")
    staff = site.client(host, division, user=user, password=password, counter=counter)
    kiosk = site.client(host, division, token=token)
    async with staff, kiosk:
        await staff.request("open")
        answer = await kiosk.request("issue", key=f"tap-{division}", services=["passport"])
    return str(answer["ticket"]["number"])


def fetch(url: str, context: ssl.SSLContext | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET without following redirects: status, headers, body."""

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    opener = urllib.request.build_opener(Stay, urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(url, timeout=TIMEOUT) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_each_division_name_reaches_its_own_server(
    site: Site, through: Callable[[LobbyDns], None]
) -> None:
    async def scenario() -> tuple[str, str, list[str]]:
        async with LobbyDns(site.http, site.https) as dns:
            through(dns)
            riga = await issue_through(
                site, RIGA, "riga-1", site.riga.devices["kiosk"],
                "clerk1", site.riga.passwords["clerk1"],
            )  # fmt: skip
            liepaja = await issue_through(
                site, LIEPAJA, "liepaja", site.liepaja.devices["other_kiosk"],
                "clerk-liepaja", site.liepaja_clerk,
            )  # fmt: skip
            # Server A's kiosk token means nothing to server B: the name chose B.
            stranger = site.client(LIEPAJA, "riga-1", token=site.riga.devices["kiosk"])
            with pytest.raises(ClientError, match="auth"):
                await stranger.start()
            await stranger.close()
            return riga, liepaja, dns.names

    riga, liepaja, names = asyncio.run(scenario())
    assert set(names) == {RIGA, LIEPAJA}, "the clients did not go through the names"
    assert riga.startswith("P") and liepaja.startswith("P")
    assert issued(site.riga, "riga-1") == [riga]
    assert issued(site.liepaja, "liepaja") == [liepaja]
    assert issued(site.riga, "liepaja") == [] and issued(site.liepaja, "riga-1") == []


def test_healthz_and_the_consoles_answer_under_the_division_name(
    site: Site, through: Callable[[LobbyDns], None]
) -> None:
    async def scenario() -> list[tuple[int, dict[str, str], bytes]]:
        async with LobbyDns(site.http, site.https) as dns:
            through(dns)
            paths = ("/healthz", "/clerk", "/clerk.js", "/i18n/lv.json")
            return [
                await asyncio.to_thread(fetch, f"https://{RIGA}{path}", site.tls) for path in paths
            ]

    health, clerk, script, catalog = asyncio.run(scenario())
    assert health[0] == 200
    body = json.loads(health[2])
    assert body["ok"] is True and body["writable"] is True and body["loaded"] is True
    assert clerk[0] == 200 and b'src="/clerk.js"' in clerk[2]
    assert script[0] == 200 and script[1]["Content-Type"].startswith("text/javascript")
    assert catalog[0] == 200 and "console.connected" in json.loads(catalog[2])


def test_plain_http_goes_to_https_and_other_names_get_nothing(
    site: Site, through: Callable[[LobbyDns], None]
) -> None:
    async def scenario() -> tuple[tuple[int, dict[str, str], bytes], BaseException | None]:
        async with LobbyDns(site.http, site.https) as dns:
            through(dns)
            plain = await asyncio.to_thread(fetch, f"http://{RIGA}/clerk?division=riga-1")
            try:
                await asyncio.to_thread(fetch, "https://other.rinda.example.lv/healthz", site.tls)
            except (urllib.error.URLError, ssl.SSLError, ConnectionError) as error:
                return plain, error
            return plain, None

    plain, refused = asyncio.run(scenario())
    assert plain[0] == 301
    assert plain[1]["Location"] == f"https://{RIGA}/clerk?division=riga-1"
    assert isinstance(refused, urllib.error.URLError), "a name nginx does not know was served"
    assert "unrecognized name" in str(refused.reason).lower()
