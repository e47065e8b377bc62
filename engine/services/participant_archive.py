"""The export archive itself (engine.services.participant_export gathers what goes in): written as it is
sent, so memory stays at about one chunk whatever the recordings' length."""

from __future__ import annotations

import asyncio
import json
import logging
import zipfile
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from config.enums import Speaker
from config.transcripts import Transcript
from engine.services.participant_export import CHUNK, Export, Recording, SessionPart, as_json
from engine.storage.object_store import ObjectStoreUnavailable

__all__ = ["readme", "stream", "transcript_text"]

logger = logging.getLogger(__name__)

# Text compresses well; audio (WAV gains little for much CPU, Opus nothing) and resumes (PDF and DOCX
# are compressed already) are stored as they are.
TEXT = zipfile.ZIP_DEFLATED
BINARY = zipfile.ZIP_STORED


def transcript_text(transcript: Transcript) -> str:
    """The transcript as a person reads it: one line per segment, `[mm:ss] Speaker: text`."""
    lines = []
    for segment in transcript.segments:
        minutes, seconds = divmod(int(segment.start), 60)
        who = "Candidate" if segment.speaker is Speaker.CANDIDATE else "Interviewer"
        lines.append(f"[{minutes:02d}:{seconds:02d}] {who}: {segment.text}")
    return "\n".join(lines) + "\n" if lines else "(nothing was said in this session)\n"


def readme(export: Export, exported_at: datetime) -> str:
    lines = [
        f"Everything held about participant {export.participant_id}, exported {exported_at.isoformat()}.",
        "",
        "participant.json     the profile as the API returns it (GET /v1/participants/{id}): name, email,",
        "                     phone, external_id, profile, background, tags, gdpr_expiry_date, the resume",
        "                     file's details; `pipeline`, the result of each stage; `emails`, the emails",
        "                     sent to them (without their bodies, which carry the interview link).",
    ]
    if export.resume is not None:
        lines.append(f"{export.resume[0]:<20} the resume file uploaded for them, as it was uploaded.")
    lines += [
        "sessions/NN-<id>/    one folder per interview session, oldest first (deleted ones included):",
        "  session.json       status, times, template, stage and interviewer names, the recommendation,",
        "                     the stage result and the recording's details; `session` is as the API",
        "                     returns it (GET /v1/sessions/{id}), without the join link (a credential).",
        "  transcript.json    what was said, segment by segment (GET /v1/sessions/{id}/transcript).",
        "  transcript.txt     the same, readable: [minutes:seconds] speaker: text.",
        "  analysis.json      every version of the analysis, newest first: scores, evidence quotes and",
        "                     flags (GET /v1/sessions/{id}/analyses).",
        "  recording.wav/.ogg the audio recording, stereo: the candidate left, the interviewer right.",
    ]
    if export.notes:
        lines += ["", "Not included:", *(f"- {note}" for note in export.notes)]
    return "\n".join(lines) + "\n"


class _Sink:
    """What zipfile writes to (unseekable, so it streams with data descriptors); the generator takes
    what was written after each step."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes, /) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _info(name: str, stamp: tuple[int, int, int, int, int, int], compression: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = compression
    info.external_attr = 0o600 << 16  # personal data: readable by its owner only once unpacked
    return info


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode()


async def stream(export: Export, exported_at: datetime) -> AsyncIterator[bytes]:
    """The archive, chunk by chunk. Compression and CRCs run in worker threads; a recording that cannot
    be read to the end raises, so the client sees a broken download rather than a short archive."""
    sink = _Sink()
    stamp = exported_at.timetuple()[:6]
    archive = zipfile.ZipFile(sink, "w")

    def files(part: SessionPart) -> list[tuple[str, bytes]]:
        return [
            (f"{part.folder}/session.json", _dumps(part.session)),
            (f"{part.folder}/transcript.json", _dumps(as_json(part.transcript))),
            (f"{part.folder}/transcript.txt", transcript_text(part.transcript).encode()),
            (f"{part.folder}/analysis.json", _dumps([as_json(v) for v in part.analyses])),
        ]

    head = [
        ("README.txt", readme(export, exported_at).encode()),
        ("participant.json", _dumps(export.participant)),
    ]
    for name, data in head:
        await asyncio.to_thread(archive.writestr, _info(name, stamp, TEXT), data)
    if export.resume is not None:
        await asyncio.to_thread(archive.writestr, _info(export.resume[0], stamp, BINARY), export.resume[1])
    yield sink.take()
    for part in export.sessions:
        for name, data in files(part):
            await asyncio.to_thread(archive.writestr, _info(name, stamp, TEXT), data)
        yield sink.take()
        if part.recording is None:
            continue
        info = _info(part.recording.name, stamp, BINARY)
        info.file_size = part.recording.size  # decides ZIP64 for recordings over 4 GiB
        member = archive.open(info, "w")
        async for chunk in _chunks(part.recording):
            await asyncio.to_thread(member.write, chunk)
            yield sink.take()  # never empty: a stored chunk is written through at once
        await asyncio.to_thread(member.close)
    await asyncio.to_thread(archive.close)
    yield sink.take()


async def _chunks(recording: Recording) -> AsyncIterator[bytes]:
    """The recording's first `size` bytes (a file still growing is cut where it was measured)."""
    if recording.path is not None:
        handle = await asyncio.to_thread(recording.path.open, "rb")
        try:
            left = recording.size
            while left > 0:
                chunk = await asyncio.to_thread(handle.read, min(CHUNK, left))
                if not chunk:
                    raise OSError(f"recording {recording.path.name} shrank while it was exported")
                left -= len(chunk)
                yield chunk
        finally:
            await asyncio.to_thread(handle.close)
        return
    assert recording.store is not None
    assert recording.key is not None
    for start in range(0, recording.size, CHUNK):
        end = min(recording.size, start + CHUNK) - 1
        try:
            yield await recording.store.read(recording.key, start, end)
        except ObjectStoreUnavailable:
            logger.warning("object store failed mid-export of %s", recording.key, exc_info=True)
            raise
