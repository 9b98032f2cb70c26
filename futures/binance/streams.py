"""Binance USD-M WebSocket clients: market streams and the user data stream (asyncio).

Built on `websockets`' reconnecting iterator (`async for ws in connect(...)`), which also answers
the server's pings and sends our own (a dead TCP peer is noticed by a missing pong). On top:

- full-jitter exponential back-off between attempts, capped, reset after a healthy period
  (`websockets` resets its own back-off as soon as a handshake succeeds, so a socket cut after
  N messages would otherwise be hammered without pause);
- a silence watchdog: no frame within `silence_timeout` seconds → the socket is declared dead;
- a planned reconnect before Binance's 24-hour cut (`max_age`);
- live SUBSCRIBE / UNSUBSCRIBE when the symbol set changes (market);
- listen-key create / keepalive / close, renewal on `listenKeyExpired` or -1125 (user).

Nothing here touches the database: the user stream hands events to `on_event` and calls
`on_connected` after every (re)connect (the supervisor reconciles there).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from futures import metrics
from futures.binance.errors import BINANCE_FUTURES, count_error

logger = logging.getLogger(__name__)

MARKET_KINDS = ("aggTrade", "ticker", "markPrice@1s")
DEPTH_KIND = "depth5@100ms"
EVENT_TYPES = {
    "aggTrade": "aggTrade",
    "24hrTicker": "ticker",
    "markPriceUpdate": "markPrice",
    "depthUpdate": "depth",
    "kline": "kline",
}
PLANNED_MAX_AGE = 23 * 3600.0  # Binance cuts every connection at 24 h; leave on our own terms


# ------------------------------------------------------------------------------ back-off


class Backoff:
    """Full-jitter exponential back-off: delay n is uniform(0, min(cap, base * 2**n)).

    `history` keeps every delay handed out (tests and /ws.status read it); `rng` is injectable
    so a test can make the jitter deterministic.
    """

    def __init__(
        self,
        base: float = 1.0,
        cap: float = 60.0,
        healthy_after: float = 60.0,
        rng: random.Random | None = None,
    ):
        self.base = base
        self.cap = cap
        self.healthy_after = healthy_after
        self.rng = rng or random.Random()
        self.attempt = 0
        self.history: list[tuple[int, float]] = []  # (attempt, delay)

    def ceiling(self, attempt: int) -> float:
        return min(self.cap, self.base * (2**attempt))

    def next_delay(self) -> float:
        ceiling = self.ceiling(self.attempt)
        delay = self.rng.uniform(0, ceiling)
        self.history.append((self.attempt, delay))
        del self.history[:-100]
        self.attempt += 1
        return delay

    def reset(self) -> None:
        self.attempt = 0

    def delays(self) -> Iterator[float]:
        """Generator for `connect(reconnect_delays=...)`: shares this object's attempt count."""
        while True:
            yield self.next_delay()


# ------------------------------------------------------------------------------ listen keys


class ListenKeyError(Exception):
    def __init__(self, code: int | None, message: str):
        super().__init__(message)
        self.code = code


