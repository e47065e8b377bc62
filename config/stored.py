"""Typed views of JSON the engine stores as it built it: the analysis, the stage result, event payloads.

These objects are written once (by the scorer, the pipeline, the outbox) and read back many times by
the API. Their models exist so OpenAPI can describe them and generated clients get real types, but the
wire format must stay exactly what was stored: `StoredModel` serialises only the keys the stored object
holds, in its order, and passes through keys a later engine version added, so typing them changed
nothing an integrator parses.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    ConfigDict,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    model_serializer,
    model_validator,
)

from config.base import ApiModel

__all__ = ["DateTimeText", "Number", "StoredModel"]

# A number kept as stored: pydantic's `float` would turn a stored 25 into 25.0 on the way out.
Number = Annotated[int | float, WithJsonSchema({"type": "number"})]
# A timestamp kept as the stored ISO 8601 text (`+00:00`); a datetime field would re-render it as `Z`.
DateTimeText = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


class StoredModel(ApiModel):
    """A stored JSON object, typed: optional fields the object lacks stay absent (never `null`), the key
    order is the stored one, and unknown keys pass through."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, serialize_by_alias=True)

    _order: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _remember_order(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        model = handler(data)
        if isinstance(data, dict) and isinstance(model, StoredModel):
            model._order = tuple(data)
        return model

    # No return annotation on purpose: pydantic would publish the annotation (a bare dict) as the
    # model's serialization schema in OpenAPI instead of its fields.
    @model_serializer(mode="wrap")
    def _as_stored(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        out = handler(self)
        if not isinstance(out, dict):
            return out
        for name, field in type(self).model_fields.items():
            if name not in self.model_fields_set:
                out.pop(field.alias or name, None)
                out.pop(name, None)
        if not self._order:
            return out
        rank = {key: i for i, key in enumerate(self._order)}
        return dict(sorted(out.items(), key=lambda item: rank.get(item[0], len(rank))))
