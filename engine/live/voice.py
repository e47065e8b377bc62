"""Turning the interviewer's text into an `Utterance` ready for the wire and the recording."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from dataclasses import replace

from config.profiles import VoiceSettings
from engine.live.voice_cache import cache_for
from media.audio import OUTPUT_RATE, SAMPLE_RATE, resample_pcm
from media.opus import encode_line
from media.outbound import Utterance
from media.tts import DEFAULT_VOICE, TextToSpeech, Voice

__all__ = ["render", "voice_of"]

logger = logging.getLogger(__name__)


def voice_of(settings: VoiceSettings) -> Voice:
    return Voice(name=settings.name, rate=settings.rate, pitch=settings.pitch)


def _render(tts: TextToSpeech, text: str, voice: Voice) -> Utterance:
    try:
        speech = tts.synthesize(text, voice)
    except ValueError:
        # A profile may name a voice this engine does not have (an eSpeak variant while Piper is the
        # server's default); speaking in the engine's default voice, at the profile's rate, beats a
        # silent interviewer.
        logger.warning("voice %r is not available; using the default voice", voice.name)
        speech = tts.synthesize(text, replace(voice, name=DEFAULT_VOICE.name))
    # The reply's first sound is what the candidate waits for: not the voice's own lead-in silence.
    speech = speech.without_lead_silence()
    pcm_out = resample_pcm(speech.pcm, speech.sample_rate, OUTPUT_RATE)
    return Utterance(
        text=text,
        pcm_out=pcm_out,
        pcm_rec=resample_pcm(speech.pcm, speech.sample_rate, SAMPLE_RATE),
        words=speech.words,
        # Encoded here, once per line, rather than per call and frame by the WebRTC sender (about 1/20
        # of Piper's own time; phone calls, which do not use it, pay that on lines not yet cached).
        opus=encode_line(pcm_out),
    )


async def render(
    tts: TextToSpeech, text: str, voice: Voice, executor: concurrent.futures.Executor | None = None
) -> Utterance:
    """Synthesis, resampling and encoding are blocking; they run in a worker thread (of `executor`, else the
    loop's default pool), once per line and voice while the line stays in the engine's cache
    (engine/live/voice_cache.py)."""

    def in_thread() -> asyncio.Future[Utterance]:
        return asyncio.get_running_loop().run_in_executor(executor, _render, tts, text, voice)

    cache = cache_for(tts)
    if cache is None:
        return await in_thread()
    return await cache.get(text, voice, in_thread)