class ListenKeyClient:
    """POST/PUT/DELETE /fapi/v1/listenKey (USER_STREAM: API key header, no signature)."""

    def __init__(self, base_url: str, api_key: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.http = requests.Session()

    @classmethod
    def from_settings(cls) -> ListenKeyClient:
        from django.conf import settings

        return cls(
            settings.BINANCE_FUTURES_BASE_URL,
            settings.BINANCE_API_KEY,
            float(getattr(settings, "BINANCE_HTTP_TIMEOUT", 10)),
        )

    def _call(self, method: str, listen_key: str | None = None) -> dict:
        params = {"listenKey": listen_key} if listen_key else None
        try:
            r = self.http.request(
                method,
                self.base_url + "/fapi/v1/listenKey",
                params=params,
                headers={"X-MBX-APIKEY": self.api_key},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            label = "TIMEOUT" if isinstance(exc, requests.Timeout) else "CONNECTION"
            count_error(BINANCE_FUTURES, code=label)
            raise ListenKeyError(None, f"listenKey {method}: {type(exc).__name__}") from exc
        try:
            body = r.json()
        except ValueError:
            body = {}
        if r.status_code >= 400:
            code = body.get("code") if isinstance(body, dict) else None
            # The stream's own REST calls count with the others (the metric's code label).
            count_error(BINANCE_FUTURES, code=str(code if isinstance(code, int) else r.status_code))
            raise ListenKeyError(code, f"listenKey {method}: HTTP {r.status_code} {code}")
        return body if isinstance(body, dict) else {}

    def create(self) -> str:
        return self._call("POST")["listenKey"]

    def keepalive(self, listen_key: str) -> None:
        self._call("PUT", listen_key)

    def close(self, listen_key: str) -> None:
        self._call("DELETE", listen_key)

    def shutdown(self) -> None:
        self.http.close()


# ------------------------------------------------------------------------------ connections


@dataclass
class ConnectionStats:
    """What /ws.status reports of one connection."""

    name: str
    state: str = "idle"  # idle, connecting, up, backoff, stopped
    connected_at: float | None = None  # unix time of the current connection
    last_message_at: float | None = None  # unix time
    connects: int = 0
    reconnects: int = 0
    messages: int = 0
    errors: int = 0
    last_error: str = ""
    streams: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        now = time.time()
        up = self.state == "up" and self.connected_at is not None
        return {
            "name": self.name,
            "state": self.state,
            "uptime_seconds": round(now - self.connected_at, 3) if up else 0.0,
            "last_message_age_seconds": (
                round(now - self.last_message_at, 3) if self.last_message_at else None
            ),
            "connected_at": self.connected_at if up else None,
            "last_message_at": self.last_message_at,
            "connects": self.connects,
            "reconnects": self.reconnects,
            "messages": self.messages,
            "errors": self.errors,
            "last_error": self.last_error,
            "streams": list(self.streams),
        }


class _Planned(Exception):
    """The connection is being replaced on purpose (age limit, new listen key)."""


class StreamConnection:
    """One supervised socket: connect, serve frames, watch for silence, back off, repeat."""

    kind = "market"

    def __init__(
        self,
        name: str,
        *,
        backoff: Backoff | None = None,
        silence_timeout: float | None = 30.0,
        max_age: float = PLANNED_MAX_AGE,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        open_timeout: float = 10.0,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ):
        self.name = name
        self.backoff = backoff or Backoff()
        self.silence_timeout = silence_timeout
        self.max_age = max_age
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.open_timeout = open_timeout
        self.sleep = sleep
        self.stats = ConnectionStats(name)
        self.ws: ClientConnection | None = None
        self.stopping = False
        self._opened_mono = 0.0
        self._msg_child = {}
        self._last_gauge = 0.0

    # -- to override ------------------------------------------------------------------------

    def url(self) -> str:
        raise NotImplementedError

    async def on_open(self, ws: ClientConnection) -> None:
        """Called after each handshake, before frames are read."""

    def on_frame(self, raw: str | bytes) -> None:
        raise NotImplementedError

    # -- the loop ---------------------------------------------------------------------------

    def _connect(self, url: str) -> connect:
        return connect(
            url,
            ping_interval=self.ping_interval,
            ping_timeout=self.ping_timeout,
            open_timeout=self.open_timeout,
            close_timeout=2,
            compression=None,
            max_size=2**22,
            max_queue=256,
            reconnect_delays=self.backoff.delays,
            process_exception=self._process_exception,
        )

    def _process_exception(self, exc: Exception) -> Exception | None:
        """Retry network failures and 5xx; anything else ends the loop (the caller decides)."""
        self._error(f"connect: {type(exc).__name__}: {exc}"[:200])
        self.stats.state = "backoff"
        if isinstance(exc, InvalidStatus) and exc.response.status_code < 500:
            return exc
        return None

    async def run(self) -> None:
        """Serve until stop(); never returns early on a network failure."""
        try:
            await self._run_socket_loop(self.url)
        finally:
            self._mark_down()
            self.stats.state = "stopped"

    async def _run_socket_loop(self, url_of: Callable[[], str]) -> None:
        self.stats.state = "connecting"
        conns = self._connect(url_of()).__aiter__()
        # aclosing: a `break` or a cancellation must close the socket now, not at GC time.
        async with contextlib.aclosing(conns):
            async for ws in conns:
                planned = await self._serve(ws)
                if self.stopping or planned == "renew":
                    return
                if planned == "age":
                    continue  # a planned cut reconnects at once, without back-off
                if time.monotonic() - self._opened_mono >= self.backoff.healthy_after:
                    self.backoff.reset()
                delay = self.backoff.next_delay()
                self.stats.state = "backoff"
                logger.info("%s: reconnecting in %.2fs", self.name, delay)
                await self.sleep(delay)
                self.stats.state = "connecting"

    async def _serve(self, ws: ClientConnection) -> str:
        """Read frames until the socket ends; return why ('drop', 'age', 'silence', 'renew')."""
        loop = asyncio.get_running_loop()
        self.ws = ws
        self._opened_mono = time.monotonic()
        st = self.stats
        if st.connects:
            st.reconnects += 1
            metrics.WS_RECONNECTS.labels(self.name).inc()
        st.connects += 1
        metrics.WS_CONNECTS.labels(self.name).inc()
        st.connected_at = time.time()
        st.state = "up"
        metrics.WS_CONNECTION_STATUS.labels(self.name).set(1)
        metrics.WS_CONNECTION_DURATION_SECONDS.labels(self.name).set(0)
        logger.info("%s: connected", self.name)
        age_deadline = loop.time() + self.max_age
        reason = "drop"
        try:
            await self.on_open(ws)
            # One timer for both bounds, moved forward at most every quarter of the silence
            # bound (cheap on the hot path): a silent socket dies within 0.75x..1x the bound.
            # The user stream has no silence bound (an idle account is silent; the exchange's
            # pings and our own keep proving the socket alive).
            silence = self.silence_timeout or self.max_age
            step = min(silence / 4, 1.0)
            async with asyncio.timeout_at(min(loop.time() + silence, age_deadline)) as guard:
                nxt = loop.time() + step
                async for raw in ws:
                    now = loop.time()
                    if now >= nxt:
                        nxt = now + step
                        guard.reschedule(min(now + silence, age_deadline))
                        self._touch_gauges()
                    self.on_frame(raw)
                    if self.stopping:
                        break
        except TimeoutError:
            if loop.time() >= age_deadline - 1e-3:
                reason = "age"
                logger.info("%s: planned reconnect (connection age)", self.name)
            else:
                reason = "silence"
                self._error(f"no frame for {self.silence_timeout}s")
                logger.warning("%s: silent too long, reconnecting", self.name)
        except _Planned:
            reason = "renew"
        except ConnectionClosed as exc:
            self._error(f"closed: {exc}"[:200])
            logger.warning("%s: connection dropped: %s", self.name, exc)
        except Exception as exc:  # a bug in a handler must not kill the supervisor
            self._error(f"{type(exc).__name__}: {exc}"[:200])
            logger.exception("%s: failed while serving", self.name)
        finally:
            self.ws = None
            self._mark_down()
            with contextlib.suppress(Exception):
                await asyncio.shield(ws.close())
        if getattr(self, "_renew", False):
            reason = "renew"
        return reason

    # -- bookkeeping ------------------------------------------------------------------------

    def _count(self, stream_type: str) -> None:
        child = self._msg_child.get(stream_type)
        if child is None:
            child = self._msg_child[stream_type] = metrics.WS_MESSAGES.labels(stream_type)
        child.inc()

    def _touch_gauges(self) -> None:
        now = time.time()
        metrics.WS_LAST_MESSAGE_TIMESTAMP.labels(self.name).set(now)
        if self.stats.connected_at:
            metrics.WS_CONNECTION_DURATION_SECONDS.labels(self.name).set(
                now - self.stats.connected_at
            )

    def refresh_gauges(self) -> None:
        """Move the duration gauge on even when no frame arrives (an idle user stream)."""
        if self.stats.connected_at:
            metrics.WS_CONNECTION_DURATION_SECONDS.labels(self.name).set(
                time.time() - self.stats.connected_at
            )

    def _error(self, text: str) -> None:
        self.stats.errors += 1
        self.stats.last_error = text
        metrics.WS_ERRORS.labels(self.name).inc()

    def _mark_down(self) -> None:
        if self.stats.state == "up":
            self.stats.state = "connecting"
        self.stats.connected_at = None
        metrics.WS_CONNECTION_STATUS.labels(self.name).set(0)
        metrics.WS_CONNECTION_DURATION_SECONDS.labels(self.name).set(0)

    def status(self) -> dict[str, Any]:
        return self.stats.as_dict()

    async def stop(self) -> None:
        self.stopping = True
        ws = self.ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()


# ------------------------------------------------------------------------------ market


def stream_names(symbols: Iterable[str], depth: bool = True, market: bool = True) -> list[str]:
    """Binance stream names for the symbols (lower-case), market kinds then depth."""
    out: list[str] = []
    for s in symbols:
        low = s.lower()
        if market:
            out += [f"{low}@{k}" for k in MARKET_KINDS]
        if depth:
            out.append(f"{low}@{DEPTH_KIND}")
    return out


class MarketStream(StreamConnection):
    """Market streams for a symbol set on one combined socket, live (un)subscribe on changes.

    route: "" (unrouted: every kind on one socket), "market" (routed /market: trades, ticker,
    mark price) or "public" (routed /public: depth).
    """

    kind = "market"

    def __init__(
        self,
        name: str,
        ws_root: str,
        symbols: Iterable[str],
        on_message: Callable[[str, dict], None],
        *,
        route: str = "",
        **kw: Any,
    ):
        super().__init__(name, **kw)
        self.ws_root = ws_root.rstrip("/")
        self.route = route
        self.on_message = on_message
        self.symbols: list[str] = sorted({s.upper() for s in symbols})
        self.extra: list[str] = []  # streams asked for by name, e.g. klines of paper runners
        self.subscribed: set[str] = set()  # what the live socket has
        self._next_id = 1
        self.requests: dict[int, str] = {}  # id -> method, until its reply arrives
        self._url_streams: set[str] = set()
        self._lock = asyncio.Lock()
        self.stats.streams = self.wanted()

    def wanted(self) -> list[str]:
        names = stream_names(
            self.symbols, depth=self.route in ("", "public"), market=self.route != "public"
        )
        return names + self.extra if self.route != "public" else names

    def url(self) -> str:
        prefix = f"/{self.route}" if self.route else ""
        return f"{self.ws_root}{prefix}/stream?streams=" + "/".join(self.wanted())

    async def on_open(self, ws: ClientConnection) -> None:
        # The URL of a reconnect still names the set of the first connect; bring it up to date.
        self.subscribed = set(self._url_streams)
        await self._sync(ws)

    def _connect(self, url: str) -> connect:
        self._url_streams = set(self.wanted())
        return super()._connect(url)

    async def set_symbols(self, symbols: Iterable[str]) -> None:
        """Change the symbol set; the live socket is (un)subscribed without a reconnect."""
        self.symbols = sorted({s.upper() for s in symbols})
        await self._changed()

    async def set_extra(self, names: Iterable[str]) -> None:
        """Change the streams wanted by name (kline streams); live, without a reconnect."""
        self.extra = sorted(set(names))
        await self._changed()

    async def _changed(self) -> None:
        self.stats.streams = self.wanted()
        ws = self.ws
        if ws is not None:
            try:
                await self._sync(ws)
            except ConnectionClosed as exc:
                logger.warning("%s: resubscribe failed (%s); the reconnect will", self.name, exc)

    async def _sync(self, ws: ClientConnection) -> None:
        async with self._lock:
            want = set(self.wanted())
            add = sorted(want - self.subscribed)
            drop = sorted(self.subscribed - want)
            # Binance allows 10 incoming messages a second: one request per direction. Replies
            # come back through the read loop (errors are counted there).
            if drop:
                await self._request(ws, "UNSUBSCRIBE", drop)
                self.subscribed -= set(drop)
            if add:
                await self._request(ws, "SUBSCRIBE", add)
                self.subscribed |= set(add)

    async def _request(self, ws: ClientConnection, method: str, params: list) -> int:
        req_id = self._next_id
        self._next_id += 1
        self.requests[req_id] = method
        await ws.send(json.dumps({"method": method, "params": params, "id": req_id}))
        return req_id

    def on_frame(self, raw: str | bytes) -> None:
        msg = json.loads(raw)
        data = msg.get("data")
        st = self.stats
        st.messages += 1
        st.last_message_at = time.time()
        if data is None:
            if "id" in msg:  # a SUBSCRIBE/UNSUBSCRIBE reply or an error
                self.requests.pop(msg.get("id"), None)
                if "code" in msg:
                    self._error(f"request refused: {msg.get('msg')}"[:200])
                return
            data = msg  # a raw (non-combined) payload
        kind = EVENT_TYPES.get(data.get("e"), "other")
        self._count(kind)
        self.on_message(kind, data)


# ------------------------------------------------------------------------------ user data


class UserStream(StreamConnection):
    """The account's user data stream behind a listen key that this object keeps alive."""

    kind = "user"

    def __init__(
        self,
        name: str,
        ws_root: str,
        keys: ListenKeyClient,
        on_event: Callable[[dict], Awaitable[None]],
        *,
        routed: bool = False,
        on_connected: Callable[[], Awaitable[None]] | None = None,
        keepalive_seconds: float = 1800.0,
        **kw: Any,
    ):
        super().__init__(name, **kw)
        self.ws_root = ws_root.rstrip("/")
        self.keys = keys
        self.on_event = on_event
        self.on_connected = on_connected
        self.routed = routed
        self.keepalive_seconds = keepalive_seconds
        self.listen_key: str | None = None
        self.key_renewals = 0
        self._renew = False
        self._events: asyncio.Queue | None = None
        self.stats.streams = ["userData"]

    def url(self) -> str:
        prefix = "/private" if self.routed else ""
        return f"{self.ws_root}{prefix}/ws/{self.listen_key}"

    async def run(self) -> None:
        try:
            while not self.stopping:
                try:
                    self.stats.state = "connecting"
                    self.listen_key = await asyncio.to_thread(self.keys.create)
                except ListenKeyError as exc:
                    self._error(str(exc))
                    await self._pause()
                    continue
                self._renew = False
                keeper = asyncio.create_task(self._keepalive(), name=f"{self.name}-keepalive")
                try:
                    await self._run_socket_loop(self.url)
                except InvalidStatus as exc:
                    # The handshake refused the key (expired between create and connect).
                    count_error(BINANCE_FUTURES, code=str(exc.response.status_code))
                    self._error(f"handshake refused: HTTP {exc.response.status_code}")
                    await self._pause()
                finally:
                    keeper.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await keeper
                if self._renew and not self.stopping:
                    self.key_renewals += 1
                    logger.info("%s: listen key renewed, reconnecting", self.name)
        finally:
            self._mark_down()
            self.stats.state = "stopped"
            key, self.listen_key = self.listen_key, None
            if key:
                # Close the key so the exchange stops queueing events for a socket we left.
                with contextlib.suppress(ListenKeyError, RuntimeError):
                    await asyncio.shield(asyncio.to_thread(self.keys.close, key))

    async def _pause(self) -> None:
        delay = self.backoff.next_delay()
        self.stats.state = "backoff"
        await self.sleep(delay)

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(self.keepalive_seconds)
            key = self.listen_key
            if not key:
                continue
            try:
                await asyncio.to_thread(self.keys.keepalive, key)
            except ListenKeyError as exc:
                self._error(str(exc))
                if exc.code == -1125:
                    logger.warning("%s: listen key gone (-1125); renewing", self.name)
                    await self._start_renewal()
                    return
                logger.warning("%s: keepalive failed (%s); retrying", self.name, exc)

    async def _start_renewal(self) -> None:
        self._renew = True
        ws = self.ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()

    async def on_open(self, ws: ClientConnection) -> None:
        self._events = asyncio.Queue()
        self._worker = asyncio.create_task(self._drain(self._events), name=f"{self.name}-events")
        if self.on_connected is not None:
            # Reconcile over REST after every (re)connect: events of the gap are not replayed.
            await self.on_connected()

    async def _drain(self, queue: asyncio.Queue) -> None:
        while True:
            event = await queue.get()
            try:
                await self.on_event(event)
            except Exception:
                self._error(f"event handler failed for {event.get('e')}")
                logger.exception("%s: handling %s failed", self.name, event.get("e"))
            finally:
                queue.task_done()

    async def _serve(self, ws: ClientConnection) -> str:
        try:
            return await super()._serve(ws)
        finally:
            worker = getattr(self, "_worker", None)
            queue = self._events
            if worker is not None:
                # Finish what was received (fills must not be lost), then stop the worker.
                if queue is not None and not queue.empty():
                    with contextlib.suppress(Exception):
                        async with asyncio.timeout(30):
                            await queue.join()
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
                self._worker = None

    def on_frame(self, raw: str | bytes) -> None:
        event = json.loads(raw)
        st = self.stats
        st.messages += 1
        st.last_message_at = time.time()
        etype = event.get("e", "other")
        self._count(etype if etype in ("ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE") else "user_other")
        if etype == "listenKeyExpired":
            logger.warning("%s: listenKeyExpired; renewing", self.name)
            self._renew = True
            raise _Planned()
        if self._events is not None:
            self._events.put_nowait(event)
