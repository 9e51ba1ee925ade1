"""Where the shipped assets live: the default configuration and the catalogs.

They sit in ``assets/`` at the top of the source tree, beside this package.
"""

from __future__ import annotations

from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parents[2] / "assets"


def default_config_path() -> Path:
    """The default configuration: every OCMA division as the standard lists it."""
    return ASSETS_DIR / "config" / "ocma.toml"


def default_catalog_dir() -> Path:
    """The directory of the shipped catalogs, one ``<lang>.toml`` per language."""
    return ASSETS_DIR / "i18n"
