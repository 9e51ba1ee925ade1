"""Configuration at the edge: the office from TOML files, texts from the catalogs.

Each program calls ``load_office()`` and ``Catalog.load()`` once at start and passes
the results down; nothing else reads configuration files.
"""

from __future__ import annotations

from queue_server.config.assets import default_catalog_dir, default_config_path
from queue_server.config.catalog import Catalog
from queue_server.config.divisions import WEEKDAYS
from queue_server.config.errors import ConfigError, MissingTextError, Problem
from queue_server.config.load import load_office
from queue_server.config.office import RULE_KEYS
from queue_server.core.settings import ACCESSIBILITY_FEATURES

__all__ = [
    "ACCESSIBILITY_FEATURES",
    "RULE_KEYS",
    "WEEKDAYS",
    "Catalog",
    "ConfigError",
    "MissingTextError",
    "Problem",
    "default_catalog_dir",
    "default_config_path",
    "load_office",
]
