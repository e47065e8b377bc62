"""Does batching utterances make Whisper cheaper per utterance on CPU? Do shorter windows keep accuracy?

Run: `.venv/bin/python bench/asr_batching.py [--part batching|windows|all] [--reps N] [--threads N]`
(about 10 minutes for all on 2 cores; offline: speech is synthesised with eSpeak NG from
`espeakng_loader`, the model is the bundled tiny.en).

Measured 2026-11-22 on the 2-core CPU box (shared with other jobs, so single runs vary by 10-20%; these
are best of 8 interleaved rounds, median alongside), bundled tiny.en, int8, greedy, 2 intra-op threads,
eSpeak NG speech of 2-7 s. "same text" compares with faster-whisper's own transcribe() on each utterance.

Batching (8 utterances of 2.0-3.1 s):

    condition                                        ms/utterance (median)   same text
    sequential WhisperModel.transcribe()                  273 (279)            8/8
    transcribe_batch, decode_batch=1, 30 s window         228 (231)            8/8
    transcribe_batch, decode_batch=2, 30 s window         221 (222)            8/8
    transcribe_batch, decode_batch=4, 30 s window         207 (214)            8/8
    transcribe_batch, decode_batch=8, 30 s window         203 (210)            8/8
    transcribe_batch, decode_batch=1, 20 s window         115 (119)            7/8
    transcribe_batch, decode_batch=4, 20 s window          93  (97)            7/8
    decode_batch=1, 30 s window, 1 thread instead of 2    317 (322)            8/8

    encoder/decoder split, ms/utterance (raw CTranslate2 calls, 30 s windows):
    batch 1:                              encode 151 + decode 58 = 209
    batch 2: encoder batched / single:    encode 148 / 152 + decode 49 = 197 / 202
    batch 4: encoder batched / single:    encode 186 / 153 + decode 40 = 227 / 193
    batch 8: encoder batched / single:    encode 204 / 153 + decode 48 = 252 / 201
    (identical tokens in every case)

So batching barely pays on this CPU. The encoder is ~75% of the cost, and a batched encoder call gets
*dearer* per window from batch 4 on (its attention working set outgrows the caches); only the decoder
gains (58 -> 40 ms at 4, no further at 8). `WhisperRecognizer` therefore encodes window by window and
decodes in batches of 4: ~8-10% cheaper than one by one with a 30 s window, ~19% with a 20 s window
(where the decoder is a larger share). Every result of a batch waits for the whole batch, so it is a
throughput-for-latency trade that the scheduler only makes when jobs queue up. Skipping transcribe()'s
per-call overhead alone is worth another ~45 ms per utterance.

Shorter windows. `transcribe(chunk_length=...)` does not shorten the encoder input (each chunk is still
padded to 30 s), so it saves nothing; at 5 s it also splits utterances and loses accuracy. Passing the
encoder fewer frames (CTranslate2 accepts them) does cut the cost. Utterances longer than half the window
still get the full 30 s:

    clean speech, 36 utterances of 2.0-7.3 s         ms/utt   WER    same text as transcribe()
    sequential transcribe()                            276    0.093   36/36
    transcribe(chunk_length=10)                        288    0.093   36/36
    transcribe(chunk_length=5)                         300    0.112   32/36
    transcribe_batch, window 30 s                      210    0.093   36/36
    transcribe_batch, window 20 s                       92    0.093   29/36
    transcribe_batch, window 15 s                       74    0.088   27/36
    transcribe_batch, window 10 s                       76    0.101   25/36
    transcribe_batch, window 6 s                       181    0.149   27/36

    other voices and rates (130-220 wpm), white noise at 15 dB SNR, 48 utterances of 2.2-4.7 s:
    window 30 s: 212 ms/utt, WER 0.286; 20 s: 97, 0.282; 15 s: 75, 0.268; 10 s: 56, 0.244; 6 s: 184, 0.284
    (repeat runs move these WERs by about 0.02)

    non-speech (silence, noise, hum, clicks, 0.5-3 s; 24 clips): no text at any window, once text
    without a letter or digit counts as none (at 15-20 s pure digital silence otherwise gives ".").

The default is a 20 s window: 2.3x cheaper than 30 s with the same accuracy on everything above.
At 6 s the decoder is slower and accuracy drops. Caveat: all of this is synthetic speech;
`AsrOptions(window_s=30)` restores exactly what transcribe() does.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from media.asr import WHISPER_SAMPLE_RATE, FloatAudio, WhisperRecognizer, pcm_to_float
from media.asr_options import AsrOptions, bundled_model_path
from media.audio import resample_pcm
from media.espeak import EspeakTts
from media.tts import Voice

# Interview-like sentences of 2-5 s; no digits or spelling variants, so WER measures recognition only.
SENTENCES = (
    "Please tell me about your last project.",
    "I worked on a distributed database for three years.",
    "What was the hardest bug you ever fixed?",
    "We measured the latency of every request.",
    "Can you describe a time you disagreed with your manager?",
    "My main language is Python but I also write some Go.",
    "How do you make sure your code is easy to test?",
    "The service crashed every night until we found the memory leak.",
    "I would start by asking the customer what problem they have.",
    "Our team moved the whole billing system to the cloud.",
    "Why do you want to leave your current job?",
    "I like working with people who explain their decisions.",
    "We wrote integration tests before changing the payment code.",
    "Tell me how you would design a simple chat application.",
    "The biggest risk was losing data during the migration.",
    "I usually review pull requests in the morning.",
)
VOICES = (("en-us", 175), ("en", 160))


class _Espeak:
    """Test speech from the media plane's own eSpeak NG engine, as float32 mono 16 kHz."""

    def __init__(self) -> None:
        self._tts = EspeakTts()

    def say(self, text: str, voice: str = "en-us", rate: int = 175) -> FloatAudio:
        speech = self._tts.synthesize(text, Voice(name=voice, rate=rate))
        audio: FloatAudio = pcm_to_float(resample_pcm(speech.pcm, speech.sample_rate, WHISPER_SAMPLE_RATE))
        return audio


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z' ]+", " ", text.lower().replace("-", " ")).split())


