"""Turn-taking benchmark: does the interviewer reply soon after an answer ends, without taking the floor
when the candidate only pauses mid-sentence?

Each answer is two interview-style sentences, synthesised one sentence at a time, with two hesitation
pauses of 0.5-1.2 s spliced in mid-sentence at word boundaries (the audio before a pause is the start of
the sentence as the voice says it inside the sentence, cut at the TTS's word marks, so its prosody is
that of a speaker who is not done) and a shorter gap between the sentences; then 3 s of silence. A
faint noise floor (about -66 dBFS) stands in for a microphone's. The stream goes, frame by frame, through
the engine's own pieces: `Segmenter` (webrtcvad, the default VAD settings), `RecentAudio` and the Smart
Turn model, Whisper tiny.en (the bundled model) for each utterance's final, and the pure `TurnTaker`,
wired as `engine/live/session.py` wires them (a pause probe after `pause_ms`, the verdict to the turn
taker, a finished-sounding pause closing the utterance at the next frame, a verdict dropped when the
voice comes back). Time is simulated: each final arrives a fixed transcription delay after its utterance
ends (default 180 ms: the engine's VAD-end-to-final median at one session in the media benchmark above),
each verdict a fixed model delay after its pause starts (default 100 ms: the inference time measured
here, about 90 ms, plus a frame), so every setting sees the same audio and the same costs, the numbers do
not move with the load on a shared machine, and a run takes minutes. The real inference and
transcription times of the run are reported beside them.

Reported per voice and setting:

- false cut-ins: the share of mid-sentence pauses (and, apart, of sentence gaps) during which the
  interviewer would have taken the turn; after one, the turn taker starts afresh, so every pause counts;
- delay: from the end of the answer's last sound (last 10 ms frame above -45 dBFS) to the end of the
  turn, median and p95: the engine's endpointing, the part of the reply time that policy sets (a real
  call adds transcription queueing under load, reply generation, synthesis and the network).

    .venv/bin/python -m bench.turn_taking --voices espeak,piper --markdown docs/benchmarks.md

The voices are synthetic (eSpeak NG; Piper when installed): no human speech ships in a package we can
install. Smart Turn was trained on human (and some neural TTS) speech, so how it judges these voices is
part of what this measures, not a property of real candidates.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import machine, pct, write_section
from bench.turn_answers import RATE, Answer, answers, human_answers
from bench.turn_simulation import Costs, Outcome, Setting, simulate
from config.settings import AsrSettings
from media.asr import TimedWord, WhisperRecognizer
from media.asr_options import AsrOptions
from media.smart_turn import RecentAudio, SmartTurnModel
from media.tts import TextToSpeech

SECTION = "## Turn-taking: replying soon without cutting in"

THRESHOLDS = (0.3, 0.5, 0.7, 0.9)


SETTINGS = (
    Setting("silence and words, 250 ms (before)", smart=False),
    Setting("silence and words, 100 ms", smart=False, end_silence_s=0.10),
    Setting("silence and words, 600 ms", smart=False, end_silence_s=0.60),
    Setting("silence and words, 1000 ms", smart=False, end_silence_s=1.00),
    Setting("model 0.5, probe at 100 ms", smart=True),
    Setting("model 0.5, probe at 200 ms", smart=True, pause_ms=200),
    Setting("model 0.3, probe at 100 ms", smart=True, threshold=0.3),
    Setting("model 0.7, probe at 100 ms", smart=True, threshold=0.7),
    Setting("model 0.9, probe at 100 ms", smart=True, threshold=0.9),
    Setting("model 0.5, probe at 100 ms, hesitation 0.7 s", smart=True, hesitation_s=0.7),
    Setting("model 0.5, probe at 100 ms, confident silence 200 ms", smart=True, confident_silence_s=0.2),
    Setting("model 0.9, probe at 100 ms, hesitation 0.7 s", smart=True, threshold=0.9, hesitation_s=0.7),
    Setting("model 0.9, probe at 100 ms, hesitation 0.5 s", smart=True, threshold=0.9, hesitation_s=0.5),
    Setting("model 0.9, probe at 100 ms, second look at 400 ms", smart=True, threshold=0.9, reprobe_ms=400),
    Setting("model 0.9, probe at 100 ms, second look at 500 ms", smart=True, threshold=0.9, reprobe_ms=500),
    Setting("model 0.9, probe at 100 ms, second look at 700 ms", smart=True, threshold=0.9, reprobe_ms=700),
)

HUMAN = "Real people (recordings)"
DEFAULTS = SETTINGS[8]  # the engine's defaults (config/media_settings.py TurnSettings: threshold 0.9)
HALF = SETTINGS[4]  # the model's usual threshold, 0.5: the default until real speakers were measured

# -- the report ----------------------------------------------------------------------------------------


def summarise(setting: Setting, all_answers: list[Answer], outcomes: list[Outcome]) -> dict[str, Any]:
    hesitations = sum(1 for a in all_answers for g in a.gaps if g.kind == "hesitation")
    sentence_gaps = sum(1 for a in all_answers for g in a.gaps if g.kind == "sentence")
    cut_hes = sum(1 for o in outcomes for g in o.cut_ins if g.kind == "hesitation")
    cut_sen = sum(1 for o in outcomes for g in o.cut_ins if g.kind == "sentence")
    delays = [o.delay_s for o in outcomes if o.delay_s is not None]
    kinds = sorted(
        {g.kind for a in all_answers for g in a.gaps} | {g.kind for o in outcomes for g in o.cut_ins}
    )
    by_kind = {
        kind: {
            "pauses": sum(1 for a in all_answers for g in a.gaps if g.kind == kind),
            "cut_ins": sum(1 for o in outcomes for g in o.cut_ins if g.kind == kind),
        }
        for kind in kinds
    }
    return {
        **dataclasses.asdict(setting),
        "by_kind": by_kind,
        "hesitation_pauses": hesitations,
        "hesitation_cut_ins": cut_hes,
        "hesitation_cut_in_rate": round(cut_hes / hesitations, 3) if hesitations else None,
        "sentence_gaps": sentence_gaps,
        "sentence_gap_cut_ins": cut_sen,
        "second_looks": sum(o.second_looks for o in outcomes),
        "turn_ends": len(outcomes),
        "turn_ends_answered": len(delays),
        "delay_p50_ms": None if not delays else round(pct(delays, 0.5) * 1000),  # type: ignore[operator]
        "delay_p95_ms": None if not delays else round(pct(delays, 0.95) * 1000),  # type: ignore[operator]
        "within_800_ms": round(sum(d <= 0.8 for d in delays) / len(outcomes), 3) if outcomes else None,
        "delays_ms": [round(d * 1000) for d in delays],
    }


def model_separation(costs: Costs, outcomes_by_voice: list[Outcome], mid: list[float]) -> dict[str, Any]:
    at_end = [p for o in outcomes_by_voice for p in o.verdicts_at_end]
    pairs = [(e > m) + 0.5 * (e == m) for e in at_end for m in mid]
    return {
        "end_probability_median": round(statistics.median(at_end), 3) if at_end else None,
        "mid_probability_median": round(statistics.median(mid), 3) if mid else None,
        "auc": round(sum(pairs) / len(pairs), 3) if pairs else None,
        "end_pauses": len(at_end),
        "mid_pauses": len(mid),
        "finished_at_end": {str(t): share(at_end, t) for t in THRESHOLDS},
        "finished_mid_sentence": {str(t): share(mid, t) for t in THRESHOLDS},
        "end_probabilities": [round(p, 3) for p in at_end],
        "mid_probabilities": [round(p, 3) for p in mid],
    }


def share(values: list[float], threshold: float) -> float | None:
    return round(sum(v >= threshold for v in values) / len(values), 3) if values else None


def mid_sentence_probabilities(answer: Answer, costs: Costs, pause_ms: int) -> list[float]:
    """The model's probability at `pause_ms` into each hesitation pause (what a probe there hears)."""
    recent = RecentAudio()
    found = []
    starts = [round((g.start_s + pause_ms / 1000) * RATE) * 2 for g in answer.gaps if g.kind == "hesitation"]
    for end in starts:
        recent.clear()
        recent.push(answer.pcm[max(0, end - 8 * RATE * 2) : end])
        found.append(costs.probability(recent.snapshot()))
    return found


