"""The interviewer: turn-taking and the embedded director (optionally phrased by an LLM) over a live call.

The loop reads one stream of signals (the candidate's speech events and the interviewer's own playback
starts and ends), feeds them to the pure `TurnTaker`, and acts on what it decides: stop talking
(barge-in), answer a finished turn, nudge a silent candidate, or end. Speaking runs as a task of its
own so barge-in is heard while the interviewer talks. The director owns the plan, the progress and
the time budget, so a failing LLM only costs wording: its reply is replaced by the director's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from engine.dialogue.director import DirectorReply, EmbeddedDirector, Progress
from engine.dialogue.events import (
    CandidateFinal,
    CandidatePartial,
    CandidateSpeechEnded,
    CandidateSpeechResumed,
    CandidateSpeechStarted,
    CandidateTurnVerdict,
    MediaEvent,
)
from engine.dialogue.latency import Backend, TurnLatency
from engine.dialogue.plan import InterviewPlan
from engine.dialogue.prefetch import Prefetch
from engine.dialogue.prompt import build_messages
from engine.dialogue.turns import (
    Acknowledge,
    Action,
    EndOfTurn,
    IdleEnd,
    Interrupt,
    Nudge,
    Pause,
    Resume,
    TurnConfig,
    TurnTaker,
    detect_request,
)
from llm import LlmClient, LlmError
from llm.sentences import split_sentences

__all__ = ["Interviewer", "Port", "SpeakingFinished", "SpeakingStarted", "Spoken"]

logger = logging.getLogger(__name__)

NUDGE = "Take your time. Would you like me to repeat the question?"
IDLE_GOODBYE = (
    "It seems we have lost you, so I will end the interview here. You can reopen your link to continue. "
    "Goodbye."
)


@dataclass(slots=True)
class _TurnMarks:
    """The candidate side of a turn's latency, waiting for the reply's side."""

    speech_end: float
    utterance_end: float
    transcribed: float
    turn_end: float
    verdict: tuple[float, bool] | None = None  # (when, complete) of the voice model's verdict


@dataclass(slots=True)
class _Prepared:
    """A reply started before the turn ended: the director's decision (on a copy, not yet adopted) and
    the LLM's wording of it, already streaming."""

    text: str  # the turn text it answers
    director: EmbeddedDirector
    reply: DirectorReply
    wording: Prefetch


@dataclass(frozen=True, slots=True)
class SpeakingStarted:
    at: float
    text: str


@dataclass(frozen=True, slots=True)
class SpeakingFinished:
    at: float
    interrupted: bool


@dataclass(frozen=True, slots=True)
class Spoken:
    text: str
    interrupted: bool


Signal = MediaEvent | SpeakingStarted | SpeakingFinished


PREVIEW_MIN_WORDS = 6  # below this an answer says too little to predict the reply from


class Port(Protocol):
    """What the live session gives the interviewer."""

    def now(self) -> float:
        """Seconds on the session's timeline."""

    async def speak(self, sentences: AsyncIterator[str], started: Callable[[str], None]) -> Spoken:
        """Play sentences as they come, calling `started(sentence)` as each one starts; returns what
        was actually heard once playback ends or is interrupted."""

    def interrupt(self) -> None:
        """Stop the interviewer's audio now and drop what is queued."""

    def pause(self) -> None:
        """Silence the interviewer's audio now, holding its place (the candidate talks over it)."""

    def resume(self) -> None:
        """Carry on from where `pause` stopped."""

    async def save_progress(self, state: dict[str, Any]) -> None:
        """Persist the plan and progress with the session."""

    def prepare(self, sentences: Sequence[str]) -> None:
        """A hint: the next reply probably starts with these sentences; render them ahead if it helps."""


