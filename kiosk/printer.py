"""The ticket printer: USB, network, serial, file or dummy, through python-escpos.

Everything here is synchronous and bounded by timeouts; the kiosk calls it from a
worker thread (``asyncio.to_thread``). The usual job is one call:

    send_ticket(settings, rendered.data)    # opens, checks, prints, confirms, closes

Before printing, a printer that can answer (network, USB, serial) is asked for its
state with the real-time ``DLE EOT`` queries; after the bytes are sent it is asked
once more, which confirms that every byte arrived. Faults raise one exception tree:

    PrinterError            the ticket was not printed (or not completely)
    ├── PrinterOffline      unreachable, switched off, cover open: nothing was printed
    ├── PaperOut            no paper (before the ticket: nothing printed)
    └── PrintInterrupted    the connection broke while the ticket was being sent

``status()`` reports ``ok``, ``offline``, ``paper_out`` or ``unknown`` for the admin.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, get_args

from kiosk.ticket import TicketSettings

if TYPE_CHECKING:
    from escpos.escpos import Escpos

Kind = Literal["usb", "network", "serial", "file", "dummy"]
Status = Literal["ok", "offline", "paper_out", "unknown"]

#: Printer kinds that can answer a status query (their connection reads).
ANSWERING: frozenset[str] = frozenset({"network", "usb", "serial"})


class PrinterError(Exception):
    """The ticket could not be printed; ``status`` is what to report to the admin."""

    status: Status = "unknown"

    def __init__(self, printer: str, detail: str = "") -> None:
        self.printer = printer
        self.detail = detail
        sentence = self.sentence()
        super().__init__(f"{sentence} ({detail})" if detail else sentence)

    def sentence(self) -> str:
        return f"The ticket could not be printed on the {self.printer}."


class PrinterOffline(PrinterError):
    """The printer cannot be reached or says it is offline; nothing was printed."""

    status: Status = "offline"

    def sentence(self) -> str:
        return (
            f"The {self.printer} is offline: check that it is switched on and connected "
            "and that its cover is closed."
        )


class PaperOut(PrinterError):
    """The printer has no paper."""

    status: Status = "paper_out"

    def sentence(self) -> str:
        return f"The {self.printer} is out of paper: put in a new roll."


class PrintInterrupted(PrinterError):
    """The connection broke, or the printer stopped, while the ticket was being sent."""

    status: Status = "offline"

    def sentence(self) -> str:
        return (
            f"The connection to the {self.printer} broke while the ticket was being sent: "
            "the ticket may be incomplete; check the printer and its cable."
        )


@dataclass(frozen=True)
class PrinterSettings:
    """Which printer the kiosk prints on, how to reach it, and its paper."""

    kind: Kind = "dummy"
    #: python-escpos printer profile (``default``: a generic Epson-compatible printer).
    profile: str = "default"
    #: Characters per line in the normal font: 42 or 48 on 80 mm paper, 32 on 58 mm.
    columns: int = 42
    #: Seconds to connect and to send a ticket; nothing waits longer.
    timeout: float = 5.0
    #: Seconds to wait for the answer to a status query.
    status_timeout: float = 2.0
    #: usb: the vendor and product id (``lsusb``), and the endpoints.
    usb_vendor: int | None = None
    usb_product: int | None = None
    usb_in_ep: int = 0x82
    usb_out_ep: int = 0x01
    #: network: host name or address, and the raw printing port.
    host: str = ""
    port: int = 9100
    #: serial: the device and its speed.
    device: str = ""
    baudrate: int = 9600
    #: file: a device file (``/dev/usb/lp0``) or any file to write the bytes to.
    path: str = ""

    def __post_init__(self) -> None:
        if self.kind not in get_args(Kind):
            raise ValueError(
                f"printer kind must be one of {', '.join(get_args(Kind))}, not {self.kind!r}"
            )
        if self.timeout <= 0 or self.status_timeout <= 0:
            raise ValueError("printer timeouts must be more than 0 seconds")
        missing = {
            "usb": self.usb_vendor is None or self.usb_product is None,
            "network": not self.host,
            "serial": not self.device,
            "file": not self.path,
        }.get(self.kind, False)
        if missing:
            needs = {
                "usb": "usb_vendor and usb_product (see lsusb)",
                "network": "host",
                "serial": "device",
                "file": "path",
            }[self.kind]
            raise ValueError(f"a {self.kind} printer needs {needs}")
        if not 0 < self.port < 65536:
            raise ValueError(f"port must be 1-65535, not {self.port}")
        self.ticket_settings()  # checks profile and columns

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PrinterSettings:
        """Settings from a configuration table; USB ids may be written ``"0x04b8"``.

        Raises ``ValueError`` naming the key for unknown keys and bad values.
        """
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown printer setting {unknown[0]!r}")
        values = dict(data)
        for key in ("usb_vendor", "usb_product", "usb_in_ep", "usb_out_ep"):
            if isinstance(values.get(key), str):
                try:
                    values[key] = int(values[key], 0)
                except ValueError:
                    raise ValueError(
                        f"{key} must be a number such as 0x04b8, not {values[key]!r}"
                    ) from None
        return cls(**values)

    def ticket_settings(self) -> TicketSettings:
        """The layout settings for this printer's paper and profile."""
        return TicketSettings(profile=self.profile, columns=self.columns)

    def describe(self) -> str:
        """The printer in a few words, for messages: ``network printer 10.0.0.5:9100``."""
        where = {
            "usb": f"{self.usb_vendor or 0:04x}:{self.usb_product or 0:04x}",
            "network": f"{self.host}:{self.port}",
            "serial": self.device,
            "file": self.path,
            "dummy": "",
        }[self.kind]
        kind = "USB" if self.kind == "usb" else self.kind
        return f"{kind} printer {where}".strip()


