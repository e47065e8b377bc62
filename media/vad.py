"""Voice activity detection: a per-frame speech classifier and a pure start/stop state machine.

The classifier (webrtcvad) says, for one 10/20/30 ms frame, whether it sounds like speech. Its answers
flicker, so `VadStateMachine` turns them into speech start/end events: speech starts only after
`start_ms` of consecutive voiced frames (a cough or a click does not open a turn) and ends only after
`hangover_ms` of unvoiced frames (a breath between words does not close one). The state machine knows
nothing about audio or clocks: it is fed decisions and stream times, so it is tested with plain lists.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeAlias

import webrtcvad

if TYPE_CHECKING:
    from config.settings import VadSettings

__all__ = [
    "DEFAULT_SAMPLE_RATE",
    "FRAME_MS_CHOICES",
    "SpeechClassifier",
    "SpeechEnded",
    "SpeechStarted",
    "VadConfig",
    "VadEvent",
    "VadState",
    "VadStateMachine",
    "WebRtcVadClassifier",
]

# Kept local (equal to media.audio.SAMPLE_RATE) so this module has no dependency on the rest of the plane.
DEFAULT_SAMPLE_RATE = 16000
FRAME_MS_CHOICES = (10, 20, 30)
# The only rates webrtcvad accepts.
_WEBRTC_RATES = (8000, 16000, 32000, 48000)


class SpeechClassifier(Protocol):
    """Says whether one frame of little-endian int16 mono PCM is speech."""

    def is_speech(self, frame: bytes, sample_rate: int) -> bool: ...


class WebRtcVadClassifier:
    """`SpeechClassifier` over webrtcvad's GMM. Stateful (it adapts to the noise floor): one per stream.

    webrtcvad's noise model starts from fixed defaults and calls the first 4-9 frames of even faint
    noise speech, which would open a phantom utterance at the start of every call. The first
    `warmup_ms` of audio therefore only train the model and count as silence; the pre-roll still
    recovers speech that really began that early.
    """

    def __init__(self, aggressiveness: int = 2, *, warmup_ms: int = 200) -> None:
        if not 0 <= aggressiveness <= 3:
            raise ValueError(f"aggressiveness must be 0..3, got {aggressiveness}")
        if warmup_ms < 0:
            raise ValueError("warmup_ms must not be negative")
        self._vad = webrtcvad.Vad(aggressiveness)
        self._warmup_ms = warmup_ms
        self._seen_ms = 0.0

    def is_speech(self, frame: bytes, sample_rate: int) -> bool:
        voiced = bool(self._vad.is_speech(frame, sample_rate))
        if self._seen_ms < self._warmup_ms:
            self._seen_ms += len(frame) / 2 / sample_rate * 1000
            return False
        return voiced


@dataclass(frozen=True, slots=True)
class VadConfig:
    """Frame size and timing of the VAD; all durations in milliseconds."""

    aggressiveness: int = 2
    frame_ms: int = 20
    start_ms: int = 60
    pre_roll_ms: int = 300
    hangover_ms: int = 300
    sample_rate: int = DEFAULT_SAMPLE_RATE

    def __post_init__(self) -> None:
        if not 0 <= self.aggressiveness <= 3:
            raise ValueError(f"aggressiveness must be 0..3, got {self.aggressiveness}")
        if self.frame_ms not in FRAME_MS_CHOICES:
            raise ValueError(f"frame_ms must be one of {FRAME_MS_CHOICES}, got {self.frame_ms}")
        if self.sample_rate not in _WEBRTC_RATES:
            raise ValueError(f"sample_rate must be one of {_WEBRTC_RATES}, got {self.sample_rate}")
        for name in ("start_ms", "pre_roll_ms", "hangover_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")

    @classmethod
    def from_settings(cls, settings: VadSettings, sample_rate: int = DEFAULT_SAMPLE_RATE) -> VadConfig:
        return cls(
            aggressiveness=settings.aggressiveness,
            frame_ms=settings.frame_ms,
            start_ms=settings.start_ms,
            pre_roll_ms=settings.pre_roll_ms,
            hangover_ms=settings.hangover_ms,
            sample_rate=sample_rate,
        )

    @property
    def frame_samples(self) -> int:
        return self.sample_rate * self.frame_ms // 1000

    @property
    def start_frames(self) -> int:
        """Consecutive voiced frames that start speech; at least one, rounded up."""
        return max(1, math.ceil(self.start_ms / self.frame_ms))

    @property
    def hangover_frames(self) -> int:
        """Consecutive unvoiced frames that end speech; at least one, since the end is only seen then."""
        return max(1, math.ceil(self.hangover_ms / self.frame_ms))


class VadState(enum.Enum):
    QUIET = "quiet"
    STARTING = "starting"
    SPEAKING = "speaking"
    STOPPING = "stopping"


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    """Speech confirmed; `start` is the start time of its first voiced frame."""

    start: float


@dataclass(frozen=True, slots=True)
class SpeechEnded:
    """Speech over: `end` is the end of its last voiced frame, `detected_at` when the hangover ran out."""

    start: float
    end: float
    detected_at: float


VadEvent: TypeAlias = SpeechStarted | SpeechEnded


class VadStateMachine:
    """QUIET -> STARTING -> SPEAKING -> STOPPING -> QUIET, fed one classifier decision per frame.

    A voiced frame while QUIET enters STARTING; `start_frames` voiced frames in a row confirm speech
    (SpeechStarted), any unvoiced frame before that drops back to QUIET. An unvoiced frame while SPEAKING
    enters STOPPING; a voiced frame returns to SPEAKING, `hangover_frames` unvoiced frames in a row end
    speech (SpeechEnded). Frames are assumed contiguous and `config.frame_ms` long.
    """

    def __init__(self, config: VadConfig) -> None:
        self._frame_s = config.frame_ms / 1000
        self._start_frames = config.start_frames
        self._stop_frames = config.hangover_frames
        self._state = VadState.QUIET
        self._count = 0
        self._speech_start = 0.0
        self._voiced_end = 0.0

    @property
    def state(self) -> VadState:
        return self._state

    @property
    def speaking(self) -> bool:
        """True between SpeechStarted and SpeechEnded."""
        return self._state in (VadState.SPEAKING, VadState.STOPPING)

    def reset(self) -> None:
        self._state = VadState.QUIET
        self._count = 0

    def update(self, is_speech: bool, at: float) -> VadEvent | None:
        """Feed the decision for the frame ending at stream time `at`; returns an event or None."""
        if is_speech:
            return self._voiced(at)
        return self._unvoiced(at)

    def flush(self, at: float) -> SpeechEnded | None:
        """End speech now (stream over); `detected_at` is `at`, never before the end of speech."""
        ended = None
        if self.speaking:
            ended = SpeechEnded(self._speech_start, self._voiced_end, max(at, self._voiced_end))
        self.reset()
        return ended

    def _voiced(self, at: float) -> VadEvent | None:
        self._voiced_end = at
        if self._state is VadState.QUIET:
            self._state = VadState.STARTING
            self._count = 0
            self._speech_start = at - self._frame_s
        if self._state is VadState.STARTING:
            self._count += 1
            if self._count >= self._start_frames:
                self._state = VadState.SPEAKING
                return SpeechStarted(self._speech_start)
        elif self._state is VadState.STOPPING:
            self._state = VadState.SPEAKING
        return None

    def _unvoiced(self, at: float) -> VadEvent | None:
        if self._state is VadState.STARTING:
            self._state = VadState.QUIET
        elif self._state is VadState.SPEAKING:
            self._state = VadState.STOPPING
            self._count = 0
        if self._state is VadState.STOPPING:
            self._count += 1
            if self._count >= self._stop_frames:
                self._state = VadState.QUIET
                return SpeechEnded(self._speech_start, self._voiced_end, at)
        return None
