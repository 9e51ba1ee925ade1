"""A fake ESC/POS network printer on 127.0.0.1, for tests of the kiosk's printing.

A real TCP server on a free port, served by threads, like the raw port 9100 of an
Ethernet receipt printer. It records what it would print (each connection is one job;
the real-time status queries are answered, not printed) and answers ``DLE EOT n``
with the status bytes an Epson TM printer sends:

    n=1 printer status   0x12, +0x08 when offline (cover open, paper end)
    n=2 offline cause    0x12, +0x04 cover open, +0x20 stopped by paper end
    n=3 error cause      0x12
    n=4 paper sensor     0x12, +0x0C paper near its end, +0x60 paper out

(bits 1 and 4 are always set; python-escpos reads bit 3 of n=1 for ``is_online`` and
the masks 0x72/0x1E/0x12 of n=4 for ``paper_status``.)

It can be told to refuse connections, go offline, run out of paper (now, or after N
bytes of a job), drop the connection after N bytes of a job, or stop answering status
queries; ``recover()`` clears every fault. Use it as a context manager.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable
from types import TracebackType

DLE, EOT = 0x10, 0x04
_FIXED = 0x12  # bits 1 and 4 of every status byte
_POLL = 0.02  # seconds between checks of the stop flag


class FakePrinter:
    """A fake Ethernet receipt printer; faults persist until ``recover()``."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._jobs: list[bytearray] = []
        self._queries: list[int] = []
        self._connections = 0
        self._listening: tuple[threading.Thread, threading.Event] | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.online = True
        self.paper = "ok"  # "ok", "low" or "out"
        self.drop_after: int | None = None
        self.paper_ends_after: int | None = None
        self.answers = True

    # -- lifecycle ----------------------------------------------------------------

    def start(self) -> FakePrinter:
        self._listen()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._stop_listening()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> FakePrinter:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    # -- faults -------------------------------------------------------------------

    def refuse(self) -> None:
        """Stop listening: connections are refused (the printer is off)."""
        self._stop_listening()

    def go_offline(self) -> None:
        """Report offline, as with the cover open."""
        self.online = False

    def run_out_of_paper(self) -> None:
        self.paper = "out"

    def run_out_of_paper_after(self, count: int) -> None:
        """Run out of paper once a job has reached ``count`` bytes (and keep reading)."""
        self.paper_ends_after = count

    def paper_low(self) -> None:
        self.paper = "low"

    def drop_after_bytes(self, count: int) -> None:
        """Reset each connection once a job has reached ``count`` bytes."""
        self.drop_after = count

    def stop_answering(self) -> None:
        """Ignore status queries, as one-way print servers do."""
        self.answers = False

    def recover(self) -> None:
        """Clear every fault and listen again."""
        self.online, self.paper, self.answers = True, "ok", True
        self.drop_after = self.paper_ends_after = None
        if self._listening is None:
            self._listen()

    # -- what it saw --------------------------------------------------------------

    @property
    def jobs(self) -> list[bytes]:
        """What each connection sent to print, status queries taken out."""
        with self._lock:
            return [bytes(job) for job in self._jobs]

    @property
    def printed(self) -> bytes:
        """Every byte it would have printed, all jobs together."""
        return b"".join(self.jobs)

    @property
    def queries(self) -> list[int]:
        """The ``n`` of every DLE EOT query received, in order."""
        with self._lock:
            return list(self._queries)

    @property
    def connections(self) -> int:
        with self._lock:
            return self._connections

    def wait_for_job(self, size: int, timeout: float) -> bytes:
        """The last job once it has ``size`` bytes; raises TimeoutError after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not self._jobs or len(self._jobs[-1]) < size:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the fake printer got no job of {size} bytes")
                self._changed.wait(left)
            return bytes(self._jobs[-1])

    def status_byte(self, n: int) -> int:
        """The answer to DLE EOT ``n`` in the current state."""
        paper_out = self.paper == "out"
        if n == 1:
            return _FIXED | (0x08 if paper_out or not self.online else 0)
        if n == 2:
            return _FIXED | (0x04 if not self.online else 0) | (0x20 if paper_out else 0)
        if n == 4:
            return _FIXED | (0x0C if self.paper != "ok" else 0) | (0x60 if paper_out else 0)
        return _FIXED

    # -- the server ---------------------------------------------------------------

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen()
        listener.settimeout(_POLL)
        self.port = listener.getsockname()[1]
        done = threading.Event()
        self._listening = (self._spawn(self._accept, listener, done), done)

    def _stop_listening(self) -> None:
        """Returns once the listening socket is closed: from then on connections are
        refused (a socket closed while another thread polls it would linger)."""
        listening, self._listening = self._listening, None
        if listening is not None:
            thread, done = listening
            done.set()
            thread.join(timeout=5)

    def _spawn(self, target: Callable[..., None], *args: object) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()
        return thread

    def _accept(self, listener: socket.socket, done: threading.Event) -> None:
        with listener:
            while not (done.is_set() or self._stop.is_set()):
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(_POLL)
        job = bytearray()
        with self._changed:
            self._jobs.append(job)
            self._connections += 1
        pending = b""
        with conn:
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                rest = self._take(conn, job, pending + chunk)
                if rest is None:
                    _reset(conn)
                    return
                pending = rest

    def _take(self, conn: socket.socket, job: bytearray, data: bytes) -> bytes | None:
        """Print or answer ``data``; returns what is left of a query cut in two, or None
        when the connection must be dropped."""
        i = 0
        while i < len(data):
            if data[i] == DLE and (i + 1 == len(data) or data[i + 1] == EOT):
                if i + 2 >= len(data):
                    return data[i:]
                n = data[i + 2]
                with self._changed:
                    self._queries.append(n)
                if self.answers:
                    conn.sendall(bytes([self.status_byte(n)]))
                i += 3
                continue
            with self._changed:
                if self.drop_after is not None and len(job) >= self.drop_after:
                    return None
                job.append(data[i])
                if self.paper_ends_after is not None and len(job) >= self.paper_ends_after:
                    self.paper = "out"
                self._changed.notify_all()
            i += 1
        return b""


def _reset(conn: socket.socket) -> None:
    """Close with a TCP reset, as a printer switched off mid-job does."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
