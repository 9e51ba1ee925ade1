"""Rinda's WebSocket protocol: the request table, its checks, and the views per role."""

from __future__ import annotations

from .errors import CODES, ProtocolError
from .messages import MAX_MESSAGE_BYTES, REQUESTS, ROLES, SERVER_MESSAGES, Request, parse

__all__ = [
    "CODES",
    "MAX_MESSAGE_BYTES",
    "REQUESTS",
    "ROLES",
    "SERVER_MESSAGES",
    "ProtocolError",
    "Request",
    "parse",
]
