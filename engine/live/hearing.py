"""What the engine hears of the candidate on one call: frames to utterances to transcripts.

Each inbound frame is resampled to 16 kHz and segmented into utterances (VAD) in the call's own worker
thread (one hop per 20 ms frame, so the event loop never does DSP); utterances go to the shared ASR
scheduler: caption partials while the candidate speaks, a speculative final at each pause (which the
turn may be waiting for), the final when the utterance ends, and the whole answer once more when it is
over (engine/live/revision.py). With the end-of-turn voice model, each pause inside an utterance
(`IE_TURN__PAUSE_MS` of silence, before the VAD's hangover ends it) goes to the model with the last 8 s
of the candidate's audio (`PauseJudge`); a finished-sounding pause closes the utterance at the next
frame, so its transcription starts without waiting out the hangover.

What it hears goes three ways: each frame's 16 kHz audio to `record` (the recording), the speech
events to `emit` (the interviewer's ear), the transcripts to `send` (the candidate's page) and to the
store. Finals are not tasks of the session's TaskGroup: a hang-up cancels the group, but words already
spoken must still reach the transcript, so `final_words` flushes and awaits them at the end.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import av

from config.enums import Speaker
from engine.dialogue.events import (
    CandidateFinal,
    CandidatePartial,
    CandidateSpeechEnded,
    CandidateSpeechStarted,
    MediaEvent,
)
from engine.live.pauses import PauseJudge, PauseKey
from engine.live.revision import Answer, Heard, Said, revise
from engine.live.runtime import MediaRuntime
from engine.live.speculation import Speculation, outcome
from engine.live.store import LiveStore
from engine.services.transcripts import NewSegment
from media.asr import Recognition, pcm_to_float
from media.audio import SAMPLE_RATE, FrameResampler, pcm_duration
from media.segmenter import (
    PauseEnded,
    PauseStarted,
    Segmenter,
    SegmenterEvent,
    SilenceBegan,
    UtteranceEnded,
    UtteranceStarted,
)
from media.smart_turn import RecentAudio

__all__ = ["Hearing"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Heard:
    """What one inbound frame's hop through the audio pipeline produced."""

    pcm: bytes
    events: list[SegmenterEvent]
    partial: bytes | None  # audio for a partial hypothesis, when one is due
    recent: bytes | None  # the last 8 s, when a pause started: what the turn model hears
    paused: bytes | None = None  # the open utterance so far, when a pause started: a speculative final


