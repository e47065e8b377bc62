"""An erasure served by another engine reaches this engine's copy of the recording: its retention pass
deletes the recording files whose row is gone, once they have not been written to for the grace period,
and nothing else (on both databases)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI

from config.retention import RetentionSettings
from config.settings import Settings
from engine.services import erasure, resume_files
from engine.services.erasure_files import FileStores, delete_pending
from engine.services.retention import run_pass
from engine.storage.orphans import recording_files
from tests.engine.erasure_helpers import BARNABY, ZEPHYRINE, interviewed
from tests.helpers import ApiClients, StepClock

GRACE_S = 600.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The engine's own job is off: the test runs the passes itself, at the times it chooses.
    return settings.model_copy(update={"retention": RetentionSettings(enabled=False, file_grace_s=GRACE_S)})


def written_at(paths: list[Path], when: float) -> None:
    for path in paths:
        os.utime(path, (when, when))


async def test_a_recording_erased_through_another_engine_is_deleted_from_this_ones_disk(
    app: FastAPI, api: ApiClients, settings: Settings, clock: StepClock, tmp_path: Path
) -> None:
    client = await api.client("acme")
    gone = await interviewed(app, client, ZEPHYRINE)
    kept = await interviewed(app, client, BARNABY)
    database = app.state.services.database
    here = FileStores.of(settings)
    ours = [gone.recording, gone.recording.with_suffix(".opus")]
    leftover = gone.recording.with_suffix(".opus.3f9a.tmp")  # a transcode that died midway
    leftover.write_bytes(b"partial")
    stray = gone.recording.parent / "notes.txt"  # not named like a recording: never ours to delete
    stray.write_bytes(b"kept")
    assert all(p.exists() for p in ours)

    # The erasure is served by another engine, whose disk has no copy: it carries out the file list
    # (its own disk and the bucket) and the list is done.
    elsewhere = FileStores(tmp_path / "other-engine", None, resume_files.file_store(settings))
    async with database.transaction() as db:
        await erasure.erase(
            db, gone.company_id, gone.participant_id, clock.now(), reason="request", file_grace=timedelta(0)
        )
    await delete_pending(database, elsewhere, clock)
    assert all(p.exists() for p in ours)

    old = (clock.now() - timedelta(seconds=GRACE_S + 60)).timestamp()
    recent = (clock.now() - timedelta(seconds=GRACE_S - 60)).timestamp()
    everything = [*ours, leftover, stray, kept.recording, kept.recording.with_suffix(".opus")]
    # Written to within the grace period: kept (a file whose row is not there yet, or being written).
    written_at(everything, recent)
    result = await run_pass(database, here, clock, settings.retention)
    assert result.orphans_deleted == 0
    assert all(p.exists() for p in everything)

    # Past it: the erased session's files go, the other session's (its row is there) and the stray stay.
    written_at(everything, old)
    result = await run_pass(database, here, clock, settings.retention)
    assert result.orphans_deleted == 3
    assert not any(p.exists() for p in [*ours, leftover])
    assert stray.exists()
    assert kept.recording.exists()
    assert kept.recording.with_suffix(".opus").exists()
    # A second pass has nothing left to do.
    assert (await run_pass(database, here, clock, settings.retention)).orphans_deleted == 0


def test_only_files_named_like_recordings_are_listed(tmp_path: Path) -> None:
    company = tmp_path / "acme-1"
    company.mkdir()
    names = ["s-1.wav", "s-1.opus", "s-1.opus.ab_c.tmp", "s-2.wav.bak", "x.txt", "s 3.wav", ".wav"]
    for name in names:
        (company / name).write_bytes(b"x")
    (tmp_path / "top.wav").write_bytes(b"x")  # not under a company directory
    (tmp_path / "a b").mkdir()
    (tmp_path / "a b" / "s-4.wav").write_bytes(b"x")  # not a company id
    (company / "link.wav").symlink_to(tmp_path / "top.wav")
    found = recording_files(tmp_path, older_than=float("inf"))
    assert {k: sorted(p.name for p in v) for k, v in found.items()} == {
        "s-1": ["s-1.opus", "s-1.opus.ab_c.tmp", "s-1.wav"]
    }
    assert recording_files(tmp_path, older_than=0.0) == {}
    assert recording_files(tmp_path / "missing", older_than=float("inf")) == {}
