"""`make bench`: set up the bench database, run every section, write bench/RESULTS.md.

    make bench                # ~10 min on 2 cores
    BENCH_QUICK=1 make bench  # ~2-3 min: fewer trainees, shorter runs, same structure

PostgreSQL `dojo_bench` and Redis DB 8 by default (BENCH_DATABASE_URL, BENCH_REDIS_URL).
Every measure is paired with an in-run reference served by the same processes, interleaved
round by round, and reported as the median of the rounds.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from bench import common

RESULTS = common.ROOT / "bench" / "RESULTS.md"

FULL = {
    "http": {"rounds": 3, "duration": 3.0},
    "chat": {"sizes": [50, 200, 500], "rounds": 3, "window": 3.0, "duration": 1.5},
    "memory": {"count": 500, "rounds": 3},
    "llm": {"trainees": 50, "rounds": 3, "window": 3.0},
    "scoring": {"sessions": 60, "rounds": 3, "lengths": [10, 100, 1000]},
}
QUICK = {
    "http": {"rounds": 3, "duration": 1.5},
    "chat": {"sizes": [20, 100], "rounds": 3, "window": 1.5, "duration": 1.0},
    "memory": {"count": 200, "rounds": 1},
    "llm": {"trainees": 20, "rounds": 3, "window": 1.5},
    "scoring": {"sessions": 15, "rounds": 3, "lengths": [10, 100, 1000]},
}


def log(message: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def ensure_database() -> None:
    import psycopg

    name = common.DATABASE_URL.rsplit("/", 1)[-1]
    admin = common.DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


def setup() -> dict:
    ensure_database()
    common.manage("migrate", "--noinput", "-v0")
    common.manage("load_achievements", "-v0")
    start = time.perf_counter()
    counts = common.manage("generate_bench_data", capture=True).strip().splitlines()[-1]
    log(f"{counts} ({time.perf_counter() - start:.0f} s)")
    common.manage("collectstatic", "--noinput", "-v0")
    import redis

    redis.Redis.from_url(common.REDIS_URL).flushdb()
    return {"data": counts}


def machine() -> dict:
    def sh(*argv):
        return subprocess.run(argv, capture_output=True, text=True).stdout.strip()

    return {
        "nproc": sh("nproc"),
        "free": sh("free", "-h"),
        "python": platform.python_version(),
        "cpu": next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        ),
        "load": os.getloadavg(),
        "commit": sh("git", "-C", str(common.ROOT), "rev-parse", "--short", "HEAD"),
    }


def main() -> int:
    plan = QUICK if common.QUICK else FULL
    started = time.perf_counter()
    info = machine()
    log(f"{'quick' if common.QUICK else 'full'} run; load average {info['load']}")
    common.django_setup()
    results = {"setup": setup()}
    from bench import chat_bench, http_bench, llm_bench, scoring_bench

    sections = [
        ("http", http_bench.run, plan["http"]),
        ("chat", chat_bench.run, plan["chat"]),
        ("memory", chat_bench.idle_memory, plan["memory"]),
        ("llm", llm_bench.run, plan["llm"]),
        ("scoring", scoring_bench.run, plan["scoring"]),
    ]
    for name, function, options in sections:
        log(f"{name} {options}")
        start = time.perf_counter()
        results[name] = function(**options)
        results[name + "_seconds"] = time.perf_counter() - start
        log(f"{name} done in {results[name + '_seconds']:.0f} s")
    info["load_after"] = os.getloadavg()
    info["seconds"] = time.perf_counter() - started
    common.LOG_DIR.mkdir(parents=True, exist_ok=True)
    raw = common.LOG_DIR / "results.json"
    raw.write_text(json.dumps({"machine": info, "plan": plan, **results}, indent=1, default=str))
    from bench.report import render

    RESULTS.write_text(
        render(results, info=info, plan=plan, quick=common.QUICK, now=dt.datetime.now(dt.UTC))
    )
    log(f"wrote {RESULTS.relative_to(common.ROOT)} (raw numbers: {raw}) in {info['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
