"""What every live session shares: the speech recognizer's scheduler, the TTS engines, the end-of-turn
voice model and the media settings.

Built once in the app's lifespan (never at import): loading Whisper takes a second or two and a few
hundred MB, so all sessions share one model behind `AsrScheduler`'s inference lanes. Both voices are
always available (a profile's `voice.engine` may pick either); only the default one (`IE_TTS__ENGINE`) is
loaded at start-up, the Piper model (~1.5 s, ~90 MB) otherwise on first use. The Smart Turn model
(8 MB) is likewise one per process, behind `SmartTurnRunner`'s threads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from config.enums import TtsEngine
from config.profiles import VoiceSettings
from config.settings import Settings, TtsSettings
from engine.live import voice_cache
from engine.live.background import available_cores, background_pool
from engine.live.load import LoadMonitor
from engine.live.turn_log import TurnLog
from llm import LlmClient
from media.asr import SpeechRecognizer, WhisperRecognizer
from media.asr_options import AsrOptions
from media.asr_scheduler import AsrScheduler
from media.espeak import EspeakTts
from media.opus import silence_packet
from media.piper import PiperTts
from media.smart_turn import SmartTurnMissing, SmartTurnModel, SmartTurnRunner, TurnModel, default_model_path
from media.tts import TextToSpeech
from media.vad import SpeechClassifier, VadConfig, WebRtcVadClassifier

__all__ = ["MediaRuntime", "open_runtime"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MediaRuntime:
    settings: Settings
    asr: AsrScheduler
    tts: TextToSpeech
    vad: VadConfig
    classifier: Callable[[], SpeechClassifier]
    load: LoadMonitor
    """How loaded this engine is: spaces out partials and refuses joins under overload (load.py)."""
    llm: LlmClient | None = None
    turns: TurnLog = field(default_factory=TurnLog)
    engines: Mapping[TtsEngine, TextToSpeech] = field(default_factory=dict)
    turn_model: SmartTurnRunner | None = None
    """Judges at each pause whether the candidate sounds finished; None: the transcript alone decides."""
    ahead: concurrent.futures.Executor | None = None
    """Renders lines ahead at a lower CPU priority (engine/live/background.py); None: the default pool."""

    def tts_for(self, voice: VoiceSettings) -> TextToSpeech:
        """The engine a profile's voice asks for; the default engine (`tts`) when it names none, or one
        this host could not load. A profile that names no engine but a voice only another engine has
        (an eSpeak variant such as "en-us+f3", written before Piper was the default) keeps that voice."""
        if voice.engine is not None:
            return self.engines.get(voice.engine, self.tts)
        if _answers_to(self.tts, voice.name):
            return self.tts
        for engine in self.engines.values():
            if _answers_to(engine, voice.name):
                return engine
        return self.tts


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    recognizer: Callable[[], SpeechRecognizer] | None = None,
    tts: TextToSpeech | None = None,
    turn_model: TurnModel | None = None,
) -> AsyncIterator[MediaRuntime]:
    """`recognizer`, `tts` and `turn_model` are injectable so a deployment (or a test) can swap engines;
    `turn_model` is used only with `settings.turn.smart`."""
    engines = _tts_engines(settings.tts)
    default_tts = tts or engines[settings.tts.engine]
    for engine in [*engines.values(), default_tts]:
        voice_cache.configure(engine, settings.tts.cache_mb * 1024 * 1024)
    if tts is None and settings.tts.preload and isinstance(default_tts, PiperTts):
        # In a worker thread: loading the model and its first run take a couple of seconds of CPU.
        await asyncio.to_thread(default_tts.load)
    # Encoded once per process (five libopus calls, about a millisecond): here, not on the loop at the
    # first call's first quiet frame.
    await asyncio.to_thread(silence_packet)
    options = AsrOptions.from_settings(settings.asr)
    factory = recognizer or (lambda: WhisperRecognizer(options))
    vad = VadConfig.from_settings(settings.vad)
    aggressiveness = settings.vad.aggressiveness
    async with contextlib.AsyncExitStack() as stack:
        asr = await stack.enter_async_context(
            AsrScheduler(
                factory,
                workers=settings.asr.workers,
                max_batch=settings.asr.max_batch,
                revision_quiet_s=settings.asr.revision_quiet_ms / 1000,
                revision_max_wait_s=settings.asr.revision_max_wait_s,
                hurry_batch=settings.asr.hurry_batch,
            )
        )
        load = await stack.enter_async_context(LoadMonitor(settings.load, asr.stats))
        llm = await stack.enter_async_context(LlmClient(settings.llm)) if settings.llm.base_url else None
        model = _turn_model(settings, turn_model)
        runner = None
        if model is not None:
            runner = await stack.enter_async_context(SmartTurnRunner(model, workers=settings.turn.workers))
        # One thread per core: the sessions' guesses spread over the cores as their renderings did in the
        # default pool, without queueing behind each other on a bigger host.
        ahead = background_pool(available_cores(), settings.tts.ahead_niceness, name="render-ahead")
        # Closed after the sessions (the stack unwinds in reverse); a rendering in flight finishes first.
        stack.push_async_callback(asyncio.to_thread, ahead.shutdown, True, cancel_futures=True)
        yield MediaRuntime(
            settings=settings,
            asr=asr,
            tts=default_tts,
            vad=vad,
            classifier=lambda: WebRtcVadClassifier(aggressiveness),
            load=load,
            llm=llm,
            engines=engines,
            turn_model=runner,
            ahead=ahead,
        )


def _answers_to(engine: TextToSpeech, name: str) -> bool:
    """Whether `engine` has a voice called `name` (an engine that cannot say is assumed to)."""
    voices = getattr(engine, "voices", None)
    if not callable(voices):
        return True
    wanted = name.casefold()
    base = wanted.split("+", 1)[0]
    known = {str(v).casefold() for v in voices()}
    # eSpeak voice names take a "+variant" suffix; the variant list is the engine's own business.
    return wanted in known or ("+" in wanted and base in known and hasattr(engine, "variants"))


def _turn_model(settings: Settings, injected: TurnModel | None) -> TurnModel | None:
    if not settings.turn.smart:
        return None
    if injected is not None:
        return injected
    try:
        default_model_path()
    except SmartTurnMissing as exc:
        # Turn-taking still works on the VAD and the transcript; only the fast, voice-aware path is lost.
        logger.warning("end-of-turn voice model unavailable, using silence and transcript only: %s", exc)
        return None
    return SmartTurnModel.shared()


def _tts_engines(settings: TtsSettings) -> dict[TtsEngine, TextToSpeech]:
    """Every engine this host can run. Constructing them is cheap: no model is loaded yet."""
    engines: dict[TtsEngine, TextToSpeech] = {TtsEngine.ESPEAK: EspeakTts()}
    try:
        engines[TtsEngine.PIPER] = PiperTts(threads=settings.threads)
    except (OSError, ValueError) as exc:
        if settings.engine is TtsEngine.PIPER:
            raise
        # An eSpeak-only host need not install the voice; profiles asking for piper get eSpeak.
        logger.warning("Piper voice unavailable (%s); profiles that ask for it get eSpeak NG", exc)
    return engines
