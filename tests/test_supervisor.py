"""Supervised background work and the one clock: failures are reported with their
traceback and the work goes on; clocks started at an instant and followed clocks."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from queue_server.clock import Clock, FollowedClock, local_day
from queue_server.supervisor import Job, Supervisor
from tests.conftest import at


class Reports:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, BaseException | None]] = []

    def __call__(self, what: str, job: Job, error: BaseException | None) -> None:
        self.seen.append((what, job.name, error))

    def whats(self) -> list[str]:
        return [what for what, _, _ in self.seen]


def test_long_lived_work_that_fails_is_reported_and_started_again() -> None:
    reports = Reports()
    runs: list[int] = []

    async def work() -> None:
        runs.append(len(runs))
        if len(runs) < 3:
            raise RuntimeError(f"run {len(runs)} failed")

    async def main() -> None:
        supervisor = Supervisor(reports, backoff=(0.01, 0.05))
        await supervisor.run("loop", work)
        job = supervisor.jobs["loop"]
        assert job.failures == 2 and job.last_error == "RuntimeError: run 2 failed"

    asyncio.run(main())
    assert len(runs) == 3
    # A failure in a row is reported once with its exception, then the end.
    assert reports.whats() == ["failed", "finished"]
    assert isinstance(reports.seen[0][2], RuntimeError)


def test_a_failing_step_is_swallowed_reported_once_and_its_recovery_too() -> None:
    reports = Reports()
    ticks = iter(range(1000))
    supervisor = Supervisor(reports, remind_every=10, monotonic=lambda: float(next(ticks)))
    for _ in range(3):
        with supervisor.step("queues"):
            raise KeyError("gone")
    assert supervisor.jobs["queues"].streak == 3
    assert supervisor.figures()["queues"]["failing"]
    for _ in range(10):  # ten more failures: ten seconds later, one reminder
        with supervisor.step("queues"):
            raise KeyError("gone")
    with supervisor.step("queues"):
        pass
    assert reports.whats() == ["failed", "still_failing", "recovered"]
    figures = supervisor.figures()["queues"]
    assert figures["failures"] == 13 and not figures["failing"]
    assert figures["last_error"] == "KeyError: 'gone'"


def test_one_off_work_that_fails_is_reported_and_its_follow_up_runs() -> None:
    reports = Reports()
    after: list[str] = []

    async def boom() -> None:
        raise ValueError("no paper")

    async def main() -> None:
        supervisor = Supervisor(reports)
        task = supervisor.spawn("print", boom(), then=lambda: after.append("then"))
        with pytest.raises(ValueError):
            await task
        await asyncio.sleep(0)

    asyncio.run(main())
    assert after == ["then"]
    assert reports.seen[0][0] == "failed" and isinstance(reports.seen[0][2], ValueError)


def test_stop_cancels_the_running_work() -> None:
    async def forever() -> None:
        await asyncio.sleep(3600)

    async def main() -> Any:
        supervisor = Supervisor(Reports())
        task = supervisor.run("forever", forever)
        await asyncio.sleep(0.01)
        await supervisor.stop()
        return task

    assert asyncio.run(main()).cancelled()


def test_a_clock_from_an_instant_runs_at_its_speed_and_the_wall_clock_is_the_machines() -> None:
    start = at("2026-11-30 09:00")
    fast = Clock(start, speed=60)
    time.sleep(0.05)
    assert start + 2_000 < fast() < start + 60_000
    assert abs(Clock()() - time.time() * 1000) < 1000
    with pytest.raises(ValueError):
        Clock(speed=2)
    assert local_day(at("2026-12-01 00:30"), "Europe/Riga").isoformat() == "2026-12-01"


def test_a_followed_clock_reads_the_servers_time_once_told() -> None:
    clock = FollowedClock()
    assert not clock.following and abs(clock() - time.time() * 1000) < 1000
    told = at("2025-01-06 09:00")
    clock.set(told, speed=20)
    time.sleep(0.05)
    assert clock.following and told + 500 < clock() < told + 20_000
