"""Chat: N simulated trainees on `/ws/sessions/<uuid>/` with the offline engine at zero pace,
against a bare Channels consumer and a bare ASGI app streaming the same frames from the same
server, on the in-memory layer (one process) and on the Redis layer (one process per core)."""

from __future__ import annotations

import json
import subprocess
from contextlib import contextmanager

from bench import common
from bench.chatdata import CHAT_EMAIL_DOMAIN, CHAT_SLUG, chat_scenario_document

APP = "app"
BARE_CHANNELS = "bare Channels consumer"
BARE_ASGI = "bare ASGI app"
REFERENCE_PATHS = {BARE_CHANNELS: "/ws/__bench__/channels/", BARE_ASGI: "/ws/__bench__/asgi/"}


def chat_users(count: int):
    from django.contrib.auth.hashers import make_password

    from accounts.models import User

    emails = [f"trainee{i:04d}@{CHAT_EMAIL_DOMAIN}" for i in range(count)]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    password = make_password(None)
    User.objects.bulk_create(
        [
            User(email=email, first_name="Chat", last_name="Bench", password=password)
            for email in emails
            if email not in existing
        ]
    )
    by_email = {u.email: u for u in User.objects.filter(email__in=emails)}
    return [by_email[email] for email in emails]


def chat_scenario():
    from scenarios.models import Scenario

    document = chat_scenario_document()
    fields = {k: document[k] for k in ("title", "description", "difficulty", "estimated_time")}
    scenario, _ = Scenario.objects.update_or_create(
        slug=CHAT_SLUG,
        defaults={
            **fields,
            "is_active": True,
            "ticket_template": document["ticket_template"],
            "customer_persona": document["customer_persona"],
            "knowledge_base_entries": document["knowledge_base_entries"],
            "assessment_criteria": document["assessment_criteria"],
        },
    )
    return scenario


def fresh_sessions(users, scenario, *, engine: str = "offline") -> list[str]:
    """One new active session per trainee, started through the real `session_start`."""
    from django.test import override_settings

    from sessions_app.models import UserSession
    from sessions_app.services import session_start

    UserSession.objects.filter(user__in=users).delete()
    with override_settings(CUSTOMER_ENGINE=engine):
        return [str(session_start(user=user, scenario=scenario).pk) for user in users]


@contextmanager
def client_process(config: dict):
    process = subprocess.Popen(
        [common.PYTHON, "-m", "bench.chat_client", json.dumps(config)],
        cwd=common.ROOT,
        env=common.server_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def run_trainees(server, config: dict) -> dict:
    """Run the client; measure the server's RSS per idle socket and CPU per streamed turn."""
    rss_before = server.rss()
    with client_process(config) as process:
        line = process.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"chat client: {line} {process.stderr.read()[-2000:]}")
        rss_idle = server.rss()
        process.stdin.write("go\n")
        process.stdin.flush()
        line = process.stdout.readline().strip()
        if line != "throughput":
            raise RuntimeError(f"chat client: {line} {process.stderr.read()[-2000:]}")
        cpu_start = server.cpu_seconds()
        out = process.stdout.readline().strip()
        cpu = server.cpu_seconds() - cpu_start
        process.wait(timeout=60)
        if not out:
            raise RuntimeError(f"chat client: {process.stderr.read()[-2000:]}")
    result = json.loads(out)
    turns = result["turns_per_s"] * config.get("duration", 3.0)
    result["rss_per_socket_kib"] = (rss_idle - rss_before) / result["trainees"] / 1024
    result["cpu_ms_per_turn"] = 1000 * cpu / turns if turns else None
    return result


def warm_up(server, port: int, users, scenario, *, engine: str = "offline") -> None:
    """Imports, connection pools and caches settle before anything is timed (each worker
    process pays them once: the OpenAI SDK import alone blocks a worker for ~0.5 s)."""
    count = min(len(users), 8 * common.CORES)
    sessions = fresh_sessions(users[:count], scenario, engine=engine)
    config = {
        "port": port,
        "path": "",
        "cookies": common.session_cookies(users[:count]),
        "paths": [f"/ws/sessions/{s}/" for s in sessions],
        "window": 0.5,
        "messages": 2,
        "duration": 0.5,
    }
    run_trainees(server, config)
    for path in REFERENCE_PATHS.values():
        run_trainees(
            server,
            {
                "port": port,
                "path": path,
                "trainees": count,
                "window": 0.2,
                "messages": 1,
                "duration": 0.3,
            },
        )


