"""Browser callers use the session cookie and must prove the request came from our pages (CSRF);
scripts use a token and need no CSRF token, because no browser attaches it on its own."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_a_cookie_write_without_the_csrf_token_is_refused_in_the_envelope(browser, user):
    response = browser.patch(
        "/api/v1/users/me/", {"first_name": "Mallory"}, content_type="application/json"
    )
    assert response.status_code == 403
    body = response.json()
    assert set(body) == {"error", "details"}
    assert "CSRF" in body["error"]
    user.refresh_from_db()
    assert user.first_name != "Mallory"


def test_a_cookie_write_with_the_csrf_token_goes_through(browser, user):
    browser.get("/profile/")  # any page sets the CSRF cookie, as the browser would have it
    token = browser.cookies["csrftoken"].value
    response = browser.patch(
        "/api/v1/users/me/",
        {"first_name": "Grace"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.first_name == "Grace"


def test_cookie_reads_need_no_csrf_token(browser, user):
    response = browser.get("/api/v1/users/me/")
    assert response.status_code == 200
    assert response.json()["data"]["email"] == user.email


def test_a_token_write_needs_no_csrf_token(token, user):
    client = Client(enforce_csrf_checks=True)
    response = client.patch(
        "/api/v1/users/me/",
        {"last_name": "Lovelace"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.last_name == "Lovelace"
