"""A WebSocket proxy over real sockets that can lose an answer, for the WebSocket-API tests.

Client frames go to the upstream server unchanged and answers come back unchanged, until the
proxy is told to lose the answer to a method: the request still reaches the exchange (which
executes it), the answer is read from upstream and swallowed, and the client's socket is then
cut (drop) or left silent (hold). It records every method it forwarded and every error code
it saw, so a test can tell what really reached the exchange.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed


class LosingProxy:
    """ws://127.0.0.1:<port><path> in front of upstream (a ws:// root URL)."""

    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.forwarded: Counter[str] = Counter()  # method -> requests that reached upstream
        self.error_codes: list[int] = []  # Binance codes of the answers seen, in order
        self.lost: list[dict] = []  # the answers swallowed
        self._lose: dict[str, str] = {}  # method -> "drop" | "hold"
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ws-proxy", daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def lose_answer(self, method: str, how: str = "drop", times: int = 1) -> None:
        """Lose the answer to the next `times` requests of method (drop: cut the socket)."""
        assert how in ("drop", "hold")
        with self._lock:
            self._lose[method] = how
            self._times = {**getattr(self, "_times", {}), method: times}

    def _take(self, method: str) -> str | None:
        with self._lock:
            how = self._lose.get(method)
            if how is None:
                return None
            self._times[method] -= 1
            if self._times[method] <= 0:
                del self._lose[method]
            return how

    # ---------------------------------------------------------------------------- lifecycle

    def start(self) -> LosingProxy:
        self._thread.start()
        self._started.wait(10)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        async with serve(self._handle, "127.0.0.1", 0, compression=None) as server:
            self.port = next(iter(server.sockets)).getsockname()[1]
            self._started.set()
            await self._stop.wait()

    # ---------------------------------------------------------------------------- relay

    async def _handle(self, client: ServerConnection) -> None:
        path = client.request.path if client.request else "/"
        async with connect(self.upstream + path, compression=None) as up:
            losing: dict[object, str] = {}  # request id -> how its answer is lost

            async def upward() -> None:
                async for frame in client:
                    try:
                        req = json.loads(frame)
                        method, req_id = req.get("method"), req.get("id")
                    except (ValueError, AttributeError):
                        method = req_id = None
                    if isinstance(method, str):
                        how = self._take(method)
                        if how:
                            losing[req_id] = how
                    # Counted once upstream took it: a frame the client wrote while the exchange
                    # was closing the socket never reaches the exchange (the send fails here).
                    await up.send(frame)
                    if isinstance(method, str):
                        self.forwarded[method] += 1

            async def downward() -> None:
                async for frame in up:
                    answer = json.loads(frame)
                    error = answer.get("error") if isinstance(answer, dict) else None
                    if isinstance(error, dict) and isinstance(error.get("code"), int):
                        self.error_codes.append(error["code"])
                    how = losing.pop(answer.get("id"), None) if isinstance(answer, dict) else None
                    if how is None:
                        await client.send(frame)
                        continue
                    self.lost.append(answer)
                    if how == "drop":
                        # The exchange has done it; the client only sees its socket go.
                        client.transport.abort()
                        return

            tasks = [asyncio.ensure_future(upward()), asyncio.ensure_future(downward())]
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            except ConnectionClosed:
                pass
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
