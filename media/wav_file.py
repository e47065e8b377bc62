"""The recordings' file format: a canonical 44-byte RIFF/WAVE header followed by interleaved int16 stereo,
the header's sizes rewritten after each flush (`media.recording.StereoRecorder`). What a recording holds
(`RecordingInfo`), reading it from a header (`wav_info`), fixing the sizes of a file whose writer died
(`repair_wav`), and the header of a copy of a file still being written (`wav_snapshot_header`)."""

from __future__ import annotations

import logging
import os
import struct
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "CHANNELS",
    "FRAME_BYTES",
    "HEADER_BYTES",
    "MAX_DATA_BYTES",
    "SAMPLE_WIDTH",
    "RecordingInfo",
    "repair_wav",
    "wav_header",
    "wav_info",
    "wav_snapshot_header",
]

logger = logging.getLogger(__name__)

CHANNELS: Final = 2
SAMPLE_WIDTH: Final = 2  # int16
FRAME_BYTES: Final = CHANNELS * SAMPLE_WIDTH
HEADER_BYTES: Final = 44  # canonical RIFF/WAVE header with a 16-byte PCM fmt chunk, data chunk last
# The RIFF size field is 32 bits and counts everything after the first 8 bytes.
MAX_DATA_BYTES: Final = (0xFFFFFFFF - (HEADER_BYTES - 8)) // FRAME_BYTES * FRAME_BYTES


@dataclass(frozen=True, slots=True)
class RecordingInfo:
    """What a recording holds. `late_samples` counts audio dropped because it arrived for a position
    already written out, `late_by_channel` the same per channel (candidate, interviewer); both are 0
    for `wav_info`/`repair_wav`, which only see the file."""

    path: Path
    sample_rate: int
    channels: int
    frames: int
    duration_s: float
    late_samples: int = 0
    late_by_channel: tuple[int, int] = (0, 0)


def wav_snapshot_header(head: bytes, size: int) -> bytes:
    """`head` (the first bytes of a WAV this module writes) with its RIFF and data sizes set for a copy
    of the file's first `size` bytes: whole frames only. Anything else is returned unchanged."""
    if len(head) < HEADER_BYTES or head[:4] != b"RIFF" or head[8:12] != b"WAVE" or head[36:40] != b"data":
        return head
    data = max(0, (min(size, HEADER_BYTES + MAX_DATA_BYTES) - HEADER_BYTES) // FRAME_BYTES * FRAME_BYTES)
    return (
        head[:4]
        + struct.pack("<I", HEADER_BYTES - 8 + data)
        + head[8:40]
        + struct.pack("<I", data)
        + head[HEADER_BYTES:]
    )


def wav_header(sample_rate: int, data_bytes: int) -> bytes:
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        HEADER_BYTES - 8 + data_bytes,
        b"WAVE",
        b"fmt ",
        16,
        1,  # PCM
        CHANNELS,
        sample_rate,
        sample_rate * FRAME_BYTES,
        FRAME_BYTES,
        SAMPLE_WIDTH * 8,
        b"data",
        data_bytes,
    )


def wav_info(path: Path) -> RecordingInfo:
    """What the header of the WAV at `path` says (a recording still being written included).

    Raises ValueError when the file is not a readable PCM WAV.
    """
    try:
        with wave.open(str(path), "rb") as wav:
            rate, channels, frames = wav.getframerate(), wav.getnchannels(), wav.getnframes()
    except (wave.Error, EOFError) as err:
        raise ValueError(f"{path} is not a valid WAV file: {err}") from err
    return RecordingInfo(
        path=Path(path), sample_rate=rate, channels=channels, frames=frames, duration_s=frames / rate
    )


def repair_wav(path: Path) -> RecordingInfo:
    """Rewrite the RIFF and data chunk sizes of a WAV whose writer died, from the file's length.

    The data chunk is assumed to run to the end of the file (as `StereoRecorder` writes it); a trailing
    partial frame is truncated. Safe on a healthy file. Raises ValueError when there is no RIFF/WAVE
    header with a PCM fmt chunk followed by a data chunk.
    """
    path = Path(path)
    with path.open("r+b") as file:
        head = file.read(4096)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise ValueError(f"{path} has no RIFF/WAVE header")
        block_align = rate = channels = 0
        data_offset = -1
        pos = 12
        while pos + 8 <= len(head):
            chunk_id = head[pos : pos + 4]
            (size,) = struct.unpack_from("<I", head, pos + 4)
            if chunk_id == b"fmt ":
                if pos + 8 + 16 > len(head):
                    break
                _fmt, channels, rate, _byte_rate, block_align = struct.unpack_from("<HHIIH", head, pos + 8)
            elif chunk_id == b"data":
                data_offset = pos + 8
                break
            pos += 8 + size + (size & 1)
        if data_offset < 0 or block_align <= 0 or rate <= 0 or channels <= 0:
            raise ValueError(f"{path} has no usable fmt and data chunks")
        file_size = file.seek(0, os.SEEK_END)
        data_bytes = max(0, file_size - data_offset) // block_align * block_align
        data_bytes = min(data_bytes, (0xFFFFFFFF - (data_offset - 8)) // block_align * block_align)
        file.truncate(data_offset + data_bytes)
        file.seek(4)
        file.write(struct.pack("<I", data_offset - 8 + data_bytes))
        file.seek(data_offset - 4)
        file.write(struct.pack("<I", data_bytes))
        file.flush()
        os.fsync(file.fileno())
    frames = data_bytes // block_align
    logger.info("repaired %s: %s frames", path, frames)
    return RecordingInfo(
        path=path, sample_rate=rate, channels=channels, frames=frames, duration_s=frames / rate
    )
