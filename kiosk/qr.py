"""The QR code of a visit's status page, as the screen draws it.

The printer draws the printed code itself (``GS ( k``, kiosk/ticket.py); the screen
needs the modules: ``qrcode`` (a dependency of python-escpos) works them out. Error
correction M, as on the ticket, with the quiet zone of four modules a phone's camera
needs around the code.
"""

from __future__ import annotations

QUIET_ZONE = 4


def modules(url: str) -> tuple[tuple[bool, ...], ...]:
    """The code's rows from the top, quiet zone included; True is a dark module."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(url)
    code.make(fit=True)
    return tuple(tuple(bool(dark) for dark in row) for row in code.get_matrix())
