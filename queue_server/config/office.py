"""The office-wide sections: ``[office]``, ``[rules]``, ``[services]``, ``[priorities]``
and ``[refusal_reasons]``, read into the frozen settings types."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from queue_server.config.checker import Checker
from queue_server.config.layers import KeyPath
from queue_server.config.schema import CONTACTS, PRIORITY, RULES, SERVICE, TEXT
from queue_server.core.settings import (
    MINUTE_MS,
    SHIPPED_LANGUAGES,
    Contacts,
    LocalText,
    Priority,
    Rules,
    Service,
)

#: The official language: always offered, always first, the catalogs' fallback.
OFFICIAL_LANGUAGE = "lv"

#: ``[rules]`` key -> (``Rules`` field, milliseconds per unit, or None for a count).
RULE_KEYS: dict[str, tuple[str, int | None]] = {
    rule.name: (rule.field, rule.unit_ms) for rule in RULES
}

SERVICE_TEXTS = tuple(key.name for key in SERVICE.keys if key.kind == TEXT and key.required)


def read_languages(check: Checker, value: Any, path: KeyPath) -> tuple[str, ...]:
    """Shipped language codes, Latvian first."""
    languages = check.strings(value, path, SHIPPED_LANGUAGES, "language")
    if isinstance(value, list) and value and value[0] != OFFICIAL_LANGUAGE:
        check.problem((*path, 0), f"must start with {OFFICIAL_LANGUAGE!r}, the official language")
    elif value == []:
        check.problem(path, f"must list at least {OFFICIAL_LANGUAGE!r}")
    return languages


def read_timezone(check: Checker, value: Any, path: KeyPath) -> str | None:
    name = check.string(value, path)
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        check.problem(path, f"{name!r} is not a known time zone (e.g. 'Europe/Riga')")
        return None
    return name


def read_contacts(check: Checker, value: Any) -> Contacts:
    path = ("office", "contacts")
    table = check.table(value, path, required=CONTACTS.names)
    fields = {key: check.string(table.get(key), (*path, key)) or "" for key in CONTACTS.names}
    return Contacts(**fields)


def read_rules(check: Checker, value: Any) -> Rules:
    """``[rules]`` in human units; absent keys keep the ``Rules`` defaults."""
    table = check.table(value, ("rules",), optional=RULE_KEYS)
    fields: dict[str, int] = {}
    for key, (field_name, unit_ms) in RULE_KEYS.items():
        raw = table.get(key)
        path = ("rules", key)
        converted = (
            check.integer(raw, path) if unit_ms is None else check.duration_ms(raw, path, unit_ms)
        )
        if converted is not None:
            fields[field_name] = converted
    rules = Rules(**fields)
    if rules.learned_min_samples > rules.learned_window:
        check.problem(
            ("rules", "learned_min_samples"),
            f"must not exceed learned_window ({rules.learned_window})",
        )
    return rules


def read_services(check: Checker, value: Any, languages: tuple[str, ...]) -> dict[str, Service]:
    """Each ``[services.<id>]``; prefixes are single uppercase letters, unique."""
    services: dict[str, Service] = {}
    prefixes: list[tuple[KeyPath, str, str]] = []
    for service_id, raw in check.entries(value, ("services",), "service"):
        path = ("services", service_id)
        table = check.table(raw, path, required=SERVICE.required, optional=SERVICE.optional)
        prefix = _read_prefix(check, table.get("prefix"), (*path, "prefix"))
        if prefix is not None:
            prefixes.append(((*path, "prefix"), f"service {service_id!r}", prefix))
        texts = {
            key: check.local_text(table.get(key), (*path, key), languages) for key in SERVICE_TEXTS
        }
        fee = table.get("fee")
        services[service_id] = Service(
            id=service_id,
            prefix=prefix or "",
            name=texts["name"],
            description=texts["description"],
            bring=texts["bring"],
            fee=None if fee is None else check.local_text(fee, (*path, "fee"), languages),
            expected_ms=check.duration_ms(
                table.get("expected_minutes"), (*path, "expected_minutes"), MINUTE_MS
            )
            or 0,
        )
    check.distinct(prefixes, "prefix")
    if value is not None and not services:
        check.problem(("services",), "at least one service is needed")
    return services


def _read_prefix(check: Checker, value: Any, path: KeyPath) -> str | None:
    prefix = check.string(value, path)
    if prefix is None:
        return None
    if len(prefix) != 1 or not ("A" <= prefix <= "Z"):
        check.problem(path, f"must be one uppercase letter A-Z, not {prefix!r}")
        return None
    return prefix


def read_priorities(check: Checker, value: Any, languages: tuple[str, ...]) -> dict[str, Priority]:
    """Each ``[priorities.<id>]`` with a unique rank (lower is called first)."""
    priorities: dict[str, Priority] = {}
    ranks: list[tuple[KeyPath, str, int]] = []
    for priority_id, raw in check.entries(value, ("priorities",), "priority"):
        path = ("priorities", priority_id)
        table = check.table(raw, path, required=PRIORITY.required)
        rank = check.integer(table.get("rank"), (*path, "rank"), minimum=0)
        if rank is not None:
            ranks.append(((*path, "rank"), f"priority {priority_id!r}", rank))
        label = check.local_text(table.get("label"), (*path, "label"), languages)
        priorities[priority_id] = Priority(priority_id, rank or 0, label)
    check.distinct(ranks, "rank")
    return priorities


def read_refusal_reasons(
    check: Checker, value: Any, languages: tuple[str, ...]
) -> dict[str, LocalText]:
    """Each ``[refusal_reasons.<id>]``: the legal reason, in every language."""
    reasons: dict[str, LocalText] = {
        reason_id: check.local_text(raw, ("refusal_reasons", reason_id), languages)
        for reason_id, raw in check.entries(value, ("refusal_reasons",), "refusal reason")
    }
    if value is not None and not reasons:
        check.problem(("refusal_reasons",), "at least one refusal reason is needed")
    return reasons
