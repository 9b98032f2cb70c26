"""One WebSocket connection: ordered outbound queue, Binance's control messages and limits.

Limits enforced as Binance documents them: server ping every SIM_PING_INTERVAL, drop when no
pong for SIM_PONG_TIMEOUT, more than 10 incoming frames in a second disconnects, at most 200
streams, cut at SIM_MAX_CONN_SECONDS.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from simexchange.core import Sim

MAX_STREAMS = 200
MAX_INCOMING_PER_SECOND = 10
QUEUE_LIMIT = 20_000


def dumps(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"))


class Conn:
    """A client socket; market streams or one user's listen key."""

    def __init__(self, sim: Sim, ws: web.WebSocketResponse, kind: str, combined: bool):
        self.sim = sim
        self.ws = ws
        self.kind = kind  # "market", "user" or "api" (WebSocket API)
        self.combined = combined
        self.streams: list[str] = []
        # `/private/...?listenKey=..&events=A/B`: only these user events (None = every one)
        self.events: set[str] | None = None
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.opened = time.monotonic()
        self.last_pong = self.opened
        self.incoming: deque[float] = deque()
        self.cut_generation = sim.faults.ws_cut_generation
        self.cut_count = 0
        self.closing = False
        self.sent = 0

    def send(self, text: str, force: bool = False) -> None:
        """Queue a frame; a consumer too slow to keep 20k frames queued is dropped."""
        if self.closing and not force:
            return
        if self.queue.qsize() >= QUEUE_LIMIT:
            self.close_soon(1008, "too slow")
            return
        self.queue.put_nowait(text)

    def close_soon(self, code: int, reason: str) -> None:
        if not self.closing:
            self.closing = True
            self.close_code = code
            self.close_reason = reason
            self.queue.put_nowait(None)

    async def close(self, code: int, reason: str) -> None:
        self.closing = True
        if not self.ws.closed:
            await self.ws.close(code=code, message=reason.encode())

    def abort(self) -> None:
        """Cut the TCP connection without a close frame (what a network failure looks like)."""
        self.closing = True
        transport = self.ws._req.transport if self.ws._req is not None else None  # noqa: SLF001
        if transport is not None:
            transport.abort()

    async def writer(self) -> None:
        faults = self.sim.faults
        while True:
            text = await self.queue.get()
            if text is None:
                await self.close(
                    getattr(self, "close_code", 1000), getattr(self, "close_reason", "")
                )
                return
            if self.ws.closed:
                return
            await self.ws.send_str(text)
            self.sent += 1
            self.sim.counters["ws_messages"] += 1
            if faults.ws_cut_after:
                if self.cut_generation != faults.ws_cut_generation:
                    self.cut_generation = faults.ws_cut_generation
                    self.cut_count = 0
                self.cut_count += 1
                if self.cut_count >= faults.ws_cut_after:
                    self.abort()
                    return

    async def keepalive(self) -> None:
        s = self.sim.settings
        step = max(0.05, min(s.ping_interval, s.pong_timeout, 5.0) / 4)
        next_ping = time.monotonic() + s.ping_interval
        while not self.ws.closed:
            await asyncio.sleep(step)
            now = time.monotonic()
            if now - self.opened >= s.max_conn_seconds:
                await self.close(1000, "connection lifetime reached")
                return
            if now - self.last_pong >= s.pong_timeout:
                await self.close(1008, "pong timeout")
                return
            if now >= next_ping:
                next_ping = now + s.ping_interval
                try:
                    await self.ws.ping(str(int(time.time() * 1000)).encode())
                except ConnectionError:
                    return

    def over_rate(self) -> bool:
        now = time.monotonic()
        self.incoming.append(now)
        while self.incoming and self.incoming[0] <= now - 1.0:
            self.incoming.popleft()
        return len(self.incoming) > MAX_INCOMING_PER_SECOND

    async def serve(self, on_text: Callable[[Conn, str], None]) -> None:
        """Read frames until the socket ends; on_text handles JSON control messages."""
        writer = asyncio.ensure_future(self.writer())
        keeper = asyncio.ensure_future(self.keepalive())
        try:
            async for msg in self.ws:
                if self.over_rate():
                    await self.close(1008, "too many messages")
                    break
                if msg.type == WSMsgType.PING:
                    await self.ws.pong(msg.data)
                elif msg.type == WSMsgType.PONG:
                    self.last_pong = time.monotonic()
                elif msg.type == WSMsgType.TEXT:
                    on_text(self, msg.data)
                elif msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                    break
        finally:
            self.closing = True
            writer.cancel()
            keeper.cancel()
