"""A day at a division, simulated through the real core, and what it shows.

``simulate_day`` plays seeded visitors and clerks against ``DivisionState`` (or any
``Lobby``) and returns a ``DayReport`` counted from the committed events. The
``rinda-server simulate`` command is in ``queue_server.simulate.cli``.
"""

from __future__ import annotations

from .day import DivisionClosedError, SimulationError, simulate_day
from .lobby import Lobby, MemoryLobby, StoreLobby
from .report import DayReport
from .scenario import Peak, Scenario

__all__ = [
    "DayReport",
    "DivisionClosedError",
    "Lobby",
    "MemoryLobby",
    "Peak",
    "Scenario",
    "SimulationError",
    "StoreLobby",
    "simulate_day",
]
