"""The published contract: /openapi.json and /docs are served, everything a client fills in or reads is
described, and the documented error responses are the shape the API really sends."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from config.settings import Settings
from engine.app import create_app

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
Schema = dict[str, Any]


@pytest.fixture
def docs_app(tmp_path: Path) -> FastAPI:
    # Serving the schema needs no database, so no lifespan here.
    return create_app(Settings(_env_file=None, data_dir=tmp_path))


@pytest.fixture
async def docs_client(docs_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=docs_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def spec(docs_client: httpx.AsyncClient) -> Schema:
    r = await docs_client.get("/openapi.json")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body: Schema = r.json()
    return body


def _operations(spec: Schema) -> Iterator[tuple[str, str, Schema]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method, path, operation


def _described(schema: Schema) -> bool:
    description = schema.get("description")
    return isinstance(description, str) and bool(description.strip())


def _undescribed_properties(spec: Schema) -> list[str]:
    """`Model.field[.nested]` for every property without a description, following $ref, allOf, anyOf,
    oneOf, items and additionalProperties from every component and every operation."""
    components: dict[str, Schema] = spec.get("components", {}).get("schemas", {})
    missing: list[str] = []
    visited: set[str] = set()

    def walk(schema: Any, where: str) -> None:
        if not isinstance(schema, dict):
            return
        ref = schema.get("$ref")
        if isinstance(ref, str):
            assert ref.startswith("#/components/schemas/"), ref
            name = ref.rsplit("/", 1)[1]
            assert name in components, f"{where}: dangling $ref {ref}"
            if name not in visited:
                visited.add(name)
                walk(components[name], name)
        for key in ("allOf", "anyOf", "oneOf", "prefixItems"):
            for i, sub in enumerate(schema.get(key, [])):
                walk(sub, f"{where}<{key}[{i}]>")
        for key in ("items", "additionalProperties", "not"):
            walk(schema.get(key), f"{where}<{key}>")
        for name, prop in schema.get("properties", {}).items():
            if not _described(prop):
                missing.append(f"{where}.{name}")
            walk(prop, f"{where}.{name}")

    for name in components:
        walk({"$ref": f"#/components/schemas/{name}"}, name)
    for method, path, operation in _operations(spec):
        label = f"{method.upper()} {path}"
        for media in operation.get("requestBody", {}).get("content", {}).values():
            walk(media.get("schema"), f"{label} body")
        for status, response in operation.get("responses", {}).items():
            for media in response.get("content", {}).values():
                walk(media.get("schema"), f"{label} {status}")
    return sorted(set(missing))


async def test_openapi_json_and_docs_are_served(docs_client: httpx.AsyncClient, spec: Schema) -> None:
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "interview-engine"
    assert spec["info"]["description"].strip()
    assert spec["components"]["securitySchemes"]["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "API key of your company.",
    }
    r = await docs_client.get("/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in r.text
    assert "/openapi.json" in r.text
    # The schema is built once and served as built.
    assert (await docs_client.get("/openapi.json")).json() == spec


async def test_docs_page_loads_its_assets_from_the_engine_only(docs_client: httpx.AsyncClient) -> None:
    page = await docs_client.get("/docs")
    assert page.status_code == 200
    assert "http://" not in page.text
    assert '<html lang="en">' in page.text
    assert "https://" not in page.text
    assert "//" not in "".join(re.findall(r'(?:src|href)="([^"]*)"', page.text))  # no protocol-relative URL
    csp = page.headers["content-security-policy"]
    assert "http" not in csp
    assert "'unsafe-inline'" not in csp
    assert "script-src 'self' 'sha256-" in csp  # the page's one inline start-up script, by its hash
    assets = dict.fromkeys(re.findall(r'(?:src|href)="([^"]+)"', page.text))
    expected = {
        "/docs/assets/swagger-ui-bundle.js": "text/javascript",
        "/docs/assets/swagger-ui.css": "text/css",
        "/docs/assets/favicon-32x32.png": "image/png",
    }
    assert set(assets) == set(expected)
    for url, media_type in expected.items():
        r = await docs_client.get(url)
        assert r.status_code == 200, url
        assert r.headers["content-type"].split(";")[0] == media_type, url
        assert r.headers["x-content-type-options"] == "nosniff"
        assert len(r.content) > 500, url
    assert b"SwaggerUIBundle" in (await docs_client.get("/docs/assets/swagger-ui-bundle.js")).content
    # Only the files the page uses; nothing else of the package, nothing outside it; no ReDoc.
    for url in (
        "/docs/assets/index.html",
        "/docs/assets/swagger-initializer.js",
        "/docs/assets/..%2F..%2F__init__.py",
        "/redoc",
    ):
        assert (await docs_client.get(url)).status_code == 404, url


async def test_every_schema_property_is_described(spec: Schema) -> None:
    missing = _undescribed_properties(spec)
    assert not missing, "properties without a description:\n  " + "\n  ".join(missing)


async def test_every_parameter_is_described(spec: Schema) -> None:
    missing = []
    seen = 0
    for method, path, operation in _operations(spec):
        for param in operation.get("parameters", []):
            seen += 1
            if not _described(param):
                missing.append(f"{method.upper()} {path} {param['in']}:{param['name']}")
    assert seen > 30  # the list filters and every {id} in a path
    assert not missing, "parameters without a description:\n  " + "\n  ".join(missing)


async def test_every_operation_has_a_summary_tags_and_security(spec: Schema) -> None:
    for method, path, operation in _operations(spec):
        assert operation.get("summary", "").strip(), (method, path)
        assert operation.get("tags"), (method, path)
        if path in ("/v1/auth/login", "/v1/phone-streams/{token}/status"):
            # Signing in needs no credentials yet; a provider's callback carries a token in its path.
            assert operation["security"] == [], (method, path)
        elif path.startswith("/v1/"):
            assert operation["security"] == [{"apiKey": []}, {"signInCookie": []}], (method, path)
        else:
            assert "security" not in operation, (method, path)


async def test_documented_errors_use_the_error_shape_the_api_sends(spec: Schema) -> None:
    schemas = spec["components"]["schemas"]
    # FastAPI's `{"detail": [...]}` 422 is never sent by this API, so it is not documented either.
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    assert schemas["ErrorResponse"]["required"] == ["error"]
    assert set(schemas["ErrorDetail"]["required"]) == {"code", "message", "details"}
    error_ref = {"$ref": "#/components/schemas/ErrorResponse"}
    for method, path, operation in _operations(spec):
        if not path.startswith("/v1/"):
            continue
        responses = operation["responses"]
        expected = {"401", "403"}
        if "{" in path:
            expected.add("404")
        if "requestBody" in operation:
            expected |= {"400", "413", "415", "422"}
        for status in expected:
            assert status in responses, (method, path, status)
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                assert response["content"]["application/json"]["schema"] == error_ref, (method, path, status)
                assert _described(response), (method, path, status)


async def test_error_shape_in_the_docs_matches_a_real_error(docs_app: FastAPI, spec: Schema) -> None:
    # A real 404 from the app, checked against the documented schema's required keys and properties.
    transport = httpx.ASGITransport(app=docs_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        body = (await client.get("/no/such/route")).json()
    schemas = spec["components"]["schemas"]
    assert set(body) == set(schemas["ErrorResponse"]["properties"])
    assert set(body["error"]) == set(schemas["ErrorDetail"]["properties"])
