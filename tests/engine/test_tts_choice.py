"""Which voice speaks: the server's IE_TTS__ENGINE, a profile's voice.engine, and the preloaded Piper model."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from config.enums import TtsEngine
from config.profiles import VoiceSettings
from config.settings import Settings, TtsSettings
from engine.live.runtime import open_runtime
from media.espeak import EspeakTts
from media.piper import PiperTts
from media.tts import Speech, Voice


def settings(**tts: object) -> Settings:
    return Settings(_env_file=None, tts=TtsSettings(**{"preload": False, **tts}))


def test_piper_is_the_default_and_the_environment_can_choose(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IE_TTS__ENGINE", raising=False)
    assert Settings(_env_file=None).tts.engine is TtsEngine.PIPER
    assert Settings(_env_file=None).tts.threads == 1
    monkeypatch.setenv("IE_TTS__ENGINE", "espeak")
    assert Settings(_env_file=None).tts.engine is TtsEngine.ESPEAK
    monkeypatch.setenv("IE_TTS__ENGINE", "festival")
    with pytest.raises(ValidationError, match=r"tts\.engine"):
        Settings(_env_file=None)


def test_profile_voice_engine_is_validated() -> None:
    assert VoiceSettings().engine is None
    assert VoiceSettings.model_validate({"engine": "espeak", "name": "en-us+f3"}).engine is TtsEngine.ESPEAK
    with pytest.raises(ValidationError) as caught:
        VoiceSettings.model_validate({"engine": "festival"})
    assert caught.value.errors()[0]["loc"] == ("engine",)


async def test_runtime_speaks_with_the_default_unless_the_profile_names_an_engine() -> None:
    async with open_runtime(settings(engine="espeak")) as runtime:
        assert isinstance(runtime.tts, EspeakTts)
        assert runtime.tts_for(VoiceSettings()) is runtime.tts
        assert isinstance(runtime.tts_for(VoiceSettings(engine=TtsEngine.PIPER)), PiperTts)
        assert runtime.tts_for(VoiceSettings(engine=TtsEngine.ESPEAK)) is runtime.tts


async def test_a_profile_with_an_espeak_only_voice_and_no_engine_keeps_its_voice() -> None:
    """Profiles written before Piper was the default name eSpeak variants ("en-us+f3"): they stay eSpeak."""
    async with open_runtime(settings(engine="piper")) as runtime:
        assert isinstance(runtime.tts, PiperTts)
        assert runtime.tts_for(VoiceSettings(name="en-us")) is runtime.tts
        assert isinstance(runtime.tts_for(VoiceSettings(name="en-us+f3")), EspeakTts)
        assert isinstance(runtime.tts_for(VoiceSettings(name="de")), EspeakTts)
        # A voice nobody has goes to the default, which reports it (one warning per engine).
        assert runtime.tts_for(VoiceSettings(name="xx-nothing")) is runtime.tts


async def test_an_injected_engine_is_the_default() -> None:
    class Silent:
        def synthesize(self, text: str, voice: Voice) -> Speech:
            return Speech(b"", 16000)

    injected = Silent()
    async with open_runtime(settings(), tts=injected) as runtime:
        assert runtime.tts is injected
        assert runtime.tts_for(VoiceSettings()) is injected
        assert isinstance(runtime.tts_for(VoiceSettings(engine=TtsEngine.ESPEAK)), EspeakTts)


async def test_piper_is_loaded_at_start_up_when_preloading() -> None:
    async with open_runtime(settings(engine="piper", preload=True)) as runtime:
        assert isinstance(runtime.tts, PiperTts)
        assert runtime.tts.loaded  # loaded (and run once) before the first session
