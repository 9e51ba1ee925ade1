"""A ``kill -9`` at any moment loses nothing that was acknowledged.

A child process commits commands as fast as it can and prints the seq of every
committed event (an acknowledgement); the parent kills it with SIGKILL at a random
moment, reopens the file, and checks that every acknowledged seq is there and that
the state the file gives is the one a replay of the whole log gives.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from conftest import LV_HOLIDAYS, TIMEOUT, at, small_office

from queue_server.core import DivisionState
from queue_server.store import Store
from queue_server.store.reporting import COLUMNS, step_rows

ROOT = Path(__file__).resolve().parent.parent

#: The writer: takes the project root, the file and the instant it starts at.
CHILD = """
import sys
root, path, now = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path[:0] = [root, root + "/tests"]
from conftest import LV_HOLIDAYS, small_office
from queue_server.core import DomainError
from queue_server.core import commands as c
from queue_server.store import Store

store = Store.open(path, small_office(), LV_HOLIDAYS, snapshot_every=50)
print("ready", flush=True)
mixes = [("passport",), ("collect",), ("residence", "visa"), ("passport", "collect"), ("visa",)]
step = 0
while True:
    step += 1
    now += 11
    state = store.states["main"]
    counter = "123"[step % 3]
    current = state.counters[counter]
    if step % 2 and max(state.issued.values(), default=0) < 900:
        command = c.Issue(f"{now}-{step}", mixes[step % len(mixes)])
    elif current.status == "closed":
        command = c.OpenCounter(counter, "clerk" + counter)
    elif current.current is None:
        command = c.CallNext(counter)
    elif step % 17 == 0:
        command = c.NoShow(counter)
    elif step % 13 == 0:
        command = c.Transfer(counter, service="passport", to_counter="1")
    elif step % 11 == 0:
        command = c.Finish(counter, "refused", "documents", detail=f"note {step}")
    else:
        command = c.Finish(counter)
    try:
        committed = store.execute("main", command, now)
    except DomainError:
        continue
    sys.stdout.write("".join(f"{x.seq}\\n" for x in committed))
    sys.stdout.flush()
"""


@contextlib.contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection to the file (as an analyst's tool has), committed and closed."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def writer(path: Path, start: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-c", CHILD, str(ROOT), str(path), str(start)],
            stdout=out,
            cwd=ROOT,
        )


def acknowledged(log: Path) -> list[int]:
    """The seqs the child printed in full (a line cut by the kill does not count)."""
    text = log.read_text()
    lines = text.split("\n")[:-1]
    return [int(line) for line in lines if line != "ready"]


def wait_until_ready(child: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not log.read_text().startswith("ready\n"):
        assert child.poll() is None, "the writer died before it was ready"
        assert time.monotonic() < deadline, "the writer did not open the store in time"
        time.sleep(0.01)


def check_consistent(path: Path) -> int:
    """The file reopens to the state a full replay gives, with matching reporting rows."""
    office = small_office()
    with Store.open(path, office, LV_HOLIDAYS) as store:
        state = store.states["main"]
        history = store.events_since(0)
        last_seq = store.last_seq
    seqs = [x.seq for x in history]
    assert seqs == sorted(set(seqs))
    assert seqs[-1] == last_seq
    replayed = DivisionState(office, "main", LV_HOLIDAYS)
    for item in history:
        replayed.apply(item.event)
    assert state.snapshot() == replayed.snapshot()
    assert state.day is not None
    expected = {row for v in state.visits.values() for row in step_rows("main", state.day, v)}
    with connect(path) as conn:
        found = set(
            conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM visit_steps WHERE day = ?", (state.day,)
            )
        )
    assert found == expected
    return last_seq


def test_a_killed_writer_loses_no_acknowledged_event(tmp_path: Path) -> None:
    path = tmp_path / "rinda.sqlite"
    chance = random.Random()
    last_seq = 0
    # Each round is a new working day: it starts with a rollover.
    for day in ("2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03"):
        log = tmp_path / f"acks-{day}.txt"
        child = writer(path, at(f"{day} 09:00"), log)
        try:
            wait_until_ready(child, log)
            time.sleep(chance.uniform(0.2, 1.5))
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(TIMEOUT)
        assert child.returncode == -signal.SIGKILL
        acks = acknowledged(log)
        assert acks, "the writer committed nothing before it was killed"
        assert acks[0] > last_seq
        with connect(path) as conn:
            rows = conn.execute("SELECT seq FROM events WHERE seq > ?", (last_seq,))
            present = {seq for (seq,) in rows}
        assert set(acks) <= present, f"lost acknowledged events: {sorted(set(acks) - present)[:10]}"
        last_seq = check_consistent(path)
        assert last_seq >= acks[-1]