def markdown(report: dict[str, Any]) -> str:
    lines = [
        SECTION,
        "",
        f"Machine: {report['machine']}. Measured {report['date']} with `python -m bench.turn_taking` "
        f"({report['answers']} answers per synthetic voice, each two sentences with "
        f"{report['hesitations_per_voice']} mid-sentence hesitation pauses of 0.5-1.2 s in all and a 0.3-0.6 "
        "s gap between the sentences, and real people's recordings (their pauses as they come); "
        "the engine's VAD defaults, Whisper tiny.en for finals, Smart Turn v3.2 on one thread). Simulated "
        f"time: a final arrives {report['asr_delay_ms']} ms after its utterance ends and a verdict "
        f"{report['model_delay_ms']} ms after its pause starts. Measured in the same run: one Smart Turn "
        f"inference on 8 s, features included, one thread, p50 / p95 {report['model_p50_ms']} / "
        f"{report['model_p95_ms']} ms (best {report['model_min_ms']} ms); Whisper tiny.en per utterance, "
        f"{report['asr_p50_ms']} / {report['asr_p95_ms']} ms.",
        "",
        "| voice | setting | cut-ins on mid-sentence pauses | cut-ins on sentence gaps | delay p50 / p95 (ms) "
        "| replied within 0.8 s |",
        "|---|---|---|---|---|---|",
    ]
    for voice in report["voices"]:
        for row in voice["settings"]:
            rate = row["hesitation_cut_in_rate"]
            lines.append(
                f"| {voice['voice']} | {row['label']} | {row['hesitation_cut_ins']}/{row['hesitation_pauses']} "
                f"({rate * 100:.0f}%) | {row['sentence_gap_cut_ins']}/{row['sentence_gaps']} | "
                f"{row['delay_p50_ms']} / {row['delay_p95_ms']} | {row['within_800_ms'] * 100:.0f}% |"
            )
    lines += ["", "How well the model separates, per voice (its probability that the turn is complete):", ""]
    lines += [
        "| voice | at the answer's end: median, share >= 0.3 / 0.5 / 0.7 / 0.9 "
        "| 100 ms into a mid-sentence pause: median, share >= 0.3 / 0.5 / 0.7 / 0.9 | AUC |"
    ]
    lines += ["|---|---|---|---|"]
    for voice in report["voices"]:
        sep = voice["model"]
        at_end = " / ".join(f"{sep['finished_at_end'][str(t)] * 100:.0f}%" for t in THRESHOLDS)
        mid = " / ".join(f"{sep['finished_mid_sentence'][str(t)] * 100:.0f}%" for t in THRESHOLDS)
        lines.append(
            f"| {voice['voice']} | {sep['end_probability_median']}, {at_end} | "
            f"{sep['mid_probability_median']}, {mid} | {sep['auc']} |"
        )
    lines += ["", *reading(report), ""]
    return "\n".join(lines)


