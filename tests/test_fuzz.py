"""Hostile input, generated: more than ten thousand messages from every role against a
real server. Random JSON and bytes, near-valid requests built from ``REQUESTS`` with
wrong kinds, missing and unknown fields, huge and deeply nested values, requests for
roles that may not send them, and replayed idempotency keys.

The server never fails; every message gets exactly one answer, and one built to be
wrong gets an ``error`` with a documented code (never ``internal``); a refused
message commits nothing (every event in the log is one that some ``result`` of its
sender announced); a key always gives the same ticket; and afterwards the file
reopens to the state a replay of its whole log gives, with one number per visit and
day and no visit at two counters.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from queue_server.config import load_office
from queue_server.config.calendar import public_holidays
from queue_server.core import DivisionState
from queue_server.core.errors import CODES as DOMAIN_CODES
from queue_server.protocol import REQUESTS
from queue_server.protocol.errors import CODES as PROTOCOL_CODES
from queue_server.store import Store
from tests.conftest import TIMEOUT
from tests.conftest_server import clerk, healthz, hello, kiosk
from tests.serverkit import DIVISION, ServerProcess

EXAMPLES = 90
PER_ROLE = (15, 25)
#: Requests whose valid form would end the fuzzing connection or its credentials:
#: they are always sent broken.
NEVER_VALID = frozenset({"logout", "revoke_device", "disable_user", "reset_password"})
KNOWN_CODES = set(PROTOCOL_CODES) | set(DOMAIN_CODES)
LANGS = ("lv", "en", "ru", "uk")

# ------------------------------------------------------------------- strategies

identifiers = st.one_of(
    st.sampled_from(
        ["passport", "collect", "residence", "visas", "1", "3", "32", "riga-1", "disability"]
    ),
    st.from_regex(r"\A[A-Za-z0-9_.:-]{1,64}\Z"),
)
short_text = st.text(min_size=1, max_size=40)
VALID: dict[str, st.SearchStrategy[Any]] = {
    "id": identifiers,
    "ids": st.lists(identifiers, min_size=1, max_size=10),
    "number": st.one_of(
        st.sampled_from(["P001", "P002", "I001", "A001"]), st.from_regex(r"\A[A-Z][0-9]{3}\Z")
    ),
    "text": short_text,
    "note": st.text(min_size=1, max_size=1000),
    "secret": short_text,
    "lang": st.sampled_from(LANGS),
    "instant": st.integers(0, 2**53),
    "seq": st.integers(0, 2**53),
    "minute": st.integers(0, 24 * 60),
    "day": st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}"),
    "role": st.sampled_from(["kiosk", "display", "clerk", "admin", "visitor"]),
    "stars": st.integers(1, 5),
    "printer": st.sampled_from(["ok", "offline", "paper_out", "unknown"]),
    "tags": st.lists(identifiers, max_size=8),
    "codes": st.lists(identifiers, max_size=10),
    "texts": st.dictionaries(st.sampled_from(LANGS), short_text, min_size=1, max_size=4),
    "prefix": st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    "minutes": st.integers(1, 240),
    "share": st.floats(0.01, 1.0),
    "period": st.sampled_from(["day", "week", "month"]),
    "device": st.sampled_from(["kiosk", "display"]),
}
#: Huge text: longer than any text field takes, still under the 64 KiB message limit.
huge = st.integers(1001, 12_000).map(lambda n: "ж" * n)
not_text = st.one_of(
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    huge,
)
not_integer = st.one_of(
    st.text(max_size=10),
    st.floats(allow_nan=False).filter(lambda f: True),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.integers(2**53 + 1, 2**64),
    st.integers(max_value=-1),
)
not_list = st.one_of(st.text(max_size=10), st.integers(), st.dictionaries(st.text(), st.integers()))
WRONG: dict[str, st.SearchStrategy[Any]] = {
    "id": st.one_of(not_text, st.just(""), st.just("two words"), st.just("x" * 65)),
    "ids": st.one_of(not_list, st.just([]), st.lists(st.integers(), min_size=1, max_size=3)),
    "number": st.one_of(not_text, st.just("P1"), st.just("p001")),
    "text": st.one_of(not_text, st.just("")),
    "note": st.one_of(not_text.filter(lambda v: not isinstance(v, str) or len(v) > 1000)),
    "secret": st.one_of(not_text, st.just("")),
    "lang": st.one_of(not_text, st.just("de")),
    "instant": st.one_of(not_integer),
    "seq": st.one_of(not_integer),
    "minute": st.one_of(not_integer, st.integers(24 * 60 + 1, 10**6)),
    "day": st.one_of(not_text, st.just("30.11.2026")),
    "role": st.one_of(not_text, st.just("root")),
    "stars": st.one_of(not_integer, st.integers(6, 100)),
    "printer": st.one_of(not_text, st.just("on fire")),
    "tags": st.one_of(not_list, st.lists(st.integers(), min_size=1, max_size=2)),
    "codes": st.one_of(not_list, st.lists(identifiers, min_size=11, max_size=12)),
    "texts": st.one_of(not_list, st.just({}), st.just({"de": "x"}), st.just({"lv": 5})),
    "prefix": st.one_of(not_text, st.just("AB"), st.just("a")),
    "minutes": st.one_of(not_integer, st.just(0), st.integers(241, 10**6)),
    "share": st.one_of(st.text(max_size=3), st.booleans(), st.just(0), st.floats(1.01, 1e9)),
    "period": st.one_of(not_text, st.just("year")),
    "device": st.one_of(not_text, st.just("clerk")),
}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
MUTATIONS = ("wrong_kind", "drop_required", "unknown_field", "bad_type", "bad_id")


@st.composite
def near_valid(draw: st.DrawFn, role: str) -> tuple[str, bool]:
    """A request built from the table, valid or broken in one or two ways."""
    spec = draw(st.sampled_from(sorted(REQUESTS.values(), key=lambda r: r.name)))
    fields: dict[str, Any] = {}
    for name, (kind, required) in spec.fields.items():
        if required or draw(st.booleans()):
            fields[name] = draw(VALID[kind])
    message: dict[str, Any] = {"type": spec.name, **fields}
    if draw(st.booleans()):
        message["id"] = draw(st.one_of(st.integers(-(2**53), 2**53), identifiers))
    must_break = spec.name in NEVER_VALID or (role == "anonymous" and spec.name == "hello")
    mutations = draw(st.lists(st.sampled_from(MUTATIONS), min_size=int(must_break), max_size=2))
    broken = False
    for mutation in mutations:
        if mutation == "wrong_kind" and spec.fields:
            name = draw(st.sampled_from(sorted(spec.fields)))
            message[name] = draw(WRONG[spec.fields[name][0]])
            broken = True
        elif mutation == "drop_required" and any(r for _, r in spec.fields.values()):
            name = draw(st.sampled_from(sorted(n for n, (_, r) in spec.fields.items() if r)))
            message.pop(name, None)
            broken = True
        elif mutation == "bad_type":
            message["type"] = draw(st.sampled_from([spec.name.upper(), spec.name + " ", "", 5]))
            broken = True
        elif mutation == "bad_id":
            message["id"] = draw(st.one_of(st.just(1.5), st.just(True), st.just(""), huge))
            broken = True
        else:  # unknown_field, and the fallback of the others
            message[draw(st.sampled_from(["colour", "counter_", "Type", "ID"]))] = draw(json_values)
            broken = True
    if must_break and not broken:
        message["colour"] = "red"
        broken = True
    forbidden = role not in spec.roles and spec.name != "hello"
    return json.dumps(message, ensure_ascii=False), broken or forbidden or role == "anonymous"


def deeply_nested(depth: int) -> str:
    return '{"type": "sync", "since": 0, "x": ' + "[" * depth + "]" * depth + "}"


def messages(role: str) -> st.SearchStrategy[tuple[str | bytes, bool]]:
    """(message, must be refused) for a connection of ``role``."""
    anything: st.SearchStrategy[tuple[str | bytes, bool]] = st.one_of(
        json_values.filter(lambda v: not isinstance(v, dict) or "type" not in v).map(
            lambda v: (json.dumps(v), True)
        ),
        st.text(max_size=60).map(lambda t: (t, True)),
        st.binary(max_size=60).map(lambda b: (b, True)),
        st.integers(10, 20_000).map(lambda n: (deeply_nested(n), True)),
    )
    choices = [near_valid(role), near_valid(role), near_valid(role), anything]
    if role == "kiosk":
        replay = st.tuples(st.integers(1, 5), st.sampled_from(["passport", "collect"])).map(
            lambda ks: (
                json.dumps({"type": "issue", "key": f"replay-{ks[0]}", "services": [ks[1]]}),
                False,
            )
        )
        choices.append(replay)
    return st.one_of(*choices)


# ----------------------------------------------------------------- the fuzzers


class Fuzzer:
    """One connection of one role, sending one message at a time."""

    def __init__(self, server: ServerProcess, role: str, hello_message: dict[str, Any] | None):
        self.server = server
        self.role = role
        self.hello = hello_message
        self.ws: ClientConnection | None = None
        self.actor: str | None = None
        self.sent = 0
        self.refused = 0
        self.committed: set[int] = set()
        self.tickets: dict[str, set[str]] = {}
        self.codes: set[str] = set()
        self.problems: list[str] = []
        #: A visitor's visit was finished or cancelled by another fuzzer: the server
        #: then ends the status page's connection (1000), by design; it sends no more.
        self.over = False

    async def connect(self) -> None:
        self.ws = await connect(self.server.url, open_timeout=TIMEOUT, max_size=2**26)
        if self.hello is not None:
            welcome = await self.answer(json.dumps(self.hello))
            assert welcome["type"] == "welcome", welcome
            self.actor = welcome["actor"]

    async def answer(self, text: str | bytes) -> dict[str, Any]:
        assert self.ws is not None
        await self.ws.send(text)
        while True:
            reply: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))
            if reply["type"] in ("welcome", "result", "error"):
                return reply

    async def send(self, batch: list[tuple[str | bytes, bool]]) -> None:
        for text, must_fail in batch:
            if self.over:
                return
            try:
                reply = await self.answer(text)
            except ConnectionClosed:
                assert self.ws is not None
                if self.role == "visitor" and self.ws.close_code == 1000:
                    self.over = True
                    return
                if self.role != "anonymous":  # only the hello timeout may close a connection
                    self.problems.append(f"closed after {text[:200]!r}")
                await self.connect()
                reply = await self.answer(text)
            self.sent += 1
            if reply["type"] == "error":
                self.refused += 1
                self.codes.add(reply["code"])
                if reply["code"] not in KNOWN_CODES or reply["code"] == "internal":
                    self.problems.append(f"{reply['code']} for {text[:200]!r}")
            elif must_fail:
                self.problems.append(f"accepted {text[:200]!r}: {str(reply)[:200]}")
            else:
                self.committed.update(reply.get("seq", []))
                if "ticket" in reply:
                    key = json.loads(text)["key"]
                    self.tickets.setdefault(key, set()).add(reply["ticket"]["number"])


class Loop:
    """An event loop in a thread of its own: connections outlive each generated example."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, work: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(6 * TIMEOUT)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(TIMEOUT)
        self.loop.close()


