"""A real Rinda server in a child process, for tests and benchmarks.

    with ServerProcess(tmp_path) as server:
        kiosk = server.devices["kiosk"]           # a token for riga-1
        async with RindaClient(server.url, division="riga-1", token=kiosk) as client: ...

The server runs ``rinda-server serve`` exactly as in production, on 127.0.0.1 and a
free port, with its clock started on a working Monday morning (so tests do not
depend on the day they run), and is stopped by its PID.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from queue_server.accounts import Accounts
from queue_server.config import load_office

ROOT = Path(__file__).resolve().parent.parent
#: Monday 30 November 2026, 09:00 in Riga: every division is open.
CLOCK_START = "2026-11-30T09:00"
DIVISION = "riga-1"


def provision(db: Path, division: str = DIVISION) -> tuple[dict[str, str], dict[str, str]]:
    """Devices and accounts for ``division``: tokens by name, passwords by user name."""
    now = int(time.time() * 1000)
    devices: dict[str, str] = {}
    passwords: dict[str, str] = {}
    with Accounts.open(db, load_office()) as accounts:
        for name, kind in (("kiosk", "kiosk"), ("kiosk2", "kiosk"), ("display", "display")):
            _, devices[name] = accounts.add_device(division, kind, name, now)
        _, devices["other_kiosk"] = accounts.add_device("liepaja", "kiosk", "other", now)
        for user, role in (("clerk1", "clerk"), ("clerk2", "clerk"), ("admin1", "admin")):
            _, passwords[user] = accounts.add_user(user, role, [division], now)
    return devices, passwords


class ServerProcess:
    """``rinda-server serve`` on a free port of 127.0.0.1 with its own database."""

    def __init__(
        self,
        folder: Path,
        clock_start: str | None = CLOCK_START,
        db: Path | None = None,
        extra: list[str] | None = None,
        provision_accounts: bool = True,
    ) -> None:
        self.folder = folder
        self.db = db or folder / "rinda.sqlite"
        self.clock_start = clock_start
        self.extra = extra or []
        self.devices: dict[str, str] = {}
        self.passwords: dict[str, str] = {}
        if provision_accounts and not self.db.exists():
            self.devices, self.passwords = provision(self.db)
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log_path = folder / "server.log"

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        port_file = self.folder / "port"
        port_file.unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "queue_server.cli",
            "serve",
            "--db",
            str(self.db),
            "--port",
            str(self.port),
            "--port-file",
            str(port_file),
            *self.extra,
        ]
        if self.clock_start:
            command += ["--clock-start", self.clock_start]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=log, stderr=log, env={**os.environ, "PYTHONPATH": str(ROOT)}
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if port_file.exists() and port_file.read_text().strip():
                self.port = int(port_file.read_text())
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log_path.read_text()}")
            time.sleep(0.02)
        raise RuntimeError(f"the server did not start in {timeout} s")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
        """Stop the server by its PID; returns its exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        status = self.process.returncode
        self.process = None
        return status

    def kill(self) -> None:
        """SIGKILL: the server gets no chance to clean up."""
        self.stop(signal.SIGKILL)

    def restart(self) -> None:
        """Start again on the same port and database."""
        self.stop()
        self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ClientProcess:
    """A benchmark's client process: orders in on stdin, JSON lines out on stdout.

    ``command`` runs the process (a bench script with ``--worker`` and its job); it
    reads one order a line and answers with JSON lines, and exits when its input
    closes. The benchmarks keep clients in processes of their own so that the
    server's CPU and theirs can be told apart.
    """

    def __init__(self, command: list[str], stop_timeout: float = 15.0) -> None:
        self.stop_timeout = stop_timeout
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
        )

    def read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"a client process exited with status {self.process.wait()}")
        message: dict[str, Any] = json.loads(line)
        return message

    def order(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def stop(self) -> None:
        """Close its input (it closes its connections and exits); kill it if it hangs."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self.process.stdin.close()
        try:
            self.process.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