class Interviewer:
    def __init__(
        self,
        port: Port,
        plan: InterviewPlan,
        progress: Progress | None,
        *,
        seed: str,
        turns: TurnConfig | None = None,
        llm: LlmClient | None = None,
        system_prompt: str = "",
        on_turn: Callable[[TurnLatency], None] | None = None,
    ) -> None:
        self._port = port
        self._plan = plan
        self._director = EmbeddedDirector(plan, progress, seed=seed)
        self._resumed = progress is not None and progress.started
        self._turns = TurnTaker(turns)
        self._llm = llm
        self._system_prompt = system_prompt
        self._signals: asyncio.Queue[Signal] = asyncio.Queue()
        self._speaking: asyncio.Task[Spoken] | None = None
        self._closing = False
        self._done = False
        self.end_reason = "completed"
        # Called once per answered turn, when the reply's first audio goes out.
        self._on_turn = on_turn
        self._speech_end: tuple[float, float] | None = None  # (end of voice, VAD end) of the last utterance
        self._transcribed: float | None = None
        # The voice model's verdict on the latest pause (when, complete), while it still applies.
        self._verdict: tuple[float, bool] | None = None
        self._prepared: _Prepared | None = None
        self.transcript: list[tuple[str, str]] = []
        # The answer so far (finals, then the latest partial) and the text the reply was last predicted for.
        self._answer_finals: list[str] = []
        self._answer_partial = ""
        self._previewed_for: str | None = None
        self._acknowledged = False  # an acknowledgement was said in this turn (`Acknowledge`)

    # -- inputs --------------------------------------------------------------------------------------

    def hear(self, event: MediaEvent) -> None:
        """The live session's `on_event`; safe to call from the event loop at any time."""
        self._signals.put_nowait(event)

    # -- the loop ------------------------------------------------------------------------------------

    async def run(self) -> str:
        """Runs the interview to its end; returns why it ended ("completed" or "idle")."""
        async with asyncio.TaskGroup() as tg:
            opening = self._director.resume_line() if self._resumed else self._director.opening()
            await self._save()
            self._say(tg, opening, phrase=False)
            while not self._done:
                actions = await self._next_actions()
                for action in actions:
                    await self._act(tg, action)
                self._prepare(tg)
                self._preview()
            self._drop_prepared()
        return self.end_reason

    async def _next_actions(self) -> list[Action]:
        deadline = self._turns.next_deadline()
        try:
            if deadline is None:
                signal = await self._signals.get()
            else:
                async with asyncio.timeout(max(0.0, deadline - self._port.now())):
                    signal = await self._signals.get()
        except TimeoutError:
            return self._turns.tick(self._port.now())
        return self._feed(signal)

    def _feed(self, signal: Signal) -> list[Action]:
        turns = self._turns
        logger.debug("signal %s", signal)
        if isinstance(signal, CandidateSpeechStarted):
            self._verdict = None
            return turns.speech_started(signal.at)
        if isinstance(signal, CandidateSpeechEnded):
            self._speech_end = (signal.speech_end, signal.at)
            return turns.speech_ended(signal.at)
        if isinstance(signal, CandidatePartial):
            self._answer_partial = signal.text
            return turns.partial(signal.at, signal.text)
        if isinstance(signal, CandidateFinal):
            self._transcribed = signal.at
            self._answer_finals.append(signal.text)
            self._answer_partial = ""
            return turns.final(signal.at, signal.text)
        if isinstance(signal, CandidateTurnVerdict):
            self._verdict = (signal.at, signal.complete)
            return turns.turn_verdict(signal.at, signal.complete)
        if isinstance(signal, CandidateSpeechResumed):
            self._verdict = None
            return turns.speech_resumed(signal.at)
        if isinstance(signal, SpeakingStarted):
            return turns.interviewer_started(signal.at, signal.text)
        actions = turns.interviewer_finished(signal.at)
        if self._closing:
            self._done = True
        return actions

    async def _act(self, tg: asyncio.TaskGroup, action: Action) -> None:
        if isinstance(action, Pause):
            logger.debug("the candidate talks over the interviewer at %.2f s: holding", self._port.now())
            self._port.pause()
        elif isinstance(action, Resume):
            logger.debug("the interviewer carries on at %.2f s", self._port.now())
            self._port.resume()
        elif isinstance(action, Interrupt):
            logger.info("barge-in: the candidate interrupted the interviewer")
            self._port.interrupt()
        elif isinstance(action, EndOfTurn):
            await self._answer(tg, action)
        elif isinstance(action, Acknowledge):
            if self._speaking is None or self._speaking.done():
                self._acknowledged = True
                self._say(tg, self._director.acknowledgement(), phrase=False)
        elif isinstance(action, Nudge):
            await self._wait_quiet()
            self._say(tg, NUDGE, phrase=False)
        elif isinstance(action, IdleEnd):
            self.end_reason = "idle"
            self._closing = True
            await self._wait_quiet()
            self._say(tg, IDLE_GOODBYE, phrase=False)

    async def _answer(self, tg: asyncio.TaskGroup, turn: EndOfTurn) -> None:
        marks = self._marks()
        self._answer_finals, self._answer_partial, self._previewed_for = [], "", None
        prepared, self._prepared = self._prepared, None
        if prepared is not None and (turn.request is not None or prepared.text != turn.text):
            prepared.wording.cancel()
            prepared = None
        self.transcript.append(("candidate", turn.text))
        if turn.request is not None:
            text = self._director.repeat() if turn.request == "repeat" else self._director.rephrase()
            await self._wait_quiet()
            self._say(tg, text, phrase=False, marks=marks)
            return
        acknowledged, self._acknowledged = self._acknowledged, False
        if prepared is not None:
            self._director = prepared.director
            reply = prepared.reply
        else:
            reply = self._director.next_after(turn.text, self._port.now(), acknowledged=acknowledged)
        if reply.kind == "closing":
            self._closing = True
        await self._wait_quiet()
        if prepared is not None:
            self._play(tg, reply.text, prepared.wording.sentences(), "llm", marks)
        else:
            self._say(tg, reply.text, phrase=True, marks=marks)
        # Saved while the reply is being synthesised, not before: a database write is not worth
        # delaying the reply for (a crash in between costs only this step: the resume re-asks).
        await self._save()

    def _prepare(self, tg: asyncio.TaskGroup) -> None:
        """Start the LLM on the reply while the candidate's last silence runs out: the turn ends with
        this text unless they speak again, so the silence threshold overlaps the model's first token.
        Dropped (and the request cancelled) as soon as the pending text changes. Only for the LLM:
        the director answers in milliseconds anyway."""
        text = self._turns.pending_turn()
        if self._prepared is not None and self._prepared.text != text:
            self._drop_prepared()
        if (
            text is None
            or self._prepared is not None
            or self._llm is None
            or self._closing
            or detect_request(text) is not None
        ):
            return
        director = self._director.copy()
        reply = director.next_after(text, self._port.now())
        history = [*self.transcript, ("candidate", text)]
        self._prepared = _Prepared(text, director, reply, Prefetch(tg, self._phrased(reply.text, history)))

    def _preview(self) -> None:
        """While the candidate answers, work out the director's likely reply to what they said so far
        and have its sentences rendered ahead (`Port.prepare`): when the turn ends with the same reply
        (the usual case: the next question and its transition do not change with every word), its first
        frame leaves within milliseconds instead of after synthesis. The LLM's wording cannot be known
        ahead, so only the director's replies are previewed."""
        if self._closing:
            return
        if self._turns.config.acknowledge_min_words:
            # The acknowledgement is said the moment the answer is over: ready before then.
            self._port.prepare([self._director.acknowledgement()])
        if self._llm is not None:
            return
        text = " ".join([*self._answer_finals, self._answer_partial]).strip()
        if len(text.split()) < PREVIEW_MIN_WORDS or text == self._previewed_for:
            return
        self._previewed_for = text
        if detect_request(text) is not None:
            return
        reply = self._director.copy().next_after(text, self._port.now())
        self._port.prepare(split_sentences(reply.text))

    def _drop_prepared(self) -> None:
        if self._prepared is not None:
            self._prepared.wording.cancel()
            self._prepared = None

    def _marks(self) -> _TurnMarks | None:
        if self._speech_end is None or self._transcribed is None:
            return None
        end, vad_end = self._speech_end
        return _TurnMarks(end, vad_end, self._transcribed, self._port.now(), self._verdict)

    # -- speaking ------------------------------------------------------------------------------------

    async def _wait_quiet(self) -> None:
        if self._speaking is not None and not self._speaking.done():
            with contextlib.suppress(Exception):
                await self._speaking

    def _say(
        self, tg: asyncio.TaskGroup, text: str, *, phrase: bool, marks: _TurnMarks | None = None
    ) -> None:
        """Say the director's `text`, in the LLM's words when `phrase` and an LLM is in use."""
        if phrase and self._llm is not None:
            self._play(tg, text, self._phrased(text, list(self.transcript)), "llm", marks)
        else:
            self._play(tg, text, _listed(split_sentences(text)), "director", marks)

    def _play(
        self,
        tg: asyncio.TaskGroup,
        text: str,
        source: AsyncGenerator[str, None],
        backend: Backend,
        marks: _TurnMarks | None,
    ) -> None:
        self._speaking = tg.create_task(self._speak(text, source, backend, marks))

    async def _speak(
        self, text: str, source: AsyncGenerator[str, None], backend: Backend, marks: _TurnMarks | None
    ) -> Spoken:
        ready: list[float] = []

        def started(sentence: str) -> None:
            now = self._port.now()
            self._signals.put_nowait(SpeakingStarted(now, sentence))
            if marks is not None and ready and self._on_turn is not None:
                self._on_turn(_latency(marks, ready[0], now, backend))
                ready.clear()  # once per turn: the first sentence's audio

        timed = _first_noted(source, lambda: ready.append(self._port.now()))
        try:
            spoken = await self._port.speak(timed, started)
        finally:
            # A barge-in may stop reading mid-reply; close the generators (and the HTTP stream) now.
            await timed.aclose()
            await source.aclose()
        self.transcript.append(("interviewer", spoken.text or text))
        self._signals.put_nowait(SpeakingFinished(self._port.now(), spoken.interrupted))
        return spoken

    async def _phrased(self, planned: str, history: list[tuple[str, str]]) -> AsyncGenerator[str, None]:
        """The LLM's wording of the director's next line, sentence by sentence; the director's own
        words when the endpoint fails (and for the rest of the interview after a failure)."""
        llm = self._llm
        assert llm is not None
        hint = f"Say this next, in your own words and briefly, keeping its meaning: {planned}"
        messages = build_messages(f"{self._system_prompt}\n\n{hint}", history)
        said = False
        try:
            async for sentence in llm.sentences(messages):
                said = True
                yield sentence
        except LlmError as exc:
            logger.warning("LLM failed mid-interview (%s); the embedded director takes over", exc)
            self._llm = None
            if said:
                # The LLM's start is already spoken; finish with the director's question itself.
                yield from_director_tail(planned)
            else:
                for sentence in split_sentences(planned):
                    yield sentence

    async def _save(self) -> None:
        await self._port.save_progress(
            {"plan": self._plan.to_dict(), "progress": self._director.progress.to_dict()}
        )


def from_director_tail(planned: str) -> str:
    """The last sentence of the director's line: the question, which must still be asked."""
    sentences = split_sentences(planned)
    return sentences[-1] if sentences else planned


def _latency(marks: _TurnMarks, reply_ready: float, first_audio: float, backend: Backend) -> TurnLatency:
    return TurnLatency(
        speech_end=marks.speech_end,
        utterance_end=marks.utterance_end,
        transcribed=marks.transcribed,
        turn_end=marks.turn_end,
        reply_ready=reply_ready,
        first_audio=first_audio,
        backend=backend,
        verdict=None if marks.verdict is None else marks.verdict[0],
        verdict_complete=None if marks.verdict is None else marks.verdict[1],
    )


async def _first_noted(source: AsyncIterator[str], note: Callable[[], None]) -> AsyncGenerator[str, None]:
    """`source`, calling `note()` when its first sentence is ready."""
    first = True
    async for sentence in source:
        if first:
            note()
            first = False
        yield sentence


async def _listed(sentences: list[str]) -> AsyncGenerator[str, None]:
    for sentence in sentences:
        yield sentence
