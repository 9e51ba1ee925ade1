"""Every key of the configuration file, in one table.

The loader takes its required and optional keys from here (``Section.required`` and
``Section.optional``), and ``queue_server.config.reference`` writes
``docs/configuration-reference.md`` from the same table, so the reference lists
exactly what the loader accepts. How a value is checked stays in the readers
(``office.py``, ``divisions.py``); ``kind`` and ``meaning`` are what an admin reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from queue_server.core.settings import MINUTE_MS

SECOND_MS = 1000
#: The time zone of reception hours when ``office.timezone`` is not given.
DEFAULT_TIMEZONE = "Europe/Riga"

TEXT = "text in every language"
TABLE = "table"


@dataclass(frozen=True)
class Key:
    name: str
    kind: str
    meaning: str
    required: bool = True
    #: What an absent optional key means, in words.
    default: str = ""


def optional(name: str, kind: str, meaning: str, default: str = "") -> Key:
    return Key(name, kind, meaning, required=False, default=default)


@dataclass(frozen=True)
class Section:
    #: Where it stands in the file, as written in TOML: ``[divisions.<id>]``.
    where: str
    about: str
    keys: tuple[Key, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(key.name for key in self.keys)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(key.name for key in self.keys if key.required)

    @property
    def optional(self) -> tuple[str, ...]:
        return tuple(key.name for key in self.keys if not key.required)


@dataclass(frozen=True)
class Rule:
    """A key of ``[rules]``: optional, more than 0, its default the ``Rules`` field's."""

    name: str
    #: The ``queue_server.core.settings.Rules`` field it sets.
    field: str
    #: Milliseconds per unit of the value, or None for a whole count.
    unit_ms: int | None
    meaning: str


ROOT = Section(
    "the top level",
    "The sections of the file.",
    (
        optional(
            "extends",
            'string: "default" or a file path',
            "read that file first and merge this one over it (relative to this file)",
            "this file replaces the default",
        ),
        Key("office", TABLE, "the office: name, languages, time zone, contacts"),
        optional("rules", TABLE, "timing and limits for every division", "every rule's default"),
        Key("services", "table of services by id", "what a visitor can pick at the kiosk"),
        Key("priorities", "table of priority categories by id", "who is called first"),
        Key(
            "refusal_reasons",
            "table of texts by id",
            "the legal reasons a clerk records when refusing a service",
        ),
        optional("templates", "table of templates by name", "layouts divisions share", "none"),
        Key("divisions", "table of divisions by id", "every division and branch: its lobby"),
    ),
)

OFFICE = Section(
    "[office]",
    "The office as a whole.",
    (
        Key("name", TEXT, "the office's name"),
        Key(
            "languages",
            "array of language codes",
            "the languages the office ships; Latvian (`lv`) first",
        ),
        optional(
            "timezone",
            "string: an IANA time zone",
            "the time zone of reception hours",
            DEFAULT_TIMEZONE,
        ),
        Key("contacts", TABLE, "the contact channels (`[office.contacts]`)"),
    ),
)

CONTACTS = Section(
    "[office.contacts]",
    "The contact channels the customer-service standard names; shown at the kiosk.",
    (
        Key("phone", "string", "the informative phone"),
        Key("email", "string", "e-mail address"),
        Key("address", "string", "postal address (also printed with the right to complain)"),
        Key("website", "string", "the office's website"),
        Key("portal", "string", "the state portal"),
        Key("forum", "string", "the forum"),
        Key("facebook", "string", "the Facebook page"),
        Key("twitter", "string", "the X (Twitter) account"),
    ),
)

#: ``[rules]``: every key optional; an absent one keeps the ``Rules`` default.
RULES = (
    Rule(
        "no_show_grace_minutes",
        "no_show_grace_ms",
        MINUTE_MS,
        "a no-show may come back once within this time",
    ),
    Rule(
        "recall_limit",
        "recall_limit",
        None,
        "how often a clerk may call the same ticket again",
    ),
    Rule(
        "undo_window_seconds",
        "undo_window_ms",
        SECOND_MS,
        "how long a clerk can undo a misclick",
    ),
    Rule(
        "appointment_early_minutes",
        "appointment_early_ms",
        MINUTE_MS,
        "earliest check-in before a booked time",
    ),
    Rule(
        "appointment_late_minutes",
        "appointment_late_ms",
        MINUTE_MS,
        "latest check-in after a booked time",
    ),
    Rule(
        "appointment_slot_minutes",
        "appointment_slot_ms",
        MINUTE_MS,
        "length of one booking slot",
    ),
    Rule(
        "appointment_capacity",
        "appointment_capacity",
        None,
        "bookings per slot and service",
    ),
    Rule(
        "pre_holiday_shortening_minutes",
        "pre_holiday_shortening_ms",
        MINUTE_MS,
        "how much earlier a division closes on the day before a public holiday "
        "(Latvian labour law: one hour)",
    ),
    Rule(
        "learned_window",
        "learned_window",
        None,
        "recent visits per service that estimate its duration",
    ),
    Rule(
        "learned_min_samples",
        "learned_min_samples",
        None,
        "visits needed before the learned duration replaces `expected_minutes`; "
        "at most `learned_window`",
    ),
    Rule(
        "pause_expected_minutes",
        "pause_expected_ms",
        MINUTE_MS,
        "how long a paused counter is expected to stay paused; the estimate counts it "
        "free after that",
    ),
)

