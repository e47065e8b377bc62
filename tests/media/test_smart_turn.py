"""The Smart Turn end-of-turn model: found offline inside the installed pipecat-ai wheel without running
pipecat's code, fed the same features as pipecat's reference, and hearing a finished sentence as more
finished than the same sentence stopped mid-way."""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import sys
import threading
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from media.smart_turn import (
    WINDOW_SAMPLES,
    RecentAudio,
    SmartTurnModel,
    SmartTurnRunner,
    default_model_path,
    smart_turn_features,
)
from tests.speech import resample, speak, speak_fresh

RATE = 16000


@pytest.fixture(scope="module")
def model() -> SmartTurnModel:
    model = SmartTurnModel()
    model.load()
    return model


def reference_features() -> ModuleType:
    """pipecat's vendored transformers feature code, loaded from its file alone (it imports only numpy):
    importing it as pipecat.* would run pipecat's package __init__, which needs loguru."""
    path = default_model_path().parents[1] / "_whisper_features.py"
    spec = importlib.util.spec_from_file_location("_pipecat_whisper_features", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def espeak_float(text: str) -> tuple[np.ndarray, list[float]]:
    """eSpeak's `text` at 16 kHz as float, and the start time (s) of each word."""
    speech = speak(text)
    pcm = resample(speech.pcm, speech.sample_rate, RATE)
    return np.frombuffer(pcm, "<i2").astype(np.float32) / 32768, [w.start_s for w in speech.words]


def espeak_float_fresh(text: str) -> tuple[np.ndarray, list[float]]:
    """Like `espeak_float`, rendered by a new process (`tests.speech.speak_fresh`)."""
    ((pcm, rate, starts),) = speak_fresh([text])
    pcm = resample(pcm, rate, RATE)
    return np.frombuffer(pcm, "<i2").astype(np.float32) / 32768, starts


def until_sound_ends(audio: np.ndarray) -> np.ndarray:
    loud = np.nonzero(np.abs(audio) > 0.01)[0]
    return audio[: loud[-1] + 1]


def test_the_model_is_found_and_run_without_importing_pipecat() -> None:
    # A fresh interpreter: pipecat's own modules import packages we do not install (loguru, soxr, ...).
    code = (
        "import sys, numpy as np\n"
        "from media.smart_turn import SmartTurnModel, default_model_path\n"
        "assert default_model_path().name == 'smart-turn-v3.2-cpu.onnx'\n"
        "p = SmartTurnModel().probability(np.zeros(16000, np.float32))\n"
        "assert 0.0 <= p <= 1.0, p\n"
        "assert not [m for m in sys.modules if m == 'pipecat' or m.startswith('pipecat.')]\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, timeout=120)


def test_features_match_pipecats_reference() -> None:
    reference = reference_features()
    speech, _ = espeak_float("I would use a queue and then process the jobs in order.")
    noise = np.random.default_rng(3).normal(0, 0.1, 10 * RATE).astype(np.float32)
    for clip in (speech, noise, np.concatenate([noise, speech])):
        window = clip[-WINDOW_SAMPLES:]
        window = np.pad(window, (WINDOW_SAMPLES - len(window), 0))  # pipecat pads before computing
        expected = reference.compute_whisper_log_mel_features(window, do_normalize=True)
        ours = smart_turn_features(clip)
        assert ours.shape == expected.shape == (80, 800)
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, expected, atol=1e-4)


def test_only_the_last_8_seconds_count_and_short_clips_are_padded_in_front() -> None:
    speech, _ = espeak_float("We chose PostgreSQL.")
    longer = np.concatenate([np.full(9 * RATE, 0.3, np.float32), speech])
    np.testing.assert_array_equal(smart_turn_features(longer), smart_turn_features(longer[-WINDOW_SAMPLES:]))
    padded = np.concatenate([np.zeros(2 * RATE, np.float32), speech])
    np.testing.assert_array_equal(smart_turn_features(padded), smart_turn_features(speech))
    with pytest.raises(ValueError, match="mono"):
        smart_turn_features(np.zeros((2, RATE), np.float32))


def test_a_finished_sentence_sounds_more_finished_than_one_stopped_mid_way(model: SmartTurnModel) -> None:
    # The stopped one is the same rendering cut before "then", so it ends on "and" said the way a
    # speaker says it inside a sentence. Synthesising "I would use a queue and" on its own does NOT
    # work with eSpeak: it gives the lone "and" a sentence-final fall and the model rates it *more*
    # finished (about 0.96) than "I would use a queue." (about 0.68). On eSpeak speech in general the
    # model separates poorly (bench/turn_taking.py, docs/benchmarks.md): this pair checks that the
    # model and our features work, not that it judges eSpeak well.
    audio, starts = espeak_float_fresh("I would use a queue and then process the jobs in order.")
    then = round(starts[6] * RATE)
    pause = np.zeros(RATE // 5, np.float32)  # 200 ms into the silence
    lead = np.zeros(RATE * 3 // 10, np.float32)
    finished = model.probability(np.concatenate([lead, until_sound_ends(audio), pause]))
    stopped = model.probability(np.concatenate([lead, until_sound_ends(audio[:then]), pause]))
    # Typically about 0.9 and 0.3; the margin, not the threshold, is what is checked.
    assert finished > 0.7, (finished, stopped)
    assert finished - stopped > 0.25, (finished, stopped)


def test_recent_audio_keeps_the_last_seconds() -> None:
    recent = RecentAudio(seconds=0.5, sample_rate=RATE)
    recent.push(bytes(range(256)) * 10)
    assert recent.snapshot() == (bytes(range(256)) * 10)
    recent.push(b"\x01\x00" * RATE)
    assert recent.snapshot() == b"\x01\x00" * (RATE // 2)
    recent.clear()
    assert recent.snapshot() == b""


class FakeModel:
    def __init__(self, probability: float = 0.75) -> None:
        self.value = probability
        self.threads: set[str] = set()
        self.loaded = 0
        self.lengths: list[int] = []

    def load(self) -> None:
        self.loaded += 1

    def probability(self, audio: np.ndarray) -> float:
        self.threads.add(threading.current_thread().name)
        self.lengths.append(len(audio))
        if self.value < 0:
            raise RuntimeError("broken model")
        return self.value


async def test_the_runner_infers_on_its_own_threads_and_counts() -> None:
    fake = FakeModel()
    runner = SmartTurnRunner(fake)
    with pytest.raises(RuntimeError, match="not open"):
        await runner.probability(b"\x00\x00")
    async with runner:
        await runner.warm_up()
        results = await asyncio.gather(*(runner.probability(b"\x00\x10" * 1600) for _ in range(3)))
        assert results == [0.75, 0.75, 0.75]
        fake.value = -1
        with pytest.raises(RuntimeError, match="broken"):
            await runner.probability(b"\x00\x00")
    assert fake.loaded == 1
    assert fake.lengths == [1600, 1600, 1600, 1]
    assert {name.split("_")[0] for name in fake.threads} == {"smart-turn"}
    stats = runner.stats()
    assert (stats.inferences, stats.failures) == (4, 1)
    assert stats.busy_s >= 0


def test_the_shared_model_is_one_per_process() -> None:
    assert SmartTurnModel.shared() is SmartTurnModel.shared()
