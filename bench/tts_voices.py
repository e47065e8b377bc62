"""The interviewer's voices compared: what each costs in CPU and latency, and how well it is understood.

For each voice (eSpeak NG; the Piper voice with 1 and with 2 onnxruntime threads), in a fresh child
process so that load times and memory are its own:

- real-time factor (synthesis wall time / audio duration) per typical interviewer line, median and p95
  over every line of every round, and with two sessions speaking at once (two threads, the 2-core box's
  width);
- CPU seconds per minute of speech (process CPU time, all threads);
- first audio for a typical two-sentence question, as the engine renders it (text to the 48 kHz and
  16 kHz `Utterance`, `engine.live.voice._render`): the first call of a process (the model loads then:
  what `IE_TTS__PRELOAD=false` costs the first session), then warm, for the whole text in one go and for
  its first sentence, which is what the speaker waits for since it renders sentence by sentence;
- resident memory the voice adds (RSS after loading and all the runs, minus before);
- word error rate of Whisper tiny.en (the project's recogniser) on each voice's lines.

    .venv/bin/python -m bench.tts_voices --rounds 5 --markdown docs/benchmarks.md

Offline: both voices and the recogniser ship in packages. About 3 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from bench.report import machine, pct, write_section

LINES = (
    "Hi, I'm Alex, and I'll be interviewing you today.",
    "Can you tell me about a project you're proud of?",
    "What was the hardest technical decision you made on that project?",
    "How did you measure whether it worked?",
    "Tell me about a time you disagreed with a teammate, and how you resolved it.",
    "What would you do differently if you started again?",
    "Could you give me a concrete example of that?",
    "Thanks, that's all my questions. Do you have any for me?",
)
QUESTION = (
    "Thanks, that's helpful. Can you tell me about a project you're proud of, and what you learned from it?"
)
FIRST_SENTENCE = "Thanks, that's helpful."

VOICES = {"espeak": ("espeak", 1), "piper": ("piper", 1), "piper-2t": ("piper", 2)}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z' ]+", " ", text.lower().replace("-", " ")).split())


def child(voice: str, rounds: int) -> dict[str, Any]:
    """Everything measured for one voice, in this (fresh) process."""
    from engine.live.voice import _render
    from media.espeak import EspeakTts
    from media.piper import PiperTts
    from media.tts import TextToSpeech, Voice

    engine_name, threads = VOICES[voice]
    default = Voice()
    rss_before = rss_mb()
    tts: TextToSpeech = EspeakTts() if engine_name == "espeak" else PiperTts(threads=threads)

    def timed(call: Callable[[], object]) -> float:
        started = time.perf_counter()
        call()
        return time.perf_counter() - started

    cold_ms = timed(lambda: _render(tts, FIRST_SENTENCE, default)) * 1000
    rtfs: list[float] = []
    cpu_s = audio_s = 0.0
    for _ in range(rounds):
        for line in LINES:
            cpu = time.process_time()
            started = time.perf_counter()
            speech = tts.synthesize(line, default)
            elapsed = time.perf_counter() - started
            cpu_s += time.process_time() - cpu
            audio_s += speech.duration_s
            rtfs.append(elapsed / speech.duration_s)

    def both_at_once(line: str) -> float:
        started = time.perf_counter()
        speech = tts.synthesize(line, default)
        return (time.perf_counter() - started) / speech.duration_s

    with ThreadPoolExecutor(max_workers=2) as pool:
        parallel = [rtf for _ in range(rounds) for rtf in pool.map(both_at_once, LINES)]
    whole = [timed(lambda: _render(tts, QUESTION, default)) * 1000 for _ in range(rounds * 2)]
    first = [timed(lambda: _render(tts, FIRST_SENTENCE, default)) * 1000 for _ in range(rounds * 2)]
    rss_added = rss_mb() - rss_before
    speeches = [tts.synthesize(line, default) for line in LINES]
    wpm = sum(len(line.split()) for line in LINES) / sum(s.duration_s for s in speeches) * 60

    import jiwer

    from media.asr import WHISPER_SAMPLE_RATE, WhisperRecognizer, pcm_to_float
    from media.asr_options import AsrOptions, bundled_model_path
    from media.audio import resample_pcm

    recognizer = WhisperRecognizer(AsrOptions(model=str(bundled_model_path())))
    audios = [pcm_to_float(resample_pcm(s.pcm, s.sample_rate, WHISPER_SAMPLE_RATE)) for s in speeches]
    heard = [r.text for r in recognizer.transcribe_batch(audios)]
    wer = float(jiwer.wer([normalise(x) for x in LINES], [normalise(h) or "<empty>" for h in heard]))

    def ms(values: list[float], q: float) -> float:
        return round(pct(values, q) or 0.0, 1)

    return {
        "voice": voice,
        "rtf_p50": round(statistics.median(rtfs), 4),
        "rtf_p95": round(pct(rtfs, 0.95) or 0.0, 4),
        "rtf_2_at_once_p50": round(statistics.median(parallel), 4),
        "rtf_2_at_once_p95": round(pct(parallel, 0.95) or 0.0, 4),
        "cpu_s_per_speech_min": round(cpu_s / audio_s * 60, 2),
        "first_audio_cold_ms": round(cold_ms, 1),
        "first_audio_whole_ms_p50": ms(whole, 0.5),
        "first_audio_whole_ms_p95": ms(whole, 0.95),
        "first_audio_sentence_ms_p50": ms(first, 0.5),
        "first_audio_sentence_ms_p95": ms(first, 0.95),
        "rss_added_mb": round(rss_added, 1),
        "words_per_min": round(wpm),
        "wer": round(wer, 3),
        "heard": heard,
    }


def markdown(results: list[dict[str, Any]], rounds: int, load: float) -> str:
    by = {r["voice"]: r for r in results}
    rows = [
        "| voice | RTF p50 / p95 | RTF, 2 at once p50 / p95 | CPU s per min of speech | first audio: cold | "
        "whole question p50 / p95 (ms) | first sentence p50 / p95 (ms) | RSS added (MB) | WER |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rows.append(
            f"| {r['voice']} | {r['rtf_p50']} / {r['rtf_p95']} | {r['rtf_2_at_once_p50']} / "
            f"{r['rtf_2_at_once_p95']} | {r['cpu_s_per_speech_min']} | {r['first_audio_cold_ms']:.0f} | "
            f"{r['first_audio_whole_ms_p50']} / {r['first_audio_whole_ms_p95']} | "
            f"{r['first_audio_sentence_ms_p50']} / {r['first_audio_sentence_ms_p95']} | "
            f"{r['rss_added_mb']} | {r['wer']} |"
        )
    ratio = ""
    if "piper" in by and "espeak" in by:
        piper, espeak = by["piper"], by["espeak"]
        ratio = (
            f" Piper costs {piper['cpu_s_per_speech_min'] / max(espeak['cpu_s_per_speech_min'], 0.01):.0f}x "
            f"eSpeak's CPU per minute of speech ({piper['cpu_s_per_speech_min']} s, i.e. "
            f"{piper['cpu_s_per_speech_min'] / 60:.0%} of one core while the interviewer talks) and its "
            f"first sentence is ready {piper['first_audio_sentence_ms_p50'] / max(espeak['first_audio_sentence_ms_p50'], 0.1):.0f}x "
            f"later; Whisper's word error rate on it is {piper['wer']} against eSpeak's {espeak['wer']}. "
            "Rendering sentence by sentence makes Piper's first audio "
            f"{piper['first_audio_whole_ms_p50'] / max(piper['first_audio_sentence_ms_p50'], 0.1):.1f}x sooner "
            "than rendering the whole question; pre-synthesis at start-up (IE_TTS__PRELOAD, the default) "
            f"saves the first session {piper['first_audio_cold_ms'] - piper['first_audio_sentence_ms_p50']:.0f} ms."
        )
    return "\n".join(
        [
            "## Text to speech: the interviewer's voices",
            "",
            f"Machine: {machine()}, shared with other jobs (load average {load:.1f} at the start). Measured "
            f"{date.today().isoformat()} with `python -m bench.tts_voices "
            f"--rounds {rounds}` (each voice in its own process; {len(LINES)} typical interviewer lines of "
            "1.5-4.5 s, "
            f"{rounds} rounds; 'piper-2t' is IE_TTS__THREADS=2). RTF is synthesis time / audio time per "
            "line. First audio is the time to turn the text into the engine's `Utterance` (synthesis and "
            f"resampling to 48 and 16 kHz) for the question '{QUESTION}': 'cold' is the first call of a "
            "process (loading the model: what IE_TTS__PRELOAD=false costs the first session), 'whole "
            "question' renders both sentences before playing, 'first sentence' is what the speaker waits "
            "for, since it renders and queues one sentence at a time. WER: Whisper tiny.en on the lines.",
            "",
            *rows,
            "",
            "Speaking rate at the default 175 words/min: "
            + ", ".join(f"{r['voice']} {r['words_per_min']} words/min of these lines" for r in results)
            + "."
            + ratio,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--voices", default=",".join(VOICES))
    parser.add_argument("--child", choices=list(VOICES), help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, default=Path("bench/results/tts_voices.json"))
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.rounds)))
        return
    load = os.getloadavg()[0]
    results = []
    for voice in [v for v in args.voices.split(",") if v]:
        out = subprocess.run(
            [sys.executable, "-m", "bench.tts_voices", "--child", voice, "--rounds", str(args.rounds)],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps(result), flush=True)
        results.append(result)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": machine(), "results": results}, indent=2) + "\n")
    if args.markdown:
        write_section(args.markdown, markdown(results, args.rounds, load))
    print(markdown(results, args.rounds, load))


if __name__ == "__main__":
    main()
