"""bench/fit_answer_quality.py: what it reads from the training files, the digest that ties the shipped
model to them, and leave-one-role-out prediction."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bench.fit_answer_quality import Item, cross_validate, inputs_digest, training_items
from scoring.embedded import EmbeddedScorer

LINE = {
    "role": "Dog walker",
    "dimension": "Reliability",
    "dimension_description": "Turns up on time and tells owners early when plans change.",
    "question": "Tell me about a time you could not make a walk you had promised.",
    "answer": (
        "Last March my bike chain broke on the way to a client's flat, so I called her straight away, "
        "asked a walker I trust to cover the first half hour and met them at the park to take over."
    ),
    "kind": "strong",
    "score": 8.5,
    "why": "Own case, early warning, a fix.",
}


@pytest.fixture(scope="module")
def scorer() -> EmbeddedScorer:
    return EmbeddedScorer(quality=False)


def test_each_line_becomes_one_item_scored_by_the_panel(tmp_path: Path, scorer: EmbeddedScorer) -> None:
    other = {**LINE, "role": "Cat sitter", "score": 2.0, "answer": "I'd just text them, it's fine usually."}
    (tmp_path / "a.jsonl").write_text(json.dumps(LINE) + "\n\n" + json.dumps(other) + "\n")
    items = training_items(scorer, tmp_path)
    assert [i.group for i in items] == ["Dog walker", "Cat sitter"]
    assert [i.target for i in items] == [0.85, 0.2]
    assert all(len(i.features) == len(items[0].features) > 384 for i in items)


def test_a_broken_line_is_named(tmp_path: Path, scorer: EmbeddedScorer) -> None:
    broken = {k: v for k, v in LINE.items() if k != "question"}
    (tmp_path / "b.jsonl").write_text(json.dumps(LINE) + "\n" + json.dumps(broken) + "\n")
    with pytest.raises(SystemExit, match=r"b\.jsonl:2"):
        training_items(scorer, tmp_path)


def test_the_digest_follows_every_input_file(tmp_path: Path) -> None:
    training, calibration = tmp_path / "t", tmp_path / "c"
    training.mkdir()
    calibration.mkdir()
    (training / "a.jsonl").write_text("{}\n")
    (calibration / "x.json").write_text("{}")
    first = inputs_digest(training, calibration)
    (calibration / "x.json").write_text('{"changed": true}')
    second = inputs_digest(training, calibration)
    (training / "b.jsonl").write_text("{}\n")
    assert len({first, second, inputs_digest(training, calibration)}) == 3


def test_cross_validation_predicts_each_role_without_it() -> None:
    """A role whose answers all sit far from the others' cannot be predicted from them: if its own
    answers leaked into its model, its predictions would fit it."""
    rng = np.random.default_rng(3)
    items = []
    for role, shift in (("a", 0.0), ("b", 0.0), ("c", 0.0), ("odd", 5.0)):
        for _ in range(30):
            x = rng.normal(size=4)
            x[3] = shift
            target = 0.5 + 0.1 * x[0] + (0.4 if role == "odd" else 0.0)
            items.append(Item(role, target, x, 0.5, 1.0))
    predicted = cross_validate(items, alpha=1.0)
    odd = np.array([i.group == "odd" for i in items])
    targets = np.array([i.target for i in items])
    assert np.mean(np.abs(predicted[~odd] - targets[~odd])) < 0.02
    assert np.mean(targets[odd] - predicted[odd]) > 0.3
