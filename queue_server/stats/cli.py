"""``rinda-server stats``: a division's statistics over a day, week or month.

Prints a readable table by default, the whole report as one JSON object with
``--json``, or one table as CSV with ``--csv TABLE``. It reads the database through
a read-only connection, so it is safe to run beside the server. ``--warm`` writes
instead: it summarises every closed day that has no summary yet (after an upgrade).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from typing import Any, TextIO

from queue_server.clock import Clock, local_day
from queue_server.config.options import add_config_option, office_from

from .errors import StatsError
from .figures import ServiceTarget
from .period import Period
from .report import Figures, Report, report_file
from .summaries import warm_file
from .tables import TABLE_NAMES, table, to_csv

PROG = "rinda-server stats"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``stats`` to an ``ArgumentParser``'s sub-parsers; its handler is ``run``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "stats",
        help="statistics of a division over a day, week or month (table, JSON or CSV)",
        description=(
            "Visits, waits (mean and 90th percentile), service times, outcomes, undone "
            "actions, ratings and the service target of a division, per day, service, "
            "counter and clerk. Safe to run while the server runs (read-only)."
        ),
    )
    configure(parser)
    parser.set_defaults(handler=run)
    return parser


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, metavar="PATH", help="the database file")
    parser.add_argument("--division", required=True, help="division id, e.g. riga-1")
    parser.add_argument(
        "--period",
        choices=[p.value for p in Period],
        default=Period.WEEK.value,
        help="day, week (Monday to Sunday) or month (default: %(default)s)",
    )
    parser.add_argument(
        "--start",
        type=_day,
        help="a day of the period, YYYY-MM-DD (default: today in the division)",
    )
    parser.add_argument(
        "--target-minutes",
        type=float,
        default=20.0,
        help="service target: a call within this many minutes (default: %(default)g)",
    )
    parser.add_argument(
        "--target-share",
        type=float,
        default=0.9,
        help="service target: for this share of waits, 0-1 (default: %(default)g)",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--csv",
        choices=TABLE_NAMES,
        metavar="TABLE",
        help=f"print one table as CSV: {', '.join(TABLE_NAMES)}",
    )
    output.add_argument("--json", action="store_true", help="print the report as one JSON object")
    output.add_argument(
        "--warm",
        action="store_true",
        help=(
            "summarise every closed day of the division that has no summary yet, so that "
            "long periods report fast (writes to the file; safe beside the server)"
        ),
    )
    add_config_option(parser)


def main_stats(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` as ``stats``'s options and run it; returns the exit status."""
    parser = argparse.ArgumentParser(prog=PROG)
    configure(parser)
    return run(parser.parse_args(argv))


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run ``stats`` with parsed options; prints the report; returns the exit status."""
    out = out or sys.stdout
    from queue_server.config import ConfigError

    try:
        office = office_from(args)
    except ConfigError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    division = office.divisions.get(args.division)
    if division is None:
        known = ", ".join(sorted(office.divisions))
        print(f"{PROG}: no division {args.division!r}; configured: {known}", file=sys.stderr)
        return 2
    if args.warm:
        try:
            days = warm_file(args.db, division.id, division.timezone)
        except StatsError as exc:
            print(f"{PROG}: {exc}", file=sys.stderr)
            return 2
        span = f" ({min(days)} to {max(days)})" if days else ""
        print(f"Summarised {len(days)} closed day(s) of {division.id}{span}.", file=out)
        return 0
    start = args.start or local_day(Clock()(), division.timezone)  # today, by the machine
    try:
        target = ServiceTarget(args.target_minutes, args.target_share)
        found = report_file(args.db, division.id, args.period, start, target, division.timezone)
    except StatsError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(found.to_dict(), ensure_ascii=False), file=out)
    elif args.csv:
        out.write(to_csv(table(found, args.csv)))
    else:
        print(to_text(found), file=out)
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("write the day as YYYY-MM-DD") from None


# ----------------------------------------------------------------- the text table

#: The columns of a figures table as printed: (heading, field, format).
_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("visits", "visits", "d"),
    ("called", "called", "d"),
    ("wait", "wait_mean_min", "min"),
    ("p90", "wait_p90_min", "min"),
    ("service", "service_mean_min", "min"),
    ("no-show", "no_shows", "d"),
    ("transf", "transferred", "d"),
    ("refused", "refused", "d"),
    ("referred", "referred", "d"),
    ("undone", "undone", "d"),
    ("rating", "rating_mean", "f"),
    ("target", "target_share", "pct"),
)


def to_text(report: Report) -> str:
    """The report as aligned plain-text tables, for a terminal."""
    target = report.target
    summary = report.summary
    lines = [
        f"Statistics of {report.division}, "
        f"{report.period.value if report.period is not None else 'days'} "
        f"{report.first_day} to {report.last_day} ({report.timezone})",
        f"Service target: {target.share:.0%} called within {target.minutes:g} min; "
        f"achieved {_pct(target.achieved)} "
        f"({'met' if target.met else 'not met' if target.met is not None else 'no waits'}); "
        f"met on {target.days_met} of {target.days_counted} day(s).",
        f"Visits {summary.visits}, steps called {summary.called}; wait mean "
        f"{_min(summary.wait_mean_min)}, p90 {_min(summary.wait_p90_min)}; service mean "
        f"{_min(summary.service_mean_min)}. Times in minutes.",
    ]
    for title, rows in (
        ("Days", [r for r in report.days if r.visits or r.undone]),
        ("Services", list(report.services)),
        ("Counters", list(report.counters)),
        ("Clerks", list(report.clerks)),
    ):
        lines += ["", title, *_grid(_figure_rows(title.lower().rstrip("s"), rows))]
    lines += ["", "Refusals by legal reason"]
    lines += (
        _grid(
            [("reason", "count", "share")]
            + [(r.name or "", str(r.count), _pct(r.share)) for r in report.refusals]
        )
        if report.refusals
        else ["  none"]
    )
    lines += ["", "Referrals by authority"]
    lines += (
        _grid(
            [("authority", "count", "share")]
            + [
                (r.name if r.name is not None else "(purged)", str(r.count), _pct(r.share))
                for r in report.referrals
            ]
        )
        if report.referrals
        else ["  none"]
    )
    lines += ["", "Undone actions"]
    lines += (
        _grid(
            [("counter", "clerk", "action", "count")]
            + [(u.counter, u.clerk or "", u.action, str(u.count)) for u in report.undone]
        )
        if report.undone
        else ["  none"]
    )
    ratings = report.ratings
    lines += [
        "",
        f"Ratings: {ratings.count}, mean {ratings.mean if ratings.mean is not None else '-'}; "
        + ", ".join(f"{n}x{stars}*" for stars, n in enumerate(ratings.distribution, start=1)),
        "Tags: " + (", ".join(f"{t} {n}" for t, n in ratings.tags.items() if n) or "none"),
    ]
    if report.hours:
        lines += ["", "Hours of the day (arrivals per open day; waits of steps queued then)"]
        lines += _grid(
            [("hour", "arrivals", "per day", "called", "wait", "p90", "target")]
            + [
                (
                    f"{h.hour:02d}",
                    str(h.arrivals),
                    f"{h.arrivals_per_day:g}",
                    str(h.called),
                    _min(h.wait_mean_min),
                    _min(h.wait_p90_min),
                    _pct(h.target_share),
                )
                for h in report.hours
            ]
        )
    return "\n".join(lines)


def _figure_rows(key: str, rows: list[Figures]) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = [(key, *(heading for heading, _, _ in _COLUMNS))]
    for row in rows:
        found.append((row.name, *(_format(getattr(row, f), how) for _, f, how in _COLUMNS)))
    return found


def _grid(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  "
        + "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def _format(value: object, how: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and how == "min":
        return _min(value)
    if isinstance(value, float) and how == "pct":
        return _pct(value)
    if isinstance(value, float) and how == "f":
        return f"{value:.2f}"
    return str(value)


def _min(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"
