"""The ``--config`` option every command of Rinda takes, in one place."""

from __future__ import annotations

import argparse

from queue_server.core.settings import Office

from .load import load_office


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        nargs="+",
        metavar="FILE",
        help="configuration files, later over earlier (default: the shipped OCMA configuration)",
    )


def office_from(args: argparse.Namespace) -> Office:
    """The configuration the ``--config`` option names (raises ``ConfigError``)."""
    return load_office(*(args.config or ()))
