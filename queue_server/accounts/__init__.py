"""Devices and personal accounts: who may connect to the queue server (docs/accounts.md).

``Accounts(db, office)`` adds, lists, revokes and verifies kiosks and displays (by
token) and clerks and admins (by username and password), in the tables of the
store's SQLite file; only salted hashes of secrets are kept. ``LoginThrottle``
slows down guessing. ``AccountError`` is the root of every error this package
raises (a failing file raises the store's ``StoreError``).
"""

from __future__ import annotations

from .accounts import CLI_ACTOR, AccountChange, Accounts, Device, PasswordCheck, User
from .errors import (
    AccountError,
    AlreadyInactive,
    InvalidAccount,
    UnknownDevice,
    UnknownUser,
    UsernameTaken,
)
from .hashing import SCRYPT, ScryptParameters
from .rules import ALL_DIVISIONS, KINDS, PASSWORD_MIN, ROLES
from .throttle import LoginThrottle

__all__ = [
    "ALL_DIVISIONS",
    "CLI_ACTOR",
    "KINDS",
    "PASSWORD_MIN",
    "ROLES",
    "SCRYPT",
    "AccountChange",
    "AccountError",
    "Accounts",
    "AlreadyInactive",
    "Device",
    "InvalidAccount",
    "LoginThrottle",
    "PasswordCheck",
    "ScryptParameters",
    "UnknownDevice",
    "UnknownUser",
    "User",
    "UsernameTaken",
]
