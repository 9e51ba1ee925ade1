"""What the flow needs of the ticket printer: one awaitable call, and the faults it
may raise, told apart so the visitor reads what happened.

``kiosk/printer.py`` owns the printers and their exception tree (``PrinterError``
with ``PrinterOffline``, ``PaperOut`` and ``PrintInterrupted``); this module is the
flow's one import point for it. Any other exception from a print is a fault too:
whatever goes wrong at the printer, the number the server confirmed stays on the
screen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from kiosk.printer import PaperOut, PrinterError, PrinterOffline, PrintInterrupted

#: Prints one ticket as the server confirmed it (the ``ticket`` of an issue result).
PrintTicket = Callable[[dict[str, Any]], Awaitable[object]]

#: Fault codes: ``kiosk.printer.<code>`` in the catalogs says it to the visitor.
FAULTS: tuple[tuple[type[Exception], str], ...] = (
    (PrinterOffline, "offline"),
    (PaperOut, "paper_out"),
    (PrintInterrupted, "interrupted"),
)
OTHER_FAULT = "fault"


def fault_code(error: BaseException) -> str:
    """``offline``, ``paper_out``, ``interrupted``, or ``fault`` for anything else."""
    return next((code for kind, code in FAULTS if isinstance(error, kind)), OTHER_FAULT)


__all__ = [
    "FAULTS",
    "OTHER_FAULT",
    "PaperOut",
    "PrintInterrupted",
    "PrintTicket",
    "PrinterError",
    "PrinterOffline",
    "fault_code",
]