def measure_layer(layer: str, sizes, *, rounds: int, users, scenario, window, duration):
    env = common.server_env(**({"BENCH_CHANNEL_LAYER": "memory"} if layer == "memory" else {}))
    workers = 1 if layer == "memory" else common.CORES
    port = common.free_port()
    server = common.asgi_server(port, workers=workers, env=env)
    results: dict[int, dict[str, list[dict]]] = {}
    with common.running(server):
        warm_up(server, port, users, scenario)
        for size in sizes:
            runs = results.setdefault(size, {APP: [], BARE_CHANNELS: [], BARE_ASGI: []})
            for _ in range(rounds):
                sessions = fresh_sessions(users[:size], scenario)
                cookies = common.session_cookies(users[:size])
                base = {"port": port, "window": window, "duration": duration, "messages": 1}
                runs[APP].append(
                    run_trainees(
                        server,
                        {
                            **base,
                            "path": "",
                            "cookies": cookies,
                            "paths": [f"/ws/sessions/{s}/" for s in sessions],
                        },
                    )
                )
                for name, path in REFERENCE_PATHS.items():
                    # The bare ASGI app is the throughput reference only: no latency window.
                    spread = window if name == BARE_CHANNELS else 0.1
                    config = {**base, "path": path, "trainees": size, "window": spread}
                    runs[name].append(run_trainees(server, config))
    return results


def summarise(results) -> dict:
    summary = {}
    for size, runs in results.items():
        rows = {}
        for name, series in runs.items():
            rows[name] = {
                key: common.median([run[key] for run in series])
                for key in (
                    "first_p50_ms",
                    "first_p99_ms",
                    "done_p50_ms",
                    "done_p99_ms",
                    "tokens_per_s",
                    "turns_per_s",
                    "rss_per_socket_kib",
                    "cpu_ms_per_turn",
                )
            }
            rows[name]["lost"] = sum(run["lost"] for run in series)
            rows[name]["samples"] = sum(run["samples"] for run in series)
            rows[name]["errors"] = {
                code: sum(run["errors"].get(code, 0) for run in series)
                for code in {c for run in series for c in run["errors"]}
            }
        app, bare = runs[APP], runs[BARE_CHANNELS]
        # Added time and throughput ratio, paired round by round, then the median.
        rows["added"] = {
            "first_p50_ms": common.median(
                [a["first_p50_ms"] - b["first_p50_ms"] for a, b in zip(app, bare, strict=True)]
            ),
            "first_p99_ms": common.median(
                [a["first_p99_ms"] - b["first_p99_ms"] for a, b in zip(app, bare, strict=True)]
            ),
            "token_ratio": common.median(
                [a["tokens_per_s"] / b["tokens_per_s"] for a, b in zip(app, bare, strict=True)]
            ),
        }
        summary[size] = rows
    return summary


def run(*, sizes, rounds: int, window: float, duration: float) -> dict:
    users = chat_users(max(sizes))
    scenario = chat_scenario()
    out = {}
    for layer in ("memory", "redis"):
        out[layer] = summarise(
            measure_layer(
                layer,
                sizes,
                rounds=rounds,
                users=users,
                scenario=scenario,
                window=window,
                duration=duration,
            )
        )
    return out


def idle_memory(*, count: int, rounds: int) -> dict[str, float]:
    """RSS per idle WebSocket (KiB): a fresh single-process server, warmed by one conversation,
    then `count` sockets that connect, get their history and stay idle."""
    users = chat_users(count)
    scenario = chat_scenario()
    targets = [
        ("app, Redis layer", "redis", None),
        ("app, in-memory layer", "memory", None),
        (BARE_CHANNELS, "redis", REFERENCE_PATHS[BARE_CHANNELS]),
        (BARE_ASGI, "redis", REFERENCE_PATHS[BARE_ASGI]),
    ]
    results: dict[str, list[float]] = {name: [] for name, _, _ in targets}
    for _ in range(rounds):
        for name, layer, path in targets:
            env = common.server_env(
                **({"BENCH_CHANNEL_LAYER": "memory"} if layer == "memory" else {})
            )
            port = common.free_port()
            server = common.asgi_server(port, workers=1, env=env)
            with common.running(server):
                idle = {"port": port, "window": 0, "messages": 0, "duration": 0}
                if path is None:
                    sessions = fresh_sessions(users, scenario)
                    cookies = common.session_cookies(users)
                    paths = [f"/ws/sessions/{s}/" for s in sessions]
                    run_trainees(
                        server,
                        {
                            **idle,
                            "path": "",
                            "cookies": cookies[:4],
                            "paths": paths[:4],
                            "messages": 1,
                        },
                    )
                    config = {**idle, "path": "", "cookies": cookies, "paths": paths}
                else:
                    run_trainees(server, {**idle, "path": path, "trainees": 4, "messages": 1})
                    config = {**idle, "path": path, "trainees": count}
                results[name].append(run_trainees(server, config)["rss_per_socket_kib"])
    return {name: common.median(values) for name, values in results.items()}
