"""How secrets become what the file keeps: scrypt for passwords, salted SHA-256 for tokens.

A password is chosen by a person, so it is guessable: it is stretched with scrypt,
whose parameters are stored beside each hash so that they can be raised later
without breaking the hashes already stored. A device token's secret is 256 random
bits: nobody can guess it, so one salted SHA-256 is as strong as any stretching
and keeps the connection of hundreds of displays cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass

SALT_BYTES = 16
KEY_BYTES = 32
#: Random bytes in a device token's secret (256 bits).
TOKEN_SECRET_BYTES = 32


@dataclass(frozen=True, slots=True)
class ScryptParameters:
    """scrypt's cost: ``n`` (CPU and memory, a power of two), ``r`` (block size), ``p``."""

    n: int
    r: int
    p: int

    @property
    def maxmem(self) -> int:
        # What OpenSSL needs (128·r·(n + p + 2) bytes) plus a margin: its default
        # limit (32 MiB) would refuse parameters raised later.
        return 128 * self.r * (self.n + self.p + 2) + (1 << 20)


#: The parameters new passwords are hashed with (about 16 MiB and 50 ms each).
SCRYPT = ScryptParameters(n=2**14, r=8, p=1)


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def normalize_password(password: str) -> str:
    """The same password typed on different keyboards gives the same bytes (NFKC)."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str, salt: bytes, params: ScryptParameters = SCRYPT) -> bytes:
    return hashlib.scrypt(
        normalize_password(password).encode("utf-8"),
        salt=salt,
        n=params.n,
        r=params.r,
        p=params.p,
        maxmem=params.maxmem,
        dklen=KEY_BYTES,
    )


def new_token_secret() -> str:
    return secrets.token_urlsafe(TOKEN_SECRET_BYTES)


def hash_token_secret(secret: str, salt: bytes) -> bytes:
    return hashlib.sha256(salt + secret.encode("utf-8")).digest()


def same(a: bytes, b: bytes) -> bool:
    """Compare two digests in constant time."""
    return hmac.compare_digest(a, b)


def hash_session_token(token: str) -> str:
    """A console session's token as stored: SHA-256, hex (the token is 256 random bits)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
