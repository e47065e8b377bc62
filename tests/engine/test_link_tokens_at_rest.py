"""Join-link and public-link tokens at rest (engine/link_tokens.py), on SQLite and PostgreSQL: after a
booking (with its invitation email), a public link and a sign-up through it, no column of any table
holds a token (read past the column types), only its SHA-256 and an encrypted copy; the links still open
by URL, a wrong token is a 404, the URLs are shown again; erasure replaces the token; migration 0021
converts rows written before it, and its downgrade restores them."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from config.settings import Settings
from engine.link_tokens import REDACTED, Sealed, digest, issue, redact
from engine.secret_box import SecretBox
from engine.services import join
from engine.store.database import Database
from engine.store.tables import JsonType, SessionRow, TemplateRow, UTCDateTime
from tests.engine.emails.helpers import FAST, settled
from tests.engine.session_helpers import book, expect, inline_participant
from tests.engine.test_migrations import _to
from tests.engine.test_public_links import BASE_URL, make_link
from tests.helpers import ApiClients

JSON = dict[str, Any]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The email worker polls often, so the invitation is rendered (and its stored copy written) at once.
    return settings.model_copy(update={"email": FAST})


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("latin-1")
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


async def stored_values(database: Database) -> list[tuple[str, str]]:
    """(`table.column`, value as text) for every value of every table, as stored: plain SQL, so no
    column type decrypts anything."""
    found: list[tuple[str, str]] = []
    async with database.engine.connect() as conn:
        # The tables there are (at any revision), not the models'.
        for table in await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names()):
            rows = await conn.execute(sa.text(f'SELECT * FROM "{table}"'))  # noqa: S608 - the schema's own names
            for row in rows.mappings():
                found += [(f"{table}.{column}", _text(value)) for column, value in row.items()]
    return found


async def holding(database: Database, secret: str) -> list[str]:
    return [where for where, value in await stored_values(database) if secret in value]


def sqlite_files(database_url: str) -> list[Path]:
    """The SQLite database file and its write-ahead log: the bytes a copied disk would hold."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return []
    main = Path(url.database)
    return [p for p in (main, main.with_name(f"{main.name}-wal")) if p.exists()]


def token_of(url: str, kind: str) -> str:
    prefix = f"{BASE_URL}/{kind}/"
    assert url.startswith(prefix), url
    return url.removeprefix(prefix)


def wrong(token: str) -> str:
    """The token with its last character changed."""
    return token[:-1] + ("A" if token[-1] != "A" else "B")


