"""`make bench`: set up the bench database, run every section, write bench/RESULTS.md.

    make bench                # ~12-18 min on 2 cores
    BENCH_QUICK=1 make bench  # ~4-5 min: fewer trainees, shorter runs, same structure; the
                              # report goes to /tmp/dojo-bench-logs/RESULTS-quick.md

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
# A quick run is a smoke test: its report goes next to the logs, not over the committed one.
QUICK_RESULTS = common.LOG_DIR / "RESULTS-quick.md"

FULL = {
    "http": {"rounds": 3, "duration": 2.0},
    # One message per trainee per 6 s window: several times faster than people type, so 500
    # trainees (83 messages/s) probe what one process can take.
    "chat": {"sizes": [50, 200, 500], "rounds": 3, "window": 6.0, "duration": 1.5},
    "memory": {"count": 500, "rounds": 3},
    "llm": {"trainees": 50, "rounds": 3, "window": 3.0},
    "scoring": {"sessions": 60, "rounds": 3, "lengths": [10, 100, 1000]},
}
QUICK = {
    "http": {"rounds": 3, "duration": 1.5},
    "chat": {"sizes": [20, 100], "rounds": 3, "window": 2.0, "duration": 1.0},
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


def _int_keys(value):
    if isinstance(value, dict):
        return {int(k) if k.isdigit() else k: _int_keys(v) for k, v in value.items()}
    return value


def rerender() -> int:
    """`python -m bench.run --render`: rewrite RESULTS.md from the last run's raw numbers
    (after changing the report's wording; the numbers stay the run's)."""
    from bench.report import render

    raw = json.loads((common.LOG_DIR / "results.json").read_text())
    info, plan = raw.pop("machine"), raw.pop("plan")
    quick = plan["chat"]["sizes"] != FULL["chat"]["sizes"]
    generated = dt.datetime.fromisoformat(info["finished"])
    target = QUICK_RESULTS if quick else RESULTS
    target.write_text(render(_int_keys(raw), info=info, plan=plan, quick=quick, now=generated))
    return 0


def main() -> int:
    if "--render" in sys.argv:
        return rerender()
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
    only = [name for name in os.environ.get("BENCH_ONLY", "").split(",") if name]
    for name, function, options in sections:
        if only and name not in only:
            continue
        log(f"{name} {options}")
        start = time.perf_counter()
        results[name] = function(**options)
        results[name + "_seconds"] = time.perf_counter() - start
        log(f"{name} done in {results[name + '_seconds']:.0f} s")
    info["load_after"] = os.getloadavg()
    info["seconds"] = time.perf_counter() - started
    finished = dt.datetime.now(dt.UTC)
    info["finished"] = finished.isoformat()
    common.LOG_DIR.mkdir(parents=True, exist_ok=True)
    raw = common.LOG_DIR / "results.json"
    raw.write_text(json.dumps({"machine": info, "plan": plan, **results}, indent=1, default=str))
    if only:
        log(f"BENCH_ONLY={','.join(only)}: RESULTS.md left as it was")
        return 0
    from bench.report import render

    target = QUICK_RESULTS if common.QUICK else RESULTS
    target.write_text(render(results, info=info, plan=plan, quick=common.QUICK, now=finished))
    log(f"wrote {target} (raw numbers: {raw}) in {info['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
