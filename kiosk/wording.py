"""How the kiosk puts facts into words: times, days, waits, reception hours, and the
server's refusals explained. Each function returns catalog keys with parameters
(``kiosk.view.Text``); the catalogs hold the sentences.

Times are shown in the division's time zone as ``HH:MM``, dates as ``DD.MM.YYYY``
with the weekday's name; waits in whole minutes ("about 25 min"), which needs no
plural forms in any of the four languages.
"""

from __future__ import annotations

import math
from typing import Any

from kiosk.lobby import Lobby
from kiosk.session import Problem
from kiosk.view import Local, Text, Words, text
from queue_server.core.errors import CODES

_MINUTE_MS = 60_000


def hhmm(minute: int) -> str:
    """Minutes after midnight as ``HH:MM``."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def clock_time(instant: int, lobby: Lobby) -> str:
    local = lobby.local(instant)
    return f"{local.hour:02d}:{local.minute:02d}"


def day_words(instant: int, lobby: Lobby) -> Text:
    local = lobby.local(instant)
    return text(
        "kiosk.when.day",
        weekday=text(f"weekday.{local.weekday()}"),
        date=f"{local.day:02d}.{local.month:02d}.{local.year}",
    )


def wait_words(wait_ms: int | None) -> Text:
    """An estimated wait in words: none, about N min, about H h (M min), or unknown."""
    if wait_ms is None:
        return text("kiosk.wait.unknown")
    if wait_ms < _MINUTE_MS:
        return text("kiosk.wait.none")
    minutes = math.ceil(wait_ms / _MINUTE_MS)
    if minutes > 10:
        # An estimate is not exact: say it in steps of five minutes.
        minutes = 5 * math.ceil(minutes / 5)
    if minutes < 60:
        return text("kiosk.wait.minutes", minutes=minutes)
    if minutes % 60 == 0:
        return text("kiosk.wait.whole_hours", hours=minutes // 60)
    return text("kiosk.wait.hours", hours=minutes // 60, minutes=minutes % 60)


def today_hours(lobby: Lobby) -> Text:
    """Today's reception hours as the information screen and the closed screen say them."""
    hours = lobby.hours
    span = lobby.today_span()
    if span is None:
        return text("hours.holiday") if hours.get("kind") == "holiday" else text("hours.closed")
    times = {"open": hhmm(span[0]), "close": hhmm(span[1])}
    if hours.get("kind") == "pre_holiday":
        return text("hours.pre_holiday", **times)
    return text("hours.today", **times)


def opening_words(opening: tuple[int, int] | None, lobby: Lobby) -> Text:
    """The next reception hours: on which day, from when to when."""
    if opening is None:
        return text("kiosk.hours.no_next")
    opens, closes = opening
    return text(
        "kiosk.hours.next",
        day=day_words(opens, lobby),
        open=clock_time(opens, lobby),
        close=clock_time(closes, lobby),
    )


def week_rows(lobby: Lobby) -> list[tuple[Text, Text]]:
    """The weekly schedule, Monday to Sunday: (weekday, hours or closed)."""
    week = lobby.hours.get("week", {})
    rows: list[tuple[Text, Text]] = []
    for day in range(7):
        span = week.get(str(day))
        hours = (
            text("kiosk.hours.span", open=hhmm(span[0]), close=hhmm(span[1]))
            if span
            else text("hours.closed")
        )
        rows.append((text(f"weekday.{day}"), hours))
    return rows


def service_name(lobby: Lobby, service_id: str) -> Words:
    found = lobby.service(service_id)
    return Local(found["name"]) if found else Local({"lv": service_id})


def explain(problem: Problem, lobby: Lobby | None, code_typed: str = "") -> Text:
    """A refusal of the server, or a failure of the kiosk, in plain words."""
    details: dict[str, Any] = problem.details
    code = problem.code
    if code == "away":
        return text("kiosk.problem.away")
    if lobby is not None:
        if code == "appointment_too_early" and details.get("check_in_from"):
            return text(
                "kiosk.check_in.too_early", time=clock_time(details["check_in_from"], lobby)
            )
        if code == "appointment_too_late" and details.get("due"):
            return text("kiosk.check_in.too_late", time=clock_time(details["due"], lobby))
        if code == "appointment_not_today" and details.get("due"):
            return text(
                "kiosk.check_in.not_today",
                day=day_words(details["due"], lobby),
                time=clock_time(details["due"], lobby),
            )
        if code in ("service_unavailable", "service_not_offered") and details.get("service"):
            return text(f"kiosk.problem.{code}", service=service_name(lobby, details["service"]))
    if code == "unknown_appointment":
        return text("kiosk.check_in.unknown", code=code_typed or "—")
    if code == "appointment_used":
        return text("kiosk.check_in.used")
    if code == "unknown_visit":
        return text("kiosk.rating.unknown_number")
    if code in CODES:
        return text(f"error.{code}")
    return text("kiosk.problem.general")
