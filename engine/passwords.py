"""Recruiters' passwords, stored as Argon2id hashes (argon2-cffi, the reference implementation's binding).

A hash is the standard PHC string `$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>`, so it
carries its own parameters: when the costs rise, old hashes still verify and `needs_rehash` says so.
Hashes from before Argon2id (`scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`, stdlib scrypt) still verify, and
ask for a rehash: the sign-in that proves the password stores it again as Argon2id
(engine/services/recruiters.py).

Parameters: OWASP's Password Storage Cheat Sheet recommends Argon2id with at least 19 MiB of memory,
2 passes and 1 lane (m=19456, t=2, p=1), the second of its equivalent-strength configurations; one lane
keeps a sign-in to one core. That costs about 25-40 ms of CPU here, deliberately: callers run hashing and
verifying in a worker thread, never on the event loop.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["MAX_LENGTH", "MIN_LENGTH", "PasswordHasher", "policy_problem", "scrypt_verify"]

MIN_LENGTH = 12
# Argon2 takes any length; the bound keeps a hostile 1 MB "password" from costing much.
MAX_LENGTH = 256
_SCRYPT_PREFIX = "scrypt$"


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


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def scrypt_verify(password: str, stored: str) -> bool:
    """Checks a legacy `scrypt$n$r$p$salt$hash` string (the format before Argon2id); False for anything
    malformed, so a damaged row fails to verify instead of failing the request."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return False
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, expected = _unb64(parts[4]), _unb64(parts[5])
        # scrypt refuses a cost that is not a power of two, or that needs more than maxmem, with ValueError.
        derived = hashlib.scrypt(
            password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=32
        )
    except ValueError:
        return False
    return hmac.compare_digest(derived, expected)


@dataclass(frozen=True, slots=True)
class PasswordHasher:
    """Argon2id with `memory_kib` of memory, `time_cost` passes and `parallelism` lanes (defaults: OWASP's
    recommendation, see the module doc)."""

    time_cost: int = 2
    memory_kib: int = 19_456
    parallelism: int = 1
    _argon: argon2.PasswordHasher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        argon = argon2.PasswordHasher(
            time_cost=self.time_cost,
            memory_cost=self.memory_kib,
            parallelism=self.parallelism,
            hash_len=32,
            salt_len=16,
            type=argon2.Type.ID,
        )
        object.__setattr__(self, "_argon", argon)

    def hash(self, password: str) -> str:
        return self._argon.hash(password)

    def verify(self, password: str, stored: str) -> bool:
        if len(password) > MAX_LENGTH:
            return False
        if stored.startswith(_SCRYPT_PREFIX):
            return scrypt_verify(password, stored)
        if not stored.startswith("$argon2id$"):
            return False  # argon2i/argon2d or anything else: not a format this engine writes
        try:
            return self._argon.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """True for legacy scrypt hashes and for Argon2id hashes made with other parameters."""
        if not stored.startswith("$argon2id$"):
            return True
        try:
            return self._argon.check_needs_rehash(stored)
        except InvalidHashError:
            return True

    def burn(self, password: str) -> None:
        """Spend the time a verification would, so an unknown email answers as slowly as a known one."""
        self._argon.hash(password[:MAX_LENGTH])
