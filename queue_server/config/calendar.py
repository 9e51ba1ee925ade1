"""The public-holiday calendar the reception hours use, built once at the edge."""

from __future__ import annotations

import holidays

from queue_server.core.hours import Holidays


def public_holidays(country: str = "LV") -> Holidays:
    """Latvia's public holidays (and the days off the government moves), any year."""
    return holidays.country_holidays(country)
