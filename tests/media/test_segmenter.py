"""The segmenter on synthetic audio, with a threshold classifier (exact timings) and with webrtcvad."""

from __future__ import annotations

import random

import numpy as np
import pytest

from media.segmenter import (
    PauseEnded,
    PauseStarted,
    Segmenter,
    SegmenterEvent,
    SilenceBegan,
    UtteranceEnded,
    UtteranceStarted,
)
from media.vad import VadConfig, WebRtcVadClassifier
from tests.media.test_vad import harmonic_tone

RATE = 16000
# 20 ms frames, 60 ms to start, 300 ms pre-roll, 300 ms hangover; the segmenter's tail is 200 ms.
CONFIG = VadConfig(frame_ms=20, start_ms=60, pre_roll_ms=300, hangover_ms=300)


class LoudnessClassifier:
    """Speech = any sample at or above 1000 in magnitude; records the frames it was shown."""

    def __init__(self) -> None:
        self.frame_sizes: set[int] = set()
        self.rates: set[int] = set()
        self.calls = 0

    def is_speech(self, frame: bytes, sample_rate: int) -> bool:
        self.frame_sizes.add(len(frame))
        self.rates.add(sample_rate)
        self.calls += 1
        return bool(np.abs(np.frombuffer(frame, "<i2").astype(np.int32)).max() >= 1000)


def silence(seconds: float) -> bytes:
    return bytes(round(seconds * RATE) * 2)


def tone(seconds: float) -> bytes:
    """Loud enough for the loudness classifier from its first sample: a constant plus the buzz."""
    buzz = np.frombuffer(harmonic_tone(seconds), "<i2").astype(np.int32)
    return bytes(np.clip(buzz + 2000, -32768, 32767).astype("<i2").tobytes())


def samples(pcm: bytes, start: int, end: int) -> bytes:
    return pcm[start * 2 : end * 2]


