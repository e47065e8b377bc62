"""Dates and booleans in request bodies take only their documented JSON forms: 0 is not 1970-01-01 and
0 is not false."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from config.participants import ParticipantSpec
from config.stages import EvaluationStageUpdate


@pytest.mark.parametrize("value", [0, 1700000000, 1.5, "0", "1700000000", "31/01/2027", True])
def test_a_date_is_only_yyyy_mm_dd(value: Any) -> None:
    with pytest.raises(ValidationError, match="gdpr_expiry_date"):
        ParticipantSpec.model_validate({"name": "Ann", "email": "ann@example.com", "gdpr_expiry_date": value})


def test_an_iso_date_passes() -> None:
    spec = ParticipantSpec.model_validate(
        {"name": "Ann", "email": "ann@example.com", "gdpr_expiry_date": "2027-01-31"}
    )
    assert spec.gdpr_expiry_date == date(2027, 1, 31)


@pytest.mark.parametrize("value", [0, 1, "true", "no", 0.0])
def test_a_boolean_is_only_true_or_false(value: Any) -> None:
    with pytest.raises(ValidationError, match="allow_retry"):
        EvaluationStageUpdate.model_validate({"allow_retry": value})
    assert EvaluationStageUpdate.model_validate({"allow_retry": False}).allow_retry is False
