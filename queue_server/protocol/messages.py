"""The messages of Rinda's WebSocket protocol: one table of requests, checked on arrival.

Every message is a JSON object with a ``type``. A request may carry an ``id`` (a
string or an integer) that the reply echoes. ``REQUESTS`` says, for each request,
who may send it and which fields it takes; ``parse`` turns text into a checked
``Request`` or raises ``ProtocolError``. ``docs/protocol.md`` documents the same
table, and a test keeps the two in step.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ProtocolError

KIOSK, DISPLAY, CLERK, ADMIN = "kiosk", "display", "clerk", "admin"
#: A visitor's phone on the status page: it says hello with its ticket's link and
#: then only listens to ``status`` messages about that one visit.
VISITOR = "visitor"
ROLES = (KIOSK, DISPLAY, CLERK, ADMIN, VISITOR)
EVERYONE = frozenset((KIOSK, DISPLAY, CLERK, ADMIN))

#: The largest message the server reads (websockets closes the connection beyond).
MAX_MESSAGE_BYTES = 64 * 1024

_NUMBER = re.compile(r"^[A-Z][0-9]{3}$")
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def _utf8(value: str) -> bool:
    """False for strings JSON can carry but UTF-8 cannot (lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(limit: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, str) and 0 < len(v) <= limit and _utf8(v)


def _ident(v: Any) -> bool:
    return isinstance(v, str) and bool(_ID.match(v))


def _ident_list(v: Any) -> bool:
    return isinstance(v, list) and 0 < len(v) <= 10 and all(_ident(x) for x in v)


def _texts(v: Any) -> bool:
    """A configured text per language: ``{"lv": ..., "en": ...}``, each up to 1000."""
    return (
        isinstance(v, dict)
        and 0 < len(v) <= 4
        and all(k in ("lv", "en", "ru", "uk") for k in v)
        and all(isinstance(x, str) and len(x) <= 1000 and _utf8(x) for x in v.values())
    )


def _integer(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


#: Field kinds: a check and the words the error uses for what was expected.
KINDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "id": (_ident, "an identifier (letters, digits, _.:-, up to 64)"),
    "ids": (_ident_list, "a list of 1 to 10 identifiers"),
    "number": (
        lambda v: isinstance(v, str) and bool(_NUMBER.match(v)),
        "a ticket number like A001",
    ),
    "text": (_text(200), "a text of 1 to 200 characters"),
    "note": (_text(1000), "a text of 1 to 1000 characters"),
    "secret": (_text(200), "a text of 1 to 200 characters"),
    "lang": (lambda v: v in ("lv", "en", "ru", "uk"), "one of lv, en, ru, uk"),
    "instant": (_integer(0, 2**53), "an instant in epoch milliseconds"),
    "seq": (_integer(0, 2**53), "a sequence number (0 or more)"),
    "minute": (_integer(0, 24 * 60), "minutes after midnight (0-1440)"),
    "day": (lambda v: isinstance(v, str) and bool(_DAY.match(v)), "a date YYYY-MM-DD"),
    "role": (lambda v: v in ROLES, "one of kiosk, display, clerk, admin, visitor"),
    "stars": (_integer(1, 5), "a whole number of stars from 1 to 5"),
    "printer": (
        lambda v: v in ("ok", "offline", "paper_out", "unknown"),
        "one of ok, offline, paper_out, unknown",
    ),
    "tags": (
        lambda v: isinstance(v, list) and len(v) <= 8 and all(_ident(x) for x in v),
        "a list of up to 8 identifiers",
    ),
    "codes": (
        lambda v: isinstance(v, list) and len(v) <= 10 and all(_ident(x) for x in v),
        "a list of up to 10 identifiers (empty: none)",
    ),
    "texts": (_texts, "an object of texts by language (lv, en, ru, uk), each up to 1000"),
    "prefix": (
        lambda v: isinstance(v, str) and len(v) == 1 and "A" <= v <= "Z",
        "one letter from A to Z",
    ),
    "minutes": (_integer(1, 240), "a whole number of minutes from 1 to 240"),
    "share": (
        lambda v: isinstance(v, int | float) and not isinstance(v, bool) and 0 < v <= 1,
        "a share above 0 and at most 1 (0.9 for 90 %)",
    ),
    "period": (lambda v: v in ("day", "week", "month"), "one of day, week, month"),
    "device": (lambda v: v in ("kiosk", "display"), "one of kiosk, display"),
}


@dataclass(frozen=True)
class RequestType:
    name: str
    roles: frozenset[str]
    #: field name -> (kind, required)
    fields: Mapping[str, tuple[str, bool]]
    summary: str


def _req(
    name: str, roles: set[str] | frozenset[str], summary: str, /, **fields: str
) -> RequestType:
    """``fields``: name -> kind, with a trailing ``?`` for an optional field."""
    parsed = {key: (kind.rstrip("?"), not kind.endswith("?")) for key, kind in fields.items()}
    return RequestType(name, frozenset(roles), parsed, summary)


REQUESTS: dict[str, RequestType] = {
    r.name: r
    for r in (
        _req(
            "hello",
            EVERYONE | {VISITOR},
            "authenticate and subscribe to a division (the first message)",
            division="id",
            token="secret?",
            user="text?",
            password="secret?",
            session="secret?",
            status="secret?",
            counter="id?",
            resume_from="seq?",
        ),
        _req(
            "sync", EVERYONE, "get the events after a sequence number, or a snapshot", since="seq"
        ),
        _req("snapshot", EVERYONE, "get a fresh snapshot of the division"),
        _req(
            "quote",
            {KIOSK, ADMIN},
            "estimate the wait for services not issued yet",
            services="ids",
            priority="id?",
        ),
        _req(
            "issue",
            {KIOSK},
            "issue a ticket for one or several services, in order",
            key="id",
            services="ids",
            priority="id?",
            lang="lang?",
        ),
        _req("check_in", {KIOSK}, "check in a booked visit", key="id", code="id", lang="lang?"),
        _req(
            "rate",
            {KIOSK},
            "rate a finished visit of today: 1-5 stars and optional tags",
            number="number",
            stars="stars",
            tags="tags?",
        ),
        _req(
            "printer_status",
            {KIOSK},
            "the kiosk's printer status, so that the admin sees a fault",
            status="printer",
        ),
        _req("logout", {CLERK, ADMIN}, "end the console's login session"),
        _req(
            "alert_manager",
            {CLERK},
            "call the manager silently; admins see an alert",
            note="text?",
        ),
        _req("answer_alert", {ADMIN}, "the manager has seen to a counter's alert", counter="id"),
        _req("counter_figures", {CLERK}, "today's figures of the clerk's counter"),
        _req("return_visit", {KIOSK, CLERK}, "a missed ticket comes back once", number="number"),
        _req("open", {CLERK}, "open the clerk's counter"),
        _req("close", {CLERK}, "close the clerk's counter"),
        _req("pause", {CLERK}, "pause the clerk's counter"),
        _req("resume", {CLERK}, "resume the clerk's counter"),
        _req("call_next", {CLERK}, "call the next visit for this counter"),
        _req("call_number", {CLERK}, "call one ticket number", number="number"),
        _req("recall", {CLERK}, "call the current visit again"),
        _req("no_show", {CLERK}, "the called visitor did not come"),
        _req("start", {CLERK}, "the visitor arrived at the counter"),
        _req(
            "finish",
            {CLERK},
            "end the current step: served, refused, referred or behaviour",
            outcome="id?",
            reason="id?",
            detail="note?",
            referral="text?",
        ),
        _req(
            "transfer",
            {CLERK},
            "send the visit to another service or counter",
            service="id?",
            to_counter="id?",
        ),
        _req("undo", {CLERK}, "take back the counter's last action"),
        _req("cancel_visit", {CLERK, ADMIN}, "withdraw a waiting or called visit", number="number"),
        _req("close_counter", {ADMIN}, "close any idle counter of the division", counter="id"),
        _req(
            "book",
            {ADMIN},
            "book a visit for a time slot; the reply has the booking code",
            services="ids",
            due="instant",
            priority="id?",
            name="text?",
            phone="text?",
        ),
        _req(
            "free_slots",
            {ADMIN},
            "the bookable time slots of a day for a service, and how many places are free",
            service="id",
            day="day",
        ),
        _req(
            "booking_contact",
            {ADMIN},
            "the caller's name and phone kept with a booking (personal: on demand only)",
            code="id",
        ),
        _req("move_booking", {ADMIN}, "move a booking to another slot", code="id", due="instant"),
        _req("cancel_booking", {ADMIN}, "cancel a booking", code="id"),
        _req(
            "set_hours_exception",
            {ADMIN},
            "other reception hours for one date (no open/close: closed)",
            day="day",
            open_min="minute?",
            close_min="minute?",
            note="text?",
        ),
        _req("clear_hours_exception", {ADMIN}, "remove a date's exception", day="day"),
        _req(
            "configure_counter",
            {ADMIN},
            "change a counter's services (in call order), accessibility codes and note",
            counter="id",
            services="ids?",
            accessibility="codes?",
            note="texts?",
        ),
        _req(
            "configure_service",
            {ADMIN},
            "change a service's texts, expected duration or prefix in this division",
            service="id",
            name="texts?",
            description="texts?",
            bring="texts?",
            expected_minutes="minutes?",
            prefix="prefix?",
        ),
        _req(
            "configure_priority",
            {ADMIN},
            "change a priority category's label",
            priority="id",
            label="texts",
        ),
        _req("set_notes", {ADMIN}, "the division's notes for the lobby", notes="texts"),
        _req("list_devices", {ADMIN}, "the division's kiosks and displays, connected or not"),
        _req(
            "add_device",
            {ADMIN},
            "register a kiosk or display; the reply has its token, once",
            kind="device",
            name="text",
        ),
        _req("revoke_device", {ADMIN}, "revoke a device of the division", device="id"),
        _req("list_users", {ADMIN}, "the clerk and admin accounts of the division"),
        _req(
            "add_user",
            {ADMIN},
            "create a clerk account for the division; the reply has its password, once",
            username="text",
        ),
        _req("disable_user", {ADMIN}, "disable a clerk account of the division", username="text"),
        _req(
            "reset_password",
            {ADMIN},
            "give a clerk account of the division a new password; the reply has it, once",
            username="text",
        ),
        _req(
            "stats",
            {ADMIN},
            "the division's statistics for a day, week or month",
            period="period",
            start="day",
            target_minutes="minutes?",
            target_share="share?",
        ),
        _req(
            "audit",
            {ADMIN},
            "who did what and when: events and account changes, newest first, filtered",
            from_day="day?",
            to_day="day?",
            actor="text?",
            event="id?",
            number="number?",
            text="text?",
            before_seq="seq?",
        ),
    )
}

#: Messages the server sends, with what they carry (docs/protocol.md details them).
SERVER_MESSAGES: dict[str, str] = {
    "welcome": "the hello was accepted: role, division, counter, and the current sequence number",
    "snapshot": "the division as this role may see it, at a sequence number",
    "event": "one committed event, as this role may see it, with its sequence number",
    "queues": "waiting counts and estimated waits per service, after a change",
    "status": "a visitor's own visit: its services, place in line, estimate and counter",
    "presence": "staff: a kiosk or display of the division connected or disconnected",
    "result": "the answer to a request that succeeded",
    "error": "the answer to a request that failed: a stable code and a sentence",
}


@dataclass(frozen=True)
class Request:
    type: str
    id: str | int | None
    fields: dict[str, Any]


def parse(text: str | bytes) -> Request:
    """Check one incoming message against ``REQUESTS``; raise ``ProtocolError``."""
    try:
        data = json.loads(text, parse_constant=_not_json)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ProtocolError("bad_json", "The message is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ProtocolError("not_an_object", "A message must be a JSON object with a type.")
    raw_id = data.get("id")
    request_id = raw_id if _valid_id(raw_id) else None
    kind = data.get("type")
    if kind is None:
        raise ProtocolError(
            "missing_field", "The message has no type.", field="type", id=request_id
        )
    spec = REQUESTS.get(kind) if isinstance(kind, str) else None
    if spec is None:
        raise ProtocolError("unknown_type", f"There is no request of type {kind!r}.", id=request_id)
    if raw_id is not None and request_id is None:
        raise ProtocolError(
            "bad_field", "id must be a short string or an integer.", field="id", id=None
        )
    fields = {k: v for k, v in data.items() if k not in ("type", "id")}
    for name in fields:
        if name not in spec.fields:
            raise ProtocolError(
                "unknown_field", f"{spec.name} takes no field {name!r}.", field=name, id=request_id
            )
    for name, (kind_name, required) in spec.fields.items():
        value = fields.get(name)
        if value is None:
            if required:
                raise ProtocolError(
                    "missing_field", f"{spec.name} needs {name}.", field=name, id=request_id
                )
            fields[name] = None
            continue
        check, expected = KINDS[kind_name]
        if not check(value):
            raise ProtocolError(
                "bad_field", f"{name} must be {expected}.", field=name, id=request_id
            )
    return Request(spec.name, request_id, fields)


def _not_json(constant: str) -> Any:
    """Python reads NaN and Infinity; JSON has no such numbers."""
    raise ValueError(f"{constant} is not JSON")


def _valid_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -(2**53) <= value <= 2**53
    return isinstance(value, str) and 0 < len(value) <= 64 and _utf8(value)
