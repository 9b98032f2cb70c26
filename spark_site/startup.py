"""Background work that lives inside the server process (Daphne has no ASGI lifespan).

Apps register coroutine factories with `on_startup`; they are started once, on the server's
event loop, when the first connection arrives (`make run` sends one right after start).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

_hooks: list[Callable[[], Awaitable[None]]] = []


def on_startup(factory: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """Register a coroutine factory to run in the server process once it serves."""
    _hooks.append(factory)
    return factory


class StartupHooks:
    """ASGI wrapper that starts the registered background tasks on the first scope."""

    def __init__(self, app):
        self.app = app
        self.started = False
        self.tasks: list[asyncio.Task] = []

    async def __call__(self, scope, receive, send):
        if not self.started and scope["type"] in ("http", "websocket"):
            self.started = True
            for factory in _hooks:
                self.tasks.append(asyncio.get_running_loop().create_task(self._run(factory)))
        return await self.app(scope, receive, send)

    @staticmethod
    async def _run(factory) -> None:
        try:
            await factory()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("startup task %s failed", getattr(factory, "__name__", factory))
