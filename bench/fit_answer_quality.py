"""Fit the embedded scorer's meaning model (`scoring.answer_quality`) and write its coefficients.

    python -m bench.fit_answer_quality            # cross-validate, fit, write scoring/answer_quality.json
    python -m bench.fit_answer_quality --dry-run  # cross-validate only

What it is fitted on, and only on:
- `bench/answer_quality_training/*.jsonl`: single answers written to train it, each with the score a
  panel gave on one dimension (one JSON object per line: role, dimension, dimension_description,
  question, answer, kind, score 0-10, why), in twenty roles that appear in no calibration set;
- the first calibration set's interviews (`bench/calibration/`), one item per answered question with
  the panel's score of its dimension (interviews of the `repetition` kind are left out: their truth
  scores the repeats, which the scorer discounts by itself, not the story's quality).
The hold-out calibration sets (`bench/calibration_holdout*`) are never read here: they stay a test of
what this fits.

Each item goes through the scorer as a real transcript (interviewer's question, candidate's answer),
so the features are the ones the scorer computes at run time (`EmbeddedScorer.readings`). The ridge
penalty is chosen by leave-one-role-out cross-validation (every role's items predicted by a model that
never saw that role), which is also how the figures it prints were measured: rank correlation with the
panel (Spearman) and mean absolute error, in points on a 10-point scale, for the model alone, the
counted parts alone and the scorer's blend (`scoring.embedded.MODEL_SHARE`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bench.calibration_sets import CALIBRATION, load
from bench.scoring_validity import spearman
from scoring.answer_quality import MODEL_FILE, AnswerQualityModel
from scoring.embedded import MODEL_SHARE, EmbeddedScorer, blend
from scoring.model import QuestionHint, Rubric, RubricItem, Segment

TRAINING = Path(__file__).parent / "answer_quality_training"
CALIBRATION_GROUP = "calibration-"
ALPHAS = (10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0)


@dataclass(frozen=True, slots=True)
class Item:
    group: str  # the role: cross-validation leaves one out at a time
    target: float  # the panel's score, 0-1
    features: np.ndarray
    counted: float
    relevance: float


def inputs_digest(training: Path = TRAINING, calibration: Path = CALIBRATION) -> str:
    """A fingerprint of what the model is fitted on, kept in its file: a test compares it with the files
    in the repository, so an edited training answer cannot leave stale coefficients behind."""
    digest = hashlib.sha256()
    for path in [*sorted(training.glob("*.jsonl")), *sorted(calibration.glob("*.json"))]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _reading_items(
    scorer: EmbeddedScorer,
    rubric: Rubric,
    transcript: Sequence[Segment],
    group: str,
    truth: dict[str, float | None],
) -> list[Item]:
    items = []
    for reading in scorer.readings(rubric, transcript):
        score = truth.get(reading.dimension)
        if score is None:
            continue
        items.append(Item(group, score / 10, reading.features, reading.counted, reading.relevance))
    return items


def training_items(scorer: EmbeddedScorer, folder: Path = TRAINING) -> list[Item]:
    items: list[Item] = []
    for path in sorted(folder.glob("*.jsonl")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                dimension, question, answer = data["dimension"], data["question"], data["answer"]
                rubric = Rubric(
                    (RubricItem(dimension, data["dimension_description"], 100.0),),
                    10,
                    questions=(QuestionHint((question,), dimension, "", ()),),
                )
                transcript = (
                    Segment("q", "interviewer", 0.0, 5.0, question),
                    Segment("a", "candidate", 6.0, 60.0, answer),
                )
                items += _reading_items(
                    scorer, rubric, transcript, data["role"], {dimension: float(data["score"])}
                )
            except (KeyError, TypeError, ValueError) as error:
                raise SystemExit(f"{path.name}:{number}: {error!r}") from error
    return items


def calibration_items(scorer: EmbeddedScorer, folder: Path = CALIBRATION) -> list[Item]:
    items: list[Item] = []
    for path in sorted(folder.glob("*.json")):
        case = load(path)
        if case.kind == "repetition":
            continue
        role = case.id.split("-")[0]
        items += _reading_items(
            scorer, case.rubric, case.segments, f"{CALIBRATION_GROUP}{role}", case.truth_dims
        )
    return items


def _blend(model_value: np.ndarray, items: Sequence[Item], share: float) -> np.ndarray:
    relevance = np.array([i.relevance for i in items])
    counted = np.array([i.counted for i in items])
    return blend(counted, model_value, relevance, share)


def _spread_fit(blended: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The linear map that gives the blend the panel's mean and spread (see
    `AnswerQualityModel.spread`). Regressing the panel on the blend would keep the pull towards the
    middle; regressing the blend on the panel and inverting it would overshoot, since part of the
    blend's spread is noise. Matching the two spreads lies between them."""
    slope = float(np.std(y) / np.std(blended))
    return slope, float(np.mean(y) - slope * np.mean(blended))


