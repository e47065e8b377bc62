"""Every error leaves the API in one shape, `{"error": {"code", "message", "details"}}`, with the right
status: malformed JSON, wrong content types, oversized bodies (declared or streamed), unknown routes,
unsupported methods, auth failures and unexpected exceptions."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI

from config.settings import Settings
from tests.helpers import ApiClients, participant_body, profile_body

CODE_RE = re.compile(r"^[a-z_]+$")


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is the API's error shape, exactly, with this status and code; returns `error`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert CODE_RE.match(error["code"]), error
    assert error["code"] == code, error
    assert isinstance(error["message"], str)
    assert error["message"].strip()
    assert isinstance(error["details"], dict)
    return dict(error)


async def test_malformed_json_is_400_malformed_json(client: httpx.AsyncClient) -> None:
    bodies = [
        b'{"name": ',
        b"not json",
        b'{"name": "x",}',
        b"{'name': 'x'}",
        b'{"name": "\xff\xfe"}',  # not UTF-8
        b'{"name": 1' + b"0" * 5000 + b"}",  # a number longer than Python will convert
    ]
    for body in bodies:
        r = await client.post(
            "/v1/agent-profiles", content=body, headers={"Content-Type": "application/json"}
        )
        error = assert_error(r, 400, "malformed_json")
        assert error["message"].startswith("request body is not valid JSON"), (body[:20], error)
    # Malformed JSON never gets as far as validation, and never reaches the store.
    listed = await client.get("/v1/agent-profiles")
    assert listed.json()["data"] == []


async def test_body_that_is_not_json_is_415(client: httpx.AsyncClient) -> None:
    payload = b'{"name": "Jane", "email": "jane@example.com"}'
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
        "multipart/form-data; boundary=x",
    ):
        r = await client.post("/v1/participants", content=payload, headers={"Content-Type": content_type})
        error = assert_error(r, 415, "unsupported_media_type")
        assert content_type.split(";")[0] in error["message"]
    r = await client.post("/v1/participants", content=payload)  # no Content-Type at all
    assert_error(r, 415, "unsupported_media_type")
    # An optional body (retake) is refused the same way rather than silently ignored.
    r = await client.post(
        f"/v1/sessions/{uuid.uuid4()}/retake", content=b"{}", headers={"Content-Type": "text/plain"}
    )
    assert_error(r, 415, "unsupported_media_type")
    assert (await client.get("/v1/participants")).json()["data"] == []


async def test_json_media_types_with_parameters_or_suffixes_are_accepted(client: httpx.AsyncClient) -> None:
    for i, content_type in enumerate(("application/json; charset=utf-8", "application/merge-patch+json")):
        r = await client.post(
            "/v1/participants",
            content=json.dumps(participant_body(email=f"p{i}@example.com")).encode(),
            headers={"Content-Type": content_type},
        )
        assert r.status_code == 201, (content_type, r.text)


async def test_declared_content_length_over_the_limit_is_413_before_reading(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    big = b'{"name": "' + b"x" * settings.max_body_bytes + b'"}'
    r = await client.post("/v1/agent-profiles", content=big, headers={"Content-Type": "application/json"})
    error = assert_error(r, 413, "payload_too_large")
    assert str(settings.max_body_bytes) in error["message"]

    # Only the header is looked at: a lie about a huge body is refused without waiting for it.
    r = await client.post(
        "/v1/agent-profiles",
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": str(10**12)},
    )
    assert_error(r, 413, "payload_too_large")

    r = await client.post(
        "/v1/agent-profiles",
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": "lots"},
    )
    assert_error(r, 400, "bad_request")


async def test_streamed_chunked_body_over_the_limit_is_413(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    chunk = b"x" * 64 * 1024
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"name": "'
        while sent <= settings.max_body_bytes:
            sent += len(chunk)
            yield chunk
        yield b'"}'

    r = await client.post("/v1/agent-profiles", content=body(), headers={"Content-Type": "application/json"})
    assert "content-length" not in r.request.headers
    assert r.request.headers["transfer-encoding"] == "chunked"
    assert_error(r, 413, "payload_too_large")
    assert (await client.get("/v1/agent-profiles")).json()["data"] == []


async def test_streamed_chunked_body_under_the_limit_is_accepted(client: httpx.AsyncClient) -> None:
    payload = json.dumps(profile_body()).encode()

    async def body() -> AsyncIterator[bytes]:
        for i in range(0, len(payload), 7):
            yield payload[i : i + 7]

    r = await client.post("/v1/agent-profiles", content=body(), headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text


async def test_unknown_routes_are_404_in_the_error_shape(client: httpx.AsyncClient) -> None:
    for method, path in (
        ("GET", "/"),
        ("GET", "/v1/nope"),
        ("GET", "/v2/agent-profiles"),
        ("POST", f"/v1/agent-profiles/{uuid.uuid4()}/clone"),
        ("DELETE", "/v1/templates/presets/extra"),
    ):
        r = await client.request(method, path)
        assert_error(r, 404, "not_found")


async def test_unsupported_methods_are_405_listing_every_allowed_method(client: httpx.AsyncClient) -> None:
    some_id = str(uuid.uuid4())
    cases = {
        ("PUT", "/v1/agent-profiles"): "GET, HEAD, POST",
        ("DELETE", "/v1/sessions"): "GET, HEAD, POST",
        ("OPTIONS", "/v1/sessions"): "GET, HEAD, POST",
        ("POST", f"/v1/sessions/{some_id}"): "DELETE, GET, HEAD, PATCH",
        ("GET", f"/v1/sessions/{some_id}/cancel"): "POST",
        ("POST", "/healthz"): "GET, HEAD",
    }
    for (method, path), allowed in cases.items():
        r = await client.request(method, path)
        assert_error(r, 405, "method_not_allowed")
        assert r.headers["allow"] == allowed, (method, path)


async def test_auth_scope_validation_conflict_and_cursor_errors_share_the_shape(api: ApiClients) -> None:
    anonymous = api.raw_client()
    assert_error(await anonymous.get("/v1/agent-profiles"), 401, "unauthorized")
    stranger = api.raw_client({"Authorization": "Bearer ie_0123456789abcdef_secret"})
    r = await stranger.get("/v1/agent-profiles")
    assert_error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"

    reader = await api.client("acme", scopes=["read:agent_profiles"])
    error = assert_error(await reader.post("/v1/agent-profiles", json=profile_body()), 403, "forbidden")
    assert error["details"] == {"missing_scopes": ["write:agent_profiles"]}

    client = await api.client("acme")
    assert_error(await client.get(f"/v1/agent-profiles/{uuid.uuid4()}"), 404, "not_found")
    error = assert_error(await client.get("/v1/agent-profiles/NOT-AN-ID"), 422, "validation_failed")
    assert error["details"]["fields"][0]["path"] == "profile_id"
    error = assert_error(await client.post("/v1/agent-profiles", json={"name": ""}), 422, "validation_failed")
    assert {f["in"] for f in error["details"]["fields"]} == {"body"}
    error = assert_error(await client.get("/v1/participants?cursor=Zm9v"), 400, "bad_request")
    assert error["details"]["fields"][0]["path"] == "cursor"

    assert (await client.post("/v1/participants", json=participant_body())).status_code == 201
    assert_error(await client.post("/v1/participants", json=participant_body()), 409, "conflict")


async def test_out_of_range_times_in_queries_are_422_not_500(client: httpx.AsyncClient) -> None:
    # Valid ISO 8601 with offsets, but year 0 or 10000 once converted to UTC.
    for name, value in (
        ("created_after", "0001-01-01T00:00:00+01:00"),
        ("created_before", "9999-12-31T23:59:59-01:00"),
        ("created_after", "0.5"),  # a Unix timestamp is not the documented date-time format
    ):
        for path in ("/v1/participants", "/v1/sessions", "/v1/templates"):
            error = assert_error(await client.get(path, params={name: value}), 422, "validation_failed")
            assert error["details"]["fields"][0]["path"] == name


async def test_unexpected_exception_is_500_internal_error_without_leaking(app: FastAPI) -> None:
    async def explode() -> None:
        raise RuntimeError("secret detail: postgres://admin:hunter2@db")

    app.add_api_route("/boom", explode, methods=["GET"])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as raw:
        r = await raw.get("/boom")
    error = assert_error(r, 500, "internal_error")
    assert "hunter2" not in r.text
    assert "secret" not in error["message"]
