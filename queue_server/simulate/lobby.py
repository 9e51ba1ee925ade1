"""Where the simulation sends its commands: the core in memory, or a durable store.

The simulation only ever reads the division's state and sends commands (and lets
time pass, to close the day); a ``Lobby`` is the one door it uses. ``MemoryLobby``
runs the core in memory, with an optional ``commit`` hook that sees every batch of
events before it is applied (the hook ``DivisionState.execute`` takes);
``StoreLobby`` runs the same commands through a durable ``Store``, so the
simulation never knows which one it talks to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from queue_server.core import DivisionState
from queue_server.core.commands import Command
from queue_server.core.events import Event

if TYPE_CHECKING:
    from queue_server.store import Store

Commit = Callable[[list[Event]], None]


class Lobby(Protocol):
    """A division's state to read, and a way to run commands against it."""

    @property
    def state(self) -> DivisionState: ...

    def execute(self, command: Command, now: int) -> list[Event]:
        """Run ``command`` at ``now``; return every event committed since the last call.

        That includes a tick's events (a new day). Raises ``DomainError`` when the
        command is refused.
        """
        ...

    def tick(self, now: int) -> list[Event]:
        """Commit what time alone causes at ``now`` (the close of a day); return it."""
        ...


class MemoryLobby:
    """The core in memory; ``commit`` (if given) sees each batch before it is applied."""

    def __init__(self, state: DivisionState, commit: Commit | None = None) -> None:
        self._state = state
        self._commit = commit
        self._batches: list[list[Event]] = []

    @property
    def state(self) -> DivisionState:
        return self._state

    def _record(self, events: list[Event]) -> None:
        if self._commit is not None:
            self._commit(events)
        self._batches.append(events)

    def execute(self, command: Command, now: int) -> list[Event]:
        # A refused command may still have committed its tick (a new day): those
        # events stay in ``_batches`` and come out with the next command's.
        self._state.execute(command, now, self._record)
        batches, self._batches = self._batches, []
        if len(batches) == 1:
            return batches[0]
        return [event for batch in batches for event in batch]

    def tick(self, now: int) -> list[Event]:
        return self._state.advance(now, self._commit)


class StoreLobby:
    """One division of a durable ``Store``: each command is committed to its file."""

    def __init__(self, store: Store, division_id: str) -> None:
        self._store = store
        self._division = division_id

    @property
    def state(self) -> DivisionState:
        return self._store.states[self._division]

    def execute(self, command: Command, now: int) -> list[Event]:
        return [c.event for c in self._store.execute(self._division, command, now)]

    def tick(self, now: int) -> list[Event]:
        return [c.event for c in self._store.tick(self._division, now)]
