"""PCM conversions and the inbound timeline."""

from __future__ import annotations

import fractions

import av
import numpy as np
import pytest

from media.audio import FrameResampler, pcm_duration, resample_pcm, rms_dbfs


def tone(freq: float, seconds: float, rate: int, amplitude: int = 8000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype("<i2").tobytes()


def dominant_hz(pcm: bytes, rate: int) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(samples.size, 1 / rate)[int(np.argmax(spectrum))])


@pytest.mark.parametrize(("src", "dst"), [(22050, 48000), (22050, 16000), (48000, 16000), (16000, 48000)])
def test_resample_keeps_duration_and_pitch(src: int, dst: int) -> None:
    out = resample_pcm(tone(440, 1.0, src), src, dst)
    assert pcm_duration(out, dst) == pytest.approx(1.0, abs=0.01)
    assert dominant_hz(out, dst) == pytest.approx(440, abs=3)


def test_resample_same_rate_and_empty_are_identity() -> None:
    pcm = tone(300, 0.1, 16000)
    assert resample_pcm(pcm, 16000, 16000) is pcm
    assert resample_pcm(b"", 22050, 16000) == b""


def test_frame_resampler_downmixes_stereo_48k_to_mono_16k() -> None:
    resampler = FrameResampler(16000)
    left = np.frombuffer(tone(500, 0.02, 48000), dtype="<i2")
    interleaved = np.stack([left, left], axis=1).reshape(1, -1)
    total = b""
    for index in range(50):
        frame = av.AudioFrame.from_ndarray(interleaved, format="s16", layout="stereo")
        frame.sample_rate = 48000
        frame.time_base = fractions.Fraction(1, 48000)
        frame.pts = index * 960
        total += resampler.resample(frame)
    # One second in; the resampler may hold back a few samples of filter delay.
    assert 15_900 <= len(total) // 2 <= 16_000
    assert dominant_hz(total, 16000) == pytest.approx(500, abs=3)


def test_rms_dbfs() -> None:
    assert rms_dbfs(b"") == float("-inf")
    assert rms_dbfs(bytes(640)) == float("-inf")
    assert rms_dbfs(tone(440, 0.1, 16000, amplitude=32767)) == pytest.approx(-3.0, abs=0.1)
