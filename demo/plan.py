"""Who comes to the demonstration's kiosk and when: a seeded plan, made up front.

Pure: the same seed gives the same morning. Visitors arrive as a Poisson process
over the lobby's clock; each picks one service (sometimes two, in their own order),
a language (mostly Latvian, then Russian, English, Ukrainian) and now and then a
priority category. Clerks' service times are drawn here too, around each service's
configured duration.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from random import Random

from queue_server.core.settings import MINUTE_MS, Office

#: The languages visitors choose, and how often.
LANGUAGE_MIX = (("lv", 0.55), ("ru", 0.25), ("en", 0.12), ("uk", 0.08))
#: The share of visitors who want two services in one visit.
TWO_SERVICES = 0.2
#: The share of visitors with a priority category.
WITH_PRIORITY = 0.08


@dataclass(frozen=True)
class Visitor:
    #: When they tap the kiosk, in the lobby's clock (epoch ms).
    at: int
    lang: str
    services: tuple[str, ...]
    priority: str | None


def plan_morning(
    office: Office,
    division: str,
    start_ms: int,
    end_ms: int,
    per_hour: float,
    seed: int,
) -> list[Visitor]:
    """The visitors of ``[start_ms, end_ms)``, in order of arrival."""
    rng = Random(seed)
    offered = office.divisions[division].services
    # The common services come more often: collecting and applying for documents.
    weights = [3.0 if s in ("passport", "collect") else 1.0 for s in offered]
    found = []
    at = float(start_ms)
    while True:
        at += rng.expovariate(per_hour / 60) * MINUTE_MS
        if at >= end_ms:
            return found
        first = rng.choices(offered, weights)[0]
        services: tuple[str, ...] = (first,)
        if rng.random() < TWO_SERVICES:
            second = rng.choice([s for s in offered if s != first])
            services = (first, second)
        lang = rng.choices([x for x, _ in LANGUAGE_MIX], [w for _, w in LANGUAGE_MIX])[0]
        priority = None
        if rng.random() < WITH_PRIORITY:
            priority = rng.choice(sorted(office.priorities))
        found.append(Visitor(int(at), lang, services, priority))


def service_minutes(office: Office, service: str, rng: Random) -> float:
    """A clerk's time for one service: around its configured duration, never under 2."""
    expected = office.services[service].expected_ms / MINUTE_MS
    return max(2.0, rng.gauss(expected, expected / 4))


def dumps(visitors: list[Visitor]) -> str:
    return json.dumps([asdict(v) for v in visitors], indent=1)


def loads(text: str) -> list[Visitor]:
    return [
        Visitor(v["at"], v["lang"], tuple(v["services"]), v["priority"]) for v in json.loads(text)
    ]