SERVICE = Section(
    "[services.<id>]",
    "A service a visitor can pick at the kiosk.",
    (
        Key("prefix", "one uppercase letter A-Z", "starts the ticket number (`P001`); unique"),
        Key(
            "expected_minutes",
            "minutes, more than 0",
            "how long a visit for it takes, until history has enough visits",
        ),
        Key("name", TEXT, "the kiosk button"),
        Key("description", TEXT, "one line under the name"),
        Key("bring", TEXT, "what to bring; printed on the ticket"),
        optional("fee", TEXT, "the state-fee note", "no fee note"),
    ),
)

PRIORITY = Section(
    "[priorities.<id>]",
    "A priority category (disability, pregnancy, ...).",
    (
        Key("rank", "whole number, 0 or more", "lower is called first; unique"),
        Key("label", TEXT, "what the kiosk shows"),
    ),
)

DIVISION = Section(
    "[divisions.<id>]",
    "A division or a branch: one lobby with its own queue, ticket numbering and counters.",
    (
        optional("template", "template name", "start from `[templates.<name>]`", "none"),
        Key("name", TEXT, "shown on the kiosk, the display and the ticket"),
        Key(
            "languages",
            "array of language codes",
            "the kiosk's languages; Latvian (`lv`) first, each in `office.languages`",
        ),
        Key("hours", TABLE, "weekly reception hours (`[divisions.<id>.hours]`)"),
        Key("counters", "array of tables", "at least one counter (`[[divisions.<id>.counters]]`)"),
        optional(
            "branch_of",
            "division id",
            "the division this branch belongs to (not itself a branch)",
            "not a branch",
        ),
        optional("notes", TEXT, "shown on the display: accessible entrance, lift, ...", "none"),
        optional(
            "exceptions",
            "array of tables",
            "dates with other hours (`[[divisions.<id>.exceptions]]`)",
            "none",
        ),
    ),
)

HOURS = Section(
    "[divisions.<id>.hours]",
    'One key per weekday, Monday first: "HH:MM-HH:MM" (24-hour clock, the close may be '
    '24:00; it opens before it closes) or "closed". Public holidays and pre-holiday days '
    "apply on top ([reception-hours.md](reception-hours.md)).",
    tuple(
        optional(day, '"HH:MM-HH:MM" or "closed"', f"reception hours on {name}", "closed")
        for day, name in (
            ("mon", "Monday"),
            ("tue", "Tuesday"),
            ("wed", "Wednesday"),
            ("thu", "Thursday"),
            ("fri", "Friday"),
            ("sat", "Saturday"),
            ("sun", "Sunday"),
        )
    ),
)

COUNTER = Section(
    "[[divisions.<id>.counters]]",
    "A counter (desk) of the division.",
    (
        Key(
            "number",
            "whole number, 1 or more",
            "what the display and the announcement say; unique in the division",
        ),
        optional(
            "id",
            "string",
            "the id a clerk logs in to; unique in the division",
            'the number ("3")',
        ),
        Key(
            "services",
            "array of service ids, at least one",
            "what it serves, in the order it calls them",
        ),
        optional(
            "accessibility",
            "array of accessibility codes",
            "its accessibility features (codes below)",
            "none",
        ),
        optional("note", TEXT, "an accessibility note the codes do not say", "none"),
    ),
)

EXCEPTION = Section(
    "[[divisions.<id>.exceptions]]",
    "A date with other reception hours (a pre-holiday day, an event).",
    (
        Key(
            "date",
            "TOML date (2026-11-17) or the same as a string",
            "the day; each date at most once per division",
        ),
        Key("hours", '"HH:MM-HH:MM" or "closed"', "that day's hours"),
        optional("note", "string", "why, for the admin", "none"),
    ),
)

TEMPLATE = Section(
    "[templates.<name>]",
    "A layout divisions share: any key of `[divisions.<id>]` except `template`, all optional. "
    "A division naming it starts as a copy and its own keys are merged over it (hours "
    "key by key; languages and counters replaced whole).",
    tuple(
        optional(key.name, key.kind, key.meaning, "none")
        for key in DIVISION.keys
        if key.name != "template"
    ),
)
