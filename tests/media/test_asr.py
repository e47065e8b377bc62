"""WhisperRecognizer against the bundled tiny.en model, on speech synthesised offline with eSpeak NG.

The model is loaded once per module (loading costs ~0.5 s); every decode of a 30 s window costs ~0.3 s on
a 2-core CPU, so the tests decode few utterances.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import jiwer
import numpy as np
import pytest
from faster_whisper import WhisperModel

from config.settings import AsrSettings
from media.asr import (
    WHISPER_SAMPLE_RATE,
    FloatAudio,
    Recognition,
    SpeechRecognizer,
    WhisperRecognizer,
    _spoken,
    pcm_to_float,
)
from media.asr_checks import covers, voiced_seconds
from media.asr_options import (
    CPU_DECODE_BATCH,
    FALLBACK_BEST_OF,
    FALLBACK_TEMPERATURES,
    AsrOptions,
    bundled_model_path,
)
from media.asr_scheduler import AsrScheduler
from tests.speech import resample, speak_fresh

SENTENCES = (
    "Please tell me about your last project.",
    "What was the hardest bug you ever fixed?",
    "We measured the latency of every request.",
    "Can you describe a time you disagreed with your manager?",
)


def say_all(texts: Sequence[str]) -> list[FloatAudio]:
    """`texts` spoken by eSpeak NG (the media plane's engine), as float32 mono 16 kHz. Rendered in a fresh
    process: in a long run, other tests' eSpeak calls once cut a sentence to 0.7 s here (tests/speech.py)."""
    return [pcm_to_float(resample(pcm, rate, WHISPER_SAMPLE_RATE)) for pcm, rate, _ in speak_fresh(texts)]


def say(text: str) -> FloatAudio:
    (audio,) = say_all([text])
    return audio


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z' ]+", " ", text.lower().replace("-", " ")).split())


def word_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    return float(
        jiwer.wer([normalise(r) for r in references], [normalise(h) or "<empty>" for h in hypotheses])
    )


@pytest.fixture(scope="module")
def speech() -> dict[str, FloatAudio]:
    return dict(zip(SENTENCES, say_all(SENTENCES), strict=True))


@pytest.fixture(scope="module")
def recognizer() -> WhisperRecognizer:
    return WhisperRecognizer(AsrOptions(model=str(bundled_model_path())))


def test_bundled_model_is_a_ctranslate2_whisper_model() -> None:
    path = bundled_model_path()
    assert {"model.bin", "config.json", "tokenizer.json"} <= {p.name for p in path.iterdir()}


def test_pcm_to_float_scales_little_endian_int16() -> None:
    pcm = np.array([0, 16384, -32768, 32767], dtype="<i2").tobytes()
    audio = pcm_to_float(pcm)
    assert audio.dtype == np.float32
    assert audio.tolist() == pytest.approx([0.0, 0.5, -1.0, 32767 / 32768])
    assert pcm_to_float(b"").shape == (0,)
    with pytest.raises(ValueError, match="even number"):
        pcm_to_float(b"\x00\x01\x02")


def test_options_from_settings() -> None:
    options = AsrOptions.from_settings(AsrSettings())
    assert options.model == str(bundled_model_path())
    assert (options.device, options.compute_type, options.beam_size, options.language) == (
        "cpu",
        "int8",
        1,
        "en",
    )
    assert options.threads_per_model >= 1
    assert options.decode_batch == CPU_DECODE_BATCH
    assert AsrOptions.from_settings(AsrSettings(max_batch=2)).decode_batch == 2
    assert AsrOptions.from_settings(AsrSettings(device="cuda", max_batch=16)).decode_batch == 16
    custom = AsrOptions.from_settings(AsrSettings(model="/models/x", cpu_threads=3, workers=2, beam_size=2))
    assert (custom.model, custom.threads_per_model, custom.workers, custom.beam_size) == (
        "/models/x",
        3,
        2,
        2,
    )
    assert AsrOptions(model="m", workers=64).threads_per_model == 1  # cores split between lanes, never 0
    with pytest.raises(ValueError, match="must"):
        AsrOptions(model="m", cpu_threads=-1)
    with pytest.raises(ValueError, match="must"):
        AsrOptions(model="m", decode_batch=0)
    assert AsrOptions(model="m").window_s == 20.0
    for window_s in (0.5, 31.0):
        with pytest.raises(ValueError, match="must"):
            AsrOptions(model="m", window_s=window_s)


def test_the_fallback_options_come_from_the_settings_and_bad_ones_are_refused() -> None:
    default = AsrOptions.from_settings(AsrSettings())
    assert (default.fallback_temperatures, default.fallback_best_of) == (
        FALLBACK_TEMPERATURES,
        FALLBACK_BEST_OF,
    )
    assert AsrOptions(model="m").fallback_temperatures == FALLBACK_TEMPERATURES
    chosen = AsrOptions.from_settings(AsrSettings(fallback_temperatures=[0.0], fallback_best_of=1))
    assert (chosen.fallback_temperatures, chosen.fallback_best_of) == ((0.0,), 1)
    for temperatures in ([], [0.4], [0.0, 0.8, 0.4], [0.0, 0.0], [0.0, 1.5]):
        with pytest.raises(ValueError, match="fallback_temperatures"):
            AsrSettings(fallback_temperatures=temperatures)
    for bad in ((), (0.5,), (0.0, 0.8, 0.4), (0.0, 2.0)):
        with pytest.raises(ValueError, match="must"):
            AsrOptions(model="m", fallback_temperatures=bad)
    with pytest.raises(ValueError, match="must"):
        AsrOptions(model="m", fallback_best_of=0)


def test_a_finals_second_pass_samples_only_the_fallback_it_is_given(
    speech: dict[str, FloatAudio], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What transcribe() is asked for when a first decode is unreliable, and that a whole answer's pass
    keeps Whisper's own fallback."""
    calls: list[dict[str, object]] = []
    transcribe = WhisperModel.transcribe

    def spy(model: WhisperModel, audio: object, *args: object, **kwargs: object) -> object:
        calls.append(kwargs)
        return transcribe(model, audio, *args, **kwargs)

    monkeypatch.setattr(WhisperModel, "transcribe", spy)
    recognizer = WhisperRecognizer(
        AsrOptions(model=str(bundled_model_path()), fallback_temperatures=(0.0, 0.5), fallback_best_of=1)
    )
    audio = speech[SENTENCES[0]]
    assert recognizer.transcribe(audio).text  # reliable: no second pass
    assert calls == []
    monkeypatch.setattr("media.asr._LOG_PROB_THRESHOLD", 0.0)  # every first decode looks unreliable
    again = recognizer.transcribe(audio)
    assert [(c["temperature"], c["best_of"]) for c in calls] == [([0.0, 0.5], 1)]
    assert word_error_rate(SENTENCES[:1], [again.text]) <= 0.2
    calls.clear()
    assert recognizer.transcribe_timed(audio).words
    assert len(calls) == 1
    assert "temperature" not in calls[0]
    assert "best_of" not in calls[0]


def test_whisper_recognizer_satisfies_the_protocol(recognizer: WhisperRecognizer) -> None:
    assert isinstance(recognizer, SpeechRecognizer)
    assert recognizer.max_batch == recognizer.options.decode_batch


def test_transcribes_synthetic_speech(recognizer: WhisperRecognizer, speech: dict[str, FloatAudio]) -> None:
    results = recognizer.transcribe_batch(list(speech.values()))
    assert len(results) == len(SENTENCES)
    assert word_error_rate(SENTENCES, [r.text for r in results]) <= 0.2, [r.text for r in results]
    for result, audio in zip(results, speech.values(), strict=True):
        assert result.text == result.text.strip()
        assert result.text
        assert 0.3 < result.confidence <= 1.0
        assert result.audio_s == pytest.approx(len(audio) / WHISPER_SAMPLE_RATE)
        assert result.compute_s > 0


def test_batch_gives_the_same_text_as_one_by_one(
    recognizer: WhisperRecognizer, speech: dict[str, FloatAudio]
) -> None:
    audios = list(speech.values())[:3]
    batched = recognizer.transcribe_batch(audios)
    single = [recognizer.transcribe(audio) for audio in audios]
    assert [r.text for r in batched] == [r.text for r in single]
    assert [r.confidence for r in batched] == pytest.approx([r.confidence for r in single], abs=1e-4)


def test_full_window_matches_faster_whisper_transcribe(speech: dict[str, FloatAudio]) -> None:
    full = WhisperRecognizer(AsrOptions(model=str(bundled_model_path()), window_s=30.0))
    audios = list(speech.values())[:3]
    batched = [r.text for r in full.transcribe_batch(audios)]
    # faster-whisper's own transcribe() with the same options: the batched path agrees token for token.
    sequential = [full._transcribe_sequential(audio).text for audio in audios]
    assert batched == sequential
    assert word_error_rate(SENTENCES[:3], batched) <= 0.2, batched


def test_punctuation_alone_is_no_text() -> None:
    assert _spoken(".") == ""
    assert _spoken(" ... ") == ""
    assert _spoken("Yes.") == "Yes."
    assert _spoken("42") == "42"


def test_silence_and_empty_audio_give_no_text(recognizer: WhisperRecognizer) -> None:
    empty, silence = recognizer.transcribe_batch(
        [np.zeros(0, np.float32), np.zeros(WHISPER_SAMPLE_RATE, np.float32)]
    )
    assert empty == Recognition("", 0.0, 0.0, 0.0)
    assert silence.text == ""
    assert silence.confidence == 0.0
    assert silence.audio_s == pytest.approx(1.0)
    assert recognizer.transcribe_batch([]) == []


def test_rejects_non_mono_audio(recognizer: WhisperRecognizer) -> None:
    with pytest.raises(ValueError, match="mono"):
        recognizer.transcribe_batch([np.zeros((2, 100), np.float32)])


def test_audio_longer_than_one_window_is_transcribed_whole(
    recognizer: WhisperRecognizer, speech: dict[str, FloatAudio]
) -> None:
    first, second = SENTENCES[0], SENTENCES[2]
    gap = np.zeros(29 * WHISPER_SAMPLE_RATE, np.float32)
    audio = np.concatenate([speech[first], gap, speech[second]])
    (result,) = recognizer.transcribe_batch([audio])
    assert result.audio_s > 30
    assert word_error_rate([f"{first} {second}"], [result.text]) <= 0.25, result.text


def test_mixed_lengths_keep_their_order(recognizer: WhisperRecognizer, speech: dict[str, FloatAudio]) -> None:
    # Up to 10 s gets the short window, longer the full one: two model calls, results still in input order.
    first, second = SENTENCES[0], SENTENCES[3]
    long_audio = np.concatenate([speech[second], np.zeros(11 * WHISPER_SAMPLE_RATE, np.float32)])
    results = recognizer.transcribe_batch([speech[first], long_audio, speech[first]])
    assert [r.audio_s > 10 for r in results] == [False, True, False]
    assert word_error_rate([first, second, first], [r.text for r in results]) <= 0.2, results


def test_unreliable_first_decodes_go_to_transcribe(
    recognizer: WhisperRecognizer, speech: dict[str, FloatAudio], monkeypatch: pytest.MonkeyPatch
) -> None:
    # With the threshold at 0 every decode looks too unlikely, as if transcribe() had to fall back to sampling.
    monkeypatch.setattr("media.asr._LOG_PROB_THRESHOLD", 0.0)
    calls: list[float] = []
    sequential = recognizer._transcribe_sequential

    def spy(audio: FloatAudio, prompt: str = "", *, timestamps: bool = False) -> Recognition:
        calls.append(len(audio) / WHISPER_SAMPLE_RATE)
        return sequential(audio, prompt, timestamps=timestamps)

    monkeypatch.setattr(recognizer, "_transcribe_sequential", spy)
    audios = list(speech.values())[:2]
    results = recognizer.transcribe_batch(audios)
    assert len(calls) == 2
    assert [r.text for r in results] == [sequential(audio).text for audio in audios]
    assert word_error_rate(SENTENCES[:2], [r.text for r in results]) <= 0.2


def test_a_draft_takes_no_second_pass(
    recognizer: WhisperRecognizer, speech: dict[str, FloatAudio], monkeypatch: pytest.MonkeyPatch
) -> None:
    audios = list(speech.values())[:2]
    # Reliable decodes: a draft is the same text as the full decode in the same window (a final's own,
    # longer window may hear a borderline word otherwise: "bug" / "mug" in one CI run).
    assert [r.text for r in recognizer.transcribe_draft(audios)] == [
        r.text for r in recognizer.transcribe_hurried(audios)
    ]
    # Unreliable ones (every decode, with the threshold at 0): no fallback, no text.
    monkeypatch.setattr("media.asr._LOG_PROB_THRESHOLD", 0.0)
    calls: list[float] = []

    def spy(audio: FloatAudio, prompt: str = "", *, timestamps: bool = False) -> Recognition:
        calls.append(len(audio) / WHISPER_SAMPLE_RATE)
        raise AssertionError("a draft took a second pass")

    monkeypatch.setattr(recognizer, "_transcribe_sequential", spy)
    drafts = recognizer.transcribe_draft(audios)
    assert calls == []
    assert [r.text for r in drafts] == ["", ""]
    assert [r.audio_s for r in drafts] == [len(a) / WHISPER_SAMPLE_RATE for a in audios]


def _spy_on_windows(
    recognizer: WhisperRecognizer, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[int], list[int]]:
    """The encoder windows (in frames) and the decoder's length limits of the recognizer's calls, as
    they happen."""
    windows: list[int] = []
    lengths: list[int] = []
    encode, generate = recognizer._encode, recognizer._model.model.generate

    def encode_spy(batch: np.ndarray) -> object:
        windows.append(batch.shape[-1])
        return encode(batch)

    def generate_spy(*args: object, **kwargs: object) -> object:
        assert isinstance(kwargs["max_length"], int)
        lengths.append(kwargs["max_length"])
        return generate(*args, **kwargs)

    monkeypatch.setattr(recognizer, "_encode", encode_spy)
    monkeypatch.setattr(recognizer._model, "model", _Forwarding(recognizer._model.model, generate_spy))
    return windows, lengths


def test_drafts_use_their_shorter_window_and_stop_decoding_where_the_audio_ends(
    recognizer: WhisperRecognizer, speech: dict[str, FloatAudio], monkeypatch: pytest.MonkeyPatch
) -> None:
    windows, lengths = _spy_on_windows(recognizer, monkeypatch)
    short = next(iter(speech.values()))
    assert len(short) <= 5 * WHISPER_SAMPLE_RATE
    long = np.concatenate([short, np.zeros(WHISPER_SAMPLE_RATE, np.float32), short])[
        : 7 * WHISPER_SAMPLE_RATE
    ]
    assert len(long) > 5 * WHISPER_SAMPLE_RATE

    draft = recognizer.transcribe_draft([short])[0]
    final = recognizer.transcribe_batch([short])[0]
    recognizer.transcribe_draft([long])
    # A short draft in the 10 s window, its final in the 20 s one; a 7 s draft in the 20 s one, not 30 s.
    assert windows == [1000, 2000, 2000]
    # The draft's decoder may write what the audio could hold, the final's Whisper's whole context.
    seconds = len(short) / WHISPER_SAMPLE_RATE
    assert lengths[0] <= 12 * seconds + 8 + 4
    assert lengths[1] == 448
    assert word_error_rate([final.text], [draft.text]) <= 0.25, (draft.text, final.text)
    with pytest.raises(ValueError, match="draft_window_s"):
        AsrOptions(model="m", draft_window_s=0.5)


def test_hurried_finals_use_the_shorter_window_and_keep_their_second_passes(
    recognizer: WhisperRecognizer, speech: dict[str, FloatAudio], monkeypatch: pytest.MonkeyPatch
) -> None:
    windows, lengths = _spy_on_windows(recognizer, monkeypatch)
    audios = list(speech.values())[:3]
    assert all(len(audio) <= 5 * WHISPER_SAMPLE_RATE for audio in audios)
    hurried = recognizer.transcribe_hurried(audios)
    assert windows == [1000]  # one batch in the 10 s window
    # Its decoder stops where a draft's would (a loop in a short window is cut short, then redone).
    longest = max(len(audio) for audio in audios) / WHISPER_SAMPLE_RATE
    assert lengths[0] <= 12 * longest + 8 + 4
    assert [r.hurried for r in hurried] == [True, True, True]
    assert word_error_rate(SENTENCES[:3], [r.text for r in hurried]) <= 0.2, [r.text for r in hurried]
    # Audio too long for the short window is heard in the finals' own, and not marked.
    long = np.concatenate([audios[0], np.zeros(WHISPER_SAMPLE_RATE, np.float32), audios[1]])
    assert len(long) > 5 * WHISPER_SAMPLE_RATE
    (whole,) = recognizer.transcribe_hurried([long])
    assert windows[-1] == 2000
    assert lengths[-1] == 448
    assert not whole.hurried
    assert not any(r.hurried for r in recognizer.transcribe_batch(audios))
    # Unlike a draft, an unreliable decode still gets transcribe()'s fallback.
    monkeypatch.setattr("media.asr._LOG_PROB_THRESHOLD", 0.0)
    fallbacks: list[float] = []

    def spy(audio: FloatAudio, prompt: str = "", *, timestamps: bool = False) -> Recognition:
        fallbacks.append(len(audio) / WHISPER_SAMPLE_RATE)
        return Recognition("again", 0.5, len(audio) / WHISPER_SAMPLE_RATE, 0.0)

    monkeypatch.setattr(recognizer, "_transcribe_sequential", spy)
    assert [r.text for r in recognizer.transcribe_hurried(audios[:1])] == ["again"]
    assert len(fallbacks) == 1


class _Forwarding:
    """A CTranslate2 model with `generate` replaced (its attributes are read-only)."""

    def __init__(self, model: object, generate: Callable[..., object]) -> None:
        self._model = model
        self.generate = generate

    def __getattr__(self, name: str) -> object:
        return getattr(self._model, name)


async def test_scheduler_runs_the_real_recognizer(
    recognizer: WhisperRecognizer, speech: dict[str, FloatAudio]
) -> None:
    sentence = SENTENCES[1]
    async with AsrScheduler(lambda: recognizer) as asr:
        await asr.warm_up()
        pcm = (np.clip(speech[sentence], -1, 1) * 32767).astype("<i2").tobytes()
        result = await asr.final(pcm)
    assert word_error_rate([sentence], [result.text]) <= 0.2, result.text
    assert asr.stats().finals == 1


def test_a_prompt_gives_the_words_said_before_as_context(recognizer: WhisperRecognizer) -> None:
    # Names heard without context come out as other words; the text of the piece before helps.
    audio = say("Then Priya took over the rollout.")
    alone = recognizer.transcribe(audio)
    prompted = recognizer.transcribe(audio, "I worked with Priya on the rollout.")
    assert "priya" not in normalise(alone.text), alone
    assert "priya" in normalise(prompted.text), prompted
    # In a batch each utterance gets its own prompt.
    batch = recognizer.transcribe_batch([audio, audio], ["", "I worked with Priya on the rollout."])
    assert [r.text for r in batch] == [alone.text, prompted.text]
    with pytest.raises(ValueError, match="prompts"):
        recognizer.transcribe_batch([audio], ["one", "two"])


def test_voiced_time_counts_sound_not_pauses() -> None:
    rate = WHISPER_SAMPLE_RATE
    tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(4 * rate) / rate).astype(np.float32)
    hush = np.full(3 * rate, 1e-4, np.float32)  # -80 dBFS: a quiet room, not a voice
    audio = np.concatenate([tone, hush, tone]).astype(np.float32)
    assert voiced_seconds(audio) == pytest.approx(8.0, abs=0.05)
    assert voiced_seconds(np.zeros(100, np.float32)) == 0.0
    # 8 s of voice needs about 8 words; short audio is never doubted.
    assert covers("one two three four five six seven eight nine", audio)
    assert not covers("absolutely", audio)
    assert covers("yes", tone[: 2 * rate])


def test_a_decode_that_misses_words_is_redone_segment_by_segment(
    recognizer: WhisperRecognizer, speech: dict[str, FloatAudio], monkeypatch: pytest.MonkeyPatch
) -> None:
    # With an absurd words-per-second floor every decode looks as if it dropped words: each is redone
    # by transcribe() with timestamps, and the fuller text is kept (here the same words, so no loss).
    monkeypatch.setattr("media.asr_checks.MIN_WORDS_PER_SPEECH_S", 100.0)
    monkeypatch.setattr("media.asr_checks.COVERAGE_MIN_SPEECH_S", 0.5)
    calls: list[bool] = []
    sequential = recognizer._transcribe_sequential

    def spy(audio: FloatAudio, prompt: str = "", *, timestamps: bool = False) -> Recognition:
        calls.append(timestamps)
        return sequential(audio, prompt, timestamps=timestamps)

    monkeypatch.setattr(recognizer, "_transcribe_sequential", spy)
    audios = list(speech.values())[:2]
    results = recognizer.transcribe_batch(audios)
    assert calls == [True, True]
    assert word_error_rate(SENTENCES[:2], [r.text for r in results]) <= 0.2
    assert all(r.compute_s > 0 for r in results)


def test_a_whole_answer_is_transcribed_word_by_word_with_times(
    recognizer: WhisperRecognizer, speech: dict[str, FloatAudio]
) -> None:
    first, second = SENTENCES[0], SENTENCES[2]
    gap = np.zeros(WHISPER_SAMPLE_RATE, np.float32)
    audio = np.concatenate([speech[first], gap, speech[second]])
    timed = recognizer.transcribe_timed(audio)
    assert word_error_rate([f"{first} {second}"], [timed.recognition.text]) <= 0.2, timed
    assert " ".join(w.word for w in timed.words) == timed.recognition.text
    starts = [w.start for w in timed.words]
    assert starts == sorted(starts)
    assert all(w.end >= w.start for w in timed.words)
    # The second sentence's words start after the first sentence and its second of silence.
    boundary = (len(speech[first]) + len(gap)) / WHISPER_SAMPLE_RATE
    first_words = len(normalise(first).split())
    assert timed.words[first_words - 1].start < boundary - 1.0 < timed.words[first_words].end + 0.5
    assert timed.recognition.compute_s > 0


def test_a_prompted_decode_with_more_words_than_could_be_said_is_redone_without_the_prompt(
    recognizer: WhisperRecognizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    audio = say("Then Priya took over the rollout.")
    alone = recognizer.transcribe(audio)
    # With the ceiling at 0 words per second (plus two), every prompted text looks like a runaway one.
    monkeypatch.setattr("media.asr_checks.MAX_WORDS_PER_S", 0.0)
    redone = recognizer.transcribe(audio, "I worked with Priya on the rollout.")
    assert redone.text
    assert "priya" not in normalise(redone.text), redone  # heard without the context, as `alone` was
    # Unprompted text is never second-guessed this way.
    assert recognizer.transcribe(audio).text == alone.text
