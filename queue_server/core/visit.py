"""A visit, its ordered service steps, and the one table of legal moves.

A visit is one ticket: one number for all the services the visitor picked. It
works through its steps in order; at any moment it is in exactly one status.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .errors import refuse


class Status(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


FINAL = frozenset({Status.DONE, Status.NO_SHOW, Status.CANCELLED, Status.EXPIRED})

#: The legal moves: (status, action) -> the statuses it may lead to. Anything not
#: here is refused with ``illegal_transition``. ``finish`` leads to WAITING when the
#: visit has a next service, to DONE when it had none (or the clerk ended it).
#: A NO_SHOW visit may ``return`` once within the grace (calling it by number
#: returns it first).
TRANSITIONS: dict[tuple[Status, str], tuple[Status, ...]] = {
    (Status.WAITING, "call"): (Status.CALLED,),
    (Status.WAITING, "cancel"): (Status.CANCELLED,),
    (Status.WAITING, "expire"): (Status.EXPIRED,),
    (Status.CALLED, "recall"): (Status.CALLED,),
    (Status.CALLED, "start"): (Status.SERVING,),
    (Status.CALLED, "finish"): (Status.WAITING, Status.DONE),
    (Status.CALLED, "no_show"): (Status.NO_SHOW,),
    (Status.CALLED, "transfer"): (Status.WAITING,),
    (Status.CALLED, "cancel"): (Status.CANCELLED,),
    (Status.CALLED, "expire"): (Status.EXPIRED,),
    (Status.SERVING, "finish"): (Status.WAITING, Status.DONE),
    (Status.SERVING, "transfer"): (Status.WAITING,),
    (Status.SERVING, "expire"): (Status.EXPIRED,),
    (Status.NO_SHOW, "return"): (Status.WAITING,),
}

#: What a visitor may say about a visit besides stars: what was good, what was not.
RATING_TAGS: tuple[str, ...] = (
    "polite",
    "quick",
    "clear",
    "solved",
    "long_wait",
    "impolite",
    "unclear",
    "not_solved",
)

ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(action for _, action in TRANSITIONS))


def check_move(status: Status, action: str, number: str) -> None:
    """Refuse ``action`` unless the table allows it from ``status``."""
    if (status, action) not in TRANSITIONS:
        raise refuse(
            "illegal_transition",
            f"Visit {number} is {status.value}: it cannot {action.replace('_', ' ')}.",
            number=number,
            status=status.value,
            action=action,
        )


@dataclass(slots=True)
class Step:
    """One service of a visit, and what happened to it."""

    service: str
    #: Only this counter may call the step (a transfer to a counter).
    counter_only: str | None = None
    #: When the step joined its queue (the visit keeps its arrival for the order).
    queued_at: int | None = None
    called_at: int | None = None
    started_at: int | None = None
    finished_at: int | None = None
    counter: str | None = None
    clerk: str | None = None
    outcome: str | None = None
    reason: str | None = None
    detail: str | None = None
    referral: str | None = None

    def copy(self) -> Step:
        twin = object.__new__(Step)
        for name in Step.__slots__:
            object.__setattr__(twin, name, getattr(self, name))
        return twin


@dataclass(slots=True)
class Visit:
    number: str
    key: str
    #: Issue order within the day: breaks ties between visits of the same instant.
    seq: int
    arrival: int
    steps: list[Step]
    priority: str | None = None
    lang: str = "lv"
    appointment: str | None = None
    due: int | None = None
    estimate: int | None = None
    past_closing: bool = False
    status: Status = Status.WAITING
    index: int = 0
    counter: str | None = None
    recalls: int = 0
    missed_at: int | None = None
    returned: bool = False
    #: Bumped on every change: an undo checks that nothing happened since.
    version: int = 0
    closed_at: int | None = None
    #: The visitor's rating: 1-5 stars and tags (``RATING_TAGS``), once.
    rating: int | None = None
    rating_tags: tuple[str, ...] = ()

    @property
    def step(self) -> Step:
        return self.steps[self.index]

    @property
    def service(self) -> str:
        return self.steps[self.index].service

    def copy(self) -> Visit:
        twin = object.__new__(Visit)
        for name in Visit.__slots__:
            object.__setattr__(twin, name, getattr(self, name))
        twin.steps = [s.copy() for s in self.steps]
        return twin

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__slots__ if name != "steps"}
        data["status"] = self.status.value
        data["rating_tags"] = list(self.rating_tags)
        data["steps"] = [{name: getattr(s, name) for name in Step.__slots__} for s in self.steps]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Visit:
        values = dict(data)
        values["steps"] = [Step(**s) for s in data["steps"]]
        values["status"] = Status(data["status"])
        values["rating_tags"] = tuple(data.get("rating_tags", ()))
        return cls(**values)
