"""BinanceFutures: the USD-M REST connector (the seed's 11 calls plus what reconciliation needs)."""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from decimal import Decimal
from typing import Any

from futures import metrics
from futures.binance.errors import (
    ExchangeRejected,
    NoSuchOrder,
    UnknownExecutionStatus,
)
from futures.binance.filters import SymbolFilters, parse_exchange_info
from futures.binance.http import BinanceHttp

logger = logging.getLogger(__name__)

ALGO_ORDER_TYPES = frozenset(
    {"STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"}
)
# "Already so" answers: the change the caller asked for is in place.
ALREADY_DONE_CODES = frozenset({-4046, -4059})
DUPLICATE_CLIENT_ORDER_ID = -4116


def new_client_order_id(prefix: str = "spark") -> str:
    """A fresh client order id matching ^[.A-Z:/a-z0-9_-]{1,36}$."""
    return f"{prefix}-{int(time.time() * 1000):x}-{secrets.token_hex(6)}"[:36]


class BinanceFutures(BinanceHttp):
    """Binance USD-M Futures over REST."""

    time_path = "/fapi/v1/time"
    weight_header = "X-MBX-USED-WEIGHT-1M"
    exchange_info_ttl = 300.0
    # After an unknown-status answer on placement: how often and how long to look the order up.
    lookup_delays = (0.05, 0.2, 0.5, 1.0)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._info: dict | None = None
        self._filters: dict[str, SymbolFilters] = {}
        self._info_at = 0.0
        self._info_lock = threading.Lock()
        self._marks: dict[str, tuple[Decimal, float]] = {}

    def _on_weight(self, remaining: int) -> None:
        metrics.RATE_LIMIT_REMAINING.set(remaining)

    # ------------------------------------------------------------------ 1. health
    def ping(self) -> dict:
        """Ping and server time: {"ok", "serverTime", "latencyMs", "clockOffsetMs"}."""
        t0 = time.perf_counter()
        self.request("GET", "/fapi/v1/ping")
        offset = self.sync_time()
        return {
            "ok": True,
            "serverTime": int(time.time() * 1000) + offset,
            "latencyMs": round((time.perf_counter() - t0) * 1000, 2),
            "clockOffsetMs": offset,
        }

    def server_time(self) -> int:
        return int(self.request("GET", "/fapi/v1/time")["serverTime"])

    # ------------------------------------------------------------------ 2-4. account
    def account(self) -> dict:
        return self.request("GET", "/fapi/v3/account", signed=True)

    def positions(self, symbol: str | None = None) -> list[dict]:
        """Position risk of every symbol (v2: with leverage and margin type)."""
        return self.request("GET", "/fapi/v2/positionRisk", {"symbol": symbol}, signed=True)

    def open_orders(self, symbol: str | None = None) -> list[dict]:
        return self.request("GET", "/fapi/v1/openOrders", {"symbol": symbol}, signed=True)

    def open_algo_orders(self, symbol: str | None = None) -> list[dict]:
        return self.request("GET", "/fapi/v1/openAlgoOrders", {"symbol": symbol}, signed=True)

    # ------------------------------------------------------------------ 5. query
    def query_order(
        self, symbol: str, *, order_id: int | None = None, client_order_id: str | None = None
    ) -> dict:
        return self.request(
            "GET",
            "/fapi/v1/order",
            {"symbol": symbol, "orderId": order_id, "origClientOrderId": client_order_id},
            signed=True,
        )

    def query_algo_order(
        self, *, algo_id: int | None = None, client_algo_id: str | None = None
    ) -> dict:
        return self.request(
            "GET",
            "/fapi/v1/algoOrder",
            {"algoId": algo_id, "clientAlgoId": client_algo_id},
            signed=True,
        )

    def user_trades(self, symbol: str, *, order_id: int | None = None, limit: int = 100) -> list:
        return self.request(
            "GET",
            "/fapi/v1/userTrades",
            {"symbol": symbol, "orderId": order_id, "limit": limit},
            signed=True,
        )

    def all_orders(self, symbol: str, *, limit: int = 100) -> list[dict]:
        return self.request(
            "GET", "/fapi/v1/allOrders", {"symbol": symbol, "limit": limit}, signed=True
        )

    # ------------------------------------------------------------------ 6. place
    def place_order(
        self,
        *,
        symbol: str,
        side: str,
        type: str,
        quantity: Decimal | str | None = None,
        price: Decimal | str | None = None,
        stop_price: Decimal | str | None = None,
        time_in_force: str | None = None,
        reduce_only: bool | None = None,
        client_order_id: str | None = None,
        resp_type: str = "RESULT",
    ) -> dict:
        """Place an order; conditional types go to the algo service.

        Never re-sends blindly: when the answer is lost (timeout, 5xx, -1000, -1007) the
        order is looked up by its client id first, and only an order the exchange provably
        does not have is sent again (once, with the same client id). A duplicate client id
        (-4116) means the order exists: it is fetched and returned.
        """
        cid = client_order_id or new_client_order_id()
        is_algo = type in ALGO_ORDER_TYPES
        if is_algo:
            path = "/fapi/v1/algoOrder"
            params: dict[str, Any] = {
                "algoType": "CONDITIONAL",
                "symbol": symbol,
                "side": side,
                "type": type,
                "quantity": quantity,
                "triggerPrice": stop_price,
                "price": price if type in ("STOP", "TAKE_PROFIT") else None,
                "timeInForce": time_in_force if type in ("STOP", "TAKE_PROFIT") else None,
                "reduceOnly": True if reduce_only else None,
                "clientAlgoId": cid,
            }
        else:
            path = "/fapi/v1/order"
            params = {
                "symbol": symbol,
                "side": side,
                "type": type,
                "quantity": quantity,
                "price": price if type == "LIMIT" else None,
                "timeInForce": (time_in_force or "GTC") if type == "LIMIT" else None,
                "reduceOnly": True if reduce_only else None,
                "newClientOrderId": cid,
                "newOrderRespType": resp_type,
            }
        for attempt in (1, 2):
            try:
                return self.request("POST", path, params, signed=True)
            except UnknownExecutionStatus as exc:
                logger.warning(
                    "order %s: execution status unknown (%s); looking it up", cid, exc.binance_code
                )
                found = self._lookup_after_unknown(symbol, cid, is_algo=is_algo, cause=exc)
                if found is not None:
                    return found
                if attempt == 2:
                    raise
                logger.warning("order %s: the exchange does not have it; sending it once more", cid)
            except ExchangeRejected as exc:
                if exc.binance_code == DUPLICATE_CLIENT_ORDER_ID:
                    return self._fetch(symbol, cid, is_algo=is_algo)
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _fetch(self, symbol: str, cid: str, *, is_algo: bool) -> dict:
        if is_algo:
            return self.query_algo_order(client_algo_id=cid)
        return self.query_order(symbol, client_order_id=cid)

    def _lookup_after_unknown(
        self, symbol: str, cid: str, *, is_algo: bool, cause: UnknownExecutionStatus
    ) -> dict | None:
        """The order if the exchange has it, None if it provably does not; raise if unsure."""
        last: Exception = cause
        for delay in self.lookup_delays:
            try:
                return self._fetch(symbol, cid, is_algo=is_algo)
            except NoSuchOrder:
                return None
            except (UnknownExecutionStatus, ExchangeRejected) as exc:
                last = exc
                time.sleep(delay)
            except Exception as exc:  # rate limit, network: still unknown
                last = exc
                time.sleep(delay)
        raise UnknownExecutionStatus(
            -1007,
            f"Order {cid}: execution status unknown and the exchange could not be asked "
            f"({type(last).__name__}); reconciliation will settle it.",
            cause.http_status,
            clientOrderId=cid,
        )

    # ------------------------------------------------------------------ 7-8. cancel
    def cancel_order(
        self,
        symbol: str,
        *,
        order_id: int | None = None,
        client_order_id: str | None = None,
        is_algo: bool = False,
    ) -> dict:
        if is_algo:
            return self.request(
                "DELETE",
                "/fapi/v1/algoOrder",
                {"algoId": order_id, "clientAlgoId": client_order_id if not order_id else None},
                signed=True,
            )
        return self.request(
            "DELETE",
            "/fapi/v1/order",
            {"symbol": symbol, "orderId": order_id, "origClientOrderId": client_order_id},
            signed=True,
        )

    def cancel_all(self, symbol: str) -> dict:
        """Cancel every open order of symbol, the algo (conditional) ones included."""
        plain = self.request("DELETE", "/fapi/v1/allOpenOrders", {"symbol": symbol}, signed=True)
        algo = self.request("DELETE", "/fapi/v1/algoOpenOrders", {"symbol": symbol}, signed=True)
        return {"orders": plain, "algoOrders": algo}

    # ------------------------------------------------------------------ 9-10. settings
    def change_leverage(self, symbol: str, leverage: int) -> dict:
        return self.request(
            "POST", "/fapi/v1/leverage", {"symbol": symbol, "leverage": int(leverage)}, signed=True
        )

    def change_margin_type(self, symbol: str, margin_type: str) -> dict:
        """Set ISOLATED or CROSSED; "no need to change" (-4046) is success."""
        try:
            return self.request(
                "POST",
                "/fapi/v1/marginType",
                {"symbol": symbol, "marginType": margin_type},
                signed=True,
            )
        except ExchangeRejected as exc:
            if exc.binance_code in ALREADY_DONE_CODES:
                return {"code": 200, "msg": "unchanged", "unchanged": True}
            raise

    def change_position_mode(self, dual: bool) -> dict:
        """Set one-way (False) or hedge (True) mode; "no need to change" (-4059) is success."""
        try:
            return self.request(
                "POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": dual}, signed=True
            )
        except ExchangeRejected as exc:
            if exc.binance_code in ALREADY_DONE_CODES:
                return {"code": 200, "msg": "unchanged", "unchanged": True}
            raise

    # ------------------------------------------------------------------ 11. exchange info
    def exchange_info(self, *, refresh: bool = False) -> dict:
        """Exchange info, cached for exchange_info_ttl seconds (refetched after that)."""
        with self._info_lock:
            stale = time.monotonic() - self._info_at > self.exchange_info_ttl
            if self._info is None or stale or refresh:
                info = self.request("GET", "/fapi/v1/exchangeInfo")
                self._info = info
                self._filters = parse_exchange_info(info)
                self._info_at = time.monotonic()
            return self._info

    def symbol_filters(self, symbol: str) -> SymbolFilters | None:
        self.exchange_info()
        return self._filters.get(symbol)

    def mark_price(self, symbol: str, *, max_age: float = 0.0) -> Decimal:
        """The mark price (premiumIndex); a price remembered within max_age seconds is reused."""
        if max_age > 0:
            seen = self._marks.get(symbol)
            if seen is not None and time.monotonic() - seen[1] <= max_age:
                return seen[0]
        body = self.request("GET", "/fapi/v1/premiumIndex", {"symbol": symbol})
        mark = Decimal(str(body["markPrice"]))
        self.remember_mark(symbol, mark)
        return mark

    def remember_mark(self, symbol: str, mark: Decimal) -> None:
        """Keep a mark price seen elsewhere (the markPrice stream) for mark_price(max_age=...)."""
        self._marks[symbol] = (Decimal(mark), time.monotonic())


# ---------------------------------------------------------------------------------- factory

_CLIENTS: dict[tuple, BinanceFutures] = {}
_CLIENTS_LOCK = threading.Lock()


def client_from_settings() -> BinanceFutures:
    """The connector for the configured exchange (settings read now, one pooled client each)."""
    from django.conf import settings

    base = settings.BINANCE_FUTURES_BASE_URL
    key = settings.BINANCE_API_KEY
    secret = settings.BINANCE_API_SECRET
    recv = int(getattr(settings, "BINANCE_RECV_WINDOW", 5000))
    timeout = float(getattr(settings, "BINANCE_HTTP_TIMEOUT", 10))
    # The cache key holds a digest of the secret, never the secret itself.
    digest = hashlib.sha256(f"{key}:{secret}".encode()).hexdigest()
    cache_key = (base, digest, recv, timeout)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(cache_key)
        if client is None:
            client = BinanceFutures(base, key, secret, recv_window=recv, timeout=timeout)
            _CLIENTS[cache_key] = client
        return client
