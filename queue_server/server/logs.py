"""Structured logs: one JSON object per line on stderr, and no personal data.

Log lines name divisions, roles, device and account ids, message types, sequence
numbers and error codes: never a name, a password, a token, a booking contact, a
free-text note, or a visitor's address (sources are logged as a short keyed hash).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import time
import traceback
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from queue_server.supervisor import Job

_LOGGER = logging.getLogger("rinda")
_SALT = os.urandom(16)


def setup(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    _LOGGER.handlers[:] = [handler]
    _LOGGER.setLevel(level)
    _LOGGER.propagate = False


def log(event: str, level: int = logging.INFO, **fields: Any) -> None:
    if not _LOGGER.isEnabledFor(level):
        return
    record = {"ts": round(time.time(), 3), "level": logging.getLevelName(level).lower()}
    record["event"] = event
    record.update({k: v for k, v in fields.items() if v is not None})
    _LOGGER.log(level, json.dumps(record, ensure_ascii=False, default=str))


def source_tag(address: str) -> str:
    """A short tag for a peer address: it tells sources apart without naming them."""
    return hashlib.blake2s(address.encode(), key=_SALT, digest_size=4).hexdigest()


def report(what: str, job: Job, error: BaseException | None) -> None:
    """The server's report of its supervised work (``queue_server.supervisor``): a
    failure with its traceback, a reminder while it goes on, its end."""
    level = logging.INFO if what == "recovered" else logging.ERROR
    fields: dict[str, Any] = {"job": job.name, "failures": job.failures, "streak": job.streak}
    if error is not None:
        fields["error"] = job.last_error
    if what == "failed" and error is not None:
        fields["traceback"] = "".join(traceback.format_exception(error))
    log(f"task_{what}", level=level, **fields)
