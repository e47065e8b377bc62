"""Does the score mean what it says? The scorer against a panel's truth on the calibration set.

    python -m bench.scoring_validity                       # the embedded scorer
    python -m bench.scoring_validity --llm-base-url URL --llm-model NAME   # an LLM scorer too
    python -m bench.scoring_validity --only swe-           # a subset (ids starting with it)

`bench/calibration/*.json` holds scripted interviews (strong, medium, weak, and the adversarial kinds:
repetition, buzzword salad, off-topic, confidently wrong, ended early, textbook, hedging but
competent, equal-content pairs) with the truth a panel wrote before any scoring (README there). Each
is scored the way the engine scores a session: the scorer, then the evidence gate, then the overall
rating over assessed dimensions and the recommendation (pass mark 60, coverage threshold 70%).

It reports: pairwise ranking accuracy against the truth's overall (pairs whose truth differs by at
least 5 points), Spearman overall and per dimension, how many adversarial interviews score above a
medium one, the gap within equal-content pairs, abstention correctness (insufficient evidence exactly
where the truth has none), recommendation accuracy (pass / fail / needs review), and the share of
evidence quotes found verbatim, at word boundaries, in the candidate's own segment.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

from bench.calibration_sets import CALIBRATION, INDEPENDENT, INDEPENDENT_LABEL, Case, load
from bench.report import machine, write_section
from config.settings import EMBEDDED_REVIEW_MARGIN
from scoring import evidence
from scoring.embedded import EmbeddedScorer
from scoring.embeddings import SentenceEncoder
from scoring.model import DimensionScore, Scorer
from scoring.scorecard import DEFAULT_COVERAGE_THRESHOLD, NEEDS_REVIEW, close_call, rate

RESULTS = Path(__file__).parent / "results" / "scoring_validity.json"
DOCS = Path(__file__).parent.parent / "docs" / "benchmarks.md"
PASS_MARK = 60.0
TIE_POINTS = 5  # truth overalls closer than this are not ranked against each other
MARGINS = (0.0, 5.0, 10.0, 15.0)  # close-call margins compared in the report
ADVERSARIAL = ("repetition", "buzzword_salad", "off_topic")


@dataclass(frozen=True)
class Result:
    case: Case
    scores: tuple[DimensionScore, ...]
    overall: int | None
    coverage: float
    recommendation: str  # pass | fail | needs_review
    seconds: float


def recommend(overall: int | None, coverage: float, margin: float) -> str:
    """As the scorecard decides with the weighted average: needs_review without the coverage for a
    verdict or on a close call (within `margin` points of the pass mark), else pass or fail."""
    if overall is None or coverage < DEFAULT_COVERAGE_THRESHOLD or close_call(overall, PASS_MARK, margin):
        return NEEDS_REVIEW
    return "pass" if overall >= PASS_MARK else "fail"


async def score_case(case: Case, scorer: Scorer, embedded: EmbeddedScorer, margin: float) -> Result:
    started = time.perf_counter()
    verdicts = await embedded.sufficiency(case.rubric, case.segments)
    scores = evidence.enforce(await scorer.score(case.rubric, case.segments), verdicts)
    seconds = time.perf_counter() - started
    weights = {i.name: i.weight for i in case.rubric.items}
    overall, coverage = rate(scores, weights, case.rubric.scale_max)
    return Result(case, tuple(scores), overall, coverage, recommend(overall, coverage, margin), seconds)


# -- metrics --------------------------------------------------------------------------------------------


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    if len(xs) < 3:
        return None

    def ranks(values: Sequence[float]) -> list[float]:
        order = sorted(range(len(values)), key=lambda i: values[i])
        out = [0.0] * len(values)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
                j += 1
            for k in range(i, j + 1):
                out[order[k]] = (i + j) / 2
            i = j + 1
        return out

    rx, ry = ranks(xs), ranks(ys)
    mx, my = statistics.fmean(rx), statistics.fmean(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx) ** 0.5
    vy = sum((b - my) ** 2 for b in ry) ** 0.5
    return None if vx == 0 or vy == 0 else cov / (vx * vy)


def _verbatim(quote: str, text: str) -> bool:
    at = text.find(quote)
    if at < 0 or not quote.strip():
        return False
    before = text[at - 1] if at > 0 else " "
    after = text[at + len(quote)] if at + len(quote) < len(text) else " "
    return not (before.isalnum() and quote[0].isalnum()) and not (after.isalnum() and quote[-1].isalnum())


def metrics(results: Sequence[Result]) -> dict[str, Any]:
    ranked = [r for r in results if r.case.truth_overall is not None and r.overall is not None]
    agree = total = 0
    for a, b in combinations(ranked, 2):
        assert a.case.truth_overall is not None
        assert b.case.truth_overall is not None
        diff = a.case.truth_overall - b.case.truth_overall
        if abs(diff) < TIE_POINTS:
            continue
        total += 1
        assert a.overall is not None
        assert b.overall is not None
        agree += (a.overall - b.overall) * diff > 0
    overall_rho = spearman(
        [float(r.case.truth_overall or 0) for r in ranked], [float(r.overall or 0) for r in ranked]
    )
    per_dim: dict[str, tuple[list[float], list[float]]] = {}
    for r in results:
        scale = r.case.rubric.scale_max
        for s in r.scores:
            truth = r.case.truth_dims.get(s.name)
            if truth is None or s.score is None:
                continue
            xs, ys = per_dim.setdefault(s.name, ([], []))
            xs.append(float(truth))
            ys.append(s.score / scale * 10)
    dims = {name: spearman(xs, ys) for name, (xs, ys) in per_dim.items() if len(xs) >= 4}
    pooled_x = [x for xs, _ in per_dim.values() for x in xs]
    pooled_y = [y for _, ys in per_dim.values() for y in ys]
    mediums = [r.overall for r in results if r.case.kind == "medium" and r.overall is not None]
    floor = min(mediums) if mediums else None
    above = [
        r.case.id
        for r in results
        if r.case.kind in ADVERSARIAL and floor is not None and r.overall is not None and r.overall >= floor
    ]
    others_above = [
        r.case.id
        for r in results
        if r.case.kind in ("confidently_wrong", "textbook")
        and floor is not None
        and r.overall is not None
        and r.overall >= floor
    ]
    pairs: dict[str, list[Result]] = {}
    for r in results:
        if r.case.pair:
            pairs.setdefault(r.case.pair, []).append(r)
    gaps: dict[str, float] = {}
    for name, members in pairs.items():
        if len(members) != 2:
            continue
        a, b = members
        scale = a.case.rubric.scale_max
        by_b = {s.name: s.score for s in b.scores if s.score is not None}
        diffs = [
            abs(s.score - by_b[s.name]) / scale * 10
            for s in a.scores
            if s.score is not None and s.name in by_b
        ]
        gaps[name] = round(max(diffs, default=0.0), 2)
    abst_ok = abst_total = missed = false_abstain = 0
    for r in results:
        for s in r.scores:
            if s.name not in r.case.truth_dims:
                continue
            expect_none = r.case.truth_dims[s.name] is None
            abst_total += 1
            abst_ok += expect_none == (s.score is None)
            missed += expect_none and s.score is not None
            false_abstain += (not expect_none) and s.score is None
    rec_ok = sum(
        (r.recommendation == NEEDS_REVIEW)
        if r.case.truth_pass is None
        else (r.recommendation == ("pass" if r.case.truth_pass else "fail"))
        for r in results
    )
    automatic = [r for r in results if r.recommendation != NEEDS_REVIEW and r.case.truth_pass is not None]
    wrong = [r.case.id for r in automatic if (r.recommendation == "pass") != r.case.truth_pass]
    held = [r for r in results if r.recommendation == NEEDS_REVIEW and r.case.truth_pass is not None]
    verdict_without_evidence = [
        r.case.id for r in results if r.case.truth_pass is None and r.recommendation != NEEDS_REVIEW
    ]
    quotes = ok_quotes = 0
    for r in results:
        texts = {s.id: s.text for s in r.case.segments if s.speaker == "candidate"}
        for s in r.scores:
            for e in s.evidence:
                quotes += 1
                ok_quotes += e.segment_id in texts and _verbatim(e.quote, texts[e.segment_id])
    return {
        "interviews": len(results),
        "pairwise_accuracy": round(agree / total, 3) if total else None,
        "pairs_ranked": total,
        "spearman_overall": None if overall_rho is None else round(overall_rho, 3),
        "spearman_dimensions_pooled": _round(spearman(pooled_x, pooled_y)),
        "spearman_per_dimension": {k: _round(v) for k, v in sorted(dims.items())},
        "lowest_medium_overall": floor,
        "adversarial_at_or_above_a_medium": above,
        "wrong_or_textbook_at_or_above_a_medium": others_above,
        "equal_content_gap_points": gaps,
        "abstention_accuracy": round(abst_ok / abst_total, 3) if abst_total else None,
        "abstentions_missed": missed,
        "abstentions_wrong": false_abstain,
        "recommendation_accuracy": round(rec_ok / len(results), 3) if results else None,
        "verdicts_without_evidence": verdict_without_evidence,
        "automatic_verdicts": len(automatic),
        "automatic_verdicts_wrong": wrong,
        "automatic_verdict_accuracy": (round(1 - len(wrong) / len(automatic), 3) if automatic else None),
        "held_for_review_with_a_panel_verdict": len(held),
        "quotes": quotes,
        "quotes_verbatim_share": round(ok_quotes / quotes, 3) if quotes else None,
        "seconds_per_interview_median": round(statistics.median([r.seconds for r in results]), 3),
    }


def margin_curve(results: Sequence[Result]) -> dict[str, dict[str, Any]]:
    """At each close-call margin: how many verdicts were made where the panel gave one, how many of
    those went against the panel (ids), and how many such interviews were held for a human."""
    curve: dict[str, dict[str, Any]] = {}
    for margin in MARGINS:
        judged = [r for r in results if r.case.truth_pass is not None]
        made = [(r, recommend(r.overall, r.coverage, margin)) for r in judged]
        verdicts = [(r, rec) for r, rec in made if rec != NEEDS_REVIEW]
        curve[f"{margin:g}"] = {
            "verdicts": len(verdicts),
            "wrong": [r.case.id for r, rec in verdicts if (rec == "pass") != r.case.truth_pass],
            "held": len(made) - len(verdicts),
        }
    return curve


def curve_table(results: dict[str, list[Result]]) -> list[str]:
    lines = [
        "| set | margin (points) | verdicts made | against the panel's | held for a human |",
        "|---|---|---|---|---|",
    ]
    for name, rs in results.items():
        for margin, row in margin_curve(rs).items():
            wrong = row["wrong"]
            lines.append(
                f"| {name} | {margin} | {row['verdicts']} | {len(wrong)}"
                f"{' (' + ', '.join(wrong) + ')' if wrong else ''} | {row['held']} |"
            )
    return lines


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


# -- running and reporting --------------------------------------------------------------------------


async def run(scorer_name: str, cases: Sequence[Case], args: argparse.Namespace) -> list[Result]:
    embedded = EmbeddedScorer(await asyncio.to_thread(SentenceEncoder.load))
    if scorer_name == "embedded":
        return [await score_case(c, embedded, embedded, args.review_margin) for c in cases]
    from config.settings import LlmSettings
    from llm import LlmClient
    from scoring.llm_scorer import LlmScorer

    settings = LlmSettings(base_url=args.llm_base_url, model=args.llm_model, max_tokens=800)
    async with LlmClient(settings) as client:
        llm = LlmScorer(client.reply, samples=args.llm_samples)
        return [await score_case(c, llm, embedded, 0.0) for c in cases]


def table(results: Sequence[Result]) -> list[str]:
    lines = [
        "| interview | kind | truth | scored | coverage | truth verdict | recommendation |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in sorted(results, key=lambda r: (r.case.kind, r.case.id)):
        truth = {True: "pass", False: "fail", None: "needs review"}[r.case.truth_pass]
        lines.append(
            f"| {r.case.id} | {r.case.kind} | {r.case.truth_overall if r.case.truth_overall is not None else '-'} "
            f"| {r.overall if r.overall is not None else '-'} | {r.coverage:g}% | {truth} "
            f"| {r.recommendation.replace('_', ' ')} |"
        )
    return lines


def section(found: dict[str, dict[str, Any]], results: dict[str, list[Result]]) -> str:
    lines = [
        "## Scoring validity: the calibration set",
        "",
        f"`python -m bench.scoring_validity` on {machine()}. {len(results['embedded'])} scripted "
        "interviews in `bench/calibration/` (4 roles; strong, medium, weak, and adversarial kinds), "
        "truth written by a panel's standards before scoring. Recommendation: pass mark 60, "
        f"coverage threshold {DEFAULT_COVERAGE_THRESHOLD:g}% of the rubric weight. The other columns "
        "are independent sets written afterwards by writers who never read the scorer's code: "
        f"{len(results.get(INDEPENDENT_LABEL, []))} interviews in `bench/calibration_holdout/` "
        f"(product manager, frontend engineer), {len(results.get(INDEPENDENT[1][1], []))} in "
        "`calibration_holdout2/` (site reliability engineer, customer success manager), "
        f"{len(results.get(INDEPENDENT[2][1], []))} in `calibration_holdout3/` (registered nurse, "
        f"mobile engineer), {len(results.get(INDEPENDENT[3][1], []))} in `calibration_holdout4/` "
        "(financial accountant, application security engineer), "
        f"{len(results.get(INDEPENDENT[4][1], []))} in `calibration_holdout5/` (commercial property "
        f"underwriter, platform engineer) and {len(results.get(INDEPENDENT[5][1], []))} in "
        "`calibration_holdout6/` (trust and safety policy analyst, PostgreSQL database administrator). "
        "The embedded scorer's meaning model "
        "(`scoring/answer_quality.py`) is fitted on 1,305 labelled single answers in 60 other roles "
        "(`bench/answer_quality_training/`) and on the first set's answers, never on the hold-out sets; "
        "but the first three hold-out sets were looked at while earlier versions of the scorer were "
        "built (the counted parts, the drift check, the gate), and while choosing between ways of "
        "blending and stretching the model on 2026-12-05. The fourth and fifth were written after the "
        "model's design was fixed: they are the figures to expect on interviews nobody tuned for (the "
        "fifth was first scored, blind, by the model before 463 answers were added to its training "
        "data: pairwise 0.707, Spearman 0.399, recommendation accuracy 0.5). The sixth was written on "
        "2026-12-05 by a writer who opened only two READMEs and two example files, and scored with the "
        "scorer as it stood (the figures below) and with one variant, dropped (the meaning model's "
        "share raised to 1.0, which cross-validation on the training answers preferred: pairwise 0.72 "
        "here, 0.84 on the fifth set, but a 2.5-point paraphrase gap on the calibration set): the "
        "numbers to expect on interviews nobody tuned for.",
        "",
        "| metric | target | " + " | ".join(found) + " |",
        "|---|---|" + "---|" * len(found),
    ]
    rows = [
        ("pairwise ranking accuracy", ">= 0.90", "pairwise_accuracy"),
        ("Spearman, overall", ">= 0.7", "spearman_overall"),
        ("Spearman, dimensions pooled", "", "spearman_dimensions_pooled"),
        ("adversarial at or above a medium", "none", "adversarial_at_or_above_a_medium"),
        ("confidently wrong / textbook at or above a medium", "", "wrong_or_textbook_at_or_above_a_medium"),
        ("equal-content gap, worst dimension (points of 10)", "<= 1", "equal_content_gap_points"),
        ("abstention accuracy", "1.0", "abstention_accuracy"),
        ("verdicts without enough evidence", "none", "verdicts_without_evidence"),
        ("recommendation accuracy", ">= 0.9", "recommendation_accuracy"),
        ("automatic verdicts (pass or fail where the panel gave one)", "", "automatic_verdicts"),
        ("of which against the panel's", "none", "automatic_verdicts_wrong"),
        ("held for a human where the panel gave a verdict", "", "held_for_review_with_a_panel_verdict"),
        ("evidence quotes verbatim, word-bounded", "1.0", "quotes_verbatim_share"),
        ("scoring time per interview, median (s)", "", "seconds_per_interview_median"),
    ]
    for label, target, key in rows:
        cells = []
        for name in found:
            value = found[name][key]
            if isinstance(value, list):
                cells.append(", ".join(value) if value else "none")
            elif isinstance(value, dict):
                cells.append(", ".join(f"{k} {v:g}" for k, v in value.items()) or "-")
            else:
                cells.append("-" if value is None else f"{value:g}")
        lines.append(f"| {label} | {target} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Reading it: the embedded scorer cannot judge correctness, so the confidently wrong candidates "
        "(fluent, specific, first-person, wrong) still score like medium or good ones in every set; that "
        "is what the honesty note on the scorecard says, and why an LLM scorer or a human must confirm. "
        "Since 2026-12-05 each answer is read twice: by the counted parts (specifics, reasoning, "
        "ownership, outcome, elaboration, gated by relevance and discounted for repeats) and by a linear "
        "model on the answer's sentence embeddings fitted on answers panels scored; 70% of the value is "
        "the model's. On the fitting data (each role predicted by a model that never saw it) the model "
        "ranks answers with Spearman 0.68 against the panel where the counted parts reach 0.33 (0.72 and "
        "0.38 before 463 harder answers in 20 more roles were added); on the first four hold-out sets it "
        "moved pairwise accuracy from 0.79 / 0.75 / 0.71 / 0.64 to about the figures above. What it "
        "reads is resemblance in meaning to answers "
        "panels rated high (a case of one's own, what was done and why, what came of it) or low (vague "
        "generalities, what one would do, other people's work, jargon, definitions, talk about something "
        "else); it reads mostly the answer, not the question, so a good story that answers a neighbouring "
        "question (the third set's nurse describing an observations roll-out when asked about a "
        "deteriorating patient) still reads as good, and an account that is wrong reads like a right "
        "one. The fourth and fifth sets show the rest plainly: the fourth's paraphrase pair (a medium "
        "security engineer, 54) reads as strong and its wrong accountant passes; the fifth's underwriter "
        "who answers every question with a good story about a neighbouring topic (truth 20) reads 72 "
        "(78 before the refit) and passes, because his answers are as close in meaning to the questions as the strong "
        "candidate's (cosine 0.23-0.54 against 0.28-0.40): a sentence embedding cannot tell a "
        "neighbouring subject of the same trade from the one asked. Those are knowledge of the subject, "
        "which needs an LLM scorer or a person. The sixth set repeats both: its trust-and-safety "
        "analyst who answers with law-enforcement requests, queue forecasts and moderator wellbeing "
        "(truth 20) reads 74 and passes, and both confidently wrong candidates pass. Over the six "
        "hold-out sets 18 of the embedded scorer's 84 automatic verdicts went against the panel's; "
        "that is why, since 2026-12-05, its verdicts move the stage pipeline only on a stage that "
        "says so (`embedded_scorer_decides`) and otherwise wait for a person (docs/scoring.md).",
    ]
    lines += [
        "",
        "Close calls (`IE_ANALYSIS__EMBEDDED_REVIEW_MARGIN`): the recommendations above hold an "
        f"embedded rating less than {args_margin(found):g} points from the pass mark for a human "
        "(`needs_review`; the stage pipeline waits). How the margin trades verdicts against mistakes, "
        "counting only interviews the panel gave a verdict (the ended-early and short ones it sent to "
        "review are left out):",
        "",
        *curve_table(results),
        "",
        CLOSE_CALLS_READING,
    ]
    for name, metrics_ in found.items():
        if "half" in name:
            continue
        per_dim = ", ".join(f"{k} {v}" for k, v in metrics_["spearman_per_dimension"].items())
        lines += ["", f"Spearman per dimension ({name}): {per_dim}."]
    for name, rs in results.items():
        lines += ["", f"Per interview ({name}):", "", *table(rs)]
    return "\n".join(lines) + "\n"


CLOSE_CALLS_READING = (
    "Reading it: recommendation accuracy above counts a held interview as a miss, so it falls as the "
    "margin grows; what the margin is for is the row 'of which against the panel's'. The middle of the "
    "scale is where the embedded scorer errs both ways; the mistakes no small margin removes are the "
    "confidently wrong candidates it rates far above the mark and mediums it misreads by ten points or "
    "more: knowledge of the subject, which it does not have. The default margin, 5, was chosen from "
    "this table on the first three hold-out sets before the meaning model existed."
)


def args_margin(found: dict[str, dict[str, Any]]) -> float:
    return float(next(iter(found.values()))["review_margin"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="", help="score only interviews whose id starts with this")
    parser.add_argument("--llm-base-url", default="", help="also score with this OpenAI-compatible LLM")
    parser.add_argument("--llm-model", default="")
    parser.add_argument("--llm-samples", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs and results alone")
    parser.add_argument(
        "--review-margin",
        type=float,
        default=EMBEDDED_REVIEW_MARGIN,
        help="the embedded scorer's close-call margin (points of 100 around the pass mark)",
    )
    args = parser.parse_args()
    cases = [load(p) for p in sorted(CALIBRATION.glob("*.json")) if p.stem.startswith(args.only)]
    if not cases:
        raise SystemExit(f"no calibration interviews in {CALIBRATION} matching {args.only!r}")
    names = ["embedded", *(["llm"] if args.llm_base_url else [])]
    results = {name: asyncio.run(run(name, cases, args)) for name in names}
    found = {
        name: {**metrics(rs), "review_margin": args.review_margin if name == "embedded" else 0.0}
        for name, rs in results.items()
    }
    for folder, label in INDEPENDENT:
        independent = [load(p) for p in sorted(folder.glob("*.json"))]
        if independent and not args.only:
            results[label] = asyncio.run(run("embedded", independent, args))
            found[label] = metrics(results[label])
    print(json.dumps(found, indent=2))
    for name, rs in results.items():
        print(f"\n{name}:\n" + "\n".join(table(rs)))
    if not args.no_write and not args.only:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        curves = {name: margin_curve(rs) for name, rs in results.items()}
        RESULTS.write_text(
            json.dumps({"machine": machine(), "metrics": found, "close_calls": curves}, indent=2) + "\n"
        )
        write_section(DOCS, section(found, results))


if __name__ == "__main__":
    main()
