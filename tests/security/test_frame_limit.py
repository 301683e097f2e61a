"""Issue 10 §4: the ASGI server refuses oversized WebSocket frames (close code 1009).

The server is started exactly as `make run` starts it: the uvicorn command line is read from
the Makefile's `run` recipe, with its own WS_MAX_SIZE. It runs in a subprocess on a throw-away
SQLite database, with a signed-in trainee's chat open, and a real WebSocket client
(`websockets`) sends one frame at the limit and one just over it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[2]
MAKEFILE = ROOT / "Makefile"
CLOSE_MESSAGE_TOO_BIG = 1009


def makefile_variable(name: str) -> str:
    match = re.search(rf"^{name}\s*\?=\s*(\S+)\s*$", MAKEFILE.read_text(), re.M)
    assert match, f"{name} is not set in the Makefile"
    return match.group(1)


def run_recipe_server_command() -> str:
    """The uvicorn line of `make run`, continuation lines joined, variables left in."""
    text = MAKEFILE.read_text()
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", text, re.M)
    assert recipe, "no `run` recipe in the Makefile"
    joined = recipe.group(1).replace("\\\n", " ")
    [command] = [line.strip() for line in joined.splitlines() if "uvicorn" in line]
    return command


def test_every_asgi_server_the_makefile_starts_has_the_frame_limit():
    joined = MAKEFILE.read_text().replace("\\\n", " ")
    servers = [line for line in joined.splitlines() if "/uvicorn " in line]
    assert len(servers) >= 2, "expected `make run` and `make serve` to start uvicorn"
    for line in servers:
        assert "--ws-max-size $(WS_MAX_SIZE)" in line, line.strip()


def test_make_run_sets_a_frame_limit_that_fits_the_longest_message():
    command = run_recipe_server_command()
    assert "--ws-max-size $(WS_MAX_SIZE)" in command
    limit = int(makefile_variable("WS_MAX_SIZE"))
    # A 4000-character message, every character JSON-escaped to 6 bytes, plus the envelope.
    from django.conf import settings

    assert settings.CHAT_MAX_MESSAGE_CHARS * 6 + 512 <= limit <= 1024 * 1024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_SETUP = textwrap.dedent(
    """
    import json
    import django
    django.setup()
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from accounts.models import User
    from scenarios.models import Scenario
    from sessions_app.services import session_start
    from tests.factories import ScenarioFactory

    user = User.objects.create_user(email="frames@example.com", password="x-long-password-1")
    chat = session_start(user=user, scenario=ScenarioFactory())
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    print(json.dumps({"session_key": store.session_key, "chat": str(chat.pk)}))
    """
)


@pytest.fixture(scope="module")
def make_run_server(tmp_path_factory):
    """`make run`'s server on a free port, with a signed-in trainee and their chat."""
    database = tmp_path_factory.mktemp("frames") / "db.sqlite3"
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "memory://",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "true",
    }
    env.pop("ALLOWED_HOSTS", None)
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    setup = subprocess.run(
        [python, "-c", _SETUP], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    world = json.loads(setup.stdout.strip().splitlines()[-1])

    bin_dir = str(Path(python).parent)
    command = run_recipe_server_command()
    for name, value in {
        "BIN": bin_dir,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WS_MAX_SIZE": makefile_variable("WS_MAX_SIZE"),
    }.items():
        command = command.replace(f"$({name})", value)
    server = subprocess.Popen(
        shlex.split(command),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"`make run`'s server did not start: {server.stderr.read()[-2000:]!r}")
        time.sleep(0.2)
    try:
        yield {"port": port, **world}
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)


@contextlib.contextmanager
def _open_chat(server):
    socket_url = f"ws://127.0.0.1:{server['port']}/ws/sessions/{server['chat']}/"
    with connect(
        socket_url,
        origin=f"http://127.0.0.1:{server['port']}",
        additional_headers={"Cookie": f"sessionid={server['session_key']}"},
        max_size=None,
        open_timeout=10,
    ) as ws:
        history = json.loads(ws.recv(timeout=10))
        assert history["type"] == "history"
        yield ws


def test_a_frame_at_the_limit_is_read_and_answered(make_run_server):
    limit = int(makefile_variable("WS_MAX_SIZE"))
    with _open_chat(make_run_server) as ws:
        ws.send(json.dumps({"type": "agent.message", "content": "x" * (limit - 64)}))
        answer = json.loads(ws.recv(timeout=10))
        assert (answer["type"], answer["code"]) == ("error", "too_long")


def test_a_frame_over_the_limit_closes_the_socket_with_1009(make_run_server):
    limit = int(makefile_variable("WS_MAX_SIZE"))
    with _open_chat(make_run_server) as ws:
        ws.send("x" * (limit + 1))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == CLOSE_MESSAGE_TOO_BIG
