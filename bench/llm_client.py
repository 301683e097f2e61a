"""The fake model called directly, as the engine would call it: N streamed completions at random
moments of a window, one shared keep-alive HTTP client, time to the first content token.
Loopback only, bounded. Prints one JSON line.

    python -m bench.llm_client '{"port": 8123, "requests": 50, "window": 4}'
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time

import httpx

HOST = "127.0.0.1"


async def main(config: dict) -> dict:
    port = int(config["port"])
    count = min(int(config.get("requests", 50)), 2000)
    window = min(float(config.get("window", 4.0)), 60.0)
    url = f"http://{HOST}:{port}/v1/chat/completions"
    body = {
        "model": "bench-model",
        "stream": True,
        "messages": [{"role": "user", "content": "Hello, what does the light look like?"}],
    }
    rng = random.Random(11)
    first: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def one():
            nonlocal failures
            await asyncio.sleep(rng.uniform(0, window))
            start = time.perf_counter()
            got = None
            async with client.stream("POST", url, json=body) as response:
                async for line in response.aiter_lines():
                    if not line.startswith("data: ") or line == "data: [DONE]":
                        continue
                    chunk = json.loads(line[6:])
                    for choice in chunk.get("choices") or []:
                        if got is None and (choice.get("delta") or {}).get("content"):
                            got = time.perf_counter() - start
            if got is None:
                failures += 1
            else:
                first.append(got)

        await asyncio.wait_for(asyncio.gather(*(one() for _ in range(count))), window + 60)
    first.sort()

    def pct(q):
        return first[min(len(first) - 1, int(q * len(first)))] * 1000 if first else None

    return {
        "samples": len(first),
        "first_p50_ms": pct(0.5),
        "first_p99_ms": pct(0.99),
        "failures": failures,
    }


if __name__ == "__main__":
    import uvloop

    sys.stdout.write(json.dumps(uvloop.run(main(json.loads(sys.argv[1])))) + "\n")