async def status_link(server: ServerProcess) -> str:
    """A visitor's link: open counters 1 and 6, take a ticket, keep its status token.

    A consultation (K001): the fuzzers' favourite numbers (P001, I001, ...) would
    often cancel it, and a finished or cancelled visit ends its status page."""
    async with (
        clerk(server, "clerk1", "1") as anna,
        clerk(server, "clerk1", "6") as anna_at_six,
        kiosk(server) as desk,
    ):
        await anna.request("open")
        await anna_at_six.request("open")
        ticket = (await desk.request("issue", key="visitor", services=["consultation"]))["ticket"]
    return str(ticket["status_url"]).rsplit("/", 1)[1]


def fuzzers(server: ServerProcess, link: str) -> list[Fuzzer]:
    return [
        Fuzzer(server, "kiosk", hello(server, "kiosk")),
        Fuzzer(server, "display", hello(server, "display")),
        Fuzzer(
            server,
            "clerk",
            {
                "type": "hello",
                "division": DIVISION,
                "user": "clerk2",
                "password": server.passwords["clerk2"],
                "counter": "3",
            },
        ),
        Fuzzer(
            server,
            "admin",
            {
                "type": "hello",
                "division": DIVISION,
                "user": "admin1",
                "password": server.passwords["admin1"],
            },
        ),
        Fuzzer(server, "visitor", {"type": "hello", "division": DIVISION, "status": link}),
        Fuzzer(server, "anonymous", None),
    ]


