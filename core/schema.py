"""The OpenAPI schema describes what the API really sends: the envelope and the error shape.

`EnvelopeJSONRenderer` wraps every success as `{"success": true, "data": …, "meta": …}` and the
exception handler answers every failure as `{"error": …, "details": …}`. Views only declare their
`data` serializer; the post-processing hook below rewrites each operation once the whole schema
is built, so that endpoints added later are described correctly without doing anything.
"""

from __future__ import annotations

import copy
import re

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

ERROR_COMPONENT = "Error"
META_COMPONENT = "Meta"
ENVELOPE_SUFFIX = "Envelope"

UNSAFE_METHODS = {"post", "put", "patch", "delete"}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

# status -> (description, example error sentence, example details)
ERROR_RESPONSES: dict[str, tuple[str, str, dict]] = {
    "400": (
        "The request is malformed or did not validate; `details` maps each field to its errors.",
        "Validation failed. content: This field may not be blank.",
        {"content": ["This field may not be blank."]},
    ),
    "401": (
        "No credentials, or an invalid token: send `Authorization: Token <key>` or log in.",
        "Authentication credentials were not provided.",
        {"code": "not_authenticated"},
    ),
    "403": (
        "Authenticated but not allowed (or a session-cookie request without its CSRF token).",
        "You do not have permission to perform this action.",
        {"code": "permission_denied"},
    ),
    "404": (
        "Nothing here for this user: unknown, or someone else's.",
        "Not found.",
        {"code": "not_found"},
    ),
    "405": (
        "This path does not accept that HTTP method.",
        'Method "PUT" not allowed.',
        {"code": "method_not_allowed"},
    ),
    "409": (
        "The object's current state does not allow this (locked, already ended, too many open).",
        "This session has ended; start a new one to keep practising.",
        {"code": "session_not_active"},
    ),
    "415": (
        "Send the body as `application/json`.",
        'Unsupported media type "text/plain" in request.',
        {"code": "unsupported_media_type"},
    ),
    "429": (
        "Throttled: wait `Retry-After` seconds (also in `details.retry_after`).",
        "Request was throttled. Expected available in 42 seconds.",
        {"code": "throttled", "retry_after": 42},
    ),
}
# Every operation can meet these: malformed input, missing or bad credentials, a CSRF failure,
# a wrong method, throttling. 404 stays on all of them because per-user objects hide as 404.
ALWAYS = ("400", "401", "403", "404", "405", "429")

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every failure, whatever its status.",
    "required": ["error", "details"],
    "properties": {
        "error": {"type": "string", "description": "One human sentence."},
        "details": {
            "type": "object",
            "additionalProperties": {},
            "description": "Field errors (400) or `code` plus context such as `retry_after`.",
        },
    },
}

META_SCHEMA = {
    "type": "object",
    "description": "Totals, filters and pagination, where they help.",
    "additionalProperties": {},
}

RESPONSE_HEADERS = {
    "401": {
        "WWW-Authenticate": {
            "description": "The scheme to authenticate with (`Token`).",
            "schema": {"type": "string"},
        }
    },
    "429": {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer"},
        }
    },
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _resolve(schema: dict, components: dict) -> dict:
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        return components.get(ref.rsplit("/", 1)[1], {})
    return schema


def _is_envelope(schema: dict, components: dict) -> bool:
    """Paginated lists (EnvelopePagination) and hand-written envelopes are already wrapped."""
    properties = _resolve(schema, components).get("properties", {})
    return "success" in properties and "data" in properties


def envelope_schema(data_schema: dict) -> dict:
    return {
        "type": "object",
        "required": ["success", "data"],
        "properties": {
            "success": {"type": "boolean", "enum": [True]},
            "data": data_schema,
            "meta": _ref(META_COMPONENT),
        },
    }


def _add_component(components: dict, generator, name: str, schema: dict) -> None:
    """Into the result and the registry: later hooks (the enum one) rebuild from the registry."""
    components.setdefault(name, schema)
    generator.registry.register_on_missing(
        ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name)
    )


