"""Response headers and webhook operations in the OpenAPI document: `X-Request-Id` on every response,
`Location` on every 201, and the `webhooks` section cleaned of what FastAPI assumes about served routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from engine.observability.context import REQUEST_ID_HEADER

__all__ = ["document_headers", "restore_examples"]

HEADERS: dict[str, Any] = {
    REQUEST_ID_HEADER: {
        "description": "This request's id (yours, when you sent a valid `X-Request-Id`): quote it when "
        "reporting a problem; the server's logs carry it.",
        "schema": {"type": "string"},
    },
    "Location": {
        "description": "The URL path of the resource just created.",
        "schema": {"type": "string", "format": "uri-reference"},
    },
}
_WEBHOOK_RESPONSE = {
    "description": "Any 2xx: received. 410 Gone disables the endpoint; 429 or 503 with `Retry-After` delays "
    "the next attempt; anything else (or no answer within the timeout) is retried on the schedule."
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def document_headers(schema: dict[str, Any]) -> None:
    schema.setdefault("components", {}).setdefault("headers", {}).update(HEADERS)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                headers = response.setdefault("headers", {})
                headers[REQUEST_ID_HEADER] = _ref(REQUEST_ID_HEADER)
                if status == "201":
                    headers.setdefault("Location", _ref("Location"))
    for operations in schema.get("webhooks", {}).values():
        for operation in operations.values():
            # Your receiver answers these: no JSON body is expected back, and FastAPI's 422 (in a shape
            # this document does not define) is not part of the contract.
            operation["responses"] = {"2XX": _WEBHOOK_RESPONSE}


def _models(base: type[BaseModel]) -> Iterator[type[BaseModel]]:
    for sub in base.__subclasses__():
        yield sub
        yield from _models(sub)


def _documented_examples() -> dict[str, list[Any]]:
    """Component name -> the examples the engine's model of that name declares."""
    out: dict[str, list[Any]] = {}
    for model in _models(BaseModel):
        if not model.__module__.startswith(("config.", "engine.")):
            continue
        extra = model.model_config.get("json_schema_extra")
        examples = extra.get("examples") if isinstance(extra, dict) else None
        if isinstance(examples, list):
            out[model.__name__] = list(examples)
    return out


def restore_examples(schema: dict[str, Any]) -> None:
    """Put the models' examples back as written: FastAPI encodes the document without `None`s, which
    turns an example's `"nextSessionId": null` into a missing (required) key."""
    components = schema.get("components", {}).get("schemas", {})
    for name, examples in _documented_examples().items():
        if "examples" in components.get(name, {}):
            components[name]["examples"] = examples
