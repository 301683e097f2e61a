"""docs/api.md is executable: each ```sh block runs with curl against the real app (uvicorn on a
loopback port, its own migrated SQLite file), and its answer must have the shape documented in
the ```json (or ```text) block that follows it."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "api.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")


def guide_examples() -> list[tuple[str, str, str]]:
    """(command, output language, documented output) for every ```sh block, in order."""
    blocks = FENCE.findall(GUIDE.read_text())
    examples = []
    for index, (language, body) in enumerate(blocks):
        if language != "sh":
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else ("", "")
        assert following[0] in ("json", "text"), f"no documented answer after:\n{body}"
        examples.append((body, following[0], following[1]))
    return examples


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(sqlite_path: Path) -> dict:
    """An isolated app: its own SQLite file, in-memory layers, eager Celery, no engine delay."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
        and not k.startswith(("DJANGO_", "THROTTLE_", "PYTEST"))
    }
    env.update(
        SQLITE_PATH=str(sqlite_path),
        OFFLINE_ENGINE_PACE="0",
        CUSTOMER_PACING="false",
        LOG_LEVEL="WARNING",
    )
    return env


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    env = _server_env(tmp_path_factory.mktemp("guide") / "guide.sqlite3")
    for command in (
        ["migrate", "--noinput"],
        ["import_scenarios", "scenarios/library/router-reboot-loop.yaml"],
        ["create_demo_accounts"],
    ):
        result = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    port = _free_port()
    command = ["config.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", *command, "--lifespan", "off"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(server.stderr.read().decode()) from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _mismatches(documented, actual, where="$") -> list[str]:
    """Where `actual` lacks the documented shape. Documented keys must exist (more may), lists
    hold items shaped like the first documented one, scalars keep their JSON type; a documented
    null means "may be null"."""
    if documented is None:
        return []
    if isinstance(documented, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        problems = []
        for key, value in documented.items():
            if key not in actual:
                problems.append(f"{where}.{key}: missing")
            else:
                problems += _mismatches(value, actual[key], f"{where}.{key}")
        return problems
    if isinstance(documented, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {actual!r}"]
        if documented and not actual:
            return [f"{where}: expected items, got none"]
        problems = []
        for index, item in enumerate(actual):
            problems += _mismatches(documented[0], item, f"{where}[{index}]") if documented else []
        return problems
    kinds = {bool: "boolean", int: "number", float: "number", str: "string"}
    if kinds.get(type(documented)) != kinds.get(type(actual)):
        return [f"{where}: expected a {kinds.get(type(documented))}, got {actual!r}"]
    return []


def test_the_guide_documents_each_step_of_a_session():
    commands = "\n".join(command for command, _, _ in guide_examples())
    for step in (
        "/api/v1/auth/token/",
        "/scenarios/router-reboot-loop/start/",
        "/messages/",
        "/complete/",
        'sessions/$SESSION/"',
        "/performance/summary/",
        "/auth/token/revoke/",
    ):
        assert step in commands, step


def test_the_guide_is_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    assert "## API" in readme
    assert "docs/api.md" in readme


def test_every_curl_example_in_the_guide_answers_as_documented(base_url):
    variables = {"BASE": base_url, "TOKEN": "", "SESSION": ""}
    examples = guide_examples()
    assert len(examples) >= 8
    for command, language, documented in examples:
        # The score appears once the background task has run: poll as the guide says.
        deadline = time.monotonic() + (20 if "status" in documented else 0)
        while True:
            result = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", command],
                env={**os.environ, **variables},
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert result.returncode == 0, f"{command}\n{result.stderr}"
            if language == "text":
                problems = [] if result.stdout == documented else [repr(result.stdout)]
            else:
                problems = _mismatches(json.loads(documented), json.loads(result.stdout))
            if not problems or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        assert not problems, f"{command}\nanswered {result.stdout[:2000]}\n{problems}"

        if language == "json":
            data = json.loads(result.stdout).get("data")
            if isinstance(data, dict) and "token" in data:
                variables["TOKEN"] = data["token"]
            if "/start/" in command:
                variables["SESSION"] = data["id"]
    assert variables["TOKEN"]
    assert variables["SESSION"]
