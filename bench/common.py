"""What every bench section shares: the production-like environment, starting and stopping real
servers as subprocesses, logged-in session cookies, and small statistics helpers."""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PYTHON = sys.executable
HOST = "127.0.0.1"
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0", "false")
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dojo_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
LOG_DIR = Path(os.environ.get("BENCH_LOG_DIR", "/tmp/dojo-bench-logs"))
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT", "/tmp/dojo-bench-static")
CORES = os.cpu_count() or 1


def server_env(**extra) -> dict:
    """Production settings (DEBUG off, a secret key, PostgreSQL, Redis), plain HTTP on loopback."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "LOG_LEVEL": "WARNING",
        "OFFLINE_ENGINE_PACE": "0",
        "CUSTOMER_PACING": "false",
        # Simulated trainees type far faster than people: the per-socket flood guard would
        # (rightly) refuse them, so it is opened up; everything else is as in production.
        "CHAT_RATE_LIMIT": "1000000/1s",
        "CHAT_MAX_TURNS": "100000",
        "BENCH_STATIC_ROOT": STATIC_ROOT,
        # As `make serve` runs: no pool. Only the ASGI topology rows turn it on (a thread per
        # request there); the chat sockets' database threads keep their own connections, and a
        # pool would add a check-out and a check-in to every database call (~0.9 ms a call).
        "DB_POOL_MAX_SIZE": os.environ.get("DB_POOL_MAX_SIZE", "0"),
        "PYTHONPATH": str(ROOT),
    }
    env.update({key: str(value) for key, value in extra.items()})
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, timeout: float = 60.0, process=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {HOST}:{port} after {timeout:.0f} s")


class Server:
    """One server (and its workers) in its own process group, so that stopping it stops exactly
    the processes this bench started."""

    def __init__(self, name: str, argv: list[str], *, port: int | None, env: dict):
        self.name, self.argv, self.port, self.env = name, argv, port, env
        self.process: subprocess.Popen | None = None

    def start(self) -> Server:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log = open(LOG_DIR / f"{self.name}.log", "ab")  # noqa: SIM115 (kept for the child)
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        if self.port:
            wait_for_port(self.port, process=self.process)
        return self

    def processes(self):
        import psutil

        parent = psutil.Process(self.process.pid)
        return [parent, *parent.children(recursive=True)]

    def rss(self) -> int:
        return sum(p.memory_info().rss for p in self.processes())

    def cpu_seconds(self) -> float:
        total = 0.0
        for proc in self.processes():
            times = proc.cpu_times()
            total += times.user + times.system
        return total

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        pgid = os.getpgid(self.process.pid)
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait(timeout=5)


def wsgi_server(port: int, *, workers: int = CORES, env: dict | None = None) -> Server:
    """HTTP in production: granian's WSGI interface, one worker per core."""
    argv = [
        str(BIN / "granian"),
        "--interface",
        "wsgi",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-ws",
        "--log-level",
        "warning",
        "bench.wsgi:application",
    ]
    return Server(f"granian-{port}", argv, port=port, env=env or server_env())


def asgi_server(port: int, *, workers: int = CORES, env: dict | None = None) -> Server:
    """WebSockets in production: uvicorn, one worker per core (one with the in-memory layer)."""
    argv = [
        str(BIN / "uvicorn"),
        "bench.asgi:application",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--ws-max-size",
        "65536",
        "--lifespan",
        "off",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return Server(f"uvicorn-{port}", argv, port=port, env=env or server_env())


@contextmanager
def running(*servers: Server):
    started = []
    try:
        for server in servers:
            started.append(server.start())
        yield servers
    finally:
        for server in reversed(started):
            server.stop()


def manage(*args: str, env: dict | None = None, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env or server_env(),
        check=True,
        capture_output=capture,
        text=True,
    )
    return result.stdout if capture else ""


def run_client(module: str, config: dict, *, timeout: float) -> dict:
    """Run a load generator as a separate process; it prints one JSON object."""
    result = subprocess.run(
        [PYTHON, "-m", module, json.dumps(config)],
        cwd=ROOT,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{module} failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def django_setup() -> None:
    os.environ.update(
        {
            k: v
            for k, v in server_env().items()
            if k not in os.environ
            or k
            in (
                "DJANGO_SETTINGS_MODULE",
                "DATABASE_URL",
                "REDIS_URL",
                "DJANGO_DEBUG",
                "SECRET_KEY",
                "ALLOWED_HOSTS",
                "SECURE_SSL_REDIRECT",
                "LOG_LEVEL",
                "OFFLINE_ENGINE_PACE",
                "CUSTOMER_PACING",
                "CHAT_RATE_LIMIT",
                "CHAT_MAX_TURNS",
                "BENCH_STATIC_ROOT",
            )
        }
    )
    import django

    django.setup()


def session_cookies(users) -> list[str]:
    """Log many users in at once through Django's session store; returns `sessionid=…` values."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
    backend = settings.AUTHENTICATION_BACKENDS[1]
    cookies = []
    for user in users:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = backend
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={store.session_key}")
    return cookies


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def percentile(values, q: float):
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
