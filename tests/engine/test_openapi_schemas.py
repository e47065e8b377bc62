"""The OpenAPI document as an integrator builds on it: valid 3.1, every /v1 response typed, every event
type in `webhooks` with its payload and an example, real responses matching their schemas (and the
typed analysis on the wire exactly as stored), `Location` on 201s, `X-Request-Id` on every response,
malformed ids answered in words, and no internal references in the text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from config.events import EVENTS
from config.settings import Settings
from config.webhooks import EVENT_TYPES
from engine.api.location import location_of
from engine.app import create_app
from engine.store.tables import SessionRow
from tests.engine.analysis_helpers import STRONG, completed_session
from tests.engine.session_helpers import book, expect, inline_participant, make_profile, make_template
from tests.helpers import profile_body

Schema = dict[str, Any]
ROOT = Path(__file__).resolve().parents[2]
HTTP_METHODS = {"get", "put", "post", "delete", "patch"}
# Free-form objects by design, each for a stated reason.
UNTYPED_ALLOWED = {
    "Session.metadata": "the integrator's own data, stored and returned as sent",
    "AuditEvent.detail": "what changed, a different small object per action",
}


@pytest.fixture(scope="module")
def spec() -> Schema:
    document: Schema = create_app(Settings(_env_file=None)).openapi()
    return document


def _validator(spec: Schema, schema: Schema) -> Draft202012Validator:
    """A JSON Schema 2020-12 validator for `schema` with the document's components resolvable."""
    return Draft202012Validator({**schema, "components": spec["components"]})


def _errors(spec: Schema, schema: Schema, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in _validator(spec, schema).iter_errors(instance)
    ]


