"""Inbound frames placed by their RTP timestamps, anchored by the fastest ones: jitter, a backlog at the
start and a stall in the middle shift nothing."""

from __future__ import annotations

import pytest

from media.inbound_clock import SETTLE_MAX_S, InboundClock

RATE = 48_000
SAMPLES = 960  # 20 ms
HOLD = 4 * SAMPLES / RATE  # aiortc's jitter buffer: 80 ms


def feed(clock: InboundClock, frames: list[tuple[int, float]]) -> list[float]:
    """Observe every frame first (as the session does with held ones), then place them."""
    for pts, arrival in frames:
        clock.observe(pts, RATE, arrival, SAMPLES)
    return [clock.start_of(pts, RATE, SAMPLES, arrival) for pts, arrival in frames]


def test_prompt_frames_are_placed_when_captured_before_the_receivers_hold() -> None:
    clock = InboundClock()
    starts = []
    for k in range(5):
        arrival = 10.0 + HOLD + 0.02 * k
        clock.observe(1000 + k * SAMPLES, RATE, arrival, SAMPLES)
        assert clock.settled == (k >= 1)
        starts.append(clock.start_of(1000 + k * SAMPLES, RATE, SAMPLES, arrival))
    assert starts == pytest.approx([10.0 + 0.02 * k for k in range(5)])


def test_jitter_does_not_move_frames() -> None:
    clock = InboundClock(hold_frames=0)
    jitter = [0.0, 0.013, 0.004, 0.031, 0.0, 0.022, 0.009]
    starts = feed(clock, [(k * SAMPLES, 5.0 + 0.02 * k + j) for k, j in enumerate(jitter)])
    # Every frame at its timestamp from the fastest one's anchor: spacing exact, nothing late.
    assert starts == pytest.approx([5.0 + 0.02 * k for k in range(len(jitter))])


def test_a_backlog_at_the_start_waits_for_the_streams_pace_and_shifts_nothing() -> None:
    clock = InboundClock(hold_frames=0)
    # Captured from t=1.0 on, but nothing was read for 1.5 s: 75 frames come back to back at 2.5 s,
    # then the stream goes on at its pace.
    backlog = [(k * SAMPLES, 2.5 + 0.0002 * k) for k in range(75)]
    for pts, arrival in backlog:
        clock.observe(pts, RATE, arrival, SAMPLES)
        assert not clock.settled, "a backlog read back to back must not anchor the stream"
    # Frames 75 and on were captured while the backlog drained: the first comes 5 ms after it, then the
    # stream is read at its own pace.
    paced = [(k * SAMPLES, 1.0 + 0.02 * k) for k in range(76, 80)]
    frames = list(backlog)
    for pts, arrival in paced:
        clock.observe(pts, RATE, arrival, SAMPLES)
        frames.append((pts, arrival))
        if clock.settled:
            break
    assert clock.settled
    assert len(frames) == 77  # one frame at the stream's pace was enough
    starts = [clock.start_of(pts, RATE, SAMPLES, arrival) for pts, arrival in frames]
    expected = [1.0 + 0.02 * k for k in range(75)] + [1.0 + 0.02 * k for k in (76, 77)]
    assert starts == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("stall_s", [1.5, 3.0, 4.5])
def test_a_backlog_of_any_stall_up_to_the_limit_is_placed_where_it_was_captured(stall_s: float) -> None:
    """With a limit shorter than the stall (2 s, as before), a 3 s backlog anchored the stream 1 s late
    for its first 2 s of audio: the engine's recording then lost the candidate's first words."""
    clock = InboundClock(hold_frames=0)
    count = round(stall_s / 0.02)
    frames = []
    for k in range(count):  # captured from t=1.0 on, read back to back once the stall is over
        frames.append((k * SAMPLES, 1.0 + stall_s + 0.0001 * k))
        clock.observe(k * SAMPLES, RATE, 1.0 + stall_s + 0.0001 * k, SAMPLES)
        assert not clock.settled
    for k in range(count, count + 5):  # then the stream at its own pace
        frames.append((k * SAMPLES, 1.0 + 0.02 * k))
        clock.observe(k * SAMPLES, RATE, 1.0 + 0.02 * k, SAMPLES)
        if clock.settled:
            break
    assert clock.settled
    starts = [clock.start_of(pts, RATE, SAMPLES, arrival) for pts, arrival in frames]
    assert starts == pytest.approx([1.0 + 0.02 * k for k in range(len(frames))], abs=1e-6)


def test_a_stall_in_the_middle_shifts_nothing() -> None:
    clock = InboundClock(hold_frames=0)
    steady = feed(clock, [(k * SAMPLES, 3.0 + 0.02 * k) for k in range(50)])
    assert clock.settled
    # The engine stalls for 2 s: the next 100 frames arrive late, all at once.
    late = feed(clock, [(k * SAMPLES, 6.0 + 0.0001 * k) for k in range(50, 150)])
    assert [*steady, *late] == pytest.approx([3.0 + 0.02 * k for k in range(150)])


def test_a_backlog_longer_than_the_settling_limit_is_placed_anyway() -> None:
    clock = InboundClock(hold_frames=0)
    count = int(SETTLE_MAX_S / 0.02) + 1
    for k in range(count):
        clock.observe(k * SAMPLES, RATE, 9.0, SAMPLES)
    assert clock.settled


def test_the_anchor_follows_a_slow_drift_within_its_window() -> None:
    clock = InboundClock(hold_frames=0, window_s=1.0)
    # The sender's clock runs 1% slow (absurdly fast drift, to see it in a few seconds): frames arrive
    # later and later against their timestamps. The window lets the anchor follow.
    frames = [(k * SAMPLES, 2.0 + 0.0202 * k) for k in range(300)]
    starts = []
    for pts, arrival in frames:
        clock.observe(pts, RATE, arrival, SAMPLES)
        starts.append(clock.start_of(pts, RATE, SAMPLES, arrival))
    assert starts[1] == pytest.approx(2.02)  # anchored by the first frame, the fastest so far
    # Six seconds in, placement trails arrival by at most the drift over one window (1 s of it: 10 ms),
    # where a fixed anchor would trail it by 60 ms.
    lags = [arrival - start for (_, arrival), start in zip(frames, starts, strict=True)]
    assert max(lags[-50:]) <= 0.011
    assert min(lags) >= 0.0  # and never ahead of it


def test_rtp_timestamp_wrap_and_frames_without_one() -> None:
    clock = InboundClock(hold_frames=0)
    first = (1 << 32) - 480
    starts = feed(clock, [(first, 1.0), (480, 1.02), (1440, 1.04)])
    assert starts == pytest.approx([1.0, 1.02, 1.04])
    bare = InboundClock()
    bare.observe(None, RATE, 2.0, SAMPLES)
    assert bare.settled
    assert bare.start_of(None, RATE, SAMPLES, 2.0) == 2.0
    bare.observe(None, RATE, 9.0, SAMPLES)
    # No timestamps: frames follow one another, whatever their arrival.
    assert bare.start_of(None, RATE, SAMPLES, 9.0) == pytest.approx(2.02)
