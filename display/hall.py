"""The division as the hall display knows it: the calls, the counters, the queues.

    hall = Hall(history=7)
    news = hall.receive(message)     # every snapshot, event and queue summary, in order
    news.calls                       # calls made by this message, oldest first

Built from the public snapshot and kept up to date by the events after it
(``queue_server/protocol/views.py``). The division's names, counters, hours and
queues are the kiosk's ``Lobby`` (kiosk/lobby.py), which already applies the counter
and hours events; the hall adds what only a display needs: the calls of the day,
newest first, a recall moved to the top and marked as one, a call the clerk undid
taken off again. No Kivy, no clock: what is shown and when is the board's business
(display/board.py), what is said the announcer's (display/announcer.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from display.phrases import Call
from kiosk.lobby import Lobby


@dataclass(frozen=True)
class News:
    """What one message changed that the announcer cares about."""

    #: New calls and recalls, oldest first.
    calls: tuple[Call, ...] = ()
    #: Calls the clerk took back (``action_undone`` of a call).
    withdrawn: tuple[Call, ...] = ()
    #: The message replaced the whole picture (a snapshot): ``calls`` are the
    #: snapshot's calls, which may or may not have been announced before.
    snapshot: bool = False


@dataclass
class Hall:
    #: How many calls to keep: the newest, large, and the previous ones.
    history: int = 7
    lobby: Lobby | None = None
    #: Newest first; one entry per ticket and counter (a recall replaces its call).
    calls: list[Call] = field(default_factory=list)
    #: The sequence number of the last snapshot or event applied.
    seq: int | None = None

    def receive(self, message: dict[str, Any]) -> News:
        """Apply one message from the server; say what it brought."""
        kind = message.get("type")
        if kind == "snapshot":
            return self.load(message)
        if kind == "queues" and self.lobby is not None:
            self.lobby.apply_queues(message.get("queues") or {})
        elif kind == "event" and self.lobby is not None:
            seq = message.get("seq")
            if isinstance(seq, int) and self.seq is not None and seq <= self.seq:
                return News()  # already applied: a resume never repeats a call
            if isinstance(seq, int):
                self.seq = seq
            return self.apply(message.get("event") or {})
        return News()

    def load(self, snapshot: dict[str, Any]) -> News:
        """Replace the picture with a snapshot's (a recall keeps its mark)."""
        self.lobby = Lobby.from_snapshot(snapshot)
        self.seq = snapshot.get("seq")
        self.calls = [
            Call(str(row["number"]), str(row["counter"]), int(row["at"]), bool(row.get("recall")))
            for row in snapshot.get("calls", [])[: self.history]
        ]
        return News(calls=tuple(reversed(self.calls)), snapshot=True)

    def apply(self, event: dict[str, Any]) -> News:
        """Apply one event as the public sees it."""
        assert self.lobby is not None
        kind = event.get("type")
        self.lobby.apply(event)
        if kind in ("visit_called", "visit_recalled"):
            call = Call(
                str(event["number"]),
                str(event["counter"]),
                int(event["at"]),
                recall=kind == "visit_recalled",
            )
            self._put_on_top(call)
            return News(calls=(call,))
        if kind == "action_undone" and event.get("action") == "call":
            taken = [
                c
                for c in self.calls
                if c.number == event.get("number") and c.counter == str(event.get("counter"))
            ]
            self.calls = [c for c in self.calls if c not in taken]
            return News(withdrawn=tuple(taken))
        if kind == "day_opened":
            self.calls = []
            self.lobby.day = str(event.get("day", self.lobby.day))
        return News()

    def _put_on_top(self, call: Call) -> None:
        rest = [c for c in self.calls if (c.number, c.counter) != (call.number, call.counter)]
        self.calls = [call, *rest][: self.history]

    # ------------------------------------------------------------------ reading

    @property
    def newest(self) -> Call | None:
        return self.calls[0] if self.calls else None

    def counter(self, counter_id: str) -> dict[str, Any]:
        """The configured counter (``number``, ``accessibility``, ``note``), or a stand-in
        numbered by its id when the configuration does not know it."""
        if self.lobby is not None:
            for row in self.lobby.division.get("counters", []):
                if str(row.get("id")) == counter_id:
                    return dict(row)
        number = int(counter_id) if counter_id.isdigit() else 0
        return {"id": counter_id, "number": number, "accessibility": [], "note": {}}

    def counter_number(self, counter_id: str) -> int:
        return int(self.counter(counter_id).get("number") or 0)

    @property
    def languages(self) -> tuple[str, ...]:
        return self.lobby.languages if self.lobby is not None else ("lv",)