def _operations(spec: Schema) -> Iterator[tuple[str, str, Schema]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method, path, operation


def _response_schema(spec: Schema, method: str, path: str, status: str = "200") -> Schema:
    schema: Schema = spec["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
    return schema


# --- the document --------------------------------------------------------------------------------


def test_the_document_is_valid_openapi_3_1(spec: Schema) -> None:
    assert spec["openapi"].startswith("3.1")
    validate(spec)  # raises on any violation of the 3.1 specification


def _untyped(spec: Schema, schema: Any, where: str, seen: frozenset[str], found: list[str]) -> None:
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[1]
        if name not in seen:
            _untyped(spec, spec["components"]["schemas"][name], name, seen | {name}, found)
        return
    if schema.get("type") == "object" and not schema.get("properties"):
        extra = schema.get("additionalProperties", True)
        if extra is True or extra == {}:
            found.append(where)
    if not set(schema) - {"description", "title", "default", "examples"}:
        found.append(f"{where} (any value)")
    for key in ("allOf", "anyOf", "oneOf", "prefixItems"):
        for sub in schema.get(key, []):
            _untyped(spec, sub, where, seen, found)
    for key in ("items", "additionalProperties"):
        _untyped(spec, schema.get(key), f"{where}[]", seen, found)
    for name, prop in schema.get("properties", {}).items():
        _untyped(spec, prop, f"{where}.{name}", seen, found)


def test_no_v1_response_is_an_untyped_object(spec: Schema) -> None:
    found: list[str] = []
    checked = 0
    for method, path, operation in _operations(spec):
        if not path.startswith("/v1/"):
            continue
        for status, response in operation["responses"].items():
            media = response.get("content", {}).get("application/json")
            if status.startswith("2") and media is not None:
                checked += 1
                _untyped(spec, media["schema"], f"{method.upper()} {path} {status}", frozenset(), found)
    assert checked > 50
    unexpected = sorted(set(found) - set(UNTYPED_ALLOWED))
    assert not unexpected, "untyped objects in /v1 responses:\n  " + "\n  ".join(unexpected)
    schemas = spec["components"]["schemas"]
    for typed in ("Analysis", "AnalysisDimension", "DimensionEvidence", "AuthenticityFlag", "StageResult"):
        assert schemas[typed]["properties"], typed
    session = schemas["Session"]["properties"]
    assert {"$ref": "#/components/schemas/Analysis"} in session["analysis"]["anyOf"]
    assert {"$ref": "#/components/schemas/StageResult"} in session["stage_result"]["anyOf"]


def test_the_text_cites_no_internal_references(spec: Schema) -> None:
    text = json.dumps(spec)
    assert not re.findall(r"(?i)seeds? \d{3}", text)
    for doc in ("api.md", "webhooks.md"):
        assert not re.findall(r"(?i)seeds? \d{3}", (ROOT / "docs" / doc).read_text()), doc


# --- webhooks ------------------------------------------------------------------------------------


def _recorded_types() -> set[str]:
    """Every event type literal the engine's code records or delivers."""
    pattern = re.compile(r"\"((?:participant|session|analysis|recording|stage|webhook)\.[a-z_]+)\"")
    found: set[str] = set()
    for path in (ROOT / "engine").rglob("*.py"):
        text = path.read_text()
        if "events.record(" in text:
            # Field paths such as participant.evaluation_template_id look alike; no event type ends in _id.
            found |= {name for name in pattern.findall(text) if not name.endswith("_id")}
    assert {"session.completed", "analysis.completed", "stage.advanced"} <= found  # the scan finds them
    return found


def test_webhooks_list_every_event_type_the_engine_sends(spec: Schema) -> None:
    webhooks = spec["webhooks"]
    assert set(webhooks) == set(EVENT_TYPES) == {e.name for e in EVENTS}
    # A type recorded somewhere in the code but missing from the table would be a webhook nobody documented.
    assert _recorded_types() <= set(webhooks), _recorded_types() - set(webhooks)
    for name in (
        "session.completed",
        "analysis.completed",
        "stage.advanced",
        "recording.ready",
        "webhook.test",
    ):
        assert name in webhooks


def test_each_webhook_has_its_payload_an_example_and_the_signature_headers(spec: Schema) -> None:
    schemas = spec["components"]["schemas"]
    for name, item in spec["webhooks"].items():
        operation = item["post"]
        assert operation["summary"].strip(), name
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        component = schemas[body["$ref"].rsplit("/", 1)[1]]
        assert component["properties"]["type"]["const"] == name
        headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
        assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}, name
        assert all(h["required"] and h["description"] for h in headers.values()), name
        assert "HMAC-SHA256" in headers["webhook-signature"]["description"]
        assert set(operation["responses"]) == {"2XX"}, name  # nothing FastAPI assumes about served routes
        (example,) = component["examples"]
        assert example["type"] == name
        assert not _errors(spec, body, example), (name, _errors(spec, body, example))


def test_every_documented_example_validates_against_its_schema(spec: Schema) -> None:
    checked = 0
    for name, component in spec["components"]["schemas"].items():
        for example in component.get("examples", []):
            checked += 1
            assert not _errors(spec, {"$ref": f"#/components/schemas/{name}"}, example), name
    assert checked >= len(EVENTS) * 2  # each type's payload and (when recorded) its event, and more


def test_a_payload_that_breaks_its_schema_is_caught(spec: Schema) -> None:
    # The check above can fail: a wrong type or a missing field is reported.
    schema = {"$ref": "#/components/schemas/SessionCompletedPayload"}
    example = spec["components"]["schemas"]["SessionCompletedPayload"]["examples"][0]
    assert _errors(spec, schema, {**example, "type": "session.started"})
    assert _errors(spec, schema, {**example, "data": {**example["data"], "is_test": "no"}})
    assert _errors(spec, schema, {k: v for k, v in example.items() if k != "data"})


# --- real responses ------------------------------------------------------------------------------

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE
async def test_real_responses_match_their_schemas_and_the_analysis_is_sent_as_stored(
    app: FastAPI, client: httpx.AsyncClient, spec: Schema
) -> None:
    session_id = await completed_session(app, client, STRONG)
    await app.state.services.analysis.wait_idle()
    session = await client.get(f"/v1/sessions/{session_id}")
    assert session.status_code == 200
    body = session.json()
    assert body["analysis_status"] == "COMPLETED"
    assert body["analysis"]["dimensions"][0]["evidence"], "a real analysis quotes evidence"
    # The embedded scorer's verdict waits for a person by default: the schema covers that result too.
    assert (body["stage_result"]["outcome"], body["stage_result"]["reason"]) == (
        "awaiting_approval",
        "embedded_scorer",
    )
    assert not _errors(spec, _response_schema(spec, "get", "/v1/sessions/{session_id}"), body)

    # Typing the analysis changed nothing on the wire: the JSON is the stored object, key order included.
    async with app.state.services.database.transaction() as db:
        row = await db.get(SessionRow, session_id)
        assert row is not None
        stored_analysis, stored_result = row.analysis, row.stage_result
    raw = session.text
    assert json.dumps(body["analysis"]) == json.dumps(stored_analysis)
    assert json.dumps(body["stage_result"]) == json.dumps(stored_result)
    assert list(json.loads(raw)["analysis"]) == list(stored_analysis or {})

    checks = [
        ("get", "/v1/sessions/{session_id}/analyses", f"/v1/sessions/{session_id}/analyses"),
        ("get", "/v1/events", "/v1/events?limit=100"),
        (
            "get",
            "/v1/participants/{participant_id}/pipeline",
            f"/v1/participants/{body['participant_id']}/pipeline",
        ),
        ("get", "/v1/sessions", "/v1/sessions"),
    ]
    for method, template, url in checks:
        response = await client.get(url)
        assert response.status_code == 200, (url, response.text)
        assert not _errors(spec, _response_schema(spec, method, template), response.json()), (
            url,
            _errors(spec, _response_schema(spec, method, template), response.json()),
        )
    events = (await client.get("/v1/events?limit=100")).json()["data"]
    types = {e["type"] for e in events}
    assert {"session.scheduled", "session.completed", "analysis.completed"} <= types
    assert "stage.awaiting_approval" in types
    versions = (await client.get(f"/v1/sessions/{session_id}/analyses")).json()["data"]
    assert json.dumps(versions[0]["result"]) == json.dumps(stored_analysis)


@SQLITE
async def test_test_sessions_and_webhook_deliveries_match_their_schemas(
    client: httpx.AsyncClient, spec: Schema
) -> None:
    profile = await make_profile(client)
    template = await make_template(client)
    session = await book(
        client,
        agent_profile_id=profile["id"],
        template_id=template["id"],
        participant=inline_participant(),
        is_test=True,
    )
    assert session["analysis"]["is_test_data"] is True
    assert "notice" in session["analysis"]
    assert "scorer" not in session["analysis"]  # absent, not null
    assert not _errors(spec, _response_schema(spec, "get", "/v1/sessions/{session_id}"), session)
    endpoint = expect(
        await client.post("/v1/webhook-endpoints", json={"url": "https://127.0.0.1:9/hooks"}), 201
    )
    expect(await client.post(f"/v1/webhook-endpoints/{endpoint['id']}/test"), 202)
    url = f"/v1/webhook-endpoints/{endpoint['id']}/deliveries"
    deliveries = expect(await client.get(url), 200)
    # The endpoint takes every type, so the test session's own events may be delivered to it as well.
    assert "webhook.test" in {d["payload"]["type"] for d in deliveries["data"]}
    schema = _response_schema(spec, "get", "/v1/webhook-endpoints/{endpoint_id}/deliveries")
    assert not _errors(spec, schema, deliveries), _errors(spec, schema, deliveries)


# --- headers -------------------------------------------------------------------------------------


def test_every_201_declares_location_and_every_response_its_request_id(spec: Schema) -> None:
    created = 0
    for method, path, operation in _operations(spec):
        for status, response in operation["responses"].items():
            assert "X-Request-ID" in response.get("headers", {}), (method, path, status)
            if status == "201":
                created += 1
                assert "Location" in response["headers"], (method, path)
    assert created >= 9


@SQLITE
async def test_201s_carry_the_new_resources_location(client: httpx.AsyncClient) -> None:
    profile = await client.post("/v1/agent-profiles", json=profile_body())
    assert profile.status_code == 201
    assert profile.headers["location"] == f"/v1/agent-profiles/{profile.json()['id']}"
    template = await make_template(client)
    stage = await client.post(
        f"/v1/templates/{template['id']}/stages",
        json={"name": "Screen", "agent_profile_id": profile.json()["id"]},
    )
    assert stage.status_code == 201
    assert stage.headers["location"] == f"/v1/stages/{stage.json()['id']}"
    session = await client.post(
        "/v1/sessions", json={"stage_id": stage.json()["id"], "participant": inline_participant()}
    )
    assert session.status_code == 201
    assert session.headers["location"] == f"/v1/sessions/{session.json()['id']}"
    expect(await client.post(f"/v1/sessions/{session.json()['id']}/cancel"), 200)  # a retake follows an end
    retake = await client.post(f"/v1/sessions/{session.json()['id']}/retake")
    assert retake.status_code == 201, retake.text
    assert retake.headers["location"] == f"/v1/sessions/{retake.json()['id']}"
    for response in (profile, stage, session, retake):
        followed = await client.get(response.headers["location"])
        assert followed.status_code == 200
        assert followed.json()["id"] == response.json()["id"]
    # A 200 (not created) has none.
    assert "location" not in (await client.get(profile.headers["location"])).headers
    # A replayed 201 (same Idempotency-Key) points at the same resource.
    key = {"Idempotency-Key": "location-replay-1"}
    first = await client.post("/v1/agent-profiles", json=profile_body(), headers=key)
    again = await client.post("/v1/agent-profiles", json=profile_body(), headers=key)
    assert again.headers.get("idempotent-replayed") == "true"
    assert (
        again.headers["location"] == first.headers["location"] == f"/v1/agent-profiles/{first.json()['id']}"
    )


def test_location_is_where_the_created_resource_lives() -> None:
    assert location_of("/v1/participants", "/v1/participants", {"id": "p1"}) == "/v1/participants/p1"
    assert location_of("/v1/sessions/{session_id}/retake", "/v1/sessions/s0/retake", {"id": "s1"}) == (
        "/v1/sessions/s1"
    )
    started = {"join_url": "https://engine.example/join/tok", "session_id": "s2", "resumed": False}
    assert location_of("/public/{token}/sessions", "/public/abc/sessions", started) == started["join_url"]
    assert location_of("/v1/things", "/v1/things", {"name": "no id"}) is None
    assert location_of("/v1/things", "/v1/things", ["not", "an", "object"]) is None


@SQLITE
async def test_every_response_has_a_request_id_errors_and_unknown_routes_too(
    client: httpx.AsyncClient,
) -> None:
    unknown = await client.get("/v1/no-such-thing")
    assert unknown.status_code == 404
    invalid = await client.post("/v1/agent-profiles", json={"name": ""})
    assert invalid.status_code == 422
    ok = await client.get("/v1/agent-profiles")
    assert ok.status_code == 200
    ids = [r.headers.get("x-request-id") for r in (unknown, invalid, ok)]
    assert all(ids), ids
    assert len(set(ids)) == 3, ids
    echoed = await client.get("/nowhere", headers={"X-Request-ID": "my-trace-1234"})
    assert echoed.status_code == 404
    assert echoed.headers["x-request-id"] == "my-trace-1234"


# --- malformed ids -------------------------------------------------------------------------------


@SQLITE
async def test_a_malformed_id_is_named_in_words_never_as_a_regex(client: httpx.AsyncClient) -> None:
    for url, field in (
        ("/v1/sessions/not-a-uuid", "session_id"),
        ("/v1/participants/12345/pipeline", "participant_id"),
        ("/v1/agent-profiles/DROP%20TABLE", "profile_id"),
    ):
        response = await client.get(url)
        assert response.status_code == 422, (url, response.text)
        error = response.json()["error"]
        assert error["message"].startswith(f"{field}: must be a UUID"), error
        assert "pattern" not in error["message"], error
        assert "^" not in error["message"], error
        assert error["details"]["fields"][0]["in"] == "path"
    body = await client.post("/v1/sessions", json={"participant_id": "nope", "template_id": "x"})
    assert body.status_code == 422
    assert body.json()["error"]["message"].startswith("participant_id: must be a UUID"), body.text
    cursor = await client.get("/v1/sessions", params={"cursor": "no spaces!"})
    assert cursor.status_code == 422
    assert "^" not in cursor.json()["error"]["message"], cursor.text
