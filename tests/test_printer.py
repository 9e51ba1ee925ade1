"""Printing a ticket on a real (fake) network printer, and every fault on the way."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.printer import (
    PaperOut,
    PrinterError,
    PrinterOffline,
    PrinterSettings,
    PrintInterrupted,
    check_status,
    open_printer,
    print_ticket,
    send_ticket,
    status,
)
from kiosk.ticket import render
from queue_server.config import Catalog
from tests.conftest import TIMEOUT
from tests.fake_printer import FakePrinter
from tests.test_ticket import DIVISION, STATUS_URL, issued

#: Short enough that a test of silence is quick, long enough for a loaded machine.
STATUS_TIMEOUT = TIMEOUT / 20


@pytest.fixture
def fake() -> Iterator[FakePrinter]:
    with FakePrinter() as printer:
        yield printer


@pytest.fixture(scope="module")
def ticket_bytes() -> bytes:
    settings = PrinterSettings().ticket_settings()
    return render(issued(), DIVISION, "lv", settings, Catalog.load(), STATUS_URL).data


def network(fake: FakePrinter) -> PrinterSettings:
    return PrinterSettings(
        kind="network",
        host=fake.host,
        port=fake.port,
        timeout=TIMEOUT,
        status_timeout=STATUS_TIMEOUT,
    )


# -- the network printer ------------------------------------------------------------------


def test_a_good_ticket_arrives_byte_exact(fake: FakePrinter, ticket_bytes: bytes) -> None:
    send_ticket(network(fake), ticket_bytes)
    assert fake.jobs == [ticket_bytes]
    # Asked online and paper before, and again after: the answer confirms delivery.
    assert fake.queries == [1, 4, 1, 4]


def test_paper_out_is_found_before_printing(fake: FakePrinter, ticket_bytes: bytes) -> None:
    fake.run_out_of_paper()
    with pytest.raises(PaperOut) as caught:
        send_ticket(network(fake), ticket_bytes)
    assert fake.printed == b""
    assert caught.value.status == "paper_out"
    assert "out of paper" in str(caught.value) and f"{fake.host}:{fake.port}" in str(caught.value)


def test_offline_is_found_before_printing(fake: FakePrinter, ticket_bytes: bytes) -> None:
    fake.go_offline()
    with pytest.raises(PrinterOffline) as caught:
        send_ticket(network(fake), ticket_bytes)
    assert fake.printed == b""
    assert caught.value.status == "offline"
    assert "switched on" in str(caught.value)


def test_a_connection_dropped_mid_ticket_is_an_interruption(
    fake: FakePrinter, ticket_bytes: bytes
) -> None:
    fake.drop_after_bytes(300)
    with pytest.raises(PrintInterrupted) as caught:
        send_ticket(network(fake), ticket_bytes)
    assert fake.jobs == [ticket_bytes[:300]]
    assert isinstance(caught.value, PrinterError)
    assert "may be incomplete" in str(caught.value)


def test_paper_running_out_during_the_ticket_is_reported(
    fake: FakePrinter, ticket_bytes: bytes
) -> None:
    """The confirmation after the ticket finds the roll empty: the ticket is cut short."""
    fake.run_out_of_paper_after(200)
    with pytest.raises(PaperOut, match="during the ticket"):
        send_ticket(network(fake), ticket_bytes)
    assert fake.jobs == [ticket_bytes]


def test_printing_works_again_once_the_printer_recovers(
    fake: FakePrinter, ticket_bytes: bytes
) -> None:
    settings = network(fake)
    fake.drop_after_bytes(100)
    with pytest.raises(PrintInterrupted):
        send_ticket(settings, ticket_bytes)
    fake.run_out_of_paper()
    with pytest.raises(PaperOut):
        send_ticket(settings, ticket_bytes)
    fake.recover()
    send_ticket(settings, ticket_bytes)
    assert fake.jobs[-1] == ticket_bytes


def test_a_refused_connection_is_offline(fake: FakePrinter, ticket_bytes: bytes) -> None:
    settings = network(fake)
    fake.refuse()
    with pytest.raises(PrinterOffline) as caught:
        send_ticket(settings, ticket_bytes)
    assert "refused" in str(caught.value).lower()
    assert check_status(settings) == "offline"
    fake.recover()
    assert check_status(settings) == "ok"
    send_ticket(settings, ticket_bytes)
    assert fake.jobs[-1] == ticket_bytes


def test_status_for_the_admin(fake: FakePrinter) -> None:
    settings = network(fake)
    assert check_status(settings) == "ok"
    fake.paper_low()
    assert check_status(settings) == "ok"  # near its end, it still prints
    fake.run_out_of_paper()
    assert check_status(settings) == "paper_out"
    fake.recover()
    fake.go_offline()
    assert check_status(settings) == "offline"
    fake.recover()
    fake.stop_answering()
    assert check_status(settings) == "unknown"


def test_one_connection_serves_a_status_check_and_a_ticket(
    fake: FakePrinter, ticket_bytes: bytes
) -> None:
    with open_printer(network(fake)) as printer:
        assert status(printer) == "ok"
        print_ticket(printer, ticket_bytes)
    assert fake.connections == 1
    assert fake.jobs == [ticket_bytes]


def test_a_printer_that_never_answers_is_printed_on_all_the_same(
    fake: FakePrinter, ticket_bytes: bytes
) -> None:
    """A one-way print server: no status, no confirmation, no hanging either."""
    fake.stop_answering()
    started = time.monotonic()
    send_ticket(network(fake), ticket_bytes)
    assert time.monotonic() - started < TIMEOUT
    assert fake.wait_for_job(len(ticket_bytes), TIMEOUT) == ticket_bytes


def test_an_unreachable_host_fails_within_the_timeout(ticket_bytes: bytes) -> None:
    """192.0.2.1 (TEST-NET-1) never answers: the connect gives up, it does not hang."""
    settings = PrinterSettings(kind="network", host="192.0.2.1", timeout=STATUS_TIMEOUT)
    started = time.monotonic()
    with pytest.raises(PrinterOffline):
        send_ticket(settings, ticket_bytes)
    assert time.monotonic() - started < TIMEOUT


# -- the other kinds ----------------------------------------------------------------------


def test_the_file_printer_writes_the_bytes(tmp_path: Path, ticket_bytes: bytes) -> None:
    target = tmp_path / "ticket.bin"
    settings = PrinterSettings(kind="file", path=str(target))
    send_ticket(settings, ticket_bytes)
    assert target.read_bytes() == ticket_bytes
    assert check_status(settings) == "unknown"  # a file cannot say whether it has paper


def test_a_missing_device_file_is_offline(tmp_path: Path, ticket_bytes: bytes) -> None:
    settings = PrinterSettings(kind="file", path=str(tmp_path / "no" / "lp0"))
    with pytest.raises(PrinterOffline):
        send_ticket(settings, ticket_bytes)


def test_the_dummy_printer_keeps_the_bytes(ticket_bytes: bytes) -> None:
    with open_printer(PrinterSettings(kind="dummy")) as printer:
        print_ticket(printer, ticket_bytes)
        assert printer.device.output == ticket_bytes


def test_a_usb_printer_that_is_not_plugged_in_is_offline_and_named(ticket_bytes: bytes) -> None:
    # pyusb and libusb are installed by setup: the real USB stack looks for the printer.
    settings = PrinterSettings(kind="usb", usb_vendor=0x04B8, usb_product=0x0E15)
    with pytest.raises(PrinterOffline) as caught:
        send_ticket(settings, ticket_bytes)
    assert "USB printer 04b8:0e15" in str(caught.value)
    assert check_status(settings) == "offline"


@pytest.mark.skipif(importlib.util.find_spec("serial") is not None, reason="pyserial installed")
def test_serial_without_pyserial_says_what_is_missing(ticket_bytes: bytes) -> None:
    settings = PrinterSettings(kind="serial", device="/dev/ttyS0")
    with pytest.raises(PrinterError, match="pyserial"):
        send_ticket(settings, ticket_bytes)


# -- settings -----------------------------------------------------------------------------


def test_settings_from_the_configuration() -> None:
    settings = PrinterSettings.from_mapping(
        {"kind": "usb", "usb_vendor": "0x04b8", "usb_product": "0x0e15", "profile": "TM-T20II"}
    )
    assert (settings.usb_vendor, settings.usb_product) == (0x04B8, 0x0E15)
    assert settings.ticket_settings().profile == "TM-T20II"
    assert settings.describe() == "USB printer 04b8:0e15"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "bluetooth"}, "kind must be one of"),
        ({"kind": "network"}, "needs host"),
        ({"kind": "usb", "usb_vendor": 1}, "lsusb"),
        ({"kind": "serial"}, "needs device"),
        ({"kind": "file"}, "needs path"),
        ({"kind": "usb", "usb_vendor": "epson", "usb_product": 1}, "usb_vendor must be a number"),
        ({"kind": "dummy", "colour": "red"}, "unknown printer setting 'colour'"),
        ({"kind": "dummy", "profile": "TM-Nonexistent"}, "unknown printer profile"),
        ({"kind": "dummy", "timeout": 0}, "more than 0"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PrinterSettings.from_mapping(data)
