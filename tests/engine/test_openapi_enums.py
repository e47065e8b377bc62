"""Closed sets in responses are enums in OpenAPI, so generated clients get them as enums: each field
below lists exactly the values the engine produces (the authenticity kinds are scoring's own)."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from config.analysis import AuthenticityKind
from config.settings import Settings
from config.stage_results import StageOutcome
from engine.api.pipeline import StageStatus
from engine.app import create_app
from scoring.authenticity.model import KINDS

Schema = dict[str, Any]

SESSION_STATUSES = {"scheduled", "in_progress", "cancelled", "failed"}  # a completed one is analysing
ANALYSIS_STATUSES = {"PENDING", "PROCESSING", "COMPLETED", "FAILED"}
FIT_RATINGS = {"UNDEFINED", "LOW", "MEDIUM", "HIGH"}
ENUMS: dict[tuple[str, str], set[str]] = {
    ("StagePosition", "status"): {"not_started", "analysing", *get_args(StageOutcome), *SESSION_STATUSES},
    ("AuthenticityFlag", "kind"): set(KINDS),
    ("Session", "analysis_status"): ANALYSIS_STATUSES,
    ("AnalysisVersion", "reason"): {"completed", "rerun", "test"},
    ("WebhookDelivery", "status"): {"pending", "succeeded", "failed"},
    ("BulkRowResult", "status"): {"created", "skipped"},
    ("AnalysisSummary", "companyFitRating"): FIT_RATINGS,
    ("AnalysisSummary", "flags"): set(KINDS),
}


@pytest.fixture(scope="module")
def schemas() -> dict[str, Schema]:
    found: dict[str, Schema] = create_app(Settings(_env_file=None)).openapi()["components"]["schemas"]
    return found


def _enum(schema: Schema) -> set[str] | None:
    """The values of an enum field, also when nullable (anyOf with null) or a list of them."""
    if "enum" in schema:
        return set(schema["enum"])
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key, []):
            if option.get("type") != "null":
                return _enum(option)
    if schema.get("type") == "array":
        return _enum(schema["items"])
    return None


@pytest.mark.parametrize(("component", "field"), list(ENUMS))
def test_closed_sets_are_enums_in_openapi(schemas: dict[str, Schema], component: str, field: str) -> None:
    assert _enum(schemas[component]["properties"][field]) == ENUMS[component, field]


def test_the_types_list_what_the_engine_produces() -> None:
    assert set(get_args(AuthenticityKind)) == set(KINDS)
    assert set(get_args(StageStatus)) == ENUMS["StagePosition", "status"]
