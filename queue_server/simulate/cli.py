"""``rinda-server simulate``: one simulated day at a division, as a table or JSON.

``add_parser(subparsers)`` adds the sub-command to the server's command line and
``run(args)`` runs it; ``main_simulate(argv)`` does both for a stand-alone call.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, TextIO

import holidays as holiday_calendars

from queue_server.clock import Clock, local_day
from queue_server.config.options import add_config_option, office_from
from queue_server.core.hours import SEARCH_DAYS, Holidays, ReceptionHours
from queue_server.core.settings import Office

from .day import SimulationError, simulate_day
from .report import DayReport
from .scenario import Scenario

DEFAULT_DIVISION = "riga-1"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``simulate`` to an ``ArgumentParser``'s sub-parsers; its handler is ``run``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "simulate",
        help="simulate a day at a division through the real core and report it",
        description=(
            "Simulate one day at a division: seeded visitors and clerks, every action a "
            "command to the real core. Prints waits, outcomes, counter utilisation and "
            "the accuracy of the estimates."
        ),
    )
    configure(parser)
    parser.set_defaults(handler=run)
    return parser


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--division", default=DEFAULT_DIVISION, help="division id (default: %(default)s)"
    )
    parser.add_argument(
        "--date",
        type=date.fromisoformat,
        help="the day, YYYY-MM-DD (default: the division's next working day)",
    )
    parser.add_argument(
        "--visits",
        type=_positive,
        help="visits the kiosk should issue (default: what fills the counters to 85%%)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    add_config_option(parser)
    parser.add_argument(
        "--db",
        metavar="PATH",
        help="run every command through the store in this SQLite file (a fresh one, "
        "or one whose division has no events of the day yet)",
    )


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main_simulate(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` as ``simulate``'s options and run it; returns the exit status."""
    parser = argparse.ArgumentParser(prog="rinda-server simulate")
    configure(parser)
    return run(parser.parse_args(argv))


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run ``simulate`` with parsed options; prints the report; returns the exit status."""
    out = out or sys.stdout
    from queue_server.config import ConfigError

    try:
        office = office_from(args)
    except ConfigError as exc:
        print(f"rinda-server simulate: {exc}", file=sys.stderr)
        return 2
    if args.division not in office.divisions:
        known = ", ".join(sorted(office.divisions))
        print(
            f"rinda-server simulate: no division {args.division!r}; configured: {known}",
            file=sys.stderr,
        )
        return 2
    calendar = holiday_calendars.country_holidays("LV")
    scenario = Scenario(visits=args.visits)
    try:
        report = _simulate(office, args.division, args.date, scenario, args.seed, calendar, args.db)
    except SimulationError as exc:
        print(f"rinda-server simulate: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False), file=out)
    else:
        print(report.to_text(), file=out)
    return 0


def _simulate(
    office: Office,
    division: str,
    day: date | None,
    scenario: Scenario,
    seed: int,
    calendar: Holidays,
    db: str | None,
) -> DayReport:
    """Simulate ``day`` (default: the next working day, after the last one in ``db``)."""
    if db is None:
        day = day or _working_day(office, division, calendar, _today(office))
        return simulate_day(office, division, day, scenario, seed, calendar)
    from queue_server.store import Store

    from .lobby import StoreLobby

    with Store.open(db, office, calendar) as store:
        lobby = StoreLobby(store, division)
        if day is None:
            last = lobby.state.day
            after = max(_today(office), date.fromisoformat(last)) if last else _today(office)
            day = _working_day(office, division, calendar, after)
        return simulate_day(office, division, day, scenario, seed, calendar, lobby=lobby)


def _working_day(office: Office, division: str, calendar: Holidays, after: date) -> date:
    day = next_working_day(office, division, calendar, after)
    if day is None:
        raise SimulationError(f"{division} never opens.")
    return day


def _today(office: Office) -> date:
    return local_day(Clock()(), office.timezone)  # a default for people: the machine's day


def next_working_day(
    office: Office, division_id: str, calendar: Holidays, today: date
) -> date | None:
    """The first day after ``today`` on which the division receives visitors."""
    hours = ReceptionHours(office.divisions[division_id], office.rules, calendar)
    for offset in range(1, SEARCH_DAYS + 1):
        day = today + timedelta(days=offset)
        if hours.span_ms(day) is not None:
            return day
    return None
