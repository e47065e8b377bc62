"""Finished recordings from 16-bit PCM WAV to Ogg Opus, and back to samples for the readers.

A recording is a stereo WAV (media.recording: left = candidate, right = interviewer) at 16 kHz: 512
kbit/s, about 230 MB an hour. Opus at 24 kbit/s (VBR, its speech-tuned "voip" mode) keeps both voices
intelligible at about a twentieth of that (bench/recording_opus.py measures it; docs/benchmarks.md).

* Both channels are kept: the player, and an analysis run again later, must still tell the candidate from
  the interviewer.
* The timeline is kept to the sample: libopus takes 16 kHz input as it is (no resampling), the Ogg
  stream's pre-skip tells every decoder (Chromium's included) to drop the encoder's look-ahead, and its
  last granule position trims the final frame's padding, so a decoded sample sits where it sat in the
  WAV and the durations agree. The review page syncs its transcript to `currentTime`: this is what keeps
  it in step (tests/media/test_transcode.py measures the lag at both ends of a long file).
* Streaming: the WAV is read and encoded a second at a time, so an hour of audio never sits in memory.
* Atomic: the Opus file is written under a temporary name, fsynced and renamed into place (and the
  directory fsynced), so a crash leaves either no Opus file or a whole one, and the WAV untouched.
* A WAV that is not what a recorder writes (not RIFF/PCM 16-bit, 1 or 2 channels, or shorter than its
  header says) raises `TranscodeError` naming the problem; the caller keeps the WAV.

Blocking: run it in a thread (engine.storage.transcodes does, in one low-priority thread).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import threading
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import av
import numpy as np
import numpy.typing as npt

__all__ = [
    "DEFAULT_BITRATE",
    "OPUS_CONTENT_TYPE",
    "OPUS_SUFFIX",
    "TranscodeCancelled",
    "TranscodeError",
    "Transcoded",
    "decode_opus",
    "opus_path_for",
    "transcode_wav_to_opus",
]

logger = logging.getLogger(__name__)

OPUS_CONTENT_TYPE: Final = "audio/ogg"
OPUS_SUFFIX: Final = ".opus"
# Stereo VBR target in bit/s: speech in both channels stays clear (bench/recording_opus.py).
DEFAULT_BITRATE: Final = 24_000
# Input rates libopus takes as they are; anything else is resampled to 48 kHz.
_OPUS_RATES: Final = (8000, 12000, 16000, 24000, 48000)
# Frames read from the WAV per encode call: one second at 16 kHz (64 KB of stereo PCM).
_CHUNK_S: Final = 1.0


class TranscodeError(Exception):
    """The source cannot be transcoded (malformed, truncated, unsupported); the message says why."""


class TranscodeCancelled(Exception):
    """`cancel` was set (the engine is stopping): nothing was written."""


@dataclass(frozen=True, slots=True)
class Transcoded:
    source: Path
    target: Path
    sample_rate: int
    channels: int
    frames: int
    source_bytes: int
    target_bytes: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0

    @property
    def ratio(self) -> float:
        return self.source_bytes / self.target_bytes if self.target_bytes else 0.0


def opus_path_for(wav: Path) -> Path:
    """Where a recording's Opus file goes: beside the WAV, same name, `.opus`."""
    return wav.with_suffix(OPUS_SUFFIX)


