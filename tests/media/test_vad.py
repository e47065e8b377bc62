"""The VAD state machine on synthetic decision sequences, its config, and the webrtcvad classifier."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.settings import VadSettings
from media.vad import (
    SpeechEnded,
    SpeechStarted,
    VadConfig,
    VadEvent,
    VadState,
    VadStateMachine,
    WebRtcVadClassifier,
)

# 20 ms frames, 3 voiced frames to start, 5 unvoiced frames to stop.
CONFIG = VadConfig(frame_ms=20, start_ms=60, hangover_ms=100)


def run(
    decisions: str, config: VadConfig = CONFIG, origin: float = 0.0, machine: VadStateMachine | None = None
) -> list[tuple[int, VadEvent]]:
    """Feed '1' (voiced) / '0' decisions for contiguous frames from `origin`; (frame number, event) pairs."""
    machine = machine or VadStateMachine(config)
    frame_s = config.frame_ms / 1000
    events: list[tuple[int, VadEvent]] = []
    for i, decision in enumerate(decisions):
        event = machine.update(decision == "1", origin + (i + 1) * frame_s)
        if event is not None:
            events.append((i, rounded(event)))
    return events


def rounded(event: VadEvent) -> VadEvent:
    """Rounds times to 1 ns, so frame arithmetic in floats compares exactly with decimal literals."""
    if isinstance(event, SpeechStarted):
        return SpeechStarted(round(event.start, 9))
    return SpeechEnded(round(event.start, 9), round(event.end, 9), round(event.detected_at, 9))


def started(start: float) -> SpeechStarted:
    return SpeechStarted(round(start, 9))


def ended(start: float, end: float, detected_at: float) -> SpeechEnded:
    return SpeechEnded(round(start, 9), round(end, 9), round(detected_at, 9))


def test_speech_starts_after_start_ms_of_voiced_frames_at_the_first_voiced_frame() -> None:
    assert run("00111") == [(4, started(0.04))]


@pytest.mark.parametrize("decisions", ["1", "11", "110", "1100000", "0110110110"])
def test_a_blip_shorter_than_start_ms_does_not_start_speech(decisions: str) -> None:
    machine = VadStateMachine(CONFIG)
    assert run(decisions, machine=machine) == []
    assert not machine.speaking


def test_an_interrupted_start_counts_again_from_the_next_voiced_frame() -> None:
    assert run("1101110") == [(5, started(0.06))]


def test_a_pause_shorter_than_the_hangover_does_not_end_speech() -> None:
    # Voiced 0-2, a 4-frame pause, voiced 7, then the 5-frame hangover ends speech at frame 12.
    assert run("111" + "0000" + "1" + "00000" + "000") == [
        (2, started(0.0)),
        (12, ended(0.0, 0.16, 0.26)),
    ]


def test_states_step_through_quiet_starting_speaking_stopping() -> None:
    machine = VadStateMachine(CONFIG)
    seen = []
    for i, decision in enumerate("1110000010"):
        machine.update(decision == "1", (i + 1) * 0.02)
        seen.append(machine.state)
    assert seen == [
        VadState.STARTING,
        VadState.STARTING,
        VadState.SPEAKING,
        VadState.STOPPING,
        VadState.STOPPING,
        VadState.STOPPING,
        VadState.STOPPING,
        VadState.QUIET,
        VadState.STARTING,
        VadState.QUIET,
    ]


@pytest.mark.parametrize("frame_ms", [10, 20, 30])
@pytest.mark.parametrize("hangover_ms", [0, 10, 50, 300, 310])
def test_hangover_expires_after_hangover_ms_rounded_up_to_whole_frames(
    frame_ms: int, hangover_ms: int
) -> None:
    config = VadConfig(frame_ms=frame_ms, start_ms=0, hangover_ms=hangover_ms)
    frames = max(1, math.ceil(hangover_ms / frame_ms))
    assert config.hangover_frames == frames
    frame_s = frame_ms / 1000
    events = run("0011" + "0" * 40, config, origin=7.0)
    assert events == [
        (2, started(7.0 + 2 * frame_s)),
        (3 + frames, ended(7.0 + 2 * frame_s, 7.0 + 4 * frame_s, 7.0 + (4 + frames) * frame_s)),
    ]


@pytest.mark.parametrize(
    ("frame_ms", "start_ms", "frames"), [(10, 60, 6), (20, 60, 3), (30, 60, 2), (20, 50, 3)]
)
def test_start_needs_start_ms_rounded_up_to_whole_frames(frame_ms: int, start_ms: int, frames: int) -> None:
    config = VadConfig(frame_ms=frame_ms, start_ms=start_ms)
    assert config.start_frames == frames
    assert run("1" * (frames - 1) + "0", config) == []
    assert run("1" * frames, config) == [(frames - 1, started(0.0))]


def test_zero_start_ms_starts_on_the_first_voiced_frame() -> None:
    assert run("01", VadConfig(frame_ms=30, start_ms=0)) == [(1, started(0.03))]


def test_reset_forgets_speech_in_progress() -> None:
    machine = VadStateMachine(CONFIG)
    assert run("1111", machine=machine) == [(2, started(0.0))]
    machine.reset()
    assert machine.state is VadState.QUIET
    assert run("0" * 10, machine=machine) == []
    # A half-counted start is forgotten too: two frames, reset, two frames is not three in a row.
    assert run("11", machine=machine) == []
    machine.reset()
    assert run("11", machine=machine) == []


def test_flush_ends_speech_at_the_last_voiced_frame() -> None:
    machine = VadStateMachine(CONFIG)
    run("0111110", machine=machine)
    assert (machine.state, machine.speaking) == (VadState.STOPPING, True)
    flushed = machine.flush(0.5)
    assert flushed is not None
    assert rounded(flushed) == ended(0.02, 0.12, 0.5)
    assert machine.state is VadState.QUIET
    assert machine.flush(0.6) is None


def test_flush_detection_time_is_never_before_the_end_of_speech() -> None:
    machine = VadStateMachine(CONFIG)
    run("1111", machine=machine)
    flushed = machine.flush(0.01)
    assert flushed is not None
    assert rounded(flushed) == ended(0.0, 0.08, 0.08)


def test_flush_while_starting_emits_nothing_and_resets() -> None:
    machine = VadStateMachine(CONFIG)
    run("11", machine=machine)
    assert machine.flush(1.0) is None
    assert run("1", machine=machine) == []


@given(st.text(alphabet="01", max_size=200), st.sampled_from([10, 20, 30]))
def test_events_alternate_and_respect_debounce_and_hangover(decisions: str, frame_ms: int) -> None:
    config = VadConfig(frame_ms=frame_ms, start_ms=60, hangover_ms=100)
    frame_s = frame_ms / 1000
    events = run(decisions, config)
    for n, (i, event) in enumerate(events):
        if n % 2 == 0:
            assert isinstance(event, SpeechStarted)
            first = i - config.start_frames + 1
            assert decisions[first : i + 1] == "1" * config.start_frames
            assert first == 0 or decisions[first - 1] == "0"
            assert event.start == round(first * frame_s, 9)
        else:
            assert isinstance(event, SpeechEnded)
            assert decisions[i - config.hangover_frames + 1 : i + 1] == "0" * config.hangover_frames
            assert decisions[i - config.hangover_frames] == "1"
            assert event.detected_at == round((i + 1) * frame_s, 9)
            assert event.end == round(event.detected_at - config.hangover_frames * frame_s, 9)
            assert event.start == events[n - 1][1].start
    # Speech still open at the end only if the tail holds no full hangover.
    if len(events) % 2:
        assert "0" * config.hangover_frames not in decisions[events[-1][0] :]


def test_config_from_settings() -> None:
    settings = VadSettings(aggressiveness=3, frame_ms=30, start_ms=90, pre_roll_ms=250, hangover_ms=400)
    config = VadConfig.from_settings(settings)
    assert config == VadConfig(
        aggressiveness=3, frame_ms=30, start_ms=90, pre_roll_ms=250, hangover_ms=400, sample_rate=16000
    )
    assert (config.frame_samples, config.start_frames, config.hangover_frames) == (480, 3, 14)
    assert VadConfig.from_settings(VadSettings()) == VadConfig()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"aggressiveness": 4},
        {"aggressiveness": -1},
        {"frame_ms": 25},
        {"sample_rate": 44100},
        {"start_ms": -1},
        {"pre_roll_ms": -1},
        {"hangover_ms": -20},
    ],
)
def test_config_rejects_what_webrtcvad_cannot_do(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        VadConfig(**kwargs)


def harmonic_tone(seconds: float, rate: int = 16000) -> bytes:
    """A voice-like buzz: harmonics of 150 Hz, amplitude-modulated at 4 Hz like syllables."""
    t = np.arange(round(seconds * rate)) / rate
    buzz = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 20))
    buzz = buzz * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))
    return bytes((buzz / np.abs(buzz).max() * 8000).astype("<i2").tobytes())


@pytest.mark.parametrize("aggressiveness", [0, 1, 2, 3])
@pytest.mark.parametrize("frame_ms", [10, 20, 30])
def test_webrtcvad_calls_a_harmonic_tone_speech_and_zeros_silence(aggressiveness: int, frame_ms: int) -> None:
    classifier = WebRtcVadClassifier(aggressiveness)
    frame_bytes = 16000 * frame_ms // 1000 * 2
    silence = bytes(frame_bytes)
    assert [classifier.is_speech(silence, 16000) for _ in range(20)] == [False] * 20
    tone = harmonic_tone(1.0)
    frames = [tone[i : i + frame_bytes] for i in range(0, len(tone) - frame_bytes + 1, frame_bytes)]
    assert all(classifier.is_speech(frame, 16000) for frame in frames)


def test_webrtcvad_classifier_rejects_bad_aggressiveness() -> None:
    with pytest.raises(ValueError, match="aggressiveness"):
        WebRtcVadClassifier(4)


def faint_noise(seconds: float, seed: int = 1) -> bytes:
    return bytes(np.random.default_rng(seed).normal(0, 30, round(seconds * 16000)).astype("<i2").tobytes())


def decisions(classifier: WebRtcVadClassifier, pcm: bytes, frame_ms: int = 20) -> str:
    frame_bytes = 16000 * frame_ms // 1000 * 2
    return "".join(
        "1" if classifier.is_speech(pcm[i : i + frame_bytes], 16000) else "0"
        for i in range(0, len(pcm) - frame_bytes + 1, frame_bytes)
    )


def test_untrained_webrtcvad_calls_the_first_frames_of_faint_noise_speech() -> None:
    # Why the classifier has a warm-up: without one, faint hiss opens the call with a phantom utterance.
    assert decisions(WebRtcVadClassifier(0, warmup_ms=0), faint_noise(0.5)) == "011111" + "0" * 19


@pytest.mark.parametrize("frame_ms", [10, 20, 30])
def test_the_warm_up_counts_as_silence_but_trains_the_model(frame_ms: int) -> None:
    for aggressiveness in range(4):
        assert "1" not in decisions(WebRtcVadClassifier(aggressiveness), faint_noise(1.0), frame_ms)
    # 200 ms of warm-up is a whole number of 10 and 20 ms frames and rounds up to 7 frames of 30 ms.
    warmup_frames = {10: 20, 20: 10, 30: 7}[frame_ms]
    voiced = decisions(WebRtcVadClassifier(2), harmonic_tone(1.0), frame_ms)
    assert voiced == "0" * warmup_frames + "1" * (len(voiced) - warmup_frames)


def test_webrtcvad_classifier_rejects_a_negative_warm_up() -> None:
    with pytest.raises(ValueError, match="warmup_ms"):
        WebRtcVadClassifier(2, warmup_ms=-1)
