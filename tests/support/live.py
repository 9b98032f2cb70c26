"""Listen to a live topic as a browser socket's consumer does: through its channel-layer group.

Works without an event loop of the test's own, on the in-memory layer and on channels-redis: the
channel is a plain name (no `!`), so channels-redis reads it straight from Redis in whichever
loop async_to_sync runs.
"""

from __future__ import annotations

import asyncio
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from futures.broadcast import group_of


class LiveTopic:
    def __init__(self, topic: str):
        self.layer = get_channel_layer()
        self.channel = f"test.live.{uuid.uuid4().hex}"
        async_to_sync(self.layer.group_add)(group_of(topic), self.channel)

    def payloads(self, wait: float = 0.5) -> list:
        """Every payload sent to the topic so far. Call it once per listener: it waits `wait`
        seconds for one more, and the in-memory layer binds an awaited queue to that loop."""

        async def drain() -> list:
            out = []
            while True:
                try:
                    event = await asyncio.wait_for(self.layer.receive(self.channel), wait)
                except TimeoutError:
                    return out
                out.append(event["payload"])

        return async_to_sync(drain)()
