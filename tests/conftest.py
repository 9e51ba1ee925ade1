"""Shared test fixtures: a small office built in code, a clock, and one timeout unit.

The small office keeps core tests independent of the default configuration file;
tests of the default configuration load it for real.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import holidays
import pytest

from queue_server.core import DivisionState
from queue_server.core.settings import (
    MINUTE_MS,
    Contacts,
    Counter,
    Division,
    Office,
    Priority,
    Rules,
    Service,
    Span,
)

#: The browser and server fixtures of the console tests (tests/browser.py).
pytest_plugins = ["tests.browser"]

#: The one timeout unit tests scale their waits by (seconds).
TIMEOUT = 10.0

RIGA = ZoneInfo("Europe/Riga")
LV_HOLIDAYS = holidays.country_holidays("LV")


def at(text: str) -> int:
    """Epoch ms of a local Riga time, e.g. ``at("2026-11-30 09:15")``."""
    return int(datetime.fromisoformat(text).replace(tzinfo=RIGA).timestamp() * 1000)


def _text(word: str) -> dict[str, str]:
    return {lang: f"{word} ({lang})" for lang in ("lv", "en", "ru", "uk")}


def _service(sid: str, prefix: str, minutes: int) -> Service:
    return Service(
        id=sid,
        prefix=prefix,
        name=_text(sid),
        description=_text(sid),
        bring=_text("passport"),
        fee=None,
        expected_ms=minutes * MINUTE_MS,
    )


def small_office(**rules: int) -> Office:
    """Two divisions: ``main`` (three counters) and ``branch`` (one), Mon-Fri 9-17."""
    services = {
        s.id: s
        for s in (
            _service("passport", "A", 10),
            _service("collect", "B", 4),
            _service("residence", "C", 6),
            _service("visa", "D", 15),
        )
    }
    week = {day: Span(9 * 60, 17 * 60) for day in range(5)}
    main = Division(
        id="main",
        name=_text("Main"),
        languages=("lv", "en", "ru", "uk"),
        week=week,
        counters=(
            Counter("1", 1, ("passport", "collect")),
            Counter("2", 2, ("collect", "passport", "residence"), ("lowered_desk",)),
            Counter("3", 3, ("residence", "visa")),
        ),
    )
    branch = Division(
        id="branch",
        name=_text("Branch"),
        languages=("lv", "en"),
        week={2: Span(9 * 60, 14 * 60 + 30)},
        counters=(Counter("1", 1, ("passport", "collect", "residence")),),
        branch_of="main",
    )
    return Office(
        name=_text("Office"),
        contacts=Contacts("+371 1", "a@b", "addr", "web", "portal", "forum", "fb", "tw"),
        languages=("lv", "en", "ru", "uk"),
        services=services,
        priorities={
            "disability": Priority("disability", 1, _text("disability")),
            "pregnancy": Priority("pregnancy", 2, _text("pregnancy")),
        },
        refusal_reasons={"documents": _text("documents"), "fee": _text("fee")},
        divisions={"main": main, "branch": branch},
        rules=Rules(**rules),
    )


@pytest.fixture
def office() -> Office:
    return small_office()


@pytest.fixture
def lobby(office: Office) -> DivisionState:
    """The ``main`` division on Monday 30 November 2026, counters 1-3 open."""
    state = DivisionState(office, "main", LV_HOLIDAYS)
    from queue_server.core.commands import OpenCounter

    for counter in ("1", "2", "3"):
        state.execute(OpenCounter(counter, f"clerk{counter}"), at("2026-11-30 08:50"))
    return state
