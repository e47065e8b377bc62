"""Authenticity signals for a completed interview: evidence for a human reviewer, never a verdict.

`detect` looks at a finished session (its transcript, the candidate channel of the recording, and the
page events the join page reported) and returns one `Flag` per kind, always all six and always in the
order of `KINDS`, so a reviewer sees what was checked as well as what was found. A flag carries a
confidence (0-100), the threshold it was compared with, whether it reached it, a one-line summary and the
moments (at most `MAX_EVIDENCE`) on the recording's timeline that a reviewer should listen to, clipped
to the recording. Flags never change a score. `detect` is pure and offline: numpy only, about a second
for 30 minutes of audio.

Everything here is a heuristic with known blind spots. Each kind, what it measures and what it cannot
judge:

`pause_then_fluent` (transcript only)
    For each answer (the candidate segments between two interviewer turns), the silence between the end
    of the interviewer's last segment and the start of the answer, and the answer's fluency: word count
    and disfluencies per 100 words (fillers such as um/uh/er, "you know", "I mean", "like" set off by
    commas; repeated words; cut-off words such as "wh-"). A long pause (ramping from 4 s to 8 s) followed
    by a long (25 to 60 words), disfluency-free answer scores high; the best answer sets the confidence,
    each further strong one adds a little. It cannot tell looking something up from thinking hard before
    a well-rehearsed answer, and it depends on the recogniser keeping fillers: Whisper-style recognisers
    often drop "um" and "uh", which makes every answer look fluent, so the pause carries most weight.

`reading_like` (transcript only)
    The speaking rate of each candidate segment of at least 3 words and 1 s, in syllables per second
    (syllables estimated from spelling, so that long and short words even out), its coefficient of
    variation across segments (below 0.08 scores fully, above 0.20 not at all) and the disfluency rate
    over all of them (above 2 per 100 words scores nothing); fewer than 8 segments weigh less. Needs at
    least 4 such segments and 60 words; otherwise confidence 0. It cannot tell reading from a candidate
    who naturally speaks evenly and cleanly (or a recogniser that smooths disfluencies away), and segment
    boundaries set by the voice activity detector add noise to the rates.

`multiple_voices` (candidate audio)
    The fundamental frequency of voiced frames (40 ms frames whose level is at least 10 dB above the
    channel's noise floor and whose normalised autocorrelation peak, after Boersma's window correction,
    is at least 0.5 at a pitch of 60-400 Hz). Candidate segments are cut into 2 s stretches; each stretch
    with at least 0.4 s of voiced frames gets its median pitch in semitones. The stretch medians are split
    into the two clusters that best separate them (weighted by voiced time); it scores when the clusters
    are at least 5 semitones apart (fully at 8), well separated relative to their spread, and the smaller
    one holds a real share of the voiced time (5-15 %) and at least 1.5-5 s of it. Evidence: the minority
    voice's stretches. It cannot separate two voices of similar pitch (two men, two women), and a
    candidate who switches register (falsetto, imitation, strong emotion) or systematic octave errors of
    the tracker can look like a second voice.

`source_changed` (candidate audio)
    Two series, one value per second. The noise floor: the 20th percentile of the frame levels (dBFS),
    then the minimum and then the maximum over 7 s windows, so that speech without a pause does not raise
    it and a step stays where it is. The bandwidth: the median share of energy above 4.2 kHz (dB) in
    frames at least 15 dB above that second's floor. For each series, the one split point (at least 10
    valid seconds on each side) that best fits two constant levels (least absolute deviation from each
    side's median); the step between the two medians scores from 6 dB (fully at 12 dB) when it is large
    against the spread around them. The point is located to within a few seconds (evidence spans +-3 s).
    Digitally silent frames (the recording's zero-filled packet-loss gaps, the time before the candidate's
    audio starts) are ignored. It cannot tell a new device from the same device whose automatic gain
    control or noise suppression adapted, a window opened or a fan switched on; white noise also adds
    energy above 4.2 kHz, so a noise step can move both series; and it sees one change point per series.

`focus_lost` (page events)
    The spans during which the join page was hidden or its window blurred ("away" while either holds;
    back when both have ended), clipped to the interview (first to last transcript segment; an away span
    never ended runs to the end of the last segment). Confidence grows with the total time away and the
    number of times: 1 - exp(-(seconds / 40 + (times - 1) / 3)). It cannot tell what the candidate did
    while away: the window also blurs when they click a browser permission prompt, a notification or a
    window on a second screen while still listening.

`background_voice` (candidate audio)
    Voiced frames (as for `multiple_voices`) outside the candidate's segments (with a 0.5 s margin, since
    segment edges are approximate), grouped into stretches (runs of voiced frames less than 0.5 s apart)
    lasting at least 0.8 s with at least 0.5 s voiced. Voiced time counts half when the stretch overlaps
    an interviewer segment (it may be the interviewer's voice echoing back when the browser's echo
    cancellation is off) and half when its pitch is within 2 semitones of the candidate's own median (it
    may be the candidate's speech the recogniser did not transcribe). 1 s of weighted voiced time starts
    to score, 6 s (about 10 s of speech) scores fully. It cannot tell a person prompting the candidate
    from a television, a radio or a call in the next room, and it does not look for a weaker voice under
    the candidate's own speech.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from scoring.model import CANDIDATE, INTERVIEWER, Segment

__all__ = [
    "AUDIO_KINDS",
    "BACKGROUND_VOICE",
    "DEFAULT_THRESHOLDS",
    "FOCUS_LOST",
    "KINDS",
    "MAX_EVIDENCE",
    "MULTIPLE_VOICES",
    "PAGE_EVENT_KINDS",
    "PAUSE_THEN_FLUENT",
    "READING_LIKE",
    "SOURCE_CHANGED",
    "Flag",
    "Moment",
    "PageEvent",
    "Thresholds",
    "detect",
]

PAUSE_THEN_FLUENT = "pause_then_fluent"
READING_LIKE = "reading_like"
MULTIPLE_VOICES = "multiple_voices"
SOURCE_CHANGED = "source_changed"
FOCUS_LOST = "focus_lost"
BACKGROUND_VOICE = "background_voice"
KINDS = (PAUSE_THEN_FLUENT, READING_LIKE, MULTIPLE_VOICES, SOURCE_CHANGED, FOCUS_LOST, BACKGROUND_VOICE)
AUDIO_KINDS = (MULTIPLE_VOICES, SOURCE_CHANGED, BACKGROUND_VOICE)

PAGE_EVENT_KINDS = ("hidden", "visible", "blur", "focus")

Float64Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Moment:
    """A stretch of the recording a reviewer should look at, in seconds on the recording's timeline."""

    start: float
    end: float
    note: str


