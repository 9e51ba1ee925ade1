"""What a device or an account may look like: roles, kinds, usernames, passwords.

Each ``check_*`` returns the value as it will be stored, or raises ``InvalidAccount``
with a sentence saying what is wrong.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from queue_server.core.settings import Office

from .errors import InvalidAccount
from .hashing import normalize_password

#: Device kinds: a kiosk issues tickets, a display only listens.
KINDS = ("kiosk", "display")
#: Roles of personal accounts: a clerk serves at a counter, an admin configures.
ROLES = ("clerk", "admin")
#: In a user's divisions: every division of the office, present and future.
ALL_DIVISIONS = "*"
USERNAME_MIN = 3
USERNAME_MAX = 64
PASSWORD_MIN = 10
PASSWORD_MAX = 1024
NAME_MAX = 80

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]*")


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidAccount(f"Unknown device kind {kind!r}: a device is a kiosk or a display.")
    return kind


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidAccount(f"Unknown role {role!r}: an account is a clerk or an admin.")
    return role


def check_username(username: str) -> str:
    """The username in lower case: usernames are case-insensitive."""
    if not isinstance(username, str):
        raise InvalidAccount("A username is text.")
    if not USERNAME_MIN <= len(username) <= USERNAME_MAX:
        raise InvalidAccount(
            f"The username {username[:USERNAME_MAX]!r} has {len(username)} characters; "
            f"a username has {USERNAME_MIN} to {USERNAME_MAX}."
        )
    lowered = username.lower()
    if not lowered.isascii() or not _USERNAME.fullmatch(lowered):
        raise InvalidAccount(
            f"The username {username!r} is not allowed: use ASCII letters, digits and "
            ". _ @ - only, starting with a letter or a digit."
        )
    return lowered


def check_password(password: str) -> str:
    """The password as it will be hashed (Unicode-normalized)."""
    if not isinstance(password, str):
        raise InvalidAccount("A password is text.")
    normalized = normalize_password(password)
    if len(normalized) < PASSWORD_MIN:
        raise InvalidAccount(
            f"The password is too short ({len(normalized)} characters): "
            f"a password has at least {PASSWORD_MIN}."
        )
    if len(normalized) > PASSWORD_MAX:
        raise InvalidAccount(f"The password is too long: at most {PASSWORD_MAX} characters.")
    return normalized


def check_name(name: str) -> str:
    """A device's name as shown to admins: 1 to 80 printable characters."""
    stripped = name.strip() if isinstance(name, str) else ""
    if not stripped:
        raise InvalidAccount("A device needs a name, such as 'Kiosk 1' or 'Hall display'.")
    if len(stripped) > NAME_MAX or not stripped.isprintable():
        raise InvalidAccount(
            f"The device name {stripped[:NAME_MAX]!r} is not allowed: "
            f"use at most {NAME_MAX} printable characters."
        )
    return stripped


def check_division(division: str, office: Office | None) -> str:
    """A division id; with an ``office``, one it configures."""
    if not isinstance(division, str) or not division or division != division.strip():
        raise InvalidAccount(f"{division!r} is not a division id.")
    if office is not None and division not in office.divisions:
        close = difflib.get_close_matches(division, list(office.divisions), n=3)
        hint = f" Did you mean {_either(close)}?" if close else ""
        raise InvalidAccount(
            f"Unknown division {division!r}: the configuration has no such division.{hint}"
        )
    return division


def check_divisions(divisions: Iterable[str], office: Office | None) -> tuple[str, ...]:
    """Division ids without repeats, or ``("*",)`` for all divisions."""
    if isinstance(divisions, str):
        raise InvalidAccount(f"Give the divisions as a list of ids, such as [{divisions!r}].")
    found = tuple(dict.fromkeys(divisions))
    if not found:
        raise InvalidAccount("An account needs at least one division, or all divisions.")
    if ALL_DIVISIONS in found:
        if len(found) > 1:
            raise InvalidAccount("An account has either all divisions or a list of them, not both.")
        return found
    return tuple(check_division(division, office) for division in found)


def _either(names: list[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return " or ".join(filter(None, (", ".join(names[:-1]), names[-1])))
