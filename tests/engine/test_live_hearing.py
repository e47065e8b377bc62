"""The call's ear (`engine/live/hearing.py`) with the engine's own runtime and a recogniser that notes what
it is asked: frames of a real voice and then silence go in on the session's timeline."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Sequence
from typing import Any

import av
import numpy as np
import pytest

from config.media_settings import AsrSettings, TurnSettings
from config.settings import Settings, TtsSettings
from engine.dialogue.events import CandidateFinal, MediaEvent
from engine.live.hearing import Hearing
from engine.live.runtime import open_runtime
from media.asr import FloatAudio, Recognition
from media.audio import SAMPLE_RATE
from media.espeak import EspeakTts
from tests.speech import synthesize

FRAME = SAMPLE_RATE // 50
TEXT = "I moved the billing jobs to a queue."


class NotingRecognizer:
    """Says TEXT for anything; notes how much audio each call was given."""

    def __init__(self) -> None:
        self.lengths: list[float] = []
        self._lock = threading.Lock()

    def transcribe_batch(
        self, audios: Sequence[FloatAudio], prompts: Sequence[str] | None = None
    ) -> list[Recognition]:
        with self._lock:
            self.lengths += [len(a) / SAMPLE_RATE for a in audios]
        return [Recognition(TEXT, 0.9, len(a) / SAMPLE_RATE, 0.01) for a in audios]


class Store:
    """What the ear stores: nothing kept, every final numbered."""

    def __init__(self) -> None:
        self.appended = 0

    async def append(self, *args: Any, **kwargs: Any) -> str:
        self.appended += 1
        return f"seg-{self.appended}"

    async def revise_texts(self, *args: Any, **kwargs: Any) -> None:
        return None


def frames(pcm: bytes) -> list[av.AudioFrame]:
    samples = np.frombuffer(pcm, "<i2")
    out = []
    for start in range(0, len(samples) - FRAME + 1, FRAME):
        frame = av.AudioFrame.from_ndarray(
            samples[start : start + FRAME].reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = SAMPLE_RATE
        out.append(frame)
    return out


async def hear(speculate_after_ms: int) -> tuple[list[float], list[MediaEvent]]:
    """One answer through the ear; the recogniser's calls (seconds of audio each) and the events."""
    settings = Settings(
        _env_file=None,
        tts=TtsSettings(preload=False),
        turn=TurnSettings(smart=False, speculate_after_ms=speculate_after_ms),
        asr=AsrSettings(partial_interval_ms=10_000),  # no caption partials in a 2 s answer
    )
    recognizer = NotingRecognizer()
    pcm = synthesize(TEXT, lead_silence_s=0.5, trail_silence_s=1.0)
    heard: list[MediaEvent] = []
    clock = [0.0]
    async with open_runtime(settings, recognizer=lambda: recognizer, tts=EspeakTts()) as runtime:
        ear = Hearing(
            "s1",
            runtime,
            Store(),  # type: ignore[arg-type]
            now=lambda: clock[0],
            send=lambda _message: None,
            emit=heard.append,
            record=lambda _start, _pcm: None,
        )
        with concurrent.futures.ThreadPoolExecutor(1) as worker:
            async with asyncio.TaskGroup() as tg:
                for index, frame in enumerate(frames(pcm)):
                    clock[0] = index * FRAME / SAMPLE_RATE
                    await ear.hear(frame, clock[0], worker, tg)
                    await asyncio.sleep(0.002)
            await ear.final_words(10)
    return recognizer.lengths, heard


@pytest.mark.parametrize("speculate_after_ms", [40, 100])
async def test_the_speculative_final_starts_at_the_first_silent_frames(speculate_after_ms: int) -> None:
    lengths, heard = await hear(speculate_after_ms)
    finals = [e for e in heard if isinstance(e, CandidateFinal)]
    assert [f.text for f in finals] == [TEXT]
    # The utterance is transcribed once, at the silence: its final is the speculation's result (the
    # whole-answer pass that follows hears the same audio again, longer by the hangover's tail).
    assert len(lengths) <= 2
    assert lengths == sorted(lengths)


async def test_starting_at_40_ms_hears_60_ms_less_silence_than_at_the_pause() -> None:
    early, _ = await hear(40)
    late, _ = await hear(100)
    assert late[0] - early[0] == pytest.approx(0.06, abs=0.021)
