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

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from scoring.authenticity.frames import Frames, analyse
from scoring.authenticity.model import (
    AUDIO_KINDS,
    BACKGROUND_VOICE,
    DEFAULT_THRESHOLDS,
    FOCUS_LOST,
    KINDS,
    MAX_EVIDENCE,
    MULTIPLE_VOICES,
    PAGE_EVENT_KINDS,
    PAUSE_THEN_FLUENT,
    READING_LIKE,
    SOURCE_CHANGED,
    Flag,
    Moment,
    PageEvent,
    Result,
    Thresholds,
    flag,
)
from scoring.authenticity.source import source_changed
from scoring.authenticity.transcript import focus_lost, pause_then_fluent, reading_like
from scoring.authenticity.voices import background_voice, multiple_voices
from scoring.model import Segment

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
    results: dict[str, Result] = {
        PAUSE_THEN_FLUENT: pause_then_fluent(ordered),
        READING_LIKE: reading_like(ordered),
        FOCUS_LOST: focus_lost(ordered, page_events),
    }
    if candidate_audio is None:
        horizon = max([s.end for s in ordered] + [e.at for e in page_events], default=0.0)
        for kind in AUDIO_KINDS:
            results[kind] = Result(0.0, "No recording of the candidate's audio: not checked.", [])
    else:
        audio = _check_audio(candidate_audio)
        horizon = len(audio) / sample_rate
        results.update(_audio_results(ordered, analyse(audio, sample_rate)))
    return [flag(kind, results[kind], thresholds.for_kind(kind), horizon) for kind in KINDS]


def _check_audio(audio: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
    array = np.asarray(audio)
    if array.ndim != 1:
        raise ValueError(f"candidate_audio must be mono (1-D), got shape {array.shape}")
    if array.dtype != np.int16:
        raise TypeError(f"candidate_audio must be int16 samples, got {array.dtype}")
    return array


def _finite_segment(segment: Segment) -> bool:
    return math.isfinite(segment.start) and math.isfinite(segment.end) and segment.end >= segment.start


def _audio_results(ordered: Sequence[Segment], frames: Frames) -> dict[str, Result]:
    if len(frames.level_db) == 0 or not frames.audible.any():
        why = (
            "The recording is too short to analyse."
            if len(frames.level_db) == 0
            else "The recording is silent."
        )
        return {kind: Result(0.0, why, []) for kind in AUDIO_KINDS}
    return {
        MULTIPLE_VOICES: multiple_voices(ordered, frames),
        SOURCE_CHANGED: source_changed(frames),
        BACKGROUND_VOICE: background_voice(ordered, frames),
    }
