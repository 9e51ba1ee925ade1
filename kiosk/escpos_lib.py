"""python-escpos, imported in this one place and only when a ticket is printed.

Importing python-escpos costs about 0.2 s (it loads its printer database), so the
kiosk's modules import this module inside the functions that need it, not at the top:
the touchscreen shows its first frame without waiting for it.

On import, python-escpos always creates a fresh temporary folder (``mkdtemp()``) for
a pickled copy of its printer database and never removes it; with the ``TMPDIR`` of
``scripts/test`` that would leave one folder per run inside the repository. The
import below runs with a private temporary folder that is deleted right after: the
database is already in memory by then, and reloading it in the next process is cheap.
(A cache folder named by ``ESCPOS_CAPABILITIES_PICKLE_DIR`` still works as before.)
"""

from __future__ import annotations

import tempfile


def _import_escpos() -> None:
    # tempfile.tempdir is process-wide: this runs once, under the import lock.
    saved = tempfile.tempdir
    with tempfile.TemporaryDirectory(prefix="rinda-escpos-") as scratch:
        tempfile.tempdir = scratch
        try:
            import escpos.capabilities  # noqa: F401
        finally:
            tempfile.tempdir = saved


_import_escpos()

from escpos.capabilities import CAPABILITIES, get_profile  # noqa: E402
from escpos.constants import (  # noqa: E402
    CODEPAGE_CHANGE,
    QR_ECLEVEL_M,
    RT_MASK_NOPAPER,
    RT_MASK_ONLINE,
    RT_STATUS_ONLINE,
    RT_STATUS_PAPER,
)
from escpos.escpos import Escpos  # noqa: E402
from escpos.exceptions import DeviceNotFoundError  # noqa: E402
from escpos.printer import Dummy, File, Network, Serial, Usb  # noqa: E402

__all__ = [
    "CAPABILITIES",
    "CODEPAGE_CHANGE",
    "QR_ECLEVEL_M",
    "RT_MASK_NOPAPER",
    "RT_MASK_ONLINE",
    "RT_STATUS_ONLINE",
    "RT_STATUS_PAPER",
    "DeviceNotFoundError",
    "Dummy",
    "Escpos",
    "File",
    "Network",
    "Serial",
    "Usb",
    "get_profile",
]
