"""BinanceFuturesWs: order calls over Binance's WebSocket API (`/ws-fapi/v1`), the rest over REST.

A subclass of the REST connector that sends only the order calls another way: place, modify,
cancel and status (and the algo place / cancel) become `order.place`, `order.modify`,
`order.cancel`, `order.status`, `algoOrder.place`, `algoOrder.cancel` requests on one
persistent socket; everything else (account, exchange info, marks) stays on REST. Method names,
arguments, answers and errors are the REST connector's, and so is the idempotency: a placement
whose answer is lost (timeout, socket closed after the request left) raises
UnknownExecutionStatus inside, and place_order looks the order up by its client id (over the
socket, reconnected) before it would ever send it again.

Requests carry their own HMAC signature (Binance's WS rule: every parameter sorted by name,
k=v&k=v). An Ed25519 key (a PEM private key as the secret) logs the socket on once with
`session.logon`; its requests then carry only a timestamp.

The setting SPARK_ORDER_TRANSPORT ("rest" | "ws") picks the transport in
order_client_from_settings(); the services are wired to it after the futures refactor.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import secrets
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.protocol import State
from websockets.sync.client import ClientConnection, connect

from futures.binance.errors import (
    BinanceError,
    ClockSkew,
    ExchangeUnavailable,
    RateLimited,
    UnknownExecutionStatus,
    count_error,
    error_for,
)
from futures.binance.rest import BinanceFutures, client_from_settings
from futures.binance.signing import is_ed25519_secret, plain, signature, ws_payload

logger = logging.getLogger(__name__)

# REST call → WebSocket API method; every other call of the connector stays on REST.
WS_METHODS: dict[tuple[str, str], str] = {
    ("POST", "/fapi/v1/order"): "order.place",
    ("PUT", "/fapi/v1/order"): "order.modify",
    ("DELETE", "/fapi/v1/order"): "order.cancel",
    ("GET", "/fapi/v1/order"): "order.status",
    ("POST", "/fapi/v1/algoOrder"): "algoOrder.place",
    ("DELETE", "/fapi/v1/algoOrder"): "algoOrder.cancel",
}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class _NotSent(Exception):
    """The socket closed before the request could leave: nothing can have executed."""


@dataclass
class _Pending:
    """One request in flight: its answer, or the note that its socket closed first."""

    conn: ClientConnection
    done: threading.Event = field(default_factory=threading.Event)
    answer: dict | None = None
    lost: bool = False


class BinanceFuturesWs(BinanceFutures):
    """Binance USD-M Futures with the order calls over the WebSocket API."""

    def __init__(
        self,
        base_url: str,
        api_key: str = "",
        api_secret: str = "",
        *,
        ws_api_url: str,
        recv_window: int = 5000,
        timeout: float = 10.0,
        pool_size: int = 8,
    ):
        super().__init__(
            base_url,
            api_key,
            api_secret,
            recv_window=recv_window,
            timeout=timeout,
            pool_size=pool_size,
        )
        self.ws_api_url = ws_api_url
        self._ed25519 = is_ed25519_secret(api_secret)
        self._conn: ClientConnection | None = None
        self._connect_lock = threading.Lock()  # one handshake at a time
        self._send_lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        self._pending_lock = threading.Lock()
        # Sockets whose reader has ended: a request registered after that could never be
        # answered or failed, so it is refused before it is sent.
        self._dead: weakref.WeakSet[ClientConnection] = weakref.WeakSet()
        self._ids = itertools.count(1)
        self._id_prefix = secrets.token_hex(4)
        self.connects = 0  # sockets opened so far (the first one and every reconnect)

    def __repr__(self) -> str:  # never the key or the secret
        return f"<{type(self).__name__} {self.base_url} {self.ws_api_url}>"

    # ------------------------------------------------------------------------------ routing

    def request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        signed: bool = False,
    ) -> Any:
        """The REST connector's request, with the order calls sent over the socket."""
        name = WS_METHODS.get((method, path)) if signed else None
        if name is None:
            return super().request(method, path, params, signed=signed)
        try:
            try:
                return self._call(name, params or {})
            except ClockSkew:
                # As on REST: a refused timestamp executed nothing, so one retry is safe.
                logger.warning("binance -1021 on %s: re-syncing the clock", name)
                self.sync_time()
                return self._call(name, params or {})
        except BinanceError as exc:
            count_error(self.exchange, exc)  # the same counter as REST: one per failed call
            raise

    # ------------------------------------------------------------------------------ calls

    def _call(self, name: str, params: dict[str, Any]) -> Any:
        wait = self.backoff_remaining()
        if wait > 0:
            refused = RateLimited(
                -1003,
                f"Local back-off after a rate-limit answer: {wait:.1f}s left.",
                429,
                retry_after=wait,
            )
            refused.local = True  # never sent: not an exchange error to count
            raise refused
        for attempt in (1, 2):
            conn = self._connection()
            full = {k: plain(v) for k, v in params.items() if v is not None}
            full["recvWindow"] = str(self.recv_window)
            full["timestamp"] = str(self.timestamp_ms())
            if not self._ed25519:
                full["apiKey"] = self._api_key
                full["signature"] = signature(self._api_secret, ws_payload(full))
            try:
                return self._exchange(conn, name, full)
            except _NotSent:
                # The socket had closed (the exchange ends every socket after 24 hours) and
                # the request never left: one retry on a new socket cannot double anything.
                if attempt == 2:
                    raise ExchangeUnavailable(
                        -1001, f"WebSocket API closed before {name} could be sent.", 0
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _exchange(self, conn: ClientConnection, name: str, params: dict[str, str]) -> Any:
        """Send one request on conn and wait for its answer (or learn it is lost)."""
        req_id = f"{self._id_prefix}-{next(self._ids)}"
        pending = _Pending(conn)
        with self._pending_lock:
            dead = conn in self._dead
            if not dead:
                self._pending[req_id] = pending
        if dead:
            self._drop(conn, "reader ended")
            raise _NotSent
        frame = json.dumps({"id": req_id, "method": name, "params": params})
        try:
            with self._send_lock:
                conn.send(frame)
        except (ConnectionClosed, OSError):
            # Not sent (a frame cut short is never read as a request): a definite failure.
            self._forget(req_id)
            self._drop(conn, "send failed")
            raise _NotSent from None
        if not pending.done.wait(self.timeout):
            self._forget(req_id)
            # A socket that does not answer may be half-open: the next call starts a new one.
            self._drop(conn, f"no answer to {name} within {self.timeout:g}s")
            raise UnknownExecutionStatus(-1007, f"Timeout waiting for the answer to {name}.", 0)
        if pending.lost or pending.answer is None:
            raise UnknownExecutionStatus(
                -1006, f"WebSocket API closed after {name} was sent, before its answer.", 0
            )
        return self._result(pending.answer, name)

    def _result(self, answer: dict, name: str) -> Any:
        self._track_ws_weight(answer.get("rateLimits"))
        status = answer.get("status")
        if status == 200 and "result" in answer:
            return answer["result"]
        error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
        code = error.get("code", 0)
        code = code if isinstance(code, int) else 0
        msg = str(error.get("msg", "")) or f"status {status} from {name}"
        http_status = status if isinstance(status, int) else 0
        exc: BinanceError = error_for(code, msg[:300], http_status, _retry_after(error))
        if isinstance(exc, RateLimited):
            self._open_backoff(exc.retry_after)
            logger.warning("binance %s on %s: backing off %.1fs", status, name, exc.retry_after)
        raise exc

    def _track_ws_weight(self, limits: Any) -> None:
        if not isinstance(limits, list):
            return
        for row in limits:
            if isinstance(row, dict) and row.get("rateLimitType") == "REQUEST_WEIGHT":
                count = row.get("count")
                if isinstance(count, int):
                    self.used_weight = count
                    self._on_weight(self.weight_limit - count)

    # ------------------------------------------------------------------------------ socket

    def _connection(self) -> ClientConnection:
        """The open socket, opened (and logged on for an Ed25519 key) when there is none."""
        conn = self._conn
        if conn is not None and conn.state is State.OPEN:
            return conn
        with self._connect_lock:
            conn = self._conn
            if conn is not None and conn.state is State.OPEN:
                return conn
            if conn is not None:
                logger.info("WebSocket API socket closed (%s); reconnecting", conn.close_code)
            conn = self._open()
            self._conn = conn
            return conn

    def _open(self) -> ClientConnection:
        host = urlparse(self.ws_api_url).hostname or ""
        try:
            conn = connect(
                self.ws_api_url,
                open_timeout=self.timeout,
                close_timeout=2,
                compression=None,  # small JSON frames: deflate costs more than it saves
                # Loopback (the stand-in) never goes through a proxy from the environment.
                proxy=None if host in LOOPBACK else True,
                legacy=True,  # the connection itself; reconnecting is this class's job
            )
        except (OSError, InvalidHandshake, TimeoutError) as exc:
            raise ExchangeUnavailable(
                -1001, f"WebSocket API unreachable: {type(exc).__name__}.", 0
            ) from None
        self.connects += 1
        reader = threading.Thread(
            target=self._read, args=(conn,), name="binance-ws-api", daemon=True
        )
        reader.start()
        if self._ed25519:
            self._logon(conn)
        return conn

    def _logon(self, conn: ClientConnection) -> None:
        """session.logon with the Ed25519 key: later requests on conn need no signature."""
        params = {
            "apiKey": self._api_key,
            "recvWindow": str(self.recv_window),
            "timestamp": str(self.timestamp_ms()),
        }
        params["signature"] = signature(self._api_secret, ws_payload(params))
        try:
            self._exchange(conn, "session.logon", params)
        except (UnknownExecutionStatus, _NotSent):
            # No order has left yet: for the caller this is a definite failure.
            self._drop(conn, "logon unanswered")
            raise ExchangeUnavailable(
                -1001, "WebSocket API session.logon got no answer.", 0
            ) from None
        except BinanceError:
            self._drop(conn, "logon refused")
            raise

    def _read(self, conn: ClientConnection) -> None:
        """Hand each answer to the request waiting for its id; fail them all when conn ends."""
        try:
            for text in conn:
                try:
                    answer = json.loads(text)
                except ValueError:
                    logger.warning("WebSocket API sent a frame that is not JSON; ignored")
                    continue
                if not isinstance(answer, dict):
                    continue
                with self._pending_lock:
                    pending = self._pending.pop(str(answer.get("id")), None)
                if pending is not None:
                    pending.answer = answer
                    pending.done.set()
        except ConnectionClosed:
            pass
        finally:
            self._fail_pending(conn)

    def _fail_pending(self, conn: ClientConnection) -> None:
        with self._pending_lock:
            self._dead.add(conn)
            lost = [k for k, p in self._pending.items() if p.conn is conn]
            gone = [self._pending.pop(k) for k in lost]
        for pending in gone:
            pending.lost = True
            pending.done.set()

    def _forget(self, req_id: str) -> None:
        with self._pending_lock:
            self._pending.pop(req_id, None)

    def _drop(self, conn: ClientConnection, why: str) -> None:
        logger.info("WebSocket API socket dropped: %s", why)
        if self._conn is conn:
            self._conn = None
        # The close handshake may wait out close_timeout on a half-open socket: not the caller.
        threading.Thread(target=conn.close, name="binance-ws-api-close", daemon=True).start()

    def close(self) -> None:
        """Close the socket (requests in flight end as unknown) and the HTTP session."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
        self.session.close()


def _retry_after(error: dict) -> float | None:
    """Seconds to wait from a WS API error's data.retryAfter (ms since epoch), if any."""
    data = error.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("retryAfter"), int):
        return None
    now = data.get("serverTime") if isinstance(data.get("serverTime"), int) else time.time() * 1000
    return max(0.0, (data["retryAfter"] - now) / 1000)


