"""Hearing whether the candidate has finished their turn: Smart Turn v3.2, run on the CPU, offline.

Silence alone cannot tell "I would use a queue." from "I would use a queue and ..." followed by a
breath: both end in the same pause. Smart Turn v3.2 (Daily, BSD-2-Clause) is a classifier trained to
hear the difference in the voice itself (pitch, lengthening, a trailing "and", a filler): a Whisper tiny
encoder with a linear head, 8 MB int8 ONNX, that takes the last 8 s of a speaker's audio and returns
the probability that their turn is complete. This module owns loading it and running it;
`engine.dialogue.turns` decides what a verdict changes, and the live session decides when to ask.

The model's input contract (from pipecat's own runner, which we do not import):

- 16 kHz mono float audio in [-1, 1]; the last 8 s (128,000 samples) are kept, a shorter clip is
  zero-padded at the start, so the end of the speech is always at the end of the window;
- the window is normalised to zero mean and unit variance, then turned into Whisper's log-Mel
  features: 80 bins, 25 ms Hann window (400 samples), 10 ms hop, the last frame dropped: (80, 800);
- input `input_features` of shape (batch, 80, 800); output (batch, 1), already a sigmoid probability
  (pipecat calls the turn complete above 0.5).

The features come from faster-whisper's `FeatureExtractor` (already a dependency of the recogniser),
which computes the same Slaney Mel filterbank and log clamp as the reference; they agree with pipecat's
vendored transformers code to within 1e-5 (tests/media/test_smart_turn.py checks this when that file is
installed).

The model file ships inside the `pipecat-ai` wheel, installed with ``pip install --no-deps``: its Python
modules import a long list of packages we do not need, so none of them is imported; the file is found
with `importlib.util.find_spec`, which locates the package without running it.

Everything here blocks except `SmartTurnRunner`, which runs inferences on its own worker threads.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from faster_whisper.feature_extractor import FeatureExtractor

__all__ = [
    "MODEL_PACKAGE",
    "PIP_INSTALL",
    "SAMPLE_RATE",
    "WINDOW_SAMPLES",
    "RecentAudio",
    "SmartTurnMissing",
    "SmartTurnModel",
    "SmartTurnRunner",
    "SmartTurnStats",
    "TurnModel",
    "default_model_path",
    "smart_turn_features",
]

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "pipecat"
PIP_INSTALL = "pip install --no-deps 'pipecat-ai==1.14.0'"
_MODEL_PARTS = ("audio", "turn", "smart_turn", "data", "smart-turn-v3.2-cpu.onnx")

SAMPLE_RATE = 16_000
WINDOW_SAMPLES = 8 * SAMPLE_RATE
"""The model hears the last 8 s."""
_N_FRAMES = 800  # 10 ms frames in the window
_N_MELS = 80
_INPUT_NAME = "input_features"
# Whisper's extractor adds this to the variance before the square root (transformers' default).
_NORM_EPS = 1e-7

FloatAudio = npt.NDArray[np.float32]
_T = TypeVar("_T")


class SmartTurnMissing(RuntimeError):
    """The Smart Turn model file is not installed."""


def default_model_path() -> Path:
    """The ONNX file inside the installed `pipecat` package, found without importing (running) it."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SmartTurnMissing(f"the Smart Turn model is not installed; install it with: {PIP_INSTALL}")
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*_MODEL_PARTS)
    if not path.is_file():
        raise SmartTurnMissing(f"{path} is missing; install the model with: {PIP_INSTALL}")
    return path


def _window(audio: FloatAudio) -> FloatAudio:
    """The last 8 s, zero-padded at the start: the end of speech always sits at the window's end."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 1:
        raise ValueError(f"expected mono audio, got shape {audio.shape}")
    if audio.size >= WINDOW_SAMPLES:
        return audio[-WINDOW_SAMPLES:]
    return np.pad(audio, (WINDOW_SAMPLES - audio.size, 0))


def smart_turn_features(audio: FloatAudio, extractor: FeatureExtractor | None = None) -> FloatAudio:
    """The model's input for one clip of 16 kHz mono float audio: log-Mel features of shape (80, 800)."""
    if extractor is None:
        from faster_whisper.feature_extractor import FeatureExtractor

        extractor = FeatureExtractor(feature_size=_N_MELS)
    x = _window(audio)
    # Normalised over the whole padded window, in float32, as the reference does before its spectrogram.
    x = (x - x.mean()) / np.sqrt(x.var() + _NORM_EPS)
    # padding=0: the window is already 8 s; the extractor's 801st frame is dropped inside, as Whisper does.
    features = extractor(x, padding=0)
    out: FloatAudio = np.ascontiguousarray(features[:, :_N_FRAMES], dtype=np.float32)
    if out.shape != (_N_MELS, _N_FRAMES):
        raise AssertionError(f"unexpected feature shape {out.shape}")
    return out


class TurnModel(Protocol):
    """Says how likely it is that a speaker has finished, from their audio up to now. Blocking."""

    def load(self) -> None: ...

    def probability(self, audio: FloatAudio) -> float: ...


