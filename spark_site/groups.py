"""Send to channel-layer groups from anywhere: in order, and without holding up a request.

Every live page (orders, risk, runners, optimization progress) is fed through a group of the
channel layer. Sync code running inside the server (a view, or a consumer's database call, in
a worker thread) queues its event on the server's event loop and goes on at once, so an order's
answer does not wait for Redis; one sender per loop sends the queued events one after another,
so they arrive in the order they were sent (two concurrent group_sends on Redis could overtake
each other: FILLED before NEW). Elsewhere (a management command, a plain thread, a test without
a loop) the call waits until the event is sent.
"""

from __future__ import annotations

import asyncio
import logging
import os
import weakref
from collections import deque

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def send_to_group(group: str, event: dict) -> None:
    """Send event to a channel-layer group from sync or async code; never fails the caller."""
    try:
        if _running_loop() is not None:
            _queue(group, event)
        elif (loop := _server_loop()) is not None:
            loop.call_soon_threadsafe(_queue, group, event)
        else:
            async_to_sync(_group_send)(group, event)
    except Exception:  # a broadcast failure must never break the write that caused it
        logger.exception("sending to %s failed", group)


async def _group_send(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(group, event)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop whose worker thread this is (asgiref's sync_to_async records it)."""
    local = SyncToAsync.threadlocal
    if getattr(local, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(local, "main_event_loop", None)
    if loop is None or loop.is_closed() or not loop.is_running():
        return None
    return loop


class _OrderedSender:
    """One per event loop: sends queued events one after another, in the order they were
    sent (two concurrent group_sends on Redis could overtake each other: FILLED before NEW)."""

    def __init__(self) -> None:
        self.pending: deque[tuple[str, dict]] = deque()
        self.task: asyncio.Task | None = None

    def push(self, group: str, event: dict) -> None:
        self.pending.append((group, event))
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._drain(), name="broadcast")

    async def _drain(self) -> None:
        while self.pending:
            group, event = self.pending.popleft()
            try:
                await _group_send(group, event)
            except Exception:
                logger.exception("sending to %s failed", group)


_senders: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _OrderedSender] = (
    weakref.WeakKeyDictionary()
)


def _queue(group: str, event: dict) -> None:
    """Runs on the loop: hand the event to that loop's sender."""
    loop = asyncio.get_running_loop()
    sender = _senders.get(loop)
    if sender is None:
        sender = _senders[loop] = _OrderedSender()
    sender.push(group, event)
