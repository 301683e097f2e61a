"""The OpenAPI document is part of the product: complete, valid, and true to the envelope."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.schema import ERROR_RESPONSES

ROOT = Path(__file__).resolve().parents[2]
HTTP_METHODS = {"get", "put", "post", "delete", "patch"}
# Names no request body may carry: the server alone decides them (mass assignment).
SERVER_OWNED_FIELDS = {
    "xp",
    "level",
    "is_staff",
    "is_superuser",
    "is_active",
    "score",
    "passed",
    "xp_awarded",
    "user",
    "user_id",
}

pytestmark = pytest.mark.django_db


def _operations(openapi):
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def _resolve(openapi, schema):
    ref = schema.get("$ref")
    if ref:
        return openapi["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return schema


def test_spectacular_validates_without_warnings():
    """`manage.py spectacular --validate --fail-on-warn`: the same check CI would run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    command = ["manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", os.devnull]
    result = subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning #" not in result.stderr, result.stderr
    assert "Error #" not in result.stderr, result.stderr


def test_every_operation_has_a_summary_and_an_app_tag(openapi):
    missing = [
        f"{method.upper()} {path}"
        for path, method, operation in _operations(openapi)
        if not operation.get("summary") or not operation.get("tags")
    ]
    assert not missing, f"add @extend_schema(summary=..., tags=[...]) to: {missing}"
    app_tags = {"accounts", "scenarios", "sessions", "performance", "gamification"}
    for path, method, operation in _operations(openapi):
        assert set(operation["tags"]) <= app_tags, (method, path, operation["tags"])


def test_success_bodies_are_described_inside_the_envelope(openapi):
    for path, method, operation in _operations(openapi):
        for code, response in operation["responses"].items():
            if not code.startswith("2") or "content" not in response:
                continue
            schema = _resolve(openapi, response["content"]["application/json"]["schema"])
            success = _resolve(openapi, schema["properties"]["success"])
            assert (success["type"], success["enum"]) == ("boolean", [True]), (
                method,
                path,
            )
            assert "data" in schema["properties"], (method, path)
            assert "meta" in schema["properties"], (method, path)
            data = _resolve(openapi, schema["properties"]["data"])
            # Never wrapped twice: the data is the resource, not another envelope.
            assert "success" not in data.get("properties", {}), (method, path)


def test_every_operation_documents_the_error_shape_with_examples(openapi):
    error = openapi["components"]["schemas"]["Error"]
    assert error["required"] == ["error", "details"]
    for path, method, operation in _operations(openapi):
        responses = operation["responses"]
        expected = {"400", "401", "403", "404", "405", "429"}
        if method != "get":
            expected.add("415")
        assert expected <= set(responses), (method, path, sorted(responses))
        for code in responses:
            if not code.startswith(("4", "5")):
                continue
            media = responses[code]["content"]["application/json"]
            assert media["schema"] == {"$ref": "#/components/schemas/Error"}, (method, path, code)
            example = next(iter(media["examples"].values()))["value"]
            assert set(example) == {"error", "details"}, (method, path, code)
            assert responses[code]["description"], (method, path, code)
        assert "Retry-After" in responses["429"]["headers"]


def test_state_changes_on_an_object_document_409(openapi):
    for path, method, operation in _operations(openapi):
        if method in {"post", "put", "patch", "delete"} and re.search(r"{[^}]+}", path):
            assert "409" in operation["responses"], (method, path)


def test_error_examples_match_what_the_api_really_answers(client, api_client):
    """The documented examples are the real sentences, not invented ones."""
    assert client.get("/api/v1/users/me/").json() == {
        "error": ERROR_RESPONSES["401"][1],
        "details": ERROR_RESPONSES["401"][2],
    }
    response = api_client.patch("/api/v1/users/me/", data="x", content_type="text/plain")
    assert response.json() == {
        "error": ERROR_RESPONSES["415"][1],
        "details": ERROR_RESPONSES["415"][2],
    }
    response = api_client.put("/api/v1/users/me/", {}, format="json")
    assert response.json() == {
        "error": ERROR_RESPONSES["405"][1],
        "details": ERROR_RESPONSES["405"][2],
    }


def test_no_request_body_lets_a_client_set_server_owned_fields(openapi):
    """Generalised mass-assignment guard: a writable `xp` or `score` would appear here first."""
    schemas = openapi["components"]["schemas"]
    for path, method, operation in _operations(openapi):
        body = operation.get("requestBody")
        if not body:
            continue
        for media in body["content"].values():
            schema = _resolve(openapi, media["schema"])
            writable = {
                name
                for name, prop in schema.get("properties", {}).items()
                if not _resolve(openapi, prop).get("readOnly")
            }
            assert not writable & SERVER_OWNED_FIELDS, (method, path, writable)
    assert schemas  # the walk above had something to look at


def test_schema_and_docs_are_public_and_served_from_local_files(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert schema["Content-Type"].startswith("application/vnd.oai.openapi")

    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    # No CDN: every asset is ours, and there is no inline script for the CSP to block.
    assert all(src.startswith("/") for src in sources), sources
    assert not re.search(r"<script>\s*\S", html)
    for src in sources:
        if src.startswith("/static/"):
            assert client.get(src).status_code == 200, src

    script_url = next(src for src in sources if "script" in src and "static" not in src)
    script = client.get(script_url)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


def test_a_stale_token_does_not_hide_the_public_schema(client):
    response = client.get("/api/schema/", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 200
