"""Kline streams for other apps: the stream supervisor subscribes what listeners want.

A listener (the paper runners of `strategies`, registered in its AppConfig.ready) says which
(symbol, interval) klines it wants and gets every kline message of them. futures never
imports the listener's app: the registry is the only link, so the arrows of the architecture
still point one way.

Delivery runs in a worker thread (listeners use the ORM and place orders), one message at a
time. While a listener is busy only the newest message per stream waits, except that a closed
bar ("x": true) is not replaced by the still-open bar after it; a listener that finds a gap
fetches the missing bars itself.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from asgiref.sync import sync_to_async
from django.db import close_old_connections

logger = logging.getLogger(__name__)


class KlineListener(Protocol):
    def wanted(self) -> set[tuple[str, str]]:
        """(SYMBOL, interval) pairs to stream; called from a worker thread every second."""

    def on_kline(self, data: dict) -> object:
        """One kline message (Binance's payload, "e": "kline"); called from a worker thread."""


_listeners: list[KlineListener] = []


def register(listener: KlineListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def stream_name(symbol: str, interval: str) -> str:
    return f"{symbol.lower()}@kline_{interval}"


def wanted_streams() -> list[str]:
    """The kline stream names every listener wants (sync: listeners may read the database)."""
    names: set[str] = set()
    for listener in list(_listeners):
        try:
            names |= {stream_name(s, i) for s, i in listener.wanted()}
        except Exception:
            logger.exception("kline listener %r failed to say what it wants", listener)
    return sorted(names)


class KlineDispatcher:
    """Hands kline messages to the listeners off the socket's read loop, newest per stream."""

    def __init__(self) -> None:
        self.pending: dict[tuple[str, str], dict] = {}
        self._wake = asyncio.Event()
        self.delivered = 0

    def offer(self, data: dict) -> None:
        k = data.get("k") or {}
        key = (data.get("s") or k.get("s"), k.get("i"))
        queued = self.pending.get(key)
        if queued is not None and queued["k"].get("x") and not k.get("x"):
            return  # the open bar says no more than the closed bar before it
        self.pending[key] = data
        self._wake.set()

    async def run(self) -> None:
        deliver = sync_to_async(self._deliver, thread_sensitive=True)
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self.pending:
                key = next(iter(self.pending))
                try:
                    await deliver(self.pending.pop(key))
                except Exception:  # e.g. the database is away: keep the feed alive
                    logger.exception("delivering a kline message failed")

    def _deliver(self, data: dict) -> None:
        close_old_connections()  # a long-lived worker thread: drop a connection gone stale
        for listener in list(_listeners):
            try:
                listener.on_kline(data)
            except Exception:  # one bad bar or listener must not stop the feed
                logger.exception("kline listener %r failed", listener)
        self.delivered += 1