@dataclass(frozen=True, slots=True)
class Flag:
    kind: str
    confidence: int  # 0..100
    threshold: int
    flagged: bool  # confidence >= threshold
    summary: str
    evidence: tuple[Moment, ...]


@dataclass(frozen=True, slots=True)
class PageEvent:
    """A visibility or focus change the join page reported, in seconds on the session timeline (the
    recording's clock: the recording starts with the session)."""

    at: float
    kind: str  # one of PAGE_EVENT_KINDS

    def __post_init__(self) -> None:
        if self.kind not in PAGE_EVENT_KINDS:
            raise ValueError(f"page event kind must be one of {PAGE_EVENT_KINDS}, got {self.kind!r}")
        if not math.isfinite(self.at):
            raise ValueError(f"page event time must be finite, got {self.at!r}")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The confidence (0..100) at which each kind is flagged; field names are the kind names."""

    pause_then_fluent: int = 60
    reading_like: int = 60
    multiple_voices: int = 60
    source_changed: int = 60
    focus_lost: int = 60
    background_voice: int = 60

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            # bool is an int subclass; a threshold of True is a bug, not 1.
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"threshold {field.name} must be an int, got {value!r}")
            if not 0 <= value <= 100:
                raise ValueError(f"threshold {field.name} must be within 0..100, got {value}")

    def for_kind(self, kind: str) -> int:
        if kind not in KINDS:
            raise KeyError(kind)
        value: int = getattr(self, kind)
        return value


DEFAULT_THRESHOLDS = Thresholds()

MAX_EVIDENCE = 20  # moments per flag: enough to review, few enough to read

# Frame analysis.
FRAME_S = 0.040  # 2.4 periods at the lowest pitch tracked; shorter frames lose deep voices
MIN_F0 = 60.0
MAX_F0 = 400.0
VOICING_MIN = 0.5  # normalised autocorrelation peak; white noise stays near 0.1, vowels above 0.7
OCTAVE_COST = 0.01  # per octave, favouring the shorter lag so the tracker does not halve the pitch
VOICED_ABOVE_FLOOR_DB = 10.0
SPEECH_ABOVE_FLOOR_DB = 15.0
HIGH_BAND_HZ = 4200.0  # above what any 8 kHz (telephone-band) path keeps
SILENT_DB = -100.0  # digital silence; level of an all-zero frame
CHUNK_FRAMES = 2048  # frames per FFT batch, bounding memory for long recordings


def detect(
    segments: Sequence[Segment],
    candidate_audio: npt.NDArray[np.int16] | None,
    page_events: Sequence[PageEvent],
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    sample_rate: int = 16000,
) -> list[Flag]:
    """One `Flag` per kind, in `KINDS` order. `candidate_audio`: int16 mono, time 0 = recording start."""
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate < 8000:
        raise ValueError(f"sample_rate must be an int of at least 8000 Hz, got {sample_rate!r}")
    ordered = sorted((s for s in segments if _finite_segment(s)), key=lambda s: (s.start, s.end))
    results: dict[str, _Result] = {
        PAUSE_THEN_FLUENT: _pause_then_fluent(ordered),
        READING_LIKE: _reading_like(ordered),
        FOCUS_LOST: _focus_lost(ordered, page_events),
    }
    if candidate_audio is None:
        horizon = max([s.end for s in ordered] + [e.at for e in page_events], default=0.0)
        for kind in AUDIO_KINDS:
            results[kind] = _Result(0.0, "No recording of the candidate's audio: not checked.", [])
    else:
        audio = _check_audio(candidate_audio)
        horizon = len(audio) / sample_rate
        results.update(_audio_results(ordered, _analyse(audio, sample_rate)))
    return [_flag(kind, results[kind], thresholds.for_kind(kind), horizon) for kind in KINDS]


@dataclass(slots=True)
class _Result:
    confidence: float  # 0..1
    summary: str
    evidence: list[Moment]


def _flag(kind: str, result: _Result, threshold: int, horizon: float) -> Flag:
    confidence = round(100 * _clip01(result.confidence))
    moments = [m for m in (_clip_moment(m, horizon) for m in result.evidence) if m is not None]
    return Flag(
        kind=kind,
        confidence=confidence,
        threshold=threshold,
        flagged=confidence >= threshold,
        summary=result.summary,
        evidence=tuple(moments[:MAX_EVIDENCE]),
    )


def _clip_moment(moment: Moment, horizon: float) -> Moment | None:
    start = min(max(moment.start, 0.0), horizon)
    end = min(max(moment.end, 0.0), horizon)
    if not (math.isfinite(start) and math.isfinite(end)) or end < start:
        return None
    return Moment(round(start, 2), round(end, 2), moment.note)


def _check_audio(audio: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
    array = np.asarray(audio)
    if array.ndim != 1:
        raise ValueError(f"candidate_audio must be mono (1-D), got shape {array.shape}")
    if array.dtype != np.int16:
        raise TypeError(f"candidate_audio must be int16 samples, got {array.dtype}")
    return array


def _finite_segment(segment: Segment) -> bool:
    return math.isfinite(segment.start) and math.isfinite(segment.end) and segment.end >= segment.start


def _clip01(value: float) -> float:
    return 0.0 if not math.isfinite(value) else min(max(value, 0.0), 1.0)


def _ramp(value: float, low: float, high: float) -> float:
    """0 at or below `low`, 1 at or above `high`, linear between (reversed when `low` > `high`)."""
    return _clip01((value - low) / (high - low))


# ---------------------------------------------------------------------------------------------------------
# Transcript: words, fillers, self-repairs.

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_FILLER = re.compile(
    r"\b(?:u+m+|u+h+|uhm+|e+r+m*|a+h+|h+m+|m+h*m+)\b"
    r"|\byou know\b|\bi mean\b"
    r"|(?:^|[,;.]\s*)like\b|\blike\s*[,;]"
)
_CUT_OFF = re.compile(r"\b[a-z]+-(?=\s|$|[,.])")
_VOWELS = re.compile(r"[aeiouy]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _disfluencies(text: str) -> int:
    """Fillers, immediately repeated words ("I I", "the the") and cut-off words ("wh- what")."""
    lowered = text.lower()
    words = _words(lowered)
    repeats = sum(1 for a, b in itertools.pairwise(words) if a == b)
    return len(_FILLER.findall(lowered)) + repeats + len(_CUT_OFF.findall(lowered))


@dataclass(slots=True)
class _Answer:
    pause_start: float  # end of the interviewer's question
    segments: list[Segment]

    @property
    def start(self) -> float:
        return self.segments[0].start

    @property
    def end(self) -> float:
        return max(s.end for s in self.segments)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)


def _answers(ordered: Sequence[Segment]) -> list[_Answer]:
    """Runs of candidate segments that follow an interviewer segment."""
    answers: list[_Answer] = []
    question_end: float | None = None
    current: _Answer | None = None
    for segment in ordered:
        if segment.speaker == INTERVIEWER:
            # A question split over several segments ends with the last of them.
            if current is None and question_end is not None:
                question_end = max(question_end, segment.end)
            else:
                question_end = segment.end
            current = None
        elif segment.speaker == CANDIDATE and question_end is not None:
            if current is None:
                current = _Answer(question_end, [])
                answers.append(current)
            current.segments.append(segment)
    return answers


def _pause_then_fluent(ordered: Sequence[Segment]) -> _Result:
    scored: list[tuple[float, _Answer, int, int]] = []
    for answer in _answers(ordered):
        words = len(_words(answer.text))
        disfluent = _disfluencies(answer.text)
        pause = answer.start - answer.pause_start
        fluency = _ramp(words, 25, 60) * _ramp(100 * disfluent / max(words, 1), 3.0, 0.5)
        scored.append((_ramp(pause, 4.0, 8.0) * fluency, answer, words, disfluent))
    if not scored:
        return _Result(0.0, "No answers following an interviewer question in the transcript.", [])
    scored.sort(key=lambda item: -item[0])
    best = scored[0][0]
    strong = [item for item in scored if item[0] >= 0.5]
    confidence = best + 0.1 * max(len(strong) - 1, 0)
    shown = strong or (scored[:1] if best > 0 else [])
    evidence: list[Moment] = []
    for _score, answer, words, disfluent in sorted(shown, key=lambda item: item[1].start):
        pause = answer.start - answer.pause_start
        evidence.append(
            Moment(answer.pause_start, answer.start, f"{pause:.1f} s of silence after the question")
        )
        evidence.append(
            Moment(answer.start, answer.end, f"{words} words, {disfluent} fillers or self-repairs")
        )
    longest = max(item[1].start - item[1].pause_start for item in strong or scored)
    if strong:
        summary = (
            f"{len(strong)} answer(s) came after a silence of up to {longest:.1f} s and were very fluent."
        )
    else:
        summary = f"No long silence followed by an unusually fluent answer (longest pause {longest:.1f} s)."
    return _Result(confidence, summary, evidence)


def _syllables(word: str) -> int:
    """Vowel groups, less a silent final e: close enough in English to even out long and short words."""
    count = len(_VOWELS.findall(word))
    if count > 1 and word.endswith("e") and not word.endswith(("le", "ee")):
        count -= 1
    return max(count, 1)


def _reading_like(ordered: Sequence[Segment]) -> _Result:
    usable = [
        s for s in ordered if s.speaker == CANDIDATE and len(_words(s.text)) >= 3 and s.end - s.start >= 1.0
    ]
    total_words = sum(len(_words(s.text)) for s in usable)
    if len(usable) < 4 or total_words < 60:
        return _Result(
            0.0,
            f"Too little candidate speech to judge ({len(usable)} segments, {total_words} words; "
            "needs 4 and 60).",
            [],
        )
    syllables = np.array([sum(map(_syllables, _words(s.text))) for s in usable], dtype=np.float64)
    rates = syllables / np.array([s.end - s.start for s in usable], dtype=np.float64)
    cv = float(np.std(rates) / np.mean(rates))
    per_100 = 100 * sum(_disfluencies(s.text) for s in usable) / total_words
    confidence = _ramp(cv, 0.20, 0.08) * _ramp(per_100, 2.0, 0.3) * (0.6 + 0.4 * _ramp(len(usable), 4, 8))
    summary = (
        f"Speaking rate varies by {100 * cv:.0f} % across {len(usable)} segments "
        f"(mean {float(np.mean(rates)):.1f} syllables/s), "
        f"{per_100:.1f} fillers or self-repairs per 100 words."
    )
    evidence = [Moment(s.start, s.end, f"{r:.1f} syllables/s") for s, r in zip(usable, rates, strict=True)]
    return _Result(confidence, summary, evidence if confidence > 0 else [])


def _focus_lost(ordered: Sequence[Segment], events: Sequence[PageEvent]) -> _Result:
    if not events:
        return _Result(0.0, "No page visibility or focus changes were reported.", [])
    window_start = ordered[0].start if ordered else min(e.at for e in events)
    window_end = max(s.end for s in ordered) if ordered else max(e.at for e in events)
    spans = [
        (max(start, window_start), min(end, window_end))
        for start, end in _away_spans(events, window_end)
        if min(end, window_end) > max(start, window_start)
    ]
    if not spans:
        return _Result(0.0, "The page stayed visible and focused during the interview.", [])
    total = sum(end - start for start, end in spans)
    confidence = 1.0 - math.exp(-(total / 40.0 + (len(spans) - 1) / 3.0))
    evidence = [
        Moment(start, end, f"page hidden or unfocused for {end - start:.1f} s") for start, end in spans
    ]
    return _Result(
        confidence, f"Left the interview page {len(spans)} time(s), {total:.0f} s in all.", evidence
    )


def _away_spans(events: Sequence[PageEvent], end_of_interview: float) -> list[tuple[float, float]]:
    """Spans while the page was hidden or blurred; a span still open at the end runs to `end_of_interview`."""
    hidden = blurred = False
    away_since: float | None = None
    spans: list[tuple[float, float]] = []
    for event in sorted(events, key=lambda e: e.at):
        if event.kind in ("hidden", "visible"):
            hidden = event.kind == "hidden"
        else:
            blurred = event.kind == "blur"
        if (hidden or blurred) and away_since is None:
            away_since = event.at
        elif not (hidden or blurred) and away_since is not None:
            spans.append((away_since, event.at))
            away_since = None
    if away_since is not None:
        spans.append((away_since, max(end_of_interview, away_since)))
    return spans


# ---------------------------------------------------------------------------------------------------------
# Audio: per-frame level, bandwidth and pitch.


@dataclass(frozen=True, slots=True)
class _Frames:
    hop_s: float
    level_db: Float64Array  # dBFS; SILENT_DB for digitally silent frames
    high_db: Float64Array  # share of energy above HIGH_BAND_HZ, dB
    f0: Float64Array  # Hz; NaN where unvoiced
    floor_db: float  # the channel's noise floor; NaN when every frame is digital silence

    @property
    def audible(self) -> BoolArray:
        result: BoolArray = self.level_db > SILENT_DB
        return result

    @property
    def voiced(self) -> BoolArray:
        result: BoolArray = ~np.isnan(self.f0) & (self.level_db >= self.floor_db + VOICED_ABOVE_FLOOR_DB)
        return result

    def times(self) -> Float64Array:
        """Each frame's centre, in seconds."""
        return (np.arange(len(self.level_db), dtype=np.float64) + 0.5) * self.hop_s


