"""Authenticity signals on constructed sessions: eSpeak voices laid out on a timeline, numpy noise, and
transcripts whose segment times are where the synthesized speech actually lies."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pytest

from media.tts import Voice
from scoring.authenticity import (
    AUDIO_KINDS,
    BACKGROUND_VOICE,
    FOCUS_LOST,
    KINDS,
    MULTIPLE_VOICES,
    PAUSE_THEN_FLUENT,
    READING_LIKE,
    SOURCE_CHANGED,
    Flag,
    PageEvent,
    Thresholds,
    detect,
)
from scoring.model import CANDIDATE, INTERVIEWER, Segment
from tests.speech import resample, synthesize

RATE = 16000
MALE = Voice("en-us", 160, 20)
FEMALE = Voice("en-us+f3", 160, 80)
NOISE_RMS = 30.0  # about -61 dBFS: a quiet room through a decent microphone

QUESTIONS = [
    "Tell me about a project you are proud of.",
    "What was the hardest technical problem in it?",
    "How did you test the change?",
    "How do you handle disagreements in a team?",
    "What would you do differently next time?",
    "Why are you interested in this role?",
]
# Conversational answers: fillers, a repeated word, a cut-off, and a range of lengths.
ANSWERS = [
    "Um, so I built a billing service, and, like, it handled about a million invoices a month.",
    "Uh, the hardest part was the the migration, you know, keeping both databases in step.",
    "We wrote property tests first, um, and then we ran shadow traffic for two weeks.",
    "I try to, uh, wh- write down both options and, like, ask what each one costs us.",
    "Honestly I would start the monitoring earlier, I mean, we found problems late.",
    "Er, I like the product, and the team seems to care about, um, doing things properly.",
]
# A prepared, read-out answer: long, no fillers, no repairs.
SCRIPTED = (
    "In my previous role I led the design of a distributed event processing platform that ingested "
    "telemetry from forty thousand devices. I introduced a schema registry, partitioned the streams by "
    "customer, and reduced end to end latency from four seconds to under three hundred milliseconds while "
    "cutting infrastructure costs by a third through careful capacity planning and autoscaling policies."
)
READ_SENTENCES = [
    "The platform processed telemetry from forty thousand devices across three regions every single day.",
    "We partitioned every stream by customer so that a noisy tenant could never slow the others down.",
    "A schema registry made every producer declare its format before it could publish a single event.",
    "Latency fell from four seconds to three hundred milliseconds after we rebuilt the ingestion path.",
    "Infrastructure costs dropped by a third once the autoscaling policies matched the real daily load.",
    "The design review process we introduced is still used by every team in the engineering group today.",
]


@dataclass(frozen=True)
class Turn:
    speaker: str
    text: str
    voice: Voice = MALE
    pause_before: float = 1.0
    in_candidate_channel: bool | None = None  # default: candidate speech yes, interviewer no
    gain: float = 1.0
    transcribed: bool = True


@dataclass(frozen=True)
class Session:
    segments: list[Segment]
    audio: npt.NDArray[np.int16]

    @property
    def duration(self) -> float:
        return len(self.audio) / RATE


def _speech(text: str, voice: Voice) -> npt.NDArray[np.float64]:
    pcm = synthesize(text, voice=voice, lead_silence_s=0.0, trail_silence_s=0.0)
    return np.frombuffer(pcm, dtype=np.int16).astype(np.float64)


def build(turns: list[Turn], *, noise_rms: float = NOISE_RMS, tail_s: float = 2.0, seed: int = 1) -> Session:
    """Lay turns out one after another; the candidate channel holds candidate speech over noise."""
    parts: list[npt.NDArray[np.float64]] = []
    segments: list[Segment] = []
    position = 0.0
    for index, turn in enumerate(turns):
        parts.append(np.zeros(round(turn.pause_before * RATE)))
        position += turn.pause_before
        speech = _speech(turn.text, turn.voice) * turn.gain
        audible = (
            turn.speaker == CANDIDATE if turn.in_candidate_channel is None else turn.in_candidate_channel
        )
        parts.append(speech if audible else np.zeros(len(speech)))
        end = position + len(speech) / RATE
        if turn.transcribed:
            segments.append(Segment(f"s{index}", turn.speaker, round(position, 3), round(end, 3), turn.text))
        position = end
    parts.append(np.zeros(round(tail_s * RATE)))
    clean = np.concatenate(parts)
    noisy = clean + np.random.default_rng(seed).normal(0.0, noise_rms, len(clean))
    return Session(segments, np.clip(np.round(noisy), -32768, 32767).astype(np.int16))


def interview(
    answers: list[str] | None = None,
    *,
    voices: list[Voice] | None = None,
    pauses: list[float] | None = None,
) -> list[Turn]:
    """Question, answer, question, answer...; answers at varied speaking rates, natural pauses."""
    answers = answers or ANSWERS
    rates = [150, 185, 135, 200, 165, 145]
    voices = voices or [Voice(MALE.name, rates[i % len(rates)], MALE.pitch) for i in range(len(answers))]
    pauses = pauses or [0.8, 1.6, 2.4, 1.1, 1.9, 1.3]
    turns: list[Turn] = []
    for index, answer in enumerate(answers):
        turns.append(Turn(INTERVIEWER, QUESTIONS[index % len(QUESTIONS)], pause_before=0.7))
        turns.append(Turn(CANDIDATE, answer, voices[index], pause_before=pauses[index % len(pauses)]))
    return turns


def by_kind(flags: list[Flag]) -> dict[str, Flag]:
    assert [f.kind for f in flags] == list(KINDS)
    return {f.kind: f for f in flags}


def assert_well_formed(flags: list[Flag], horizon: float) -> None:
    for flag in flags:
        assert isinstance(flag.confidence, int)
        assert 0 <= flag.confidence <= 100
        assert flag.flagged == (flag.confidence >= flag.threshold)
        assert flag.summary
        assert "\n" not in flag.summary
        assert "nan" not in flag.summary.lower()
        for moment in flag.evidence:
            assert math.isfinite(moment.start)
            assert math.isfinite(moment.end)
            assert 0.0 <= moment.start <= moment.end <= horizon + 1e-9
            assert moment.note


@pytest.fixture(scope="module")
def clean() -> Session:
    return build(interview())


@pytest.fixture(scope="module")
def clean_flags(clean: Session) -> dict[str, Flag]:
    flags = detect(clean.segments, clean.audio, [])
    assert_well_formed(flags, clean.duration)
    return by_kind(flags)


# --- The clean interview triggers nothing.


@pytest.mark.parametrize("kind", KINDS)
def test_clean_interview_is_not_flagged(clean_flags: dict[str, Flag], kind: str) -> None:
    flag = clean_flags[kind]
    assert not flag.flagged, flag
    assert flag.confidence < 30, flag


def test_clean_interview_is_long_enough_to_judge(clean_flags: dict[str, Flag], clean: Session) -> None:
    # The clean case must exercise the detectors, not fall through their "too little to judge" paths.
    assert clean.duration > 40
    assert "Too little" not in clean_flags[MULTIPLE_VOICES].summary
    assert "Too little" not in clean_flags[SOURCE_CHANGED].summary
    assert "Too little" not in clean_flags[READING_LIKE].summary


# --- Each kind, triggered.


def test_long_pause_then_fluent_answer() -> None:
    turns = interview()
    turns[5] = Turn(CANDIDATE, SCRIPTED, MALE, pause_before=9.0)
    session = build(turns)
    flag = by_kind(detect(session.segments, session.audio, []))[PAUSE_THEN_FLUENT]
    assert flag.confidence >= 80, flag
    assert flag.flagged
    question, answer = session.segments[4], session.segments[5]
    pause, spoken = flag.evidence
    assert pause.start == pytest.approx(question.end, abs=0.01)
    assert pause.end == pytest.approx(answer.start, abs=0.01)
    assert (spoken.start, spoken.end) == pytest.approx((answer.start, answer.end), abs=0.01)


def test_long_pause_before_a_halting_answer_is_not_flagged() -> None:
    turns = interview()
    turns[5] = Turn(CANDIDATE, ANSWERS[1] + " " + ANSWERS[3], MALE, pause_before=9.0)
    session = build(turns)
    assert not by_kind(detect(session.segments, session.audio, []))[PAUSE_THEN_FLUENT].flagged


def test_pause_is_measured_from_the_end_of_a_question_split_over_segments() -> None:
    segments = [
        Segment("hello", CANDIDATE, 0.0, 1.0, "Hello, um, can you hear me?"),  # before any question
        Segment("q1", INTERVIEWER, 2.0, 4.0, "Let's begin."),
        Segment("q2", INTERVIEWER, 4.5, 7.0, "Describe your last project."),
        Segment("a1", CANDIDATE, 14.0, 30.0, SCRIPTED),
    ]
    flag = by_kind(detect(segments, None, []))[PAUSE_THEN_FLUENT]
    pause, answer = flag.evidence
    assert (pause.start, pause.end, answer.end) == (7.0, 14.0, 30.0)
    # A 7 s pause is three quarters of the way from 4 s to 8 s; the 59-word answer is nearly long enough.
    assert 70 <= flag.confidence <= 75


def test_even_fluent_speech_reads_like_reading() -> None:
    turns = [Turn(INTERVIEWER, QUESTIONS[0], pause_before=0.5)]
    turns += [Turn(CANDIDATE, sentence, MALE, pause_before=0.6) for sentence in READ_SENTENCES]
    session = build(turns)
    flag = by_kind(detect(session.segments, session.audio, []))[READING_LIKE]
    assert flag.flagged, flag
    assert len(flag.evidence) == len(READ_SENTENCES)


def test_fluent_speech_at_a_varying_rate_is_not_reading_like() -> None:
    # The same clean sentences, but spoken faster and slower as people do in conversation.
    rates = [130, 190, 150, 210, 140, 175]
    turns = [Turn(INTERVIEWER, QUESTIONS[0], pause_before=0.5)]
    turns += [
        Turn(CANDIDATE, sentence, Voice(MALE.name, rate, MALE.pitch), pause_before=0.6)
        for sentence, rate in zip(READ_SENTENCES, rates, strict=True)
    ]
    session = build(turns)
    flag = by_kind(detect(session.segments, session.audio, []))[READING_LIKE]
    assert flag.confidence < 30, flag


def test_reading_like_needs_enough_speech() -> None:
    segments = [
        Segment("q", INTERVIEWER, 0.0, 2.0, QUESTIONS[0]),
        *(Segment(f"a{i}", CANDIDATE, 3.0 + 5 * i, 7.0 + 5 * i, READ_SENTENCES[i]) for i in range(3)),
    ]
    flag = by_kind(detect(segments, None, []))[READING_LIKE]
    assert flag.confidence == 0
    assert "Too little" in flag.summary


def test_second_voice_in_the_candidate_channel() -> None:
    voices = [MALE, FEMALE, MALE, MALE, FEMALE, MALE]
    session = build(interview(voices=voices))
    flag = by_kind(detect(session.segments, session.audio, []))[MULTIPLE_VOICES]
    assert flag.flagged, flag
    female = [s for s, v in zip(session.segments[1::2], voices, strict=True) if v == FEMALE]
    assert flag.evidence
    for moment in flag.evidence:
        assert any(s.start - 0.01 <= moment.start and moment.end <= s.end + 0.01 for s in female), moment


def test_noise_floor_step_means_source_changed(clean: Session) -> None:
    audio = clean.audio.astype(np.float64)
    half = len(audio) // 2
    audio[half:] += np.random.default_rng(7).normal(0.0, 300.0, len(audio) - half)  # about -41 dBFS
    changed = np.clip(audio, -32768, 32767).astype(np.int16)
    flag = by_kind(detect(clean.segments, changed, []))[SOURCE_CHANGED]
    assert flag.flagged, flag
    # White noise also adds energy above 4.2 kHz to speech frames, so the bandwidth may step as well.
    (moment,) = [m for m in flag.evidence if "noise floor" in m.note]
    # The floor is measured in pauses only: a step inside an answer can be placed anywhere from the start
    # of that answer (eSpeak's timing varies from process to process, and the step falls near the end of
    # a 6-second answer here). The moment must reach into that stretch.
    step = half / RATE
    (answer,) = [s for s in clean.segments if s.start <= step <= s.end + 0.5]
    assert moment.start <= step + 1.0, moment
    assert moment.end >= answer.start - 1.0, (moment, answer)


def test_bandwidth_drop_means_source_changed() -> None:
    # The second half arrives through an 8 kHz (telephone-band) path, its noise included.
    turns = interview()
    session = build(turns, noise_rms=0.0)
    half = len(session.audio) // 2
    noise = np.random.default_rng(3).normal(0.0, NOISE_RMS, len(session.audio))
    first = session.audio[:half].astype(np.float64) + noise[:half]
    narrow_pcm = resample(resample(session.audio[half:].tobytes(), RATE, 8000), 8000, RATE)
    narrow = np.frombuffer(narrow_pcm, dtype=np.int16).astype(np.float64)[: len(session.audio) - half]
    narrow_noise = np.frombuffer(
        resample(resample(noise[half:].astype(np.int16).tobytes(), RATE, 8000), 8000, RATE), dtype=np.int16
    )[: len(narrow)]
    audio = np.concatenate([first, narrow + narrow_noise]).clip(-32768, 32767).astype(np.int16)
    flag = by_kind(detect(session.segments, audio, []))[SOURCE_CHANGED]
    assert flag.flagged, flag
    assert any("4.2 kHz" in m.note for m in flag.evidence)


def test_page_hidden_and_blurred() -> None:
    segments = [Segment("q", INTERVIEWER, 0.0, 3.0, "Q"), Segment("a", CANDIDATE, 4.0, 120.0, "A")]
    events = [
        PageEvent(20.0, "blur"),
        PageEvent(20.1, "hidden"),
        PageEvent(45.0, "visible"),
        PageEvent(45.1, "focus"),
        PageEvent(80.0, "blur"),
        PageEvent(90.0, "focus"),
        PageEvent(110.0, "hidden"),  # never came back: runs to the end of the last segment
    ]
    flag = by_kind(detect(segments, None, events))[FOCUS_LOST]
    assert flag.confidence >= 80, flag
    assert flag.flagged
    spans = [(m.start, m.end) for m in flag.evidence]
    assert spans == [(20.0, 45.1), (80.0, 90.0), (110.0, 120.0)]


def test_a_brief_blur_is_not_flagged() -> None:
    segments = [Segment("a", CANDIDATE, 0.0, 600.0, "A")]
    flag = by_kind(detect(segments, None, [PageEvent(100.0, "blur"), PageEvent(101.5, "focus")]))[FOCUS_LOST]
    assert 0 < flag.confidence < 20
    assert not flag.flagged
    assert [(m.start, m.end) for m in flag.evidence] == [(100.0, 101.5)]


def _with_untranscribed_voice(during_interviewer: bool) -> Session:
    """Someone else speaks, quieter, twice: in silent gaps, or while the interviewer is talking."""
    whisper = [
        "The answer is a hash map with a time to live on every entry.",
        "Say that you would use a queue and retry with exponential backoff.",
    ]
    turns = interview()
    for slot, text in zip((2, 6), whisper, strict=True):
        prompt = Turn(CANDIDATE, text, FEMALE, pause_before=1.0, gain=0.3, transcribed=False)
        if during_interviewer:
            # Heard in the candidate channel while a long interviewer turn is transcribed over it.
            turns[slot] = Turn(
                INTERVIEWER, text, FEMALE, pause_before=0.7, in_candidate_channel=True, gain=0.3
            )
        else:
            turns.insert(slot, prompt)
    return build(turns)


def test_voice_in_the_gaps_is_a_background_voice() -> None:
    session = _with_untranscribed_voice(during_interviewer=False)
    flag = by_kind(detect(session.segments, session.audio, []))[BACKGROUND_VOICE]
    assert flag.flagged, flag
    assert len(flag.evidence) == 2
    transcribed = [s for s in session.segments if s.speaker == CANDIDATE]
    for moment in flag.evidence:
        assert all(moment.end <= s.start or moment.start >= s.end for s in transcribed), moment


def test_voice_during_interviewer_turns_counts_half_as_possible_echo() -> None:
    in_gaps = by_kind(detect(*_parts(_with_untranscribed_voice(False)), []))[BACKGROUND_VOICE]
    echo = by_kind(detect(*_parts(_with_untranscribed_voice(True)), []))[BACKGROUND_VOICE]
    assert 0 < echo.confidence < in_gaps.confidence
    assert all("echo" in m.note for m in echo.evidence)


def _parts(session: Session) -> tuple[list[Segment], npt.NDArray[np.int16]]:
    return session.segments, session.audio


# --- Thresholds.


def test_flagged_iff_confidence_reaches_threshold() -> None:
    segments = [Segment("a", CANDIDATE, 0.0, 300.0, "A")]
    events = [PageEvent(10.0, "hidden"), PageEvent(40.0, "visible")]
    confidence = by_kind(detect(segments, None, events))[FOCUS_LOST].confidence
    assert 0 < confidence < 100
    at = by_kind(detect(segments, None, events, Thresholds(focus_lost=confidence)))[FOCUS_LOST]
    above = by_kind(detect(segments, None, events, Thresholds(focus_lost=confidence + 1)))[FOCUS_LOST]
    assert at.flagged
    assert at.threshold == confidence
    assert not above.flagged
    assert above.threshold == confidence + 1
    assert by_kind(detect(segments, None, events, Thresholds(pause_then_fluent=0)))[PAUSE_THEN_FLUENT].flagged


@pytest.mark.parametrize("value", [-1, 101])
def test_threshold_out_of_range(value: int) -> None:
    with pytest.raises(ValueError, match=r"0\.\.100"):
        Thresholds(reading_like=value)


@pytest.mark.parametrize("value", [True, 60.0, "60"])
def test_threshold_must_be_int(value: object) -> None:
    with pytest.raises(TypeError):
        Thresholds(source_changed=value)  # type: ignore[arg-type]


def test_defaults_are_60() -> None:
    assert all(Thresholds().for_kind(kind) == 60 for kind in KINDS)


# --- Degenerate inputs.


def test_no_audio_leaves_audio_kinds_at_zero(clean: Session) -> None:
    flags = detect(clean.segments, None, [])
    assert_well_formed(flags, clean.segments[-1].end)
    for kind in AUDIO_KINDS:
        flag = by_kind(flags)[kind]
        assert flag.confidence == 0
        assert not flag.flagged
        assert not flag.evidence
        assert "No recording" in flag.summary


def test_empty_transcript(clean: Session) -> None:
    flags = by_kind(detect([], clean.audio, []))
    assert_well_formed(list(flags.values()), clean.duration)
    assert flags[PAUSE_THEN_FLUENT].confidence == 0
    assert flags[READING_LIKE].confidence == 0
    assert flags[MULTIPLE_VOICES].confidence == 0
    assert flags[FOCUS_LOST].confidence == 0


def test_nothing_at_all() -> None:
    flags = detect([], None, [])
    assert [f.confidence for f in flags] == [0] * len(KINDS)
    assert_well_formed(flags, 0.0)


@pytest.mark.parametrize("samples", [0, 1, 100, RATE // 2, 3 * RATE])
def test_very_short_audio(clean: Session, samples: int) -> None:
    audio = clean.audio[round(clean.segments[1].start * RATE) :][:samples]
    segments = [Segment("a", CANDIDATE, 0.0, samples / RATE, "Um, yes.")]
    flags = detect(segments, audio, [])
    assert_well_formed(flags, samples / RATE)
    assert all(by_kind(flags)[kind].confidence == 0 for kind in AUDIO_KINDS)


def test_silence_only_audio(clean: Session) -> None:
    silent = np.zeros_like(clean.audio)
    flags = by_kind(detect(clean.segments, silent, []))
    assert_well_formed(list(flags.values()), clean.duration)
    for kind in AUDIO_KINDS:
        assert flags[kind].confidence == 0
        assert "silent" in flags[kind].summary


def test_steady_noise_only(clean: Session) -> None:
    noise = np.random.default_rng(5).normal(0, NOISE_RMS, len(clean.audio)).astype(np.int16)
    flags = by_kind(detect(clean.segments, noise, []))
    assert_well_formed(list(flags.values()), clean.duration)
    assert all(flags[kind].confidence == 0 for kind in AUDIO_KINDS)


def test_packet_loss_gaps_are_not_a_source_change(clean: Session) -> None:
    # The recording zero-fills lost packets; digital silence must not read as a quieter noise floor.
    audio = clean.audio.copy()
    for start in range(len(audio) // 2, len(audio) - RATE, 3 * RATE):
        audio[start : start + RATE // 2] = 0
    assert not by_kind(detect(clean.segments, audio, []))[SOURCE_CHANGED].flagged


def test_invalid_audio() -> None:
    with pytest.raises(ValueError, match="mono"):
        detect([], np.zeros((2, 100), dtype=np.int16), [])
    with pytest.raises(TypeError, match="int16"):
        detect([], np.zeros(100, dtype=np.float32), [])
    with pytest.raises(ValueError, match="sample_rate"):
        detect([], np.zeros(100, dtype=np.int16), [], sample_rate=4000)


def test_unknown_page_event_kind() -> None:
    with pytest.raises(ValueError, match="page event kind"):
        PageEvent(1.0, "minimised")


def test_thirty_minutes_is_fast(clean: Session) -> None:
    repeats = math.ceil(30 * 60 / clean.duration)
    audio = np.tile(clean.audio, repeats)
    segments = [
        Segment(f"{r}-{s.id}", s.speaker, s.start + r * clean.duration, s.end + r * clean.duration, s.text)
        for r in range(repeats)
        for s in clean.segments
    ]
    started = time.perf_counter()
    flags = detect(segments, audio, [])
    elapsed = time.perf_counter() - started
    assert_well_formed(flags, len(audio) / RATE)
    assert elapsed < 8.0, elapsed  # typically ~1-2 s; generous for a shared CI machine
