"""Erasure with an object store (a moto server on loopback, as test_resume_files_bucket.py): the
erased candidate's recording objects and resume file leave the bucket, the other candidate's stay; with
the store down at the time, the objects stay listed and a later pass deletes them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from moto.server import ThreadedMotoServer
from sqlalchemy import func, select

from config.retention import RetentionSettings
from config.settings import Settings
from engine.services import erasure, resume_files
from engine.services.erasure_files import FileStores, delete_pending
from engine.storage.object_store import ObjectStore, object_store
from engine.store.tables import ErasureFileRow, RecordingRow
from tests.engine.erasure_helpers import BARNABY, ZEPHYRINE, files_named, interviewed, leftovers
from tests.engine.test_object_store import moto_store, s3
from tests.engine.test_resume_files_bucket import bucket_keys
from tests.helpers import ApiClients
from tests.ports import free_port

__all__ = ["s3"]  # the fixture, imported for this module's tests

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def settings(settings: Settings, s3: ThreadedMotoServer) -> Settings:
    # No retention job: its first pass (at start-up) also finishes pending file deletions, and on a
    # loaded machine it ran after an erasure these tests make, deleting with the reachable store the
    # objects a test was checking were kept while the store was down. The tests run the passes.
    return settings.model_copy(
        update={
            "object_store": moto_store(s3),
            "retention": RetentionSettings(enabled=False),
        }
    )


async def test_erasure_deletes_the_objects_in_the_bucket(
    app: FastAPI, api: ApiClients, settings: Settings, s3: ThreadedMotoServer
) -> None:
    client = await api.client("acme")
    gone = await interviewed(app, client, ZEPHYRINE)
    kept = await interviewed(app, client, BARNABY)
    store = object_store(settings.object_store)
    assert store is not None
    keys = {}
    for who in (gone, kept):
        # As the upload pass leaves it (engine.storage.uploads).
        key = keys[who.session_id] = store.key_for(str(who.recording.relative_to(settings.recordings_dir)))
        await store.put_file(who.recording, key, "audio/wav")
        async with app.state.services.database.transaction() as db:
            row = await db.get(RecordingRow, who.session_id)
            assert row is not None
            row.object_key, row.uploaded_at = key, api.clock.now()
    # moto keeps objects per process, not per server: only this test's resumes are counted.
    resumes = [
        k for k in bucket_keys(s3) if k.startswith(settings.object_store.resume_prefix + gone.company_id)
    ]
    assert len(resumes) == 2

    response = await client.delete(f"/v1/participants/{gone.participant_id}?erase=true")
    assert response.status_code == 204, response.text

    left = bucket_keys(s3)
    assert keys[gone.session_id] not in left
    assert keys[kept.session_id] in left
    assert len([k for k in resumes if k in left]) == 1
    assert files_named(settings.recordings_dir, [gone.session_id]) == []
    assert await leftovers(app.state.services.database, ZEPHYRINE.needles) == []
    # Barnaby's resume is still served from the bucket.
    download = await client.get(f"/v1/participants/{kept.participant_id}/resume")
    assert download.status_code == 200


async def test_a_store_down_at_erasure_leaves_the_objects_listed_until_a_later_pass(
    app: FastAPI, api: ApiClients, settings: Settings, s3: ThreadedMotoServer
) -> None:
    client = await api.client("acme")
    gone = await interviewed(app, client, ZEPHYRINE, resume=False)
    store = object_store(settings.object_store)
    assert store is not None
    key = store.key_for(str(gone.recording.relative_to(settings.recordings_dir)))
    await store.put_file(gone.recording, key, "audio/wav")
    database = app.state.services.database
    async with database.transaction() as db:
        row = await db.get(RecordingRow, gone.session_id)
        assert row is not None
        row.object_key, row.uploaded_at = key, api.clock.now()
        done = await erasure.erase(
            db,
            gone.company_id,
            gone.participant_id,
            api.clock.now(),
            reason="request",
            file_grace=timedelta(0),
        )
    assert done.erased_now

    down = settings.object_store.model_copy(update={"url": f"http://127.0.0.1:{free_port()}"})
    unreachable = FileStores(settings.recordings_dir, ObjectStore(down), resume_files.file_store(settings))
    first = await delete_pending(database, unreachable, api.clock)
    assert first.failed >= 1
    assert key in bucket_keys(s3)
    assert not gone.recording.exists()  # the local files went anyway
    async with database.transaction() as db:
        [listed] = await db.scalars(select(ErasureFileRow).where(ErasureFileRow.kind == "recording_object"))
        assert listed.attempts == 1
        assert listed.last_error

    again = await delete_pending(database, FileStores.of(settings), api.clock)
    assert again.failed == 0
    assert key not in bucket_keys(s3)
    async with database.transaction() as db:
        assert await db.scalar(select(func.count()).select_from(ErasureFileRow)) == 0