def reading(report: dict[str, Any]) -> list[str]:
    """What the tables say, with this run's numbers."""
    out = []
    for voice in report["voices"]:
        if voice["voice"] == HUMAN:
            out += [human_reading(voice), ""]
            continue
        rows = {row["label"]: row for row in voice["settings"]}
        before, now = rows[SETTINGS[0].label], rows[DEFAULTS.label]
        quiet = rows[SETTINGS[3].label]
        sep = voice["model"]
        out.append(
            f"**{voice['voice']}.** Before, the interviewer took the turn in "
            f"{before['hesitation_cut_in_rate'] * 100:.0f}% of the mid-sentence pauses: Whisper ends most "
            "fragments with a full stop, so the transcript looks finished once the VAD's 300 ms hangover and "
            f"the 250 ms turn silence have passed. With the defaults it is "
            f"{now['hesitation_cut_in_rate'] * 100:.0f}%, and the delay p50 / p95 goes from "
            f"{before['delay_p50_ms']} / {before['delay_p95_ms']} to {now['delay_p50_ms']} / "
            f"{now['delay_p95_ms']} ms: {sep['finished_at_end'][str(DEFAULTS.threshold)] * 100:.0f}% of the "
            "answers' ends "
            "sound finished to the model and get the fast path, the rest wait the 1 s hesitation after the "
            f"VAD's end. The model hears {sep['finished_mid_sentence'][str(DEFAULTS.threshold)] * 100:.0f}% of "
            f"the mid-sentence pauses as finished (AUC {sep['auc']}); at 0.5 the interviewer takes "
            f"{rows[HALF.label]['hesitation_cut_in_rate'] * 100:.0f}% of them. Sentence gaps of 0.3-0.6 s are cut into "
            f"{now['sentence_gap_cut_ins']}/{now['sentence_gaps']} times against "
            f"{before['sentence_gap_cut_ins']}/{before['sentence_gaps']} before. Silence alone reaches no "
            f"cut-ins only at about 1 s ({quiet['delay_p50_ms']} ms delay)."
        )
        out.append("")
    out += [*second_look_reading(report), ""]
    out.append(
        "No setting meets both targets (at most 5% of mid-sentence pauses, p50 at most 600 ms at the "
        "browser) on these voices, real or synthetic (0.9 on the real speakers comes closest, but with the "
        "1 s hesitation on almost half the turn ends). The delay here is the engine's endpointing only: a browser call adds "
        "about half a second (reply generation, synthesis, jitter buffers, the network; 1.1 s was measured "
        "in a browser against about 0.6 s of endpointing), so the default's endpointing predicts roughly "
        "0.95 s there. Smart Turn was trained on human speech, but not on these speakers' kind of talk (read "
        "passages, phone prompts and monologues whose every sentence sounds finished); on the synthetic "
        "voices, eSpeak's "
        "prosody misleads it (it hears eSpeak's sentence ends as unfinished, so scripted eSpeak candidates "
        "get slower replies with the model on; run such benchmarks with IE_TURN__SMART=false), Piper's "
        "neural voice much less. Piper's synthesis is random, so its "
        "rows move by a few pauses from run to run; eSpeak's are repeatable."
    )
    return out


