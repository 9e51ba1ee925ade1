"""``rinda-server device ...`` and ``rinda-server user ...``: thin wrappers over ``Accounts``.

They open the database file directly (not the whole ``Store``), so they are quick
and safe while the server runs. A token or a generated password is printed once, on
a line of its own, and never again: ``list`` shows no secret.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from queue_server.clock import Clock
from queue_server.config.options import add_config_option, office_from

from .accounts import Accounts, Device, User
from .errors import AccountError
from .rules import ALL_DIVISIONS, KINDS, PASSWORD_MIN, ROLES

PROG = "rinda-server"


def add_parsers(subparsers: Any) -> None:
    """Add ``device`` and ``user`` to an ``ArgumentParser``'s sub-parsers."""
    _add_device_parser(subparsers)
    _add_user_parser(subparsers)


def _add_device_parser(subparsers: Any) -> None:
    device = subparsers.add_parser(
        "device",
        help="add, list and revoke kiosks and displays",
        description="Manage the kiosks and displays that may connect, and their tokens.",
    )
    actions = device.add_subparsers(dest="action", required=True, metavar="ACTION")

    add = actions.add_parser(
        "add",
        help="register a kiosk or a display and print its token once",
        description="Register a device of one division and print its token, once.",
    )
    _db_argument(add, creates=True)
    add.add_argument("--division", required=True, help="the division id, e.g. riga-1")
    add.add_argument("--kind", required=True, help=f"one of: {', '.join(KINDS)}")
    add.add_argument("--name", required=True, help='what admins call it, e.g. "Kiosk 1"')
    add_config_option(add)
    add.set_defaults(handler=run_device_add)

    listing = actions.add_parser(
        "list",
        help="list the devices (never their tokens)",
        description="List every device, revoked ones too. Tokens are never shown.",
    )
    _db_argument(listing)
    add_config_option(listing)
    listing.set_defaults(handler=run_device_list)

    revoke = actions.add_parser(
        "revoke",
        help="revoke a device: its token stops working at once",
        description=(
            "Revoke a device for good. Its token stops working, and a running server "
            "disconnects it. To replace it, add a new device."
        ),
    )
    _db_argument(revoke)
    revoke.add_argument("id", help="the device id, e.g. d3 (see `device list`)")
    add_config_option(revoke)
    revoke.set_defaults(handler=run_device_revoke)


def _add_user_parser(subparsers: Any) -> None:
    user = subparsers.add_parser(
        "user",
        help="add, list and disable clerk and admin accounts; set passwords",
        description="Manage the personal accounts of clerks and admins.",
    )
    actions = user.add_subparsers(dest="action", required=True, metavar="ACTION")

    add = actions.add_parser(
        "add",
        help="create an account and print its generated password once",
        description=(
            "Create a personal account. A strong password is generated and printed "
            "once, unless --password-stdin gives one."
        ),
    )
    _db_argument(add, creates=True)
    add.add_argument("username", help="3-64 ASCII letters, digits and . _ @ -")
    add.add_argument("--role", required=True, help=f"one of: {', '.join(ROLES)}")
    add.add_argument(
        "--division",
        action="append",
        default=[],
        metavar="ID",
        help="a division the account works in (repeat for several)",
    )
    add.add_argument(
        "--all-divisions", action="store_true", help="every division, present and future"
    )
    _password_stdin_option(add)
    add_config_option(add)
    add.set_defaults(handler=run_user_add)

    listing = actions.add_parser(
        "list",
        help="list the accounts (never their passwords)",
        description="List every account, disabled ones too. Passwords are never shown.",
    )
    _db_argument(listing)
    add_config_option(listing)
    listing.set_defaults(handler=run_user_list)

    disable = actions.add_parser(
        "disable",
        help="disable an account: it can no longer log in",
        description=(
            "Disable an account for good: it can no longer log in, and a running server "
            "disconnects its sessions. Its id stays in the statistics."
        ),
    )
    _db_argument(disable)
    disable.add_argument("username")
    add_config_option(disable)
    disable.set_defaults(handler=run_user_disable)

    passwd = actions.add_parser(
        "passwd",
        help="give an account a new password and print it once",
        description=(
            "Give an account a new generated password, printed once (or the one read "
            "with --password-stdin). Its open sessions are disconnected."
        ),
    )
    _db_argument(passwd)
    passwd.add_argument("username")
    _password_stdin_option(passwd)
    add_config_option(passwd)
    passwd.set_defaults(handler=run_user_passwd)


def _db_argument(parser: argparse.ArgumentParser, *, creates: bool = False) -> None:
    more = " (created if missing)" if creates else ""
    parser.add_argument("db", type=Path, help=f"the database file{more}")
    parser.set_defaults(creates=creates)


