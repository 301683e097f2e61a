"""The chat references: what streaming the same frames costs with no app behind them.

`BareChannelsConsumer` is a Channels consumer that answers every message with the offline
engine's reply, sent frame by frame with `self.send` (no database, no engine, no layer);
`bare_asgi_stream` does the same as a raw ASGI app (no Channels at all).
"""

import json
import uuid

from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import timezone

from bench.chatdata import reference_reply
from sessions_app.engines.text import chunk_words

REPLY = reference_reply()
CHUNKS = chunk_words(REPLY)


def reply_frames(content: str) -> list[str]:
    """Echo, typing, one delta per chunk, done: the frames the app sends for one turn."""
    message_id = str(uuid.uuid4())
    now = timezone.now().isoformat()
    echo = {"id": str(uuid.uuid4()), "seq": 2, "role": "agent", "content": content}
    frames = [
        {"type": "message", "message": {**echo, "created_at": now, "client_id": None}},
        {"type": "customer.typing", "message_id": message_id},
    ]
    frames += [
        {"type": "customer.delta", "message_id": message_id, "delta": chunk} for chunk in CHUNKS
    ]
    done = {"id": message_id, "seq": 3, "role": "customer", "content": REPLY}
    frames.append(
        {"type": "customer.done", "message": {**done, "created_at": now, "client_id": None}}
    )
    return [json.dumps(frame) for frame in frames]


class BareChannelsConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        await self.accept()
        await self.send(text_data=json.dumps({"type": "history", "messages": []}))

    async def receive(self, text_data=None, bytes_data=None):
        content = json.loads(text_data).get("content", "")
        for frame in reply_frames(content):
            await self.send(text_data=frame)


async def bare_asgi_stream(scope, receive, send):
    while True:
        event = await receive()
        if event["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.send", "text": json.dumps({"type": "history"})})
        elif event["type"] == "websocket.receive":
            content = json.loads(event.get("text") or "{}").get("content", "")
            for frame in reply_frames(content):
                await send({"type": "websocket.send", "text": frame})
        elif event["type"] == "websocket.disconnect":
            return
