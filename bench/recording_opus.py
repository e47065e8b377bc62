"""Recordings transcoded to Opus (media.transcode): size, CPU and fidelity per bitrate.

An interview-like stereo recording at 16 kHz is built from the Piper voice: the interviewer's lines on the
right channel, the candidate's (the same voice, slower and lower, over a -60 dBFS noise floor like a
microphone's) on the left, in turns with pauses, for `--minutes` minutes. For each bitrate, `--rounds`
transcodes of the whole file report (medians):

- size ratio (WAV bytes / Opus bytes) and kbit/s actually spent;
- CPU seconds per recorded minute (this process's CPU time: the transcode runs on one thread);
- the lag of the decoded Opus against the WAV, by cross-correlation, in the first and last 30 s of
  each channel (what the review page's transcript sync depends on);
- crosstalk: the level decoded in one channel where its own speaker is silent and the other speaks,
  relative to the other speaker's level (a stereo codec short of bits mixes the two voices).

    .venv/bin/python -m bench.recording_opus --minutes 10 --rounds 3 --markdown docs/benchmarks.md

Offline (the voice ships in a package). About a minute on 2 cores for 10 minutes of audio.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import wave
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bench.report import machine, write_section
from media.audio import resample_pcm
from media.piper import PiperTts
from media.transcode import decode_opus, transcode_wav_to_opus
from media.tts import Voice

RATE = 16_000
INTERVIEWER = (
    "Thanks for joining today. Could you walk me through a project you are proud of?",
    "What was the hardest technical decision in that project, and how did you make it?",
    "How did you measure whether the change actually worked once it was in production?",
    "Tell me about a time you disagreed with a colleague. What happened next?",
)
CANDIDATE = (
    "Sure. Last year I rebuilt our billing pipeline, which processed about two million invoices a month.",
    "The hardest part was moving from nightly batches to an event stream without double charging anyone.",
    "We compared the ledgers every hour for a month, and the mismatches went from dozens to zero.",
    "We argued about the database schema, so we wrote both versions and benchmarked them together.",
)


def speech_clips() -> tuple[list[npt.NDArray[np.int16]], list[npt.NDArray[np.int16]]]:
    tts = PiperTts()
    interviewer = [
        np.frombuffer(resample_pcm(tts.synthesize(text).pcm, tts.sample_rate, RATE), "<i2")
        for text in INTERVIEWER
    ]
    slow = Voice(rate=150, pitch=35)
    candidate = [
        np.frombuffer(resample_pcm(tts.synthesize(text, slow).pcm, tts.sample_rate, RATE), "<i2")
        for text in CANDIDATE
    ]
    return interviewer, candidate


def interview(minutes: float, seed: int = 7) -> npt.NDArray[np.int16]:
    """(frames, 2) int16: left the candidate over a noise floor, right the interviewer, in turns."""
    interviewer, candidate = speech_clips()
    rng = np.random.default_rng(seed)
    frames = int(minutes * 60 * RATE)
    left = rng.normal(0.0, 32768 * 10 ** (-60 / 20), frames)  # the candidate's microphone floor
    right = np.zeros(frames)
    position, turn = int(0.5 * RATE), 0
    while position < frames:
        line = interviewer[turn % len(interviewer)]
        end = min(frames, position + len(line))
        right[position:end] += line[: end - position]
        position = end + int(rng.uniform(0.4, 1.5) * RATE)
        answer = candidate[turn % len(candidate)]
        for _ in range(int(rng.integers(1, 4))):  # an answer is a few sentences long
            if position >= frames:
                break
            end = min(frames, position + len(answer))
            left[position:end] += answer[: end - position]
            position = end + int(rng.uniform(0.2, 0.8) * RATE)
        position += int(rng.uniform(0.3, 1.2) * RATE)
        turn += 1
    return np.clip(np.stack([left, right], axis=1), -32768, 32767).astype(np.int16)


def write_wav(path: Path, pcm: npt.NDArray[np.int16]) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.astype("<i2").tobytes())


def lag_ms(
    reference: npt.NDArray[np.int16], decoded: npt.NDArray[np.int16], start: int, length: int
) -> float:
    """The shift (ms) that best lines `decoded` up with `reference` over [start, start + length)."""
    span = 160  # +-10 ms searched
    ref = reference[start : start + length].astype(np.float64)
    best, best_lag = -np.inf, 0
    for lag in range(-span, span + 1):
        if start + lag < 0 or start + lag + length > len(decoded):
            continue
        score = float(np.dot(ref, decoded[start + lag : start + lag + length].astype(np.float64)))
        if score > best:
            best, best_lag = score, lag
    return 1000 * best_lag / RATE


def crosstalk_db(original: npt.NDArray[np.int16], decoded: npt.NDArray[np.int16]) -> float:
    """Decoded level in the interviewer's channel where only the candidate speaks, against the
    candidate's level there (dB; lower is better)."""
    candidate = np.abs(original[:, 0].astype(np.float64)) > 300
    silent = original[:, 1] == 0
    where = candidate & silent
    leak = np.sqrt(np.mean(decoded[where, 1].astype(np.float64) ** 2)) + 1e-9
    level = np.sqrt(np.mean(original[where, 0].astype(np.float64) ** 2)) + 1e-9
    return float(20 * np.log10(leak / level))


