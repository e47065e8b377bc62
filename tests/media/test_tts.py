"""eSpeak NG synthesis through media.espeak, and the speech helpers tests build their audio with."""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from media.espeak import ESPEAK_SAMPLE_RATE, EspeakTts
from media.tts import Speech, TextToSpeech, Voice, WordMark
from tests.speech import SpokenSpan, read_wav, resample, rms, speech_wav, synthesize, write_wav

SENTENCE = "Please describe a project you are proud of and what you learned from it."
PLAIN = "Tell me about yourself."


@pytest.fixture(scope="module")
def tts() -> EspeakTts:
    return EspeakTts()


def samples(speech: Speech) -> np.ndarray:
    return np.frombuffer(speech.pcm, dtype="<i2").astype(np.float64)


def envelope(speech: Speech, frame_s: float = 0.01) -> np.ndarray:
    """RMS per frame: what the speech sounds like in time, insensitive to eSpeak's tiny waveform jitter."""
    x = samples(speech)
    frame = int(speech.sample_rate * frame_s)
    usable = len(x) // frame * frame
    return np.asarray(np.sqrt(np.mean(x[:usable].reshape(-1, frame) ** 2, axis=1)))


def median_f0(speech: Speech) -> float:
    """Median fundamental frequency (Hz) over voiced 40 ms frames, by autocorrelation."""
    x = samples(speech)
    rate = speech.sample_rate
    frame = int(0.04 * rate)
    min_lag, max_lag = rate // 400, rate // 60
    loudness = np.sqrt(np.mean(x**2))
    estimates = []
    for start in range(0, len(x) - frame, frame // 2):
        chunk = x[start : start + frame] - np.mean(x[start : start + frame])
        if np.sqrt(np.mean(chunk**2)) < 0.5 * loudness:
            continue
        corr = np.correlate(chunk, chunk, mode="full")[frame - 1 :]
        lag = min_lag + int(np.argmax(corr[min_lag:max_lag]))
        if corr[lag] > 0.4 * corr[0]:  # clearly periodic: a voiced frame
            estimates.append(rate / lag)
    assert len(estimates) > 10, "too few voiced frames to estimate pitch"
    return float(np.median(estimates))


def similar(a: Speech, b: Speech) -> bool:
    """The same request's speech, allowing for eSpeak's small call-to-call variation.

    eSpeak's output depends a little on what it synthesised before (a pitch-flutter phase it never
    resets), moving words by up to ~20 ms. Speech that picked up another call's voice, rate, pitch or
    samples differs by far more: other length, other word times, other pitch.
    """
    if abs(a.duration_s - b.duration_s) > 0.04 or len(a.words) != len(b.words):
        return False
    if any(
        x.text_offset != y.text_offset or x.length != y.length or abs(x.start_s - y.start_s) > 0.04
        for x, y in zip(a.words, b.words, strict=True)
    ):
        return False
    return abs(median_f0(a) / median_f0(b) - 1) < 0.05


def test_engine_satisfies_the_protocol(tts: EspeakTts) -> None:
    engine: TextToSpeech = tts
    assert isinstance(engine, TextToSpeech)
    assert tts.sample_rate == ESPEAK_SAMPLE_RATE
    assert "en-us" in tts.voices()
    assert "f3" in tts.variants()


def test_speech_is_loud_and_about_as_long_as_the_words(tts: EspeakTts) -> None:
    speech = tts.synthesize(SENTENCE, Voice())
    assert speech.sample_rate == 22050
    assert len(speech.pcm) == 2 * speech.num_samples
    words = len(SENTENCE.split())
    nominal_s = words / 175 * 60  # 14 words at 175 words/min: 4.8 s
    assert 0.5 * nominal_s < speech.duration_s < 1.5 * nominal_s
    x = samples(speech)
    assert np.abs(x).max() > 5000
    assert rms(speech.pcm) > 1000
    # Speech fills the clip: most 100 ms windows carry sound.
    loud = envelope(speech, 0.1) > 300
    assert loud.mean() > 0.7


def test_faster_rate_gives_shorter_speech(tts: EspeakTts) -> None:
    durations = [tts.synthesize(SENTENCE, Voice(rate=rate)).duration_s for rate in (80, 120, 175, 260, 450)]
    assert durations == sorted(durations, reverse=True)
    assert len(set(durations)) == len(durations)
    assert durations[0] / durations[2] > 1.5  # 80 vs 175 words/min


def test_higher_pitch_raises_the_fundamental(tts: EspeakTts) -> None:
    low, mid, high = (median_f0(tts.synthesize(SENTENCE, Voice(pitch=p))) for p in (10, 50, 90))
    assert 60 < low < mid < high < 400
    assert high / low > 1.3


def test_word_marks_are_increasing_and_cover_the_words(tts: EspeakTts) -> None:
    speech = tts.synthesize(SENTENCE, Voice())
    assert [mark.word(SENTENCE) for mark in speech.words] == SENTENCE.rstrip(".").split()
    starts = [mark.start_s for mark in speech.words]
    assert starts[0] < 0.1
    assert all(b > a for a, b in itertools.pairwise(starts))
    assert starts[-1] < speech.duration_s - 0.1
    # Each word's audio is not silent: the mark points at speech, not at a pause before it.
    env = envelope(speech)
    for mark in speech.words:
        frame = int(mark.start_s / 0.01)
        assert env[frame : frame + 15].max() > 300, mark


def test_slower_speech_moves_the_word_marks_later(tts: EspeakTts) -> None:
    slow = tts.synthesize(SENTENCE, Voice(rate=100)).words
    fast = tts.synthesize(SENTENCE, Voice(rate=300)).words
    assert [m.text_offset for m in slow] == [m.text_offset for m in fast]
    assert slow[-1].start_s > 2 * fast[-1].start_s


@pytest.mark.parametrize(
    "text", ["naïve café façade", "Ünïcödé wörds straße", "Tab\tand\nnewline here", "x\x00y and z"]
)
def test_word_offsets_index_the_python_string(tts: EspeakTts, text: str) -> None:
    speech = tts.synthesize(text, Voice())
    expected = text.replace("\x00", " ").split()
    assert [mark.word(text).replace("\x00", " ") for mark in speech.words] == expected


def test_lone_surrogate_does_not_break_synthesis(tts: EspeakTts) -> None:
    text = "hello \ud800 world"
    speech = tts.synthesize(text, Voice())
    assert speech.duration_s > 0.3
    assert speech.words[0].word(text) == "hello"
    assert speech.words[-1].word(text) == "world"


def test_parallel_calls_match_serial_calls(tts: EspeakTts) -> None:
    jobs = [
        (SENTENCE, Voice()),
        (PLAIN, Voice(rate=120, pitch=30)),
        ("The quick brown fox jumps over the lazy dog.", Voice(rate=300, pitch=80)),
        ("Can you walk me through your last role?", Voice(name="en-us+f3")),
    ] * 6
    serial = [tts.synthesize(text, voice) for text, voice in jobs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(lambda job: tts.synthesize(*job), jobs))
    for (text, voice), want, got in zip(jobs, serial, parallel, strict=True):
        assert similar(want, got), (text, voice)


def test_instances_do_not_leak_settings_into_each_other() -> None:
    slow_engine, fast_engine = EspeakTts(), EspeakTts()
    slow_voice, fast_voice = Voice(rate=90, pitch=20), Voice(rate=400, pitch=90)
    slow = slow_engine.synthesize(SENTENCE, slow_voice)
    fast = fast_engine.synthesize(SENTENCE, fast_voice)
    with ThreadPoolExecutor(max_workers=6) as pool:
        slow_runs = [pool.submit(slow_engine.synthesize, SENTENCE, slow_voice) for _ in range(6)]
        fast_runs = [pool.submit(fast_engine.synthesize, SENTENCE, fast_voice) for _ in range(6)]
        assert all(similar(slow, run.result()) for run in slow_runs)
        assert all(similar(fast, run.result()) for run in fast_runs)
    assert slow.duration_s > 2.5 * fast.duration_s


@pytest.mark.parametrize("name", ["xx-nope", "martian", "en-gb-nowhere"])
def test_unknown_voice_is_a_value_error(tts: EspeakTts, name: str) -> None:
    with pytest.raises(ValueError, match=f"unknown eSpeak voice '{name}'"):
        tts.synthesize("hello", Voice(name=name))
    # The failure leaves the engine usable.
    assert tts.synthesize("hello", Voice()).duration_s > 0.2


@pytest.mark.parametrize("name", ["../../etc/passwd", "en/us", "en-us+", "en-us+../f3", "en\x00us", "."])
def test_malformed_voice_name_is_a_value_error(tts: EspeakTts, name: str) -> None:
    with pytest.raises(ValueError, match="invalid eSpeak voice name"):
        tts.synthesize("hello", Voice(name=name))


def test_unknown_variant_is_a_value_error(tts: EspeakTts) -> None:
    # eSpeak itself would quietly ignore the variant and speak in the plain voice.
    with pytest.raises(ValueError, match="unknown eSpeak voice variant 'nope'"):
        tts.synthesize("hello", Voice(name="en-us+nope"))


def test_voice_variant_changes_the_voice(tts: EspeakTts) -> None:
    male = tts.synthesize(SENTENCE, Voice(name="en-us"))
    female = tts.synthesize(SENTENCE, Voice(name="en-us+f3"))
    assert median_f0(female) > 1.3 * median_f0(male)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"rate": 79}, ValueError),
        ({"rate": 451}, ValueError),
        ({"pitch": -1}, ValueError),
        ({"pitch": 101}, ValueError),
        ({"name": " "}, ValueError),
        ({"rate": 175.0}, TypeError),
        ({"pitch": True}, TypeError),
    ],
)
def test_voice_rejects_values_out_of_range(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        Voice(**kwargs)  # type: ignore[arg-type]


def test_markup_is_spoken_as_text(tts: EspeakTts) -> None:
    plain = tts.synthesize(PLAIN, Voice())
    tagged_text = "Tell me <b>about</b> yourself."
    tagged = tts.synthesize(tagged_text, Voice())
    # The tags are read out, not dropped: more audio and extra words where they are.
    assert tagged.duration_s > plain.duration_s + 0.3
    assert len(tagged.words) > len(plain.words)
    assert any(mark.text_offset == tagged_text.index("b>") for mark in tagged.words)


def test_ssml_break_is_not_obeyed(tts: EspeakTts) -> None:
    text = 'Tell me <break time="3s"/> about yourself.'
    speech = tts.synthesize(text, Voice())
    heard = [mark.word(text) for mark in speech.words]
    assert "break" in heard
    assert "time" in heard
    # With SSML there would be a 3 s pause before "about"; read literally there is no pause that long.
    starts = [mark.start_s for mark in speech.words]
    assert max(b - a for a, b in itertools.pairwise(starts)) < 1.0


def test_entities_and_phoneme_escapes_are_literal(tts: EspeakTts) -> None:
    entity = "salt &amp; pepper"
    heard = [mark.word(entity) for mark in tts.synthesize(entity, Voice()).words]
    assert "amp" in heard  # an SSML reader would have turned "&amp;" into "&"
    escape = "say [[h@'loU]] now"
    speech = tts.synthesize(escape, Voice())
    assert speech.words[-1].word(escape) == "now"
    assert speech.duration_s > tts.synthesize("say hello now", Voice()).duration_s


@pytest.mark.parametrize("text", ["", " ", "\n\t  \r\n", "\x00"])
def test_blank_text_gives_empty_speech(tts: EspeakTts, text: str) -> None:
    speech = tts.synthesize(text, Voice())
    assert speech == Speech(b"", ESPEAK_SAMPLE_RATE, ())
    assert speech.duration_s == 0.0


def test_blank_text_still_checks_the_voice(tts: EspeakTts) -> None:
    with pytest.raises(ValueError, match="unknown eSpeak voice"):
        tts.synthesize("", Voice(name="xx-nope"))


def test_synthesis_is_much_faster_than_real_time(tts: EspeakTts) -> None:
    text = " ".join([SENTENCE] * 5)
    tts.synthesize(text, Voice())  # warm caches
    started = time.perf_counter()
    speech = tts.synthesize(text, Voice())
    elapsed = time.perf_counter() - started
    # Measured about 0.001 on one core; 0.1 leaves room for a loaded CI machine.
    assert elapsed / speech.duration_s < 0.1


def test_speech_and_word_mark_values() -> None:
    speech = Speech(bytes(4410), 22050, (WordMark(0.0, 0, 5),))
    assert speech.num_samples == 2205
    assert speech.duration_s == pytest.approx(0.1)
    assert speech.words[0].text_end == 5
    assert speech.words[0].word("hello world") == "hello"
    with pytest.raises(ValueError, match="even"):
        Speech(b"\x00", 22050)
    with pytest.raises(ValueError, match="positive"):
        Speech(b"", 0)


# tests/speech.py


def test_synthesize_pads_and_resamples() -> None:
    pcm = synthesize(PLAIN, sample_rate=16000, lead_silence_s=0.3, trail_silence_s=0.5)
    native = EspeakTts().synthesize(PLAIN, Voice())
    expected = int(0.3 * 16000) + round(native.num_samples * 16000 / 22050) + int(0.5 * 16000)
    assert abs(len(pcm) // 2 - expected) <= 32
    x = np.frombuffer(pcm, dtype="<i2")
    assert not x[: int(0.3 * 16000)].any()
    assert not x[-int(0.5 * 16000) :].any()
    assert rms(pcm) > 500


def test_resample_keeps_a_tone_in_tune() -> None:
    rate = 22050
    t = np.arange(rate) / rate
    tone = (8000 * np.sin(2 * np.pi * 440 * t)).astype("<i2").tobytes()
    out = np.frombuffer(resample(tone, rate, 16000), dtype="<i2").astype(np.float64)
    assert abs(len(out) - 16000) <= 32
    spectrum = np.abs(np.fft.rfft(out[:16000]))  # one second: 1 Hz bins
    assert abs(int(np.argmax(spectrum)) - 440) <= 2
    assert resample(tone, rate, rate) == tone


def test_wav_round_trip(tmp_path: Path) -> None:
    pcm = synthesize("hello", sample_rate=16000)
    write_wav(tmp_path / "a.wav", pcm, 16000)
    assert read_wav(tmp_path / "a.wav") == (pcm, 16000, 1)
    stereo = bytes(range(8)) * 10
    write_wav(tmp_path / "b.wav", stereo, 8000, channels=2)
    assert read_wav(tmp_path / "b.wav") == (stereo, 8000, 2)
    with pytest.raises(ValueError, match="whole number"):
        write_wav(tmp_path / "c.wav", b"\x00" * 6, 8000, channels=2)


def test_speech_wav_places_utterances_with_gaps(tmp_path: Path) -> None:
    texts = ["Hello, my name is Sam.", "I have five years of experience.", "Thank you."]
    spans = speech_wav(tmp_path / "fake.wav", texts, gap_s=1.2, lead_silence_s=0.5, trail_silence_s=1.0)
    pcm, rate, channels = read_wav(tmp_path / "fake.wav")
    assert (rate, channels) == (48000, 1)
    assert [span.text for span in spans] == texts
    assert spans[0].start_s == pytest.approx(0.5)
    for before, after in itertools.pairwise(spans):
        assert after.start_s - before.end_s == pytest.approx(1.2, abs=1e-3)
    assert len(pcm) / 2 / rate == pytest.approx(spans[-1].end_s + 1.0, abs=1e-3)

    def part(start: float, end: float) -> bytes:
        return pcm[2 * int(start * rate) : 2 * int(end * rate)]

    assert all(rms(part(s.start_s, s.end_s)) > 500 for s in spans)
    gaps = [SpokenSpan("", a.end_s + 0.01, b.start_s - 0.01) for a, b in itertools.pairwise(spans)]
    assert all(rms(part(g.start_s, g.end_s)) == 0 for g in gaps)


def test_speech_wav_stereo_duplicates_the_voice(tmp_path: Path) -> None:
    speech_wav(tmp_path / "s.wav", ["Hello there."], channels=2, sample_rate=16000)
    pcm, rate, channels = read_wav(tmp_path / "s.wav")
    assert (rate, channels) == (16000, 2)
    frames = np.frombuffer(pcm, dtype="<i2").reshape(-1, 2)
    assert np.array_equal(frames[:, 0], frames[:, 1])
    assert np.abs(frames).max() > 1000


def test_lead_silence_is_trimmed_to_a_short_ramp_and_word_marks_move_with_it() -> None:
    rate = 16000
    tone = (np.sin(np.arange(rate // 2) * 2 * np.pi * 220 / rate) * 8000).astype("<i2")
    hiss = np.full(960, 40, dtype="<i2")  # 60 ms of a quiet lead-in, below the level of any voice
    pcm = np.concatenate([hiss, tone]).tobytes()
    speech = Speech(pcm, rate, (WordMark(0.06, 0, 5), WordMark(0.30, 6, 4)))
    trimmed = speech.without_lead_silence(keep_s=0.01)
    out = np.frombuffer(trimmed.pcm, dtype="<i2")
    first_loud = int(np.flatnonzero(np.abs(out) > 200)[0])
    assert first_loud / rate == pytest.approx(0.01, abs=0.001)
    assert trimmed.duration_s == pytest.approx(speech.duration_s - 0.05, abs=0.001)
    assert [w.start_s for w in trimmed.words] == pytest.approx([0.01, 0.25], abs=0.001)
    assert trimmed.pcm.endswith(tone.tobytes())  # nothing of the voice is lost
    # Speech that starts at once, and silence, are left alone.
    assert tone_speech(tone, rate).without_lead_silence() == tone_speech(tone, rate)
    silent = Speech(bytes(3200), rate)
    assert silent.without_lead_silence() is silent


def tone_speech(tone: np.ndarray, rate: int) -> Speech:
    return Speech(tone.tobytes(), rate)


def test_espeak_lines_start_within_a_frame_once_trimmed(tts: EspeakTts) -> None:
    speech = tts.synthesize("Thanks, that's helpful.", Voice()).without_lead_silence()
    out = np.abs(samples(speech).astype(np.int32))
    assert int(np.flatnonzero(out > 200)[0]) / speech.sample_rate <= 0.02