def feed(
    segmenter: Segmenter, pcm: bytes, chunks: list[int] | int | None = None, at: float = 0.0
) -> list[SegmenterEvent]:
    """Push `pcm` in chunks of the given sample counts (cycled), each stamped with its stream time."""
    sizes = [len(pcm) // 2] if chunks is None else [chunks] if isinstance(chunks, int) else chunks
    events: list[SegmenterEvent] = []
    offset = 0
    n = 0
    while offset < len(pcm) // 2:
        size = max(1, sizes[n % len(sizes)])
        events += segmenter.push(samples(pcm, offset, offset + size), at + offset / RATE)
        offset += size
        n += 1
    return events


def one_utterance(
    pcm: bytes, start: int, end: int, detected: int, audio_end: int, at: int = 0
) -> list[SegmenterEvent]:
    """Expected events of one utterance, given sample positions in `pcm` (which starts at sample `at`)."""
    return [
        UtteranceStarted(0, (at + start) / RATE),
        UtteranceEnded(
            0, (at + start) / RATE, (at + end) / RATE, (at + detected) / RATE, samples(pcm, start, audio_end)
        ),
    ]


# Speech from 1.0 s to 2.0 s: starts 0.3 s earlier with the pre-roll, is detected over 0.3 s after its end
# and carries a 0.2 s tail.
SPEECH = silence(1.0) + tone(1.0) + silence(1.0)
SPEECH_EVENTS = one_utterance(SPEECH, 11200, 32000, 36800, 35200)


def test_an_utterance_has_pre_roll_tail_and_exact_times() -> None:
    classifier = LoudnessClassifier()
    segmenter = Segmenter(CONFIG, classifier)
    events = feed(segmenter, SPEECH)
    assert events == SPEECH_EVENTS
    assert events[0] == UtteranceStarted(0, 0.7)
    assert events[1] == UtteranceEnded(0, 0.7, 2.0, 2.3, samples(SPEECH, 11200, 35200))
    assert (classifier.frame_sizes, classifier.rates, classifier.calls) == ({640}, {16000}, 150)
    assert not segmenter.speaking


@pytest.mark.parametrize("frame_ms", [10, 20, 30])
def test_every_frame_size_gives_the_same_utterance(frame_ms: int) -> None:
    # 0.96 s and 1.92 s lie on the 10, 20 and 30 ms grids alike, and 60/300 ms are whole frames of each.
    pcm = silence(0.96) + tone(0.96) + silence(0.6)
    classifier = LoudnessClassifier()
    segmenter = Segmenter(
        VadConfig(frame_ms=frame_ms, start_ms=60, pre_roll_ms=300, hangover_ms=300), classifier
    )
    assert feed(segmenter, pcm) == one_utterance(pcm, 10560, 30720, 35520, 33920)
    assert classifier.frame_sizes == {RATE * frame_ms // 1000 * 2}


@pytest.mark.parametrize("chunks", [1, 7, 160, 319, 320, 321, 333, 4801, [1, 2, 3, 500, 77, 1024, 9]])
def test_any_push_size_gives_identical_events(chunks: int | list[int]) -> None:
    assert feed(Segmenter(CONFIG, LoudnessClassifier()), SPEECH, chunks) == SPEECH_EVENTS


def test_random_push_sizes_give_identical_events() -> None:
    sizes = [random.Random(7).randint(1, 3000) for _ in range(100)]
    assert feed(Segmenter(CONFIG, LoudnessClassifier()), SPEECH, sizes) == SPEECH_EVENTS


def test_times_are_stream_times_from_the_first_push() -> None:
    assert feed(Segmenter(CONFIG, LoudnessClassifier()), SPEECH, 333, at=3.0) == one_utterance(
        SPEECH, 11200, 32000, 36800, 35200, at=48000
    )


def test_pre_roll_is_clipped_at_the_start_of_the_stream() -> None:
    pcm = silence(0.1) + tone(0.5) + silence(0.5)
    assert feed(Segmenter(CONFIG, LoudnessClassifier()), pcm, at=5.0) == one_utterance(
        pcm, 0, 9600, 14400, 12800, at=80000
    )


def test_a_click_shorter_than_start_ms_is_no_utterance() -> None:
    segmenter = Segmenter(CONFIG, LoudnessClassifier())
    assert feed(segmenter, silence(0.5) + tone(0.04) + silence(0.5)) == []
    assert not segmenter.speaking
    assert segmenter.current_audio() is None


def test_a_pause_shorter_than_the_hangover_stays_in_one_utterance() -> None:
    pcm = silence(1.0) + tone(1.0) + silence(0.28) + tone(0.5) + silence(1.0)
    assert feed(Segmenter(CONFIG, LoudnessClassifier()), pcm, 500) == one_utterance(
        pcm, 11200, 44480, 49280, 47680
    )


def test_the_next_pre_roll_does_not_overlap_the_previous_utterance() -> None:
    pcm = silence(1.0) + tone(1.0) + silence(0.4) + tone(0.6) + silence(1.0)
    events = feed(Segmenter(CONFIG, LoudnessClassifier()), pcm)
    # The first utterance's audio runs to 2.2 s; the second's pre-roll would begin at 2.1 s.
    assert events == [
        UtteranceStarted(0, 0.7),
        UtteranceEnded(0, 0.7, 2.0, 2.3, samples(pcm, 11200, 35200)),
        UtteranceStarted(1, 2.2),
        UtteranceEnded(1, 2.2, 3.0, 3.3, samples(pcm, 35200, 51200)),
    ]


def test_current_audio_follows_the_open_utterance() -> None:
    segmenter = Segmenter(CONFIG, LoudnessClassifier())
    assert segmenter.current_audio() is None
    assert feed(segmenter, samples(SPEECH, 0, 24000)) == [UtteranceStarted(0, 0.7)]
    assert segmenter.speaking
    assert segmenter.current_audio() == samples(SPEECH, 11200, 24000)
    # A partial frame is not part of it yet.
    segmenter.push(samples(SPEECH, 24000, 24100), 1.5)
    assert segmenter.current_audio() == samples(SPEECH, 11200, 24000)
    segmenter.push(samples(SPEECH, 24100, 48000), 24100 / RATE)
    assert not segmenter.speaking
    assert segmenter.current_audio() is None


def soft_tone(seconds: float) -> bytes:
    """Still speech to the loudness classifier, with far less energy than `tone`."""
    return bytes(np.full(round(seconds * RATE), 1100, dtype="<i2").tobytes())


def pieces(events: list[SegmenterEvent]) -> list[UtteranceEnded]:
    return [event for event in events if isinstance(event, UtteranceEnded)]


def test_the_hard_cap_cuts_at_the_quietest_boundary_of_the_last_second() -> None:
    pcm = silence(1.0) + tone(1.1) + soft_tone(0.1) + tone(3.4) + silence(1.0)
    events = feed(Segmenter(CONFIG, LoudnessClassifier(), max_utterance_s=2.0), pcm, 777)
    ended = pieces(events)
    # The cap falls at 2.5 s (2 s after the pre-roll's start at 0.7, less the 0.2 s tail): the cut goes
    # back to the soft stretch at 2.1-2.2 s, between two of its frames, not into the loud speech.
    assert ended[0].start == 0.7
    assert 2.1 < ended[0].end < 2.2
    assert ended[0].continued
    assert events[2] == UtteranceStarted(1, ended[0].end)
    # Later pieces are cut the same way (in a constant tone anywhere in the last second), never longer
    # than the cap; the last one ends with the speech and is not continued.
    assert all(p.continued for p in ended[:-1])
    assert not ended[-1].continued
    assert all(p.end - p.start <= 2.0 for p in ended)
    assert ended[-1].end == 5.6
    # Nothing lost or repeated.
    assert b"".join(p.audio for p in ended) == samples(pcm, 11200, 92800)


def test_long_speech_is_cut_inside_a_pause_when_the_voice_comes_back() -> None:
    segmenter = Segmenter(CONFIG, LoudnessClassifier(), split_after_s=2.0, split_pause_ms=160)
    pcm = silence(1.0) + tone(1.0) + silence(0.18) + tone(1.5) + silence(0.2) + tone(1.0) + silence(1.0)
    events = feed(segmenter, pcm, 333)
    # The first pause (at 2.0 s) comes before the utterance is 2 s long: no cut. The second one (3.68 s to
    # 3.88 s) does: the piece keeps half of it (0.1 s, at most the tail) and the next starts there.
    assert events[:3] == [
        UtteranceStarted(0, 0.7),
        UtteranceEnded(0, 0.7, 3.68, 3.9, samples(pcm, 11200, round(3.78 * RATE)), continued=True),
        UtteranceStarted(1, 3.78),
    ]
    last = events[3]
    assert isinstance(last, UtteranceEnded)
    assert not last.continued
    assert (last.index, last.start, last.end) == (1, 3.78, 4.88)
    assert last.audio == samples(pcm, round(3.78 * RATE), round(5.08 * RATE))


def test_a_pause_too_short_to_cut_in_leaves_long_speech_whole() -> None:
    segmenter = Segmenter(CONFIG, LoudnessClassifier(), split_after_s=2.0, split_pause_ms=160)
    pcm = silence(1.0) + tone(2.5) + silence(0.1) + tone(1.0) + silence(1.0)
    assert [(p.start, p.end, p.continued) for p in pieces(feed(segmenter, pcm))] == [(0.7, 4.6, False)]


def test_split_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="split_after_s"):
        Segmenter(CONFIG, LoudnessClassifier(), split_after_s=0)
    with pytest.raises(ValueError, match="split_pause_ms"):
        Segmenter(CONFIG, LoudnessClassifier(), split_pause_ms=0)


# -- pauses inside an utterance (the end-of-turn model's cue) ------------------------------------------


def test_pauses_inside_an_utterance_are_reported_before_the_hangover() -> None:
    pcm = silence(1.0) + tone(1.0) + silence(0.2) + tone(0.5) + silence(1.0)
    events = feed(Segmenter(CONFIG, LoudnessClassifier(), pause_ms=100), pcm, 333)
    # 100 ms after the voice stops (at 2.0 s, then at 2.7 s), before the 300 ms hangover; the voice coming
    # back at 2.2 s ends the first pause, and the utterance is the same one as without pauses.
    assert events == [
        UtteranceStarted(0, 0.7),
        PauseStarted(0, 2.0, 2.1),
        PauseEnded(0, 2.22),
        PauseStarted(0, 2.7, 2.8),
        UtteranceEnded(0, 0.7, 2.7, 3.0, samples(pcm, 11200, 46400)),
    ]
    plain = feed(Segmenter(CONFIG, LoudnessClassifier()), pcm, 333)
    assert [e for e in events if isinstance(e, UtteranceStarted | UtteranceEnded)] == plain


def test_silences_are_reported_sooner_too_and_a_short_one_ends_when_the_voice_is_back() -> None:
    pcm = silence(1.0) + tone(1.0) + silence(0.06) + tone(0.5) + silence(0.2) + tone(0.3) + silence(1.0)
    events = feed(Segmenter(CONFIG, LoudnessClassifier(), pause_ms=100, silence_ms=40), pcm, 333)
    # The 60 ms gap at 2.0 s is reported at 40 ms and never becomes a pause; the 200 ms one at 2.56 s is
    # reported at 40 ms and at 100 ms (the same silence: the same end of voice); the last one at 3.06 s
    # likewise, until the hangover ends the utterance.
    assert events == [
        UtteranceStarted(0, 0.7),
        SilenceBegan(0, 2.0, 2.04),
        PauseEnded(0, 2.08),
        SilenceBegan(0, 2.56, 2.6),
        PauseStarted(0, 2.56, 2.66),
        PauseEnded(0, 2.78),
        SilenceBegan(0, 3.06, 3.1),
        PauseStarted(0, 3.06, 3.16),
        UtteranceEnded(0, 0.7, 3.06, 3.36, samples(pcm, 11200, 52160)),
    ]
    # Without silence_ms: the same pauses and utterance, and nothing about the 60 ms gap.
    plain = feed(Segmenter(CONFIG, LoudnessClassifier(), pause_ms=100), pcm, 333)
    assert plain == [e for e in events if not isinstance(e, SilenceBegan) and e != PauseEnded(0, 2.08)]
    with pytest.raises(ValueError, match="silence_ms"):
        Segmenter(CONFIG, LoudnessClassifier(), pause_ms=100, silence_ms=100)


def test_a_pause_as_long_as_the_hangover_is_never_reported() -> None:
    events = feed(Segmenter(CONFIG, LoudnessClassifier(), pause_ms=300), SPEECH)
    assert events == SPEECH_EVENTS
    with pytest.raises(ValueError, match="pause_ms"):
        Segmenter(CONFIG, LoudnessClassifier(), pause_ms=0)


def test_end_at_pause_closes_the_utterance_at_once_and_the_voice_opens_the_next() -> None:
    segmenter = Segmenter(CONFIG, LoudnessClassifier(), pause_ms=100)
    head = silence(1.0) + tone(1.0) + silence(0.14)
    events = feed(segmenter, head)
    assert events[-1] == PauseStarted(0, 2.0, 2.1)
    # Closed 140 ms into the pause instead of 300: the audio keeps the silence received so far.
    assert segmenter.end_at_pause(0, 2.0) == [UtteranceEnded(0, 0.7, 2.0, 2.14, samples(head, 11200, 34240))]
    assert not segmenter.speaking
    assert segmenter.end_at_pause(0, 2.0) == []  # once
    rest = silence(0.5) + tone(0.5) + silence(1.0)
    events = feed(segmenter, rest, at=2.14)
    pcm = head + rest
    # The next utterance's pre-roll starts where the closed one's audio stopped, not earlier.
    assert events == [
        UtteranceStarted(1, 2.34),
        PauseStarted(1, 3.14, 3.24),
        UtteranceEnded(1, 2.34, 3.14, 3.44, samples(pcm, 37440, 53440)),
    ]


def test_end_at_pause_does_nothing_once_the_voice_is_back_or_for_another_pause() -> None:
    segmenter = Segmenter(CONFIG, LoudnessClassifier(), pause_ms=100)
    pcm = silence(1.0) + tone(1.0) + silence(0.2) + tone(0.3)
    events = feed(segmenter, pcm)
    assert events[-1] == PauseEnded(0, 2.22)
    assert segmenter.end_at_pause(0, 2.0) == []  # the voice came back: that pause is over
    assert segmenter.speaking
    events = feed(segmenter, silence(0.12), at=2.5)
    assert events == [PauseStarted(0, 2.5, 2.6)]
    assert segmenter.end_at_pause(0, 2.0) == []  # a stale pause of the same utterance
    assert segmenter.end_at_pause(1, 2.5) == []  # not the open utterance
    assert [type(e) for e in segmenter.end_at_pause(0, 2.5)] == [UtteranceEnded]


def test_max_utterance_must_hold_the_pre_roll_and_the_tail() -> None:
    with pytest.raises(ValueError, match="max_utterance_s"):
        Segmenter(CONFIG, LoudnessClassifier(), max_utterance_s=0.5)
    with pytest.raises(ValueError, match="tail_ms"):
        Segmenter(CONFIG, LoudnessClassifier(), tail_ms=-1)


def test_the_tail_is_configurable_and_bounded_by_the_hangover() -> None:
    no_tail = feed(Segmenter(CONFIG, LoudnessClassifier(), tail_ms=0), SPEECH)
    assert no_tail == one_utterance(SPEECH, 11200, 32000, 36800, 32000)
    long_tail = feed(Segmenter(CONFIG, LoudnessClassifier(), tail_ms=1000), SPEECH)
    assert long_tail == one_utterance(SPEECH, 11200, 32000, 36800, 36800)


def test_flush_mid_utterance_ends_it_at_the_received_speech() -> None:
    segmenter = Segmenter(CONFIG, LoudnessClassifier())
    pcm = silence(1.0) + tone(0.5)
    assert feed(segmenter, pcm + samples(tone(0.01), 0, 100), 160) == [UtteranceStarted(0, 0.7)]
    # The partial frame (100 samples) is dropped.
    assert segmenter.flush(1.6) == [UtteranceEnded(0, 0.7, 1.5, 1.6, samples(pcm, 11200, 24000))]
    assert not segmenter.speaking
    assert segmenter.current_audio() is None
    assert segmenter.flush(1.7) == []
    # The stream can go on; the next pre-roll cannot reach back past the flush.
    more = silence(0.1) + tone(0.5) + silence(0.5)
    assert feed(segmenter, more, at=24100 / RATE) == [
        UtteranceStarted(1, 24100 / RATE),
        UtteranceEnded(1, 24100 / RATE, 33700 / RATE, 38500 / RATE, samples(more, 0, 12800)),
    ]


def test_flush_during_the_hangover_keeps_the_tail_received_so_far() -> None:
    segmenter = Segmenter(CONFIG, LoudnessClassifier())
    pcm = silence(1.0) + tone(0.5) + silence(0.1)
    assert feed(segmenter, pcm) == [UtteranceStarted(0, 0.7)]
    assert segmenter.flush(1.0) == [UtteranceEnded(0, 0.7, 1.5, 1.5, samples(pcm, 11200, 25600))]


def test_flush_before_speech_is_confirmed_emits_nothing() -> None:
    segmenter = Segmenter(CONFIG, LoudnessClassifier())
    assert feed(segmenter, silence(1.0) + tone(0.04)) == []
    assert segmenter.flush(1.04) == []
    # The half-counted start was forgotten: 20 ms more tone does not complete it.
    assert feed(segmenter, tone(0.02) + silence(0.5), at=1.04) == []


@pytest.mark.parametrize("gap_s", [0.0125, 0.1, 0.5, 100.0])
def test_a_gap_in_stream_time_counts_as_silence(gap_s: float) -> None:
    head = silence(1.0) + tone(0.5) + samples(tone(0.01), 0, 77)
    tail = tone(0.5) + silence(1.0)
    gapped = Segmenter(CONFIG, LoudnessClassifier())
    events = feed(gapped, head, 1000) + feed(gapped, tail, 1000, at=len(head) / 2 / RATE + gap_s)
    contiguous = feed(Segmenter(CONFIG, LoudnessClassifier()), head + silence(gap_s) + tail, 1000)
    assert events == contiguous
    assert len(events) == (2 if gap_s < 0.3 else 4)


def test_jitter_and_overlap_in_push_times_are_taken_as_contiguous() -> None:
    segmenter = Segmenter(CONFIG, LoudnessClassifier())
    events: list[SegmenterEvent] = []
    for n, offset in enumerate(range(0, len(SPEECH) // 2, 320)):
        skew = [0, 3, -3, 159, -160][n % 5] / RATE
        events += segmenter.push(samples(SPEECH, offset, offset + 320), offset / RATE + skew)
    events += segmenter.push(b"", 0.0)
    assert events == SPEECH_EVENTS


def test_pcm_must_be_whole_samples() -> None:
    with pytest.raises(ValueError, match="whole int16 samples"):
        Segmenter(CONFIG, LoudnessClassifier()).push(b"\x00\x01\x02", 0.0)


# webrtcvad: the onset lands within a frame; its own smoothing holds speech a little past the tone.
@pytest.mark.parametrize("frame_ms", [10, 20, 30])
def test_webrtcvad_finds_one_utterance_in_a_voice_like_tone(frame_ms: int) -> None:
    config = VadConfig(aggressiveness=2, frame_ms=frame_ms, start_ms=60, pre_roll_ms=300, hangover_ms=300)
    pcm = silence(1.0) + harmonic_tone(1.5) + silence(1.0)
    events = feed(Segmenter(config), pcm, 333)
    assert [type(event) for event in events] == [UtteranceStarted, UtteranceEnded]
    started, ended = events
    assert isinstance(started, UtteranceStarted)
    assert isinstance(ended, UtteranceEnded)
    frame = frame_ms / 1000
    assert (started.index, ended.index, ended.start) == (0, 0, started.start)
    assert 0.7 - frame <= started.start <= 0.7
    assert 2.5 <= ended.end <= 2.7
    assert ended.detected_at == pytest.approx(ended.end + 0.3, abs=1e-9)
    first = round(started.start * RATE)
    assert ended.audio == samples(pcm, first, round(ended.end * RATE) + 3200)
    # The same stream in one push or sample by sample decides identically.
    assert feed(Segmenter(config, WebRtcVadClassifier(2)), pcm) == events
    assert feed(Segmenter(config, WebRtcVadClassifier(2)), pcm, 1) == events


@pytest.mark.parametrize(
    ("aggressiveness", "pcm"),
    [
        (0, silence(3.0)),
        (3, silence(3.0)),
        (3, np.random.default_rng(1).normal(0, 100, 48000).astype("<i2").tobytes()),
    ],
)
def test_webrtcvad_finds_nothing_in_silence_or_faint_noise(aggressiveness: int, pcm: bytes) -> None:
    segmenter = Segmenter(VadConfig(aggressiveness=aggressiveness), WebRtcVadClassifier(aggressiveness))
    assert feed(segmenter, pcm, 480) == []
    assert not segmenter.speaking


def test_webrtcvad_speech_from_the_first_sample_keeps_its_start() -> None:
    pcm = harmonic_tone(1.0) + silence(1.0)
    events = feed(Segmenter(CONFIG), pcm, 640)
    # Detected after the 200 ms warm-up and the 60 ms start; the pre-roll reaches back to the stream start.
    assert [type(event) for event in events] == [UtteranceStarted, UtteranceEnded]
    ended = events[1]
    assert isinstance(ended, UtteranceEnded)
    assert (ended.start, ended.audio[:6400]) == (0.0, pcm[:6400])
