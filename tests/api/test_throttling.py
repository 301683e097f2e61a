"""Throttling with the real rates from settings: per IP for anonymous callers, per user once
authenticated, stricter on token issue and message posting, shared by every process."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.urls import Resolver404, resolve
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

from core.throttling import CountingThrottle, _count
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
TOKEN_URL = "/api/v1/auth/token/"

pytestmark = pytest.mark.django_db


def _allowed(scope: str) -> int:
    """How many requests the configured rate lets through in one window."""
    return int(api_settings.DEFAULT_THROTTLE_RATES[scope].split("/")[0])


def _exhaust_token_issue(client, **extra):
    """Spend the token-issue allowance; `{}` fails validation, so no lockout logic is involved."""
    for _ in range(_allowed("token")):
        assert client.post(TOKEN_URL, {}, format="json", **extra).status_code == 400


def _assert_throttled(response):
    assert response.status_code == 429
    body = response.json()
    assert set(body) == {"error", "details"}
    assert body["details"]["code"] == "throttled"
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60 * 60 * 24
    assert body["details"]["retry_after"] == retry_after
    assert body["error"].startswith("Request was throttled")


def test_token_issue_is_throttled_per_ip_with_retry_after():
    client = APIClient()
    _exhaust_token_issue(client)

    _assert_throttled(client.post(TOKEN_URL, {}, format="json"))
    # Another machine has its own allowance.
    assert client.post(TOKEN_URL, {}, format="json", REMOTE_ADDR="10.0.0.7").status_code == 400


def test_x_forwarded_for_cannot_reset_the_bucket_without_a_trusted_proxy():
    assert api_settings.NUM_PROXIES == 0
    client = APIClient()
    _exhaust_token_issue(client, HTTP_X_FORWARDED_FOR="203.0.113.1")

    for forged in ("203.0.113.2", "198.51.100.9, 203.0.113.3", "unknown"):
        _assert_throttled(client.post(TOKEN_URL, {}, format="json", HTTP_X_FORWARDED_FOR=forged))


def test_behind_one_proxy_the_hop_it_appended_is_the_client(settings):
    """NUM_PROXIES=1: only the address our proxy appended counts, not what the client wrote."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    client = APIClient()
    _exhaust_token_issue(client, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.1")

    # The client forges a different first hop: same real address, still throttled.
    _assert_throttled(
        client.post(TOKEN_URL, {}, format="json", HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.1")
    )
    # A different real client behind the same proxy has its own bucket.
    fresh = client.post(TOKEN_URL, {}, format="json", HTTP_X_FORWARDED_FOR="203.0.113.2")
    assert fresh.status_code == 400


def test_authenticated_callers_are_throttled_per_user_not_per_ip():
    user, other = UserFactory(), UserFactory()
    client = APIClient()
    client.force_authenticate(user)
    for _ in range(_allowed("user")):
        assert client.get("/api/v1/users/me/").status_code == 200

    # Changing address does not help a throttled user ...
    _assert_throttled(client.get("/api/v1/users/me/", REMOTE_ADDR="10.9.9.9"))
    # ... and one heavy user does not throttle the others on the same address.
    client.force_authenticate(other)
    assert client.get("/api/v1/users/me/").status_code == 200


def test_buckets_live_in_the_default_cache():
    """The default cache is Redis whenever REDIS_URL is set, so every process shares them."""
    assert SimpleRateThrottle.cache._alias == "default"
    if django_settings.REDIS_URL:
        from django.core.cache.backends.redis import RedisCache

        assert isinstance(caches["default"], RedisCache)

    _exhaust_token_issue(APIClient())
    key = CountingThrottle.cache_format % {"scope": "token", "ident": "127.0.0.1"}
    assert caches["default"].get(key) == _allowed("token")


def test_retry_after_is_the_time_left_in_the_window():
    client = APIClient()
    _exhaust_token_issue(client)
    response = client.post(TOKEN_URL, {}, format="json")
    _assert_throttled(response)
    period = 60  # the token rate is per minute
    left = int(response["Retry-After"])
    if django_settings.REDIS_URL:
        assert period - 5 <= left <= period  # the window opened a moment ago
    else:
        assert left == period  # local memory cannot say how much is left: the whole window


def test_requests_counted_at_the_same_moment_are_all_counted():
    """DRF's own throttles read and rewrite a list, so two requests at once could count as
    one; a counter counts every one of them, in Redis and in local memory alike."""
    from concurrent.futures import ThreadPoolExecutor

    key = f"throttle:test:{uuid.uuid4().hex}"
    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(lambda _: _count(caches["default"], key, 60)[0], range(200)))
    assert sorted(counts) == list(range(1, 201))
    assert caches["default"].get(key) == 200


def test_a_window_ends_and_the_allowance_comes_back():
    client = APIClient()
    _exhaust_token_issue(client)
    _assert_throttled(client.post(TOKEN_URL, {}, format="json"))
    key = CountingThrottle.cache_format % {"scope": "token", "ident": "127.0.0.1"}
    caches["default"].delete(key)  # what the window's expiry does
    assert client.post(TOKEN_URL, {}, format="json").status_code == 400


@pytest.mark.redis
@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs REDIS_URL: a shared cache")
def test_another_process_sees_the_same_bucket():
    """A second Python process (another ASGI worker, say) is throttled by our requests."""
    _exhaust_token_issue(APIClient())
    code = (
        "import django; django.setup();"
        "from rest_framework.test import APIClient;"
        f"print(APIClient().post({TOKEN_URL!r}, {{}}, format='json').status_code)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip().splitlines()[-1] == "429", result.stdout + result.stderr


def _message_route():
    path = f"/api/v1/sessions/{uuid.uuid4()}/messages/"
    try:
        return resolve(path)
    except Resolver404:
        return None


def test_message_posting_has_its_own_stricter_scope():
    match = _message_route()
    if match is None or match.func.__name__ == "api_not_found":
        pytest.skip("POST /api/v1/sessions/<uuid>/messages/ has not landed yet")
    view = match.func.cls()
    assert view.throttle_scope == "messages"
    assert any(issubclass(t, ScopedRateThrottle) for t in view.throttle_classes)
    assert _allowed("messages") < _allowed("user")


def test_message_posting_is_throttled_after_its_allowance(user, scenario):
    match = _message_route()
    if match is None or match.func.__name__ == "api_not_found":
        pytest.skip("POST /api/v1/sessions/<uuid>/messages/ has not landed yet")
    from sessions_app.services import session_start

    session = session_start(user=user, scenario=scenario)
    client = APIClient()
    client.force_authenticate(user)
    url = f"/api/v1/sessions/{session.id}/messages/"
    statuses = [
        client.post(url, {"content": f"Hello, attempt {i}"}, format="json").status_code
        for i in range(_allowed("messages"))
    ]
    # The session may end along the way (409); what matters is that none was throttled yet.
    assert 429 not in statuses, statuses
    _assert_throttled(client.post(url, {"content": "One too many"}, format="json"))
