"""With DB_POOL_MAX_SIZE, PostgreSQL connections come from one bounded pool per process.

Under ASGI every HTTP request runs in a thread of its own; with per-thread persistent
connections each such thread kept one open, and `make bench` ran PostgreSQL out of them.
The pool is read at start-up, so it is checked in a process started with the setting."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
POOL_SIZE = 3

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")

PROBE = """
import json, threading
import django
django.setup()
from django.db import close_old_connections, connection, connections

def request_in_a_thread():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
    close_old_connections()  # what the end of a request does

threads = [threading.Thread(target=request_in_a_thread) for _ in range(60)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
stats = connection.pool.get_stats()
print(json.dumps({"max_size": connection.pool.max_size, "pool_size": stats["pool_size"],
                  "requests": stats.get("requests_num", 0)}))
"""


def test_many_short_lived_threads_share_a_bounded_pool():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": settings.DATABASE_URL,
        "DB_POOL_MAX_SIZE": str(POOL_SIZE),
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    stats = json.loads(result.stdout.strip().splitlines()[-1])
    assert stats["max_size"] == POOL_SIZE
    assert stats["pool_size"] <= POOL_SIZE
    assert stats["requests"] == 60


def test_make_run_takes_its_connections_from_a_pool_by_default():
    """`make run` serves HTTP under the ASGI server, a thread per request: without a pool each
    thread kept its own connection (63 idle after a load test, of PostgreSQL's 100)."""

    def make_database(**env) -> str:
        return subprocess.run(
            ["make", "-p", "-n", "-s", "run"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, **env},
        ).stdout

    default = make_database()
    assert re.findall(r"^run: DB_POOL_MAX_SIZE = (\S+)$", default, re.M) == ["20"]
    # The Makefile exports it for `run` alone: the tests and other targets are untouched.
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run: export DB_POOL_MAX_SIZE \?= 20$", makefile, re.M)
    # Only a default: a size set in the environment wins.
    chosen = make_database(DB_POOL_MAX_SIZE="5")
    assert re.findall(r"^DB_POOL_MAX_SIZE = (\S+)$", chosen, re.M) == ["5"]
    assert not re.findall(r"^run: DB_POOL_MAX_SIZE = ", chosen, re.M)
