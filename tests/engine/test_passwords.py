"""scrypt password hashes: verify, refuse tampered or foreign formats, upgrade old costs, and the policy."""

from __future__ import annotations

import pytest

from engine.passwords import MAX_LENGTH, MIN_LENGTH, PasswordHasher, policy_problem

# A cheap cost for the tests; the format and the checks are the same at any cost.
FAST = PasswordHasher(n=2**10, r=8, p=1)


def test_a_hash_verifies_its_password_only() -> None:
    stored = FAST.hash("correct horse battery staple")
    assert stored.startswith("scrypt$1024$8$1$")
    assert "correct horse" not in stored
    assert FAST.verify("correct horse battery staple", stored)
    assert not FAST.verify("correct horse battery stapler", stored)
    assert not FAST.verify("", stored)
    # Salted: the same password never hashes the same way twice.
    assert FAST.hash("correct horse battery staple") != stored


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain text",
        "bcrypt$12$abc",
        "scrypt$1024$8$1$salt",  # a part missing
        "scrypt$x$8$1$c2FsdA$aGFzaA",  # cost not a number
        "scrypt$1024$8$1$***$aGFzaA",  # salt not base64
        "scrypt$1000$8$1$c2FsdA$aGFzaA",  # cost not a power of two
        "scrypt$1073741824$8$1$c2FsdA$aGFzaA",  # cost beyond the memory bound
    ],
)
def test_malformed_stored_hashes_never_verify(stored: str) -> None:
    assert FAST.verify("anything at all", stored) is False


def test_a_tampered_digest_does_not_verify() -> None:
    stored = FAST.hash("correct horse battery staple")
    head, _, digest = stored.rpartition("$")
    flipped = ("B" if digest[0] == "A" else "A") + digest[1:]
    assert not FAST.verify("correct horse battery staple", f"{head}${flipped}")


def test_hashes_made_at_another_cost_still_verify_and_ask_for_a_rehash() -> None:
    old = PasswordHasher(n=2**9).hash("correct horse battery staple")
    assert FAST.verify("correct horse battery staple", old)
    assert FAST.needs_rehash(old)
    assert not FAST.needs_rehash(FAST.hash("correct horse battery staple"))


def test_over_long_passwords_are_refused_before_hashing() -> None:
    stored = FAST.hash("x" * MAX_LENGTH)
    assert FAST.verify("x" * MAX_LENGTH, stored)
    assert not FAST.verify("x" * (MAX_LENGTH + 1), stored)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("a" * (MIN_LENGTH - 1), f"must be at least {MIN_LENGTH} characters"),
        ("a" * (MAX_LENGTH + 1), f"must be at most {MAX_LENGTH} characters"),
        (" leading space password", "must not start or end with whitespace"),
        ("trailing space password ", "must not start or end with whitespace"),
        ("a" * MIN_LENGTH, None),
        ("ünïcödé pässwörd ok", None),
    ],
)
def test_policy(password: str, problem: str | None) -> None:
    assert policy_problem(password) == problem
