"""The second look, wired through the call's ear (`engine/live/hearing.py`): frames of a real voice and
then silence go in on the session's timeline; the end-of-turn model (a stand-in that hears a voice as
finished once enough silence follows it) is asked at the first pause and once more when the silence has
lasted `IE_TURN__SECOND_LOOK_MS`, with the audio up to that moment."""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

import av
import numpy as np
import pytest

from config.media_settings import TurnSettings
from config.settings import Settings, TtsSettings
from engine.dialogue.events import CandidateTurnVerdict, MediaEvent
from engine.live.hearing import Hearing
from engine.live.runtime import open_runtime
from media.audio import SAMPLE_RATE
from media.espeak import EspeakTts
from tests.speech import synthesize

FRAME = SAMPLE_RATE // 50


class SilenceModel:
    """Finished once the clip ends in at least 0.35 s of silence."""

    def __init__(self) -> None:
        self.trailing: list[float] = []

    def load(self) -> None:
        pass

    def probability(self, audio: np.ndarray) -> float:
        loud = np.flatnonzero(np.abs(audio) > 0.02)
        trailing = (len(audio) - (loud[-1] + 1 if len(loud) else 0)) / SAMPLE_RATE
        self.trailing.append(trailing)
        return 0.99 if trailing >= 0.35 else 0.05


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
    out = []
    samples = np.frombuffer(pcm, "<i2")
    for start in range(0, len(samples) - FRAME + 1, FRAME):
        frame = av.AudioFrame.from_ndarray(
            samples[start : start + FRAME].reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = SAMPLE_RATE
        out.append(frame)
    return out


@pytest.mark.parametrize("second_look_ms", [0, 500], ids=["one-look", "second-look-at-500-ms"])
async def test_a_pause_heard_unfinished_is_judged_again_with_the_silence_so_far(second_look_ms: int) -> None:
    settings = Settings(
        _env_file=None,
        tts=TtsSettings(preload=False),
        turn=TurnSettings(second_look_ms=second_look_ms, speculate=False),
    )
    model = SilenceModel()
    pcm = synthesize("I moved the billing jobs to a queue.", lead_silence_s=0.5, trail_silence_s=1.5)
    clock = [0.0]
    heard: list[MediaEvent] = []
    async with open_runtime(settings, tts=EspeakTts(), turn_model=model) as runtime:
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
                    await asyncio.sleep(0.005)  # the model's thread answers as the call goes on
            await ear.final_words(10)
    verdicts = [e for e in heard if isinstance(e, CandidateTurnVerdict)]
    if second_look_ms == 0:
        assert [v.complete for v in verdicts] == [False]
        assert len(model.trailing) == 1
        return
    assert [v.complete for v in verdicts] == [False, True]
    # The first look heard the audio 100 ms after the VAD's end of voice, the second 500 ms after it: 0.4 s
    # more silence (the stand-in measures silence from the last loud sample, a little before the VAD's
    # end of voice).
    first, second = model.trailing
    assert 0.08 <= first <= 0.3
    assert second - first == pytest.approx(0.4, abs=0.03)
