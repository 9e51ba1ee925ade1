"""Loading the office configuration: TOML files in, one validated ``Office`` out.

``load_office()`` reads the default file; ``load_office(path, ...)`` reads an admin's
files instead, each of which may extend the default or another file. Every problem
in every file is collected into one ``ConfigError`` before anything is returned.
"""

from __future__ import annotations

import os
from pathlib import Path

from queue_server.config.assets import default_config_path
from queue_server.config.checker import Checker
from queue_server.config.divisions import (
    Context,
    check_templates,
    expand_templates,
    read_divisions,
)
from queue_server.config.layers import Layered, read_layers
from queue_server.config.office import (
    read_contacts,
    read_languages,
    read_priorities,
    read_refusal_reasons,
    read_rules,
    read_services,
    read_timezone,
)
from queue_server.config.schema import DEFAULT_TIMEZONE, OFFICE, ROOT
from queue_server.core.settings import SHIPPED_LANGUAGES, Office

__all__ = ["default_config_path", "load_office"]


def load_office(*paths: str | os.PathLike[str]) -> Office:
    """The office configured by ``paths`` (later files over earlier), or by the default.

    Raises ``ConfigError`` listing every problem as ``file: key.path: what is wrong``.
    """
    files = [Path(path) for path in paths] or [default_config_path()]
    return build_office(read_layers(files, default=default_config_path()))


def build_office(doc: Layered) -> Office:
    """Check the merged tree and turn it into the frozen settings."""
    doc = expand_templates(doc)
    check = Checker(doc)
    # ``extends`` is one of ROOT's optional keys, but ``read_layers`` has taken it out.
    root = check.table(doc.data, (), required=ROOT.required, optional=ROOT.optional)
    office = check.table(
        root.get("office"), ("office",), required=OFFICE.required, optional=OFFICE.optional
    )
    languages = read_languages(check, office.get("languages"), ("office", "languages"))
    # Texts are checked against the shipped languages until the office's own list is usable.
    text_languages = languages if "lv" in languages else SHIPPED_LANGUAGES
    timezone = read_timezone(
        check, office.get("timezone", DEFAULT_TIMEZONE), ("office", "timezone")
    )
    name = check.local_text(office.get("name"), ("office", "name"), text_languages)
    contacts = read_contacts(check, office.get("contacts"))
    rules = read_rules(check, root.get("rules"))
    services = read_services(check, root.get("services"), text_languages)
    priorities = read_priorities(check, root.get("priorities"), text_languages)
    reasons = read_refusal_reasons(check, root.get("refusal_reasons"), text_languages)
    context = Context(services, text_languages, timezone or DEFAULT_TIMEZONE)
    templates = check_templates(check, root.get("templates"), context)
    divisions = read_divisions(check, root.get("divisions"), templates, context)
    check.raise_if_any()
    return Office(
        name=name,
        contacts=contacts,
        languages=languages,
        services=services,
        priorities=priorities,
        refusal_reasons=reasons,
        divisions=divisions,
        rules=rules,
        timezone=timezone or DEFAULT_TIMEZONE,
    )
