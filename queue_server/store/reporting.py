"""The ``visit_steps`` reporting table: one row per service step of every visit.

It is derived: each commit upserts the rows of the visits its events touched, from
the state right after those events. Statistics are then plain SQL over one table.
"""

from __future__ import annotations

from queue_server.core.visit import Visit

COLUMNS: tuple[str, ...] = (
    "division",
    "day",
    "number",
    "step",
    "service",
    "priority",
    "appointment",
    "lang",
    "arrival",
    "queued_at",
    "called_at",
    "started_at",
    "finished_at",
    "counter",
    "clerk",
    "outcome",
    "reason",
    "detail",
    "referral",
    "counter_only",
    "status",
    "estimate",
    "past_closing",
    "returned",
    "rating",
    "rating_tags",
)
KEY = ("division", "day", "number", "step")

UPSERT = (
    f"INSERT INTO visit_steps ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
    f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c not in KEY)
)

#: Drops the rows past a visit's last step (an undone transfer takes its step back).
TRIM = "DELETE FROM visit_steps WHERE division = ? AND day = ? AND number = ? AND step >= ?"

StepRow = tuple[object, ...]


def step_rows(division: str, day: str, visit: Visit) -> list[StepRow]:
    """The rows of ``visit``, in the order of ``COLUMNS``."""
    status = visit.status.value
    return [
        (
            division,
            day,
            visit.number,
            index,
            step.service,
            visit.priority,
            visit.appointment,
            visit.lang,
            visit.arrival,
            step.queued_at,
            step.called_at,
            step.started_at,
            step.finished_at,
            step.counter,
            step.clerk,
            step.outcome,
            step.reason,
            step.detail,
            step.referral,
            step.counter_only,
            status,
            visit.estimate,
            int(visit.past_closing),
            int(visit.returned),
            visit.rating,
            ",".join(visit.rating_tags) or None,
        )
        for index, step in enumerate(visit.steps)
    ]
