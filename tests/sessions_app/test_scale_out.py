"""Scale-out: two ASGI server processes share one Redis and one PostgreSQL; a trainee with a
tab on each sees every message of the same conversation."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from websockets.asyncio.client import connect as ws_connect

from sessions_app.models import ChatMessage
from sessions_app.services import session_start
from tests.factories import ScenarioFactory, UserFactory
from tests.sessions_app.conftest import cookie_for

REDIS_URL = os.environ.get("REDIS_URL", "")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
BASE_DIR = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not (REDIS_URL and DATABASE_URL),
        reason="scale-out needs REDIS_URL and a PostgreSQL DATABASE_URL shared by two servers",
    ),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(port: int, process, log_path: Path, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server on :{port} died:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"server on :{port} never answered:\n{log_path.read_text()}")


@pytest.fixture
def two_servers(transactional_db, settings, tmp_path):
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("scale-out needs PostgreSQL: SQLite cannot be shared by two servers")
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    test_database_url = (
        f"postgres://{database['USER']}{password}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url,
        "REDIS_URL": REDIS_URL,
        "DJANGO_DEBUG": "true",
        "DB_CONN_MAX_AGE": "0",
        "OFFLINE_ENGINE_PACE": "0.005",
        "CUSTOMER_PACING": "false",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "CUSTOMER_ENGINE": "offline",
        "LOG_LEVEL": "WARNING",
    }
    uvicorn = str(Path(sys.executable).with_name("uvicorn"))
    servers = []
    try:
        for _ in range(2):
            port = free_port()
            log_path = tmp_path / f"uvicorn-{port}.log"
            log = log_path.open("w")
            command = [uvicorn, "config.asgi:application", "--host", "127.0.0.1"]
            command += ["--port", str(port), "--lifespan", "off", "--ws-max-size", "65536"]
            process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            servers.append((port, process, log))
            wait_until_serving(port, process, log_path)
        yield [port for port, _, _ in servers]
    finally:
        for _, process, log in servers:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


async def frames_until(websocket, frame_type: str) -> list[dict]:
    frames = []
    while True:
        frame = json.loads(await asyncio.wait_for(websocket.recv(), timeout=10))
        frames.append(frame)
        if frame["type"] == frame_type:
            return frames


def tab(port: int, session_id, cookie: str):
    return ws_connect(
        f"ws://127.0.0.1:{port}/ws/sessions/{session_id}/",
        origin=f"http://127.0.0.1:{port}",
        additional_headers={"Cookie": cookie},
        open_timeout=10,
    )


def test_a_tab_on_each_server_sees_the_whole_conversation(two_servers):
    user = UserFactory()
    session = session_start(user=user, scenario=ScenarioFactory(slug="router-reboot-loop"))
    cookie = cookie_for(user).decode()
    first_port, second_port = two_servers

    async def converse():
        seen = {"first": [], "second": []}
        async with (
            tab(first_port, session.pk, cookie) as first,
            tab(second_port, session.pk, cookie) as second,
        ):
            for name, websocket in (("first", first), ("second", second)):
                history = json.loads(await asyncio.wait_for(websocket.recv(), timeout=10))
                assert history["type"] == "history"
                seen[name] += [m["id"] for m in history["messages"]]

            script = [
                (first, "Hello! What colour is the light on the router?"),
                (second, "Thanks. Please hold the reset button for ten seconds."),
                (first, "Great, glad it works. Goodbye!"),
            ]
            for sender, text in script:
                client_id = str(uuid.uuid4())
                frame = {"type": "agent.message", "content": text, "client_id": client_id}
                await sender.send(json.dumps(frame))
                for name, websocket in (("first", first), ("second", second)):
                    frames = await frames_until(websocket, "customer.done")
                    echo = next(f for f in frames if f["type"] == "message")
                    assert echo["message"]["client_id"] == client_id
                    if websocket is sender:
                        assert any(f["type"] == "customer.delta" for f in frames)
                    seen[name] += [echo["message"]["id"], frames[-1]["message"]["id"]]
        return seen

    seen = asyncio.run(converse())
    stored = [
        str(pk)
        for pk in ChatMessage.objects.filter(session=session)
        .order_by("seq")
        .values_list("pk", flat=True)
    ]
    assert len(stored) == 7
    assert seen["first"] == stored
    assert seen["second"] == stored
