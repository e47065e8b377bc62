"""Where an analysis reads the candidate's audio from, for the audio-based authenticity checks.

The recording is written on the disk of the engine that held the interview. An analysis worker on the
same disk (the engine's own worker, or `interview-engine worker` sharing its volume) reads the file
there. A worker on another host cannot; with an object store configured it reads the copy in the
bucket instead, downloaded to a temporary file for the length of the analysis. A recording that is
finished but not in the bucket yet (the engine uploads finished recordings, once transcoded to Opus) is
waited for: the worker hands the analysis back for a few seconds at a time (`WAIT_STEP_S`) and marks
the recording wanted, so that the engine that has the file transcodes and uploads it at once
(engine.storage.transcodes) rather than after IE_RECORDINGS__OPUS_AFTER_S. After
IE_ANALYSIS__RECORDING_WAIT_S from the recording's end (its engine died for good, or the store is down)
the analysis goes ahead without the audio, and its audio checks say "not checked", as they do when
there is no bucket to wait for.

What the checks read can therefore differ by where they run: the WAV (lossless) on the engine's disk,
the Opus file (24 kbit/s) once transcoded or from the bucket. The checks measure levels, pauses and
voice changes, which Opus at that rate keeps; they are not bit-exact between the two.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

from engine.storage.object_store import ObjectStore, ObjectStoreUnavailable
from engine.storage.uploads import local_recording

__all__ = ["WAIT_STEP_S", "InBucket", "Local", "StoredRecording", "Wait", "audio_file", "locate"]

logger = logging.getLogger(__name__)

# How long a worker hands back an analysis whose recording is on its way to the bucket.
WAIT_STEP_S = 5.0


@dataclass(frozen=True, slots=True)
class StoredRecording:
    """What the database says of a session's recording."""

    relative: str  # its path under the recordings directory of the engine that wrote it
    status: str  # "recording" while the interview runs, "ready" once the file is final
    object_key: str | None  # set once it is in the bucket
    updated_at: datetime  # its last change: for a "ready" one, when the interview's audio ended


@dataclass(frozen=True, slots=True)
class Local:
    path: Path


@dataclass(frozen=True, slots=True)
class InBucket:
    key: str


@dataclass(frozen=True, slots=True)
class Wait:
    until: datetime


Source = Local | InBucket | Wait | None


def locate(
    stored: StoredRecording | None,
    recordings_dir: Path,
    *,
    bucket: bool,
    now: datetime,
    wait_s: float,
) -> Source:
    """Where to read the audio now (blocking: it looks at the disk). None: nowhere, go on without it."""
    if stored is None:
        return None
    path = local_recording(recordings_dir, stored.relative)
    if path is not None and path.is_file():
        return Local(path)
    if not bucket:
        return None
    if stored.object_key:
        return InBucket(stored.object_key)
    deadline = stored.updated_at + timedelta(seconds=wait_s)
    if stored.status == "ready" and now < deadline:
        return Wait(min(deadline, now + timedelta(seconds=WAIT_STEP_S)))
    return None


@contextlib.asynccontextmanager
async def audio_file(source: Source, store: ObjectStore | None) -> AsyncIterator[Path | None]:
    """The file to read for `source` while the block runs (a bucket's copy is downloaded to a temporary
    directory, removed afterwards); None when there is none to read. A store that cannot be reached, or
    an object gone from it, is logged and read as no audio: the transcript is scored either way."""
    if isinstance(source, Local):
        yield source.path
        return
    if not isinstance(source, InBucket) or store is None:
        yield None
        return
    directory = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="ie-analysis-"))
    try:
        # The key's suffix tells the reader the format (.wav or .opus); its name stays out of the path.
        target = directory / ("recording" + PurePosixPath(source.key).suffix)
        try:
            await store.download(source.key, target)
        except (ObjectStoreUnavailable, FileNotFoundError) as error:
            logger.warning("recording %s not read from the bucket: %s", source.key, error)
            yield None
            return
        yield target
    finally:
        await asyncio.to_thread(shutil.rmtree, directory, ignore_errors=True)