async def test_no_token_is_stored_yet_every_link_opens_and_is_shown_again(
    api: ApiClients, client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    database: Database = app.state.services.database
    link = await make_link(api, client)
    booked = await book(client, stage_id=link.stage["id"], participant=inline_participant())
    signed_up = expect(await link.start(name="Jo Public", email="jo.public@example.com"), 201)
    await settled(client, booked["id"], 1)  # the invitation is rendered and its copy stored
    tokens = {
        "booked join": token_of(booked["join_url"], "join"),
        "signed-up join": token_of(signed_up["join_url"], "join"),
        "public": link.token,
    }

    for name, token in tokens.items():
        assert await holding(database, token) == [], f"the {name} token is stored in plain text"
        for path in sqlite_files(settings.resolved_database_url):
            assert token.encode() not in path.read_bytes(), f"the {name} token is in {path.name}"
    # What is stored instead: the digests, and copies that decrypt to the tokens.
    async with database.engine.connect() as conn:
        result = await conn.execute(sa.text("SELECT id, join_token_hash FROM sessions"))
        hashed = {str(i): str(h) for i, h in result.all()}
        public = (await conn.execute(sa.text("SELECT public_token_hash FROM templates"))).scalar_one()
        bodies = (
            await conn.execute(sa.text("SELECT text_body, html_body FROM emails WHERE text_body IS NOT NULL"))
        ).all()
    assert hashed[booked["id"]] == hashlib.sha256(tokens["booked join"].encode()).hexdigest()
    assert hashed[signed_up["session_id"]] == digest(tokens["signed-up join"])
    assert public == digest(link.token)
    assert bodies
    assert all(REDACTED in text and REDACTED in html for text, html in bodies)
    async with database.transaction() as db:
        row = await db.get(SessionRow, booked["id"])
        assert row is not None
        assert row.join_token_encrypted.reveal() == tokens["booked join"]
        assert repr(row.join_token_encrypted) == "Sealed(...)"

    # The links open by URL; anything else is a 404.
    anyone = api.raw_client()
    for name in ("booked join", "signed-up join"):
        assert (await anyone.get(f"/join/{tokens[name]}/state")).status_code == 200, name
        assert (await anyone.get(f"/join/{wrong(tokens[name])}/state")).status_code == 404, name
    assert (await anyone.get(f"/join/{'x' * 43}/state")).status_code == 404
    assert (await anyone.get(f"{link.path}/state")).status_code == 200
    assert (await anyone.get(f"/public/{wrong(link.token)}/state")).status_code == 404
    assert (
        await anyone.post(
            f"/public/{wrong(link.token)}/sessions", json={"name": "Jo", "email": "jo@example.com"}
        )
    ).status_code == 404
    again = expect(await link.start(name="Jo Public", email="jo.public@example.com"), 201)
    assert again == {**signed_up, "resumed": True}
    other = expect(await link.start(name="Kim Other", email="kim.other@example.com"), 201)
    assert other["join_url"] != signed_up["join_url"]

    # The recruiters see the same URLs again, decrypted from the stored copies.
    assert expect(await client.get(f"/v1/sessions/{booked['id']}"), 200)["join_url"] == booked["join_url"]
    shown = expect(await client.get(f"/v1/sessions/{booked['id']}/join-link"), 200)
    assert shown["url"] == booked["join_url"]
    template = expect(await client.get(f"/v1/templates/{link.template['id']}"), 200)
    assert template["public_link"]["url"] == link.url

    # Erasing the person replaces their token: the old link opens nothing, and is not stored either.
    person_id = expect(await client.get(f"/v1/sessions/{booked['id']}"), 200)["participant_id"]
    assert (await client.delete(f"/v1/participants/{person_id}?erase=true")).status_code == 204
    assert (await anyone.get(f"/join/{tokens['booked join']}/state")).status_code == 404
    async with database.engine.connect() as conn:
        after = (
            await conn.execute(
                sa.text("SELECT join_token_hash FROM sessions WHERE id = :id"), {"id": booked["id"]}
            )
        ).scalar_one()
    assert after != hashed[booked["id"]]
    assert await holding(database, tokens["booked join"]) == []


def test_a_sealed_token_shows_nothing_until_revealed() -> None:
    issued = issue()
    assert len(issued.token) == 43
    assert issued.digest == hashlib.sha256(issued.token.encode()).hexdigest()
    assert issued.token not in repr(issued)
    assert issued.token not in repr(issued.sealed)
    assert issued.sealed.reveal() == issued.token
    box = SecretBox([Fernet.generate_key()])
    stored = Sealed(stored=box.encrypt(issued.token), box=box)
    assert stored.reveal() == issued.token
    with pytest.raises(ValueError, match="either plain or stored"):
        Sealed()
    assert (
        redact(f"open {BASE_URL}/join/{issued.token} now", issued.token)
        == f"open {BASE_URL}/join/{REDACTED} now"
    )


# Tables as revision 0020 left them, with the columns a row needs there.
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
COMPANY = "c0000000-0000-0000-0000-000000000001"
PROFILE, PERSON = "a0000000-0000-0000-0000-000000000001", "b0000000-0000-0000-0000-000000000001"
PUBLISHED, UNPUBLISHED = "d0000000-0000-0000-0000-000000000001", "d0000000-0000-0000-0000-000000000002"
TEMPLATES: dict[str, str | None] = {
    PUBLISHED: "Pub_TOKEN-abcdefghijklmnopqrstuvwxyz012345678",
    UNPUBLISHED: None,
}
SESSIONS = {
    "e0000000-0000-0000-0000-000000000001": "Join-TOKEN_one-abcdefghijklmnopqrstuvwxyz0123",
    "e0000000-0000-0000-0000-000000000002": "Join-TOKEN_two-abcdefghijklmnopqrstuvwxyz0123",
}
STAMPS = {"created_at": NOW, "updated_at": NOW}


def _table(name: str, *columns: str) -> sa.TableClause:
    """`columns` by name, typed where the driver needs it, with the timestamps each of these tables has."""

    def typed(column: str) -> sa.ColumnClause[Any]:
        if column in ("spec", "metadata"):
            return sa.column(column, JsonType)
        if column in ("schedule_time", "created_at", "updated_at"):
            return sa.column(column, UTCDateTime())
        return sa.column(column)

    return sa.table(name, *map(typed, (*columns, "created_at", "updated_at")))


COMPANIES = sa.table("companies", sa.column("id"), sa.column("name"), sa.column("created_at", UTCDateTime()))
PROFILES = _table("agent_profiles", "id", "company_id", "name", "focus", "spec")
PARTICIPANTS = _table("participants", "id", "company_id", "name", "email", "dedupe_key", "spec")
TEMPLATES_0020 = _table(
    "templates", "id", "company_id", "name", "use_case", "spec", "public_token", "public_enabled"
)
SESSIONS_0020 = _table(
    "sessions",
    "id",
    "company_id",
    "participant_id",
    "agent_profile_id",
    "status",
    "schedule_time",
    "metadata",
    "is_test",
    "join_token",
)


async def _seed_at_0020(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(sa.insert(COMPANIES).values(id=COMPANY, name="acme", created_at=NOW))
        profile = {"id": PROFILE, "company_id": COMPANY, "name": "Alex", "focus": "screening", "spec": {}}
        await conn.execute(sa.insert(PROFILES).values(**profile, **STAMPS))
        person = {"id": PERSON, "company_id": COMPANY, "name": "Jo", "email": "jo@example.com"}
        await conn.execute(
            sa.insert(PARTICIPANTS).values(**person, dedupe_key="-:jo@example.com", spec={}, **STAMPS)
        )
        for template_id, token in TEMPLATES.items():
            await conn.execute(
                sa.insert(TEMPLATES_0020).values(
                    id=template_id,
                    company_id=COMPANY,
                    name=template_id,
                    use_case="hiring",
                    spec={},
                    public_token=token,
                    public_enabled=token is not None,
                    **STAMPS,
                )
            )
        for session_id, token in SESSIONS.items():
            await conn.execute(
                sa.insert(SESSIONS_0020).values(
                    id=session_id,
                    company_id=COMPANY,
                    participant_id=PERSON,
                    agent_profile_id=PROFILE,
                    status="scheduled",
                    schedule_time=NOW,
                    metadata={},
                    is_test=False,
                    join_token=token,
                    **STAMPS,
                )
            )


async def _plain_columns(db: Database) -> tuple[dict[str, str | None], dict[str, str]]:
    async with db.engine.connect() as conn:
        templates = dict(
            (await conn.execute(sa.select(TEMPLATES_0020.c.id, TEMPLATES_0020.c.public_token))).all()
        )
        sessions = dict((await conn.execute(sa.select(SESSIONS_0020.c.id, SESSIONS_0020.c.join_token))).all())
    return templates, sessions


async def test_migration_0021_hashes_and_encrypts_existing_tokens_and_its_downgrade_restores_them(
    database_url: str,
) -> None:
    box = SecretBox([Fernet.generate_key()])
    db = Database(database_url, box)
    try:
        await _to(db, "0020")
        await _seed_at_0020(db)
        tokens = [*SESSIONS.values(), *(t for t in TEMPLATES.values() if t)]
        for token in tokens:  # the search finds them before the migration
            assert await holding(db, token), token
        await _to(db, "0021")
        for token in tokens:
            assert await holding(db, token) == [], token
        async with db.engine.connect() as conn:
            result = await conn.execute(
                sa.text("SELECT id, join_token_hash, join_token_encrypted FROM sessions")
            )
            sessions = {str(i): (str(h), str(e)) for i, h, e in result.all()}
            templates = (
                await conn.execute(
                    sa.text("SELECT id, public_token_hash, public_token_encrypted FROM templates")
                )
            ).all()
        for session_id, token in SESSIONS.items():
            hashed, sealed = sessions[session_id]
            assert hashed == hashlib.sha256(token.encode()).hexdigest()
            assert box.decrypt(sealed) == token
        for template_id, hashed, encrypted in templates:
            public = TEMPLATES[template_id]
            assert hashed == (None if public is None else digest(public))
            assert (None if encrypted is None else box.decrypt(encrypted)) == public

        # At head the engine finds the converted rows by token and shows their URLs.
        await db.migrate()
        async with db.transaction() as session:
            for session_id, token in SESSIONS.items():
                found = await join.by_token(session, token)
                assert found.id == session_id
                assert found.join_token_encrypted.reveal() == token
            published = await session.get(TemplateRow, PUBLISHED)
            assert published is not None
            assert published.public_token_encrypted is not None
            assert published.public_token_encrypted.reveal() == TEMPLATES[PUBLISHED]

        await _to(db, "0020", "downgrade")
        assert await _plain_columns(db) == (TEMPLATES, SESSIONS)
        await db.migrate()  # and up again
        async with db.transaction() as session:
            assert (await join.by_token(session, next(iter(SESSIONS.values())))).id == next(iter(SESSIONS))
    finally:
        await db.dispose()