def _analyse(audio: npt.NDArray[np.int16], sample_rate: int) -> _Frames:
    frame_len = round(FRAME_S * sample_rate)
    count = len(audio) // frame_len
    frames = audio[: count * frame_len].reshape(count, frame_len)
    n_fft = 1 << (2 * frame_len - 1).bit_length()  # room for every lag without circular wrap
    window = np.hanning(frame_len).astype(np.float32)
    window_ac = _autocorrelation(window[None, :], n_fft)[0]
    lags = np.arange(frame_len, dtype=np.float64)
    min_lag, max_lag = int(sample_rate / MAX_F0), min(math.ceil(sample_rate / MIN_F0), frame_len // 2)
    high_bin = round(HIGH_BAND_HZ / sample_rate * n_fft)
    parts = [
        _frame_features(
            frames[i : i + CHUNK_FRAMES],
            window,
            window_ac,
            lags,
            (min_lag, max_lag),
            high_bin,
            n_fft,
            sample_rate,
        )
        for i in range(0, count, CHUNK_FRAMES)
    ]
    level, high, f0 = (np.concatenate([p[k] for p in parts]) if parts else np.empty(0) for k in range(3))
    audible = level > SILENT_DB
    floor = float(np.percentile(level[audible], 10)) if audible.any() else math.nan
    return _Frames(frame_len / sample_rate, level, high, f0, floor)


def _autocorrelation(x: npt.NDArray[np.float32], n_fft: int) -> Float64Array:
    spectrum = np.fft.rfft(x, n=n_fft, axis=1)
    power = spectrum.real**2 + spectrum.imag**2
    result: Float64Array = np.fft.irfft(power, n=n_fft, axis=1)[:, : x.shape[1]].astype(np.float64)
    return result


def _frame_features(
    frames: npt.NDArray[np.int16],
    window: npt.NDArray[np.float32],
    window_ac: Float64Array,
    lags: Float64Array,
    lag_range: tuple[int, int],
    high_bin: int,
    n_fft: int,
    sample_rate: int,
) -> tuple[Float64Array, Float64Array, Float64Array]:
    x = frames.astype(np.float32) / np.float32(32768.0)
    energy = np.mean(x.astype(np.float64) ** 2, axis=1)
    level = np.where(energy > 0, 10 * np.log10(np.maximum(energy, 1e-30)), SILENT_DB)
    level = np.maximum(level, SILENT_DB)
    centred = (x - x.mean(axis=1, keepdims=True)) * window
    spectrum = np.fft.rfft(centred, n=n_fft, axis=1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float64)
    total = power.sum(axis=1)
    high = 10 * np.log10(np.maximum(power[:, high_bin:].sum(axis=1), 1e-30) / np.maximum(total, 1e-30))
    ac = np.fft.irfft(power, n=n_fft, axis=1)[:, : frames.shape[1]]
    # Dividing by the window's own autocorrelation undoes the taper's decay with lag (Boersma 1993).
    normalised = ac / np.maximum(ac[:, :1], 1e-30) / np.maximum(window_ac / window_ac[0], 1e-6)
    low, high_lag = lag_range
    candidates = normalised[:, low : high_lag + 1] - OCTAVE_COST * np.log2(
        lags[low : high_lag + 1] * MIN_F0 / sample_rate
    )
    best = np.argmax(candidates, axis=1)
    peak = normalised[np.arange(len(frames)), low + best]
    f0 = np.where((peak >= VOICING_MIN) & (total > 0), sample_rate / (low + best), np.nan)
    return level, high, f0.astype(np.float64)


def _audio_results(ordered: Sequence[Segment], frames: _Frames) -> dict[str, _Result]:
    if len(frames.level_db) == 0 or not frames.audible.any():
        why = (
            "The recording is too short to analyse."
            if len(frames.level_db) == 0
            else "The recording is silent."
        )
        return {kind: _Result(0.0, why, []) for kind in AUDIO_KINDS}
    return {
        MULTIPLE_VOICES: _multiple_voices(ordered, frames),
        SOURCE_CHANGED: _source_changed(frames),
        BACKGROUND_VOICE: _background_voice(ordered, frames),
    }


def _spans(ordered: Sequence[Segment], speaker: str) -> list[tuple[float, float]]:
    return [(s.start, s.end) for s in ordered if s.speaker == speaker]


def _span_mask(frames: _Frames, spans: Iterable[tuple[float, float]], margin_s: float) -> BoolArray:
    """Frames whose centre lies within any span, widened by `margin_s` on each side."""
    times = frames.times()
    mask = np.zeros(len(times), dtype=np.bool_)
    for start, end in spans:
        lo, hi = np.searchsorted(times, [start - margin_s, end + margin_s])
        mask[lo:hi] = True
    return mask


def _semitones(f0: Float64Array) -> Float64Array:
    result: Float64Array = 12 * np.log2(f0 / 100.0)
    return result


def _hz(semitones: float) -> float:
    return 100.0 * 2 ** (semitones / 12)


# ---------------------------------------------------------------------------------------------------------
# Multiple voices: two pitch clusters in the candidate's own segments.

STRETCH_S = 2.0
MIN_VOICED_S = 0.4


@dataclass(frozen=True, slots=True)
class _Stretch:
    start: float
    end: float
    pitch: float  # median, semitones re 100 Hz
    voiced_s: float


def _pitch_stretches(ordered: Sequence[Segment], frames: _Frames) -> list[_Stretch]:
    voiced = frames.voiced
    semis = _semitones(np.where(voiced, frames.f0, 1.0))
    times = frames.times()
    stretches: list[_Stretch] = []
    for start, end in _spans(ordered, CANDIDATE):
        edges = np.arange(start, end, STRETCH_S)
        for lo_t in edges:
            hi_t = min(lo_t + STRETCH_S, end)
            lo, hi = np.searchsorted(times, [lo_t, hi_t])
            picked = semis[lo:hi][voiced[lo:hi]]
            if len(picked) * frames.hop_s >= MIN_VOICED_S:
                stretches.append(
                    _Stretch(float(lo_t), float(hi_t), float(np.median(picked)), len(picked) * frames.hop_s)
                )
    return stretches


def _two_clusters(values: Float64Array, weights: Float64Array) -> tuple[BoolArray, float, float, float]:
    """Best weighted split of 1-D values into low and high (Otsu): (is_high, low mean, high mean, spread)."""
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cw = np.cumsum(w)[:-1]
    cwv = np.cumsum(w * v)[:-1]
    total_w, total_wv = float(w.sum()), float((w * v).sum())
    mean_low = cwv / cw
    mean_high = (total_wv - cwv) / (total_w - cw)
    between = cw * (total_w - cw) * (mean_high - mean_low) ** 2
    split = int(np.argmax(between))
    threshold = v[split]
    is_high: BoolArray = values > threshold
    low_mean, high_mean = float(mean_low[split]), float(mean_high[split])
    centre = np.where(is_high, high_mean, low_mean)
    spread = float(np.sqrt(np.sum(weights * (values - centre) ** 2) / total_w))
    return is_high, low_mean, high_mean, spread


def _multiple_voices(ordered: Sequence[Segment], frames: _Frames) -> _Result:
    stretches = _pitch_stretches(ordered, frames)
    if len(stretches) < 4:
        return _Result(
            0.0, f"Too little voiced candidate speech to compare voices ({len(stretches)} stretches).", []
        )
    pitches = np.array([s.pitch for s in stretches])
    weights = np.array([s.voiced_s for s in stretches])
    is_high, low_mean, high_mean, spread = _two_clusters(pitches, weights)
    high_w = float(weights[is_high].sum())
    minority_is_high = high_w <= weights.sum() / 2
    minority_w = high_w if minority_is_high else float(weights.sum()) - high_w
    distance = high_mean - low_mean
    separation = _ramp(distance, 5.0, 8.0) * _ramp(distance / max(spread, 0.75), 3.0, 5.0)
    amount = _ramp(minority_w / float(weights.sum()), 0.05, 0.15) * _ramp(minority_w, 1.5, 5.0)
    confidence = separation * amount
    major_hz, minor_hz = (
        (_hz(low_mean), _hz(high_mean)) if minority_is_high else (_hz(high_mean), _hz(low_mean))
    )
    summary = (
        f"Candidate speech pitch clusters at {major_hz:.0f} Hz and {minor_hz:.0f} Hz "
        f"({distance:.1f} semitones apart); the smaller holds {minority_w:.1f} s of voiced speech."
    )
    if confidence <= 0:
        summary = f"One voice: candidate speech pitch is centred on {_hz(float(np.median(pitches))):.0f} Hz."
        return _Result(0.0, summary, [])
    minority = [s for s, high in zip(stretches, is_high, strict=True) if bool(high) == minority_is_high]
    evidence = [
        Moment(start, end, f"pitch about {minor_hz:.0f} Hz; the main voice is about {major_hz:.0f} Hz")
        for start, end in _merge((s.start, s.end) for s in minority)
    ]
    return _Result(confidence, summary, evidence)


def _merge(spans: Iterable[tuple[float, float]], gap_s: float = 0.01) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start - merged[-1][1] <= gap_s:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# ---------------------------------------------------------------------------------------------------------
# Source changed: a step in the noise floor or the bandwidth, second by second.

MIN_SIDE_S = 10
FLOOR_WINDOW_S = 7


def _per_second(frames: _Frames) -> tuple[Float64Array, Float64Array]:
    """Per whole second: noise floor (dBFS) and speech bandwidth (dB above 4.2 kHz); NaN where unknown."""
    per_s = max(round(1.0 / frames.hop_s), 1)
    seconds = len(frames.level_db) // per_s
    level = frames.level_db[: seconds * per_s].reshape(seconds, per_s)
    high = frames.high_db[: seconds * per_s].reshape(seconds, per_s)
    audible = level > SILENT_DB
    enough = audible.sum(axis=1) >= per_s // 2
    quiet = np.where(audible, level, np.inf)
    # The 20th percentile of the audible frames: sorted, with the silent ones (inf) at the end.
    rank = np.minimum((audible.sum(axis=1) * 0.2).astype(np.intp), per_s - 1)
    floor = np.where(enough, np.sort(quiet, axis=1)[np.arange(seconds), rank], np.inf)
    floor = _opening(floor, FLOOR_WINDOW_S)
    # Against the local floor: after a step up in noise, noise alone must not pass for speech.
    local_floor = np.where(np.isfinite(floor), floor, frames.floor_db)
    speech = level >= local_floor[:, None] + SPEECH_ABOVE_FLOOR_DB
    band = np.where(speech, high, np.nan)
    has_speech = speech.sum(axis=1) >= 3
    bandwidth = np.full(seconds, np.nan)
    if has_speech.any():
        bandwidth[has_speech] = np.nanmedian(band[has_speech], axis=1)
    return np.where(np.isfinite(floor), floor, np.nan), bandwidth


def _opening(values: Float64Array, width: int) -> Float64Array:
    """Rolling minimum then rolling maximum: removes bumps narrower than `width` (speech without a pause)
    but keeps a step where it is. Infinite values are unknown seconds and stay unknown."""
    if len(values) == 0:
        return values
    half = width // 2
    windows = np.lib.stride_tricks.sliding_window_view
    eroded = windows(np.pad(values, half, constant_values=np.inf), width).min(axis=1)
    known = np.where(np.isfinite(eroded), eroded, -np.inf)
    opened = windows(np.pad(known, half, constant_values=-np.inf), width).max(axis=1)
    result: Float64Array = np.where(np.isfinite(values) & np.isfinite(opened), opened, np.inf)
    return result


@dataclass(frozen=True, slots=True)
class _Step:
    at_s: float
    before: float
    after: float
    score: float


def _change_point(series: Float64Array) -> _Step | None:
    """The single split that best explains the series as two constant levels (least absolute deviation
    from each side's median), scored by the step between the medians against the spread around them."""
    valid = np.flatnonzero(~np.isnan(series))
    if len(valid) < 2 * MIN_SIDE_S:
        return None
    values = series[valid]
    splits = np.arange(MIN_SIDE_S, len(values) - MIN_SIDE_S + 1)
    splits = splits[:: max(len(splits) // 400, 1)]
    _cost, split, before, after = min(_two_levels(values, split) for split in splits.tolist())
    deviations = np.concatenate([np.abs(values[:split] - before), np.abs(values[split:] - after)])
    spread = 1.4826 * float(np.median(deviations))  # robust standard deviation
    step = abs(after - before)
    score = _ramp(step, 6.0, 12.0) * _ramp(step / max(spread, 1.0), 2.0, 4.0)
    return _Step(float(valid[split]), before, after, score)


def _two_levels(values: Float64Array, split: int) -> tuple[float, int, float, float]:
    """(absolute deviation from each side's median, split, median before, median after)."""
    left, right = values[:split], values[split:]
    before, after = float(np.median(left)), float(np.median(right))
    return float(np.abs(left - before).sum() + np.abs(right - after).sum()), split, before, after


def _source_changed(frames: _Frames) -> _Result:
    floor, bandwidth = _per_second(frames)
    floor_step, band_step = _change_point(floor), _change_point(bandwidth)
    if floor_step is None and band_step is None:
        return _Result(0.0, "Too little audio to look for a change of source (needs 20 s).", [])
    floor_score = floor_step.score if floor_step else 0.0
    band_score = band_step.score if band_step else 0.0
    confidence = 1 - (1 - floor_score) * (1 - band_score)
    parts: list[str] = []
    evidence: list[Moment] = []
    for name, step in (("noise floor (dBFS)", floor_step), ("energy above 4.2 kHz (dB)", band_step)):
        if step is None:
            continue
        parts.append(f"{name} {step.before:.0f} -> {step.after:.0f} at {step.at_s:.0f} s")
        if step.score > 0:
            note = f"{name} changes from {step.before:.0f} to {step.after:.0f}"
            evidence.append(Moment(step.at_s - FLOOR_WINDOW_S / 2, step.at_s + FLOOR_WINDOW_S / 2, note))
    verdict = "Audio source looks changed" if confidence > 0 else "No clear change of audio source"
    return _Result(
        confidence, f"{verdict}: largest steps {'; '.join(parts)}.", sorted(evidence, key=lambda m: m.start)
    )


# ---------------------------------------------------------------------------------------------------------
# Background voice: voiced audio where the transcript has no candidate speech.

GAP_MARGIN_S = 0.5
JOIN_GAP_S = 0.5
MIN_STRETCH_S = 0.8
MIN_STRETCH_VOICED_S = 0.5
SAME_VOICE_SEMITONES = 2.0


def _voiced_runs(mask: BoolArray, hop_s: float) -> list[tuple[int, int, int]]:
    """(first frame, end frame, voiced frames) for runs of voiced frames joined across short gaps."""
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) * hop_s > JOIN_GAP_S + hop_s)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(idx) - 1]])
    return [(int(idx[s]), int(idx[e]) + 1, int(e - s + 1)) for s, e in zip(starts, ends, strict=True)]


