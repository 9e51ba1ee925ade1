"""The division as the kiosk knows it: built from the server's snapshot, kept up to
date by the events and queue summaries that follow.

The kiosk sees what a lobby screen may see (``queue_server/protocol/views.py``): the
division's names, languages, services with their texts, priority categories,
counters and whether each is open, today's reception hours and the next opening,
the contacts, and per service the visits waiting and the estimated wait.

What the server decides (is the division open, will this ticket be issued) it still
decides: the lobby only lets the screens show the situation before the visitor taps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

#: What each counter event makes of the counter.
_COUNTER_STATUS = {
    "counter_opened": "open",
    "counter_resumed": "open",
    "counter_paused": "paused",
    "counter_closed": "closed",
}


@dataclass
class Lobby:
    #: ``division_info`` of the snapshot: names, languages, services, hours, contacts.
    division: dict[str, Any]
    #: Today's date in the division (``YYYY-MM-DD``) as the server has it.
    day: str
    #: Counter id -> ``open``, ``paused`` or ``closed``.
    counters: dict[str, str]
    #: Service id -> ``waiting``, ``estimate_ms`` (None: no open counter), ``past_closing``.
    queues: dict[str, dict[str, Any]]
    #: The hours in the snapshot no longer hold (a new day, an exception removed):
    #: ask the server for a fresh snapshot.
    stale: bool = False
    _zone: ZoneInfo = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._zone = ZoneInfo(self.division.get("timezone") or "Europe/Riga")

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any]) -> Lobby:
        return cls(
            division=snapshot["division"],
            day=snapshot["day"],
            counters={row["id"]: row["status"] for row in snapshot.get("counters", [])},
            queues=dict(snapshot.get("queues", {})),
        )

    # ------------------------------------------------------------------ updates

    def apply(self, event: dict[str, Any]) -> None:
        """Apply one event as the kiosk audience sees it (others are ignored)."""
        kind = event.get("type")
        status = _COUNTER_STATUS.get(str(kind))
        if status is not None:
            self.counters[str(event.get("counter"))] = status
        elif kind == "hours_exception_set" and event.get("day") == self.day:
            opens, closes = event.get("open_min"), event.get("close_min")
            hours = self.division["hours"]
            hours["today"] = None if opens is None else [opens, closes]
            hours["kind"] = "exception"
            self.stale = True
        elif kind in ("hours_exception_cleared", "day_opened", "day_closed"):
            self.stale = True

    def apply_queues(self, queues: dict[str, dict[str, Any]]) -> None:
        self.queues.update(queues)

    # ------------------------------------------------------------------ services

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.division.get("languages") or ("lv",))

    @property
    def services(self) -> list[dict[str, Any]]:
        return list(self.division.get("services", []))

    def service(self, service_id: str) -> dict[str, Any] | None:
        return next((s for s in self.services if s["id"] == service_id), None)

    @property
    def priorities(self) -> list[dict[str, Any]]:
        return sorted(self.division.get("priorities", []), key=lambda p: p["rank"])

    def available(self, service_id: str) -> bool:
        """True when an open or paused counter serves the service (the server's rule)."""
        return any(
            self.counters.get(counter["id"], "closed") != "closed"
            and service_id in counter["services"]
            for counter in self.division.get("counters", [])
        )

    def estimate_ms(self, service_id: str) -> int | None:
        """The estimated wait for a ticket taken now, from the latest queue summary."""
        found = self.queues.get(service_id, {}).get("estimate_ms")
        return found if isinstance(found, int) else None

    def waiting(self, service_id: str) -> int:
        return int(self.queues.get(service_id, {}).get("waiting", 0))

    # ------------------------------------------------------------------ hours

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    def local(self, instant: int) -> datetime:
        return datetime.fromtimestamp(instant / 1000, self._zone)

    def instant(self, day: date, minute: int) -> int:
        moment = datetime(day.year, day.month, day.day, tzinfo=self._zone)
        return int((moment + timedelta(minutes=minute)).timestamp() * 1000)

    @property
    def hours(self) -> dict[str, Any]:
        return dict(self.division.get("hours", {}))

    def today_span(self) -> tuple[int, int] | None:
        """Today's reception hours as minutes after local midnight, or None: closed."""
        today = self.hours.get("today")
        return (today[0], today[1]) if today else None

    def is_open(self, now: int) -> bool:
        """Whether the kiosk's clock is within today's reception hours (a hint; the
        server's answer to a quote or an issue decides)."""
        span = self.today_span()
        local = self.local(now)
        if span is None or local.date().isoformat() != self.day:
            return False
        minute = local.hour * 60 + local.minute
        return span[0] <= minute < span[1]

    def closing_at(self, now: int) -> int | None:
        span = self.today_span()
        if span is None or not self.is_open(now):
            return None
        return self.instant(self.local(now).date(), span[1])

    def next_opening(self, now: int) -> tuple[int, int] | None:
        """The next reception hours that begin after ``now`` as (open, close) instants.

        The snapshot's own answer when it is still ahead; otherwise from the weekly
        schedule (which knows no holidays: a fresh snapshot replaces the guess).
        """
        given = self.hours.get("next_open")
        if given and given[0] > now:
            return given[0], given[1]
        week = self.hours.get("week", {})
        start = self.local(now).date()
        for offset in range(0, 15):
            day = start + timedelta(days=offset)
            span = week.get(str(day.weekday()))
            if offset == 0:
                today = self.today_span()
                span = list(today) if today else None
            if span:
                opens = self.instant(day, span[0])
                if opens > now:
                    return opens, self.instant(day, span[1])
        return None

    @property
    def contacts(self) -> dict[str, str]:
        return dict(self.division.get("contacts", {}))