class SmartTurnModel:
    """Smart Turn v3.2 behind one lazily created onnxruntime session. Thread-safe: the session is built
    once under a lock, and onnxruntime allows concurrent `run` calls on one session.

    `threads` is onnxruntime's intra-op thread count per inference. One: a call takes about 90 ms of one
    core on a 2-core EPYC (75 ms of model, 15 ms of features), and the other core must stay free for
    the audio pipeline and the recogniser; concurrent sessions get parallelism from concurrent calls.
    """

    def __init__(self, path: Path | None = None, *, threads: int = 1) -> None:
        if threads < 1:
            raise ValueError("threads must be >= 1")
        self._path = path
        self._threads = threads
        self._lock = threading.Lock()
        self._session: Any = None
        self._extractor: FeatureExtractor | None = None

    @classmethod
    def shared(cls) -> SmartTurnModel:
        """The process's one model for the installed file (loaded on first use, not here)."""
        with _SHARED_LOCK:
            global _SHARED
            if _SHARED is None:
                _SHARED = cls()
            return _SHARED

    @property
    def path(self) -> Path:
        return self._path if self._path is not None else default_model_path()

    def load(self) -> None:
        """Create the onnxruntime session now (blocking, about 0.2 s); later calls return at once."""
        self._ensure_loaded()

    def probability(self, audio: FloatAudio) -> float:
        """The probability (0..1) that the speaker has finished, given their audio up to now (16 kHz mono
        float, any length: only the last 8 s count). Blocking: call it from a worker thread."""
        session, extractor = self._ensure_loaded()
        features = smart_turn_features(audio, extractor)
        outputs = session.run(None, {_INPUT_NAME: features[np.newaxis]})
        return float(np.asarray(outputs[0]).reshape(-1)[0])

    def _ensure_loaded(self) -> tuple[Any, FeatureExtractor]:
        session, extractor = self._session, self._extractor
        if session is not None and extractor is not None:
            return session, extractor
        with self._lock:
            if self._session is None or self._extractor is None:
                # Imported here: a process with the model switched off never pays for onnxruntime's import.
                import onnxruntime as ort
                from faster_whisper.feature_extractor import FeatureExtractor

                path = self.path
                started = time.perf_counter()
                options = ort.SessionOptions()
                options.intra_op_num_threads = self._threads
                options.inter_op_num_threads = 1
                options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                self._session = ort.InferenceSession(
                    str(path), sess_options=options, providers=["CPUExecutionProvider"]
                )
                self._extractor = FeatureExtractor(feature_size=_N_MELS)
                logger.info(
                    "Smart Turn model loaded from %s in %.0f ms", path, (time.perf_counter() - started) * 1000
                )
            return self._session, self._extractor


_SHARED: SmartTurnModel | None = None
_SHARED_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class SmartTurnStats:
    inferences: int
    failures: int
    busy_s: float

    @property
    def mean_ms(self) -> float:
        return self.busy_s * 1000 / self.inferences if self.inferences else 0.0


class SmartTurnRunner:
    """Runs a `TurnModel` (normally `SmartTurnModel`) on worker threads of its own, so inferences never queue behind the audio
    pipeline's per-frame hops on the default executor (and never on the event loop). Use as an async
    context manager; closing waits for inferences in flight."""

    def __init__(self, model: TurnModel, *, workers: int = 1) -> None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.model = model
        self._workers = workers
        self._executor: ThreadPoolExecutor | None = None
        self._stats_lock = threading.Lock()
        self._inferences = 0
        self._failures = 0
        self._busy_s = 0.0

    async def __aenter__(self) -> SmartTurnRunner:
        self._executor = ThreadPoolExecutor(self._workers, thread_name_prefix="smart-turn")
        return self

    async def __aexit__(self, *exc: object) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True)

    async def warm_up(self) -> None:
        """Load the model now rather than on the first pause."""
        await self._in_thread(self.model.load)

    async def probability(self, pcm: bytes) -> float:
        """`SmartTurnModel.probability` for int16 mono PCM at 16 kHz, on the runner's threads."""
        return await self._in_thread(self._timed, pcm)

    def stats(self) -> SmartTurnStats:
        with self._stats_lock:
            return SmartTurnStats(self._inferences, self._failures, self._busy_s)

    def _timed(self, pcm: bytes) -> float:
        started = time.perf_counter()
        failed = True
        try:
            audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
            probability = self.model.probability(audio)
            failed = False
            return probability
        finally:
            with self._stats_lock:
                self._inferences += 1
                self._failures += failed
                self._busy_s += time.perf_counter() - started

    async def _in_thread(self, fn: Callable[..., _T], *args: Any) -> _T:
        if self._executor is None:
            raise RuntimeError("SmartTurnRunner is not open; use it inside `async with`")
        return await asyncio.wrap_future(self._executor.submit(fn, *args))


class RecentAudio:
    """The last `seconds` of a stream of int16 mono PCM: what the model hears when a pause starts.

    A plain window over the stream rather than the utterance: a turn may span several utterances, and
    the model wants the lead-up to the pause, not just the words since the VAD last opened. Not
    thread-safe: one writer (the session's audio hop) that also takes the snapshots.
    """

    def __init__(self, seconds: float = WINDOW_SAMPLES / SAMPLE_RATE, sample_rate: int = SAMPLE_RATE) -> None:
        if seconds <= 0:
            raise ValueError("seconds must be positive")
        self._cap = 2 * round(seconds * sample_rate)
        self._buffer = bytearray()

    def push(self, pcm: bytes) -> None:
        self._buffer += pcm
        excess = len(self._buffer) - self._cap
        if excess > 0:  # both lengths are whole samples, so the cut is too
            del self._buffer[:excess]

    def snapshot(self) -> bytes:
        return bytes(self._buffer)

    def clear(self) -> None:
        self._buffer.clear()
