"""Issue 17 §1: requests no client should send (a body nested past the parser's stack, a body
over DATA_UPLOAD_MAX_MEMORY_SIZE, more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS) are the
client's fault: a 400 or 413 in the envelope under /api/ and the error page elsewhere, logged as
a warning. Never a 500, never an ERROR line with a traceback that pages whoever is on call."""

import logging

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

DEEP_JSON = "[" * 2000 + "]" * 2000
TOO_MANY_FIELDS = "&".join(f"f{i}=1" for i in range(1001))


def too_big_json() -> str:
    """Valid JSON a little over the upload limit (3 MB with Django's default of 2.5 MB)."""
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 512 * 1024
    return '{"email": "a@example.com", "password": "' + "x" * size + '"}'


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.INFO)
    return caplog


def assert_logged_as_client_error(log):
    errors = [r for r in log.records if r.levelno >= logging.ERROR]
    assert not errors, [(r.name, r.getMessage()) for r in errors]
    assert not any(r.exc_info for r in log.records)
    assert any(r.levelno == logging.WARNING for r in log.records)


def assert_envelope(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "details"}
    assert body["error"]
    assert "Traceback" not in response.content.decode()
    return body


# --- JSON nested deeper than the parser's stack ---------------------------------------------


def test_deeply_nested_json_to_the_token_endpoint_is_a_400(client, log):
    response = client.post("/api/v1/auth/token/", DEEP_JSON, content_type="application/json")
    body = assert_envelope(response, 400)
    assert body["details"]["code"] == "parse_error"
    assert_logged_as_client_error(log)


def test_deeply_nested_json_to_an_authenticated_route_is_a_400(api_client, log):
    response = api_client.patch("/api/v1/users/me/", DEEP_JSON, content_type="application/json")
    assert_envelope(response, 400)
    assert_logged_as_client_error(log)


# --- a body over DATA_UPLOAD_MAX_MEMORY_SIZE -----------------------------------------------


def test_a_body_over_the_upload_limit_to_the_token_endpoint_is_a_413(client, log):
    response = client.post("/api/v1/auth/token/", too_big_json(), content_type="application/json")
    body = assert_envelope(response, 413)
    assert body["details"]["code"] == "request_too_large"
    assert_logged_as_client_error(log)


def test_a_body_over_the_upload_limit_to_an_authenticated_route_is_a_413(api_client, log):
    response = api_client.patch(
        "/api/v1/users/me/", too_big_json(), content_type="application/json"
    )
    assert_envelope(response, 413)
    assert_logged_as_client_error(log)


def test_a_form_over_the_upload_limit_to_a_page_is_a_413_page(client, log):
    response = client.post(
        "/accounts/login/",
        "login=a%40example.com&password=" + "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert "Traceback" not in response.content.decode()
    assert_logged_as_client_error(log)


# --- more than DATA_UPLOAD_MAX_NUMBER_FIELDS ----------------------------------------------


def test_too_many_query_parameters_on_an_api_route_are_a_400(client, log):
    response = client.get(f"/api/v1/scenarios/?{TOO_MANY_FIELDS}")
    body = assert_envelope(response, 400)
    assert body["details"]["code"] == "too_many_fields"
    assert_logged_as_client_error(log)


def test_too_many_query_parameters_to_the_token_endpoint_are_a_400(client, log):
    response = client.post(
        f"/api/v1/auth/token/?{TOO_MANY_FIELDS}",
        {"email": "a@example.com", "password": "x"},
        content_type="application/json",
    )
    assert_envelope(response, 400)
    assert_logged_as_client_error(log)


def test_too_many_query_parameters_on_a_page_are_a_400_page(client, log):
    response = client.get(f"/accounts/login/?{TOO_MANY_FIELDS}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "Traceback" not in response.content.decode()
    assert_logged_as_client_error(log)


def test_too_many_query_parameters_on_a_signed_in_page_are_a_400_page(client_user, log):
    response = client_user.get(f"/scenarios/?{TOO_MANY_FIELDS}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert_logged_as_client_error(log)


def test_too_many_form_fields_posted_to_a_page_are_a_400_page(client, log):
    response = client.post(
        "/accounts/login/", TOO_MANY_FIELDS, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert_logged_as_client_error(log)
