"""The interviewer loop over a fake port: a scripted candidate, real timers (kept short), and the real
OpenAI-compatible loopback server for the LLM path."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

import pytest

from config.profiles import AgentProfileSpec
from config.settings import LlmSettings
from config.templates import EvaluationTemplateSpec
from engine.dialogue.director import EmbeddedDirector, Progress
from engine.dialogue.events import (
    CandidateFinal,
    CandidatePartial,
    CandidateSpeechEnded,
    CandidateSpeechResumed,
    CandidateSpeechStarted,
    CandidateTurnVerdict,
)
from engine.dialogue.interviewer import IDLE_GOODBYE, NUDGE, Interviewer, Spoken
from engine.dialogue.latency import TurnLatency
from engine.dialogue.plan import InterviewPlan, build_plan
from engine.dialogue.turns import TurnConfig
from llm import LlmClient
from llm.sentences import split_sentences
from tests.helpers import profile_body, template_body
from tests.llm_server import LlmServer, Script

STRONG = (
    "I led the migration of our billing service to Go. I wrote the rollout plan, we moved 40 services in "
    "three months, and I cut the p99 latency by 35 percent while keeping every test green."
)
FAST = TurnConfig(
    end_silence_s=0.01, incomplete_extra_s=0.02, barge_in_min_s=0.05, nudge_after_s=0.4, end_after_s=0.8
)


def plan(**template: Any) -> InterviewPlan:
    profile = AgentProfileSpec.model_validate(profile_body())
    body = {k: v for k, v in template_body(**template).items() if k != "preset"}
    return build_plan(profile, EvaluationTemplateSpec.model_validate(body), "Technical Screen")


class FakePort:
    """Plays each sentence for `sentence_s`; a candidate script answers every finished line that asks
    something."""

    def __init__(self, answers: Iterator[str] | None = None, sentence_s: float = 0.01) -> None:
        self.t0 = asyncio.get_running_loop().time()
        self.spoken: list[Spoken] = []
        self.saved: list[dict[str, Any]] = []
        self.interrupts = 0
        self.pauses = 0
        self.resumes = 0
        self.answers = answers
        self.sentence_s = sentence_s
        self._interrupted = asyncio.Event()
        self.interviewer: Interviewer | None = None
        self.speaking_started = asyncio.Event()
        self.changed = asyncio.Condition()
        self.prepared: list[str] = []  # sentences announced ahead (Port.prepare), in order
        self.said: list[tuple[str, bool]] = []  # each sentence started, and whether it was prepared first

    async def until(self, predicate: Callable[[], bool], limit_s: float = 10) -> None:
        async with asyncio.timeout(limit_s), self.changed:
            await self.changed.wait_for(predicate)

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    def now(self) -> float:
        return asyncio.get_running_loop().time() - self.t0

    async def speak(self, sentences: AsyncIterator[str], started: Callable[[str], None]) -> Spoken:
        self._interrupted.clear()
        heard: list[str] = []
        async for sentence in sentences:
            started(sentence)
            self.said.append((sentence, sentence in self.prepared))
            self.speaking_started.set()
            try:
                await asyncio.wait_for(self._interrupted.wait(), self.sentence_s)
            except TimeoutError:
                heard.append(sentence)
                continue
            spoken = Spoken(" ".join(heard), True)
            self.spoken.append(spoken)
            await self._notify()
            return spoken
        spoken = Spoken(" ".join(heard), False)
        self.spoken.append(spoken)
        await self._notify()
        if self.answers is not None and spoken.text.endswith("?"):
            asyncio.get_running_loop().call_later(0.02, self._answer)
        return spoken

    def _answer(self) -> None:
        assert self.answers is not None
        assert self.interviewer is not None
        text = next(self.answers, None)
        if text is None:
            return
        candidate_says(self.interviewer, self.now(), text)

    def interrupt(self) -> None:
        self.interrupts += 1
        self._interrupted.set()

    def pause(self) -> None:
        self.pauses += 1

    def resume(self) -> None:
        self.resumes += 1

    async def save_progress(self, state: dict[str, Any]) -> None:
        self.saved.append(state)
        await self._notify()

    def prepare(self, sentences: Sequence[str]) -> None:
        self.prepared.extend(sentences)


def candidate_says(interviewer: Interviewer, now: float, text: str) -> None:
    interviewer.hear(CandidateSpeechStarted(now))
    interviewer.hear(CandidateSpeechEnded(now + 0.001, now))
    interviewer.hear(CandidateFinal(now + 0.002, text, now - 2, now))


def forever(text: str) -> Iterator[str]:
    while True:
        yield text


async def test_a_full_interview_covers_every_rubric_dimension_and_closes() -> None:
    interview_plan = plan()
    port = FakePort(forever(STRONG))
    latencies: list[TurnLatency] = []
    interviewer = Interviewer(port, interview_plan, None, seed="s1", turns=FAST, on_turn=latencies.append)
    port.interviewer = interviewer
    reason = await asyncio.wait_for(interviewer.run(), 30)
    assert reason == "completed"
    # One latency record per answered turn, worded by the director.
    answered = [text for speaker, text in interviewer.transcript if speaker == "candidate"]
    assert len(latencies) == len(answered) > 0
    assert {t.backend for t in latencies} == {"director"}
    progress = Progress.from_dict(port.saved[-1]["progress"])
    assert set(progress.covered) == {"System Design", "Communication", "Ownership"}
    assert progress.finished
    assert port.spoken[0].text.startswith("Hello") or "Alex" in port.spoken[0].text
    assert port.spoken[-1].text == interview_plan.closing
    assert InterviewPlan.from_dict(port.saved[-1]["plan"]).to_dict() == interview_plan.to_dict()
    assert [speaker for speaker, _ in interviewer.transcript][:3] == [
        "interviewer",
        "candidate",
        "interviewer",
    ]


async def test_the_directors_next_reply_is_announced_before_the_turn_ends() -> None:
    """While the candidate answers, the reply the director will give is handed to the port to render
    ahead: every sentence said after an answer was prepared before it was said."""
    port = FakePort(forever(STRONG))
    interviewer = Interviewer(port, plan(), None, seed="s1", turns=FAST)
    port.interviewer = interviewer
    assert await asyncio.wait_for(interviewer.run(), 30) == "completed"
    opening = len(split_sentences(port.spoken[0].text))
    after_answers = port.said[opening:]
    assert after_answers
    assert all(prepared for _, prepared in after_answers), after_answers


async def test_a_short_answer_or_a_request_is_not_previewed() -> None:
    port = FakePort(sentence_s=0.01)
    interviewer = Interviewer(port, plan(), None, seed="s1", turns=FAST)
    port.interviewer = interviewer
    run = asyncio.create_task(interviewer.run())
    await port.until(lambda: bool(port.spoken))
    opening = list(port.prepared)
    now = port.now()
    interviewer.hear(CandidateSpeechStarted(now))
    interviewer.hear(CandidatePartial(now + 0.01, "yes I think so"))
    interviewer.hear(CandidatePartial(now + 0.02, "sorry, could you repeat the question please"))
    await asyncio.sleep(0.05)
    assert port.prepared == opening
    run.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await run


async def test_barge_in_stops_the_interviewer_and_a_backchannel_does_not() -> None:
    port = FakePort(sentence_s=5.0)
    interviewer = Interviewer(port, plan(), None, seed="s2", turns=FAST)
    port.interviewer = interviewer
    running = asyncio.create_task(interviewer.run())
    await asyncio.wait_for(port.speaking_started.wait(), 5)
    now = port.now()
    interviewer.hear(CandidateSpeechStarted(now))
    interviewer.hear(CandidatePartial(now + 0.01, "mm-hmm"))
    await asyncio.sleep(0.2)
    assert port.interrupts == 0, "a backchannel does not interrupt"
    assert port.pauses == 1, "but the interviewer holds while the candidate talks over it"
    interviewer.hear(CandidateSpeechEnded(port.now(), port.now()))
    interviewer.hear(CandidateFinal(port.now(), "Mm-hmm.", now, port.now()))
    await asyncio.sleep(0.1)
    assert port.resumes == 1, "and carries on once it is over"
    now = port.now()
    interviewer.hear(CandidateSpeechStarted(now))
    interviewer.hear(CandidatePartial(now + 0.01, "sorry, could I ask something first"))
    await port.until(lambda: bool(port.spoken))
    assert port.interrupts == 1
    assert port.spoken[0].interrupted
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running


async def test_a_silent_candidate_is_nudged_then_the_interview_ends() -> None:
    port = FakePort()
    interviewer = Interviewer(port, plan(), None, seed="s3", turns=FAST)
    reason = await asyncio.wait_for(interviewer.run(), 10)
    assert reason == "idle"
    texts = [s.text for s in port.spoken]
    assert NUDGE in texts
    assert texts[-1] == IDLE_GOODBYE


async def test_the_candidate_can_ask_for_a_repeat() -> None:
    port = FakePort()
    interviewer = Interviewer(port, plan(), None, seed="s4", turns=FAST)
    running = asyncio.create_task(interviewer.run())
    await asyncio.wait_for(port.speaking_started.wait(), 5)
    await port.until(lambda: bool(port.spoken))
    first = port.spoken[0].text
    candidate_says(interviewer, port.now(), "Sorry, could you repeat the question?")
    await port.until(lambda: len(port.spoken) >= 2)
    assert port.spoken[1].text.startswith("Of course.")
    assert port.spoken[1].text.split("Of course. ", 1)[1] in first
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running


async def test_resume_skips_the_intro_and_asks_the_pending_question_again() -> None:
    interview_plan = plan()
    first_port = FakePort(iter([STRONG]))
    first = Interviewer(first_port, interview_plan, None, seed="s5", turns=FAST)
    first_port.interviewer = first
    running = asyncio.create_task(first.run())
    await first_port.until(lambda: len(first_port.saved) >= 2)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    saved = first_port.saved[-1]
    progress = Progress.from_dict(saved["progress"])
    second_port = FakePort()
    second = Interviewer(second_port, InterviewPlan.from_dict(saved["plan"]), progress, seed="s5", turns=FAST)
    running = asyncio.create_task(second.run())
    await second_port.until(lambda: bool(second_port.spoken))
    assert second_port.spoken[0].text.startswith("Welcome back.")
    assert progress.last_prompt in second_port.spoken[0].text
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running


async def test_the_voice_models_verdict_decides_how_long_the_interviewer_waits() -> None:
    patient = TurnConfig(end_silence_s=1.0, hesitation_s=2.0, nudge_after_s=5, end_after_s=10)
    port = FakePort()
    latencies: list[TurnLatency] = []
    interviewer = Interviewer(port, plan(), None, seed="s9", turns=patient, on_turn=latencies.append)
    running = asyncio.create_task(interviewer.run())
    await port.until(lambda: bool(port.spoken))
    # Finished voice and finished words: the reply starts as soon as the final is in, not 1 s later.
    now = port.now()
    interviewer.hear(CandidateSpeechStarted(now))
    interviewer.hear(CandidateTurnVerdict(now + 0.001, True, 0.9))
    interviewer.hear(CandidateSpeechEnded(now + 0.002, now))
    interviewer.hear(CandidateFinal(now + 0.003, STRONG, now - 2, now))
    await port.until(lambda: len(port.spoken) >= 2, limit_s=0.8)
    # A verdict withdrawn because the voice came back: the transcript's 1 s wait again.
    now = port.now()
    interviewer.hear(CandidateSpeechStarted(now))
    interviewer.hear(CandidateTurnVerdict(now + 0.001, True, 0.9))
    interviewer.hear(CandidateSpeechResumed(now + 0.002))
    interviewer.hear(CandidateSpeechEnded(now + 0.003, now))
    interviewer.hear(CandidateFinal(now + 0.004, STRONG, now - 2, now))
    with pytest.raises(TimeoutError):
        await port.until(lambda: len(port.spoken) >= 3, limit_s=0.7)
    await port.until(lambda: len(port.spoken) >= 3, limit_s=2)
    for _ in range(100):
        if len(latencies) >= 2:
            break
        await asyncio.sleep(0.01)
    # Each turn says when its verdict came and which way it went; a withdrawn one is no verdict.
    fast, slow = latencies[:2]
    assert fast.verdict_complete is True
    assert fast.verdict_s == pytest.approx(0.001)
    assert (slow.verdict, slow.verdict_complete, slow.verdict_s) == (None, None, None)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running


async def test_a_finished_answer_is_acknowledged_before_its_transcript_is_in() -> None:
    acknowledging = TurnConfig(acknowledge_min_words=6, nudge_after_s=5, end_after_s=10)
    port = FakePort()
    interviewer = Interviewer(port, plan(), None, seed="s9", turns=acknowledging)
    running = asyncio.create_task(interviewer.run())
    await port.until(lambda: bool(port.spoken))
    now = port.now()
    interviewer.hear(CandidateSpeechStarted(now))
    interviewer.hear(CandidatePartial(now + 0.5, STRONG))
    interviewer.hear(CandidateTurnVerdict(now + 0.6, True, 0.9))
    interviewer.hear(CandidateSpeechEnded(now + 0.61, now + 0.5))
    # The transcript takes its time; the candidate hears an acknowledgement at once, ready-rendered.
    await port.until(lambda: len(port.spoken) >= 2, limit_s=0.5)
    thanks = port.spoken[1].text
    thanks_lines = EmbeddedDirector(plan()).acknowledgements()
    assert thanks in thanks_lines
    assert (thanks, True) in port.said
    interviewer.hear(CandidateFinal(port.now(), STRONG, now, now + 0.5))
    await port.until(lambda: len(port.spoken) >= 3)
    reply = port.spoken[2].text
    # The reply is the next question without a second thank-you.
    assert reply.endswith("?")
    assert not reply.startswith(thanks_lines)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running


def llm_settings(server: LlmServer) -> LlmSettings:
    return LlmSettings(
        base_url=server.base_url, model="interviewer", first_token_timeout_s=2, idle_timeout_s=0.5
    )


async def test_llm_words_the_replies_and_the_director_takes_over_when_it_dies(llm_server: LlmServer) -> None:
    llm_server.reset(Script(tokens=["That is", " a clear example.", " What trade-offs", " did you weigh?"]))
    port = FakePort(iter([STRONG, STRONG]))
    async with LlmClient(llm_settings(llm_server)) as llm:
        interviewer = Interviewer(
            port, plan(), None, seed="s6", turns=FAST, llm=llm, system_prompt="You interview."
        )
        port.interviewer = interviewer
        running = asyncio.create_task(interviewer.run())
        await port.until(lambda: len(port.spoken) >= 2)
        assert port.spoken[1].text == "That is a clear example. What trade-offs did you weigh?"
        request = llm_server.requests[-1].body
        assert request["stream"] is True
        assert request["messages"][0]["role"] == "system"
        assert STRONG in [m["content"] for m in request["messages"]]

        # The endpoint dies mid-reply: what was said stays said, the director's question follows, and
        # the LLM is not asked again.
        llm_server.reset(Script(tokens=["Thanks.", " Next", " I would like"], mode="drop"))
        asked = len(llm_server.requests)
        await port.until(lambda: len(port.spoken) >= 3)
        assert port.spoken[2].text.startswith("Thanks.")
        assert port.spoken[2].text.endswith("?")
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        assert len(llm_server.requests) == asked + 1


async def test_each_turn_reports_where_its_latency_went(llm_server: LlmServer) -> None:
    llm_server.reset(Script(tokens=["Thank you.", " What", " did you", " measure?"], first_token_delay_s=0.2))
    port = FakePort(iter([STRONG, STRONG]))
    latencies: list[TurnLatency] = []
    async with LlmClient(llm_settings(llm_server)) as llm:
        interviewer = Interviewer(
            port,
            plan(),
            None,
            seed="s7",
            turns=FAST,
            llm=llm,
            system_prompt="You interview.",
            on_turn=latencies.append,
        )
        port.interviewer = interviewer
        running = asyncio.create_task(interviewer.run())
        await port.until(lambda: len(port.spoken) >= 3)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
    assert len(latencies) == 2
    for turn in latencies:
        assert turn.backend == "llm"
        marks = [
            turn.speech_end,
            turn.utterance_end,
            turn.transcribed,
            turn.turn_end,
            turn.reply_ready,
            turn.first_audio,
        ]
        assert marks == sorted(marks), turn
        # The LLM's first token took 200 ms: reply generation, less the 10 ms of end-of-turn silence
        # it overlapped (it starts as soon as the turn's text is known), not endpointing or audio.
        assert turn.generation_s >= 0.15
        assert turn.endpointing_s < 0.15
        assert turn.total_s == pytest.approx(turn.endpointing_s + turn.generation_s + turn.first_audio_s)


async def test_the_llm_starts_while_the_last_silence_runs_out(llm_server: LlmServer) -> None:
    llm_server.reset(Script(tokens=["Thank you.", " What", " did you", " measure?"], first_token_delay_s=0.3))
    patient = TurnConfig(end_silence_s=0.5, incomplete_extra_s=0.5, nudge_after_s=5, end_after_s=10)
    port = FakePort(iter([STRONG]))
    latencies: list[TurnLatency] = []
    async with LlmClient(llm_settings(llm_server)) as llm:
        interviewer = Interviewer(
            port,
            plan(),
            None,
            seed="s8",
            turns=patient,
            llm=llm,
            system_prompt="Hi.",
            on_turn=latencies.append,
        )
        port.interviewer = interviewer
        running = asyncio.create_task(interviewer.run())
        await port.until(lambda: len(port.spoken) >= 2)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
    assert port.spoken[1].text == "Thank you. What did you measure?"
    [turn] = latencies
    # The 300 ms to the first token ran inside the 500 ms of silence: by the end of the turn the
    # first sentence was already there.
    assert turn.endpointing_s >= 0.5
    assert turn.generation_s < 0.1, turn
    assert len(llm_server.requests) == 1
    assert llm_server.requests[0].body["messages"][-1]["content"] == STRONG


async def test_a_reply_started_early_is_dropped_when_the_candidate_goes_on(llm_server: LlmServer) -> None:
    llm_server.reset(Script(tokens=["Thank you.", " What", " did you", " measure?"], first_token_delay_s=0.2))
    patient = TurnConfig(end_silence_s=0.6, incomplete_extra_s=0.6, nudge_after_s=5, end_after_s=10)
    port = FakePort()
    async with LlmClient(llm_settings(llm_server)) as llm:
        interviewer = Interviewer(port, plan(), None, seed="s9", turns=patient, llm=llm, system_prompt="Hi.")
        port.interviewer = interviewer
        running = asyncio.create_task(interviewer.run())
        await port.until(lambda: len(port.spoken) >= 1)
        first, rest = "I led the billing migration to Go.", "We moved 40 services in three months."
        candidate_says(interviewer, port.now(), first)
        await asyncio.sleep(0.3)  # the reply to `first` is being worded...
        assert len(llm_server.requests) == 1
        candidate_says(interviewer, port.now(), rest)  # ...but the candidate goes on
        await port.until(lambda: len(port.spoken) >= 2)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
    # The early reply was dropped; the one played answers the whole turn, and the director moved on
    # once (one answer recorded, not two).
    assert len(llm_server.requests) == 2
    assert llm_server.requests[1].body["messages"][-1]["content"] == f"{first} {rest}"
    assert [text for speaker, text in interviewer.transcript if speaker == "candidate"] == [f"{first} {rest}"]
    progress = Progress.from_dict(port.saved[-1]["progress"])
    assert progress.follow_ups_used + len(progress.asked) == 2, progress
