"""The calibration sets: scripted interviews with a panel's truth (`bench/calibration*/`, README in
each), and their loader. `bench/scoring_validity.py` scores them, `bench/fit_answer_quality.py` fits on
the first one, `tests/scoring/test_calibration_sets.py` checks their format."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from scoring.model import QuestionHint, Rubric, RubricItem, Segment

__all__ = ["CALIBRATION", "INDEPENDENT", "INDEPENDENT_LABEL", "WORDS_PER_SECOND", "Case", "load"]

# The set the scorer was built and calibrated on (and the meaning model partly fitted on).
CALIBRATION = Path(__file__).parent / "calibration"
# Sets written by someone who never read the scorer's code, never fitted on: (folder, column label).
INDEPENDENT = (
    (Path(__file__).parent / "calibration_holdout", "embedded, independent set"),
    (Path(__file__).parent / "calibration_holdout2", "embedded, second independent set"),
    (Path(__file__).parent / "calibration_holdout3", "embedded, third independent set"),
    (Path(__file__).parent / "calibration_holdout4", "embedded, fourth independent set"),
    (Path(__file__).parent / "calibration_holdout5", "embedded, fifth independent set"),
    (Path(__file__).parent / "calibration_holdout6", "embedded, sixth independent set"),
)
INDEPENDENT_LABEL = INDEPENDENT[0][1]
# Segment times are not in the files: each segment lasts its words at this pace (at least 1 s).
WORDS_PER_SECOND = 2.5


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    pair: str | None
    rubric: Rubric
    segments: tuple[Segment, ...]
    truth_dims: dict[str, float | None]
    truth_overall: float | None
    truth_pass: bool | None


def load(path: Path) -> Case:
    data = json.loads(path.read_text())
    spec = data["rubric"]
    items = tuple(RubricItem(d["name"], d["description"], float(d["weight"])) for d in spec["dimensions"])
    hints = tuple(
        QuestionHint((q["text"],), q["dimension"], q.get("skill") or "", tuple(q.get("keywords") or ()))
        for q in data["plan"]
    )
    rubric = Rubric(
        items,
        int(spec["scale_max"]),
        skills=tuple(spec.get("skills") or ()),
        traits=tuple(spec.get("traits") or ()),
        objective=spec.get("objective") or "",
        pass_criteria=spec.get("pass_criteria") or "",
        questions=hints,
    )
    segments: list[Segment] = []
    t = 0.0
    for i, line in enumerate(data["transcript"]):
        length = max(len(line["text"].split()) / WORDS_PER_SECOND, 1.0)
        segments.append(Segment(f"s{i}", line["speaker"], round(t, 2), round(t + length, 2), line["text"]))
        t += length + 0.8
    truth = data["truth"]
    return Case(
        data["id"],
        data["kind"],
        data.get("pair"),
        rubric,
        tuple(segments),
        dict(truth["dimensions"]),
        truth.get("overall"),
        truth.get("pass"),
    )