def second_look_reading(report: dict[str, Any]) -> list[str]:
    """The second look against a shorter hesitation wait, for the voices whose run had both."""
    parts = []
    for voice in report["voices"]:
        rows = {row["label"]: row for row in voice["settings"]}
        looks = [rows[s.label] for s in SETTINGS if s.reprobe_ms is not None and s.label in rows]
        shorter = rows.get(SETTINGS[11].label)  # model 0.9, hesitation 0.7 s
        if not looks or shorter is None:
            continue
        now = rows[DEFAULTS.label]
        within = ", ".join(f"{row['within_800_ms'] * 100:.0f}%" for row in looks)
        cuts = ", ".join(f"{row['hesitation_cut_ins']}" for row in looks)
        parts.append(
            f"{voice['voice']}: replied within 0.8 s {now['within_800_ms'] * 100:.0f}% with one look, "
            f"{within} with a second at 400 / 500 / 700 ms, {shorter['within_800_ms'] * 100:.0f}% with the "
            f"hesitation wait at 0.7 s; mid-sentence cut-ins {now['hesitation_cut_ins']}, {cuts} and "
            f"{shorter['hesitation_cut_ins']} of {now['hesitation_pauses']}; p95 {now['delay_p95_ms']}, "
            f"{', '.join(str(row['delay_p95_ms']) for row in looks)} and {shorter['delay_p95_ms']} ms"
        )
    if not parts:
        return []
    return [
        "**A second look** (2026-12-06: the rows 'second look at ...'): when the first verdict heard the "
        "voice unfinished, the model is asked again about the same pause once the silence has lasted "
        "400, 500 or 700 ms, since it hears real answers' ends as finished more often the longer the "
        "silence (`bench.turn_reprobe`). "
        + "; ".join(parts)
        + ". On real people's recordings it buys no more than shortening the hesitation wait does, at the "
        "same cost in cut-ins, and leaves the p95 where it was; on Piper's voice it answers more turns "
        "within 0.8 s but cuts into two to three times as many hesitations, since the model drifts towards "
        "'finished' in any long silence of that voice. The engine asks once per pause (built, measured "
        "here, not kept)."
    ]


