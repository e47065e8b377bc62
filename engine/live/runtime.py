"""What every live session shares: the speech recognizer's scheduler, the TTS engine and the media settings.

Built once in the app's lifespan (never at import): loading Whisper takes a second or two and a few
hundred MB, so all sessions share one model behind `AsrScheduler`'s inference lanes.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from config.settings import Settings
from engine.live.turn_log import TurnLog
from llm import LlmClient
from media.asr import AsrOptions, SpeechRecognizer, WhisperRecognizer
from media.asr_scheduler import AsrScheduler
from media.espeak import EspeakTts
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
    llm: LlmClient | None = None
    turns: TurnLog = field(default_factory=TurnLog)


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    recognizer: Callable[[], SpeechRecognizer] | None = None,
    tts: TextToSpeech | None = None,
) -> AsyncIterator[MediaRuntime]:
    """`recognizer` and `tts` are injectable so a deployment (or a test) can swap engines."""
    options = AsrOptions.from_settings(settings.asr)
    factory = recognizer or (lambda: WhisperRecognizer(options))
    vad = VadConfig.from_settings(settings.vad)
    aggressiveness = settings.vad.aggressiveness
    async with contextlib.AsyncExitStack() as stack:
        asr = await stack.enter_async_context(
            AsrScheduler(factory, workers=settings.asr.workers, max_batch=settings.asr.max_batch)
        )
        llm = await stack.enter_async_context(LlmClient(settings.llm)) if settings.llm.base_url else None
        yield MediaRuntime(
            settings=settings,
            asr=asr,
            tts=tts or EspeakTts(),
            vad=vad,
            classifier=lambda: WebRtcVadClassifier(aggressiveness),
            llm=llm,
        )
