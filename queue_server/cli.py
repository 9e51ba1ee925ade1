"""``rinda-server``: the command line of the queue server.

Each sub-command is a thin wrapper over the library: ``serve`` runs the server,
``simulate`` plays a day at a
division, ``stats`` prints a division's statistics, ``backup`` copies the database
online, ``purge`` applies the retention
period to personal data, ``device`` and ``user`` manage who may connect
(``queue_server/accounts/cli.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from queue_server.accounts import AccountError
from queue_server.accounts import cli as accounts_cli
from queue_server.clock import Clock
from queue_server.config import ConfigError
from queue_server.config.calendar import public_holidays
from queue_server.config.options import add_config_option, office_from
from queue_server.server import cli as server_cli
from queue_server.simulate import cli as simulate_cli
from queue_server.stats import cli as stats_cli
from queue_server.store import Store, StoreError

PROG = "rinda-server"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Rinda's queue server and its maintenance commands."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    server_cli.add_parser(commands)
    simulate_cli.add_parser(commands)
    stats_cli.add_parser(commands)

    backup = commands.add_parser(
        "backup",
        help="copy the database while Rinda runs (SQLite online backup)",
        description="Write a complete, consistent copy of the database to DEST.",
    )
    backup.add_argument("db", type=Path, help="the database file")
    backup.add_argument("dest", type=Path, help="where to write the copy")
    add_config_option(backup)
    backup.set_defaults(handler=run_backup)

    purge = commands.add_parser(
        "purge",
        help="delete or blank personal data older than the retention period",
        description=(
            "Delete booking contacts and blank free-text notes older than DAYS days. "
            "Ticket numbers, times and outcomes stay for the statistics."
        ),
    )
    purge.add_argument("db", type=Path, help="the database file")
    purge.add_argument("--days", type=int, default=90, help="retention in days (default 90)")
    add_config_option(purge)
    purge.set_defaults(handler=run_purge)
    accounts_cli.add_parsers(commands)
    return parser


def _open_store(args: argparse.Namespace) -> Store:
    return Store.open(args.db, office_from(args), public_holidays())


def run_backup(args: argparse.Namespace) -> int:
    if not args.db.exists():
        print(f"{PROG} backup: {args.db} does not exist.", file=sys.stderr)
        return 2
    with _open_store(args) as store:
        written = store.backup(args.dest)
    print(f"{PROG} backup: wrote {written} (events up to #{store.last_seq}).")
    return 0


def run_purge(args: argparse.Namespace) -> int:
    if args.days < 1:
        print(f"{PROG} purge: --days must be at least 1.", file=sys.stderr)
        return 2
    with _open_store(args) as store:
        # The machine's clock: personal data is kept so many real days.
        counts = store.purge(Clock()(), args.days)
    print(json.dumps(counts, sort_keys=True))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except ConfigError as exc:
        print(f"{PROG}: the configuration has problems:\n{exc}", file=sys.stderr)
        return 2
    except AccountError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
