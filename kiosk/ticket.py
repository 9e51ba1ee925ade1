"""The printed ticket: laid out by a pure function, returned as ESC/POS bytes.

``render`` takes what the server confirmed (the ``ticket`` answer to ``issue``), the
division block of the snapshot, the visitor's language, the paper and printer profile
and the catalogs, and returns the bytes to send to the printer: no clock, no I/O.
``plain_text`` gives the same content as lines, for the screen and for speech.

The text of a ticket is printed in one code page (``kiosk.codepages``), selected once
with ``ESC t n`` right after ``ESC @``; every line is encoded with Python's codec for
it. docs/printing.md shows the layout.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from kiosk import codepages
from queue_server.config.catalog import Catalog

DEFAULT_TIMEZONE = "Europe/Riga"
MINUTE_MS = 60_000
NO_BREAK = "\u00a0"

Kind = Literal[
    "title", "label", "number", "note", "service", "detail", "text", "warning", "qr", "gap"
]


@dataclass(frozen=True)
class TicketSettings:
    """The paper and the printer model a ticket is laid out for."""

    #: python-escpos printer profile (``default``: a generic Epson-compatible printer).
    profile: str = "default"
    #: Characters per line in the normal font: 42 or 48 on 80 mm paper, 32 on 58 mm.
    columns: int = 42
    #: Magnification of the ticket number (1-8; 4 makes P001 about 12 mm high).
    number_size: int = 4
    #: Dot size of a QR code module (1-16).
    qr_size: int = 6

    def __post_init__(self) -> None:
        if not 16 <= self.columns <= 80:
            raise ValueError(f"columns must be 16-80 characters, not {self.columns}")
        if not 1 <= self.number_size <= 8:
            raise ValueError(f"number_size must be 1-8, not {self.number_size}")
        if not 1 <= self.qr_size <= 16:
            raise ValueError(f"qr_size must be 1-16, not {self.qr_size}")
        codepages.profile_code_pages(self.profile)  # raises UnknownProfile


@dataclass(frozen=True)
class RenderedTicket:
    """A ticket ready for the printer."""

    #: The ESC/POS bytes, from ``ESC @`` to the cut.
    data: bytes
    #: The one code page its text is encoded in (``CP1257``; ``ASCII``: none selected).
    code_page: str
    #: ``n`` of the ``ESC t n`` sent (None when none was sent).
    code_page_number: int | None
    #: The printed text, line by line as wrapped (the QR code is not a line).
    lines: tuple[str, ...]
    #: Characters the code page lacks and what was printed instead (empty: exact).
    replaced: Mapping[str, str]
    #: What the admin may want to know: transliteration, no QR support, narrow paper.
    warnings: tuple[str, ...]

    @property
    def exact(self) -> bool:
        """Every character printed as written."""
        return not self.replaced


@dataclass(frozen=True)
class _Part:
    kind: Kind
    text: str = ""


@dataclass(frozen=True)
class _Style:
    align: Literal["left", "center"] = "left"
    bold: bool = False
    width: int = 1
    height: int = 1
    indent: str = ""


#: How each kind of line is printed (a gap is an empty line; the QR code is centred).
_STYLES: Mapping[Kind, _Style] = {
    "title": _Style("center", bold=True, height=2),
    "label": _Style("center"),
    "number": _Style("center", bold=True),  # magnified by TicketSettings.number_size
    "note": _Style("center"),
    "service": _Style(bold=True),
    "detail": _Style(indent="   "),
    "text": _Style(),
    "warning": _Style(bold=True),
}


def plain_text(
    ticket: Mapping[str, Any],
    division: Mapping[str, Any],
    lang: str,
    catalog: Catalog,
    status_url: str | None = None,
) -> list[str]:
    """The ticket's content as readable lines, unwrapped, in the printed order."""
    parts = _parts(ticket, division, lang, catalog, status_url, qr=status_url is not None)
    return [p.text for p in parts if p.text and p.kind != "qr"]


