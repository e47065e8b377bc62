"""The scorecard: dimension scores turned into what a recruiter reads (seed 003's analysis shape).

Whichever scorer produced the dimension scores, the rest is arithmetic and stated rules, so every
number can be traced:

- `overallRating` (0-100) is the weighted average of the dimension scores, each as a share of the
  scale, weighted by the rubric weights (which sum to 100).
- The recommendation, in the template's vocabulary (hire / no_hire, admit / reject, ..., or its custom
  labels):
  - `weighted_average`: positive when the overall rating reaches the pass mark (the stage's pass
    threshold, else 60), negative otherwise;
  - `rule_based`: the profile's recommendationLogic (`scoring.rules`); the first rule that holds gives
    the label, and when none holds the recommendation is negative. Generic labels ("positive",
    "negative") and any built-in vocabulary's labels map onto the template's own; custom labels pass
    through unchanged.
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

__all__ = ["ANALYSIS_COMPLETED", "DEFAULT_PASS_MARK", "ScorecardInputs", "build_scorecard", "outcome_labels"]

ANALYSIS_COMPLETED = 3  # seed 003: 1=PENDING, 2=PROCESSING, 3=COMPLETED, 4=FAILED
DEFAULT_PASS_MARK = 60.0
STRONG_SHARE = 0.6
HIGH_FIT = 0.7
WEAK_SHARE = 0.5
_FIT = re.compile(r"\b(culture|cultural|values|company fit|fit|mission)\b", re.IGNORECASE)

_TIPS = {
    "relevance": "Answer what {dim} questions ask about, and name the skill or tool in question.",
    "specificity": "Back answers on {dim} with specifics: numbers, the tools you used, one concrete example.",
    "ownership": "On {dim}, say what you personally did ('I decided', 'I built'), not only what the team did.",
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
    shares = {s.name: min(max(s.score / scale.maximum, 0.0), 1.0) for s in inputs.scores}
    overall = round(sum(shares[name] * weight for name, weight in weights.items() if name in shares))
    pass_mark = inputs.pass_threshold if inputs.pass_threshold is not None else DEFAULT_PASS_MARK
    recommendation, basis = _recommend(inputs, overall, pass_mark)
    candidate_texts = [s.text for s in inputs.transcript if s.speaker == CANDIDATE]
    participant_profile = inputs.participant.get("profile") or {}
    background = inputs.participant.get("background") or {}
    at = inputs.at.isoformat()
    general = {
        "overallRating": overall,
        "companyFitRating": _company_fit(shares),
        "education": education_level([str(background.get("education") or ""), *candidate_texts]).value,
        "experience": experience_level(candidate_texts, participant_profile.get("experienceLevel")).value,
        "strongPoints": _points(inputs.scores, shares, scale.maximum, strong=True),
        "weakPoints": _points(inputs.scores, shares, scale.maximum, strong=False),
        "evaluation": _evaluation(inputs, overall, recommendation, basis),
        "status": ANALYSIS_COMPLETED,
        "createdAt": at,
        "updatedAt": at,
    }
    card: dict[str, Any] = {
        "is_test_data": False,
        "scorer": inputs.scorer,
        "scoringMethod": profile.scoring.scoring_method.value,
        "scale": scale.value,
        "general": general,
        "authenticity": [dict(flag) for flag in inputs.authenticity],
    }
    flags = profile.scorecard
    if flags.include_score_breakdown:
        card["dimensions"] = [_dimension(s, weights, scale.value) for s in inputs.scores]
    if flags.include_recommendation:
        card["recommendation"] = recommendation
        card["recommendationBasis"] = basis
    if flags.include_improvement_feedback:
        card["improvementFeedback"] = _feedback(inputs.scores, shares)
    if flags.include_transcript:
        card["transcript"] = [
            {"id": s.id, "speaker": s.speaker, "start": s.start, "end": s.end, "text": s.text}
            for s in inputs.transcript
        ]
    return card


def _recommend(inputs: ScorecardInputs, overall: int, pass_mark: float) -> tuple[str, str]:
    positive, negative = outcome_labels(inputs.template, inputs.profile)
    scoring = inputs.profile.scoring
    if scoring.scoring_method is ScoringMethod.RULE_BASED and scoring.recommendation_logic:
        program = rules.parse(scoring.recommendation_logic)
        scale_max = scoring.scale.maximum
        label = rules.evaluate(program, {s.name: s.score for s in inputs.scores}, overall / 100 * scale_max)
        if label is None:
            return negative, "No rule of the recommendation logic held, so the recommendation is negative."
        return _in_vocabulary(label, positive, negative), f"Recommendation logic gave '{label}'."
    if overall >= pass_mark:
        return positive, f"Overall rating {overall} reaches the pass mark of {pass_mark:g}."
    return negative, f"Overall rating {overall} is below the pass mark of {pass_mark:g}."


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
    return [f"{s.name} ({s.score:g}/{scale_max}): {_first_sentence(s.rationale)}" for s in picked]


def _first_sentence(text: str) -> str:
    """The most telling sentence of a rationale: its last one when it names the strongest answer."""
    sentences = [t.strip() for t in re.split(r"(?<=[.!?])\s+", text) if t.strip()]
    tagged = [t for t in sentences if t.startswith("Strongest answer:")]
    return (tagged or sentences or [""])[0]


def _evaluation(inputs: ScorecardInputs, overall: int, recommendation: str, basis: str) -> list[str]:
    dims = len(inputs.scores)
    lines = [
        f"Overall rating {overall}/100 across {dims} rubric dimension{'s' if dims != 1 else ''}, weighted by the rubric.",
        f"Recommendation: {recommendation}. {basis}",
    ]
    if inputs.scorer == "embedded":
        lines.append(
            "Scored by the embedded scorer, which measures how answers are built (relevance, specificity, "
            "ownership, structure, depth), not whether they are correct: check the evidence."
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
        weakest = min(parts, key=lambda k: parts[k]) if parts else "specificity"
        tips.append(_TIPS[weakest].format(dim=score.name))
    return tips or ["No dimension fell short: keep answering with concrete, first-person examples."]


def _dimension(score: DimensionScore, weights: Mapping[str, float], scale: str) -> dict[str, Any]:
    return {
        "name": score.name,
        "weight": weights.get(score.name),
        "score": score.score,
        "scale": scale,
        "rationale": score.rationale,
        "evidence": [
            {"segment_id": e.segment_id, "start": e.start, "end": e.end, "quote": e.quote}
            for e in score.evidence
        ],
    }
