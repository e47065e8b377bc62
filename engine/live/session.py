"""One live interview: a transport (a WebRTC peer connection, a phone call's media stream), its audio
pipeline and the interviewer, from the first frame to hang-up (engine/live/transport.py).

Inbound frames are placed on the session's timeline by their RTP timestamps (media/inbound_clock.py)
and handed to the call's ear (engine/live/hearing.py: VAD, transcription, the voice model's verdicts),
one at a time in a worker thread of the call's own; the interviewer (engine/dialogue/) hears what it
reports and speaks through a paced outbound track. Both sides go to the recording on one timeline:
seconds since the recording began, which carries on across reconnects.

Every task belongs to the session's TaskGroup; `run()` returns only after all of them have ended, the
transport is closed and the recording is on disk. Every message for the candidate's page also goes to
the session's `feed`, which recruiters may watch (engine/live/feed.py).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError

from config.enums import SessionStatus
from engine.dialogue.events import MediaEvent
from engine.dialogue.interviewer import Spoken
from engine.dialogue.latency import TurnLatency
from engine.live.dialogue import build_interviewer, with_resume
from engine.live.feed import LiveFeed
from engine.live.hearing import Hearing
from engine.live.runtime import MediaRuntime
from engine.live.speaker import InterviewerSpeech
from engine.live.store import LiveStore
from engine.live.transport import ConnectionState, Transport, TransportHandler
from engine.services.join import Interview
from media.audio import SAMPLE_RATE
from media.inbound_clock import SETTLE_MAX_S, InboundClock
from media.outbound import InterviewerTrack
from media.recording import StereoRecorder
from media.wav_file import RecordingInfo

__all__ = ["EndReason", "LiveSession"]

logger = logging.getLogger(__name__)

CANDIDATE, INTERVIEWER = 0, 1
FINAL_ON_HANGUP_TIMEOUT_S = 15.0
MAX_PAGE_EVENTS = 500  # per connection: a page flapping its focus cannot grow the session row without end
# Beyond these a page's delay report is not believed (a real call that slow has other problems).
MAX_REPORTED_RTT_MS = 2000
MAX_REPORTED_PLAYOUT_MS = 1000
# How far one channel of the recording may trail the other before its positions are written out as
# silence. Until the candidate's first frames are placed (they are held while a backlog drains; see
# media/inbound_clock.py) the limit is wider than anything held, so a stall as the call starts, while
# the interviewer already speaks, loses none of the candidate's audio.
RECORDING_LAG_S = 2.0
RECORDING_START_LAG_S = SETTLE_MAX_S + 1.0


class EndReason:
    COMPLETED = "completed"  # the interviewer finished
    HANGUP = "hangup"  # the candidate pressed End
    LOST = "lost"  # the connection dropped; the session stays resumable
    REPLACED = "replaced"  # the same link connected again (page reload)
    SHUTDOWN = "shutdown"  # the server is stopping; resumable
    IDLE = "idle"  # the candidate went silent; the interviewer said goodbye; resumable
    ERROR = "error"  # unrecoverable; the session is marked failed


class _Stopped(Exception):
    """Raised inside the TaskGroup to end every task once the session is over."""


class LiveSession:
    def __init__(
        self,
        interview: Interview,
        runtime: MediaRuntime,
        store: LiveStore,
        recording_path: Path,
        recording_name: str,
        transport: Transport,
        *,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.interview = interview
        self.session_id = interview.session_id
        self._runtime = runtime
        self._settings = runtime.settings
        self._store = store
        self._recording_name = recording_name
        self._loop_clock = clock or asyncio.get_running_loop().time
        # Resume on the recording's timeline: a reconnect appends rather than overwriting.
        self._offset = 0.0
        self._recording_path = recording_path
        self._t0 = self._loop_clock()
        self._transport = transport
        self.feed = LiveFeed()
        transport.bind(TransportHandler(self._on_page_message, self._connection_changed, self._hung_up))
        self._recorder: StereoRecorder | None = None
        self._track = InterviewerTrack(self.now, on_audio=self._interviewer_audio)
        self._track.on_interrupt = transport.interrupted
        voice = interview.profile.voice
        self._speaker = InterviewerSpeech(
            self._track, self, store, runtime.tts_for(voice), voice, runtime.ahead
        )
        self._hearing = Hearing(
            self.session_id,
            runtime,
            store,
            now=self.now,
            send=self.send,
            emit=self._emit,
            record=self._candidate_audio,
        )
        self._inbound_clock = InboundClock()
        self._inbound_delay = 0.0  # half the round trip, once the page reports it
        self._codec_delay = 0.0
        self._connected = asyncio.Event()
        self._stop = asyncio.Event()
        self.end_reason: str | None = None
        self._tg: asyncio.TaskGroup | None = None
        # The candidate's frames are processed (resampled, VAD) in a thread of their own, one per call:
        # in the shared default pool they queued behind speech synthesis and other calls' work under load,
        # fell seconds behind and were dropped from the recording as late.
        self._inbound_worker: concurrent.futures.ThreadPoolExecutor | None = None
        self._disconnected_since: float | None = None
        self._page_events = 0
        self._recorded = False
        # What the recorder reported when this connection's recording closed: its length, and the audio
        # of each side dropped because it came for a position already written out (a side whose
        # count is not 0 is missing from the file there). None until then.
        self.recording: RecordingInfo | None = None
        # The interviewer's ear: every candidate speech event, in order (None: nobody listens).
        self.on_event: Callable[[MediaEvent], None] | None = None

    # -- clock ---------------------------------------------------------------------------------------

    def now(self) -> float:
        """Seconds on the recording's timeline."""
        return self._loop_clock() - self._t0 + self._offset

    @property
    def connected(self) -> bool:
        """The transport has come up (at least once): the session holds a live slot."""
        return self._connected.is_set()

    @property
    def transport_kind(self) -> str:
        return self._transport.kind

    def send(self, message: dict[str, Any]) -> None:
        """A message for the candidate's page (captions, state), and for whoever watches (`feed`)."""
        self._transport.send(message)
        self.feed.publish(message)

    # -- set-up --------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Bring the transport up (a WebRTC transport answers its offer) and open the recording. On any
        failure the transport is closed before raising."""
        try:
            await self._transport.start(self._track)
            # Known once started (WebRTC's receiver exists only after the offer is applied).
            self._inbound_clock.hold_frames = self._transport.inbound_hold_frames
            self._codec_delay = self._transport.codec_delay
            self._track.heard_delay = self._codec_delay
            recorder = StereoRecorder(
                self._recording_path, sample_rate=SAMPLE_RATE, max_lag_s=RECORDING_START_LAG_S
            )
            # Not before what the transcript already holds: after a takeover the earlier part was
            # recorded on the engine that died (this file starts empty), after a crash here the last
            # second may not have reached the disk; either way the next lines must come after it.
            reached = await self._store.timeline_end()
            from_frame = math.ceil(reached * SAMPLE_RATE)
            padded = await asyncio.to_thread(recorder.start, append=True, from_frame=from_frame)
            self._recorder = recorder
            self._offset = recorder.frames_written / SAMPLE_RATE
            if padded:
                logger.info(
                    "session %s: the recording continues at %.2f s, where the transcript ends; the %.2f s "
                    "before that missing from this engine's file are silence in it",
                    self.session_id,
                    self._offset,
                    padded / SAMPLE_RATE,
                )
            # Registered now, not at the end: what was recorded is served while the call goes on and
            # after a crash (the file is a valid WAV up to its last flush; the end marks it "ready").
            await self._store.save_recording(self._recording_name, SAMPLE_RATE, self._offset, "recording")
            self._t0 = self._loop_clock()
        except BaseException:
            await self._transport.close()
            self._track.stop()
            await self._close_recording()
            raise

    # -- lifecycle -----------------------------------------------------------------------------------

    def hang_up(self, reason: str) -> None:
        if self.end_reason is None:
            self.end_reason = reason
        self._stop.set()

    async def run(self) -> None:
        failed = False
        self._inbound_worker = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"inbound:{self.session_id[:8]}"
        )
        try:
            async with asyncio.TaskGroup() as tg:
                self._tg = tg
                tg.create_task(self._until_stopped())
                tg.create_task(self._watch_connection())
                tg.create_task(self._consume_inbound())
                tg.create_task(self._interview())
        except* _Stopped:
            pass
        except* Exception as group:
            failed = True
            self.end_reason = EndReason.ERROR
            logger.error("live session %s failed", self.session_id, exc_info=group)
        finally:
            self._tg = None
            # The consumer has ended, so nothing is queued; its last frame (at most 20 ms) may still run.
            self._inbound_worker.shutdown(wait=False, cancel_futures=True)
            await self._finish(failed)

    async def _until_stopped(self) -> None:
        await self._stop.wait()
        raise _Stopped

    def _hung_up(self) -> None:
        logger.info("session %s: the candidate hung up", self.session_id)
        self.hang_up(EndReason.HANGUP)

    def _connection_changed(self, state: ConnectionState) -> None:
        logger.info("session %s connection %s", self.session_id, state)
        if state == "connected":
            self._disconnected_since = None
            self._connected.set()
        elif state == "disconnected":
            self._disconnected_since = self._loop_clock()
        elif state in ("failed", "closed"):
            self.hang_up(EndReason.LOST)

    async def _watch_connection(self) -> None:
        media = self._settings.media
        try:
            async with asyncio.timeout(media.connect_timeout_s):
                await self._connected.wait()
        except TimeoutError:
            logger.info("session %s never connected", self.session_id)
            self.hang_up(EndReason.LOST)
            return
        while True:
            await asyncio.sleep(0.5)
            since = self._disconnected_since
            if since is not None and self._loop_clock() - since > media.disconnect_timeout_s:
                self.hang_up(EndReason.LOST)
                return

    # -- inbound audio -------------------------------------------------------------------------------

    async def _consume_inbound(self) -> None:
        clock = self._inbound_clock
        # Frames read before the stream's pace shows (a backlog at the start) wait here, so that they
        # are placed with the anchor the prompt ones give (media/inbound_clock.py).
        waiting: list[tuple[av.AudioFrame, float]] = []
        placed = False  # whether the first frames are placed (from then on the usual lag limit applies)
        while True:
            try:
                frame = await self._transport.recv()
            except MediaStreamError:
                self.hang_up(EndReason.LOST)
                return
            if not isinstance(frame, av.AudioFrame):
                continue
            arrival = self.now()
            rate = frame.sample_rate or 48000
            clock.observe(frame.pts, rate, arrival, frame.samples)
            waiting.append((frame, arrival))
            if not clock.settled:
                continue
            for held, at in waiting:
                start = clock.start_of(held.pts, held.sample_rate or 48000, held.samples, at)
                await self._hear(held, start - self._inbound_delay - self._codec_delay)
            waiting.clear()
            if not placed:
                placed = True
                if self._recorder is not None:
                    self._recorder.set_max_lag(RECORDING_LAG_S)

    async def _hear(self, frame: av.AudioFrame, start: float) -> None:
        worker = self._inbound_worker
        assert worker is not None, "frames are heard only while run() runs"
        await self._hearing.hear(frame, start, worker, self._tg)

    def _candidate_audio(self, start: float, pcm: bytes) -> None:
        if self._recorder is not None:
            self._recorder.write(CANDIDATE, max(round(start * SAMPLE_RATE), 0), pcm)

    def _emit(self, event: MediaEvent) -> None:
        if self.on_event is not None:
            self.on_event(event)

    # -- interviewer ---------------------------------------------------------------------------------

    def _interviewer_audio(self, at: float, pcm: bytes) -> None:
        if self._recorder is not None:
            self._recorder.write(INTERVIEWER, round(at * SAMPLE_RATE), pcm)

    async def say(self, text: str) -> None:
        self._hearing.answer_over()
        await self._speaker.say(text)

    async def speak(self, sentences: AsyncIterator[str], started: Callable[[str], None]) -> Spoken:
        self._hearing.answer_over()
        return await self._speaker.speak(sentences, started)

    def interrupt(self) -> None:
        self._speaker.interrupt()

    def pause(self) -> None:
        self._track.pause()

    def resume(self) -> None:
        self._track.resume()

    async def save_progress(self, state: dict[str, Any]) -> None:
        await self._store.save_progress(state)

    def prepare(self, sentences: Sequence[str]) -> None:
        if self._tg is not None:
            self._speaker.prepare(sentences, self._tg)

    async def _interview(self) -> None:
        await self._connected.wait()
        if not await self._store.begin(self._transport.kind):
            self.hang_up(EndReason.REPLACED)
            return
        interview = await with_resume(self.interview, self._settings)
        interviewer = build_interviewer(
            interview, self, self._settings, self._runtime.llm, on_turn=self._turn_measured
        )
        self.on_event = interviewer.hear
        if await interviewer.run() == "idle":
            self.hang_up(EndReason.IDLE)
            return
        self.hang_up(EndReason.COMPLETED)

    def _turn_measured(self, latency: TurnLatency) -> None:
        self._runtime.turns.add(latency, self.session_id)
        logger.debug(
            "session %s turn: endpointing %.0f ms (transcription %.0f), %s reply %.0f ms, first audio %.0f ms",
            self.session_id,
            latency.endpointing_s * 1000,
            latency.transcription_s * 1000,
            latency.backend,
            latency.generation_s * 1000,
            latency.first_audio_s * 1000,
        )

    def _on_page_message(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "hangup":
            logger.info("session %s: candidate ended the interview", self.session_id)
            self.hang_up(EndReason.HANGUP)
        elif kind == "visibility" and isinstance(message.get("hidden"), bool):
            self._page_event("hidden" if message["hidden"] else "visible")
        elif kind == "focus" and isinstance(message.get("focused"), bool):
            self._page_event("focus" if message["focused"] else "blur")
        elif kind == "delay":
            self._delays_reported(message.get("rtt_ms"), message.get("playout_ms"))

    def _delays_reported(self, rtt_ms: object, playout_ms: object) -> None:
        """The page's round trip and how long it holds the interviewer's audio before playing it: the
        candidate's audio is placed earlier by half the round trip (when it was said), the
        interviewer's later by the other half and the hold (when it was heard)."""
        rtt = _millis(rtt_ms, MAX_REPORTED_RTT_MS)
        playout = _millis(playout_ms, MAX_REPORTED_PLAYOUT_MS)
        if rtt is None or playout is None:
            return
        self._inbound_delay = rtt / 2
        self._track.heard_delay = rtt / 2 + playout + self._codec_delay

    def _page_event(self, kind: str) -> None:
        """The page lost or regained focus: kept for the authenticity check (it never changes a score)."""
        tg = self._tg
        if tg is None or self._page_events >= MAX_PAGE_EVENTS:
            return
        self._page_events += 1
        tg.create_task(self._store.add_page_event(round(self.now(), 3), kind))

    # -- teardown ------------------------------------------------------------------------------------

    async def _finish(self, failed: bool) -> None:
        reason = self.end_reason or EndReason.LOST
        try:
            await self._hearing.final_words(FINAL_ON_HANGUP_TIMEOUT_S)
        except Exception:
            logger.exception("session %s: transcribing the last words failed", self.session_id)
        self.send({"type": "ended", "reason": reason, "message": _END_MESSAGES.get(reason, "")})
        self.feed.close()
        try:
            await self._transport.close()
        except Exception:
            logger.exception("session %s: closing the transport failed", self.session_id)
        self._track.stop()
        await self._close_recording()
        try:
            final = False
            if failed:
                final = await self._store.move_to(SessionStatus.FAILED)
            elif reason in (EndReason.COMPLETED, EndReason.HANGUP) and self._connected.is_set():
                # Kept for the analysis: a candidate who hung up did not finish the plan.
                await self._store.save_progress({"end_reason": reason})
                final = await self._store.move_to(SessionStatus.COMPLETED)
            if final and self._recorded:
                # Only now is the recording whole: a resumable session would still append to it.
                await self._store.recording_ready()
        except Exception:
            logger.exception("session %s: saving the final status failed", self.session_id)
        logger.info("session %s ended: %s", self.session_id, reason)

    async def _close_recording(self) -> None:
        recorder, self._recorder = self._recorder, None
        if recorder is None:
            return
        try:
            info = await recorder.aclose()
        except Exception:
            logger.exception("session %s: closing the recording failed", self.session_id)
            return
        self.recording = info
        candidate, interviewer = info.late_by_channel
        if candidate or interviewer:
            # A few samples late at a frame's edge are routine on a loaded host; a frame or more is not.
            level = (
                logging.WARNING if max(candidate, interviewer) >= info.sample_rate // 50 else logging.DEBUG
            )
            logger.log(
                level,
                "session %s: %.0f ms of the candidate's and %.0f ms of the interviewer's audio came too late "
                "for the recording",
                self.session_id,
                1000 * candidate / info.sample_rate,
                1000 * interviewer / info.sample_rate,
            )
        await self._store.save_recording(self._recording_name, info.sample_rate, info.duration_s, "ready")
        self._recorded = True


def _millis(value: object, most: float) -> float | None:
    """Seconds from a page-reported count of milliseconds, or None when it is not one we believe."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= most:
        return None
    return float(value) / 1000


_END_MESSAGES = {
    EndReason.COMPLETED: "The interview is complete. Thank you!",
    EndReason.HANGUP: "You ended the interview. Thank you for your time.",
    EndReason.LOST: "The connection was lost. Reopen your link to continue where you left off.",
    EndReason.REPLACED: "This interview continued in another window.",
    EndReason.SHUTDOWN: "The interview was interrupted. Reopen your link to continue.",
    EndReason.IDLE: "We did not hear you for a while. Reopen your link to continue where you left off.",
    EndReason.ERROR: "Something went wrong on our side. Please contact the recruiter.",
}
