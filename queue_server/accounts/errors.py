"""The accounts' exceptions. ``AccountError`` is the root: catch it to catch them all.

Every message is a sentence an admin can act on; none contains a secret.
"""

from __future__ import annotations


class AccountError(Exception):
    """A device or account could not be added, changed or found; the message says why."""


class InvalidAccount(AccountError, ValueError):
    """A value was refused: an unknown division, role or kind, a bad username or password."""


class UnknownDevice(AccountError, LookupError):
    """No device has that id."""


class UnknownUser(AccountError, LookupError):
    """No account has that username."""


class UsernameTaken(AccountError):
    """Another account (active or disabled) already has that username."""


class AlreadyInactive(AccountError):
    """The device is already revoked, or the account already disabled."""