class Printer:
    """An open connection to the ticket printer: a python-escpos device and its settings.

    Use it as a context manager, or ``close()`` it: a connection serves one job.
    """

    def __init__(self, device: Escpos, settings: PrinterSettings) -> None:
        self.device = device
        self.settings = settings

    @property
    def answers(self) -> bool:
        """Whether this kind of printer can be asked for its status."""
        return self.settings.kind in ANSWERING

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.device.close()

    def __enter__(self) -> Printer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def open_printer(settings: PrinterSettings) -> Printer:
    """Connect to the printer ``settings`` name.

    Raises ``PrinterOffline`` when it cannot be reached, ``PrinterError`` when the
    library its kind needs is missing (pyusb for USB, pyserial for serial).
    """
    from kiosk import escpos_lib as lib

    name = settings.describe()
    profile = settings.profile
    device: Escpos
    if settings.kind == "dummy":
        device = lib.Dummy(profile=profile)
    elif settings.kind == "file":
        device = lib.File(devfile=settings.path, profile=profile)
    elif settings.kind == "network":
        device = lib.Network(
            host=settings.host, port=settings.port, timeout=settings.timeout, profile=profile
        )
    elif settings.kind == "usb":
        if not lib.Usb.is_usable():
            raise PrinterError(name, "USB printing needs the pyusb package and libusb")
        device = lib.Usb(
            idVendor=settings.usb_vendor,
            idProduct=settings.usb_product,
            timeout=_milliseconds(settings.timeout),
            in_ep=settings.usb_in_ep,
            out_ep=settings.usb_out_ep,
            profile=profile,
        )
    else:
        if not lib.Serial.is_usable():
            raise PrinterError(name, "serial printing needs the pyserial package")
        device = lib.Serial(
            devfile=settings.device,
            baudrate=settings.baudrate,
            timeout=settings.status_timeout,
            profile=profile,
        )
    try:
        device.open()
    except lib.DeviceNotFoundError as exc:
        raise PrinterOffline(name, _last_line(exc)) from exc
    except OSError as exc:
        raise PrinterOffline(name, str(exc)) from exc
    return Printer(device, settings)


def status(printer: Printer) -> Status:
    """``ok``, ``offline``, ``paper_out``, or ``unknown`` (the printer cannot answer,
    or did not within ``status_timeout``). Near-end paper is still ``ok``."""
    if not printer.answers:
        return "unknown"
    return _query(printer, printer.settings.status_timeout)


