"""A small HTTP/1.1 load generator: keep-alive connections, one request in flight on each,
bounded by a duration and a request count, loopback only. Prints one JSON line.

    python -m bench.loadgen '{"port": 8001, "path": "/api/v1/scenarios/", "connections": 16,
                              "duration": 5, "cookies": ["sessionid=…"]}'
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time

HOST = "127.0.0.1"
MAX_REQUESTS = 2_000_000
MAX_DURATION = 120.0


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, int]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length, chunked = None, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    size = 0
    if chunked:
        while True:
            size_line = await reader.readuntil(b"\r\n")
            chunk = int(size_line.split(b";")[0], 16)
            await reader.readexactly(chunk + 2)
            size += chunk
            if chunk == 0:
                break
    elif length:
        await reader.readexactly(length)
        size = length
    return status, size


async def main(config: dict) -> dict:
    port = int(config["port"])
    path = config["path"]
    connections = int(config.get("connections", 16))
    duration = min(float(config.get("duration", 5)), MAX_DURATION)
    warmup = float(config.get("warmup", 1.0))
    limit = min(int(config.get("max_requests", MAX_REQUESTS)), MAX_REQUESTS)
    cookies = itertools.cycle(config.get("cookies") or [""])
    requests = {}

    def request_for(cookie: str) -> bytes:
        if cookie not in requests:
            header = f"Cookie: {cookie}\r\n" if cookie else ""
            requests[cookie] = (
                f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: */*\r\n"
                f"User-Agent: dojo-bench\r\n{header}\r\n"
            ).encode()
        return requests[cookie]

    statuses: dict[int, int] = {}
    latencies: list[float] = []
    sizes: list[int] = []
    sent = 0
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + duration

    async def worker():
        nonlocal sent
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while sent < limit:
                now = time.perf_counter()
                if now >= stop_at:
                    break
                sent += 1
                writer.write(request_for(next(cookies)))
                status, size = await _read_response(reader)
                done = time.perf_counter()
                if now >= measure_from:
                    statuses[status] = statuses.get(status, 0) + 1
                    latencies.append(done - now)
                    sizes.append(size)
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - measure_from
    latencies.sort()
    ok = statuses.get(200, 0)

    def pct(q):
        if not latencies:
            return None
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "ok": ok,
        "statuses": {str(k): v for k, v in statuses.items()},
        "rps": ok / elapsed if elapsed > 0 else 0.0,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "bytes": (sum(sizes) // len(sizes)) if sizes else 0,
    }


if __name__ == "__main__":
    import uvloop

    sys.stdout.write(json.dumps(uvloop.run(main(json.loads(sys.argv[1])))) + "\n")