class Hearing:
    """One call's ear. `now` is the session's clock (seconds on the recording's timeline); `hear` takes
    each inbound frame with its start on that timeline."""

    def __init__(
        self,
        session_id: str,
        runtime: MediaRuntime,
        store: LiveStore,
        *,
        now: Callable[[], float],
        send: Callable[[dict[str, Any]], None],
        emit: Callable[[MediaEvent], None],
        record: Callable[[float, bytes], None],
    ) -> None:
        self._session_id = session_id
        self._runtime = runtime
        self._settings = runtime.settings
        self._store = store
        self._now = now
        self._send = send
        self._emit = emit
        self._record = record
        turn = self._settings.turn
        self._pauses: PauseJudge | None = None
        if runtime.turn_model is not None:
            self._pauses = PauseJudge(runtime.turn_model, turn.threshold, now=now, emit=emit, name=session_id)
        # Pauses are reported with or without the voice model: each one starts a speculative final.
        vad = self._settings.vad
        # The speculative final starts at the first silent frames, the voice model's question later.
        early = turn.speculate and turn.speculate_after_ms < turn.pause_ms
        self._segmenter = Segmenter(
            runtime.vad,
            runtime.classifier(),
            pause_ms=turn.pause_ms,
            silence_ms=turn.speculate_after_ms if early else None,
            split_after_s=vad.split_after_s or None,
            split_pause_ms=vad.split_pause_ms,
        )
        self._speculation = Speculation(self._speculate, name=session_id)
        self._recent = RecentAudio() if self._pauses is not None else None
        self._resampler = FrameResampler(SAMPLE_RATE)
        self._speaking = False
        self._partial_len = 0
        self._partial_running = False
        self._finals: set[asyncio.Task[Any]] = set()
        # The utterances of the answer being given: each is transcribed with the text of the one before
        # as Whisper's prompt, and the whole answer again once it is over (engine/live/revision.py).
        self._answer = Answer()
        self._cut_short = False  # the latest utterance was cut off a long answer (`continued`)

    @property
    def speaking(self) -> bool:
        """The candidate is in an utterance (the VAD has not closed it)."""
        return self._speaking

    async def hear(
        self,
        frame: av.AudioFrame,
        start: float,
        worker: concurrent.futures.Executor,
        tg: asyncio.TaskGroup | None,
    ) -> None:
        """One inbound frame, processed on `worker` (the call's own thread); the partials and
        speculations it starts belong to `tg` (None once the session is ending: none are started)."""
        cut = self._pauses.take_cut() if self._pauses is not None else None
        heard = await asyncio.get_running_loop().run_in_executor(worker, self._process, frame, start, cut)
        if heard.pcm:
            self._record(start, heard.pcm)
        self._handle(heard, tg)

    def answer_over(self) -> None:
        """The interviewer takes the floor: the answer given so far gets its whole-answer pass now,
        while the interviewer talks, rather than when the candidate next speaks."""
        if self._speaking:
            return  # talking over the candidate (a nudge, a barge-in): the answer goes on
        self._revise_later(self._answer.close())

    async def final_words(self, timeout_s: float) -> None:
        """At the end: a hang-up mid-utterance still gets its words transcribed, pending finals are
        awaited, and the last answer gets its whole-answer pass, all within `timeout_s`."""
        loop = asyncio.get_running_loop()
        for event in self._segmenter.flush(self._now()):
            if isinstance(event, UtteranceEnded):
                task = loop.create_task(self._final(event, None, self._answer.previous_final(event.start)))
                self._track_final(task)
                self._revise_later(self._answer.add(Said(event.start, event.end, event.audio, task)))
        self._revise_later(self._answer.close())
        pending = list(self._finals)
        if not pending:
            return
        try:
            async with asyncio.timeout(timeout_s):
                await asyncio.gather(*pending, return_exceptions=True)
        except TimeoutError:
            logger.warning(
                "session %s: transcription still running at the end, left behind", self._session_id
            )
            for task in pending:
                task.cancel()

    # -- the worker thread ---------------------------------------------------------------------------

    def _process(self, frame: av.AudioFrame, start: float, cut: PauseKey | None) -> _Heard:
        """Runs in the call's worker thread; calls never overlap (the consumer awaits each), which is
        why a cut of the utterance waits for the next frame's hop (at most 20 ms) rather than taking one
        of its own."""
        pcm = self._resampler.resample(frame)
        events = self._segmenter.end_at_pause(*cut) if cut is not None else []
        if pcm:
            if self._recent is not None:
                self._recent.push(pcm)
            events += self._segmenter.push(pcm, start)
        recent = None
        if self._recent is not None and any(isinstance(e, PauseStarted) for e in events):
            recent = self._recent.snapshot()
        paused = None
        if any(isinstance(e, SilenceBegan | PauseStarted) for e in events) and self._segmenter.speaking:
            paused = self._segmenter.current_audio()
        partial = None
        # Under load partials come less often, and not at all when the engine is full (engine/live/load.py):
        # they are the first thing to give way, finals never.
        interval_ms = self._runtime.load.partial_interval_ms(self._settings.asr.partial_interval_ms)
        if interval_ms is not None and self._segmenter.speaking and not self._partial_running:
            step = interval_ms * SAMPLE_RATE * 2 // 1000
            if self._segmenter.current_length() - self._partial_len >= step:
                audio = self._segmenter.current_audio() or b""
                self._partial_len = len(audio)
                partial = audio
        return _Heard(pcm, events, partial, recent, paused)

    # -- the event loop ------------------------------------------------------------------------------

    def _handle(self, heard: _Heard, tg: asyncio.TaskGroup | None) -> None:
        for event in heard.events:
            if self._pauses is not None:
                self._pauses.heard(event, heard.recent, tg)
            if isinstance(event, SilenceBegan | PauseStarted):
                speculating = self._speculation.started(event.index, event.speech_end)
                if (
                    heard.paused is not None
                    and tg is not None
                    and self._settings.turn.speculate
                    and not speculating
                ):
                    # Only a context already known: the guess must not wait for another final.
                    before = self._answer.previous_final(event.speech_end) if self._cut_short else None
                    context = before.result().text if before is not None and _succeeded(before) else ""
                    self._speculation.start(event.index, event.speech_end, heard.paused, tg, context)
            elif isinstance(event, PauseEnded):
                self._speculation.drop()
            elif isinstance(event, UtteranceStarted):
                self._speculation.drop()
                self._speaking = True
                self._partial_len = 0
                self._emit(CandidateSpeechStarted(self._now()))
            elif isinstance(event, UtteranceEnded):
                self._speaking = False
                self._emit(CandidateSpeechEnded(self._now(), event.end))
                # Not in the TaskGroup: a hang-up cancels the group, but words already spoken must
                # still reach the transcript. `final_words` awaits these.
                guess = self._speculation.take(event.index, event.end)
                before = self._answer.previous_final(event.start)
                task = asyncio.get_running_loop().create_task(
                    self._final(event, guess, before, prompted=self._cut_short)
                )
                self._cut_short = event.continued
                self._track_final(task)
                self._revise_later(self._answer.add(Said(event.start, event.end, event.audio, task)))
        if heard.partial is not None and tg is not None and self._speaking and self._asr_has_room():
            self._partial_running = True
            tg.create_task(self._partial(heard.partial))

    def _asr_has_room(self) -> bool:
        """Partials are a courtesy: ask for one only when the recognizer has nothing waiting, so under
        load every cycle goes to finals (what the interviewer and the transcript need)."""
        stats = self._runtime.asr.stats()
        return stats.queued_finals == 0 and stats.queued_partials < self._settings.asr.workers

    def _track_final(self, task: asyncio.Task[Any]) -> None:
        self._finals.add(task)
        task.add_done_callback(self._final_done)

    def _final_done(self, task: asyncio.Task[Any]) -> None:
        self._finals.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # One utterance lost to the recognizer; the recording still has it, so the interview goes
            # on rather than failing the candidate's session.
            logger.error(
                "session %s: transcribing an utterance failed", self._session_id, exc_info=task.exception()
            )

    def _revise_later(self, closed: Sequence[Said] | None) -> None:
        if closed:
            self._track_final(asyncio.get_running_loop().create_task(self._revise(closed)))

    async def _partial(self, audio: bytes) -> None:
        try:
            result = await self._runtime.asr.partial(self._session_id, pcm_to_float(audio))
        finally:
            self._partial_running = False
        if result is not None and result.text and self._speaking:
            self._send({"type": "transcript", "speaker": "candidate", "text": result.text, "final": False})
            self._emit(CandidatePartial(self._now(), result.text))

    async def _revise(self, said: Sequence[Said]) -> bool:
        return await revise(said, self._runtime.asr.revise, self._store.revise_texts, name=self._session_id)

    async def _speculate(self, audio: bytes, prompt: str) -> Recognition | None:
        # Shed under load rather than delay another session's final, but ahead of caption partials: the
        # turn may be waiting for it.
        return await self._runtime.asr.partial(
            (self._session_id, "final"), pcm_to_float(audio), prompt=prompt, speculative=True
        )

    async def _final(
        self,
        event: UtteranceEnded,
        guess: asyncio.Task[Recognition | None] | None = None,
        before: asyncio.Task[Heard] | None = None,
        *,
        prompted: bool = False,
    ) -> Heard:
        """Transcribe one utterance, store it and report it; returns its text. `before` is the final of
        the utterance just before it in the same answer: this one's segment is stored after it, and when
        `prompted` (this one continues a long piece the segmenter cut) its text is Whisper's prompt.
        Only then: on real speech, prompting every utterance of an answer with the one before raised the
        word error rate (bench/asr_real_speech.py, the "default" against "prompts-continued" rows)."""
        text = ""
        try:
            result = await outcome(guess) if guess is not None else None
            if result is None:
                context = await _text_of(before) if prompted else ""
                result = await self._runtime.asr.final(pcm_to_float(event.audio), prompt=context)
            elif before is not None:
                await _text_of(before)  # keep the pieces' segments in order
            text = result.text.strip()
        finally:
            # Turn-taking waits for one final per utterance, recognised or not.
            self._emit(CandidateFinal(self._now(), text, event.start, event.end))
        if not text:
            return Heard(text, None)
        self._send({"type": "transcript", "speaker": "candidate", "text": text, "final": True})
        end = event.start + pcm_duration(event.audio)
        segment_id = await self._store.append(
            NewSegment(
                Speaker.CANDIDATE,
                round(event.start, 3),
                round(min(end, event.end + 0.2), 3),
                text,
                result.confidence,
            )
        )
        return Heard(text, segment_id, result.hurried)


def _succeeded(task: asyncio.Task[Heard]) -> bool:
    return task.done() and not task.cancelled() and task.exception() is None


async def _text_of(final: asyncio.Task[Heard] | None) -> str:
    """What an earlier final found ("" when there is none or it failed: context is a help, not a need)."""
    if final is None:
        return ""
    try:
        return (await asyncio.shield(final)).text
    except asyncio.CancelledError:
        if final.cancelled():
            return ""
        raise
    except Exception:
        return ""