def measure(pcm: npt.NDArray[np.int16], bitrate: int, rounds: int, work: Path) -> dict[str, float]:
    wav, opus = work / "in.wav", work / "out.opus"
    write_wav(wav, pcm)
    minutes = len(pcm) / RATE / 60
    cpu: list[float] = []
    ratio = 0.0
    for _ in range(rounds):
        started = time.process_time()
        result = transcode_wav_to_opus(wav, opus, bitrate=bitrate)
        cpu.append((time.process_time() - started) / minutes)
        ratio = result.ratio
    decoded = decode_opus(opus, RATE)
    window = 30 * RATE
    lags = [
        lag_ms(pcm[:, channel], decoded[:, channel], start, window)
        for channel in (0, 1)
        for start in (0, len(pcm) - window)
    ]
    return {
        "ratio": ratio,
        "kbps": opus.stat().st_size * 8 / (len(pcm) / RATE) / 1000,
        "cpu_per_min": statistics.median(cpu),
        "max_lag_ms": max(abs(x) for x in lags),
        "frames_diff": float(len(decoded) - len(pcm)),
        "crosstalk_db": crosstalk_db(pcm, decoded),
    }


def section(minutes: float, rounds: int, rows: dict[int, dict[str, float]]) -> str:
    lines = [
        "## Recordings as Opus",
        "",
        f"{date.today().isoformat()} with `python -m bench.recording_opus --minutes {minutes:g} --rounds "
        f"{rounds}` on {machine()}. A {minutes:g}-minute interview-like stereo recording at 16 kHz (Piper "
        "speech in turns: interviewer right, candidate left over a -60 dBFS noise floor) transcoded by "
        "`media.transcode` (libopus through PyAV, VBR, `voip`, 20 ms frames); medians of "
        f"{rounds} runs. The WAV is 512 kbit/s.",
        "",
        "| bitrate | size ratio | kbit/s spent | CPU s per recorded minute | max lag (ms) | length diff "
        "(samples) | crosstalk (dB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for bitrate, row in rows.items():
        lines.append(
            f"| {bitrate // 1000} kbit/s | {row['ratio']:.1f}x | {row['kbps']:.1f} | {row['cpu_per_min']:.2f} "
            f"| {row['max_lag_ms']:.2f} | {row['frames_diff']:+.0f} | {row['crosstalk_db']:.1f} |"
        )
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bitrates", default="16000,24000,32000")
    parser.add_argument("--markdown", type=Path, help="write the section into this file")
    args = parser.parse_args()
    pcm = interview(args.minutes)
    rows: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as work:
        for bitrate in (int(b) for b in args.bitrates.split(",") if b):
            rows[bitrate] = measure(pcm, bitrate, args.rounds, Path(work))
            print(bitrate, {k: round(v, 3) for k, v in rows[bitrate].items()}, flush=True)
    text = section(args.minutes, args.rounds, rows)
    print(text)
    if args.markdown:
        write_section(args.markdown, text)


if __name__ == "__main__":
    main()
