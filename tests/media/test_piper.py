"""The Piper voice runner (media.piper): audio, estimated word marks, plain-text handling, threads, the
offline model, and intelligibility against eSpeak NG through the project's own recogniser."""

from __future__ import annotations

import itertools
import json
import re
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jiwer
import numpy as np
import onnxruntime
import pytest

from media import piper
from media.asr import WHISPER_SAMPLE_RATE, WhisperRecognizer, pcm_to_float
from media.asr_options import AsrOptions, bundled_model_path
from media.audio import resample_pcm
from media.espeak import EspeakTts
from media.piper import PiperConfig, PiperTts, bundled_voice
from media.tts import Speech, TextToSpeech, Voice

SENTENCE = "Please describe a project you are proud of and what you learned from it."
QUESTION = "Thanks for joining today. Can you tell me about a project you are proud of?"

# Typical interviewer lines: an opening, questions, follow-ups and a closing.
INTERVIEWER_LINES = (
    "Hi, I'm Alex, and I'll be interviewing you today.",
    "Can you tell me about a project you're proud of?",
    "What was the hardest technical decision you made on that project?",
    "How did you measure whether it worked?",
    "Tell me about a time you disagreed with a teammate.",
    "What would you do differently if you started again?",
    "Could you give me a concrete example of that?",
    "Thanks, that's all my questions. Do you have any for me?",
)


@pytest.fixture(scope="module")
def tts() -> PiperTts:
    return PiperTts()


def samples(speech: Speech) -> np.ndarray:
    return np.frombuffer(speech.pcm, dtype="<i2").astype(np.float64)


def envelope(speech: Speech, frame_s: float = 0.01) -> np.ndarray:
    x = samples(speech)
    frame = int(speech.sample_rate * frame_s)
    usable = len(x) // frame * frame
    return np.asarray(np.sqrt(np.mean(x[:usable].reshape(-1, frame) ** 2, axis=1)))


def longest_pause_s(speech: Speech) -> float:
    quiet = envelope(speech) < 100
    longest = run = 0
    for frame_is_quiet in quiet:
        run = run + 1 if frame_is_quiet else 0
        longest = max(longest, run)
    return longest * 0.01


def test_engine_satisfies_the_protocol_and_reads_the_packaged_voice(tts: PiperTts) -> None:
    engine: TextToSpeech = tts
    assert isinstance(engine, TextToSpeech)
    model, config = bundled_voice()
    assert model.name == "en_US-joe-medium.onnx"
    assert model.stat().st_size > 10_000_000
    assert tts.sample_rate == json.loads(config.read_text())["audio"]["sample_rate"] == 22050
    assert set(tts.voices()) == {"en-us", "en_us-joe-medium"}


def test_speech_is_loud_at_the_native_rate_and_about_as_long_as_the_words(tts: PiperTts) -> None:
    speech = tts.synthesize(SENTENCE, Voice())
    assert speech.sample_rate == 22050
    words = len(SENTENCE.split())
    nominal_s = words / 175 * 60  # 14 words at 175 words/min: 4.8 s
    assert 0.5 * nominal_s < speech.duration_s < 1.5 * nominal_s
    x = samples(speech)
    assert 8000 < np.abs(x).max() < 32767  # near the fixed gain's level, never clipped
    assert np.sqrt(np.mean(x**2)) > 1000
    assert (envelope(speech, 0.1) > 300).mean() > 0.7


def test_word_marks_are_increasing_and_cover_the_words(tts: PiperTts) -> None:
    speech = tts.synthesize(QUESTION, Voice())
    assert [mark.word(QUESTION) for mark in speech.words] == re.sub(r"[.?]", "", QUESTION).split()
    starts = [mark.start_s for mark in speech.words]
    assert starts[0] < 0.3
    assert all(b > a for a, b in itertools.pairwise(starts))
    assert starts[-1] < speech.duration_s - 0.1
    # The second sentence's first word is placed after the first sentence's audio, roughly in the middle.
    can = next(m for m in speech.words if m.word(QUESTION) == "Can")
    assert 0.2 * speech.duration_s < can.start_s < 0.6 * speech.duration_s


def test_word_marks_point_at_speech(tts: PiperTts) -> None:
    speech = tts.synthesize(SENTENCE, Voice())
    env = envelope(speech)
    for mark in speech.words:
        frame = int(mark.start_s / 0.01)
        assert env[frame : frame + 25].max() > 300, mark


