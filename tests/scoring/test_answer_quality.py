"""The embedded scorer's meaning model (scoring.answer_quality): the ridge fit, its file, the shipped
coefficients being those of the training data in the repository, and what it reads."""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest

from bench.fit_answer_quality import TRAINING, inputs_digest
from scoring.answer_quality import MODEL_FILE, SCALARS, AnswerQualityModel, answer_features
from scoring.embedded import EmbeddedScorer
from scoring.model import QuestionHint, Rubric, RubricItem, Segment


def test_the_fit_recovers_a_linear_relation_and_ranks_by_it() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(400, 6))
    truth = np.array([0.3, -0.2, 0.0, 0.1, 0.0, 0.05])
    y = 0.5 + x @ truth * 0.3 + rng.normal(scale=0.01, size=400)
    model = AnswerQualityModel.fit(x, y, alpha=1.0)
    predicted = np.array([model.predict(row) for row in x])
    assert np.corrcoef(predicted, y)[0, 1] > 0.99
    # A heavier penalty pulls every prediction towards the mean.
    shrunk = AnswerQualityModel.fit(x, y, alpha=1e5)
    assert np.std([shrunk.predict(row) for row in x]) < 0.2 * np.std(predicted)


def test_predictions_stay_on_the_scale_and_spread_is_monotone() -> None:
    model = AnswerQualityModel(np.zeros(2), np.ones(2), np.array([10.0, 0.0]), 0.5, (1.5, -0.25))
    assert model.predict(np.array([1.0, 0.0])) == 1.0
    assert model.predict(np.array([-1.0, 0.0])) == 0.0
    values = [model.spread(v) for v in np.linspace(0, 1, 21)]
    assert values == sorted(values)
    assert values[0] == 0.0
    assert values[-1] == 1.0


def test_the_file_round_trips_and_refuses_other_features() -> None:
    model = AnswerQualityModel(
        np.arange(3.0), np.ones(3), np.array([0.1, 0.2, 0.3]), 0.4, (1.2, -0.1), {"a": 1}
    )
    again = AnswerQualityModel.from_json(model.to_json())
    assert again.stretch == (1.2, -0.1)
    assert again.meta == {"a": 1}
    row = np.array([1.0, 2.0, 4.0])
    assert again.predict(row) == pytest.approx(model.predict(row))
    data = json.loads(model.to_json())
    data["scalars"] = ["something", "else"]
    with pytest.raises(ValueError, match="refit"):
        AnswerQualityModel.from_json(json.dumps(data))


def test_features_are_the_weighted_mean_direction_then_the_scalars() -> None:
    vectors = np.array([[1.0, 0.0], [0.0, 1.0]])
    scalars = {name: float(i) for i, name in enumerate(SCALARS)}
    features = answer_features(vectors, [3, 1], scalars)
    assert features[:2] == pytest.approx(np.array([3.0, 1.0]) / np.sqrt(10))
    assert list(features[2:]) == [float(i) for i in range(len(SCALARS))]
    with pytest.raises(KeyError):
        answer_features(vectors, [1, 1], {})
    with pytest.raises(ValueError, match="one vector per stretch"):
        answer_features(vectors, [1], scalars)


def test_the_shipped_model_is_fitted_on_the_training_answers_in_the_repository() -> None:
    """Edit a training answer or a calibration interview and this fails until
    `python -m bench.fit_answer_quality` is run again."""
    model = AnswerQualityModel.load()
    assert model.meta["inputs_sha256"] == inputs_digest()
    assert model.meta["answers"] >= 900
    assert model.meta["roles"] >= 40
    assert model.width == 384 + len(SCALARS)
    slope, _ = model.stretch
    assert slope >= 1.0  # it spreads the blend out, never squeezes it
    assert sum(1 for _ in TRAINING.glob("*.jsonl")) >= 8


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the scorer tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _one_question(answer: str) -> tuple[Rubric, list[Segment]]:
    question = "Tell me about a time you handled an angry customer. What did you do?"
    rubric = Rubric(
        (RubricItem("De-escalation", "Calms upset customers, finds the real problem and fixes it.", 100.0),),
        10,
        questions=(QuestionHint((question,), "De-escalation", "", ()),),
    )
    return rubric, [
        Segment("q", "interviewer", 0.0, 5.0, question),
        Segment("a", "candidate", 6.0, 40.0, answer),
    ]


STRONG = (
    "Last spring a clinic manager called because our booking system had double-booked her Monday, and she "
    "was shouting. I let her finish, then I repeated back what had happened so she knew I had it. I "
    "found that a time zone change on her account caused it, fixed the setting with our engineer while "
    "she was on the phone, and called each of the six patients with her to rebook. I followed up the "
    "next week; she renewed in June and asked for me by name."
)
VAGUE = (
    "Angry customers, yeah, that happens a lot in this kind of job, you know. I think it's mostly about "
    "staying calm and being nice to them and, like, listening. Usually things get sorted out in the end "
    "somehow, someone figures it out, and the customer is fine. I always try to be positive really."
)


def test_the_model_reads_meaning_offline_and_ranks_a_real_account_above_vague_talk(no_network: None) -> None:
    scorer = EmbeddedScorer(min_words=10)
    read = {}
    for name, answer in (("strong", STRONG), ("vague", VAGUE)):
        (reading,) = scorer.readings(*_one_question(answer))
        model = scorer.quality_model()
        assert model is not None
        read[name] = model.predict(reading.features)
    assert read["strong"] > read["vague"] + 0.2, read
    # Without the model the scorer still scores (the counted parts alone), and differently.
    counted_only = EmbeddedScorer(min_words=10, quality=False)
    (with_model,) = scorer.score_sync(*_one_question(STRONG))
    (without,) = counted_only.score_sync(*_one_question(STRONG))
    assert with_model.score is not None
    assert without.score is not None
    assert dict(with_model.parts).get("meaning") is not None
    assert "meaning" not in dict(without.parts)


def test_the_model_file_ships_inside_the_package() -> None:
    assert MODEL_FILE.parent.name == "scoring"
    assert MODEL_FILE.stat().st_size < 100_000
