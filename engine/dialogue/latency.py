"""Where the time goes in one turn: from the end of the candidate's speech to the reply's first audio.

Every mark is a time on the session's timeline (seconds), taken where the event happens, so the phases
add up along the critical path:

    speech_end ──endpointing──> turn_end ──generation──> reply_ready ──first audio──> first_audio

`transcription` overlaps endpointing rather than following it: the recognizer starts when the VAD
closes the utterance (after its hangover) and the turn cannot end before its final arrives, so a slow
recognizer shows up as a long endpointing wait too. The network and the browser's jitter buffer come
after `first_audio` and are not in here (the benchmark measures them at the client).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Backend", "TurnLatency"]

Backend = Literal["director", "llm"]


@dataclass(frozen=True, slots=True)
class TurnLatency:
    speech_end: float
    """The end of the candidate's last voiced audio in the turn."""
    utterance_end: float
    """The VAD closed that utterance (its hangover expired)."""
    transcribed: float
    """That utterance's final transcript arrived."""
    turn_end: float
    """Turn-taking decided the candidate was done."""
    reply_ready: float
    """The reply's first sentence was ready to synthesise."""
    first_audio: float
    """The reply's first audio frame went out on the outbound track."""
    backend: Backend
    """Who wrote the reply's words: the embedded director, or the LLM."""
    verdict: float | None = None
    """The end-of-turn voice model's verdict on the turn's last pause arrived (None: no model, or no
    verdict that still applied when the turn ended)."""
    verdict_complete: bool | None = None
    """That verdict: the voice sounded finished (the fast path) or not (the hesitation wait)."""

    @property
    def endpointing_s(self) -> float:
        """End of speech to the end of the turn: VAD hangover, the silence threshold, and any wait for
        the final transcript."""
        return self.turn_end - self.speech_end

    @property
    def transcription_s(self) -> float:
        """The VAD's end of the utterance to its final transcript (inside endpointing)."""
        return self.transcribed - self.utterance_end

    @property
    def generation_s(self) -> float:
        """The end of the turn to the reply's first sentence: the director's decision, saving the
        progress, and for the LLM the request, its first token and the rest of that sentence."""
        return self.reply_ready - self.turn_end

    @property
    def first_audio_s(self) -> float:
        """The first sentence to its first audio frame: speech synthesis and the next 20 ms frame."""
        return self.first_audio - self.reply_ready

    @property
    def verdict_s(self) -> float | None:
        """End of speech to the voice model's verdict: the pause it waits for, the inbound audio's own
        delay and the inference (a finished-sounding pause closes the utterance at once)."""
        return None if self.verdict is None else self.verdict - self.speech_end

    @property
    def total_s(self) -> float:
        """End of speech to the reply's first audio frame leaving the engine."""
        return self.first_audio - self.speech_end