def wer(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    import jiwer

    return float(
        jiwer.wer([normalise(r) for r in references], [normalise(h) or "<empty>" for h in hypotheses])
    )


Runner = Callable[[], list[str]]


def run_round_robin(conditions: dict[str, Runner], reps: int) -> dict[str, tuple[list[float], list[str]]]:
    """Every condition once per round, `reps` rounds: load from other processes hits all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in conditions}
    texts: dict[str, list[str]] = {}
    for name, fn in conditions.items():
        texts[name] = fn()  # warm-up pass, also the texts we score
    for _ in range(reps):
        for name, fn in conditions.items():
            started = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - started)
    return {name: (times[name], texts[name]) for name in conditions}


def report(results: dict[str, tuple[list[float], list[str]]], refs: Sequence[str], reference: str) -> None:
    n = len(refs)
    expected = results[reference][1]
    for name, (times, texts) in results.items():
        same = sum(a == b for a, b in zip(texts, expected, strict=True))
        runaway = sum(
            len(normalise(t).split()) > 2 * len(normalise(r).split())
            for r, t in zip(refs, texts, strict=True)
        )
        print(
            f"{name:52s} {min(times) / n * 1000:4.0f} ms/utt (median {statistics.median(times) / n * 1000:4.0f})"
            f"  WER {wer(refs, texts):.3f}  same text {same}/{n}  runaway {runaway}"
        )


def split_costs(recognizer: WhisperRecognizer, audios: Sequence[FloatAudio], reps: int) -> None:
    """Encoder and decoder time per utterance by batch size, raw CTranslate2 calls in interleaved rounds:
    the encoder run on the whole batch at once, or window by window (then the outputs are stacked for one
    batched decode, which is what `WhisperRecognizer` does on CPU)."""
    import ctranslate2
    from faster_whisper.audio import pad_or_trim

    whisper = recognizer._model.model
    windows = [pad_or_trim(recognizer._model.feature_extractor(a)[:, :-1]) for a in audios]
    sizes = [size for size in (1, 2, 4, 8) if size <= len(windows)]
    inf = float("inf")
    best = {(size, mode): [inf, inf] for size in sizes for mode in ("batched", "single")}
    tokens: dict[tuple[int, str], list[list[int]]] = {}
    for _ in range(reps):
        for size in sizes:
            for mode in ("batched", "single") if size > 1 else ("batched",):
                encode_s = decode_s = 0.0
                out: list[list[int]] = []
                count = len(windows) - len(windows) % size
                for start in range(0, count, size):
                    batch = np.ascontiguousarray(np.stack(windows[start : start + size]))
                    t0 = time.perf_counter()
                    if mode == "batched":
                        encoded = whisper.encode(ctranslate2.StorageView.from_array(batch))
                    else:
                        parts = [
                            whisper.encode(ctranslate2.StorageView.from_array(batch[i : i + 1]))
                            for i in range(size)
                        ]
                        encoded = ctranslate2.StorageView.from_array(
                            np.concatenate([np.asarray(p) for p in parts])
                        )
                    t1 = time.perf_counter()
                    results = whisper.generate(
                        encoded,
                        [list(recognizer._prompt)] * size,
                        beam_size=1,
                        suppress_tokens=recognizer._suppress_tokens,
                    )
                    t2 = time.perf_counter()
                    out.extend(r.sequences_ids[0] for r in results)
                    encode_s += t1 - t0
                    decode_s += t2 - t1
                tokens[(size, mode)] = out
                cell = best[(size, mode)]
                cell[0] = min(cell[0], encode_s / count)
                cell[1] = min(cell[1], decode_s / count)
    for (size, mode), (encode_s, decode_s) in best.items():
        if encode_s == inf:
            continue
        same = tokens[(size, mode)] == tokens[(1, "batched")][: len(tokens[(size, mode)])]
        print(
            f"  batch {size}, encoder {mode:7s}: encode {encode_s * 1000:4.0f} + decode {decode_s * 1000:3.0f}"
            f" = {(encode_s + decode_s) * 1000:4.0f} ms/utt, same tokens as batch 1: {same}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--part", choices=("batching", "windows", "all"), default="all")
    parser.add_argument("--reps", type=int, default=0, help="timed rounds (default 8 batching, 2 windows)")
    parser.add_argument("--threads", type=int, default=0, help="intra-op threads; 0 = all cores")
    args = parser.parse_args()

    from faster_whisper import WhisperModel

    speech = _Espeak()
    refs: list[str] = []
    audios: list[FloatAudio] = []
    for voice, rate in VOICES:
        for sentence in SENTENCES:
            refs.append(sentence)
            audios.append(speech.say(sentence, voice, rate))
    # A few 5-8 s utterances, so the window experiments also see speech filling half a short window.
    for first, second in zip(SENTENCES[::4], SENTENCES[1::4], strict=True):
        refs.append(f"{first} {second}")
        audios.append(speech.say(f"{first} {second}", "en-us", 150))

    base = AsrOptions(model=str(bundled_model_path()), cpu_threads=args.threads)
    threads = base.threads_per_model
    print(f"intra-op threads: {threads}; times are best (and median) of the timed rounds")

    def transcribe_each(model: Any, subset: Sequence[FloatAudio], **kwargs: Any) -> Runner:
        def run() -> list[str]:
            out = []
            for audio in subset:
                segments, _ = model.transcribe(
                    audio,
                    language="en",
                    beam_size=1,
                    vad_filter=False,
                    without_timestamps=True,
                    condition_on_previous_text=False,
                    **kwargs,
                )
                out.append("".join(s.text for s in segments).strip())
            return out

        return run

    def batched(subset: Sequence[FloatAudio], **options: Any) -> Runner:
        recognizer = WhisperRecognizer(replace(base, **options))
        return lambda: [r.text for r in recognizer.transcribe_batch(subset)]

    def describe(subset: Sequence[FloatAudio]) -> str:
        seconds = [len(a) / WHISPER_SAMPLE_RATE for a in subset]
        return f"{len(subset)} utterances of {min(seconds):.1f}-{max(seconds):.1f} s"

    model: Any = WhisperModel(base.model, device="cpu", compute_type="int8", cpu_threads=threads)
    if args.part in ("batching", "all"):
        reps = args.reps or 8
        subset, subset_refs = audios[:8], refs[:8]
        print(f"\n== batching: {describe(subset)}, {reps} rounds ==")
        conditions: dict[str, Runner] = {"sequential transcribe()": transcribe_each(model, subset)}
        for batch in (1, 2, 4, 8):
            conditions[f"transcribe_batch, decode_batch={batch}, window 30"] = batched(
                subset, decode_batch=batch, window_s=30.0
            )
        for batch in (1, 4):
            conditions[f"transcribe_batch, decode_batch={batch}, window 20"] = batched(
                subset, decode_batch=batch
            )
        if threads > 1:
            conditions["transcribe_batch, decode_batch=1, window 30, 1 thread"] = batched(
                subset, decode_batch=1, window_s=30.0, cpu_threads=1
            )
        report(run_round_robin(conditions, reps), subset_refs, "sequential transcribe()")
        print("encoder/decoder split:")
        split_costs(WhisperRecognizer(replace(base, window_s=30.0)), subset, reps)

    if args.part in ("windows", "all"):
        reps = args.reps or 2
        print(f"\n== windows, clean speech: {describe(audios)}, {reps} rounds ==")
        conditions = {"sequential transcribe()": transcribe_each(model, audios)}
        # chunk_length only changes where transcribe() cuts long audio; every window is still padded to
        # 30 s. It also mutates the feature extractor it is given, so each value gets its own model.
        for chunk_length in (10, 5):
            chunked: Any = WhisperModel(base.model, device="cpu", compute_type="int8", cpu_threads=threads)
            conditions[f"transcribe(chunk_length={chunk_length})"] = transcribe_each(
                chunked, audios, chunk_length=chunk_length
            )
        # A shorter encoder input (CTranslate2 takes fewer than 3000 frames) is what really cuts the cost.
        for window in WINDOWS:
            conditions[f"transcribe_batch, window_s={window:.0f}"] = batched(audios, window_s=window)
        report(run_round_robin(conditions, reps), refs, "sequential transcribe()")

        noisy, noisy_refs = noisy_speech(speech)
        print(
            f"\n== windows, other voices and rates + white noise at 15 dB SNR: {describe(noisy)}, 1 round =="
        )
        conditions = {f"transcribe_batch, window_s={w:.0f}": batched(noisy, window_s=w) for w in WINDOWS}
        report(run_round_robin(conditions, 1), noisy_refs, "transcribe_batch, window_s=30")

        print("\n== windows, non-speech (silence, noise, hum, clicks; 0.5-3 s): utterances given any text ==")
        clips = non_speech()
        for window in WINDOWS:
            recognizer = WhisperRecognizer(replace(base, window_s=window))
            texts = [r.text for r in recognizer.transcribe_batch(clips)]
            print(
                f"window_s={window:.0f}: {sum(bool(t) for t in texts)}/{len(clips)} {[t for t in texts if t]}"
            )


WINDOWS = (30.0, 20.0, 15.0, 10.0, 6.0)


def noisy_speech(speech: _Espeak) -> tuple[list[FloatAudio], list[str]]:
    rng = np.random.default_rng(0)
    audios: list[FloatAudio] = []
    refs: list[str] = []
    for voice, rate in (("en-us", 220), ("en", 130), ("en-us+f3", 175)):
        for sentence in SENTENCES:
            pad = np.zeros(WHISPER_SAMPLE_RATE // 4, np.float32)
            clean = np.concatenate([pad, speech.say(sentence, voice, rate), pad])
            noise_rms = np.sqrt(np.mean(clean**2) / 10 ** (15 / 10))
            audios.append((clean + rng.normal(0, noise_rms, len(clean))).astype(np.float32))
            refs.append(sentence)
    return audios, refs


def non_speech() -> list[FloatAudio]:
    rng = np.random.default_rng(1)
    clips: list[FloatAudio] = []
    for seconds in (0.5, 1.0, 2.0, 3.0):
        n = int(WHISPER_SAMPLE_RATE * seconds)
        t = np.arange(n) / WHISPER_SAMPLE_RATE
        clicks = np.zeros(n)
        clicks[:: WHISPER_SAMPLE_RATE // 4] = 0.8
        brown = np.cumsum(rng.normal(0, 1, n))
        brown = (brown - brown.mean()) / (np.abs(brown - brown.mean()).max() + 1e-9) * 0.1
        for clip in (
            np.zeros(n),
            rng.normal(0, 0.01, n),
            rng.normal(0, 0.1, n),
            0.1 * np.sin(2 * np.pi * 100 * t),
            clicks,
            brown,
        ):
            clips.append(clip.astype(np.float32))
    return clips


if __name__ == "__main__":
    main()
