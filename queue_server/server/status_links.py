"""The visitor's status link: an unguessable address that expires with the day.

The link names the division and the ticket number (neither is personal) and carries
a MAC over them and the division's day, made with a key that only the server knows
(kept in the database, so links survive a restart). A link of yesterday, or with a
number changed by hand, does not verify; nothing needs to be stored per link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

#: ``riga-1.P001.<22 characters>``: division, number, 128-bit MAC in base64url.
_TOKEN = re.compile(r"^([A-Za-z0-9_-]{1,64})\.([A-Z][0-9]{3})\.([A-Za-z0-9_-]{22})$")
PATH_PREFIX = "/v/"


def _mac(key: bytes, division: str, day: str, number: str) -> str:
    message = f"{division}|{day}|{number}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def token(key: bytes, division: str, day: str, number: str) -> str:
    return f"{division}.{number}.{_mac(key, division, day, number)}"


def verify(key: bytes, text: str, division: str, day: str | None) -> str | None:
    """The ticket number the token is for, when it is valid today; otherwise None."""
    found = _TOKEN.match(text) if isinstance(text, str) else None
    if found is None or day is None or found.group(1) != division:
        return None
    number = found.group(2)
    expected = _mac(key, division, day, number)
    return number if hmac.compare_digest(expected, found.group(3)) else None
