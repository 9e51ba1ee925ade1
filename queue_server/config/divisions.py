"""``[templates]`` and ``[divisions]``: lobbies, their reception hours and counters.

Most divisions share a layout, so a division may name a template
(``template = "regional"``): it starts as a copy of that table and its own keys are
merged over it. Templates exist only in the file; the loaded ``Division`` values are
complete.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from queue_server.config.checker import Checker
from queue_server.config.layers import KeyPath, Layered
from queue_server.config.office import read_languages
from queue_server.config.schema import COUNTER, DIVISION, EXCEPTION, HOURS, TEMPLATE
from queue_server.core.settings import (
    ACCESSIBILITY_FEATURES,
    Counter,
    Division,
    HoursException,
    LocalText,
    Service,
    Span,
)

#: ``hours`` keys, Monday first: their index is the weekday the core uses.
WEEKDAYS = HOURS.names


@dataclass(frozen=True)
class Context:
    """What the division sections are checked against."""

    services: Mapping[str, Service]
    #: The office's languages: the ones a division may offer and texts must have.
    languages: tuple[str, ...]
    timezone: str


def expand_templates(doc: Layered) -> Layered:
    """Merge each division over the template it names (when that template exists)."""
    templates = doc.data.get("templates")
    divisions = doc.data.get("divisions")
    if not isinstance(templates, Mapping) or not isinstance(divisions, Mapping):
        return doc
    for division_id, raw in divisions.items():
        name = raw.get("template") if isinstance(raw, Mapping) else None
        if isinstance(name, str) and isinstance(templates.get(name), Mapping):
            doc = doc.with_base(("divisions", division_id), ("templates", name))
    return doc


def check_templates(check: Checker, value: Any, context: Context) -> tuple[str, ...]:
    """Check each template as a partial division; return the template names."""
    names = []
    for name, raw in check.entries(value, ("templates",), "template"):
        table = check.table(raw, ("templates", name), optional=TEMPLATE.names)
        _read_parts(check, table, ("templates", name), context)
        names.append(name)
    return tuple(names)


def read_divisions(
    check: Checker, value: Any, templates: tuple[str, ...], context: Context
) -> dict[str, Division]:
    """Every ``[divisions.<id>]``, branches pointing at a division that is not a branch."""
    divisions = {
        division_id: _read_division(check, division_id, raw, templates, context)
        for division_id, raw in check.entries(value, ("divisions",), "division")
    }
    for division in divisions.values():
        _check_branch(check, division, divisions)
    if value is not None and not divisions:
        check.problem(("divisions",), "at least one division is needed")
    return divisions


def _read_division(
    check: Checker, division_id: str, raw: Any, templates: tuple[str, ...], context: Context
) -> Division:
    path = ("divisions", division_id)
    table = check.table(raw, path, required=DIVISION.required, optional=DIVISION.optional)
    if "template" in table:
        check.choice(table["template"], (*path, "template"), templates, "template")
    parts = _read_parts(check, table, path, context)
    branch_of = check.string(table.get("branch_of"), (*path, "branch_of"))
    return Division(
        id=division_id,
        name=parts.get("name", {}),
        languages=parts.get("languages", ()),
        week=parts.get("hours", {}),
        counters=parts.get("counters", ()),
        branch_of=branch_of,
        exceptions=parts.get("exceptions", ()),
        notes=parts.get("notes", {}),
        timezone=context.timezone,
    )


def _read_parts(
    check: Checker, table: Mapping[str, Any], path: KeyPath, context: Context
) -> dict[str, Any]:
    """The parts a division and a template share, for the keys present in ``table``."""
    parts: dict[str, Any] = {}
    for key in ("name", "notes"):
        if key in table:
            parts[key] = check.local_text(table[key], (*path, key), context.languages)
    if "languages" in table:
        parts["languages"] = _read_division_languages(
            check, table["languages"], (*path, "languages"), context
        )
    if "hours" in table:
        parts["hours"] = _read_week(check, table["hours"], (*path, "hours"))
    if "counters" in table:
        parts["counters"] = _read_counters(check, table["counters"], (*path, "counters"), context)
    if "exceptions" in table:
        parts["exceptions"] = _read_exceptions(check, table["exceptions"], (*path, "exceptions"))
    return parts


def _read_division_languages(
    check: Checker, value: Any, path: KeyPath, context: Context
) -> tuple[str, ...]:
    languages = read_languages(check, value, path)
    for index, lang in enumerate(languages):
        if context.languages and lang not in context.languages:
            check.problem((*path, index), f"{lang!r} is not in office.languages")
    return languages


def _read_week(check: Checker, value: Any, path: KeyPath) -> dict[int, Span]:
    """``hours = { mon = "09:00-16:30", ... }``; a missing or ``"closed"`` day is closed."""
    table = check.table(value, path, optional=WEEKDAYS)
    week: dict[int, Span] = {}
    for weekday, key in enumerate(WEEKDAYS):
        span = check.span(table.get(key), (*path, key))
        if span is not None:
            week[weekday] = span
    return week


def _read_counters(
    check: Checker, value: Any, path: KeyPath, context: Context
) -> tuple[Counter, ...]:
    if not isinstance(value, list) or not value:
        check.problem(path, "must be an array of at least one counter ([[...counters]] tables)")
        return ()
    counters = tuple(
        _read_counter(check, raw, (*path, index), context) for index, raw in enumerate(value)
    )
    usable = [(index, counter) for index, counter in enumerate(counters) if counter.number]
    check.distinct(
        [((*path, i, "number"), f"counter [{i}]", counter.number) for i, counter in usable],
        "number",
    )
    # An id defaults to the number, so counters that share a number are reported once.
    numbers = Tally(counter.number for _, counter in usable)
    check.distinct(
        [
            ((*path, i, "id"), f"counter [{i}]", counter.id)
            for i, counter in usable
            if numbers[counter.number] == 1
        ],
        "id",
    )
    return counters


def _read_counter(check: Checker, raw: Any, path: KeyPath, context: Context) -> Counter:
    table = check.table(raw, path, required=COUNTER.required, optional=COUNTER.optional)
    number = check.integer(table.get("number"), (*path, "number")) or 0
    counter_id = check.string(table.get("id"), (*path, "id")) or str(number)
    services = check.strings(
        table.get("services"), (*path, "services"), tuple(context.services), "service"
    )
    if table.get("services") == []:
        check.problem((*path, "services"), "must list at least one service")
    accessibility = check.strings(
        table.get("accessibility"),
        (*path, "accessibility"),
        ACCESSIBILITY_FEATURES,
        "accessibility feature",
    )
    note: LocalText = {}
    if "note" in table:
        note = check.local_text(table["note"], (*path, "note"), context.languages)
    return Counter(counter_id, number, services, accessibility, note)


def _read_exceptions(check: Checker, value: Any, path: KeyPath) -> tuple[HoursException, ...]:
    """``exceptions = [{ date = 2026-11-17, hours = "09:00-15:00", note = "..." }]``."""
    if not isinstance(value, list):
        check.problem(path, "must be an array of tables with date and hours")
        return ()
    exceptions: list[HoursException] = []
    seen: set[Any] = set()
    for index, raw in enumerate(value):
        at = (*path, index)
        table = check.table(raw, at, required=EXCEPTION.required, optional=EXCEPTION.optional)
        day = check.date(table.get("date"), (*at, "date"))
        span = check.span(table.get("hours"), (*at, "hours"))
        note = check.string(table.get("note"), (*at, "note")) or ""
        if day is None:
            continue
        if day in seen:
            check.problem((*at, "date"), f"{day.isoformat()} has an exception already")
            continue
        seen.add(day)
        exceptions.append(HoursException(day, span, note))
    return tuple(exceptions)


def _check_branch(check: Checker, division: Division, divisions: Mapping[str, Division]) -> None:
    if division.branch_of is None:
        return
    path = ("divisions", division.id, "branch_of")
    parent = divisions.get(division.branch_of)
    if division.branch_of == division.id:
        check.problem(path, "a division cannot be its own branch")
    elif parent is None:
        check.choice(division.branch_of, path, tuple(divisions), "division")
    elif parent.branch_of is not None:
        check.problem(path, f"{parent.id!r} is itself a branch of {parent.branch_of!r}")
