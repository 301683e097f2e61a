import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-0123456789abcdefghij",
    "ALLOWED_HOSTS": "dojo.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://dojo.example.com",
}


def _manage(*args, env=None):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_migrations_are_complete():
    result = _manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_json_logs_carry_the_request_id(client, caplog):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abcdef1234567890")
    assert response["X-Request-ID"] == "abcdef1234567890"


def test_production_logs_are_json_lines_with_a_request_id():
    code = (
        "import logging, django; django.setup();"
        "from core.logging import bind_request_id; bind_request_id('req-12345678');"
        "logging.getLogger('dojo.test').warning('hello')"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET"))}
    env.update(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    import json

    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["request_id"] == "req-12345678"
    assert line["message"] == "hello"
    assert line["level"] == "WARNING"
