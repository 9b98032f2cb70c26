"""The stream supervisor: owns the exchange sockets, takes commands, publishes its status.

Where it runs:
- embedded (SPARK_STREAMS_EMBEDDED, the default): inside the Daphne process, started by
  `spark_site.startup.on_startup` (registered in futures/apps.py);
- scale-out: `python manage.py run_streams`, its own process.

Either way it listens on the channel-layer channel COMMAND_CHANNEL (in-memory layer in one
process, Redis across processes), so `POST /futures/ws.start` / `ws.stop` work the same in both
modes, and it writes its status to the cache (STATUS_KEY) every second so any web process
answers `GET /futures/ws.status`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from decimal import Decimal
from typing import Any

import requests
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connections

from accounts.permissions import require
from audit.services import record
from futures import attached, broadcast, chart, klines, metrics, paper
from futures.binance.errors import UnknownSymbol
from futures.binance.streams import Backoff, ListenKeyClient, MarketStream, UserStream
from futures.events import MarketState, handle_user_event, reconcile_after_connect
from futures.stream_health import OutageWatch
from spark_site.errors import DomainError, ServiceUnavailable, ValidationFailed

logger = logging.getLogger(__name__)

COMMAND_CHANNEL = "spark.streams.commands"
STATUS_KEY = "spark:streams:status"
STATUS_TTL = 10  # seconds: a supervisor that stopped writing is reported absent
COMMAND_MAX_AGE = 15.0  # seconds: a command nobody took in time is dropped, not run late


class Supervisor:
    """The exchange connections of this process and their lifecycle."""

    def __init__(
        self,
        *,
        ws_root: str | None = None,
        routed: bool | None = None,
        user_stream: bool | None = None,
        backoff_factory=None,
        silence_timeout: float | None = None,
        publish_interval: float = 0.05,
        mode: str = "embedded",
    ):
        self.ws_root = ws_root
        self.routed = routed
        self.user_stream = user_stream
        self.backoff_factory = backoff_factory or (lambda: Backoff(1.0, 60.0, 60.0))
        self.silence_timeout = silence_timeout
        self.mode = mode
        self.market = MarketState()
        self.coalescer = broadcast.Coalescer(publish_interval)
        self.connections: dict[str, Any] = {}
        self.tasks: dict[str, asyncio.Task] = {}
        self.symbols: list[str] = []
        self.started_at: float | None = None
        self.reconciles = 0
        self.reconcile_errors = 0
        self.outages = OutageWatch()
        self._lock = asyncio.Lock()
        self._background: list[asyncio.Task] = []
        self._closing = False
        self.klines = klines.KlineDispatcher()
        self.kline_streams: list[str] = []
        self._kline_tasks: list[asyncio.Task] = []
        # dry-run orders resting on paper, filled when a price crosses them (futures/paper.py)
        self.paper = paper.PaperWatch()
        self._paper_tasks: dict[str, asyncio.Task] = {}

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return bool(self.tasks)

    async def start(self, symbols: list[str]) -> dict:
        """Start the streams for symbols, or change the symbol set of the running ones."""
        symbols = sorted({s.upper() for s in symbols})
        async with self._lock:
            metrics.WS_STREAMS_ENABLED.set(1)
            if self.running:
                self.symbols = symbols
                for conn in self.connections.values():
                    if isinstance(conn, MarketStream):
                        await conn.set_symbols(symbols)
                return self.status()
            self.symbols = symbols
            self.started_at = time.time()
            ws_root = self.ws_root or settings.BINANCE_FUTURES_WS_URL
            routed = (
                self.routed
                if self.routed is not None
                else bool(getattr(settings, "BINANCE_FUTURES_WS_ROUTED", False))
            )
            silence = self.silence_timeout or float(
                getattr(settings, "SPARK_STREAM_SILENCE_SECONDS", 30)
            )
            self.coalescer.start()
            if routed:
                # Binance routes by category since 2026-04: depth on /public, the rest /market.
                self._add(
                    MarketStream(
                        "market",
                        ws_root,
                        symbols,
                        self._on_market,
                        route="market",
                        backoff=self.backoff_factory(),
                        silence_timeout=silence,
                    )
                )
                self._add(
                    MarketStream(
                        "depth",
                        ws_root,
                        symbols,
                        self._on_market,
                        route="public",
                        backoff=self.backoff_factory(),
                        silence_timeout=silence,
                    )
                )
            else:
                self._add(
                    MarketStream(
                        "market",
                        ws_root,
                        symbols,
                        self._on_market,
                        backoff=self.backoff_factory(),
                        silence_timeout=silence,
                    )
                )
            if self._wants_user_stream():
                self._add(
                    UserStream(
                        "user",
                        ws_root,
                        ListenKeyClient.from_settings(),
                        self._on_user_event,
                        routed=routed,
                        on_connected=self._reconcile,
                        keepalive_seconds=float(settings.SPARK_LISTEN_KEY_KEEPALIVE_SECONDS),
                        backoff=self.backoff_factory(),
                        silence_timeout=None,
                    )
                )
            loop = asyncio.get_running_loop()
            self._kline_tasks = [
                loop.create_task(self._kline_subscriptions(), name="ws-kline-subscriptions"),
                loop.create_task(self.klines.run(), name="ws-kline-dispatch"),
            ]
            logger.info("streams started for %s", ",".join(symbols))
            return self.status()

    def _wants_user_stream(self) -> bool:
        if self.user_stream is not None:
            return self.user_stream
        return bool(getattr(settings, "BINANCE_API_KEY", ""))

    def _add(self, conn) -> None:
        self.connections[conn.name] = conn
        task = asyncio.get_running_loop().create_task(self._guard(conn), name=f"ws-{conn.name}")
        self.tasks[conn.name] = task

    async def _guard(self, conn) -> None:
        try:
            await conn.run()
        except asyncio.CancelledError:
            raise
        except Exception:
            # The connection's loop is meant never to end; if a bug ends it, say so loudly.
            logger.exception("stream %s ended with an error", conn.name)

    async def stop(self) -> dict:
        """Close every socket and end every task of the streams (nothing left behind)."""
        async with self._lock:
            # A deliberate stop: the disconnect alert must not fire for it.
            metrics.WS_STREAMS_ENABLED.set(0)
            conns = list(self.connections.values())
            tasks = list(self.tasks.values()) + self._kline_tasks + list(self._paper_tasks.values())
            for conn in conns:
                await conn.stop()
            await broadcast.cancel_and_wait(tasks, timeout=10)
            await self.coalescer.stop()
            self.tasks.clear()
            self.connections.clear()
            self._kline_tasks = []
            self._paper_tasks.clear()
            self.kline_streams = []
            self.klines.pending.clear()
            self.started_at = None
            for conn in conns:
                keys = getattr(conn, "keys", None)
                if keys is not None:
                    keys.shutdown()
            # the worker thread of the kline feed and the user events keeps no connection open
            await sync_to_async(connections.close_all, thread_sensitive=True)()
            logger.info("streams stopped")
            return self.status()

    # -- events -----------------------------------------------------------------------------

    def _on_market(self, kind: str, data: dict) -> None:
        if kind == "kline":
            k = data.get("k") or {}
            symbol = data.get("s") or k.get("s")
            if k.get("i") == chart.LIVE_INTERVAL and symbol in self.symbols:
                self.coalescer.offer(chart.topic(symbol), chart.bar_payload(k))
            # The chart's streams are not the listeners': they must not wake the paper runners.
            if klines.stream_name(symbol or "", k.get("i") or "") in self.kline_streams:
                self.klines.offer(data)
            return
        out = self.market.apply(kind, data)
        if out is not None:
            self.coalescer.offer(*out)
            if kind in ("aggTrade", "markPrice"):
                self._match_paper(data.get("s"), data.get("p"))

    def _match_paper(self, symbol: str | None, price: Any) -> None:
        """Match resting dry-run orders against a new price, one check per symbol at a time
        (a price arriving while one runs is skipped: the next one is newer anyway)."""
        running = self._paper_tasks.get(symbol or "")
        if not symbol or price in (None, "") or (running is not None and not running.done()):
            return
        try:
            value = Decimal(str(price))
        except ArithmeticError:
            return

        async def match() -> None:
            try:
                await sync_to_async(self.paper.match, thread_sensitive=True)(symbol, value)
            except Exception:
                logger.exception("matching dry-run orders of %s failed", symbol)

        self._paper_tasks[symbol] = asyncio.get_running_loop().create_task(
            match(), name=f"paper-{symbol}"
        )

    async def _kline_subscriptions(self, every: float = 1.0) -> None:
        """Keep the market socket subscribed to the klines the listeners want (live)."""
        wanted = sync_to_async(klines.wanted_streams, thread_sensitive=True)
        subscribed: list[str] | None = None
        while True:
            try:
                names = await wanted()
                self.kline_streams = names
                # plus the 1m bars of every streamed symbol, the dashboard chart's live feed
                charted = {klines.stream_name(s, chart.LIVE_INTERVAL) for s in self.symbols}
                streams = sorted(set(names) | charted)
                if streams != subscribed:
                    subscribed = streams
                    for conn in list(self.connections.values()):
                        if isinstance(conn, MarketStream) and conn.route != "public":
                            await conn.set_extra(streams)
            except Exception:
                logger.exception("updating the kline subscriptions failed")
            await asyncio.sleep(every)

    async def _on_user_event(self, event: dict) -> None:
        await sync_to_async(handle_user_event, thread_sensitive=True)(event)
        if event.get("e") == "ORDER_TRADE_UPDATE":
            await self._attach_due()

    async def _attach_due(self) -> None:
        """Entries that filled get their attached TP/SL now (futures/attached.py)."""
        try:
            await sync_to_async(attached.attach_due, thread_sensitive=True)()
        except Exception:
            logger.exception("placing the TP/SL attached to filled entries failed")

    async def _reconcile(self) -> None:
        try:
            done = await sync_to_async(reconcile_after_connect, thread_sensitive=True)()
            self.reconciles += 1
            logger.info("user stream reconciled: %s", done)
            await self._attach_due()  # a fill found by the reconciliation
        except Exception:
            self.reconcile_errors += 1
            logger.exception("reconciliation after the user stream connected failed")

    # -- status -----------------------------------------------------------------------------

    def status(self) -> dict:
        return {
            "running": self.running,
            "mode": self.mode,
            "symbols": list(self.symbols) if self.running else [],
            "started_at": self.started_at,
            "reconciles": self.reconciles,
            "reconcile_errors": self.reconcile_errors,
            "klines": list(self.kline_streams) if self.running else [],
            "connections": [c.status() for c in self.connections.values()],
            "updated_at": time.time(),
        }

    async def publish_status(self) -> None:
        for conn in self.connections.values():
            conn.refresh_gauges()
        status = self.status()
        await self._watch_outage(status)
        await cache.aset(STATUS_KEY, status, STATUS_TTL)
        if self.mode != "embedded":
            # Web processes answer snapshots of market topics from the cache.
            views = self.market.views()
            if views:
                await cache.aset_many(
                    {broadcast.LATEST_CACHE_PREFIX + k: v for k, v in views.items()}, 30
                )
        await broadcast.apublish("streams", status)

    async def _watch_outage(self, status: dict) -> None:
        try:
            await sync_to_async(self.outages.observe)(status, time.time())
        except Exception:  # noqa: BLE001 - a notification must never stop the status loop
            logger.exception("writing the streams outage event failed")

    async def _status_loop(self, every: float) -> None:
        while not self._closing:
            try:
                await self.publish_status()
            except Exception:
                logger.exception("publishing the stream status failed")
            await asyncio.sleep(every)

    # -- commands ---------------------------------------------------------------------------

    async def handle(self, command: dict) -> dict:
        name = command.get("command")
        if time.time() - float(command.get("sent_at", time.time())) > COMMAND_MAX_AGE:
            return {"ok": False, "error": "stale command"}
        if name == "start":
            status = await self.start(list(command.get("symbols") or []))
        elif name == "stop":
            status = await self.stop()
        elif name == "status":
            status = self.status()
        else:
            return {"ok": False, "error": f"unknown command {name!r}"}
        await self.publish_status()
        return {"ok": True, "status": status}

    async def _command_loop(self) -> None:
        layer = get_channel_layer()
        failing = False
        while not self._closing:
            try:
                msg = await layer.receive(COMMAND_CHANNEL)
            except Exception as exc:
                # A channel-layer failure (Redis down, reconnect) must not end this task: serve()
                # would then stop every stream of the worker. One line when it starts failing,
                # not a traceback per retry.
                if not failing:
                    logger.warning(
                        "stream command channel receive failed (%s: %s); retrying",
                        type(exc).__name__,
                        exc,
                    )
                failing = True
                await asyncio.sleep(1.0)
                continue
            if failing:
                logger.info("stream command channel receives again")
                failing = False
            try:
                reply = await self.handle(msg)
            except Exception as exc:
                logger.exception("stream command %s failed", msg.get("command"))
                reply = {"ok": False, "error": f"{type(exc).__name__}"}
            if msg.get("reply_to"):
                with contextlib.suppress(Exception):
                    await layer.send(msg["reply_to"], {"type": "streams.reply", **reply})

    async def serve(self, *, autostart: list[str] | None = None, status_every: float = 1.0):
        """Run until cancelled: commands, status publishing, and (optionally) the streams."""
        loop = asyncio.get_running_loop()
        self._closing = False
        self._background = [
            loop.create_task(self._command_loop(), name="streams-commands"),
            loop.create_task(self._status_loop(status_every), name="streams-status"),
        ]
        try:
            if autostart:
                await self.start(autostart)
            await asyncio.gather(*self._background)
        finally:
            self._closing = True
            await broadcast.cancel_and_wait(self._background)
            self._background = []
            await self.stop()
            with contextlib.suppress(Exception):
                await cache.adelete(STATUS_KEY)


_supervisor: Supervisor | None = None


def get_supervisor(**kwargs) -> Supervisor:
    """The supervisor of this process (one per process)."""
    global _supervisor
    if _supervisor is None:
        _supervisor = Supervisor(**kwargs)
    return _supervisor


async def embedded_main() -> None:
    """The on_startup hook of the server process (embedded mode)."""
    if not getattr(settings, "SPARK_STREAMS_EMBEDDED", False):
        return
    await get_supervisor(mode="embedded").serve(autostart=list(settings.SPARK_STREAM_SYMBOLS))


# ------------------------------------------------------------------------------ web side (sync)


class StreamsUnavailable(ServiceUnavailable):
    code = "STREAMS_UNAVAILABLE"


_exchange_symbols: tuple[float, frozenset[str]] | None = None


def exchange_symbols() -> frozenset[str]:
    """Symbols the exchange trades (exchange info, cached for five minutes)."""
    global _exchange_symbols
    if _exchange_symbols and time.monotonic() - _exchange_symbols[0] < 300:
        return _exchange_symbols[1]
    try:
        r = requests.get(
            settings.BINANCE_FUTURES_BASE_URL + "/fapi/v1/exchangeInfo",
            timeout=settings.BINANCE_HTTP_TIMEOUT,
        )
        r.raise_for_status()
        info = r.json()
    except (requests.RequestException, ValueError) as exc:
        raise StreamsUnavailable(
            "The exchange did not answer exchange info.", details={"reason": type(exc).__name__}
        ) from exc
    symbols = frozenset(
        s["symbol"] for s in info.get("symbols", []) if s.get("status", "TRADING") == "TRADING"
    )
    _exchange_symbols = (time.monotonic(), symbols)
    return symbols


async def acommand(command: str, timeout: float = 8.0, **body: Any) -> dict:
    """Send a command to whichever process runs the supervisor and wait for its answer."""
    layer = get_channel_layer()
    reply_to = await layer.new_channel("spark.streams.reply.")
    await layer.send(
        COMMAND_CHANNEL,
        {
            "type": "streams.command",
            "command": command,
            "reply_to": reply_to,
            "sent_at": time.time(),
            **body,
        },
    )
    try:
        async with asyncio.timeout(timeout):
            return await layer.receive(reply_to)
    except TimeoutError:
        raise StreamsUnavailable(
            "No stream supervisor answered: enable SPARK_STREAMS_EMBEDDED or run "
            "`manage.py run_streams`.",
            details={"command": command},
        ) from None


def read_status() -> dict:
    """The last status the supervisor published (any process can answer this)."""
    status = cache.get(STATUS_KEY)
    if status is None:
        return {"running": False, "supervisor": "absent", "symbols": [], "connections": []}
    status = dict(status)
    status["supervisor"] = "present"
    now = time.time()
    status["status_age_seconds"] = round(now - status.get("updated_at", now), 3)
    # Ages moved on since the publication: recompute them from the absolute times.
    for conn in status.get("connections", []):
        if conn.get("state") == "up" and conn.get("connected_at"):
            conn["uptime_seconds"] = round(now - conn["connected_at"], 3)
        if conn.get("last_message_at"):
            conn["last_message_age_seconds"] = round(now - conn["last_message_at"], 3)
    return status


def streams_start(*, user, symbols: list[str]) -> dict:
    """Start the streams (or change their symbols); validated against exchange info, audited."""
    target = ",".join(symbols)[:200]
    require(user, "futures.control_streams", action="streams.start", target=target)
    wanted = [s.strip().upper() for s in symbols if s and s.strip()]
    if not wanted:
        raise ValidationFailed(
            "Give at least one symbol.",
            details={"fields": [{"field": "symbols", "message": "empty"}]},
        )
    known = exchange_symbols()
    unknown = sorted(set(wanted) - known)
    if unknown:
        record(
            actor=user,
            action="streams.start",
            target=target,
            payload={"symbols": wanted, "unknown": unknown},
            outcome="rejected",
        )
        raise UnknownSymbol(
            "Not traded on the exchange: %(symbols)s.",
            params={"symbols": ", ".join(unknown)},
            details={"unknown": unknown},
        )
    try:
        reply = async_to_sync(acommand)("start", symbols=sorted(set(wanted)))
    except DomainError:
        record(
            actor=user,
            action="streams.start",
            target=target,
            payload={"symbols": wanted},
            outcome="failed",
        )
        raise
    record(actor=user, action="streams.start", target=target, payload={"symbols": wanted})
    return reply.get("status") or read_status()


def streams_stop(*, user) -> dict:
    """Stop every stream; audited."""
    require(user, "futures.control_streams", action="streams.stop", target="streams")
    try:
        reply = async_to_sync(acommand)("stop")
    except DomainError:
        record(actor=user, action="streams.stop", target="streams", outcome="failed")
        raise
    record(actor=user, action="streams.stop", target="streams")
    return reply.get("status") or read_status()
