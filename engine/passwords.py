"""Recruiters' passwords, stored as scrypt hashes (stdlib, memory-hard, no extra dependency).

A hash reads `scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`, so the cost can rise later while old hashes
still verify (`needs_rehash`). Hashing takes tens of milliseconds of CPU on purpose: callers run it in
a worker thread, never on the event loop.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

__all__ = ["MAX_LENGTH", "MIN_LENGTH", "PasswordHasher", "policy_problem"]

MIN_LENGTH = 12
# scrypt itself takes any length; the bound keeps a hostile 1 MB "password" from costing much.
MAX_LENGTH = 256


def policy_problem(password: str) -> str | None:
    """What is wrong with a new password, or None. Length is what matters (NIST SP 800-63B), not
    character classes."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    if password.strip() != password:
        return "must not start or end with whitespace"
    return None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class PasswordHasher:
    """scrypt with cost n (a power of two), block size r and parallelism p. The defaults follow
    OWASP's minimum for scrypt (n=2^17 needs 128 MiB; 2^15 with r=8 needs 32 MiB and ~50 ms here)."""

    n: int = 2**15
    r: int = 8
    p: int = 1

    def _derive(self, password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
        return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=32)

    def hash(self, password: str) -> str:
        salt = secrets.token_bytes(16)
        digest = self._derive(password, salt, self.n, self.r, self.p)
        return f"scrypt${self.n}${self.r}${self.p}${_b64(salt)}${_b64(digest)}"

    def verify(self, password: str, stored: str) -> bool:
        parts = stored.split("$")
        if len(parts) != 6 or parts[0] != "scrypt" or len(password) > MAX_LENGTH:
            return False
        try:
            n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
            salt, expected = _unb64(parts[4]), _unb64(parts[5])
            # A cost that is not a power of two, or that needs more memory than maxmem, is refused by
            # scrypt with ValueError: a damaged row then fails to verify instead of failing the request.
            derived = self._derive(password, salt, n, r, p)
        except ValueError:
            return False
        return hmac.compare_digest(derived, expected)

    def needs_rehash(self, stored: str) -> bool:
        return not stored.startswith(f"scrypt${self.n}${self.r}${self.p}$")

    def burn(self, password: str) -> None:
        """Spend the time a verification would, so an unknown email answers as slowly as a known one."""
        self._derive(password[:MAX_LENGTH], b"\0" * 16, self.n, self.r, self.p)
