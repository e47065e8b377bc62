"""StereoRecorder: placement by absolute sample position, zero-fill, lag, late audio, crash safety."""

from __future__ import annotations

import errno
import os
import signal
import struct
import subprocess
import sys
import textwrap
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from media.recording import RecordingError, StereoRecorder
from media.wav_file import RecordingInfo, repair_wav, wav_info

RATE = 16000
REPO_ROOT = Path(__file__).resolve().parents[2]


def pcm(values: np.ndarray | list[int]) -> bytes:
    return np.asarray(values, dtype="<i2").tobytes()


def const(value: int, n: int) -> bytes:
    return pcm(np.full(n, value))


def ramp(start: int, n: int) -> np.ndarray:
    """Position-encoded audio: sample i holds i mod 30000, so misplacement shows."""
    return (np.arange(start, start + n) % 30000).astype("<i2")


def read_stereo(path: Path) -> np.ndarray:
    """All frames as an (n, 2) int16 array, checking the format on the way."""
    with wave.open(str(path), "rb") as wav:
        assert wav.getnchannels() == 2
        assert wav.getsampwidth() == 2
        assert wav.getframerate() == RATE
        data = wav.readframes(wav.getnframes())
    return np.frombuffer(data, dtype="<i2").reshape(-1, 2)


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.name.startswith("recorder:")]
    assert leaked == []


@pytest.fixture
def wav_path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "dir" / "session.wav"


def test_click_on_channel_1_lands_at_its_frame(wav_path: Path) -> None:
    n = 3217
    rec = StereoRecorder(wav_path, sample_rate=RATE)
    rec.start()
    # Candidate audio in uneven chunks, interviewer silent except a one-sample click at N.
    pos = 0
    for size in (1000, 333, 2500, 4167):
        rec.write(0, pos, pcm(ramp(pos, size)))
        pos += size
    rec.write(1, n, pcm([20000]))
    info = rec.close()

    assert wav_path.exists()  # parent folders created
    frames = read_stereo(wav_path)
    assert info.frames == len(frames) == pos
    assert info.channels == 2
    assert info.sample_rate == RATE
    assert info.duration_s == pytest.approx(pos / RATE)
    assert np.array_equal(frames[:, 0], ramp(0, pos))
    assert np.flatnonzero(frames[:, 1]).tolist() == [n]
    assert frames[n, 1] == 20000


def test_gaps_are_zero_filled_and_channels_padded_to_same_length(wav_path: Path) -> None:
    rec = StereoRecorder(wav_path, sample_rate=RATE)
    rec.start()
    rec.write(0, 0, const(100, 100))
    rec.write(0, 1000, const(200, 100))  # gap 100..1000 on channel 0
    rec.write(1, 500, const(300, 1500))  # channel 1 starts late and runs longest
    info = rec.close()

    frames = read_stereo(wav_path)
    assert info.frames == len(frames) == 2000
    left, right = frames[:, 0], frames[:, 1]
    assert (left[:100] == 100).all()
    assert (left[100:1000] == 0).all()
    assert (left[1000:1100] == 200).all()
    assert (left[1100:] == 0).all()  # padded to channel 1's length
    assert (right[:500] == 0).all()
    assert (right[500:] == 300).all()


def test_overlap_within_pending_window_later_write_wins(wav_path: Path) -> None:
    rec = StereoRecorder(wav_path, sample_rate=RATE)
    rec.start()
    rec.write(0, 0, const(1, 1000))
    rec.write(0, 500, const(2, 200))
    rec.write(1, 0, const(3, 1000))
    rec.close()

    left = read_stereo(wav_path)[:, 0]
    assert (left[:500] == 1).all()
    assert (left[500:700] == 2).all()
    assert (left[700:] == 1).all()


