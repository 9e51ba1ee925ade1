"""The announcement queue without a window: calls said in order, never two at once, a
recall said again as a recall, nothing said twice after a reconnect, a call missed
while away said only when still fresh, and no sound device is no reason to stop.

The player here records when each file starts and ends and yields to the event loop
in between, so a second announcement that could overlap would do so in the record.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from display.announcer import Announcer, NoAudioOutput, prune_cache
from display.hall import Hall, News
from display.phrases import Call, Phrase
from kiosk.speech import SpeechError
from tests.conftest import TIMEOUT

NOW = 1_796_032_790_000
CHIME = Path("chime.wav")


def compose(call: Call) -> tuple[Phrase, ...]:
    kind = "recall" if call.recall else "call"
    return tuple(
        Phrase(lang, f"{kind} {call.number} {call.counter}", f"{lang} {kind} {call.number}")
        for lang in ("lv", "en")
    )


class FakeSpeech:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def wav(self, text: str, lang: str) -> Path:
        if self.fail:
            raise SpeechError("espeak-ng could not speak")
        return Path(f"{text}.wav")


class RecordingPlayer:
    """Records ("start", file) and ("end", file); each file takes a few loop turns."""

    def __init__(self, fail: bool = False) -> None:
        self.record: list[tuple[str, str]] = []
        self.fail = fail
        self.volumes: set[float] = set()

    async def play(self, path: Path, volume: float) -> None:
        if self.fail:
            raise NoAudioOutput("no audio device")
        self.volumes.add(volume)
        self.record.append(("start", path.name))
        for _ in range(5):
            await asyncio.sleep(0)
        self.record.append(("end", path.name))

    def files(self) -> list[str]:
        return [name for what, name in self.record if what == "start"]


def run(scenario: Callable[[Announcer], Awaitable[None]], announcer: Announcer) -> None:
    async def main() -> None:
        worker = asyncio.create_task(announcer.run())
        try:
            await scenario(announcer)
            await drained(announcer)
        finally:
            worker.cancel()

    asyncio.run(main())


async def drained(announcer: Announcer) -> None:
    async with asyncio.timeout(TIMEOUT):
        while announcer.pending:
            await asyncio.sleep(0.001)


def make(player: Any = None, speech: Any = None, **options: Any) -> Announcer:
    return Announcer(
        compose, speech or FakeSpeech(), player or RecordingPlayer(), chime=CHIME, **options
    )


def started() -> News:
    """The first snapshot after the start, with no calls yet."""
    return News(snapshot=True)


def test_calls_are_said_in_order_chime_first_latvian_then_the_others() -> None:
    player = RecordingPlayer()
    announcer = make(player, volume=0.6)

    async def scenario(a: Announcer) -> None:
        a.hear(started(), NOW)
        for i, counter in enumerate(("1", "2", "3")):
            a.hear(News(calls=(Call(f"P00{i + 1}", counter, NOW + i),)), NOW + i)

    run(scenario, announcer)
    assert player.files() == [
        name
        for number, counter in (("P001", "1"), ("P002", "2"), ("P003", "3"))
        for name in ("chime.wav", f"lv call {number}.wav", f"en call {number}.wav")
    ]
    assert player.volumes == {0.6}


def test_announcements_never_overlap_however_fast_they_come() -> None:
    player = RecordingPlayer()
    announcer = make(player)

    async def scenario(a: Announcer) -> None:
        a.hear(started(), NOW)
        for i in range(12):
            a.hear(News(calls=(Call(f"I{i:03d}", str(i % 5 + 1), NOW),)), NOW)
            await asyncio.sleep(0)  # a call lands while another is being said

    run(scenario, announcer)
    kinds = [what for what, _ in player.record]
    assert kinds == ["start", "end"] * (12 * 3), "each file ends before the next starts"
    assert len(announcer.said) == 12


def test_a_recall_is_said_again_as_a_recall() -> None:
    player = RecordingPlayer()
    announcer = make(player)

    async def scenario(a: Announcer) -> None:
        a.hear(started(), NOW)
        a.hear(News(calls=(Call("P001", "1", NOW),)), NOW)
        await drained(a)
        a.hear(News(calls=(Call("P001", "1", NOW + 30_000, recall=True),)), NOW + 30_000)

    run(scenario, announcer)
    assert [x.call.recall for x in announcer.said] == [False, True]
    assert "lv recall P001.wav" in player.files()


def test_a_recall_of_a_call_still_waiting_its_turn_is_said_once() -> None:
    announcer = make()

    async def scenario(a: Announcer) -> None:
        a.hear(started(), NOW)
        a.hear(News(calls=(Call("P001", "1", NOW), Call("P002", "2", NOW))), NOW)
        a.hear(News(calls=(Call("P002", "2", NOW + 1, recall=True),)), NOW + 1)

    run(scenario, announcer)
    assert [x.call.number for x in announcer.said] == ["P001", "P002"]


def test_a_call_taken_back_before_its_turn_is_not_said() -> None:
    announcer = make()

    async def scenario(a: Announcer) -> None:
        a.hear(started(), NOW)
        wrong = Call("P002", "2", NOW)
        a.hear(News(calls=(Call("P001", "1", NOW), wrong)), NOW)
        a.hear(News(withdrawn=(wrong,)), NOW)

    run(scenario, announcer)
    assert [x.call.number for x in announcer.said] == ["P001"]


def snapshot(seq: int, calls: list[tuple[str, str, int]]) -> dict[str, Any]:
    """A public snapshot as the server sends it, cut to what the hall reads."""
    return {
        "type": "snapshot",
        "seq": seq,
        "day": "2026-11-30",
        "division": {"id": "riga-1", "languages": ["lv", "en"], "counters": []},
        "counters": [],
        "calls": [{"number": n, "counter": k, "at": at} for n, k, at in calls],
        "queues": {},
    }


def called(seq: int, number: str, counter: str, at: int, kind: str = "visit_called") -> dict:
    return {
        "type": "event",
        "seq": seq,
        "event": {"type": kind, "at": at, "number": number, "counter": counter},
    }


def test_after_a_reconnect_nothing_is_said_twice_and_a_stale_missed_call_is_only_shown() -> None:
    hall = Hall()
    announcer = make(fresh_ms=60_000)
    later = NOW + 5 * 60_000

    async def scenario(a: Announcer) -> None:
        # Start: the snapshot's calls were made before the display came; shown, not said.
        a.hear(hall.receive(snapshot(10, [("P001", "1", NOW - 1000)])), NOW)
        a.hear(hall.receive(called(11, "P002", "2", NOW)), NOW)
        await drained(a)
        # The connection drops; the server resends what was missed after seq 11, and
        # a client that is not sure sends 11 again: it is not said again.
        a.hear(hall.receive(called(11, "P002", "2", NOW)), later)
        # Missed while away: one call long ago (stale), one just now (fresh).
        a.hear(hall.receive(called(12, "P003", "1", NOW + 1000)), later)
        a.hear(hall.receive(called(13, "P004", "3", later - 2000)), later)
        await drained(a)
        # The server restored from a backup sends a fresh snapshot holding calls
        # already said: none is said again.
        a.hear(
            hall.receive(
                snapshot(
                    5,
                    [("P004", "3", later - 2000), ("P003", "1", NOW + 1000), ("P002", "2", NOW)],
                )
            ),
            later,
        )

    run(scenario, announcer)
    assert [x.call.number for x in announcer.said] == ["P002", "P004"]
    assert [c.number for c in hall.calls] == ["P004", "P003", "P002"], "all of them shown"


def test_without_a_sound_device_calls_are_shown_and_the_log_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hall = Hall()
    announcer = make(RecordingPlayer(fail=True))

    async def scenario(a: Announcer) -> None:
        a.hear(hall.receive(snapshot(1, [])), NOW)
        for seq, number in enumerate(("P001", "P002", "P003"), start=2):
            a.hear(hall.receive(called(seq, number, "1", NOW)), NOW)

    with caplog.at_level(logging.WARNING, logger="rinda.display"):
        run(scenario, announcer)
    assert [c.number for c in hall.calls] == ["P003", "P002", "P001"]
    assert len(announcer.said) == 3, "every call went through the queue"
    warnings = [r for r in caplog.records if r.name == "rinda.display"]
    assert len(warnings) == 1 and "no sound output" in warnings[0].getMessage()
    assert announcer.audio_fault is not None


def test_without_espeak_ng_the_log_says_so_once(caplog: pytest.LogCaptureFixture) -> None:
    player = RecordingPlayer()
    announcer = make(player, speech=FakeSpeech(fail=True))

    async def scenario(a: Announcer) -> None:
        a.hear(started(), NOW)
        a.hear(News(calls=(Call("P001", "1", NOW), Call("P002", "1", NOW))), NOW)

    with caplog.at_level(logging.WARNING, logger="rinda.display"):
        run(scenario, announcer)
    assert player.record == []
    messages = [r.getMessage() for r in caplog.records if r.name == "rinda.display"]
    assert len(messages) == 1 and "cannot make the speech" in messages[0]


def test_the_speech_cache_keeps_only_the_newest_files(tmp_path: Path) -> None:
    for i in range(10):
        path = tmp_path / f"{i}.wav"
        path.write_bytes(b"RIFF")
        os.utime(path, (1_000_000 + i, 1_000_000 + i))
    assert prune_cache(tmp_path, keep=4) == 6
    assert sorted(p.name for p in tmp_path.glob("*.wav")) == ["6.wav", "7.wav", "8.wav", "9.wav"]
    assert prune_cache(tmp_path / "missing", keep=4) == 0
