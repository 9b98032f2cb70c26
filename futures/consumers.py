"""The live socket of the browser pages: `/ws/live/` (logged-in users only).

Protocol (JSON text frames):
  client → {"action": "subscribe", "topics": ["ticker:BTCUSDT", "orders"]}
           {"action": "unsubscribe", "topics": [...]}   {"action": "ping"}
  server → {"type": "snapshot", "topic": t, "data": {...}}   first, once per subscription
           {"type": "event", "topic": t, "data": {...}, "ts": <unix seconds of publication>}
           {"type": "subscribed", "topics": [...]}   {"type": "pong"}
           {"type": "error", "message": "...", "error": {"code", "message", "details"}}
A malformed frame (not JSON, not an object, binary, over 16 KiB) or a bad topic gets an error
frame and the socket stays open (spark_site/ws_frames.py). Topics are matched exactly (no
trailing newline, no lowercase symbols); at most MAX_TOPICS per socket.
Topics may also be given in the query string: /ws/live/?topics=ticker:BTCUSDT,orders

Fast market topics (ticker:, depth:, kline:) are coalesced per client: the latest value, at most one
frame per topic every COALESCE_SECONDS; everything else is sent at once, in order, never dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.core.cache import cache

from futures import broadcast, live_snapshot
from spark_site.degraded import is_redis_down
from spark_site.ws_frames import SafeJsonConsumer, error_frame

logger = logging.getLogger(__name__)

COALESCE_SECONDS = 0.1
MAX_TOPICS = 40


class LiveConsumer(SafeJsonConsumer):
    topics: set[str] = frozenset()  # type: ignore[assignment]
    flush_handle: asyncio.TimerHandle | None = None
    flush_task: asyncio.Task | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=4401)  # before accept: the handshake is refused (403)
            return
        self.topics = set()
        self.pending: dict[str, dict] = {}
        self.last_flush = 0.0
        await self.accept()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        topics = [t for v in query.get("topics", []) for t in v.split(",") if t]
        if topics:
            await self.handle_safely(self.subscribe(topics))

    async def disconnect(self, code: int) -> None:
        if self.flush_handle is not None:
            self.flush_handle.cancel()
        if self.flush_task is not None:
            self.flush_task.cancel()
        for topic in list(self.topics):
            try:
                await self.channel_layer.group_discard(broadcast.group_of(topic), self.channel_name)
            except Exception as exc:  # an unreachable Redis forgets the group by itself (expiry)
                if not is_redis_down(exc):
                    raise

    async def receive_json(self, content, **kwargs) -> None:
        action = content.get("action")
        if action == "ping":
            await self.send_json({"type": "pong", "ts": time.time()})
            return
        if action not in ("subscribe", "unsubscribe"):
            await self.send_json(
                error_frame("UNKNOWN_ACTION", "unknown action", {"action": str(action)[:64]})
            )
            return
        topics = content.get("topics")
        if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
            await self.send_json(
                error_frame(
                    "TOPICS_INVALID", "topics must be a list of strings", {"field": "topics"}
                )
            )
            return
        if action == "subscribe":
            await self.subscribe(topics)
            return
        for topic in topics:
            if topic in self.topics:
                self.topics.discard(topic)
                self.pending.pop(topic, None)
                await self.channel_layer.group_discard(broadcast.group_of(topic), self.channel_name)

    async def subscribe(self, topics: list[str]) -> None:
        if len(topics) > MAX_TOPICS:
            await self.send_json(
                error_frame(
                    "TOO_MANY_TOPICS",
                    "too many topics",
                    {"max": MAX_TOPICS, "requested": len(topics)},
                )
            )
            return
        bad = [t[:64] for t in topics if not broadcast.valid_topic(t)]
        if bad:
            frame = error_frame("UNKNOWN_TOPICS", "unknown topics", {"topics": bad})
            await self.send_json({**frame, "topics": bad})
        new = list(
            dict.fromkeys(t for t in topics if broadcast.valid_topic(t) and t not in self.topics)
        )
        if len(self.topics) + len(new) > MAX_TOPICS:
            await self.send_json(
                error_frame(
                    "TOO_MANY_TOPICS",
                    "too many topics",
                    {"max": MAX_TOPICS, "requested": len(self.topics) + len(new)},
                )
            )
            return
        for topic in new:
            # Join first, snapshot second: an event published in between waits in the queue
            # (this consumer handles one message at a time), so the snapshot always comes first.
            await self.channel_layer.group_add(broadcast.group_of(topic), self.channel_name)
            self.topics.add(topic)
        for topic in new:
            data = await self.snapshot(topic)
            await self.send_json({"type": "snapshot", "topic": topic, "data": data})
        await self.send_json({"type": "subscribed", "topics": sorted(self.topics)})

    async def snapshot(self, topic: str):
        if broadcast.is_market(topic):
            data = broadcast.latest.get(topic)
            if data is None:
                data = await cache.aget(broadcast.LATEST_CACHE_PREFIX + topic)
            return data
        try:
            return await database_sync_to_async(live_snapshot.snapshot)(topic)
        except Exception:
            logger.exception("snapshot of %s failed", topic)
            return None

    # -- channel-layer events ---------------------------------------------------------------

    async def live_event(self, event: dict) -> None:
        topic = event.get("topic")
        if topic not in self.topics:
            return
        frame = {"type": "event", "topic": topic, "data": event.get("payload"), "ts": event["ts"]}
        if not broadcast.is_market(topic):
            await self.send_json(frame)
            return
        self.pending[topic] = frame
        if self.flush_handle is None and self.flush_task is None:
            loop = asyncio.get_running_loop()
            delay = max(0.0, self.last_flush + COALESCE_SECONDS - loop.time())
            if delay == 0.0:
                await self.flush()
            else:
                self.flush_handle = loop.call_later(delay, self._flush_soon)

    def _flush_soon(self) -> None:
        self.flush_handle = None
        self.flush_task = asyncio.get_running_loop().create_task(self._flush_task())

    async def _flush_task(self) -> None:
        try:
            await self.flush()
        finally:
            self.flush_task = None

    async def flush(self) -> None:
        self.last_flush = asyncio.get_running_loop().time()
        frames, self.pending = list(self.pending.values()), {}
        for frame in frames:
            with contextlib.suppress(Exception):
                await self.send_json(frame)
