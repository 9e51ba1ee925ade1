"""The validated configuration the core works with.

These are plain frozen values. They are built at the edge (``queue_server.config``
reads TOML and checks it) and passed down; the core never reads files.

Times of day are minutes after local midnight; durations are milliseconds, like
every instant the core sees.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

#: A text in every language the office ships: ``{"lv": ..., "en": ..., ...}``.
LocalText = Mapping[str, str]

MINUTE_MS = 60_000

#: The languages Rinda ships catalogs for. Latvian is the official language and first.
SHIPPED_LANGUAGES: tuple[str, ...] = ("lv", "en", "ru", "uk")


@dataclass(frozen=True)
class Service:
    """A service a visitor can pick at the kiosk."""

    id: str
    prefix: str
    name: LocalText
    description: LocalText
    bring: LocalText
    fee: LocalText | None
    expected_ms: int


#: Accessibility feature codes a counter may list; the catalogs label each
#: (``accessibility.<code>``).
ACCESSIBILITY_FEATURES = (
    "wheelchair_access",
    "lowered_desk",
    "hearing_loop",
    "sign_language",
    "magnifier",
)


@dataclass(frozen=True)
class Counter:
    """A counter (desk) of a division and the services it serves, in its order."""

    id: str
    number: int
    services: tuple[str, ...]
    #: Feature codes (``lowered_desk``, ``hearing_loop``, ...) labelled by the catalogs.
    accessibility: tuple[str, ...] = ()
    #: A free accessibility note in every shipped language, when the codes do not say it all.
    note: LocalText = field(default_factory=dict)


@dataclass(frozen=True)
class Span:
    """Opening hours of one day: ``[open_min, close_min)`` in minutes after local midnight."""

    open_min: int
    close_min: int


@dataclass(frozen=True)
class HoursException:
    """An admin's exception for one date: other hours, or closed when ``span`` is None."""

    day: date
    span: Span | None
    note: str = ""


@dataclass(frozen=True)
class Priority:
    """A priority category; a lower rank is called first."""

    id: str
    rank: int
    label: LocalText


@dataclass(frozen=True)
class Rules:
    """Timing and limits that apply to every division."""

    no_show_grace_ms: int = 15 * MINUTE_MS
    recall_limit: int = 2
    undo_window_ms: int = 60_000
    appointment_early_ms: int = 30 * MINUTE_MS
    appointment_late_ms: int = 10 * MINUTE_MS
    appointment_slot_ms: int = 15 * MINUTE_MS
    appointment_capacity: int = 1
    pre_holiday_shortening_ms: int = 60 * MINUTE_MS
    learned_window: int = 25
    learned_min_samples: int = 5
    #: How long a paused counter is expected to stay paused (for the estimate).
    pause_expected_ms: int = 20 * MINUTE_MS


@dataclass(frozen=True)
class Division:
    """A division or a branch: one lobby with its own queue, numbering and counters."""

    id: str
    name: LocalText
    languages: tuple[str, ...]
    #: Weekday (0 = Monday) to opening span; a missing weekday is closed.
    week: Mapping[int, Span]
    counters: tuple[Counter, ...]
    branch_of: str | None = None
    exceptions: tuple[HoursException, ...] = ()
    notes: LocalText = field(default_factory=dict)
    timezone: str = "Europe/Riga"

    @property
    def services(self) -> tuple[str, ...]:
        """The services some counter of this division serves, in first-seen order."""
        seen: dict[str, None] = {}
        for counter in self.counters:
            for service in counter.services:
                seen.setdefault(service, None)
        return tuple(seen)

    def counter(self, counter_id: str) -> Counter | None:
        for counter in self.counters:
            if counter.id == counter_id:
                return counter
        return None


@dataclass(frozen=True)
class Contacts:
    """The office's contact channels, as the customer-service standard names them."""

    phone: str
    email: str
    address: str
    website: str
    portal: str
    forum: str
    facebook: str
    twitter: str


@dataclass(frozen=True)
class Office:
    """Everything configured: the office, its services and all divisions."""

    name: LocalText
    contacts: Contacts
    languages: tuple[str, ...]
    services: Mapping[str, Service]
    priorities: Mapping[str, Priority]
    refusal_reasons: Mapping[str, LocalText]
    divisions: Mapping[str, Division]
    rules: Rules = field(default_factory=Rules)
    timezone: str = "Europe/Riga"
