"""The scorecard: dimension scores turned into what a recruiter reads (seed 003's analysis shape).

Whichever scorer produced the dimension scores, the rest is arithmetic and stated rules, so every
number can be traced:

- Only assessed dimensions count. A dimension the evidence gate (`scoring.evidence`) left without a
  score (`score: null`, `status: insufficient_evidence`) is neither 0 nor a guess: it is left out,
  and `coverage.assessedWeight` says how much of the rubric (its weights sum to 100) was assessed.
- `overallRating` (0-100) is the weighted average of the assessed dimensions' scores, each as a share
  of the scale, weighted by the rubric weights; null when nothing was assessed.
- The recommendation is `needs_review` (in every vocabulary) when the assessed weight is below the
  coverage threshold (70 by default), or when the recommendation logic names a dimension that was not
  assessed: a human decides, and the stage pipeline waits for them. Otherwise, in the template's
  vocabulary (hire / no_hire, admit / reject, ..., or its custom labels):
  - `weighted_average`: positive when the overall rating reaches the pass mark (the stage's pass
    threshold, else 60), negative otherwise; but `needs_review` when the rating is less than
    `review_margin` points from the pass mark (a close call: the caller sets the margin to the scorer's
    typical error, measured for the embedded scorer, whose verdict so near the mark is a coin toss);
  - `rule_based`: the profile's recommendationLogic (`scoring.rules`) over the assessed dimensions;
    the first rule that holds gives the label, and when none holds the recommendation is negative.
    Generic labels ("positive", "negative") and any built-in vocabulary's labels map onto the
    template's own; custom labels pass through unchanged.
- `completion` says whether the interview covered its plan (the caller works it out from the plan
  and how the session ended); an incomplete interview is named in `reviewReasons`.
- Strong points: dimensions at or above 60% of the scale; weak points: below 50%; improvement feedback
  names the weakest part of each weak dimension (relevance, specificity, ownership, structure, depth).
- companyFitRating: from a rubric dimension about culture, values or company fit when there is one
  (>= 70% HIGH, >= 40% MEDIUM, else LOW), UNDEFINED otherwise: nothing else in an interview measures it.
- education and experience: stated facts only (`scoring.levels`).

The profile's include flags decide which parts appear (transcript, score breakdown, recommendation,
improvement feedback).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from config.enums import ScoringMethod, SuccessOutcome
from config.profiles import AgentProfileSpec
from config.templates import EvaluationTemplateSpec
from scoring import rules
from scoring.levels import education_level, experience_level
from scoring.model import CANDIDATE, DimensionScore, Segment

__all__ = [
    "ANALYSIS_COMPLETED",
    "DEFAULT_COVERAGE_THRESHOLD",
    "DEFAULT_PASS_MARK",
    "EMBEDDED_LIMITS",
    "NEEDS_REVIEW",
    "ScorecardInputs",
    "build_scorecard",
    "close_call",
    "outcome_labels",
    "rate",
]

ANALYSIS_COMPLETED = 3  # seed 003: 1=PENDING, 2=PROCESSING, 3=COMPLETED, 4=FAILED
DEFAULT_PASS_MARK = 60.0
DEFAULT_COVERAGE_THRESHOLD = 70.0  # percent of the rubric weight that must be assessed for a verdict
NEEDS_REVIEW = "needs_review"  # the recommendation when the evidence cannot support a verdict
EMBEDDED_LIMITS = "Measures structure and relevance, not correctness; confirm with an LLM scorer or a human."
LLM_LIMITS = "An LLM's judgement of each dimension: check every score against its quotes before acting on it."
STRONG_SHARE = 0.6
HIGH_FIT = 0.7
WEAK_SHARE = 0.5
_FIT = re.compile(r"\b(culture|cultural|values|company fit|fit|mission)\b", re.IGNORECASE)

_TIPS = {
    "relevance": "Answer the question that was asked about {dim}; say how your example relates to it.",
    "originality": "Give each {dim} question its own answer: a story already told elsewhere adds nothing new.",
    "specificity": "Back answers on {dim} with specifics: numbers, the tools you used, one concrete example.",
    "reasoning": "On {dim}, explain why: the options you weighed, the trade-offs, what made you decide.",
    "ownership": "On {dim}, say what you personally did ('I decided', 'I built'), not only what the team did.",
    "outcome": "Finish {dim} stories with the result: what changed, and how you knew.",
    "elaboration": "Develop {dim} answers beyond a sentence or two: the situation, your actions, the result.",
    "structure": "Tell {dim} stories in order: the situation, your task, the actions you took, the result.",
    "depth": "When asked to go deeper on {dim}, add the trade-offs you weighed and measurable outcomes.",
}


@dataclass(frozen=True)
class ScorecardInputs:
    profile: AgentProfileSpec
    template: EvaluationTemplateSpec | None
    participant: Mapping[str, Any]  # the participant as the API shows it (profile, background)
    scores: Sequence[DimensionScore]
    transcript: Sequence[Segment]
    scorer: str
    at: datetime
    pass_threshold: float | None = None  # the stage's, 0-100
    authenticity: Sequence[Mapping[str, Any]] = ()
    notes: Sequence[str] = field(default_factory=tuple)  # e.g. why the scorer fell back
    coverage_threshold: float = DEFAULT_COVERAGE_THRESHOLD  # percent of the rubric weight
    # Whether the interview covered its plan: {"complete": bool, "summary": str, ...}; None = unknown.
    completion: Mapping[str, Any] | None = None
    # Points (of 100) around the pass mark inside which a weighted-average verdict is a close call that
    # a human makes (`needs_review`); 0: none.
    review_margin: float = 0.0


def outcome_labels(template: EvaluationTemplateSpec | None, profile: AgentProfileSpec) -> tuple[str, str]:
    """The positive and negative labels of the template's vocabulary (the profile's without a template)."""
    if template is not None:
        if template.custom_outcome_labels is not None:
            return template.custom_outcome_labels.positive, template.custom_outcome_labels.negative
        outcome = template.success_outcome or SuccessOutcome.for_use_case(template.use_case)
    else:
        outcome = SuccessOutcome.for_use_case(profile.use_case)
    return outcome.labels() or ("pass", "fail")


def build_scorecard(inputs: ScorecardInputs) -> dict[str, Any]:
    profile = inputs.profile
    scale = profile.scoring.scale
    weights = {d.name: d.weight for d in profile.rubric}
    assessed = [s for s in inputs.scores if s.score is not None]
    shares = _shares(assessed, scale.maximum)
    overall, coverage = rate(inputs.scores, weights, scale.maximum)
    pass_mark = inputs.pass_threshold if inputs.pass_threshold is not None else DEFAULT_PASS_MARK
    reasons = _review_reasons(inputs, coverage)
    recommendation, basis = _recommend(inputs, overall, pass_mark, coverage)
    if recommendation == NEEDS_REVIEW and basis not in reasons:
        reasons.insert(0, basis)
    candidate_texts = [s.text for s in inputs.transcript if s.speaker == CANDIDATE]
    participant_profile = inputs.participant.get("profile") or {}
    background = inputs.participant.get("background") or {}
    at = inputs.at.isoformat()
    general = {
        "overallRating": overall,
        "companyFitRating": _company_fit(shares),
        "education": education_level([str(background.get("education") or ""), *candidate_texts]).value,
        "experience": experience_level(candidate_texts, participant_profile.get("experienceLevel")).value,
        "strongPoints": _points(assessed, shares, scale.maximum, strong=True),
        "weakPoints": _points(assessed, shares, scale.maximum, strong=False),
        "evaluation": _evaluation(inputs, overall, coverage, recommendation, basis),
        "status": ANALYSIS_COMPLETED,
        "createdAt": at,
        "updatedAt": at,
    }
    card: dict[str, Any] = {
        "is_test_data": False,
        "scorer": inputs.scorer,
        "scorerLimits": EMBEDDED_LIMITS if inputs.scorer == "embedded" else LLM_LIMITS,
        "scoringMethod": profile.scoring.scoring_method.value,
        "scale": scale.value,
        "general": general,
        "coverage": {
            "assessedWeight": coverage,
            "threshold": inputs.coverage_threshold,
            "sufficient": overall is not None and coverage >= inputs.coverage_threshold,
            "assessed": [s.name for s in assessed],
            "insufficientEvidence": [s.name for s in inputs.scores if s.score is None],
        },
        "completion": dict(inputs.completion) if inputs.completion is not None else None,
        "needsReview": recommendation == NEEDS_REVIEW,
        "reviewReasons": reasons,
        "authenticity": [dict(flag) for flag in inputs.authenticity],
    }
    flags = profile.scorecard
    if flags.include_score_breakdown:
        card["dimensions"] = [_dimension(s, weights, scale.value) for s in inputs.scores]
    if flags.include_recommendation:
        card["recommendation"] = recommendation
        card["recommendationBasis"] = basis
    if flags.include_improvement_feedback:
        card["improvementFeedback"] = _feedback(assessed, shares)
    if flags.include_transcript:
        card["transcript"] = [
            {"id": s.id, "speaker": s.speaker, "start": s.start, "end": s.end, "text": s.text}
            for s in inputs.transcript
        ]
    return card


def rate(
    scores: Sequence[DimensionScore], weights: Mapping[str, float], scale_max: int
) -> tuple[int | None, float]:
    """The overall rating (0-100, over the assessed dimensions only; None when none was assessed) and
    the coverage (the assessed share of the rubric weight, in percent)."""
    shares = _shares([s for s in scores if s.score is not None], scale_max)
    total = sum(weights.values()) or 100.0
    assessed_weight = sum(weights.get(name, 0.0) for name in shares)
    coverage = round(100 * assessed_weight / total, 1)
    if not assessed_weight:
        return None, coverage
    weighted = sum(shares[name] * weights.get(name, 0.0) for name in shares)
    return round(weighted / assessed_weight * 100), coverage


def _shares(assessed: Sequence[DimensionScore], scale_max: int) -> dict[str, float]:
    return {s.name: min(max(s.score / scale_max, 0.0), 1.0) for s in assessed if s.score is not None}


def _review_reasons(inputs: ScorecardInputs, coverage: float) -> list[str]:
    reasons: list[str] = []
    if coverage < inputs.coverage_threshold:
        missing = [s.name for s in inputs.scores if s.score is None]
        reasons.append(
            f"Only {coverage:g}% of the rubric weight has enough evidence to score (the threshold is "
            f"{inputs.coverage_threshold:g}%); not assessed: {', '.join(missing) or 'none'}."
        )
    completion = inputs.completion or {}
    if completion.get("complete") is False:
        reasons.append(str(completion.get("summary") or "The interview did not cover its plan."))
    return reasons


def _recommend(
    inputs: ScorecardInputs, overall: int | None, pass_mark: float, coverage: float
) -> tuple[str, str]:
    if overall is None or coverage < inputs.coverage_threshold:
        return NEEDS_REVIEW, (
            f"Only {coverage:g}% of the rubric weight could be assessed (the threshold is "
            f"{inputs.coverage_threshold:g}%): too little evidence for a verdict, so a human decides."
        )
    positive, negative = outcome_labels(inputs.template, inputs.profile)
    scoring = inputs.profile.scoring
    if scoring.scoring_method is ScoringMethod.RULE_BASED and scoring.recommendation_logic:
        program = rules.parse(scoring.recommendation_logic)
        scale_max = scoring.scale.maximum
        scores = {s.name: s.score for s in inputs.scores if s.score is not None}
        try:
            label = rules.evaluate(program, scores, overall / 100 * scale_max)
        except rules.RuleError as exc:
            # The logic names a dimension without a score: its rule cannot be judged, a human decides.
            return NEEDS_REVIEW, f"The recommendation logic cannot be applied ({exc}): a human decides."
        if label is None:
            return negative, "No rule of the recommendation logic held, so the recommendation is negative."
        return _in_vocabulary(label, positive, negative), f"Recommendation logic gave '{label}'."
    if close_call(overall, pass_mark, inputs.review_margin):
        return NEEDS_REVIEW, (
            f"Overall rating {overall} is within {inputs.review_margin:g} points of the pass mark of "
            f"{pass_mark:g}, inside the {inputs.scorer} scorer's typical error: too close to call, so a "
            "human decides."
        )
    if overall >= pass_mark:
        return positive, f"Overall rating {overall} reaches the pass mark of {pass_mark:g}."
    return negative, f"Overall rating {overall} is below the pass mark of {pass_mark:g}."


def close_call(overall: float, pass_mark: float, margin: float) -> bool:
    """Whether a rating is less than `margin` points from the pass mark (never, with a margin of 0)."""
    return abs(overall - pass_mark) < margin


def _in_vocabulary(label: str, positive: str, negative: str) -> str:
    lowered = label.casefold()
    if lowered in (positive.casefold(), negative.casefold()):
        return positive if lowered == positive.casefold() else negative
    builtin = [o.labels() for o in SuccessOutcome if o.labels() is not None]
    if lowered == "positive" or any(pair[0] == lowered for pair in builtin if pair):
        return positive
    if lowered == "negative" or any(pair[1] == lowered for pair in builtin if pair):
        return negative
    return label


def _company_fit(shares: Mapping[str, float]) -> str:
    fit = [share for name, share in shares.items() if _FIT.search(name)]
    if not fit:
        return "UNDEFINED"
    share = sum(fit) / len(fit)
    return "HIGH" if share >= HIGH_FIT else "MEDIUM" if share >= 0.4 else "LOW"


def _points(
    scores: Sequence[DimensionScore], shares: Mapping[str, float], scale_max: int, *, strong: bool
) -> list[str]:
    picked = [
        s for s in scores if (shares[s.name] >= STRONG_SHARE if strong else shares[s.name] < WEAK_SHARE)
    ]
    picked.sort(key=lambda s: shares[s.name], reverse=strong)
    return [f"{s.name} ({s.score or 0:g}/{scale_max}): {_first_sentence(s.rationale)}" for s in picked]


def _first_sentence(text: str) -> str:
    """The most telling sentence of a rationale: its last one when it names the strongest answer."""
    sentences = [t.strip() for t in re.split(r"(?<=[.!?])\s+", text) if t.strip()]
    tagged = [t for t in sentences if t.startswith("Strongest answer:")]
    return (tagged or sentences or [""])[0]


def _evaluation(
    inputs: ScorecardInputs, overall: int | None, coverage: float, recommendation: str, basis: str
) -> list[str]:
    dims = len(inputs.scores)
    assessed = sum(1 for s in inputs.scores if s.score is not None)
    lines = [
        f"Overall rating {overall}/100 over {assessed} of {dims} rubric dimension{'s' if dims != 1 else ''} "
        f"({coverage:g}% of the rubric weight), weighted by the rubric."
        if overall is not None
        else f"No overall rating: none of the {dims} rubric dimensions had enough evidence to score.",
        f"Recommendation: {recommendation}. {basis}",
    ]
    if inputs.scorer == "embedded":
        lines.append(
            "Scored by the embedded scorer, which measures how relevant, substantive and original the "
            "answers are and how closely they resemble, in meaning, answers that panels rated well, not "
            f"whether they are correct. {EMBEDDED_LIMITS}"
        )
    else:
        lines.append(
            f"Scored by the {inputs.scorer} scorer; every evidence quote was checked against the transcript."
        )
    flagged = [str(f.get("kind")) for f in inputs.authenticity if f.get("flagged")]
    if flagged:
        lines.append(f"Authenticity signals to review (they do not change any score): {', '.join(flagged)}.")
    lines.extend(inputs.notes)
    return lines


def _feedback(scores: Sequence[DimensionScore], shares: Mapping[str, float]) -> list[str]:
    tips: list[str] = []
    for score in sorted(scores, key=lambda s: shares[s.name]):
        if shares[score.name] >= STRONG_SHARE:
            continue
        parts = dict(score.parts)
        known = {k: v for k, v in parts.items() if k in _TIPS}
        weakest = min(known, key=lambda k: known[k]) if known else "specificity"
        tips.append(_TIPS[weakest].format(dim=score.name))
    if not scores:
        return ["No feedback: no dimension had enough of the candidate's words to judge."]
    return tips or ["No dimension fell short: keep answering with concrete, first-person examples."]


def _dimension(score: DimensionScore, weights: Mapping[str, float], scale: str) -> dict[str, Any]:
    return {
        "name": score.name,
        "weight": weights.get(score.name),
        "score": score.score,
        "status": score.status,
        "scale": scale,
        "rationale": score.rationale,
        "evidence": [
            {"segment_id": e.segment_id, "start": e.start, "end": e.end, "quote": e.quote}
            for e in score.evidence
        ],
    }
