"""Issue 10 §8: the audit step fails on vulnerable dependencies and new risky code, warns (but
does not pass silently) when the vulnerability service is out of reach, and migrations lint."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _load_audit():
    spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


audit = _load_audit()


def test_a_known_vulnerability_fails_the_audit():
    report = {
        "dependencies": [
            {"name": "django", "version": "5.2.19", "vulns": []},
            {
                "name": "pyyaml",
                "version": "5.3",
                "vulns": [{"id": "PYSEC-2021-142", "fix_versions": ["5.4"]}],
            },
        ]
    }
    passed, message = audit.judge_pip_audit(report, "", 1)
    assert passed is False
    assert "pyyaml 5.3: PYSEC-2021-142 (fixed in 5.4)" in message


def test_a_clean_report_passes():
    report = {"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []}]}
    passed, message = audit.judge_pip_audit(report, "", 0)
    assert passed is True
    assert "1 dependencies audited" in message


def test_an_unreachable_service_warns_loudly_instead_of_claiming_a_clean_bill():
    nothing_audited = {
        "dependencies": [
            {"name": "django", "skip_reason": "Dependency not found on PyPI and could not be…"},
            {"name": "celery", "skip_reason": "Dependency not found on PyPI and could not be…"},
        ]
    }
    passed, message = audit.judge_pip_audit(nothing_audited, "", 0)
    assert passed is True
    assert "DEPENDENCIES NOT AUDITED" in message
    assert "no known vulnerabilities" not in message

    passed, message = audit.judge_pip_audit(
        None, "requests.exceptions.ConnectionError: Max retries exceeded", 1
    )
    assert passed is True
    assert "DEPENDENCIES NOT AUDITED" in message


def test_a_broken_requirements_file_is_a_failure_not_a_warning():
    passed, message = audit.judge_pip_audit(None, "ResolutionImpossible: django==0.0.0", 1)
    assert passed is False
    assert "ResolutionImpossible" in message


def _bandit(*paths, baseline=True):
    extra = ["-b", str(audit.BASELINE)] if baseline else []
    return subprocess.run(
        [str(BIN / "bandit"), "-c", "pyproject.toml", "-r", *paths, "-q", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_code_has_no_bandit_findings_beyond_the_reviewed_baseline():
    result = _bandit(*audit.CODE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_bandit_with_our_configuration_still_catches_new_risky_code(tmp_path):
    risky = tmp_path / "risky_app"
    risky.mkdir()
    (risky / "views.py").write_text(
        "import subprocess\n"
        "import yaml\n\n\n"
        "def run(request):\n"
        "    subprocess.call(request.GET['cmd'], shell=True)\n"
        "    return yaml.load(request.body)\n"
    )
    result = _bandit(str(risky))
    assert result.returncode == 1
    assert "B602" in result.stdout
    assert "B506" in result.stdout


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the migration linter reads PostgreSQL's SQL (CI runs it on PostgreSQL)",
)
def test_our_migrations_pass_the_migration_linter():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "lintmigrations",
            "--no-cache",
            "--ignore-initial-migrations",
            "--include-apps",
            "accounts",
            "scenarios",
            "sessions_app",
            "performance",
            "gamification",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Erroneous migrations: 0/" in result.stdout
