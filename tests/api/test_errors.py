"""A bug is answered as a 500 in the envelope, without a traceback, and logged with the request id
the client saw, so that a support ticket quoting it leads to the log line."""

import logging

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.raising_urls")]


def test_an_unexpected_exception_is_a_500_in_the_envelope(api_client, caplog):
    with caplog.at_level(logging.ERROR, logger="core.api"):
        response = api_client.get("/api/v1/__explode__/", HTTP_X_REQUEST_ID="ticket-12345678")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "details"}
    assert body["details"] == {"code": "error", "request_id": "ticket-12345678"}
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert response["X-Request-ID"] == "ticket-12345678"

    [record] = [r for r in caplog.records if r.name == "core.api"]
    assert record.levelno == logging.ERROR
    assert record.request_id == "ticket-12345678"
    assert "GET /api/v1/__explode__/" in record.getMessage()
    assert record.exc_info[0] is ZeroDivisionError


def test_each_request_gets_its_own_id_when_the_client_sends_none(api_client, caplog):
    with caplog.at_level(logging.ERROR, logger="core.api"):
        first = api_client.get("/api/v1/__explode__/")
        second = api_client.get("/api/v1/__explode__/")
    ids = [r.request_id for r in caplog.records if r.name == "core.api"]
    assert ids == [first.json()["details"]["request_id"], second.json()["details"]["request_id"]]
    assert ids[0] != ids[1]
    assert "-" not in ids