def test_stream_yields_each_sentence_and_synthesize_joins_them(tts: PiperTts) -> None:
    text = "First question. Second one? And the third!"
    parts = list(tts.stream(text, Voice()))
    assert len(parts) == 3
    assert [[m.word(text) for m in part.words] for part in parts] == [
        ["First", "question"],
        ["Second", "one"],
        ["And", "the", "third"],
    ]
    for part in parts:
        assert part.sample_rate == 22050
        assert part.words[0].start_s < 0.3  # each part's marks are relative to its own start
    whole = tts.synthesize(text, Voice())
    # The model's durations are stochastic (noise_w), so two renderings differ a little in length.
    assert whole.duration_s == pytest.approx(sum(p.duration_s for p in parts), rel=0.2)
    assert len(whole.words) == 7
    assert all(b.start_s > a.start_s for a, b in itertools.pairwise(whole.words))


def test_stream_renders_lazily(tts: PiperTts, monkeypatch: pytest.MonkeyPatch) -> None:
    rendered: list[int] = []
    real = PiperTts._render

    def counting(self: PiperTts, *args: Any) -> Speech:
        rendered.append(1)
        return real(self, *args)

    monkeypatch.setattr(PiperTts, "_render", counting)
    parts = tts.stream("One. Two. Three.", Voice())
    next(parts)
    assert len(rendered) == 1  # the first sentence is ready before the others are synthesised


def test_rate_maps_to_the_length_scale(tts: PiperTts) -> None:
    slow, normal, fast = (tts.synthesize(SENTENCE, Voice(rate=r)) for r in (100, 175, 350))
    assert slow.duration_s > normal.duration_s > fast.duration_s
    # 3.5x the length scale, but not 3.5x the duration: every phoneme id (pads included) lasts at least
    # one model frame (11.6 ms), so fast speech cannot shrink in proportion. Measured 2.2-2.3.
    assert slow.duration_s / fast.duration_s > 1.9
    assert slow.words[-1].start_s > 2 * fast.words[-1].start_s


def test_pitch_is_ignored_not_refused(tts: PiperTts, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="media.piper"):
        high = tts.synthesize("Hello there.", Voice(pitch=90))
    assert high.duration_s > 0.3
    assert "cannot change pitch" in caplog.text


@pytest.mark.parametrize("name", ["en-gb", "en-us+f3", "xx-nope"])
def test_unknown_voice_is_a_value_error(tts: PiperTts, name: str) -> None:
    with pytest.raises(ValueError, match=f"unknown Piper voice '{re.escape(name)}'"):
        tts.synthesize("hello", Voice(name=name))
    with pytest.raises(ValueError, match="unknown Piper voice"):
        tts.synthesize("", Voice(name=name))  # blank text still checks the voice
    assert tts.synthesize("hello", Voice(name="EN_US-joe-medium")).duration_s > 0.2


@pytest.mark.parametrize("text", ["", " ", "\n\t  \r\n", "\x00", "...", " - "])
def test_blank_or_silent_text_gives_empty_speech(tts: PiperTts, text: str) -> None:
    assert tts.synthesize(text, Voice()) == Speech(b"", 22050, ())


@pytest.mark.parametrize("text", ["x\x00y and z", "hello \ud800 world", "naïve café façade"])
def test_odd_characters_do_not_break_synthesis(tts: PiperTts, text: str) -> None:
    speech = tts.synthesize(text, Voice())
    assert speech.duration_s > 0.3
    assert speech.words[-1].word(text).endswith(text.split()[-1])


def test_markup_is_read_as_text_never_obeyed(tts: PiperTts) -> None:
    text = 'Tell me <break time="3s"/> about yourself.'
    speech = tts.synthesize(text, Voice())
    heard = [mark.word(text) for mark in speech.words]
    assert "about" in heard
    assert "yourself" in heard
    # An SSML reader would pause 3 s; read as text there is no pause anywhere near that long.
    assert longest_pause_s(speech) < 1.0
    wrapped = "<speak>Hello there.</speak>"
    assert tts.synthesize(wrapped, Voice()).duration_s > tts.synthesize("Hello there.", Voice()).duration_s
    escape = "say [[h@'loU]] now"
    assert tts.synthesize(escape, Voice()).words[-1].word(escape) == "now"


