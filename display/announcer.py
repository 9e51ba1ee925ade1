"""The announcement queue: each call said once, in order, one at a time.

    announcer = Announcer(compose, speech, player, chime=CHIME, volume=0.8)
    worker = asyncio.create_task(announcer.run())
    announcer.hear(hall.receive(message), now)      # after every message

An announcement is the chime, then the call in Latvian, then in each other language
of the division (``compose`` makes the phrases, display/phrases.py). One worker plays
them one after the other, so two announcements never overlap however fast clerks
call. What was heard is remembered by the call itself (ticket, counter, instant,
recall or not), not by the message that brought it, so:

- a recall is a new announcement, said as a recall;
- after a reconnect the server resends only what was missed, and anything it sends
  twice (a fresh snapshot that holds calls already said) is not said again;
- a call missed while the display was away is shown, but said only when it is
  still fresh (``fresh_ms``): a visitor called ten minutes ago is not called again;
- the first snapshot after the start is shown, never said: the display cannot know
  whether it was said before it restarted;
- a call the clerk took back before its turn is dropped.

Speech files come from ``speech`` (espeak-ng, cached: kiosk/speech.py) and are played
by ``player``; neither is Kivy here, so tests drive the queue without a window. When
the audio cannot be made or played, the calls are still shown, the problem is logged
once, and the next announcement tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from display.hall import News
from display.phrases import Call, Phrase
from kiosk.speech import SpeechError

log = logging.getLogger("rinda.display")

#: How many heard calls to remember (a busy day has about 1,500 calls and recalls).
REMEMBERED = 4096


class AudioError(Exception):
    """Root of what stops a call from being heard: no speech, no sound output."""


class NoAudioOutput(AudioError):
    """There is no audio device (or it cannot play the file)."""


class Speech(Protocol):
    """Text to a sound file, made once (``kiosk.speech.Speaker``)."""

    def wav(self, text: str, lang: str) -> Path: ...


class Player(Protocol):
    """Plays one file at ``volume`` (0-1) and returns when it has finished."""

    async def play(self, path: Path, volume: float) -> None: ...


@dataclass(frozen=True)
class Announcement:
    call: Call
    phrases: tuple[Phrase, ...]


class Announcer:
    def __init__(
        self,
        compose: Callable[[Call], Sequence[Phrase]],
        speech: Speech,
        player: Player,
        *,
        chime: Path | None = None,
        volume: float = 0.8,
        fresh_ms: int = 60_000,
        on_say: Callable[[Announcement, Phrase | None], None] | None = None,
    ) -> None:
        self.compose = compose
        self.speech = speech
        self.player = player
        self.chime = chime
        self.volume = volume
        self.fresh_ms = fresh_ms
        self.on_say = on_say
        #: Every announcement said, in order (tests and the bench read it).
        self.said: list[Announcement] = []
        self._queue: asyncio.Queue[Announcement] = asyncio.Queue()
        self._pending: list[Announcement] = []
        self._heard: set[tuple[str, str, int, bool]] = set()
        self._order: deque[tuple[str, str, int, bool]] = deque()
        self._current: Announcement | None = None
        self._started = False
        self._audio_fault: str | None = None

    # ------------------------------------------------------------------ deciding

    def hear(self, news: News, now: int) -> list[Announcement]:
        """Take what a message brought; queue what is to be said, and return it."""
        for call in news.withdrawn:
            self._withdraw(call)
        first = news.snapshot and not self._started
        if news.snapshot:
            self._started = True
        queued = []
        for call in news.calls:
            if first:
                self._remember(call.key)
            elif (found := self.offer(call, now)) is not None:
                queued.append(found)
        return queued

    def offer(self, call: Call, now: int) -> Announcement | None:
        """Queue ``call`` unless it was heard already or is no longer fresh."""
        self._started = True
        if call.key in self._heard:
            return None
        self._remember(call.key)
        if now - call.at > self.fresh_ms:
            return None
        if any(_same_visit(p.call, call) and p is not self._current for p in self._pending):
            return None  # its call (or recall) is still waiting to be said: once is enough
        announcement = Announcement(call, tuple(self.compose(call)))
        self._pending.append(announcement)
        self._queue.put_nowait(announcement)
        return announcement

    @property
    def pending(self) -> tuple[Announcement, ...]:
        """Queued and not yet finished, the one being said first."""
        return tuple(self._pending)

    def _withdraw(self, call: Call) -> None:
        self._pending = [
            p for p in self._pending if not _same_visit(p.call, call) or p is self._current
        ]

    def _remember(self, key: tuple[str, str, int, bool]) -> None:
        if key in self._heard:
            return
        self._heard.add(key)
        self._order.append(key)
        while len(self._order) > REMEMBERED:
            self._heard.discard(self._order.popleft())

    # ------------------------------------------------------------------ saying

    async def run(self) -> None:
        """Say the queued announcements one by one, for ever."""
        while True:
            announcement = await self._queue.get()
            if announcement not in self._pending:
                continue  # withdrawn while it waited
            self._current = announcement
            try:
                await self._say(announcement)
            finally:
                self._current = None
                with contextlib.suppress(ValueError):
                    self._pending.remove(announcement)
                self._tell(announcement, None)

    async def _say(self, announcement: Announcement) -> None:
        self.said.append(announcement)
        try:
            files = [
                (phrase, await asyncio.to_thread(self.speech.wav, phrase.spoken, phrase.lang))
                for phrase in announcement.phrases
            ]
        except (OSError, AudioError, SpeechError) as error:
            self._fault(f"cannot make the speech ({error}): calls are shown, not heard")
            return
        try:
            if self.chime is not None:
                self._tell(announcement, announcement.phrases[0])
                await self.player.play(self.chime, self.volume)
            for phrase, path in files:
                self._tell(announcement, phrase)
                await self.player.play(path, self.volume)
        except (OSError, AudioError) as error:
            self._fault(f"no sound output ({error}): calls are shown, not heard")
            return
        if self._audio_fault is not None:
            log.info("Rinda display: sound works again")
            self._audio_fault = None

    def _tell(self, announcement: Announcement, phrase: Phrase | None) -> None:
        if self.on_say is not None:
            self.on_say(announcement, phrase)

    def _fault(self, what: str) -> None:
        """Log a sound problem once, not once per call (the display runs for years)."""
        if self._audio_fault is None:
            log.warning("Rinda display: %s", what)
        self._audio_fault = what

    @property
    def audio_fault(self) -> str | None:
        """Why the last announcement was not heard, or None."""
        return self._audio_fault


def _same_visit(a: Call, b: Call) -> bool:
    """The same ticket at the same counter: a call and its recalls."""
    return (a.number, a.counter) == (b.number, b.counter)


def prune_cache(folder: Path, keep: int) -> int:
    """Delete all but the ``keep`` newest speech files; return how many went.

    Every call is a new sentence (ticket and counter), so the cache would grow by
    thousands of files a day for years; the newest ones are the ones a recall reuses.
    """
    try:
        files = sorted(folder.glob("*.wav"), key=lambda f: f.stat().st_mtime, reverse=True)
    except OSError:
        return 0
    gone = 0
    for old in files[keep:]:
        with contextlib.suppress(OSError):
            old.unlink()
            gone += 1
    return gone
