"""Cuts a stream of PCM into utterances for the recognizer, with pre-roll and a capped length.

`Segmenter.push` takes PCM of any length, slices it into VAD frames on a fixed grid, classifies each
frame and runs the `VadStateMachine`. The frames before speech is confirmed sit in a small ring buffer
so an utterance's audio begins `pre_roll_ms` before its first voiced frame (the VAD reacts late to soft
onsets; Whisper needs them). Times are stream times derived from sample counts, so they are exact and
repeatable however the stream is chopped into pushes.

Long speech is cut into pieces before it outgrows Whisper's window, and never mid-word: once an
utterance is `split_after_s` long, it is cut inside the next pause of `split_pause_ms` when the voice
comes back (the speaker went on, so this is no end of turn); if no such pause comes before
`max_utterance_s`, it is cut at the quietest frame boundary of the last second. Each piece but the last
is marked `continued`, so the caller can transcribe the next one in its context.

With `pause_ms`, it also reports the silences inside an utterance before the hangover ends it
(`PauseStarted`, and `PauseEnded` when the voice comes back), so a caller can judge early whether the
speaker has finished, and close the utterance at once (`end_at_pause`) when they have. With
`silence_ms` (shorter), it reports each such silence sooner too (`SilenceBegan`), for work worth
starting before a pause is long enough to judge (transcribing the utterance so far): most of these
silences are gaps between words, so the caller must be ready to drop what it started.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np

from media.vad import (
    SpeechClassifier,
    SpeechEnded,
    SpeechStarted,
    VadConfig,
    VadState,
    VadStateMachine,
    WebRtcVadClassifier,
)

__all__ = [
    "DEFAULT_MAX_UTTERANCE_S",
    "DEFAULT_SPLIT_AFTER_S",
    "DEFAULT_SPLIT_PAUSE_MS",
    "DEFAULT_TAIL_MS",
    "PauseEnded",
    "PauseStarted",
    "Segmenter",
    "SegmenterEvent",
    "SilenceBegan",
    "UtteranceEnded",
    "UtteranceStarted",
]

logger = logging.getLogger(__name__)

# Whisper decodes 30 s windows; a longer utterance would be truncated by the model.
DEFAULT_MAX_UTTERANCE_S = 30.0
# Past this length an utterance is cut at the next pause (when speech goes on): each piece is
# transcribed while the speaker goes on, so when they stop only the last few seconds are left to
# transcribe (the reply waits for that), and each fits the recogniser's short window.
DEFAULT_SPLIT_AFTER_S = 4.0
# A pause long enough to cut at: a breath between phrases, not a stop consonant inside a word. (webrtcvad
# smooths its decisions: a 250 ms gap between words shows as ~120 ms of unvoiced frames.)
DEFAULT_SPLIT_PAUSE_MS = 80
# The hard cap looks this far back for the quietest place to cut.
_QUIET_SEARCH_MS = 1000
# Silence kept after the last voiced frame: the VAD tends to miss soft word endings (s, f, t).
DEFAULT_TAIL_MS = 200


@dataclass(frozen=True, slots=True)
class UtteranceStarted:
    """An utterance opened; `start` is the stream time of its audio's first sample (pre-roll included)."""

    index: int
    start: float


@dataclass(frozen=True, slots=True)
class UtteranceEnded:
    """An utterance closed. `audio` (int16 mono) runs from `start` to a little past `end`, the end of the
    last voiced frame; `detected_at` is when the segmenter knew (hangover expiry, cap or flush).
    `continued` is True when it was cut because it ran long while the speaker went on: the next
    utterance (opened at once, where this one's audio stops) is the rest of the same speech."""

    index: int
    start: float
    end: float
    detected_at: float
    audio: bytes = field(repr=False)
    continued: bool = False


@dataclass(frozen=True, slots=True)
class PauseStarted:
    """The open utterance has been silent for `pause_ms`: the speaker may have finished, or may go on.
    `speech_end` is the end of its last voiced frame (what `UtteranceEnded.end` will be if no voice
    follows); `at` is the end of the frame that made the silence long enough."""

    index: int
    speech_end: float
    at: float


@dataclass(frozen=True, slots=True)
class SilenceBegan:
    """The open utterance has been silent for `silence_ms` (before any `PauseStarted` for the same
    silence): often a gap between words. `speech_end` and `at` as in `PauseStarted`."""

    index: int
    speech_end: float
    at: float


@dataclass(frozen=True, slots=True)
class PauseEnded:
    """Voice came back in the same utterance, at `at`, before the hangover closed it (after a
    `PauseStarted`, or a `SilenceBegan` alone)."""

    index: int
    at: float


