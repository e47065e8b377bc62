"""Does the end-of-turn voice model hear a pause differently further into it?

The engine asks Smart Turn once per pause, `IE_TURN__PAUSE_MS` (100 ms) into it; an answer whose end
sounds unfinished then waits the 1 s hesitation (docs/benchmarks.md, "Where a turn's time goes, by the
voice model's verdict": about a third of real people's turns). A second look later in the same silence
could end some of those turns sooner, if the model hears more answers' ends as finished with more
silence after them and no more of the pauses after which the speaker goes on. This measures that, and
nothing else: the model's probability on the last 8 s of audio ending 0.1, 0.3, 0.5 and 0.7 s into
each pause of at least 0.75 s, for the answers of `bench.turn_taking` (real people's recordings, and
Piper's voice with spliced mid-sentence hesitations), by kind of pause: the answer's end, a
mid-sentence hesitation (0.5-1.2 s), a longer mid-sentence pause, a gap between sentences. It is not a
turn-taking policy: what a second look would cost in cut-ins also depends on the transcript and the
timers (`bench.turn_taking` simulates those).

    .venv/bin/python -m bench.turn_reprobe --markdown docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import machine, write_section
from bench.turn_answers import RATE
from bench.turn_taking import voices
from media.asr import pcm_to_float
from media.smart_turn import WINDOW_SAMPLES, SmartTurnModel

SECTION = "## End-of-turn model: later in the pause"
DELAYS_S = (0.1, 0.3, 0.5, 0.7)
MIN_PAUSE_S = 0.75  # long enough for the last look to fall inside it
THRESHOLD = 0.9  # the engine's default (IE_TURN__THRESHOLD)
KINDS = ("end", "hesitation", "long", "sentence")


def probabilities(model: SmartTurnModel, pcm: bytes, pause_start_s: float) -> list[float]:
    samples = np.frombuffer(pcm, dtype="<i2")
    looks = []
    for delay in DELAYS_S:
        end = round((pause_start_s + delay) * RATE)
        clip = samples[max(0, end - WINDOW_SAMPLES) : end]
        looks.append(model.probability(pcm_to_float(clip.tobytes())))
    return looks


def measure(names: list[str], args: argparse.Namespace) -> dict[str, Any]:
    model = SmartTurnModel.shared()
    model.load()
    report: dict[str, Any] = {
        "machine": machine(),
        "delays_s": DELAYS_S,
        "threshold": THRESHOLD,
        "voices": {},
    }
    for voice, answers in voices(names, args):
        looks: dict[str, list[list[float]]] = {kind: [] for kind in KINDS}
        for answer in answers:
            length_s = len(answer.pcm) / 2 / RATE
            for gap in answer.gaps:
                if gap.kind in looks and gap.end_s - gap.start_s >= MIN_PAUSE_S:
                    looks[gap.kind].append(probabilities(model, answer.pcm, gap.start_s))
            if answer.end_s + MIN_PAUSE_S < length_s:
                looks["end"].append(probabilities(model, answer.pcm, answer.end_s))
        report["voices"][voice] = {
            kind: {
                "pauses": len(rows),
                "median": [round(float(v), 3) for v in np.median(np.array(rows), axis=0)],
                "finished": [round(float(v), 2) for v in (np.array(rows) >= THRESHOLD).mean(axis=0)],
            }
            for kind, rows in looks.items()
            if rows
        }
    return report


def markdown(report: dict[str, Any]) -> str:
    delays = " / ".join(f"{d:g} s" for d in report["delays_s"])
    lines = [
        SECTION,
        "",
        f"`python -m bench.turn_reprobe` on {report['machine']}. The end-of-turn voice model's probability "
        f"on the last 8 s of audio ending {delays} into each pause of at least {MIN_PAUSE_S:g} s, for the "
        "answers of the turn-taking benchmark (real people's recordings; Piper's voice with spliced "
        "mid-sentence hesitations). 'Heard finished' is the share at or above the engine's threshold "
        f"({report['threshold']}). The engine looks once, at 0.1 s; this asks what a second look later in the "
        "same silence would hear. Not a policy: cut-ins also depend on the transcript and the timers.",
        "",
        f"| voice | pause | pauses | median probability ({delays}) | heard finished ({delays}) |",
        "|---|---|---|---|---|",
    ]
    names = {
        "end": "the answer's end",
        "hesitation": "mid-sentence, 0.5-1.2 s",
        "long": "mid-sentence, over 1.2 s",
        "sentence": "between sentences",
    }
    for voice, kinds in report["voices"].items():
        for kind, row in kinds.items():
            median = " / ".join(str(v) for v in row["median"])
            finished = " / ".join(f"{v:.0%}" for v in row["finished"])
            lines.append(f"| {voice} | {names[kind]} | {row['pauses']} | {median} | {finished} |")
    lines += ["", *reading(report), ""]
    return "\n".join(lines)


def reading(report: dict[str, Any]) -> list[str]:
    """What the table says about a second look at 0.5 s (the third delay), from its own figures."""
    voices = report["voices"]
    at = list(report["delays_s"]).index(0.5) if 0.5 in report["delays_s"] else len(report["delays_s"]) - 1

    def shift(voice: str, kind: str) -> str:
        row = voices.get(voice, {}).get(kind)
        if row is None:
            return "not measured"
        return (
            f"{row['finished'][0]:.0%} at 0.1 s, {row['finished'][at]:.0%} at 0.5 s ({row['pauses']} pauses)"
        )

    human, piper = "Real people (recordings)", "Piper en_US-joe-medium"
    return [
        f"Heard finished, real people: the answers' ends {shift(human, 'end')}; mid-sentence hesitations "
        f"{shift(human, 'hesitation')}; gaps between sentences {shift(human, 'sentence')}. Piper's voice: "
        f"ends {shift(piper, 'end')}, hesitations {shift(piper, 'hesitation')}. In the run of 2026-12-06 "
        "real people's ends rose with the silence while their few mid-sentence pauses did not, and on "
        "Piper's voice both rose (the model drifts towards 'finished' in any long silence of that voice). "
        "A second look later in the pause would turn some of the turns that now wait the 1 s hesitation "
        "into fast ones, at a cost in cut-ins this does not measure; `bench.turn_taking` simulated it on "
        "2026-12-06 ('A second look' there): on real people it buys no more than a shorter hesitation "
        "wait, so the engine still asks once.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--voices", default="human,piper", help="comma-separated: human, piper, espeak")
    parser.add_argument("--cache", type=Path, default=Path("bench/.cache/real_speech"))
    parser.add_argument("--answers", type=int, default=24, help="synthetic answers per voice")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", type=Path, default=Path("bench/results/turn_reprobe.json"))
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    report = measure(args.voices.split(","), args)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(report))
    if args.markdown:
        write_section(args.markdown, markdown(report))


if __name__ == "__main__":
    main()
