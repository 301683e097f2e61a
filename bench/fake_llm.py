"""A fake OpenAI-compatible model server for the LLM path: `POST /v1/chat/completions` with
`stream: true` answers in server-sent events at a fixed rate (the first token after
`FIRST_TOKEN_S`, then one every `TOKEN_INTERVAL_S`). Loopback only; run as

    python -m bench.fake_llm PORT
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

HOST = "127.0.0.1"
FIRST_TOKEN_S = 0.050
TOKEN_INTERVAL_S = 0.010
REPLY = (
    "Okay, I looked at the router again and the light is still blinking orange every few "
    "minutes, what should I try next?"
)
WORDS = REPLY.split()


def _event(payload) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload)
    body = f"data: {data}\n\n".encode()
    return f"{len(body):x}\r\n".encode() + body + b"\r\n"


def _chunk(content=None, finish=None, usage=None) -> dict:
    choices = []
    if content is not None or finish is not None:
        delta = {} if content is None else {"role": "assistant", "content": content}
        choices = [{"index": 0, "delta": delta, "finish_reason": finish}]
    chunk = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "bench-model",
        "choices": choices,
    }
    if usage is not None:
        chunk["usage"] = usage
    return chunk


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if length:
                await reader.readexactly(length)
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            await writer.drain()
            await asyncio.sleep(FIRST_TOKEN_S)
            for index, word in enumerate(WORDS):
                if index:
                    await asyncio.sleep(TOKEN_INTERVAL_S)
                text = word if index == 0 else " " + word
                writer.write(_event(_chunk(content=text)))
                await writer.drain()
            writer.write(_event(_chunk(finish="stop")))
            usage = {"prompt_tokens": 200, "completion_tokens": len(WORDS), "total_tokens": 220}
            writer.write(_event(_chunk(usage=usage)))
            writer.write(_event("[DONE]"))
            writer.write(b"0\r\n\r\n")
            await writer.drain()
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(handle, HOST, port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    import uvloop

    uvloop.run(main(int(sys.argv[1])))
