"""Issue 10 §1: production answers with the security headers, cookies and hashing it claims.

Every test evaluates config/settings.py the way production does (the `production` fixture) and
asserts on real responses from the whole middleware stack.
"""

import re

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client

from tests.factories import UserFactory
from tests.security.conftest import PRODUCTION_HOST

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    policy = {}
    for directive in filter(None, (part.strip() for part in header.split(";"))):
        name, *sources = directive.split()
        policy[name] = sources
    return policy


def test_plain_http_is_redirected_to_https(production):
    client = Client(HTTP_HOST=PRODUCTION_HOST)
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == f"https://{PRODUCTION_HOST}/accounts/login/"


def test_the_load_balancer_health_check_is_not_redirected(production):
    response = Client(HTTP_HOST=PRODUCTION_HOST).get("/healthz")
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/v1/users/me/", "/admin/login/"])
def test_every_response_carries_the_security_headers(https_client, path):
    response = https_client.get(path)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Content-Security-Policy" in response


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/docs/", "/admin/login/", "/nope/"])
def test_the_csp_allows_nothing_inline_and_only_our_own_websocket(https_client, path):
    policy = _csp(https_client.get(path))

    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["connect-src"] == ["'self'", f"wss://{PRODUCTION_HOST}"]
    everything = [source for sources in policy.values() for source in sources]
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "ws:", "wss:", "http:", "https:"} & set(
        everything
    )


INLINE_CODE = [
    re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I),
    re.compile(r"<style\b", re.I),
    re.compile(r"\sstyle\s*=", re.I),
    re.compile(r"\son[a-z]+\s*=", re.I),
    re.compile(r"javascript:", re.I),
]


def _inline_code(html: str) -> list[str]:
    return [match.group(0) for pattern in INLINE_CODE for match in pattern.finditer(html)]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/api/docs/",
        "/admin/login/",
    ],
)
def test_public_pages_have_no_inline_script_or_style(https_client, path):
    response = https_client.get(path)
    assert response.status_code == 200
    assert _inline_code(response.content.decode()) == []


@pytest.mark.parametrize(
    "path",
    [
        "/profile/",
        "/accounts/password/change/",
        "/admin/",
        "/admin/accounts/user/",
        "/admin/accounts/user/{pk}/change/",
        "/admin/accounts/user/add/",
        "/admin/scenarios/scenario/add/",
    ],
)
def test_signed_in_and_admin_pages_have_no_inline_script_or_style(https_client, path):
    staff = UserFactory(is_staff=True, is_superuser=True)
    https_client.force_login(staff)
    response = https_client.get(path.format(pk=staff.pk))
    assert response.status_code == 200
    assert _inline_code(response.content.decode()) == []


def test_swagger_ui_loads_its_init_script_as_a_same_origin_file(https_client):
    page = https_client.get("/api/docs/").content.decode()
    sources = re.findall(r'<script src="([^"]+)"', page)
    init = [src for src in sources if "script" in src.split("?", 1)[-1]]
    assert init, sources
    response = https_client.get(init[0])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in response.content


def test_session_and_csrf_cookies_are_secure_httponly_and_same_site(https_client):
    UserFactory(email="trainee@example.com")
    login_page = https_client.get("/accounts/login/")
    csrf = login_page.cookies["csrftoken"]
    assert csrf["secure"] is True
    assert csrf["samesite"] == "Lax"

    response = https_client.post(
        "/accounts/login/",
        {
            "login": "trainee@example.com",
            "password": PASSWORD,
            "csrfmiddlewaretoken": csrf.value,
        },
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


def test_production_hashes_new_passwords_with_argon2(production_settings, settings):
    settings.PASSWORD_HASHERS = production_settings["PASSWORD_HASHERS"]
    assert make_password("a-new-passphrase").startswith("argon2$")


def test_an_old_pbkdf2_hash_still_logs_in_and_is_upgraded_to_argon2(
    production_settings, settings, client
):
    settings.PASSWORD_HASHERS = production_settings["PASSWORD_HASHERS"]
    user = UserFactory(email="veteran@example.com")
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])

    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
