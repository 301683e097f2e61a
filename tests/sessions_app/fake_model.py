"""A real HTTP server that speaks the OpenAI chat-completions streaming format, for tests.

It runs in a thread on a free port; each test scripts what the next requests get (a stream of
deltas, an HTTP error, a hang, a stream cut mid-way) and reads back what the client sent.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Stream:
    deltas: list[str]
    usage: dict | None = None
    finish: bool = True  # False: the connection is cut after the deltas
    pause: float = 0.0  # seconds between deltas


@dataclass
class Status:
    code: int
    message: str = "server exploded"


@dataclass
class Hang:
    seconds: float


@dataclass
class FakeModel:
    port: int = 0
    script: deque = field(default_factory=deque)
    requests: list[dict] = field(default_factory=list)
    default: object = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def then(self, *behaviours):
        self.script.extend(behaviours)
        return self

    def next_behaviour(self):
        if self.script:
            return self.script.popleft()
        return self.default or Stream(["Okay."])


def _chunk(content=None, finish=None) -> dict:
    delta = {} if content is None else {"role": "assistant", "content": content}
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "fake-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _handler(model: FakeModel):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep test output clean
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            model.requests.append(
                {
                    "path": self.path,
                    "body": body,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }
            )
            behaviour = model.next_behaviour()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                if isinstance(behaviour, Hang):
                    time.sleep(behaviour.seconds)
                    self._status(Status(504, "too slow"))
                elif isinstance(behaviour, Status):
                    self._status(behaviour)
                else:
                    self._stream(behaviour)

        def _status(self, status: Status):
            payload = json.dumps(
                {"error": {"message": status.message, "type": "server_error", "code": None}}
            ).encode()
            self.send_response(status.code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _event(self, data: str):
            raw = f"data: {data}\n\n".encode()
            self.wfile.write(f"{len(raw):x}\r\n".encode() + raw + b"\r\n")
            self.wfile.flush()

        def _stream(self, stream: Stream):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for delta in stream.deltas:
                self._event(json.dumps(_chunk(delta)))
                if stream.pause:
                    time.sleep(stream.pause)
            if not stream.finish:
                # Cut: no finish reason, no [DONE], no terminating chunk.
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self._event(json.dumps(_chunk(finish="stop")))
            if stream.usage:
                usage_chunk = {**_chunk(), "choices": [], "usage": stream.usage}
                self._event(json.dumps(usage_chunk))
            self._event("[DONE]")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

    return Handler


@contextlib.contextmanager
def running_fake_model():
    model = FakeModel()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(model))
    server.daemon_threads = True
    model.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield model
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def engine_on_fake_model(settings, *, timeout: float = 1.0, judge: bool = True):
    """A running fake model with the OpenAI engine pointed at it (no retries, short timeout);
    `judge=False` also keeps the optional LLM coach out of scoring."""
    with running_fake_model() as model:
        settings.CUSTOMER_ENGINE = "openai"
        settings.OPENAI_API_KEY = "test-key"
        settings.OPENAI_BASE_URL = model.base_url
        settings.OPENAI_MODEL = "fake-model"
        settings.OPENAI_TIMEOUT = timeout
        settings.OPENAI_MAX_RETRIES = 0
        if not judge:
            settings.SCORING_JUDGE = False
        yield model