SegmenterEvent: TypeAlias = UtteranceStarted | UtteranceEnded | SilenceBegan | PauseStarted | PauseEnded


@dataclass(slots=True)
class _Utterance:
    index: int
    start: int  # absolute sample index of audio[0]
    audio: bytearray


class Segmenter:
    """Turns pushed PCM into UtteranceStarted/UtteranceEnded events. Not thread-safe: one per stream.

    Sample positions are absolute (stream time * rate). A push whose `at` lies more than half a frame
    after the end of the audio received so far is a gap (lost packets): it counts as silence, so later
    times stay right (once the VAD is quiet, the rest of a long gap is skipped unclassified). A push that
    overlaps, or jitters by less than half a frame, is taken as contiguous with the previous one.

    An utterance longer than `split_after_s` (None: never) is cut inside its next pause of at least
    `split_pause_ms`, at the moment the voice comes back: the piece keeps up to `tail_ms` of that pause
    and the next utterance starts where its audio stops. One whose audio plus tail would pass
    `max_utterance_s` is cut at the quietest frame boundary of its last second. Either way no audio is
    lost or repeated, and the piece is `continued`.

    `pause_ms` (None: off) reports each silence inside an open utterance once it lasts that long; it has
    an effect only when shorter than the VAD's hangover, which otherwise ends the utterance first.
    `silence_ms` (None: off; shorter than `pause_ms` when both are set) reports it sooner as well.
    """

    def __init__(
        self,
        config: VadConfig,
        classifier: SpeechClassifier | None = None,
        *,
        max_utterance_s: float = DEFAULT_MAX_UTTERANCE_S,
        tail_ms: int = DEFAULT_TAIL_MS,
        pause_ms: int | None = None,
        silence_ms: int | None = None,
        split_after_s: float | None = DEFAULT_SPLIT_AFTER_S,
        split_pause_ms: int = DEFAULT_SPLIT_PAUSE_MS,
    ) -> None:
        if tail_ms < 0:
            raise ValueError("tail_ms must not be negative")
        if split_after_s is not None and split_after_s <= 0:
            raise ValueError("split_after_s must be positive (or None)")
        if split_pause_ms <= 0:
            raise ValueError("split_pause_ms must be positive")
        if pause_ms is not None and pause_ms <= 0:
            raise ValueError("pause_ms must be positive (or None)")
        if silence_ms is not None and (silence_ms <= 0 or (pause_ms is not None and silence_ms >= pause_ms)):
            raise ValueError("silence_ms must be positive and shorter than pause_ms (or None)")
        rate = config.sample_rate
        self._config = config
        self._classifier = (
            classifier if classifier is not None else WebRtcVadClassifier(config.aggressiveness)
        )
        self._machine = VadStateMachine(config)
        self._rate = rate
        self._frame = config.frame_samples
        self._pre_roll = rate * config.pre_roll_ms // 1000
        # The tail comes out of the hangover audio, which is all that is buffered when speech ends.
        self._tail = min(rate * tail_ms // 1000, config.hangover_frames * self._frame)
        self._history_cap = self._pre_roll + config.start_frames * self._frame
        self._max = round(max_utterance_s * rate)
        if self._max < self._history_cap + self._frame + self._tail:
            raise ValueError(f"max_utterance_s={max_utterance_s} is too short for the pre-roll and tail")
        self._pos: int | None = None  # sample index where `_pending` starts, on the frame grid
        self._pending = bytearray()  # less than one frame, waiting for more samples
        self._history = bytearray()  # recent audio ending at `_pos` while no utterance is open
        self._utterance: _Utterance | None = None  # its audio ends at `_pos`
        self._voiced_end = 0  # sample index just after the latest voiced frame
        self._next_index = 0
        # Unvoiced frames that report a pause (0: off); the count so far inside the open utterance.
        self._pause_frames = 0 if pause_ms is None else max(1, math.ceil(pause_ms / config.frame_ms))
        self._silence_frames = 0 if silence_ms is None else max(1, math.ceil(silence_ms / config.frame_ms))
        self._silent_frames = 0
        self._paused = False
        self._quiet = False  # a SilenceBegan was reported for the current silence
        self._split_after = None if split_after_s is None else round(split_after_s * rate)
        self._split_pause_frames = max(1, math.ceil(split_pause_ms / config.frame_ms))
        self._quiet_search = max(1, _QUIET_SEARCH_MS // config.frame_ms)
        self._run_silent = 0  # unvoiced frames in a row inside the open utterance

    @property
    def config(self) -> VadConfig:
        return self._config

    @property
    def speaking(self) -> bool:
        """True between UtteranceStarted and UtteranceEnded."""
        return self._utterance is not None

    def current_audio(self) -> bytes | None:
        """The open utterance's audio so far (for partial hypotheses), or None when none is open."""
        return None if self._utterance is None else bytes(self._utterance.audio)

    def current_length(self) -> int:
        """Bytes of the open utterance's audio so far (0 when none is open), without copying it: asked at
        every frame to see whether a partial is due, where a copy cost a whole utterance per 20 ms."""
        return 0 if self._utterance is None else len(self._utterance.audio)

    def push(self, pcm: bytes, at: float) -> list[SegmenterEvent]:
        """Feed int16 mono PCM whose first sample is at stream time `at`; returns the events it caused."""
        if len(pcm) % 2:
            raise ValueError("PCM must hold whole int16 samples")
        events: list[SegmenterEvent] = []
        first = round(at * self._rate)
        if self._pos is None:
            self._pos = first
        else:
            gap = first - self._received_end()
            if gap > self._frame // 2:
                logger.debug("audio gap of %s samples at %s filled with silence", gap, at)
                events += self._silence(gap)
        self._pending += pcm
        frame_bytes = self._frame * 2
        whole = len(self._pending) // frame_bytes
        for i in range(whole):
            events += self._frame_in(bytes(self._pending[i * frame_bytes : (i + 1) * frame_bytes]))
        del self._pending[: whole * frame_bytes]
        return events

    def end_at_pause(self, index: int, speech_end: float) -> list[SegmenterEvent]:
        """Close utterance `index` now, inside the pause that `PauseStarted(index, speech_end, ...)`
        reported, instead of waiting for the hangover: the caller has judged that the speaker finished.
        Its audio keeps the tail received so far. Does nothing (returns []) when that pause is over: the
        voice came back, or the utterance has already ended."""
        utterance = self._utterance
        if (
            utterance is None
            or utterance.index != index
            or not self._paused
            or self._voiced_end != round(speech_end * self._rate)
        ):
            return []
        now = self._current_pos()
        # The VAD is mid-hangover; from QUIET, the next voice opens a new utterance with its pre-roll.
        self._machine.reset()
        end = self._voiced_end
        return [self._close(end, min(end + self._tail, now), now / self._rate)]

    def flush(self, at: float) -> list[SegmenterEvent]:
        """End the open utterance now (the stream stopped); drops the partial frame and VAD state."""
        events: list[SegmenterEvent] = []
        if self._utterance is not None:
            end = self._voiced_end
            detected_at = max(at, end / self._rate)
            events.append(self._close(end, min(end + self._tail, self._current_pos()), detected_at))
        self._machine.reset()
        if self._pos is not None:
            self._pos += len(self._pending) // 2
        self._pending.clear()
        self._history.clear()
        return events

    def _current_pos(self) -> int:
        assert self._pos is not None
        return self._pos

    def _received_end(self) -> int:
        return self._current_pos() + len(self._pending) // 2

    def _silence(self, samples: int) -> list[SegmenterEvent]:
        """Account for `samples` of missing audio as silence."""
        events: list[SegmenterEvent] = []
        frame_bytes = self._frame * 2
        # Feed silent frames until the VAD is quiet and the grid aligned, so speech ends on time...
        while samples > 0 and (self._pending or self._machine.state is not VadState.QUIET):
            take = min(samples, (frame_bytes - len(self._pending)) // 2)
            self._pending += bytes(take * 2)
            samples -= take
            if len(self._pending) == frame_bytes:
                events += self._frame_in(bytes(self._pending))
                self._pending.clear()
        # ...then skip the whole frames at once, keeping only the silence the pre-roll buffer would hold;
        # the rest starts the next partial frame, so the frame grid stays where it was.
        skipped = samples - samples % self._frame
        self._remember(bytes(min(skipped, self._history_cap) * 2))
        self._pos = self._current_pos() + skipped
        self._pending += bytes((samples - skipped) * 2)
        return events

    def _frame_in(self, frame: bytes) -> list[SegmenterEvent]:
        start = self._current_pos()
        end = start + self._frame
        voiced = self._classifier.is_speech(frame, self._rate)
        event = self._machine.update(voiced, end / self._rate)
        events: list[SegmenterEvent] = []
        if self._utterance is None:
            self._remember(frame)
        else:
            if voiced and end + self._tail - self._utterance.start > self._max:
                events += self._split(self._quietest(start), end)
            elif voiced and self._long_pause_behind(start):
                # Cut inside the pause, keeping a tail for the piece's last word (the VAD misses soft
                # endings); the rest of the pause is the next piece's pre-roll.
                silence_start = start - self._run_silent * self._frame
                keep = min(self._tail, self._run_silent * self._frame // 2)
                events += self._split(silence_start + keep - keep % self._frame, end)
            self._utterance.audio += frame
            self._run_silent = 0 if voiced else self._run_silent + 1
        self._pos = end
        if voiced:
            self._voiced_end = end
        if isinstance(event, SpeechStarted):
            events.append(self._open(round(event.start * self._rate)))
        elif isinstance(event, SpeechEnded):
            speech_end = round(event.end * self._rate)
            events.append(self._close(speech_end, min(speech_end + self._tail, end), event.detected_at))
        if self._utterance is not None and (self._pause_frames or self._silence_frames):
            pause = self._pause_event(voiced, end)
            if pause is not None:
                events.append(pause)
        return events

    def _long_pause_behind(self, start: int) -> bool:
        """The open utterance is past `split_after_s` and the frame starting at `start` ends a pause
        long enough to cut in."""
        utterance = self._utterance
        return (
            utterance is not None
            and self._split_after is not None
            and self._run_silent >= self._split_pause_frames
            and start - utterance.start >= self._split_after
        )

    def _quietest(self, at: int) -> int:
        """The frame boundary in the open utterance's last second (ending at `at`) with the least energy
        around it: where a cut is least likely to fall inside a word."""
        utterance = self._utterance
        assert utterance is not None
        frame_bytes = self._frame * 2
        frames = (at - utterance.start) // self._frame
        first = max(1, frames - self._quiet_search)
        if first >= frames:
            return at
        audio = np.frombuffer(bytes(utterance.audio[: frames * frame_bytes]), dtype="<i2")
        energy = (audio.astype(np.float64).reshape(frames, self._frame) ** 2).mean(axis=1)
        # A boundary's energy: the frames on both sides of it.
        around = energy[first - 1 : frames - 1] + energy[first:frames]
        return utterance.start + (first + int(np.argmin(around))) * self._frame

    def _pause_event(self, voiced: bool, end: int) -> SilenceBegan | PauseStarted | PauseEnded | None:
        """Track silence inside the open utterance (after this frame's own events)."""
        utterance = self._utterance
        assert utterance is not None
        if voiced:
            self._silent_frames = 0
            if self._paused or self._quiet:
                self._paused = self._quiet = False
                return PauseEnded(utterance.index, end / self._rate)
            return None
        self._silent_frames += 1
        if self._silent_frames == self._silence_frames:
            self._quiet = True
            return SilenceBegan(utterance.index, self._voiced_end / self._rate, end / self._rate)
        if self._silent_frames != self._pause_frames:
            return None
        self._paused = True
        return PauseStarted(utterance.index, self._voiced_end / self._rate, end / self._rate)

    def _remember(self, pcm: bytes) -> None:
        self._history += pcm
        excess = len(self._history) - self._history_cap * 2
        if excess > 0:
            del self._history[:excess]

    def _open(self, first_voiced: int) -> UtteranceStarted:
        history_start = self._current_pos() - len(self._history) // 2
        start = max(history_start, first_voiced - self._pre_roll)
        audio = bytearray(self._history[(start - history_start) * 2 :])
        self._history.clear()
        return self._begin(start, audio)

    def _begin(self, start: int, audio: bytearray) -> UtteranceStarted:
        self._silent_frames = 0
        self._paused = self._quiet = False
        self._run_silent = 0
        self._utterance = _Utterance(self._next_index, start, audio)
        self._next_index += 1
        logger.debug("utterance %s started at %s", self._utterance.index, start / self._rate)
        return UtteranceStarted(self._utterance.index, start / self._rate)

    def _close(
        self, end: int, audio_end: int, detected_at: float, *, continued: bool = False
    ) -> UtteranceEnded:
        utterance = self._utterance
        assert utterance is not None
        cut = (audio_end - utterance.start) * 2
        # What follows the utterance's audio seeds the next pre-roll, so utterances never overlap.
        self._history = utterance.audio[cut:]
        self._remember(b"")
        self._utterance = None
        logger.debug("utterance %s ended at %s", utterance.index, end / self._rate)
        return UtteranceEnded(
            utterance.index,
            utterance.start / self._rate,
            end / self._rate,
            detected_at,
            bytes(utterance.audio[:cut]),
            continued,
        )

    def _split(self, at: int, now: int) -> list[SegmenterEvent]:
        """Close the open utterance at sample `at` (a frame boundary inside it) and open the next one
        there, with the audio between `at` and now; the speaker is still speaking."""
        utterance = self._utterance
        assert utterance is not None
        rest = bytearray(utterance.audio[(at - utterance.start) * 2 :])
        ended = self._close(min(self._voiced_end, at), at, now / self._rate, continued=True)
        self._history.clear()
        return [ended, self._begin(at, rest)]
