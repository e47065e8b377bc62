"""Opus packets for the interviewer's voice, encoded once per line instead of once per call and frame.

Given audio frames, aiortc encodes every outbound 20 ms frame of every call itself: a hop to the
loop's worker pool and a libopus call, 50 times a second per call, silence included. The interviewer's
lines are known before they are played, and most are shared by many calls (the same questions and
acknowledgements: engine/live/voice_cache.py), so a line is encoded once, in the worker thread that
renders it, and the WebRTC sender is handed its packets (aiortc sends an `av.Packet` as it is); the
silence between lines is one packet, encoded once per process.

Each packet is one 20 ms frame of the line, in order. The encoder looks 6.5 ms ahead
(`LOOKAHEAD_SAMPLES`), so packet k carries the audio from k x 20 ms - 6.5 ms: the line is padded with
that much quiet before encoding, and its last words are never cut (a line can take one frame more than
its samples fill). A continuous per-call encoder delays the audio by the same 6.5 ms, which
`media.signalling.OPUS_DELAY_S` already counts.

Packets of separately encoded lines follow each other on the wire; Opus decoders take any valid
packet in any order (the decoder's state only smooths the join, which falls in the quiet at a line's
edges).
"""

from __future__ import annotations

import fractions
import functools

import av
import numpy as np

from media.audio import BYTES_PER_SAMPLE, FRAME_MS, OUTPUT_RATE

__all__ = ["BIT_RATE", "LOOKAHEAD_SAMPLES", "FrameEncoder", "encode_line", "silence_packet"]

FRAME_SAMPLES = OUTPUT_RATE * FRAME_MS // 1000  # 960 at 48 kHz
LOOKAHEAD_SAMPLES = 312  # libopus's look-ahead at 48 kHz (6.5 ms)
# Mono speech; 48 kb/s is more than WebRTC's usual 32 kb/s for a mono voice, so a neural voice's
# detail survives.
BIT_RATE = 48_000
_TIME_BASE = fractions.Fraction(1, OUTPUT_RATE)


def _encoder() -> av.AudioCodecContext:
    codec = av.CodecContext.create("libopus", "w")
    assert isinstance(codec, av.AudioCodecContext)
    codec.bit_rate = BIT_RATE
    codec.format = "s16"
    codec.layout = "mono"
    codec.sample_rate = OUTPUT_RATE
    codec.time_base = _TIME_BASE
    # As aiortc's own encoder: tuned for speech.
    codec.options = {"application": "voip"}
    return codec


def _frame(samples: np.ndarray, index: int) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = OUTPUT_RATE
    frame.time_base = _TIME_BASE
    frame.pts = index * FRAME_SAMPLES
    return frame


class FrameEncoder:
    """One call's encoder for frames that come without packets (lines built outside
    engine/live/voice.py): blocking, so run it in a worker thread; one frame at a time, in order."""

    def __init__(self) -> None:
        self._codec = _encoder()
        self._index = 0

    def encode(self, pcm: bytes) -> bytes:
        """One 20 ms frame of 48 kHz mono int16 (shorter is padded) to one packet."""
        samples = np.zeros(FRAME_SAMPLES, dtype=np.int16)
        given = np.frombuffer(pcm[: FRAME_SAMPLES * BYTES_PER_SAMPLE], dtype="<i2")
        samples[: len(given)] = given
        packets = self._codec.encode(_frame(samples, self._index))
        self._index += 1
        # libopus hands back one packet per frame from the first frame on (its look-ahead is inside
        # the packet's timing, not held back); an empty result would be a frame of nothing.
        return bytes(packets[0]) if packets else b""


def encode_line(pcm: bytes) -> tuple[bytes, ...]:
    """A line's 48 kHz mono int16 audio to one Opus packet per 20 ms frame (blocking: call it where the
    line is rendered, in a worker thread)."""
    samples = np.frombuffer(pcm, dtype="<i2")
    total = len(samples) + LOOKAHEAD_SAMPLES
    frames = -(-total // FRAME_SAMPLES) if len(samples) else 0
    padded = np.zeros(frames * FRAME_SAMPLES, dtype=np.int16)
    padded[: len(samples)] = samples
    codec = _encoder()
    packets: list[bytes] = []
    for index in range(frames):
        packets += [
            bytes(p)
            for p in codec.encode(_frame(padded[index * FRAME_SAMPLES : (index + 1) * FRAME_SAMPLES], index))
        ]
    # One packet per frame in; what the encoder still holds is the padding, not the line.
    return tuple(packets[:frames])


@functools.cache
def silence_packet() -> bytes:
    """One 20 ms frame of digital silence, as the encoder settles on it (its first packets carry its
    start-up)."""
    codec = _encoder()
    quiet = np.zeros(FRAME_SAMPLES, dtype=np.int16)
    packets = [bytes(p) for index in range(5) for p in codec.encode(_frame(quiet, index))]
    return packets[-1]