def _background_voice(ordered: Sequence[Segment], frames: _Frames) -> _Result:
    voiced = frames.voiced
    own = voiced & _span_mask(frames, _spans(ordered, CANDIDATE), margin_s=0.0)
    own_pitch = float(np.median(_semitones(frames.f0[own]))) if own.sum() * frames.hop_s >= 1.0 else None
    outside = voiced & ~_span_mask(frames, _spans(ordered, CANDIDATE), margin_s=GAP_MARGIN_S)
    interviewer = _span_mask(frames, _spans(ordered, INTERVIEWER), margin_s=0.0)
    weighted = 0.0
    evidence: list[Moment] = []
    for first, end, count in _voiced_runs(outside, frames.hop_s):
        duration, voiced_s = (end - first) * frames.hop_s, count * frames.hop_s
        if duration < MIN_STRETCH_S or voiced_s < MIN_STRETCH_VOICED_S:
            continue
        pitch = float(np.median(_semitones(frames.f0[first:end][outside[first:end]])))
        weight, notes = 1.0, [f"{voiced_s:.1f} s voiced, pitch about {_hz(pitch):.0f} Hz"]
        if interviewer[first:end].any():
            weight, notes = weight / 2, [*notes, "during the interviewer's turn: may be echo"]
        if own_pitch is not None and abs(pitch - own_pitch) < SAME_VOICE_SEMITONES:
            weight, notes = weight / 2, [*notes, "pitch like the candidate's"]
        weighted += weight * voiced_s
        evidence.append(Moment(first * frames.hop_s, end * frames.hop_s, "; ".join(notes)))
    if not evidence:
        return _Result(0.0, "No voice heard outside the candidate's transcribed speech.", [])
    total = sum(m.end - m.start for m in evidence)
    summary = (
        f"Voice-like audio outside the candidate's transcribed speech: {len(evidence)} stretch(es), "
        f"{total:.1f} s ({weighted:.1f} s voiced after discounting likely echo or the candidate)."
    )
    return _Result(_ramp(weighted, 1.0, 6.0), summary, evidence)
