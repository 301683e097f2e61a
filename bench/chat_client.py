"""Simulated trainees, in their own process: N WebSocket conversations against one URL.

Each trainee connects (session cookie, same-origin header), reads `history`, then prints
`ready` and waits for `go` on stdin (the bench measures the server's idle memory meanwhile).
Phase 1, latency: each trainee sends `messages` agent messages at random moments (an open
load, as people who type independently of each other) and times the first `customer.delta`
and the `customer.done`. Phase 2, throughput: every trainee
sends back to back for `duration` seconds; deltas per second are counted. A turn whose deltas do
not add up to the stored message, or that ends in an `error` frame, counts as lost frames.
Loopback only; bounded by `duration` and a hard deadline. Prints one JSON line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sys
import time
import uuid

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bench.chatdata import AGENT_LINES

HOST = "127.0.0.1"
HARD_DEADLINE = 240.0


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Trainee:
    def __init__(self, url: str, cookie: str, origin: str):
        self.url, self.cookie, self.origin = url, cookie, origin
        self.first_delta: list[float] = []
        self.done: list[float] = []
        self.deltas = 0
        self.lost = 0
        self.errors: dict[str, int] = {}
        self.turns = 0
        self.sent = 0
        self.closed = False

    async def open(self):
        headers = {"Cookie": self.cookie} if self.cookie else {}
        self.ws = await connect(
            self.url,
            additional_headers=headers,
            origin=self.origin,
            compression=None,
            max_size=2**20,
            open_timeout=60,
            ping_interval=None,
        )
        history = json.loads(await self.ws.recv())
        if history.get("type") != "history":
            raise RuntimeError(f"expected history, got {history}")

    async def turn(self, *, timed: bool) -> None:
        if self.closed:
            return
        try:
            await self._turn(timed=timed)
        except (ConnectionClosed, TimeoutError):
            # The server dropped the socket or stopped answering: every frame still owed is lost.
            self.closed = True
            self.lost += 1
            self.errors["connection_lost"] = self.errors.get("connection_lost", 0) + 1

    async def _turn(self, *, timed: bool) -> None:
        line = AGENT_LINES[self.sent % len(AGENT_LINES)]
        self.sent += 1
        frame = {"type": "agent.message", "content": line, "client_id": str(uuid.uuid4())}
        start = time.perf_counter()
        await self.ws.send(json.dumps(frame))
        first = None
        text = []
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
            kind = message.get("type")
            if kind == "customer.delta":
                if first is None:
                    first = time.perf_counter() - start
                text.append(message["delta"])
                self.deltas += 1
            elif kind == "customer.done":
                elapsed = time.perf_counter() - start
                if "".join(text) != message["message"]["content"]:
                    self.lost += 1
                if timed and first is not None:
                    self.first_delta.append(first)
                    self.done.append(elapsed)
                self.turns += 1
                return
            elif kind == "error":
                code = message.get("code", "?")
                self.errors[code] = self.errors.get(code, 0) + 1
                self.lost += 1
                return


async def main(config: dict) -> dict:
    port = int(config["port"])
    path = config["path"]
    cookies = config.get("cookies") or [""] * int(config["trainees"])
    paths = config.get("paths") or [path] * len(cookies)
    origin = f"http://{HOST}:{port}"
    trainees = [
        Trainee(f"ws://{HOST}:{port}{p}", cookie, origin)
        for p, cookie in zip(paths, cookies, strict=True)
    ]
    connect_start = time.perf_counter()
    for start in range(0, len(trainees), 50):
        await asyncio.gather(*(t.open() for t in trainees[start : start + 50]))
    connect_seconds = time.perf_counter() - connect_start

    _say("ready")
    if config.get("handshake", True):
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

    # Every trainee sends `messages` messages, each at a random moment of its own `window`
    # seconds: an open, steady load of trainees × messages / (messages × window) per second.
    messages = int(config.get("messages", 1))
    window = float(config.get("window", 4.0))
    rng = random.Random(7)

    async def converse(trainee: Trainee):
        for index in range(messages):
            slot_start = latency_start + index * window
            moment = slot_start + rng.uniform(0, window)
            await asyncio.sleep(max(0.0, moment - time.perf_counter()))
            await trainee.turn(timed=True)

    latency_start = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(converse(t) for t in trainees)), HARD_DEADLINE)
    latency_seconds = time.perf_counter() - latency_start

    duration = min(float(config.get("duration", 3.0)), 60.0)
    deltas_before = sum(t.deltas for t in trainees)
    turns_before = sum(t.turns for t in trainees)
    _say("throughput")
    stop_at = time.perf_counter() + duration

    async def flood(trainee: Trainee):
        while time.perf_counter() < stop_at and not trainee.closed:
            await trainee.turn(timed=False)

    flood_start = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(flood(t) for t in trainees)), HARD_DEADLINE)
    flood_seconds = time.perf_counter() - flood_start
    for trainee in trainees:
        with contextlib.suppress(Exception):
            await trainee.ws.close()

    first = sorted(x for t in trainees for x in t.first_delta)
    done = sorted(x for t in trainees for x in t.done)

    def pct(values, q):
        return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else None

    errors: dict[str, int] = {}
    for trainee in trainees:
        for code, count in trainee.errors.items():
            errors[code] = errors.get(code, 0) + count
    return {
        "trainees": len(trainees),
        "connect_s": connect_seconds,
        "latency_s": latency_seconds,
        "samples": len(first),
        "first_p50_ms": pct(first, 0.50),
        "first_p99_ms": pct(first, 0.99),
        "done_p50_ms": pct(done, 0.50),
        "done_p99_ms": pct(done, 0.99),
        "tokens_per_s": (sum(t.deltas for t in trainees) - deltas_before) / flood_seconds,
        "turns_per_s": (sum(t.turns for t in trainees) - turns_before) / flood_seconds,
        "lost": sum(t.lost for t in trainees),
        "errors": errors,
    }


if __name__ == "__main__":
    import uvloop

    _say(json.dumps(uvloop.run(main(json.loads(sys.argv[1])))))