# ------------------------------------------------------------------------ the test


def log_of(db: Path) -> list[tuple[int, str, str, str | None, dict[str, Any]]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT seq, division, day, type, actor, data FROM events").fetchall()
    finally:
        conn.close()
    return [
        (seq, div, day + "/" + kind, actor, json.loads(data))
        for seq, div, day, kind, actor, data in rows
    ]


@pytest.mark.slow
# The connections' event loop runs beside Hypothesis in a thread of its own.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_ten_thousand_hostile_messages_change_nothing_they_should_not(tmp_path: Path) -> None:
    server = ServerProcess(
        tmp_path,
        extra=["--rate", "100000", "--burst", "100000", "--public-url", "https://rinda.example"],
    )
    server.start()
    loop = Loop()
    try:
        link = loop.run(status_link(server))
        team = fuzzers(server, link)
        for fuzzer in team:
            loop.run(fuzzer.connect())
        before = healthz(server)[1]["seq"]
        strategies = {
            f.role: st.lists(messages(f.role), min_size=PER_ROLE[0], max_size=PER_ROLE[1])
            for f in team
        }

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(st.fixed_dictionaries(strategies))
        def hostile(batches: dict[str, list[tuple[str | bytes, bool]]]) -> None:
            async def all_at_once() -> None:
                await asyncio.gather(*(f.send(batches[f.role]) for f in team))

            loop.run(all_at_once())
            problems = [p for f in team for p in f.problems]
            assert not problems, problems[:5]
            assert server.process is not None and server.process.poll() is None

        hostile()
        sent = sum(f.sent for f in team)
        refused = sum(f.refused for f in team)
        for fuzzer in team:
            if fuzzer.ws is not None:
                loop.run(fuzzer.ws.close())
    finally:
        loop.close()
        server.stop()

    assert sent >= 10_000, sent
    assert refused > sent // 2
    # A key is one ticket, however often it is sent.
    [desk] = [f for f in team if f.role == "kiosk"]
    assert all(len(numbers) == 1 for numbers in desk.tickets.values()), desk.tickets
    # Every event in the log was announced to its sender in a result: nothing was
    # committed by a message that was refused.
    log = log_of(server.db)
    for fuzzer in team:
        if fuzzer.actor is None:
            continue
        theirs = {seq for seq, _, _, actor, _ in log if actor == fuzzer.actor and seq > before}
        assert theirs == fuzzer.committed, (fuzzer.role, sorted(theirs ^ fuzzer.committed)[:10])
    issued = [
        (div, day, data["number"]) for _, div, day, _, data in log if day.endswith("/visit_issued")
    ]
    assert len(set(issued)) == len(issued), "no number twice on a day"

    # The file reopens to what a replay of the whole log gives, and the core's rules hold.
    office = load_office()
    holidays = public_holidays()
    with Store.open(server.db, office, holidays) as store:
        state = store.states[DIVISION]
        history = store.events_since(0, DIVISION)
    replayed = DivisionState(office, DIVISION, holidays)
    for item in history:
        replayed.apply(item.event)
    assert state.snapshot() == replayed.snapshot()
    current = [c.current for c in state.counters.values() if c.current is not None]
    assert len(set(current)) == len(current), "no visit at two counters"
    numbers = {v.number: v for v in state.visits.values()}
    for key, (number,) in desk.tickets.items():
        assert numbers[number].key == key, "every ticket told is there, under its key"
    assert re.fullmatch(r"[A-Z][0-9]{3}", min(numbers, default="A000"))
