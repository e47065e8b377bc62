"""API tests of the configuration resources, and the few helpers they share."""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["collect_pages", "created", "field_error", "make_profile", "make_template"]


def created(response: httpx.Response) -> dict[str, Any]:
    """The body of a 201, failing with the response text otherwise."""
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def field_error(response: httpx.Response, status: int = 422) -> dict[str, Any]:
    """The first entry of details.fields of a 403, 409 or 422 error response, checking the usual shape."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    fields: list[dict[str, Any]] = error["details"]["fields"]
    assert fields, error
    for field in fields:
        assert set(field) == {"path", "message", "type", "in"}, field
    expected_code = {403: "forbidden", 409: "conflict", 422: "validation_failed"}[status]
    assert error["code"] == expected_code
    if status == 403:
        assert fields[0]["type"] == "forbidden"
    else:
        assert error["message"].startswith(fields[0]["path"])
    if status == 409:
        assert fields[0]["type"] == "conflict"
    return fields[0]


async def collect_pages(
    client: httpx.AsyncClient, url: str, params: dict[str, Any] | None = None, limit: int = 2
) -> list[dict[str, Any]]:
    """Every item of a listing, following next_cursor page by page; checks each page's size."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(100):
        query = {**(params or {}), "limit": limit}
        if cursor:
            query["cursor"] = cursor
        response = await client.get(url, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["data"]) <= limit
        items.extend(page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        assert len(page["data"]) == limit
    raise AssertionError("pagination did not end")


async def make_profile(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Interviewer",
        "rubric": [{"name": "Skill", "weight": 60}, {"name": "Communication", "weight": 40}],
    }
    body.update(overrides)
    return created(await client.post("/v1/agent-profiles", json=body))


async def make_template(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Backend Engineer", **overrides}
    return created(await client.post("/v1/templates", json=body))
