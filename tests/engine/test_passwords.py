"""Argon2id password hashes: the PHC format with OWASP's parameters, refusing tampered or foreign
formats, legacy scrypt hashes verified and upgraded to Argon2id at the next sign-in, and the policy."""

from __future__ import annotations

import base64
import hashlib

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from engine.api.context import Services
from engine.passwords import MAX_LENGTH, MIN_LENGTH, PasswordHasher, policy_problem
from engine.store.tables import RecruiterRow
from tests.engine.session_helpers import expect
from tests.helpers import ApiClients

# A cheap cost for most tests; the format and the checks are the same at any cost.
FAST = PasswordHasher(time_cost=1, memory_kib=1024, parallelism=1)
PASSWORD = "correct horse battery staple"


def legacy_scrypt(password: str, n: int = 2**10) -> str:
    """A hash as the engine stored them before Argon2id (`scrypt$n$r$p$salt$hash`, unpadded base64)."""
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=8, p=1, maxmem=64 * 1024 * 1024, dklen=32)

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode().rstrip("=")

    return f"scrypt${n}$8$1${b64(salt)}${b64(digest)}"


def test_the_default_hash_is_argon2id_with_owasps_parameters() -> None:
    stored = PasswordHasher().hash(PASSWORD)
    # OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1.
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PasswordHasher().verify(PASSWORD, stored)
    assert not PasswordHasher().needs_rehash(stored)


def test_a_hash_verifies_its_password_only() -> None:
    stored = FAST.hash(PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert "correct horse" not in stored
    assert FAST.verify(PASSWORD, stored)
    assert not FAST.verify(PASSWORD + "r", stored)
    assert not FAST.verify("", stored)
    # Salted: the same password never hashes the same way twice.
    assert FAST.hash(PASSWORD) != stored


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain text",
        "bcrypt$12$abc",
        "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ",  # the hash missing
        "$argon2id$v=19$m=x,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",  # cost not a number
        "scrypt$1024$8$1$salt",  # a part missing
        "scrypt$x$8$1$c2FsdA$aGFzaA",  # cost not a number
        "scrypt$1024$8$1$***$aGFzaA",  # salt not base64
        "scrypt$1000$8$1$c2FsdA$aGFzaA",  # cost not a power of two
        "scrypt$1073741824$8$1$c2FsdA$aGFzaA",  # cost beyond the memory bound
    ],
)
def test_malformed_stored_hashes_never_verify(stored: str) -> None:
    assert FAST.verify("anything at all", stored) is False
    assert FAST.needs_rehash(stored)


def test_argon2i_and_argon2d_are_not_accepted() -> None:
    """Only the variant this engine writes: a row holding another is not one of ours."""
    stored = FAST.hash(PASSWORD)
    assert not FAST.verify(PASSWORD, stored.replace("$argon2id$", "$argon2i$", 1))
    assert not FAST.verify(PASSWORD, stored.replace("$argon2id$", "$argon2d$", 1))


def test_a_tampered_digest_does_not_verify() -> None:
    stored = FAST.hash(PASSWORD)
    head, _, digest = stored.rpartition("$")
    flipped = ("B" if digest[0] == "A" else "A") + digest[1:]
    assert not FAST.verify(PASSWORD, f"{head}${flipped}")


def test_legacy_scrypt_hashes_verify_and_ask_for_a_rehash() -> None:
    old = legacy_scrypt(PASSWORD)
    assert FAST.verify(PASSWORD, old)
    assert not FAST.verify(PASSWORD + "!", old)
    assert FAST.needs_rehash(old)


def test_hashes_made_at_another_cost_still_verify_and_ask_for_a_rehash() -> None:
    old = PasswordHasher(time_cost=1, memory_kib=512).hash(PASSWORD)
    assert FAST.verify(PASSWORD, old)
    assert FAST.needs_rehash(old)
    assert not FAST.needs_rehash(FAST.hash(PASSWORD))


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


async def _login(api: ApiClients, password: str) -> httpx.Response:
    page = api.raw_client()
    page.base_url = httpx.URL("https://testserver")
    return await page.post("/v1/auth/login", json={"email": "rita@acme.com", "password": password})


async def _stored_hash(app: FastAPI) -> str:
    services: Services = app.state.services
    async with services.database.transaction() as db:
        return (await db.scalars(select(RecruiterRow))).one().password_hash


async def test_a_legacy_scrypt_hash_becomes_argon2id_at_the_next_sign_in(
    client: httpx.AsyncClient, api: ApiClients, app: FastAPI
) -> None:
    body = {"email": "rita@acme.com", "name": "Rita", "password": PASSWORD}
    expect(await client.post("/v1/recruiters", json=body), 201)
    assert (await _stored_hash(app)).startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    # As an account made before Argon2id was stored (the cost the engine used then).
    services: Services = app.state.services
    async with services.database.transaction() as db:
        (await db.scalars(select(RecruiterRow))).one().password_hash = legacy_scrypt(PASSWORD, 2**15)

    # A wrong password changes nothing.
    assert (await _login(api, PASSWORD + "!")).status_code == 401
    assert (await _stored_hash(app)).startswith("scrypt$")

    expect(await _login(api, PASSWORD), 200)
    upgraded = await _stored_hash(app)
    assert upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORD not in upgraded
    # The same password still signs in, now against the Argon2id hash, which stays as it is.
    expect(await _login(api, PASSWORD), 200)
    assert await _stored_hash(app) == upgraded
    assert (await _login(api, "not the password at all")).status_code == 401