def human_reading(voice: dict[str, Any]) -> str:
    rows = {row["label"]: row for row in voice["settings"]}
    before, now, quiet = rows[SETTINGS[0].label], rows[DEFAULTS.label], rows[SETTINGS[3].label]
    half = rows[HALF.label]
    sep = voice["model"]

    def kind(row: dict[str, Any], name: str) -> str:
        counts = row["by_kind"].get(name, {"cut_ins": 0, "pauses": 0})
        return f"{counts['cut_ins']}/{counts['pauses']}"

    return (
        f"**{HUMAN}.** {now['turn_ends']} recordings of real speakers that ship in packages "
        "(`bench.real_speech`: spontaneous monologues, disfluent clips, read speech, phone prompts; those "
        "whose room hiss the VAD hears as speech are left out), each played as one answer. Their pauses are "
        "found by level and placed by Whisper's own punctuation of the whole recording; the speaker goes on "
        "after every one. They hold fewer mid-sentence pauses of 0.5-1.2 s than the issue's 40 "
        f"({now['by_kind'].get('hesitation', {}).get('pauses', 0)}), so the counts are small. With the "
        f"defaults the interviewer takes the turn in {kind(now, 'hesitation')} of them (before the voice "
        f"model: {kind(before, 'hesitation')}; silence alone needs 1 s to reach {kind(quiet, 'hesitation')}, "
        f"at {quiet['delay_p50_ms']} ms), in {kind(now, 'short')} mid-sentence pauses of 0.25-0.5 s, in "
        f"{kind(now, 'long')} of those over 1.2 s (no setting waits longer than 1.3 s), and "
        f"after {kind(now, 'sentence')} finished sentences. The model hears "
        f"{sep['finished_mid_sentence']['0.5'] * 100:.0f}% of the 0.5-1.2 s mid-sentence pauses and "
        f"{sep['finished_at_end']['0.5'] * 100:.0f}% of the answers' ends as finished at 0.5 (AUC "
        f"{sep['auc']}): on these speakers it separates far less than on Piper's voice. At 0.5 the "
        f"interviewer cut into {kind(half, 'hesitation')} of those pauses and answered "
        f"{half['within_800_ms'] * 100:.0f}% of the turn ends within 0.8 s, against "
        f"{now['within_800_ms'] * 100:.0f}% with the defaults' 0.9, at the same median "
        f"({half['delay_p50_ms']} against {now['delay_p50_ms']} ms); that is why 0.9 is the default (on Piper's "
        "voice fewer ends reach 0.9, and its median pays for it: see above). Which pauses count as "
        "mid-sentence moves a little from run to run, since Whisper's word times do. "
        f"Delay with the defaults: p50 {now['delay_p50_ms']} / p95 {now['delay_p95_ms']} ms over "
        f"the {now['turn_ends_answered']} answers whose end the turn taker reached (after a cut-in a "
        "recording's last words are sometimes a filler Whisper gives no text for, and that turn is never "
        "closed within the 3 s after it)."
    )


def run_voice(name: str, built: list[Answer], args: argparse.Namespace, costs: Costs) -> dict[str, Any]:
    asr_delay, model_delay = args.asr_delay_ms / 1000, args.model_delay_ms / 1000
    mid = [p for a in built for p in mid_sentence_probabilities(a, costs, 100)]
    rows = []
    model_outcomes: list[Outcome] = []
    for setting in SETTINGS:
        outcomes = [simulate(a, setting, costs, asr_delay, model_delay) for a in built]
        if setting == DEFAULTS:
            model_outcomes = outcomes
        row = summarise(setting, built, outcomes)
        rows.append(row)
        print(json.dumps({"voice": name, **row}), flush=True)
    return {"voice": name, "settings": rows, "model": model_separation(costs, model_outcomes, mid)}