def test_lagging_channel_is_zero_filled_so_the_file_keeps_growing(wav_path: Path) -> None:
    rec = StereoRecorder(wav_path, sample_rate=RATE, flush_interval_s=60, max_lag_s=0.1)
    rec.start()
    rec.write(0, 0, const(7, RATE))  # one second of candidate; interviewer stream stalled
    rec.flush()
    lag = round(0.1 * RATE)
    assert rec.frames_written == RATE - lag
    frames = read_stereo(wav_path)
    assert len(frames) == RATE - lag
    assert (frames[:, 0] == 7).all()
    assert (frames[:, 1] == 0).all()

    # The stalled stream resumes: audio inside the lag window still lands, older audio is late.
    rec.write(1, RATE - lag - 50, const(9, 100))
    info = rec.close()
    frames = read_stereo(wav_path)
    assert info.frames == len(frames) == RATE
    assert info.late_samples == 50
    assert info.late_by_channel == (0, 50)
    assert (frames[RATE - lag : RATE - lag + 50, 1] == 9).all()
    assert (frames[RATE - lag - 50 : RATE - lag, 1] == 0).all()


def test_a_wider_lag_limit_keeps_positions_open_until_it_is_narrowed(wav_path: Path) -> None:
    half = RATE // 2
    rec = StereoRecorder(wav_path, sample_rate=RATE, flush_interval_s=60, max_lag_s=0.1)
    rec.start()
    rec.set_max_lag(1.0)  # the candidate's first frames are held back elsewhere for a while
    rec.write(1, 0, const(9, half))
    rec.flush()
    assert rec.frames_written == 0  # 0.5 s ahead is within the wider limit: nothing is decided yet
    rec.write(0, 0, const(7, half))  # the held frames land where they belong
    rec.set_max_lag(0.1)
    rec.write(1, half, const(9, RATE))  # from here the narrow limit holds again
    rec.flush()
    assert rec.frames_written == half + RATE - round(0.1 * RATE)
    info = rec.close()
    assert info.late_by_channel == (0, 0)
    frames = read_stereo(wav_path)
    assert (frames[:half, 0] == 7).all()
    assert (frames[:, 1] == 9).all()
    with pytest.raises(ValueError, match="max_lag_s"):
        StereoRecorder(wav_path).set_max_lag(-1)


def test_the_narrow_limit_alone_would_have_dropped_the_held_frames(wav_path: Path) -> None:
    """The same writes without widening the limit: the candidate's first 0.4 s come too late."""
    half = RATE // 2
    rec = StereoRecorder(wav_path, sample_rate=RATE, flush_interval_s=60, max_lag_s=0.1)
    rec.start()
    rec.write(1, 0, const(9, half))
    rec.flush()
    rec.write(0, 0, const(7, half))
    assert rec.close().late_by_channel == (half - round(0.1 * RATE), 0)


def test_both_channels_must_reach_a_position_before_it_is_written(wav_path: Path) -> None:
    rec = StereoRecorder(wav_path, sample_rate=RATE, flush_interval_s=60, max_lag_s=1.0)
    rec.start()
    rec.write(0, 0, const(1, 8000))
    rec.write(1, 0, const(2, 3000))
    rec.flush()
    assert rec.frames_written == 3000  # min of the high-water marks; lag 5000 < 16000
    rec.write(1, 3000, const(2, 5000))
    rec.flush()
    assert rec.frames_written == 8000
    assert rec.close().frames == 8000


def test_late_samples_are_dropped_and_counted(wav_path: Path) -> None:
    rec = StereoRecorder(wav_path, sample_rate=RATE, flush_interval_s=60)
    rec.start()
    rec.write(0, 0, const(1, 1000))
    rec.write(1, 0, const(2, 1000))
    rec.flush()
    assert rec.frames_written == 1000
    rec.write(0, 900, const(5, 200))  # 100 samples late, 100 placed
    rec.write(1, 0, const(6, 500))  # entirely late
    info = rec.close()
    assert info.late_samples == 600
    assert info.late_by_channel == (100, 500)  # which side lost audio: the candidate 100, the interviewer 500

    frames = read_stereo(wav_path)
    assert len(frames) == 1100
    assert (frames[:1000, 0] == 1).all()  # written-out audio is never touched
    assert (frames[1000:, 0] == 5).all()
    assert (frames[:1000, 1] == 2).all()
    assert (frames[1000:, 1] == 0).all()


