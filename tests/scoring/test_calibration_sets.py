"""The calibration sets the scoring benchmark reads (bench/calibration*): every file loads as the benchmark
loads it, and its truth obeys the sets' own rules, so a hand edit cannot silently skew the figures in
docs/benchmarks.md."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from bench.calibration_sets import CALIBRATION, INDEPENDENT, load

FOLDERS = [CALIBRATION, *(folder for folder, _ in INDEPENDENT)]
FILES = sorted(path for folder in FOLDERS for path in folder.glob("*.json"))


def test_every_set_is_there() -> None:
    for folder in FOLDERS:
        assert len(list(folder.glob("*.json"))) >= 16, folder


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.stem}" for p in FILES])
def test_truth_follows_the_sets_rules(path: Path) -> None:
    data = json.loads(path.read_text())
    case = load(path)
    assert case.id == path.stem
    weights = {d["name"]: d["weight"] for d in data["rubric"]["dimensions"]}
    assert sum(weights.values()) == 100
    truth = data["truth"]["dimensions"]
    assert set(truth) == set(weights)
    assessed = {name: score for name, score in truth.items() if score is not None}
    assert all(0 <= score <= 10 for score in assessed.values())
    covered = sum(weights[name] for name in assessed)
    overall = round(100 * sum(s / 10 * weights[n] for n, s in assessed.items()) / covered)
    assert data["truth"]["overall"] == overall
    expected_pass = None if covered < 70 else overall >= 60
    assert data["truth"]["pass"] is expected_pass
    speakers = [segment["speaker"] for segment in data["transcript"]]
    assert speakers[0] == "interviewer"
    assert all(a != b for a, b in itertools.pairwise(speakers)), "turns alternate"
    assert case.segments, "the benchmark sees the transcript"