def _check_wav(wav: wave.Wave_read, path: Path) -> tuple[int, int, int]:
    """(channels, sample rate, frames) of a WAV this module can encode, or TranscodeError."""
    channels, width, rate, frames = (
        wav.getnchannels(),
        wav.getsampwidth(),
        wav.getframerate(),
        wav.getnframes(),
    )
    if width != 2:
        raise TranscodeError(f"{path.name}: {8 * width}-bit samples; only 16-bit PCM is transcoded")
    if channels not in (1, 2):
        raise TranscodeError(f"{path.name}: {channels} channels; only mono or stereo is transcoded")
    if not 8000 <= rate <= 192_000:
        raise TranscodeError(f"{path.name}: sample rate {rate} Hz is out of range")
    return channels, rate, frames


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def transcode_wav_to_opus(
    source: Path, target: Path, *, bitrate: int = DEFAULT_BITRATE, cancel: threading.Event | None = None
) -> Transcoded:
    """Encode the WAV `source` as Ogg Opus at `target` (replaced atomically), keeping its channels and its
    timeline. Raises TranscodeError for a source it cannot encode, TranscodeCancelled once `cancel` is
    set (checked every second of audio), OSError for I/O failures; in every case `target` is left as it
    was and no temporary file remains."""
    temporary = target.with_name(f"{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        result = _encode(source, temporary, bitrate, cancel)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target)
        _fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return Transcoded(
        source, target, result[0], result[1], result[2], source.stat().st_size, target.stat().st_size
    )


def _encode(source: Path, target: Path, bitrate: int, cancel: threading.Event | None) -> tuple[int, int, int]:
    try:
        # Closed by the `with` below; opened outside it so that only its errors become TranscodeError.
        wav = wave.open(str(source), "rb")  # noqa: SIM115
    except (wave.Error, EOFError) as exc:
        raise TranscodeError(f"{source.name}: not a PCM WAV file ({exc})") from exc
    with wav:
        channels, rate, frames = _check_wav(wav, source)
        layout = "stereo" if channels == 2 else "mono"
        encode_rate = rate if rate in _OPUS_RATES else 48_000
        resampler = (
            av.AudioResampler(format="s16", layout=layout, rate=encode_rate) if encode_rate != rate else None
        )
        chunk = max(1, int(rate * _CHUNK_S))
        done = 0
        with av.open(str(target), "w", format="ogg") as container:
            stream = container.add_stream("libopus", rate=encode_rate, layout=layout)
            stream.bit_rate = bitrate
            # voip: libopus favours speech intelligibility; 20 ms frames; VBR spends little on silence.
            stream.options = {"application": "voip", "frame_duration": "20", "vbr": "on"}
            while done < frames:
                if cancel is not None and cancel.is_set():
                    raise TranscodeCancelled(f"{source.name}: cancelled")
                pcm = wav.readframes(min(chunk, frames - done))
                count = len(pcm) // (2 * channels)
                if count == 0:
                    break
                frame = av.AudioFrame.from_ndarray(
                    np.frombuffer(pcm[: count * 2 * channels], dtype="<i2").reshape(1, -1),
                    format="s16",
                    layout=layout,
                )
                frame.sample_rate = rate
                frame.pts = done
                done += count
                for piece in resampler.resample(frame) if resampler is not None else [frame]:
                    container.mux(stream.encode(piece))
            if resampler is not None:
                for piece in resampler.resample(None):
                    container.mux(stream.encode(piece))
            container.mux(stream.encode(None))
    if done < frames:
        # The header promised more than the file holds: a cut-off copy, not a finished recording.
        raise TranscodeError(
            f"{source.name}: truncated, the header says {frames} frames, the file holds {done}"
        )
    return rate, channels, done


def decode_opus(path: Path, sample_rate: int) -> npt.NDArray[np.int16]:
    """All of an Ogg Opus file as int16 samples at `sample_rate`, shape (frames, channels): for readers of
    a transcoded recording (an analysis run again). Raises TranscodeError when it cannot be decoded."""
    pieces: list[npt.NDArray[np.int16]] = []
    try:
        with av.open(str(path), "r") as container:
            stream = container.streams.audio[0]
            layout = "stereo" if stream.codec_context.channels == 2 else "mono"
            resampler = av.AudioResampler(format="s16", layout=layout, rate=sample_rate)
            for frame in container.decode(stream):
                for piece in resampler.resample(frame):
                    pieces.append(np.asarray(piece.to_ndarray(), dtype=np.int16).reshape(-1))
            for piece in resampler.resample(None):
                pieces.append(np.asarray(piece.to_ndarray(), dtype=np.int16).reshape(-1))
    except av.FFmpegError as exc:
        raise TranscodeError(f"{path.name}: cannot decode ({exc})") from exc
    channels = 2 if layout == "stereo" else 1
    samples = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16)
    return samples.astype(np.int16).reshape(-1, channels)
