"""A candidate with everything the engine keeps about a person (a profile, a resume file, a completed and
analysed interview with its transcript and recording files, an invitation email, events), and a search
of every text column of every table for what would identify them: for the erasure and retention tests."""

from __future__ import annotations

import json
import wave
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from engine.live.registry import recording_name
from engine.services import transcripts
from engine.store.database import Database
from engine.store.tables import Base, SessionRow
from tests.engine.analysis_helpers import STRONG, analysed, complete_with
from tests.engine.session_helpers import (
    book,
    expect,
    inline_participant,
    make_profile,
    make_stage,
    make_template,
)
from tests.resume_files import minimal_pdf


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email: str
    phone: str
    external_id: str
    phrase: str  # said in every answer, so it is in the transcript and the analysis' evidence

    @property
    def needles(self) -> tuple[str, ...]:
        first, last = self.name.split()
        return (first, last, self.email, self.phone, self.external_id, self.phrase)

    def answers(self) -> tuple[str, ...]:
        return tuple(f"{a} I did that at {self.phrase} with {self.name.split()[0]}." for a in STRONG)


ZEPHYRINE = Person(
    "Zephyrine Quarrington",
    "zephyrine.q@example.org",
    "+44 20 7946 0958",
    "ats-zq-77123",
    "Obsidian Lemonade",
)
BARNABY = Person(
    "Barnaby Fenwickstone", "barnaby.f@example.org", "+1 415 555 0199", "ats-bf-55321", "Copper Harmonica"
)


@dataclass(frozen=True, slots=True)
class Interviewed:
    participant_id: str
    session_id: str
    company_id: str
    recording: Path


async def write_recording(app: FastAPI, company_id: str, session_id: str) -> Path:
    """A finished WAV recording (and an Opus file beside it, as the transcode leaves) of the session."""
    services = app.state.services
    name = recording_name(company_id, session_id)
    path: Path = services.settings.recordings_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(bytes(range(256)) * 250)
    path.with_suffix(".opus").write_bytes(b"OggS not really")
    async with services.database.transaction() as db:
        await transcripts.save_recording(
            db,
            company_id,
            session_id,
            path=name,
            sample_rate=16000,
            channels=2,
            duration_s=1.0,
            status="ready",
            now=services.clock.now(),
        )
    return path


async def interviewed(
    app: FastAPI, client: httpx.AsyncClient, person: Person, *, resume: bool = True, **participant: Any
) -> Interviewed:
    """`person` booked (with an Idempotency-Key, so their details are in a stored reply), interviewed,
    analysed and recorded."""
    extra: dict[str, Any] = {}
    if resume:
        pdf = minimal_pdf([person.name, person.email])
        files = [("files", (f"{person.name.split()[1].lower()}.pdf", pdf, "application/pdf"))]
        parsed = expect(await client.post("/v1/resumes/parse", files=files), 200)["results"][0]
        extra["resume_file_id"] = parsed["resume_file_id"]
    profile = await make_profile(client)
    template = await make_template(client)
    stage = await make_stage(client, template["id"], profile["id"], pass_threshold=60)
    body = inline_participant(
        name=person.name,
        email=person.email,
        phone=person.phone,
        external_id=person.external_id,
        **extra,
        **participant,
    )
    response = await client.post(
        "/v1/sessions",
        json={"stage_id": stage["id"], "participant": body},
        headers={"Idempotency-Key": f"book-{person.external_id}"},
    )
    session = expect(response, 201)
    await complete_with(app, client, session["id"], person.answers())
    await analysed(app, client, session["id"])
    services = app.state.services
    async with services.database.transaction() as db:
        row = await db.get(SessionRow, session["id"])
        assert row is not None
        company_id, participant_id = row.company_id, row.participant_id
    path = await write_recording(app, company_id, session["id"])
    return Interviewed(participant_id, session["id"], company_id, path)


async def booked(client: httpx.AsyncClient, person: Person, **participant: Any) -> dict[str, Any]:
    """`person` with a scheduled session only."""
    profile = await make_profile(client)
    template = await make_template(client)
    stage = await make_stage(client, template["id"], profile["id"])
    body = inline_participant(
        name=person.name,
        email=person.email,
        phone=person.phone,
        external_id=person.external_id,
        **participant,
    )
    return await book(client, stage_id=stage["id"], participant=body)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


async def leftovers(database: Database, needles: Iterable[str]) -> list[str]:
    """`table.column: needle` for every value in the database that contains one (case-insensitive)."""
    wanted = [n.lower() for n in needles]
    found: list[str] = []
    async with database.transaction() as db:
        for table in Base.metadata.sorted_tables:
            for row in (await db.execute(select(table))).mappings():
                for column, value in row.items():
                    text = _text(value).lower()
                    found += [f"{table.name}.{column}: {n}" for n in wanted if n in text]
    return found


def files_named(root: Path, ids: Iterable[str]) -> list[Path]:
    """Files under `root` whose name contains one of `ids`."""
    if not root.exists():
        return []
    keys = list(ids)
    return [p for p in root.rglob("*") if p.is_file() and any(k in p.name for k in keys)]