# ---------------------------------------------------------------------------------- factory

_CLIENTS: dict[tuple, BinanceFuturesWs] = {}
_CLIENTS_LOCK = threading.Lock()


def order_client_from_settings() -> BinanceFutures:
    """The connector orders go through: REST, or the WebSocket API when
    SPARK_ORDER_TRANSPORT is "ws" (one pooled client per configuration, settings read now)."""
    from django.conf import settings

    if settings.SPARK_ORDER_TRANSPORT != "ws":
        return client_from_settings()
    base = settings.BINANCE_FUTURES_BASE_URL
    key, secret = settings.BINANCE_API_KEY, settings.BINANCE_API_SECRET
    ws_url = settings.BINANCE_FUTURES_WS_API_URL
    recv, timeout = int(settings.BINANCE_RECV_WINDOW), float(settings.BINANCE_HTTP_TIMEOUT)
    # The cache key holds a digest of the secret, never the secret itself.
    digest = hashlib.sha256(f"{key}:{secret}".encode()).hexdigest()
    cache_key = (base, ws_url, digest, recv, timeout)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(cache_key)
        if client is None:
            client = BinanceFuturesWs(
                base, key, secret, ws_api_url=ws_url, recv_window=recv, timeout=timeout
            )
            _CLIENTS[cache_key] = client
        return client
