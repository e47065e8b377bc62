"""How a hiring panel would rate one answer: a linear model on the answer's sentence embeddings.

The embedded scorer's counted features (numbers, names, "I did", "because") say how an answer is
built, not what it says; a vague, long answer that echoes the question, or a fluent story about a gym
membership told in reply to a question about customer churn, has them too. This model reads the
meaning instead: the answer's stretches are embedded with the scorer's sentence model
(`scoring.embeddings`, all-MiniLM-L6-v2), their mean (weighted by words) is the answer's position in
meaning, and a ridge regression maps that position, with a few scalar features (how close the answer
is to the question asked, how much was said, the counted parts), to the score a panel gave.

It was fitted (closed-form ridge, `AnswerQualityModel.fit`) by `bench/fit_answer_quality.py` on
labelled answers written for that purpose in `bench/answer_quality_training/` (roles that appear in
no calibration set) and on the first calibration set's answers (`bench/calibration/`); the hold-out
calibration sets are never used to fit it. Its coefficients ship in `answer_quality.json` beside this
module: a few kilobytes, read at start, nothing downloaded.

What it measures: whether the answer resembles, in meaning, the answers a panel rated high (a concrete
case of one's own, what was done and why, what came of it, on the subject asked) or those it rated low
(vague generalities, what one would do, other people's work, talk about something else, stacked
jargon, definitions without a case). What it cannot judge: whether anything said is true or correct
(a fluent, specific, wrong account resembles a right one), anything its training answers did not show,
and the finer points of a field. Its prediction is one input of the embedded scorer, which still
applies the evidence gate and discounts repeated content (`scoring.embedded`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["MODEL_FILE", "SCALARS", "AnswerQualityModel", "answer_features"]

MODEL_FILE = Path(__file__).with_name("answer_quality.json")
# The scalar features, in the order the coefficients expect them after the embedding.
SCALARS = (
    "asked_whole",  # cosine of the whole answer to the question asked (its closest wording)
    "asked_best",  # cosine of the answer's closest stretch to it
    "asked_mean",  # mean over stretches of that cosine
    "dimension",  # cosine of the whole answer to the dimension's description
    "drift",  # 0-1: how much closer the answer is to a stock off-topic subject than to the question
    "elaboration",  # words said, full at scoring.wording.FULL_WORDS
    "specificity",
    "reasoning",
    "ownership",
    "outcome",
    "concreteness",
    "measured",
)

Float64Array = NDArray[np.float64]


def answer_features(
    stretch_vectors: NDArray[Any],
    stretch_words: Sequence[float] | NDArray[Any],
    scalars: Mapping[str, float],
) -> Float64Array:
    """The model's input for one answer: the word-weighted mean of its stretches' unit vectors,
    renormalised, then `SCALARS` in order (a missing one is an error, not a silent zero)."""
    vectors = np.asarray(stretch_vectors, dtype=np.float64)
    weights = np.asarray(stretch_words, dtype=np.float64)
    if vectors.ndim != 2 or len(vectors) != len(weights) or not len(vectors):
        raise ValueError("one vector per stretch, at least one stretch")
    mean = (vectors * weights[:, None]).sum(axis=0)
    norm = float(np.linalg.norm(mean))
    if norm > 0:
        mean /= norm
    return np.concatenate([mean, np.array([float(scalars[name]) for name in SCALARS])])


@dataclass(frozen=True, slots=True)
class AnswerQualityModel:
    """Standardise, then a dot product: the prediction is the panel's score on a 0-1 scale."""

    center: Float64Array
    scale: Float64Array
    coef: Float64Array
    intercept: float
    stretch: tuple[float, float] = (1.0, 0.0)  # see `spread`
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def fit(
        cls,
        features: Float64Array,
        targets: Float64Array,
        alpha: float,
        meta: Mapping[str, Any] | None = None,
    ) -> AnswerQualityModel:
        """Ridge regression in closed form on standardised features: deterministic, no iterations,
        no library beyond numpy."""
        x = np.asarray(features, dtype=np.float64)
        y = np.asarray(targets, dtype=np.float64)
        center = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[scale < 1e-9] = 1.0
        z = (x - center) / scale
        gram = z.T @ z + alpha * np.eye(z.shape[1])
        coef = np.linalg.solve(gram, z.T @ (y - y.mean()))
        return cls(center, scale, coef, float(y.mean()), meta=dict(meta or {}))

    def predict(self, features: Float64Array) -> float:
        value = float(((np.asarray(features, dtype=np.float64) - self.center) / self.scale) @ self.coef)
        return min(max(value + self.intercept, 0.0), 1.0)

    def spread(self, blended: float) -> float:
        """The scorer's blend of this model's reading and the counted parts, mapped back onto the
        panel's scale. Both pull towards the middle (ridge shrinks every prediction to the mean; the
        blend averages two noisy readings), so an answer a panel gives 8 would read about 6: the
        fitting script measures that pull on answers from roles the model never saw (how the blend
        follows the panel, `blend = b * panel + c`) and this inverts it. Monotone: no ranking changes."""
        slope, offset = self.stretch
        return min(max(slope * blended + offset, 0.0), 1.0)

    @property
    def width(self) -> int:
        return len(self.coef)

    def to_json(self) -> str:
        data = {
            "meta": self.meta,
            "scalars": list(SCALARS),
            "intercept": round(self.intercept, 8),
            "stretch": [round(v, 8) for v in self.stretch],
            "center": [round(float(v), 8) for v in self.center],
            "scale": [round(float(v), 8) for v in self.scale],
            "coef": [round(float(v), 8) for v in self.coef],
        }
        return json.dumps(data, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> AnswerQualityModel:
        data = json.loads(text)
        if list(data["scalars"]) != list(SCALARS):
            raise ValueError("the model was fitted on other scalar features; refit it")
        center, scale, coef = (np.array(data[k], dtype=np.float64) for k in ("center", "scale", "coef"))
        if not (len(center) == len(scale) == len(coef)):
            raise ValueError("center, scale and coef differ in length")
        slope, offset = (float(v) for v in data.get("stretch", (1.0, 0.0)))
        return cls(
            center, scale, coef, float(data["intercept"]), (slope, offset), dict(data.get("meta") or {})
        )

    @classmethod
    def load(cls, path: Path | None = None) -> AnswerQualityModel:
        return cls.from_json((path or MODEL_FILE).read_text())
