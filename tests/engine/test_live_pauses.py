"""PauseJudge: the live session's asking of the end-of-turn model, with a model whose answers the test
releases by hand, so the order of verdicts and speech is exact."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from engine.dialogue.events import CandidateSpeechResumed, CandidateTurnVerdict, MediaEvent
from engine.live.pauses import PauseJudge
from media.segmenter import PauseEnded, PauseStarted, UtteranceEnded, UtteranceStarted
from media.smart_turn import SmartTurnRunner

AUDIO = b"\x00\x01" * 1600


class GatedModel:
    """Answers each inference with the next queued probability, once the test opens the gate."""

    def __init__(self, *answers: float) -> None:
        self.answers = list(answers)
        self.gate = threading.Semaphore(0)
        self.calls = 0

    def load(self) -> None:
        pass

    def probability(self, audio: np.ndarray) -> float:
        self.calls += 1
        assert self.gate.acquire(timeout=10)
        value = self.answers.pop(0)
        if value < 0:
            raise RuntimeError("the model broke")
        return value


class Harness:
    def __init__(self, runner: SmartTurnRunner, tg: asyncio.TaskGroup) -> None:
        self.heard: list[MediaEvent] = []
        self.clock = 10.0
        self.tg = tg
        self.judge = PauseJudge(runner, 0.5, now=lambda: self.clock, emit=self.heard.append, name="s1")

    def feed(self, *events: object, recent: bytes | None = AUDIO) -> None:
        for event in events:
            self.judge.heard(event, recent, self.tg)  # type: ignore[arg-type]


async def settle(model: GatedModel, release: int = 0) -> None:
    """Release `release` inferences and let everything that follows run."""
    for _ in range(release):
        model.gate.release()
    for _ in range(20):
        await asyncio.sleep(0.01)


async def test_a_finished_pause_is_told_and_closes_the_open_utterance() -> None:
    model = GatedModel(0.8)
    async with SmartTurnRunner(model) as runner, asyncio.TaskGroup() as tg:
        h = Harness(runner, tg)
        h.feed(UtteranceStarted(0, 1.0), PauseStarted(0, 2.0, 2.1))
        await settle(model, 1)
        assert h.heard == [CandidateTurnVerdict(10.0, True, 0.8)]
        assert h.judge.take_cut() == (0, 2.0)
        assert h.judge.take_cut() is None


async def test_an_unfinished_pause_is_told_and_the_hangover_runs() -> None:
    model = GatedModel(0.2)
    async with SmartTurnRunner(model) as runner, asyncio.TaskGroup() as tg:
        h = Harness(runner, tg)
        h.feed(UtteranceStarted(0, 1.0), PauseStarted(0, 2.0, 2.1))
        await settle(model, 1)
        assert h.heard == [CandidateTurnVerdict(10.0, False, 0.2)]
        assert h.judge.take_cut() is None


async def test_a_verdict_that_comes_after_the_voice_came_back_is_dropped() -> None:
    model = GatedModel(0.9)
    async with SmartTurnRunner(model) as runner, asyncio.TaskGroup() as tg:
        h = Harness(runner, tg)
        h.feed(UtteranceStarted(0, 1.0), PauseStarted(0, 2.0, 2.1))
        await settle(model)
        h.feed(PauseEnded(0, 2.2))  # the candidate goes on while the model is still thinking
        await settle(model, 1)
        assert h.heard == []  # nothing told, nothing withdrawn
        assert h.judge.take_cut() is None


async def test_a_verdict_told_before_the_voice_came_back_is_withdrawn() -> None:
    model = GatedModel(0.9)
    async with SmartTurnRunner(model) as runner, asyncio.TaskGroup() as tg:
        h = Harness(runner, tg)
        h.feed(UtteranceStarted(0, 1.0), PauseStarted(0, 2.0, 2.1))
        await settle(model, 1)
        h.clock = 10.3
        h.feed(PauseEnded(0, 2.25))  # before the cut was applied
        assert h.heard == [CandidateTurnVerdict(10.0, True, 0.9), CandidateSpeechResumed(10.3)]
        assert h.judge.take_cut() is None


async def test_a_verdict_after_a_new_utterance_began_is_dropped() -> None:
    model = GatedModel(0.9)
    async with SmartTurnRunner(model) as runner, asyncio.TaskGroup() as tg:
        h = Harness(runner, tg)
        h.feed(UtteranceStarted(0, 1.0), PauseStarted(0, 2.0, 2.1), UtteranceEnded(0, 1.0, 2.0, 2.3, b""))
        h.feed(UtteranceStarted(1, 2.4))
        await settle(model, 1)
        assert h.heard == []


async def test_a_late_verdict_still_applies_to_the_utterance_that_ended_in_its_pause() -> None:
    model = GatedModel(0.3)
    async with SmartTurnRunner(model) as runner, asyncio.TaskGroup() as tg:
        h = Harness(runner, tg)
        h.feed(UtteranceStarted(0, 1.0), PauseStarted(0, 2.0, 2.1), UtteranceEnded(0, 1.0, 2.0, 2.3, b""))
        await settle(model, 1)
        assert h.heard == [CandidateTurnVerdict(10.0, False, 0.3)]
        assert h.judge.take_cut() is None  # already closed by the hangover


async def test_one_inference_at_a_time_and_only_the_newest_waiting_pause() -> None:
    model = GatedModel(0.2, 0.9)
    async with SmartTurnRunner(model, workers=2) as runner, asyncio.TaskGroup() as tg:
        h = Harness(runner, tg)
        h.feed(UtteranceStarted(0, 1.0), PauseStarted(0, 2.0, 2.1))
        await settle(model)
        # Two more pauses while the first is judged: only the last is worth judging.
        h.feed(PauseEnded(0, 2.2), PauseStarted(0, 2.5, 2.6), PauseEnded(0, 2.7), PauseStarted(0, 3.0, 3.1))
        await settle(model, 2)
        assert model.calls == 2
        assert h.heard == [CandidateTurnVerdict(10.0, True, 0.9)]
        assert h.judge.take_cut() == (0, 3.0)


async def test_a_failing_model_costs_only_the_verdict_and_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    model = GatedModel(-1, -1, 0.9)
    async with SmartTurnRunner(model) as runner, asyncio.TaskGroup() as tg:
        h = Harness(runner, tg)
        for index in range(3):
            h.feed(
                UtteranceStarted(index, index * 3.0), PauseStarted(index, index * 3.0 + 1, index * 3.0 + 1.1)
            )
            await settle(model, 1)
        assert h.heard == [CandidateTurnVerdict(10.0, True, 0.9)]
    failures = [r for r in caplog.records if "end-of-turn model failed" in r.getMessage()]
    assert len(failures) == 1


async def test_nothing_is_judged_without_a_task_group_or_audio() -> None:
    model = GatedModel(0.9)
    async with SmartTurnRunner(model) as runner:
        judge = PauseJudge(runner, 0.5, now=lambda: 0.0, emit=lambda e: None)
        judge.heard(UtteranceStarted(0, 1.0), None, None)
        judge.heard(PauseStarted(0, 2.0, 2.1), AUDIO, None)  # the session is closing
        await asyncio.sleep(0.05)
        assert model.calls == 0