def render(
    ticket: Mapping[str, Any],
    division: Mapping[str, Any],
    lang: str,
    settings: TicketSettings,
    catalog: Catalog,
    status_url: str | None = None,
) -> RenderedTicket:
    """The ticket as ESC/POS bytes for ``settings``' paper and printer profile.

    ``ticket`` is the server's answer to ``issue`` (number, services, priority,
    appointment, due, issued_at, ahead, wait_ms, past_closing, closing_at);
    ``division`` the snapshot's ``division`` block (name, services, priorities, hours,
    contacts, timezone); ``status_url`` the visit's live status page for the QR code.
    """
    from kiosk import escpos_lib

    printer = escpos_lib.Dummy(profile=settings.profile)
    has_qr = bool(printer.profile.supports("qrCode"))
    parts = _parts(ticket, division, lang, catalog, status_url, qr=has_qr)
    page = codepages.choose(
        "\n".join(p.text for p in parts if p.kind != "qr"), settings.profile, lang
    )

    warnings: list[str] = []
    if status_url is not None and not has_qr:
        warnings.append(
            f"printer profile {settings.profile!r} has no QR codes: the status page "
            "address is printed as text"
        )
    font_columns = printer.profile.get_columns(0)
    if settings.columns > font_columns:
        warnings.append(
            f"{settings.columns} columns configured, but profile {settings.profile!r} "
            f"prints {font_columns} in its normal font: lines may break in the wrong place"
        )

    printer.hw("INIT")
    if page.number is not None:
        printer._raw(escpos_lib.CODEPAGE_CHANGE + bytes([page.number]))
    replaced: dict[str, str] = {}
    lines: list[str] = []

    def emit(text: str, width: int, indent: str = "") -> None:
        printable = codepages.transliterate(text, page, lang)
        replaced.update(printable.replaced)
        for line in _wrap(printable.text, width, indent):
            lines.append(line)
            printer._raw(codepages.encode(line, page) + b"\n")

    for part in parts:
        if part.kind == "gap":
            printer._raw(b"\n")
        elif part.kind == "qr":
            printer.set(align="center")
            printer.qr(part.text, ec=escpos_lib.QR_ECLEVEL_M, size=settings.qr_size, native=True)
            printer._raw(b"\n")
        else:
            style = _STYLES[part.kind]
            width, height = style.width, style.height
            if part.kind == "number":
                # As large as configured, as long as the number fits on one line.
                width = height = max(
                    1, min(settings.number_size, settings.columns // max(1, len(part.text)))
                )
            printer.set(
                align=style.align, bold=style.bold, custom_size=True, width=width, height=height
            )
            emit(part.text, settings.columns // width, style.indent)
    printer.cut()

    if replaced:
        shown = ", ".join(f"{old!r}→{new!r}" for old, new in replaced.items())
        warnings.insert(
            0,
            f"printer profile {settings.profile!r} has no code page with every character "
            f"of this ticket; printed in {page.name} with {shown}",
        )
    return RenderedTicket(
        data=printer.output,
        code_page=page.name,
        code_page_number=page.number,
        lines=tuple(lines),
        replaced=replaced,
        warnings=tuple(warnings),
    )


def wait_text(wait_ms: int | None, lang: str, catalog: Catalog) -> str:
    """``about 25 min``: the estimated wait, rounded to 5 minutes, or ``unknown``."""
    if wait_ms is None:
        return catalog.text(lang, "ticket.wait_unknown")
    minutes = math.ceil(max(0, wait_ms) / MINUTE_MS)
    if minutes < 5:
        return catalog.text(lang, "ticket.wait_short", minutes=5)
    rounded = 5 * round(minutes / 5)
    hours, rest = divmod(rounded, 60)
    if hours == 0:
        return catalog.text(lang, "ticket.wait_minutes", minutes=rounded)
    if rest == 0:
        return catalog.text(lang, "ticket.wait_whole_hours", hours=hours)
    return catalog.text(lang, "ticket.wait_hours", hours=hours, minutes=rest)


def _parts(
    ticket: Mapping[str, Any],
    division: Mapping[str, Any],
    lang: str,
    catalog: Catalog,
    status_url: str | None,
    qr: bool,
) -> list[_Part]:
    zone = ZoneInfo(division.get("timezone") or DEFAULT_TIMEZONE)

    def text(key: str, **params: Any) -> str:
        return catalog.text(lang, f"ticket.{key}", **params)

    parts = [
        _Part("title", _local(division.get("name", {}), lang)),
        _Part("gap"),
        _Part("label", text("your_number")),
        _Part("number", str(ticket["number"])),
        _Part("note", text("watch_screen")),
        _Part("gap"),
    ]

    services = {s["id"]: s for s in division.get("services", ())}
    chosen: Sequence[str] = ticket.get("services", ())
    for index, service_id in enumerate(chosen, start=1):
        service = services.get(service_id, {})
        name = _local(service.get("name", {}), lang) or service_id
        parts.append(_Part("service", f"{index}. {name}" if len(chosen) > 1 else name))
        bring = _local(service.get("bring", {}), lang)
        if bring:
            parts.append(_Part("detail", text("bring", items=bring)))
    parts.append(_Part("gap"))

    ahead = int(ticket.get("ahead") or 0)
    parts.append(_Part("text", text("ahead", count=ahead) if ahead else text("next_in_line")))
    # "25 min" stays on one line: the wait's words are joined by no-break spaces.
    wait = wait_text(ticket.get("wait_ms"), lang, catalog).replace(" ", NO_BREAK)
    parts.append(_Part("text", text("wait", wait=wait)))
    if ticket.get("past_closing"):
        closing = ticket.get("closing_at")
        parts.append(
            _Part("warning", text("past_closing", closing=_clock(closing, zone)))
            if closing is not None
            else _Part("warning", text("past_closing_no_time"))
        )

    priority = _priority_label(ticket.get("priority"), division, lang)
    if priority:
        parts.append(_Part("text", text("priority", label=priority)))
    if ticket.get("appointment"):
        due = ticket.get("due")
        parts.append(
            _Part("text", text("appointment", time=_clock(due, zone)))
            if due is not None
            else _Part("text", text("appointment_no_time"))
        )
    issued = datetime.fromtimestamp(ticket["issued_at"] / 1000, zone)
    parts.append(
        _Part(
            "text", text("issued", date=issued.strftime("%d.%m.%Y"), time=issued.strftime("%H:%M"))
        )
    )

    if status_url:
        parts.append(_Part("gap"))
        if qr:
            parts.append(_Part("note", text("status_qr")))
            parts.append(_Part("qr", status_url))
        else:
            parts.append(_Part("text", text("status_link", url=status_url)))

    parts.append(_Part("gap"))
    parts.append(_Part("text", _hours_today(division.get("hours", {}), lang, catalog)))
    contacts = division.get("contacts", {})
    parts.append(
        _Part(
            "text",
            text("complaint", address=contacts.get("address", ""), email=contacts.get("email", "")),
        )
    )
    return parts


def _hours_today(hours: Mapping[str, Any], lang: str, catalog: Catalog) -> str:
    today = hours.get("today")
    if not today:
        key = "hours.holiday" if hours.get("kind") == "holiday" else "ticket.closed_today"
        return catalog.text(lang, key)
    opens, closes = (f"{m // 60:02d}:{m % 60:02d}" for m in today)
    key = "hours.pre_holiday" if hours.get("kind") == "pre_holiday" else "ticket.hours_today"
    return catalog.text(lang, key, open=opens, close=closes)


def _priority_label(priority: str | None, division: Mapping[str, Any], lang: str) -> str:
    for category in division.get("priorities", ()):
        if priority is not None and category.get("id") == priority:
            return _local(category.get("label", {}), lang)
    return ""


def _local(texts: Mapping[str, str], lang: str) -> str:
    """A configured text in ``lang``, else in Latvian (the official language)."""
    found = texts.get(lang) or texts.get("lv") or next(iter(texts.values()), "")
    return " ".join(found.split())


def _clock(at_ms: int, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(at_ms / 1000, zone).strftime("%H:%M")


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    """Lines of at most ``width`` characters, broken between words (a longer word is
    cut), continuation lines indented like the first."""
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent,
        break_on_hyphens=False,
    ) or [""]