def cross_validate(items: Sequence[Item], alpha: float) -> np.ndarray:
    """Each item predicted by a model fitted without its role."""
    groups = sorted({i.group for i in items})
    x = np.array([i.features for i in items])
    y = np.array([i.target for i in items])
    labels = np.array([i.group for i in items])
    predicted = np.zeros(len(items))
    for group in groups:
        held = labels == group
        model = AnswerQualityModel.fit(x[~held], y[~held], alpha)
        predicted[held] = [model.predict(row) for row in x[held]]
    return predicted


def _report(name: str, predicted: np.ndarray, y: np.ndarray) -> dict[str, float]:
    rho = spearman(list(predicted), list(y)) or 0.0
    mae = float(np.mean(np.abs(predicted - y))) * 10
    print(f"  {name:28s} spearman {rho:5.3f}  mean abs error {mae:4.2f} points")
    return {"spearman": round(rho, 3), "mae_points": round(mae, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dry-run", action="store_true", help="cross-validate only; write nothing")
    args = parser.parse_args()
    scorer = EmbeddedScorer(quality=False)
    items = training_items(scorer) + calibration_items(scorer)
    if len({i.group for i in items}) < 3:
        raise SystemExit("too few roles to cross-validate: is bench/answer_quality_training/ there?")
    y = np.array([i.target for i in items])
    print(f"{len(items)} answers in {len({i.group for i in items})} roles")
    best: tuple[float, float] | None = None
    for alpha in ALPHAS:
        predicted = cross_validate(items, alpha)
        rho = spearman(list(predicted), list(y)) or 0.0
        print(f"alpha {alpha:g}: leave-one-role-out spearman {rho:.3f}")
        if best is None or rho > best[1]:
            best = (alpha, rho)
    assert best is not None
    alpha = best[0]
    predicted = cross_validate(items, alpha)
    print(f"chosen alpha {alpha:g}, leave one role out:")
    figures = {
        "model": _report("meaning model alone", predicted, y),
        "counted": _report("counted parts alone", np.array([i.counted for i in items]), y),
    }
    for share in (0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
        _report(f"  blend, share {share}", _blend(predicted, items, share), y)
    blended = _blend(predicted, items, MODEL_SHARE)
    # The scale is the calibration panel's: its interviews are scored the way the engine scores them
    # (whole transcripts, follow-ups, the evidence gate), where single training answers are not.
    panel = np.array([i.group.startswith(CALIBRATION_GROUP) for i in items])
    slope, offset = _spread_fit(blended[panel], y[panel])
    print(f"spread: panel = {slope:.3f} x blend {offset:+.3f}")
    figures["scorer"] = _report(
        f"scorer (share {MODEL_SHARE}, spread)", np.clip(slope * blended + offset, 0.0, 1.0), y
    )
    if args.dry_run:
        return
    x = np.array([i.features for i in items])
    meta = {
        "fitted_by": "bench/fit_answer_quality.py",
        "inputs_sha256": inputs_digest(),
        "answers": len(items),
        "roles": len({i.group for i in items}),
        "alpha": alpha,
        "leave_one_role_out": figures,
    }
    model = AnswerQualityModel.fit(x, y, alpha, meta)
    MODEL_FILE.write_text(replace(model, stretch=(slope, offset)).to_json())
    print(f"wrote {MODEL_FILE}")


if __name__ == "__main__":
    main()
