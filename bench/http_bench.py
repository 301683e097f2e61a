"""HTTP: the pages and endpoints people hit at 9 am, against a trivial Django JSON view served by
the same server processes, interleaved round by round; plus the query count of each."""

from __future__ import annotations

import gzip
import http.client
import os
import re
from urllib.parse import urljoin, urlsplit

from bench import common

REFERENCE = ("trivial Django JSON view", "/__bench__/json")
TARGETS = [
    ("catalogue page (24 cards a page)", "/scenarios/"),
    ("scenario list API (pages of 100)", "/api/v1/scenarios/"),
    ("leaderboard API", "/api/v1/leaderboard/"),
    ("leaderboard API, this week", "/api/v1/leaderboard/?period=week"),
    ("dashboard page", "/"),
]
# The HTTP targets of the issue: each must reach half the reference's throughput.
RATIO_TARGETS = {"/scenarios/", "/api/v1/scenarios/", "/api/v1/leaderboard/"}


def login_cookies(count: int) -> list[str]:
    """Session cookies of `count` bench trainees: requests rotate through them, so that no
    trainee hits the per-user API throttle (600/min) and the throttle still runs as it would."""
    from overview.management.commands.generate_bench_data import bench_users

    users = list(bench_users().order_by("pk")[:count])
    return common.session_cookies(users)


def query_counts(paths) -> dict[str, int]:
    """Queries each page runs, measured in-process on the bench data with CaptureQueriesContext."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from overview.management.commands.generate_bench_data import bench_users

    user = bench_users().order_by("pk").first()
    client = Client(HTTP_HOST=common.HOST)
    client.force_login(user)
    counts = {}
    for path in paths:
        client.get(path)  # warm caches (content types, throttles), as a running server has
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        counts[path] = len(queries.captured_queries)
    return counts


def measure(port: int, paths, *, rounds: int, duration: float, cookies, connections=16):
    """Interleaved rounds: reference, then every target, then again. rps per round per path."""
    results: dict[str, list[dict]] = {path: [] for path in paths}
    for _ in range(rounds):
        for path in paths:
            run = common.run_client(
                "bench.loadgen",
                {
                    "port": port,
                    "path": path,
                    "connections": connections,
                    "duration": duration,
                    "warmup": 0.5,
                    "cookies": cookies,
                },
                timeout=duration + 60,
            )
            results[path].append(run)
    return results


def summarise(results, reference_path: str) -> dict[str, dict]:
    summary = {}
    reference = results[reference_path]
    for path, runs in results.items():
        ratios = [
            run["rps"] / ref["rps"] if ref["rps"] else None
            for run, ref in zip(runs, reference, strict=True)
        ]
        errors = sum(run["requests"] - run["ok"] for run in runs)
        summary[path] = {
            "rps": common.median([run["rps"] for run in runs]),
            "p50_ms": common.median([run["p50_ms"] for run in runs]),
            "p99_ms": common.median([run["p99_ms"] for run in runs]),
            "ratio": common.median(ratios),
            "bytes": runs[-1]["bytes"],
            "non_200": errors,
            "statuses": runs[-1]["statuses"],
        }
    return summary


def run(*, rounds: int, duration: float) -> dict:
    cookies = login_cookies(2000 if not common.QUICK else 500)
    paths = [REFERENCE[1], *(path for _, path in TARGETS)]
    counts = query_counts([path for _, path in TARGETS] + [REFERENCE[1]])

    port = common.free_port()
    with common.running(common.wsgi_server(port)):
        weight = chat_page_weight(port)
        wsgi = summarise(
            measure(port, paths, rounds=rounds, duration=duration, cookies=cookies),
            REFERENCE[1],
        )

    # The one-server alternative: the same Django under the ASGI server that serves /ws/.
    topology_paths = [REFERENCE[1], "/api/v1/leaderboard/", "/api/v1/leaderboard/?period=week"]
    port = common.free_port()
    asgi_env = common.server_env(DB_POOL_MAX_SIZE=os.environ.get("DB_POOL_MAX_SIZE", "20"))
    with common.running(common.asgi_server(port, env=asgi_env)):
        asgi = summarise(
            measure(port, topology_paths, rounds=rounds, duration=duration, cookies=cookies),
            REFERENCE[1],
        )
    return {
        "wsgi": wsgi,
        "asgi": asgi,
        "queries": counts,
        "cookies": len(cookies),
        "chat_page": weight,
    }


_ASSET = re.compile(r"""<(?:script|link|img)\b[^>]*?\b(?:src|href)=["']([^"']+)["']""", re.I)
_CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")


def _get(port: int, path: str, cookie: str = "") -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection(common.HOST, port, timeout=30)
    headers = {"Accept-Encoding": "gzip", "Host": f"{common.HOST}:{port}"}
    if cookie:
        headers["Cookie"] = cookie
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def chat_page_weight(port: int) -> dict:
    """The chat page's first load: the HTML (gzip-compressed as the reverse proxy would send
    it) plus every script, stylesheet, image and font it pulls in, as served (WhiteNoise sends
    the pre-compressed files); and any resource from another host."""
    from bench import chat_bench

    users = chat_bench.chat_users(1)
    (session_id,) = chat_bench.fresh_sessions(users, chat_bench.chat_scenario())
    (cookie,) = common.session_cookies(users)
    status, headers, html = _get(port, f"/sessions/{session_id}/", cookie)
    assert status == 200, status
    items = [("page", len(gzip.compress(html)))]
    third_party = set()
    queue = [urljoin(f"/sessions/{session_id}/", u) for u in _ASSET.findall(html.decode())]
    seen = set()
    while queue:
        url = queue.pop(0)
        parts = urlsplit(url)
        if parts.netloc and parts.netloc != f"{common.HOST}:{port}":
            third_party.add(parts.netloc)
            continue
        if url in seen or parts.scheme in ("data",):
            continue
        seen.add(url)
        status, headers, body = _get(port, parts.path)
        if status != 200:
            continue
        items.append((parts.path, len(body)))
        if parts.path.endswith(".css"):
            text = gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body
            for ref in _CSS_URL.findall(text.decode("utf-8", "replace")):
                if not ref.startswith("data:"):
                    queue.append(urljoin(parts.path, ref))
    csp = headers.get("content-security-policy", "")
    return {
        "total_bytes": sum(size for _, size in items),
        "items": items,
        "third_party_hosts": sorted(third_party),
        "csp_hosts": sorted(set(re.findall(r"https?://[^\s;]+", csp))),
    }
