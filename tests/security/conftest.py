import runpy
from pathlib import Path

import pytest
from django.conf import global_settings
from django.test import Client

# The consumer's database thread must close its connection after async tests (PostgreSQL).
from tests.sessions_app.conftest import close_thread_connections  # noqa: F401

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "config" / "settings.py"
PRODUCTION_HOST = "dojo.example.com"
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-0123456789abcdefghij",
    "ALLOWED_HOSTS": PRODUCTION_HOST,
    "CSRF_TRUSTED_ORIGINS": f"https://{PRODUCTION_HOST}",
}
# What production changes about HTTP; the rest of the settings stay the test run's own.
SECURITY_SETTINGS = [
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_SAMESITE",
    "X_FRAME_OPTIONS",
    "CONTENT_SECURITY_POLICY",
    "PASSWORD_HASHERS",
]


@pytest.fixture(scope="session")
def production_settings():
    """config/settings.py evaluated as production would evaluate it (DJANGO_DEBUG=false)."""
    mp = pytest.MonkeyPatch()
    for key, value in PRODUCTION_ENV.items():
        mp.setenv(key, value)
    for key in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"):
        mp.delenv(key, raising=False)
    try:
        return runpy.run_path(str(SETTINGS_FILE))
    finally:
        mp.undo()


@pytest.fixture
def production(settings, production_settings):
    """Apply production's HTTP security settings (a missing one falls back to Django's
    default, so a defence deleted from settings.py fails the tests that need it)."""
    for key in SECURITY_SETTINGS:
        if key == "PASSWORD_HASHERS":
            continue  # hashing tests opt in themselves; MD5 keeps the rest fast
        default = getattr(global_settings, key, None)
        setattr(settings, key, production_settings.get(key, default))
    return production_settings


@pytest.fixture
def https_client(production):
    """A browser talking to production over TLS (terminated by the proxy in front)."""
    return Client(
        HTTP_HOST=PRODUCTION_HOST,
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_ORIGIN=f"https://{PRODUCTION_HOST}",
    )