def test_header_is_valid_after_each_flush_while_recording(wav_path: Path) -> None:
    rec = StereoRecorder(wav_path, sample_rate=RATE, flush_interval_s=60)
    rec.start()
    assert wav_info(wav_path).frames == 0  # valid (empty) from the start
    for i in range(1, 4):
        start = (i - 1) * 1600
        rec.write(0, start, pcm(ramp(start, 1600)))
        rec.write(1, start, const(-i, 1600))
        rec.flush()
        frames = read_stereo(wav_path)  # read with `wave` while the writer holds the file open
        assert len(frames) == i * 1600
        assert np.array_equal(frames[:, 0], ramp(0, i * 1600))
        assert wav_path.stat().st_size == 44 + i * 1600 * 4
    rec.close()


def test_periodic_flush_without_being_asked(wav_path: Path) -> None:
    rec = StereoRecorder(wav_path, sample_rate=RATE, flush_interval_s=0.02)
    rec.start()
    try:
        rec.write(0, 0, const(1, 800))
        rec.write(1, 0, const(2, 800))
        deadline = time.monotonic() + 5
        # The writer thread updates the file, then its counter: wait for both, not only the file.
        while wav_info(wav_path).frames < 800 or rec.frames_written < 800:
            assert time.monotonic() < deadline, "the writer never flushed on its own"
            time.sleep(0.01)
        assert rec.frames_written == 800
        assert wav_info(wav_path).frames == 800
    finally:
        rec.close()


def test_close_twice_returns_same_info_and_write_after_close_raises(wav_path: Path) -> None:
    rec = StereoRecorder(wav_path, sample_rate=RATE)
    rec.start()
    rec.write(0, 0, const(1, 10))
    first = rec.close()
    assert rec.close() == first
    assert first == RecordingInfo(wav_path, RATE, 2, 10, 10 / RATE, 0)
    with pytest.raises(RuntimeError, match="closed"):
        rec.write(0, 10, const(1, 10))
    with pytest.raises(RuntimeError, match="closed"):
        rec.flush()
    with pytest.raises(RuntimeError, match="closed"):
        rec.start()


async def test_aclose_and_async_context_manager(wav_path: Path) -> None:
    async with StereoRecorder(wav_path, sample_rate=RATE) as rec:
        rec.write(1, 100, const(4, 100))
    info = await rec.aclose()  # idempotent after __aexit__
    assert info.frames == 200
    assert (read_stereo(wav_path)[100:, 1] == 4).all()


def test_no_threads_leak(wav_path: Path) -> None:
    before = set(threading.enumerate())
    for i in range(3):
        with StereoRecorder(wav_path.with_name(f"{i}.wav"), sample_rate=RATE) as rec:
            rec.write(0, 0, const(1, 100))
            assert rec._thread in threading.enumerate()
    assert set(threading.enumerate()) == before


def test_never_started_recorder_closes_cleanly(wav_path: Path) -> None:
    rec = StereoRecorder(wav_path, sample_rate=RATE)
    assert rec.close().frames == 0
    assert not wav_path.exists()


def test_invalid_arguments(wav_path: Path) -> None:
    with pytest.raises(ValueError, match="flush_interval_s"):
        StereoRecorder(wav_path, flush_interval_s=0)
    with pytest.raises(ValueError, match="max_lag_s"):
        StereoRecorder(wav_path, max_lag_s=-1)
    with StereoRecorder(wav_path) as rec:
        with pytest.raises(ValueError, match="channel"):
            rec.write(2, 0, const(1, 2))
        with pytest.raises(ValueError, match="start_sample"):
            rec.write(0, -1, const(1, 2))
        with pytest.raises(ValueError, match="whole int16"):
            rec.write(0, 0, b"\x00\x01\x02")
        with pytest.raises(RuntimeError, match="already started"):
            rec.start()


