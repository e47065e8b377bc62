"""POST /v1/recommendation-logic/check: the verdict of a profile save, with the error's line and column
in the text as typed. Each case is also saved as a profile, so the check and the save cannot disagree."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.engine import field_error
from tests.helpers import ApiClients

URL = "/v1/recommendation-logic/check"
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
RUBRIC = [{"name": "System Design", "weight": 60}, {"name": "Communication", "weight": 40}]
DIMENSIONS = [d["name"] for d in RUBRIC]


async def check(client: httpx.AsyncClient, logic: str, **extra: Any) -> dict[str, Any]:
    response = await client.post(URL, json={"recommendation_logic": logic, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def save(client: httpx.AsyncClient, logic: str, method: str, use_case: str) -> httpx.Response:
    scoring = {"scoringMethod": method, "recommendationLogic": logic}
    body = {"name": "Interviewer", "rubric": RUBRIC, "use_case": use_case, "scoring": scoring}
    return await client.post("/v1/agent-profiles", json=body)


@SQLITE
@pytest.mark.parametrize(
    ("logic", "method", "use_case", "expected"),
    [
        (
            '# strong designers\nall >= 6 and "system design" >= 7 -> hire\notherwise -> no_hire',
            "rule_based",
            "hiring",
            {"valid": True, "is_rule_program": True, "errors": []},
        ),
        (
            'overall >= 7 -> hire\n"Communication" < 4 no_hire',
            "weighted_average",
            "hiring",
            {
                "valid": False,
                "is_rule_program": True,
                "errors": [
                    {"line": 2, "column": 21, "message": "expected '->' after the condition, found 'no_hire'"}
                ],
            },
        ),
        (
            'overall >= 7 -> pass\n"Leadership" >= 5 -> pass',
            "weighted_average",
            "assessment",
            {
                "valid": False,
                "is_rule_program": True,
                "errors": [
                    {
                        "line": 2,
                        "column": 1,
                        "message": 'unknown dimension "Leadership"; the rubric has "System Design", '
                        '"Communication"',
                    }
                ],
            },
        ),
        (
            "Hire people who explain their designs clearly.",
            "weighted_average",
            "hiring",
            {"valid": True, "is_rule_program": False, "errors": []},
        ),
        ("  ", "weighted_average", "hiring", {"valid": True, "is_rule_program": False, "errors": []}),
    ],
    ids=["valid", "syntax-error", "unknown-dimension", "guidance", "blank"],
)
async def test_the_check_gives_the_saves_verdict(
    client: httpx.AsyncClient, logic: str, method: str, use_case: str, expected: dict[str, Any]
) -> None:
    result = await check(client, logic, dimensions=DIMENSIONS, use_case=use_case, scoring_method=method)
    assert result == expected
    saved = await save(client, logic, method, use_case)
    if expected["valid"]:
        assert saved.status_code == 201, saved.text
    else:
        error = field_error(saved)
        assert error["path"] == "scoring.recommendationLogic"
        first = expected["errors"][0]
        assert f"line {first['line']}, column {first['column']}: {first['message']}" in error["message"]


@SQLITE
async def test_positions_are_in_the_text_as_typed(client: httpx.AsyncClient) -> None:
    """The save strips the text first; the editor needs positions in what the recruiter sees."""
    typed = "\n\n   overall >= -> hire"
    result = await check(client, typed)
    assert result["errors"] == [
        {
            "line": 3,
            "column": 15,
            "message": "expected a number, a \"dimension\", overall, all, any, min, max or avg, found '->'",
        }
    ]
    same_line = await check(client, "  overall >= 7 -> hire; 3 > 2 -> no_hire")
    assert [(e["line"], e["column"]) for e in same_line["errors"]] == [(1, 25)]
    assert same_line["errors"][0]["message"].startswith("this compares only numbers")


@SQLITE
async def test_labels_follow_the_use_case_and_dimensions_are_optional(client: httpx.AsyncClient) -> None:
    unknown = await check(client, '"Anything" >= 5 -> maybe', use_case="training")
    assert unknown["valid"] is False
    assert unknown["errors"][0]["column"] == 20
    assert unknown["errors"][0]["message"].startswith(
        "unknown label 'maybe'; use one of ready, needs_training"
    )
    assert (await check(client, '"Anything" >= 5 -> ready'))["valid"] is True


@SQLITE
async def test_rule_based_needs_a_program(client: httpx.AsyncClient) -> None:
    prose = await check(client, "Hire good people.", scoring_method="rule_based")
    assert (prose["valid"], prose["is_rule_program"]) == (False, True)
    empty = await check(client, "", scoring_method="rule_based")
    assert empty["errors"] == [
        {
            "line": 1,
            "column": 1,
            "message": "recommendationLogic is required when scoringMethod is rule_based",
        }
    ]


@SQLITE
async def test_bad_bodies_and_scope(api: ApiClients, client: httpx.AsyncClient) -> None:
    too_long = await client.post(URL, json={"recommendation_logic": "x" * 10_001})
    assert field_error(too_long)["path"] == "recommendation_logic"
    assert field_error(await client.post(URL, json={}))["path"] == "recommendation_logic"
    nul = await client.post(URL, json={"recommendation_logic": "a", "dimensions": ["a\x00"]})
    assert field_error(nul)["path"] == "dimensions"
    many = await client.post(URL, json={"recommendation_logic": "a", "dimensions": ["d"] * 21})
    assert field_error(many)["path"] == "dimensions"
    other = await api.client("acme", scopes=["read:templates"])
    forbidden = await other.post(URL, json={"recommendation_logic": "overall > 5 -> hire"})
    assert forbidden.status_code == 403
    reader = await api.client("acme", scopes=["read:agent_profiles"])
    assert (await reader.post(URL, json={"recommendation_logic": "overall > 5 -> hire"})).status_code == 200
