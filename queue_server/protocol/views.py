"""What each role may see: events and snapshots, cut to the audience.

Staff (clerks and admins) see the division as the core keeps it. The public
(kiosks and displays, whose screens face the lobby) sees ticket numbers, counters,
queue lengths and estimates: never a priority category (it may reveal a disability
or a pregnancy), a booking code, a clerk, an outcome or a free-text note.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from queue_server.core import DivisionState, Status
from queue_server.core import events as e
from queue_server.core.settings import Office

#: Audiences: lobby screens that show calls, kiosks, and staff.
PUBLIC, KIOSK, STAFF = "public", "kiosk", "staff"
AUDIENCES = (PUBLIC, KIOSK, STAFF)

#: Public view of each event type: the fields the lobby may see (None: not shown).
_PUBLIC_FIELDS: dict[str, tuple[str, ...] | None] = {
    "day_opened": ("day",),
    "day_closed": ("day", "expired"),
    "visit_issued": ("number", "services", "estimate", "past_closing"),
    "visit_called": ("number", "counter"),
    "visit_recalled": ("number", "counter"),
    "visit_missed": ("number", "counter"),
    "visit_returned": ("number",),
    "visit_cancelled": ("number",),
    "visit_rated": None,
    "printer_reported": None,
    "manager_alerted": None,
    "counter_configured": None,
    "service_configured": None,
    "priority_configured": None,
    "notes_set": None,
    "alert_answered": None,
    "service_started": ("number", "counter"),
    "step_finished": ("number", "counter"),
    "visit_transferred": ("number", "counter", "service", "to_counter"),
    "action_undone": ("counter", "action", "number"),
    "counter_opened": ("counter",),
    "counter_closed": ("counter",),
    "counter_paused": ("counter",),
    "counter_resumed": ("counter",),
    "appointment_booked": None,
    "appointment_moved": None,
    "appointment_cancelled": None,
    "hours_exception_set": ("day", "open_min", "close_min"),
    "hours_exception_cleared": ("day",),
}

#: Event types that change the queues (and so the waiting counts and estimates).
QUEUE_EVENTS = frozenset(
    {
        "day_opened",
        "day_closed",
        "visit_issued",
        "visit_called",
        "visit_missed",
        "visit_returned",
        "visit_cancelled",
        "step_finished",
        "visit_transferred",
        "action_undone",
        "counter_opened",
        "counter_closed",
        "counter_paused",
        "counter_resumed",
        "hours_exception_set",
        "hours_exception_cleared",
    }
)


#: What a kiosk needs of the events: whether the division and its counters are open.
#: Waiting counts and estimates reach it in ``queues`` summaries; calls do not concern it.
_KIOSK_EVENTS = frozenset(
    {
        "day_opened",
        "day_closed",
        "counter_opened",
        "counter_closed",
        "counter_paused",
        "counter_resumed",
        "hours_exception_set",
        "hours_exception_cleared",
    }
)


def audience(role: str) -> str:
    if role in ("clerk", "admin"):
        return STAFF
    return KIOSK if role == "kiosk" else PUBLIC


def event_view(event: e.Event, who: str) -> dict[str, Any] | None:
    """The event as ``who`` may see it, or None when it is not for them."""
    data = e.to_dict(event)
    if who == STAFF:
        return data
    keep = _PUBLIC_FIELDS[event.type]
    if keep is None or (who == KIOSK and event.type not in _KIOSK_EVENTS):
        return None
    return {"type": event.type, "at": event.at, **{k: data[k] for k in keep}}


def queues(state: DivisionState, now: int) -> dict[str, dict[str, Any]]:
    """Per offered service: visits waiting, the longest wait so far, and the estimated
    wait for a visitor who takes a ticket now (None: no open counter serves it)."""
    waiting: dict[str, list[int]] = {s: [] for s in state.division.services}
    for visit in state.waiting():
        waiting.setdefault(visit.service, []).append(visit.arrival)
    found: dict[str, dict[str, Any]] = {}
    for service, arrivals in waiting.items():
        quote = state.quote((service,), None, now)
        found[service] = {
            "waiting": len(arrivals),
            "longest_wait_ms": now - min(arrivals) if arrivals else 0,
            "estimate_ms": quote.wait_ms,
            "past_closing": quote.past_closing,
        }
    return found


def counter_figures(state: DivisionState, counter: str) -> dict[str, Any]:
    """Today's figures of one counter, for its clerk: steps ended by outcome, no-shows,
    transfers away, and the mean time from the start of service (or the call, when the
    clerk did not mark the start) to its end."""
    figures: dict[str, Any] = dict.fromkeys(
        ("served", "refused", "referred", "behaviour", "no_shows", "transferred"), 0
    )
    durations: list[int] = []
    for visit in state.visits.values():
        for step in visit.steps:
            if step.counter != counter:
                continue
            if step.outcome == "no_show":
                figures["no_shows"] += 1
                continue
            if step.finished_at is None:
                continue
            if step.outcome in ("served", "refused", "referred", "behaviour", "transferred"):
                figures[step.outcome] += 1
            begun = step.started_at if step.started_at is not None else step.called_at
            if begun is not None:
                durations.append(step.finished_at - begun)
    figures["mean_service_ms"] = sum(durations) // len(durations) if durations else None
    return figures


def visit_status(
    office: Office, state: DivisionState, number: str, estimates: dict[str, int]
) -> dict[str, Any]:
    """What the visitor's status page shows of one visit, in the ticket's language:
    each service and how far it is, the place in line and the estimated call, and the
    counter once called. Nothing else of the division, nothing personal."""
    visit = state.visits.get(number)
    if visit is None:
        return {"number": number, "status": "expired"}
    lang = visit.lang

    def local(text: Mapping[str, str]) -> str:
        return text.get(lang) or text.get("lv") or ""

    steps = []
    for index, step in enumerate(visit.steps):
        if index < visit.index or (index == visit.index and visit.status is Status.DONE):
            progress = "done"
        elif index == visit.index:
            progress = "current"
        else:
            progress = "later"
        steps.append(
            {
                "service": step.service,
                "name": local(state.office.services[step.service].name),
                "progress": progress,
            }
        )
    found: dict[str, Any] = {
        "number": number,
        "lang": lang,
        "status": visit.status.value,
        "division": local(state.division.name),
        "steps": steps,
        "ahead": state.ahead(number) if visit.status is Status.WAITING else 0,
        "call_at": estimates.get(number) if visit.status is Status.WAITING else None,
        "counter": None,
    }
    if visit.counter is not None:
        counter = state.counter_settings[visit.counter]
        found["counter"] = {"number": counter.number, "note": local(counter.note)}
    return found


def recent_calls(state: DivisionState, limit: int = 10) -> list[dict[str, Any]]:
    """The latest calls of the day, newest first: number, counter, when, and whether
    the visitor has been called again since (a display marks a recall)."""
    calls = [
        (step.called_at, visit.number, step.counter, step is visit.step and visit.recalls > 0)
        for visit in state.visits.values()
        for step in visit.steps
        if step.called_at is not None and step.counter is not None
    ]
    calls.sort(reverse=True)
    return [{"number": n, "counter": k, "at": t, "recall": r} for t, n, k, r in calls[:limit]]


def division_info(office: Office, state: DivisionState, now: int) -> dict[str, Any]:
    """What a lobby screen shows about the division: names, services, hours, contacts
    (as configured, with the changes an admin made live)."""
    office = state.office
    division = state.division
    hours = state.hours
    today = hours.day(hours.local_date(now))
    upcoming = hours.next_opening(now)
    return {
        "id": division.id,
        "name": dict(division.name),
        "branch_of": division.branch_of,
        "languages": list(division.languages),
        "notes": dict(division.notes),
        "timezone": division.timezone,
        "hours": {
            "today": today.span and [today.span.open_min, today.span.close_min],
            "kind": today.kind,
            "holiday": today.holiday,
            "week": {str(d): [s.open_min, s.close_min] for d, s in division.week.items()},
            "next_open": upcoming and list(upcoming),
        },
        "services": [
            {
                "id": s.id,
                "prefix": s.prefix,
                "name": dict(s.name),
                "description": dict(s.description),
                "bring": dict(s.bring),
                "fee": dict(s.fee) if s.fee else None,
            }
            for s in (office.services[sid] for sid in division.services)
        ],
        "priorities": [
            {"id": p.id, "rank": p.rank, "label": dict(p.label)} for p in office.priorities.values()
        ],
        "counters": [
            {
                "id": c.id,
                "number": c.number,
                "services": list(c.services),
                "accessibility": list(c.accessibility),
                "note": dict(c.note),
            }
            for c in division.counters
        ],
        "contacts": asdict(office.contacts),
        "rules": {
            "undo_window_ms": office.rules.undo_window_ms,
            "no_show_grace_ms": office.rules.no_show_grace_ms,
            "recall_limit": office.rules.recall_limit,
        },
    }


def snapshot(office: Office, state: DivisionState, who: str, seq: int, now: int) -> dict[str, Any]:
    """The division as ``who`` may see it at sequence number ``seq``."""
    staff = who == STAFF
    counters: list[dict[str, Any]] = []
    for k in state.division.counters:
        current = state.counters[k.id]
        row: dict[str, Any] = {
            "id": k.id,
            "status": current.status.value,
            "current": current.current,
        }
        if staff:
            row["clerk"] = current.clerk
            row["since"] = current.since
        counters.append(row)
    view: dict[str, Any] = {
        "seq": seq,
        "day": state.day,
        "division": division_info(office, state, now),
        "counters": counters,
        "calls": recent_calls(state),
        "queues": queues(state, now),
    }
    if staff:
        view["state"] = state.snapshot()
        # The legal reasons a clerk chooses from: staff only, like every outcome.
        view["division"]["refusal_reasons"] = [
            {"id": reason, "label": dict(label)}
            for reason, label in state.office.refusal_reasons.items()
        ]
    else:
        view["waiting"] = sorted(
            v.number for v in state.visits.values() if v.status is Status.WAITING
        )
    return view