def test_writer_error_surfaces_on_close_and_never_hangs(
    wav_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    rec = StereoRecorder(wav_path, sample_rate=RATE, flush_interval_s=60)
    rec.start()
    monkeypatch.setattr(os, "fsync", disk_full)
    rec.write(0, 0, const(1, 100))
    rec.write(1, 0, const(1, 100))
    with pytest.raises(RecordingError, match="No space left") as caught:
        rec.flush(timeout=5)
    assert isinstance(caught.value.__cause__, OSError)
    rec.write(0, 100, const(1, 100))  # dropped quietly: the writer is gone
    with pytest.raises(RecordingError):
        rec.close()
    with pytest.raises(RecordingError):
        rec.close()  # still reported, still does not hang
    assert rec._thread is not None
    assert not rec._thread.is_alive()


def test_repair_wav_fixes_sizes_and_truncates_partial_frame(tmp_path: Path) -> None:
    path = tmp_path / "broken.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(const(5, 2 * 100))
    with path.open("r+b") as f:  # what a crash before the first header rewrite leaves
        f.seek(0, os.SEEK_END)
        f.write(const(6, 2 * 50) + b"\x01\x02\x03")
        f.seek(4)
        f.write(struct.pack("<I", 36))
        f.seek(40)
        f.write(struct.pack("<I", 0))
    assert wav_info(path).frames == 0

    info = repair_wav(path)
    assert info.frames == 150
    assert info.channels == 2
    assert info.duration_s == pytest.approx(150 / RATE)
    assert path.stat().st_size == 44 + 150 * 4
    frames = read_stereo(path)
    assert (frames[:100] == 5).all()
    assert (frames[100:] == 6).all()
    assert repair_wav(path) == info  # idempotent on a healthy file
    assert wav_info(path) == info


def test_repair_and_info_reject_non_wav(tmp_path: Path) -> None:
    path = tmp_path / "junk.wav"
    path.write_bytes(b"not a wav file at all, not even close" * 4)
    with pytest.raises(ValueError, match="RIFF"):
        repair_wav(path)
    with pytest.raises(ValueError, match="not a valid WAV"):
        wav_info(path)


CRASH_CHILD = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from pathlib import Path
    from media.recording import StereoRecorder

    rate, chunk = 16000, 320
    rec = StereoRecorder(Path(sys.argv[1]), sample_rate=rate, flush_interval_s=0.1, max_lag_s=0.2)
    rec.start()
    t0, pos = time.monotonic(), 0
    while True:
        # Real-time pacing: stream time follows the wall clock, as in a live session.
        due = int((time.monotonic() - t0) * rate)
        while pos + chunk <= due:
            samples = (np.arange(pos, pos + chunk) % 30000).astype("<i2")
            rec.write(0, pos, samples.tobytes())
            rec.write(1, pos, (-samples).tobytes())
            pos += chunk
        print(pos, flush=True)
        time.sleep(0.005)
    """
)


def test_sigkill_mid_recording_leaves_a_playable_file(tmp_path: Path) -> None:
    path = tmp_path / "crash.wav"
    flush_s, lag_s, slack_s = 0.1, 0.2, 0.25
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASH_CHILD, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO_ROOT,
        env=env,
        text=True,
    )
    last = 0
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 8
        while last < int(0.8 * RATE):
            line = proc.stdout.readline()
            assert line, f"child exited early: {proc.stderr.read() if proc.stderr else ''}"
            last = int(line)
            assert time.monotonic() < deadline
        proc.send_signal(signal.SIGKILL)
        out, _err = proc.communicate(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    last = max([last, *(int(x) for x in out.split())])

    try:
        frames_before = wav_info(path).frames
    except ValueError:
        frames_before = 0
    info = repair_wav(path)
    assert info.frames >= frames_before
    frames = read_stereo(path)
    assert len(frames) == info.frames
    # At most about flush_interval_s + max_lag_s lost (plus scheduling slack), and nothing invented.
    assert info.frames >= last - round((flush_s + lag_s + slack_s) * RATE)
    assert info.frames <= last + round(slack_s * RATE)
    expected = ramp(0, info.frames)
    assert np.array_equal(frames[:, 0], expected)
    assert np.array_equal(frames[:, 1], -expected)


def test_append_continues_an_existing_recording(tmp_path: Path) -> None:
    path = tmp_path / "resumed.wav"
    first = StereoRecorder(path, sample_rate=16000)
    first.start()
    first.write(0, 0, np.full(1600, 100, dtype="<i2").tobytes())
    first.write(1, 0, np.full(1600, 200, dtype="<i2").tobytes())
    assert first.close().frames == 1600

    second = StereoRecorder(path, sample_rate=16000)
    second.start(append=True)
    assert second.frames_written == 1600
    second.write(0, 1600, np.full(800, 300, dtype="<i2").tobytes())
    second.write(1, 1600, np.full(800, 400, dtype="<i2").tobytes())
    info = second.close()
    assert info.frames == 2400
    with wave.open(str(path)) as wav:
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    assert frames[:1600].tolist() == [[100, 200]] * 1600
    assert frames[1600:].tolist() == [[300, 400]] * 800


def test_a_recording_shorter_than_the_timeline_continues_after_silence(tmp_path: Path) -> None:
    # An interview resumed on another engine: this engine's file is new, the transcript already runs
    # to 0.5 s; and one resumed here after a crash whose file lost its end: 0.1 s on disk, 0.15 s held.
    elsewhere = StereoRecorder(tmp_path / "taken-over.wav", sample_rate=16000)
    assert elsewhere.start(append=True, from_frame=8000) == 8000
    assert elsewhere.frames_written == 8000
    elsewhere.write(0, 8000, np.full(800, 300, dtype="<i2").tobytes())
    elsewhere.write(1, 8000, np.full(800, 400, dtype="<i2").tobytes())
    assert elsewhere.close().frames == 8800
    with wave.open(str(tmp_path / "taken-over.wav")) as wav:
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    assert not frames[:8000].any()
    assert frames[8000:].tolist() == [[300, 400]] * 800

    path = tmp_path / "crashed.wav"
    first = StereoRecorder(path, sample_rate=16000)
    first.start()
    first.write(0, 0, np.full(1600, 100, dtype="<i2").tobytes())
    first.write(1, 0, np.full(1600, 200, dtype="<i2").tobytes())
    first.close()
    again = StereoRecorder(path, sample_rate=16000)
    assert again.start(append=True, from_frame=2400) == 800
    assert again.close().frames == 2400
    with wave.open(str(path)) as wav:
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    assert frames[:1600].tolist() == [[100, 200]] * 1600, "what was recorded stays"
    assert not frames[1600:].any()

    # A file already longer than the timeline is continued where it ends, nothing added.
    longer = StereoRecorder(path, sample_rate=16000)
    assert longer.start(append=True, from_frame=100) == 0
    assert longer.frames_written == 2400
    longer.close()
    with pytest.raises(ValueError, match="from_frame"):
        StereoRecorder(tmp_path / "x.wav", sample_rate=16000).start(from_frame=-1)


def test_append_refuses_another_format_and_starts_fresh_without_a_file(tmp_path: Path) -> None:
    path = tmp_path / "other.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(bytes(800))
    recorder = StereoRecorder(path, sample_rate=16000)
    with pytest.raises(ValueError, match="cannot append"):
        recorder.start(append=True)
    fresh = StereoRecorder(tmp_path / "new.wav", sample_rate=16000)
    fresh.start(append=True)
    assert fresh.frames_written == 0
    assert fresh.close().frames == 0
