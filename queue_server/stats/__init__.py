"""Statistics of a division over a day, a week or a month, read from the store's file.

``report(db, division, period, start, target)`` returns a ``Report`` (frozen
dataclasses; ``to_dict()`` is its JSON shape); ``tables(report)`` its flat tables
and ``to_csv(table)`` each one as CSV. ``report_file(path, ...)`` reads through a
read-only connection of its own, for a worker thread beside the running server;
``report_span(db, division, first, last, ...)`` covers any run of days (a year).
Closed days are read from their summaries (``summaries.fill`` writes them).
``StatsError`` is the root of every error this package raises. The figures are
defined in ``docs/statistics.md``; ``rinda-server stats`` prints them.
"""

from __future__ import annotations

from .errors import StatsError
from .figures import ServiceTarget, p90
from .period import Period, period_days
from .read import open_read_only
from .report import (
    Count,
    Figures,
    HourFigures,
    Ratings,
    Report,
    TargetResult,
    UndoneCount,
    report,
    report_file,
    report_span,
)
from .tables import TABLE_NAMES, Table, table, tables, to_csv

__all__ = [
    "TABLE_NAMES",
    "Count",
    "Figures",
    "HourFigures",
    "Period",
    "Ratings",
    "Report",
    "ServiceTarget",
    "StatsError",
    "Table",
    "TargetResult",
    "UndoneCount",
    "open_read_only",
    "p90",
    "period_days",
    "report",
    "report_file",
    "report_span",
    "table",
    "tables",
    "to_csv",
]
