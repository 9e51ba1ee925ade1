"""The report as named tables, and each table as CSV for a spreadsheet.

Every table is flat: a header and rows of numbers, text, yes/no or empty cells, the
same columns the JSON shape has. ``to_csv`` writes RFC 4180 CSV with the standard
library and defuses formulas: a spreadsheet must never run a cell it imports.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from dataclasses import dataclass

from .errors import StatsError
from .report import Count, Figures, HourFigures, Report

Cell = str | int | float | bool | None

#: The tables every report has, in the order they are printed.
TABLE_NAMES: tuple[str, ...] = (
    "summary",
    "target",
    "days",
    "services",
    "counters",
    "clerks",
    "refusals",
    "referrals",
    "undone",
    "ratings",
    "rating_tags",
    "hours",
)

#: Characters that make a spreadsheet read a cell as a formula (OWASP's list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FIGURES = tuple(f.name for f in dataclasses.fields(Figures))


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def tables(report: Report) -> dict[str, Table]:
    """Every table of ``report``, by name, in ``TABLE_NAMES`` order."""
    target = report.target
    ratings = report.ratings
    found = [
        _figures("summary", "division", (report.summary,)),
        Table(
            "target",
            tuple(f.name for f in dataclasses.fields(target)),
            (dataclasses.astuple(target),),
        ),
        _figures("days", "day", report.days),
        _figures("services", "service", report.services),
        _figures("counters", "counter", report.counters),
        _figures("clerks", "clerk", report.clerks),
        _counts("refusals", "reason", report.refusals),
        _counts("referrals", "authority", report.referrals),
        Table(
            "undone",
            ("counter", "clerk", "action", "count"),
            tuple(dataclasses.astuple(row) for row in report.undone),
        ),
        Table(
            "ratings",
            ("stars", "count", "share"),
            tuple(
                (stars, n, round(n / ratings.count, 4) if ratings.count else None)
                for stars, n in enumerate(ratings.distribution, start=1)
            ),
        ),
        Table(
            "rating_tags",
            ("tag", "count", "share"),
            tuple(
                (tag, n, round(n / ratings.count, 4) if ratings.count else None)
                for tag, n in ratings.tags.items()
            ),
        ),
        Table(
            "hours",
            tuple(f.name for f in dataclasses.fields(HourFigures)),
            tuple(dataclasses.astuple(row) for row in report.hours),
        ),
    ]
    return {table.name: table for table in found}


def table(report: Report, name: str) -> Table:
    """The table ``name`` of ``report``; ``StatsError`` names the tables otherwise."""
    found = tables(report)
    if name not in found:
        raise StatsError(f"There is no table {name!r}: choose {', '.join(TABLE_NAMES)}.")
    return found[name]


def to_csv(table: Table) -> str:
    """``table`` as CSV text: a header row, then the rows (CRLF line ends, RFC 4180).

    Empty cells are empty, booleans ``yes``/``no``. A text cell that a spreadsheet
    would take for a formula (it starts with ``= + - @``, a tab or a carriage return)
    gets a leading apostrophe, so it is shown as text and never run.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_cell(name) for name in table.columns])
    writer.writerows([_cell(value) for value in row] for row in table.rows)
    return out.getvalue()


def _cell(value: Cell) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    return value


def _figures(name: str, key: str, rows: tuple[Figures, ...]) -> Table:
    return Table(
        name,
        (key, *_FIGURES[1:]),
        tuple(dataclasses.astuple(row) for row in rows),
    )


def _counts(name: str, key: str, rows: tuple[Count, ...]) -> Table:
    return Table(name, (key, "count", "share"), tuple(dataclasses.astuple(row) for row in rows))