def test_phoneme_ids_follow_the_piper_format(tts: PiperTts) -> None:
    table = tts.config.phoneme_ids
    ipa = EspeakTts().phonemize("Hi", "en-us")
    phonemes = tts._phonemes("Hi.", piper._sentences("Hi.")[0])
    assert phonemes is not None
    body = [i for symbol in ipa for i in (*table[symbol], *table["_"])]
    expected = [*table["^"], *table["_"], *body, *table["."], *table["_"], *table["$"]]
    assert phonemes.ids == expected


def test_sentences_keep_offsets_and_skip_abbreviations_and_decimals() -> None:
    text = "Dr. Smith paid 3.5 dollars, e.g. cash. Really?! Yes\nNext line"
    sentences = piper._sentences(text)
    assert [[(text[c.start : c.end].strip(), c.terminator) for c in s] for s in sentences] == [
        [("Dr. Smith paid 3.5 dollars,", ","), ("e.g. cash.", ".")],
        [("Really?!", "?")],
        [("Yes", "")],
        [("Next line", "")],
    ]
    assert piper._sentences("   ") == []


def test_parallel_calls_are_safe(tts: PiperTts) -> None:
    lines = list(INTERVIEWER_LINES[:4]) * 3
    serial = {line: tts.synthesize(line, Voice()).duration_s for line in set(lines)}
    with ThreadPoolExecutor(max_workers=6) as pool:
        parallel = list(pool.map(lambda line: (line, tts.synthesize(line, Voice())), lines))
    for line, speech in parallel:
        assert [m.word(line) for m in speech.words][-1] == re.sub(r"[.?!]", "", line).split()[-1]
        # Only the duration predictor's noise differs between runs.
        assert speech.duration_s == pytest.approx(serial[line], rel=0.25), line


def test_model_loads_once_per_process_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    loads: list[str] = []
    real = onnxruntime.InferenceSession

    def counting(path: str, *args: Any, **kwargs: Any) -> Any:
        loads.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(onnxruntime, "InferenceSession", counting)
    # Two threads per run: a key no other test uses, so this test sees the first load.
    engines = [PiperTts(threads=2) for _ in range(4)]
    start = threading.Barrier(len(engines))

    def speak(engine: PiperTts) -> Speech:
        start.wait()
        return engine.synthesize("Does this work offline?", Voice())

    try:
        with ThreadPoolExecutor(max_workers=len(engines)) as pool:
            speeches = list(pool.map(speak, engines))
        assert all(s.duration_s > 0.5 for s in speeches)
        assert len(loads) == 1
    finally:
        piper._SESSIONS.pop((engines[0].model_path, 2), None)


def test_config_is_checked(tmp_path: Path) -> None:
    _, config = bundled_voice()
    raw = json.loads(config.read_text())
    loaded = PiperConfig.load(config)
    assert (loaded.noise_scale, loaded.length_scale, loaded.noise_w) == (0.667, 1.0, 0.8)
    assert (loaded.language, loaded.espeak_voice) == ("en-us", "en-us")
    del raw["phoneme_id_map"]["^"]
    broken = tmp_path / "broken.onnx.json"
    broken.write_text(json.dumps(raw))
    with pytest.raises(ValueError, match="lacks"):
        PiperConfig.load(broken)
    with pytest.raises(ValueError, match="threads"):
        PiperTts(threads=0)


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z' ]+", " ", text.lower().replace("-", " ")).split())


def test_piper_is_at_least_as_intelligible_as_espeak(tts: PiperTts) -> None:
    recognizer = WhisperRecognizer(AsrOptions(model=str(bundled_model_path())))

    def wer(engine: TextToSpeech) -> tuple[float, list[str]]:
        audios = []
        for line in INTERVIEWER_LINES:
            speech = engine.synthesize(line, Voice())
            audios.append(pcm_to_float(resample_pcm(speech.pcm, speech.sample_rate, WHISPER_SAMPLE_RATE)))
        heard = [r.text for r in recognizer.transcribe_batch(audios)]
        refs = [normalise(line) for line in INTERVIEWER_LINES]
        return float(jiwer.wer(refs, [normalise(h) or "<empty>" for h in heard])), heard

    piper_wer, piper_heard = wer(tts)
    espeak_wer, _ = wer(EspeakTts())
    # Measured 0.02-0.06 for Piper and ~0.2 for eSpeak (bench/tts_voices.py).
    assert piper_wer <= 0.12, piper_heard
    assert piper_wer <= espeak_wer, (piper_wer, espeak_wer, piper_heard)