def inference_times(model: SmartTurnModel, runs: int = 50) -> list[float]:
    """One inference (features included) on an 8 s clip, `runs` times, after a warm-up."""
    clip = np.random.default_rng(0).normal(0, 0.05, 8 * RATE).astype(np.float32)
    model.probability(clip)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        model.probability(clip)
        times.append(time.perf_counter() - started)
    return times


def voices(names: list[str], args: argparse.Namespace) -> list[tuple[str, list[Answer]]]:
    """Each voice's answers: synthesised (`answers`), or real recordings (`human`)."""
    found: list[tuple[str, list[Answer]]] = []
    for name in names:
        if name == "human":
            from bench.real_speech import SOURCES, load

            recordings, failed = load(args.cache, list(SOURCES), print)
            if failed:
                print(f"human recordings missing from: {', '.join(failed)}")
            recognizer = WhisperRecognizer(AsrOptions.from_settings(AsrSettings()))

            def timed(audio: np.ndarray, recognizer: WhisperRecognizer = recognizer) -> tuple[TimedWord, ...]:
                return recognizer.transcribe_timed(audio).words

            found.append((HUMAN, human_answers(recordings, timed)))
            continue
        tts: TextToSpeech
        if name == "espeak":
            from media.espeak import EspeakTts

            tts = EspeakTts()
            found.append(("eSpeak NG", answers(tts, args.answers, args.seed)))
        elif name == "piper":
            try:
                from media.piper import PiperTts

                piper = PiperTts()
                piper.load()
            except (ImportError, OSError, ValueError) as exc:
                print(f"Piper voice unavailable, skipped: {exc}")
                continue
            found.append(("Piper en_US-joe-medium", answers(piper, args.answers, args.seed)))
        else:
            raise SystemExit(f"unknown voice {name!r}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--voices",
        default="espeak,piper,human",
        help="comma-separated: espeak, piper, human (real recordings)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path("bench/.cache/real_speech"),
        help="where bench.real_speech keeps them",
    )
    parser.add_argument("--answers", type=int, default=24, help="answers per voice (2 hesitations each)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--asr-delay-ms", type=int, default=180, help="utterance end to its final")
    parser.add_argument("--model-delay-ms", type=int, default=100, help="pause start to its verdict")
    parser.add_argument("--json", type=Path, default=Path("bench/results/turn_taking.json"))
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--from-json", action="store_true", help="only rewrite the markdown from --json")
    args = parser.parse_args()
    if args.from_json:
        saved = json.loads(args.json.read_text())
        if args.markdown:
            write_section(args.markdown, markdown(saved))
        print(markdown(saved))
        return
    costs = Costs(WhisperRecognizer(AsrOptions.from_settings(AsrSettings())), SmartTurnModel())
    costs.recognizer.transcribe(np.zeros(RATE, np.float32))  # load the model before anything is timed
    results = [run_voice(name, built, args, costs) for name, built in voices(args.voices.split(","), args)]
    inference = inference_times(costs.model)
    report = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
        "answers": args.answers,
        "hesitations_per_voice": args.answers * 2,
        "asr_delay_ms": args.asr_delay_ms,
        "model_delay_ms": args.model_delay_ms,
        "asr_p50_ms": round(pct(costs.asr_s, 0.5) * 1000),  # type: ignore[operator]
        "asr_p95_ms": round(pct(costs.asr_s, 0.95) * 1000),  # type: ignore[operator]
        "model_p50_ms": round(pct(inference, 0.5) * 1000),  # type: ignore[operator]
        "model_p95_ms": round(pct(inference, 0.95) * 1000),  # type: ignore[operator]
        "model_min_ms": round(min(inference) * 1000),
        "voices": results,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    if args.markdown:
        write_section(args.markdown, markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
