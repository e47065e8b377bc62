"""Lines encoded once to Opus packets (media/opus.py), decoded back with libopus as a browser would."""

from __future__ import annotations

import fractions

import av
import numpy as np

from media.opus import LOOKAHEAD_SAMPLES, FrameEncoder, encode_line, silence_packet

RATE = 48_000
FRAME = 960


def decode(packets: list[bytes]) -> np.ndarray:
    """The packets through one libopus decoder, in order, as mono int16."""
    codec = av.CodecContext.create("libopus", "r")
    assert isinstance(codec, av.AudioCodecContext)
    codec.sample_rate = RATE
    codec.layout = "mono"
    codec.format = "s16"
    out = []
    for index, payload in enumerate(packets):
        packet = av.Packet(payload)
        packet.pts = index * FRAME
        packet.time_base = fractions.Fraction(1, RATE)
        for frame in codec.decode(packet):
            out.append(frame.to_ndarray().reshape(-1))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int16)


def tone(seconds: float, hz: float = 440.0, amplitude: int = 8000) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def test_a_line_is_one_packet_per_frame_and_decodes_to_itself_late_by_the_look_ahead() -> None:
    line = np.concatenate([np.zeros(FRAME, np.int16), tone(0.5), np.zeros(FRAME, np.int16)])
    packets = encode_line(line.tobytes())
    assert len(packets) == -(-(len(line) + LOOKAHEAD_SAMPLES) // FRAME)
    assert all(0 < len(p) < 400 for p in packets)
    heard = decode(list(packets)).astype(np.float64)
    assert len(heard) == len(packets) * FRAME
    shifted = heard[LOOKAHEAD_SAMPLES : LOOKAHEAD_SAMPLES + len(line)]
    # Lossy, but the same signal: strongly correlated once the 6.5 ms look-ahead is taken off.
    correlation = np.corrcoef(shifted, line.astype(np.float64))[0, 1]
    assert correlation > 0.9
    # Not shifted, it would not line up (the check above can fail).
    assert np.corrcoef(heard[: len(line)], line.astype(np.float64))[0, 1] < correlation - 0.2


def test_a_line_that_sounds_to_its_last_sample_is_not_cut() -> None:
    # Exactly three frames of tone: the look-ahead pushes its last 6.5 ms into a fourth packet.
    line = tone(3 * FRAME / RATE)
    packets = encode_line(line.tobytes())
    assert len(packets) == 4
    heard = decode(list(packets))
    tail = heard[3 * FRAME : 3 * FRAME + LOOKAHEAD_SAMPLES].astype(np.float64)
    assert np.sqrt(np.mean(tail**2)) > 1000  # the tone's end, not quiet


def test_an_empty_line_has_no_packets() -> None:
    assert encode_line(b"") == ()


def test_silence_is_one_small_packet_that_decodes_to_quiet() -> None:
    packet = silence_packet()
    assert packet is silence_packet()  # encoded once per process
    heard = decode([packet] * 10)
    assert len(heard) == 10 * FRAME
    assert np.abs(heard).max() < 50


def test_frames_encoded_one_by_one_decode_to_the_line() -> None:
    encoder = FrameEncoder()
    line = tone(0.2, hz=300)
    frames = [line[i : i + FRAME].tobytes() for i in range(0, len(line), FRAME)]
    packets = [encoder.encode(f) for f in frames]
    packets.append(encoder.encode(b""))  # a short frame is padded: this one is the look-ahead's tail
    heard = decode(packets).astype(np.float64)[LOOKAHEAD_SAMPLES : LOOKAHEAD_SAMPLES + len(line)]
    assert np.corrcoef(heard, line.astype(np.float64))[0, 1] > 0.9