def print_ticket(printer: Printer, data: bytes, timeout: float | None = None) -> None:
    """Print one ticket's bytes, waiting at most ``timeout`` seconds per step.

    A printer that answers is asked first: ``PaperOut`` or ``PrinterOffline`` are
    raised before anything is sent. After sending, it is asked again: the answer
    proves every byte arrived. ``PrintInterrupted`` when the connection breaks or
    the printer stops answering meanwhile; ``PaperOut`` when the roll ran out during
    the ticket. A printer that does not answer (``unknown``) is printed on all the same.
    """
    name = printer.settings.describe()
    timeout = timeout or printer.settings.timeout
    before = status(printer)
    if before == "paper_out":
        raise PaperOut(name)
    if before == "offline":
        raise PrinterOffline(name, "the printer reports that it is offline")
    _set_timeouts(printer, read=timeout, write=timeout)
    try:
        printer.device._raw(data)
        _flush(printer)
    except OSError as exc:
        raise PrintInterrupted(name, str(exc) or type(exc).__name__) from exc
    if before != "ok":
        return
    after = _query(printer, timeout)
    if after == "paper_out":
        raise PaperOut(name, "the roll ran out during the ticket")
    if after != "ok":
        raise PrintInterrupted(name, f"no confirmation from the printer ({after})")


def send_ticket(settings: PrinterSettings, data: bytes, timeout: float | None = None) -> None:
    """Open the printer, print one ticket, close: each job on a fresh connection, so
    that the kiosk recovers by itself when the printer does."""
    with open_printer(settings) as printer:
        print_ticket(printer, data, timeout)


def check_status(settings: PrinterSettings) -> Status:
    """The printer's status on a fresh connection (for the admin); never raises."""
    try:
        with open_printer(settings) as printer:
            return status(printer)
    except PrinterOffline:
        return "offline"
    except PrinterError:
        return "unknown"


def _query(printer: Printer, wait: float) -> Status:
    """Ask with DLE EOT 1 (online?) and DLE EOT 4 (paper?), as python-escpos'
    ``is_online`` and ``paper_status`` do; unlike them, tell silence from offline."""
    from kiosk import escpos_lib as lib

    _set_timeouts(printer, read=wait, write=printer.settings.timeout)
    online = _ask(printer, lib.RT_STATUS_ONLINE)
    if online in ("offline", "unknown"):
        return online
    paper = _ask(printer, lib.RT_STATUS_PAPER)
    if isinstance(paper, bytes) and (paper[-1] & lib.RT_MASK_NOPAPER) == lib.RT_MASK_NOPAPER:
        return "paper_out"
    if paper == "offline":
        return "offline"
    # A printer out of paper says offline too: paper, the more precise, is decided above.
    return "offline" if online[-1] & lib.RT_MASK_ONLINE else "ok"


def _ask(printer: Printer, query: bytes) -> bytes | Literal["offline", "unknown"]:
    """The answer to one DLE EOT query, or why there is none."""
    try:
        answer = bytes(printer.device.query_status(query))
    except OSError as exc:
        return "unknown" if _is_timeout(exc) else "offline"
    if answer:
        return answer
    # A socket that reads nothing was closed by the printer; a serial port timed out.
    return "offline" if printer.settings.kind == "network" else "unknown"


def _set_timeouts(printer: Printer, read: float, write: float) -> None:
    kind = printer.settings.kind
    connection: Any = printer.device.device if kind in ANSWERING else None
    if kind == "network":
        connection.settimeout(read)
    elif kind == "usb":
        connection.default_timeout = _milliseconds(read)
        printer.device.timeout = _milliseconds(write)
    elif kind == "serial":
        connection.timeout = read
        connection.write_timeout = write


def _flush(printer: Printer) -> None:
    flush = getattr(printer.device, "flush", None)
    if callable(flush):
        flush()


def _is_timeout(exc: OSError) -> bool:
    return isinstance(exc, TimeoutError) or exc.errno == errno.ETIMEDOUT


def _milliseconds(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _last_line(exc: Exception) -> str:
    """The cause python-escpos wraps: the last line of its message."""
    text = str(getattr(exc, "msg", "") or exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__
