"""Background work that cannot die silently.

Every long-lived task of a Rinda program (the server's timers, a kiosk's or a
display's connection and announcer) runs under a ``Supervisor``:

- ``run(name, work)``: ``work()`` is awaited again after it fails, with a delay that
  doubles up to a cap (so a failure that repeats does not spin the CPU) and starts
  over once the work has run for a while;
- ``spawn(name, awaitable)``: one-off work (a request after a tap); a failure is
  reported, and the task is kept referenced until it is done;
- ``step(name)``: a context manager around one step of a periodic loop; a failure
  of the step is reported and the loop goes on with its other steps;
- ``beat(name)``: the loop's heartbeat, whose age ``/healthz`` reports.

Each failure goes to the program's ``report`` callback with its exception (the
callback logs the traceback in the program's own log format: the server's JSON
lines, or ``logging_report`` for a program that logs through ``logging``, such as
the kiosk and the display with Kivy's ``Logger``). A failure that
repeats is reported with its traceback the first time, then once a minute with a
count, and its end is reported too. ``Job`` keeps the figures a health check shows.
The supervisor reads the monotonic clock only: it measures ages and delays, it
decides nothing about the lobby's time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, Protocol


class Report(Protocol):
    """Where a supervisor tells what happened: ``what`` is ``failed`` (with the
    exception and its traceback), ``still_failing``, ``recovered`` or ``finished``."""

    def __call__(self, what: str, job: Job, error: BaseException | None) -> None: ...


@dataclass
class Job:
    """What a health check shows of one piece of supervised work."""

    name: str
    #: Failures since the start of the program, and in a row (0: the last run succeeded).
    failures: int = 0
    streak: int = 0
    #: The last failure, as ``TypeName: message`` (no traceback: that is in the log).
    last_error: str | None = None
    last_failure_at: float | None = None
    #: The monotonic time of the last heartbeat (``beat``) or successful step.
    beat_at: float | None = None
    _reported_at: float = 0.0

    def age(self, now: float) -> float | None:
        """Seconds since the last heartbeat, or None before the first."""
        return None if self.beat_at is None else max(0.0, now - self.beat_at)

    def figures(self, now: float) -> dict[str, Any]:
        age = self.age(now)
        return {
            "beat_age_s": None if age is None else round(age, 3),
            "failures": self.failures,
            "failing": self.streak > 0,
            "last_error": self.last_error,
        }


class Supervisor:
    """Runs and watches a program's background work (see the module's text)."""

    def __init__(
        self,
        report: Report,
        *,
        backoff: tuple[float, float] = (0.5, 30.0),
        remind_every: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._report = report
        self.backoff = backoff
        self.remind_every = remind_every
        self.monotonic = monotonic
        self.jobs: dict[str, Job] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def job(self, name: str) -> Job:
        found = self.jobs.get(name)
        if found is None:
            found = self.jobs[name] = Job(name)
        return found

    # ------------------------------------------------------------------ running

    def run(self, name: str, work: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Run ``work()`` in a task, again after each failure, until it returns."""
        self.job(name)
        return self._keep(self._restarting(name, work))

    def spawn(
        self,
        name: str,
        work: Awaitable[Any],
        then: Callable[[], None] | None = None,
    ) -> asyncio.Task[Any]:
        """Run one-off ``work`` in a task; a failure is reported; ``then()`` runs after."""
        task: asyncio.Task[Any] = asyncio.ensure_future(work)
        self._tasks.add(task)

        def finished(done: asyncio.Task[Any]) -> None:
            self._tasks.discard(done)
            if not done.cancelled():
                error = done.exception()
                if error is None:
                    self.succeeded(name)
                else:
                    self.failed(name, error)
            if then is not None:
                then()

        task.add_done_callback(finished)
        return task

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        """One step of a loop: a failure is reported and swallowed, success noted."""
        try:
            yield
        except Exception as error:  # the loop must go on; the report has the traceback
            self.failed(name, error)
        else:
            self.succeeded(name)

    def beat(self, name: str) -> None:
        """The heartbeat of a loop: one more round done."""
        self.job(name).beat_at = self.monotonic()

    # ------------------------------------------------------------------ outcomes

    def failed(self, name: str, error: BaseException) -> None:
        job = self.job(name)
        now = self.monotonic()
        job.failures += 1
        job.streak += 1
        job.last_error = f"{type(error).__name__}: {error}"
        job.last_failure_at = now
        if job.streak == 1:
            job._reported_at = now
            self._report("failed", job, error)
        elif now - job._reported_at >= self.remind_every:
            job._reported_at = now
            self._report("still_failing", job, error)

    def succeeded(self, name: str) -> None:
        job = self.job(name)
        job.beat_at = self.monotonic()
        if job.streak:
            self._report("recovered", job, None)
            job.streak = 0

    def figures(self) -> dict[str, dict[str, Any]]:
        now = self.monotonic()
        return {name: job.figures(now) for name, job in list(self.jobs.items())}

    async def stop(self) -> None:
        """Cancel every task and wait for them to end."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # ------------------------------------------------------------------ inside

    def _keep(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _restarting(self, name: str, work: Callable[[], Awaitable[None]]) -> None:
        first, cap = self.backoff
        delay = first
        while True:
            began = self.monotonic()
            try:
                await work()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # reported with its traceback, then restarted
                if self.monotonic() - began > cap:
                    # It ran well for a while: a new failure, told in full, and quick
                    # restarts again.
                    self.succeeded(name)
                    delay = first
                self.failed(name, error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, cap)
                continue
            self._report("finished", self.job(name), None)
            return


def logging_report(logger: logging.Logger, program: str) -> Report:
    """A ``Report`` that writes to ``logger``, each line naming ``program`` and the job."""

    def report(what: str, job: Job, error: BaseException | None) -> None:
        if what == "failed":
            failure = "".join(traceback.format_exception(error)) if error else ""
            logger.error(f"Rinda: {program}: {job.name} failed\n{failure.rstrip()}")
        elif what == "still_failing":
            logger.error(
                f"Rinda: {program}: {job.name} is still failing"
                f" ({job.streak} times in a row; the last: {job.last_error})"
            )
        elif what == "recovered":
            logger.info(f"Rinda: {program}: {job.name} works again")
        else:
            logger.info(f"Rinda: {program}: {job.name} {what}")

    return report