def _password_stdin_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help=f"read the password (at least {PASSWORD_MIN} characters) from standard input",
    )


# ------------------------------------------------------------------ handlers


def run_device_add(args: argparse.Namespace) -> int:
    with _open(args) as accounts:
        device, token = accounts.add_device(args.division, args.kind, args.name, _now())
    print(f'Added {device.kind} {device.id} "{device.name}" at {device.division}.')
    print(
        "Its token is shown only this once and cannot be shown again "
        "(if it is lost, revoke the device and add a new one):"
    )
    print(token)
    return 0


def run_device_list(args: argparse.Namespace) -> int:
    with _open(args) as accounts:
        devices = accounts.list_devices()
        when = _clock(accounts)
    if not devices:
        print("No devices yet: add one with `rinda-server device add`.")
        return 0
    _print_table(
        ("ID", "DIVISION", "KIND", "NAME", "ADDED", "REVOKED"),
        [_device_row(device, when) for device in devices],
    )
    return 0


def run_device_revoke(args: argparse.Namespace) -> int:
    with _open(args) as accounts:
        device = accounts.revoke_device(args.id, _now())
    print(
        f'Revoked {device.kind} {device.id} "{device.name}" at {device.division}: its token '
        "no longer works, and a running server disconnects it."
    )
    return 0


def run_user_add(args: argparse.Namespace) -> int:
    divisions = list(args.division)
    if args.all_divisions:
        divisions.append(ALL_DIVISIONS)
    if not divisions:
        raise AccountError(
            "Name the account's divisions with --division ID (once per division) "
            "or give --all-divisions."
        )
    password = _read_password() if args.password_stdin else None
    with _open(args) as accounts:
        user, password = accounts.add_user(args.username, args.role, divisions, _now(), password)
    print(f"Added {user.role} {user.id} {user.username!r} for {_divisions(user)}.")
    if not args.password_stdin:
        _print_password(password)
    return 0


def run_user_list(args: argparse.Namespace) -> int:
    with _open(args) as accounts:
        users = accounts.list_users()
        when = _clock(accounts)
    if not users:
        print("No accounts yet: add one with `rinda-server user add`.")
        return 0
    _print_table(
        ("ID", "USERNAME", "ROLE", "DIVISIONS", "ADDED", "PASSWORD SET", "DISABLED"),
        [_user_row(user, when) for user in users],
    )
    return 0


def run_user_disable(args: argparse.Namespace) -> int:
    with _open(args) as accounts:
        user = accounts.disable_user(args.username, _now())
    print(
        f"Disabled {user.role} {user.id} {user.username!r}: it can no longer log in, and a "
        "running server disconnects its sessions."
    )
    return 0


def run_user_passwd(args: argparse.Namespace) -> int:
    given = _read_password() if args.password_stdin else None
    with _open(args) as accounts:
        password = accounts.set_password(args.username, _now(), given)
    print(f"Set a new password for {args.username!r}; its open sessions are disconnected.")
    if given is None:
        _print_password(password)
    return 0


# ------------------------------------------------------------------- helpers


def _open(args: argparse.Namespace) -> Accounts:
    """``Accounts`` on the file the arguments name, checking divisions against their office."""
    if not args.creates and not args.db.exists():
        raise AccountError(f"{args.db} does not exist: name the server's database file.")
    return Accounts.open(args.db, office_from(args))


def _now() -> int:
    # The machine's clock, on purpose: these instants record when someone changed an
    # account (the audit), and no rule compares them with a server's clock.
    return Clock()()


def _read_password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\r\n")


def _print_password(password: str) -> None:
    print(
        "Its password is shown only this once and cannot be shown again "
        "(`rinda-server user passwd` sets a new one):"
    )
    print(password)


def _clock(accounts: Accounts) -> ZoneInfo:
    office = accounts.office
    return ZoneInfo(office.timezone if office is not None else "Europe/Riga")


def _time(ms: int | None, zone: ZoneInfo) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, zone).strftime("%Y-%m-%d %H:%M")


def _divisions(user: User) -> str:
    return "all divisions" if user.all_divisions else ", ".join(user.divisions)


def _device_row(device: Device, zone: ZoneInfo) -> tuple[str, ...]:
    return (
        device.id,
        device.division,
        device.kind,
        device.name,
        _time(device.created_at, zone),
        _time(device.revoked_at, zone),
    )


def _user_row(user: User, zone: ZoneInfo) -> tuple[str, ...]:
    return (
        user.id,
        user.username,
        user.role,
        "*" if user.all_divisions else ",".join(user.divisions),
        _time(user.created_at, zone),
        _time(user.password_changed_at, zone),
        _time(user.disabled_at, zone),
    )


def _print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())
