"""Refusals of the protocol itself: the message, not the rules of the lobby.

Like ``DomainError`` each carries a stable ``code``; the server sends both kinds as
one ``error`` message, so a client handles them alike.
"""

from __future__ import annotations

from typing import Any


class ProtocolError(Exception):
    """A message that cannot be taken as it is: malformed, unknown, or not allowed."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        assert code in CODES, code
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


#: Every protocol error code, with what it means (docs/protocol.md lists them).
CODES: dict[str, str] = {
    "bad_json": "The message is not valid JSON text.",
    "not_an_object": "The message is not a JSON object.",
    "unknown_type": "No request has this type.",
    "missing_field": "A required field is missing.",
    "unknown_field": "The request has a field it does not take.",
    "bad_field": "A field has the wrong type, length or format.",
    "not_authenticated": "The first message must be a hello.",
    "already_authenticated": "This connection has already said hello.",
    "auth_failed": "The token or the user name and password are not valid.",
    "link_expired": "The visitor's status link is not valid (today).",
    "forbidden": "This role may not send this request.",
    "wrong_division": "The account or device does not belong to this division.",
    "wrong_counter": "A clerk acts only at the counter they logged in to.",
    "unknown_division": "No such division is configured.",
    "rate_limited": "Too many messages: slow down.",
    "unknown_device": "No such device in this division.",
    "unknown_user": "No such account in this division.",
    "username_taken": "The username is taken (usernames are never reused).",
    "already_inactive": "The device is already revoked, or the account already disabled.",
    "invalid_account": "A username, name or password that the rules do not allow.",
    "unavailable": "The server cannot store anything now (the disk may be full).",
    "internal": "The server failed unexpectedly; nothing was changed.",
}