def _wrap_success(media: dict, components: dict, generator) -> None:
    schema = media.get("schema")
    if not schema or _is_envelope(schema, components):
        return
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        # A named envelope per serializer keeps Swagger UI and generated clients readable.
        name = ref.rsplit("/", 1)[1] + ENVELOPE_SUFFIX
        _add_component(components, generator, name, envelope_schema(schema))
        media["schema"] = _ref(name)
    else:
        media["schema"] = envelope_schema(schema)
    for example in (media.get("examples") or {}).values():
        value = example.get("value")
        if not (isinstance(value, dict) and value.get("success") is True):
            example["value"] = {"success": True, "data": value}
    if "example" in media:
        media["example"] = {"success": True, "data": media["example"]}


def _error_response(code: str, declared: dict | None, media_types: list[str]) -> dict:
    description, sentence, details = ERROR_RESPONSES.get(
        code, ("The request failed.", "The request could not be completed.", {"code": "error"})
    )
    declared = declared or {}
    examples = {}
    for media in (declared.get("content") or {}).values():
        examples.update(media.get("examples") or {})
    if not examples:
        examples = {"error": {"value": {"error": sentence, "details": details}}}
    response = {
        "description": declared.get("description") or description,
        "content": {
            media_type: {"schema": _ref(ERROR_COMPONENT), "examples": examples}
            for media_type in media_types
        },
    }
    headers = {**RESPONSE_HEADERS.get(code, {}), **(declared.get("headers") or {})}
    if headers:
        response["headers"] = headers
    return response


def _error_codes(path: str, method: str, responses: dict) -> list[str]:
    codes = set(ALWAYS)
    if method in UNSAFE_METHODS:
        codes.add("415")
        if re.search(r"{[^}]+}", path):
            # Acting on an existing object: its state may forbid it (locked, ended, scoring).
            codes.add("409")
    # Whatever else a view declares (a 503 when the customer engine is down) has the same shape.
    codes.update(code for code in responses if code.startswith(("4", "5")))
    return sorted(codes)


def envelope_postprocessing_hook(result, generator, request, public):
    """Wrap success bodies in the envelope and document the error shape on every operation."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    _add_component(components, generator, ERROR_COMPONENT, ERROR_SCHEMA)
    _add_component(components, generator, META_COMPONENT, META_SCHEMA)
    media_types = ["application/json"]

    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                if code.startswith("2"):
                    response["description"] = response.get("description") or "Success."
                    for media in (response.get("content") or {}).values():
                        _wrap_success(media, components, generator)
            for code in _error_codes(path, method, responses):
                responses[code] = _error_response(code, responses.get(code), media_types)
            operation["responses"] = dict(sorted(responses.items()))
    return result


def _model_allows_blank(field: serializers.Field) -> bool:
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source or field.source == "*":
        return False
    try:
        model_field = model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return False
    return model_field.blank and isinstance(model_field, models.CharField | models.TextField)


class DojoAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with one gap closed.

    A model choice field that may be blank (a session's `outcome` before it ends) loses
    `allow_blank` when a ModelSerializer makes it read-only, so the schema's enum would leave out
    the `""` the API really sends; schema-driven clients and the fuzz tests then reject it.
    """

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if (
            isinstance(field, serializers.ChoiceField)
            and field.read_only
            and not field.allow_blank
            and _model_allows_blank(field)
        ):
            field = copy.copy(field)
            field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)


def documented_error(error_class, description: str, message: str | None = None):
    """An error response for `extend_schema`, with the sentence and code the API really
    answers with for `error_class` (a `core.errors.DomainError`)."""
    example = {
        "error": message or error_class.default_message,
        "details": {"code": error_class.code},
    }
    return OpenApiResponse(
        response=OpenApiTypes.OBJECT,
        description=description,
        examples=[OpenApiExample(error_class.code, value=example, response_only=True)],
    )
