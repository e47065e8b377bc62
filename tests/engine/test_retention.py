"""The retention job on an injected clock: a participant is erased on their gdpr_expiry_date (UTC) and not
a moment before, or once inactive longer than the company's retention_days; files go with them; a
process that died between the erasure's commit and the file deletions is finished by the next pass."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from config.retention import RetentionSettings
from config.settings import Settings
from engine.services import erasure
from engine.services.erasure_files import FileStores
from engine.services.retention import RetentionJob, run_pass
from engine.store.tables import ErasureFileRow
from tests.engine.erasure_helpers import BARNABY, ZEPHYRINE, files_named, interviewed, leftovers
from tests.engine.session_helpers import expect
from tests.helpers import ApiClients, StepClock

GRACE_S = 600.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The engine's own job is off: each test runs the passes itself, at the times it chooses.
    off = RetentionSettings(enabled=False, file_grace_s=GRACE_S)
    return settings.model_copy(update={"retention": off})


def job(app: FastAPI, settings: Settings, clock: StepClock) -> RetentionJob:
    """A job as a fresh engine would run it."""
    on = settings.retention.model_copy(update={"enabled": True})
    return RetentionJob(app.state.services.database, FileStores.of(settings), clock, on)


async def test_erased_on_the_expiry_date_and_not_before(
    app: FastAPI, api: ApiClients, settings: Settings, clock: StepClock
) -> None:
    client = await api.client("acme")
    # The clock starts at 2026-03-02 09:00 UTC.
    gone = await interviewed(app, client, ZEPHYRINE, gdpr_expiry_date="2026-03-04")
    kept = await interviewed(app, client, BARNABY, gdpr_expiry_date="2026-03-05")
    retention = job(app, settings, clock)
    database = app.state.services.database

    assert (await retention.run_once()).erased == ()
    clock.advance(timedelta(days=1))  # 03-03 09:00
    assert (await retention.run_once()).erased == ()
    clock.advance(timedelta(hours=14, minutes=59))  # 03-03 23:59
    assert (await retention.run_once()).erased == ()
    assert gone.recording.exists()
    assert len(await leftovers(database, ZEPHYRINE.needles)) > 10

    clock.advance(timedelta(minutes=1))  # 03-04 00:00: their expiry date has come
    result = await retention.run_once()
    assert result.erased == (gone.participant_id,)
    assert await leftovers(database, ZEPHYRINE.needles) == []
    assert files_named(settings.recordings_dir, [gone.session_id]) == []
    assert kept.recording.exists()
    assert expect(await client.get(f"/v1/participants/{kept.participant_id}"), 200)["name"] == BARNABY.name
    [event] = expect(await client.get("/v1/events?type=participant.erased"), 200)["data"]
    assert event["data"]["reason"] == "gdpr_expiry_date"
    # The next pass has nothing left to do.
    assert (await retention.run_once()).erased == ()


async def test_company_retention_period(
    app: FastAPI, api: ApiClients, settings: Settings, clock: StepClock
) -> None:
    client = await api.client("acme")
    company = expect(await client.patch("/v1/company", json={"retention_days": 30}), 200)
    assert company["retention_days"] == 30
    bad = await client.patch("/v1/company", json={"retention_days": 0})
    assert bad.status_code == 422
    assert "retention_days" in bad.text
    old = await interviewed(app, client, ZEPHYRINE, resume=False)
    retention = job(app, settings, clock)

    clock.advance(timedelta(days=20))
    recent = await interviewed(app, client, BARNABY, resume=False)
    clock.advance(timedelta(days=9, hours=23))  # 29 days 23 h after Zephyrine's last change
    assert (await retention.run_once()).erased == ()
    clock.advance(timedelta(hours=2))
    result = await retention.run_once()
    assert result.erased == (old.participant_id,)
    assert await leftovers(app.state.services.database, ZEPHYRINE.needles) == []
    assert recent.recording.exists()
    [event] = expect(await client.get("/v1/events?type=participant.erased"), 200)["data"]
    assert event["data"]["reason"] == "retention_period"

    # Another company's setting is its own; null keeps people for good again.
    assert (
        expect(await client.patch("/v1/company", json={"retention_days": None}), 200)["retention_days"]
        is None
    )
    clock.advance(timedelta(days=400))
    assert (await retention.run_once()).erased == ()
    assert expect(await client.get(f"/v1/participants/{recent.participant_id}"), 200)["name"] == BARNABY.name


async def test_a_restart_between_the_commit_and_the_files_is_finished_by_the_next_pass(
    app: FastAPI, api: ApiClients, settings: Settings, clock: StepClock
) -> None:
    client = await api.client("acme")
    gone = await interviewed(app, client, ZEPHYRINE)
    database = app.state.services.database
    # The erasure commits, and the process dies before any file is deleted.
    async with database.transaction() as db:
        done = await erasure.erase(
            db, gone.company_id, gone.participant_id, clock.now(), reason="request", file_grace=timedelta(0)
        )
    assert done.erased_now
    assert await leftovers(database, ZEPHYRINE.needles) == []
    assert gone.recording.exists()
    assert gone.recording.with_suffix(".opus").exists()
    assert files_named(settings.data_dir / "resumes", [""])

    # A new engine's job (nothing due: the participant is erased already) deletes what is listed.
    restarted = job(app, settings, clock)
    result = await restarted.run_once()
    assert result.erased == ()
    assert files_named(settings.recordings_dir, [gone.session_id]) == []
    assert files_named(settings.data_dir / "resumes", [""]) == []
    async with database.transaction() as db:
        assert await db.scalar(select(func.count()).select_from(ErasureFileRow)) == 0


async def test_a_file_written_after_the_erasure_is_deleted_within_the_grace(
    app: FastAPI, api: ApiClients, settings: Settings, clock: StepClock
) -> None:
    """A transcode that was midway writes the Opus file after the erasure: the next pass deletes it."""
    client = await api.client("acme")
    gone = await interviewed(app, client, ZEPHYRINE, resume=False)
    assert (await client.delete(f"/v1/participants/{gone.participant_id}?erase=true")).status_code == 204
    assert not gone.recording.exists()
    late = gone.recording.with_suffix(".opus")
    late.write_bytes(b"OggS written late")
    clock.advance(timedelta(seconds=GRACE_S / 2))
    await run_pass(app.state.services.database, FileStores.of(settings), clock, settings.retention)
    assert not late.exists()
    clock.advance(timedelta(seconds=GRACE_S))
    await run_pass(app.state.services.database, FileStores.of(settings), clock, settings.retention)
    async with app.state.services.database.transaction() as db:
        assert await db.scalar(select(func.count()).select_from(ErasureFileRow)) == 0


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IE_RETENTION__ENABLED", "false")
    monkeypatch.setenv("IE_RETENTION__POLL_S", "60")
    read = Settings(_env_file=None).retention
    assert (read.enabled, read.poll_s) == (False, 60)
    assert RetentionSettings().enabled
    with pytest.raises(ValueError, match="poll_s"):
        RetentionSettings(poll_s=0)
