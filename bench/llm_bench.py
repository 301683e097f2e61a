"""LLM path: the same conversation through the OpenAI-compatible engine against a fake model
server that streams at a fixed rate, and the fake server called directly, interleaved. The
difference in time to first token is what the app adds."""

from __future__ import annotations

from bench import chat_bench, common


def run(*, trainees: int, rounds: int, window: float) -> dict:
    users = chat_bench.chat_users(trainees)
    scenario = chat_bench.chat_scenario()
    model_port = common.free_port()
    model = common.Server(
        f"fake-llm-{model_port}",
        [common.PYTHON, "-m", "bench.fake_llm", str(model_port)],
        port=model_port,
        env=common.server_env(),
    )
    app_port = common.free_port()
    env = common.server_env(
        CUSTOMER_ENGINE="openai",
        OPENAI_API_KEY="x",
        OPENAI_BASE_URL=f"http://{common.HOST}:{model_port}/v1",
        SCORING_JUDGE="false",
    )
    app = common.asgi_server(app_port, env=env)
    direct, through_app = [], []
    with common.running(model, app):
        chat_bench.warm_up(app, app_port, users, scenario, engine="openai")
        for _ in range(rounds):
            direct.append(
                common.run_client(
                    "bench.llm_client",
                    {"port": model_port, "requests": trainees, "window": window},
                    timeout=window + 90,
                )
            )
            sessions = chat_bench.fresh_sessions(users, scenario, engine="openai")
            cookies = common.session_cookies(users)
            through_app.append(
                chat_bench.run_trainees(
                    app,
                    {
                        "port": app_port,
                        "path": "",
                        "cookies": cookies,
                        "paths": [f"/ws/sessions/{s}/" for s in sessions],
                        "window": window,
                        "messages": 1,
                        "duration": 0,
                    },
                )
            )
    added = [
        a["first_p50_ms"] - d["first_p50_ms"] for a, d in zip(through_app, direct, strict=True)
    ]
    added99 = [
        a["first_p99_ms"] - d["first_p99_ms"] for a, d in zip(through_app, direct, strict=True)
    ]
    return {
        "trainees": trainees,
        "direct_p50_ms": common.median([d["first_p50_ms"] for d in direct]),
        "direct_p99_ms": common.median([d["first_p99_ms"] for d in direct]),
        "app_p50_ms": common.median([a["first_p50_ms"] for a in through_app]),
        "app_p99_ms": common.median([a["first_p99_ms"] for a in through_app]),
        "added_p50_ms": common.median(added),
        "added_p99_ms": common.median(added99),
        "lost": sum(a["lost"] for a in through_app),
        "failures": sum(d["failures"] for d in direct),
        "errors": {k: v for a in through_app for k, v in a["errors"].items()},
    }
