"""What stream events mean: market data folded into per-symbol views, user events to services.

The market side is pure (no I/O) so the ingest path stays fast; the user side is synchronous
Django code the stream runs through `sync_to_async` (the order service owns persistence).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------------------ market views


class MarketState:
    """The latest ticker and depth view of every streamed symbol."""

    def __init__(self) -> None:
        self.tickers: dict[str, dict[str, Any]] = {}
        self.depths: dict[str, dict[str, Any]] = {}

    def _ticker(self, symbol: str) -> dict[str, Any]:
        t = self.tickers.get(symbol)
        if t is None:
            t = self.tickers[symbol] = {"symbol": symbol, "last": None, "mark": None}
        return t

    def apply(self, kind: str, data: dict) -> tuple[str, dict] | None:
        """Fold one market payload in; return (topic, view) to publish, or None."""
        symbol = data.get("s")
        if not symbol:
            return None
        if kind == "aggTrade":
            t = self._ticker(symbol)
            t["last"] = data.get("p")
            t["last_qty"] = data.get("q")
            t["E"] = data.get("E")
            t["trade_time"] = data.get("T")
            return "ticker:" + symbol, t
        if kind == "ticker":
            t = self._ticker(symbol)
            if t.get("last") is None:
                t["last"] = data.get("c")
            t["change"] = data.get("p")
            t["change_pct"] = data.get("P")
            t["open"] = data.get("o")
            t["high"] = data.get("h")
            t["low"] = data.get("l")
            t["volume"] = data.get("v")
            t["quote_volume"] = data.get("q")
            t["E"] = max(t.get("E") or 0, data.get("E") or 0)
            return "ticker:" + symbol, t
        if kind == "markPrice":
            t = self._ticker(symbol)
            t["mark"] = data.get("p")
            t["index"] = data.get("i")
            t["funding_rate"] = data.get("r")
            t["next_funding_time"] = data.get("T")
            t["E"] = max(t.get("E") or 0, data.get("E") or 0)
            return "ticker:" + symbol, t
        if kind == "depth":
            d = {"symbol": symbol, "bids": data.get("b"), "asks": data.get("a")}
            d["E"] = data.get("E")
            d["u"] = data.get("u")
            self.depths[symbol] = d
            return "depth:" + symbol, d
        return None

    def views(self) -> dict[str, dict]:
        out = {f"ticker:{s}": dict(v) for s, v in self.tickers.items()}
        out.update({f"depth:{s}": dict(v) for s, v in self.depths.items()})
        return out


# ------------------------------------------------------------------------------ user events


def _ws_position(p: dict) -> dict:
    """An ACCOUNT_UPDATE `P` entry in the REST positionRisk shape position_sync reads."""
    out = {
        "symbol": p.get("s"),
        "positionAmt": p.get("pa"),
        "entryPrice": p.get("ep"),
        "unRealizedProfit": p.get("up"),
        "positionSide": p.get("ps", "BOTH"),
    }
    if p.get("mt"):
        out["marginType"] = p["mt"]
    return {k: v for k, v in out.items() if v is not None}


def handle_user_event(event: dict) -> None:
    """Apply one user data event: orders and fills, positions, balances."""
    from futures import services

    etype = event.get("e")
    if etype == "ORDER_TRADE_UPDATE":
        services.order_sync_from_exchange(event.get("o") or {}, source="ws")
    elif etype == "ACCOUNT_UPDATE":
        a = event.get("a") or {}
        positions = [_ws_position(p) for p in a.get("P") or []]
        if positions:
            services.position_sync(positions, source="ws")
        balances = {b.get("a"): b for b in a.get("B") or []}
        if "USDT" in balances:
            _wallet_update(balances["USDT"])
        if a.get("m") == "FUNDING_FEE":
            from futures.income import on_funding_update

            on_funding_update(event)  # the fee into the ledger (and the loss rule)
    elif etype in ("ALGO_UPDATE", "ACCOUNT_CONFIG_UPDATE", "TRADE_LITE", "MARGIN_CALL"):
        logger.debug("user event %s not applied (REST reconciliation covers it)", etype)


def _wallet_update(balance: dict) -> None:
    """Store the wallet balance of an ACCOUNT_UPDATE (the other totals come from REST)."""
    from futures import metrics
    from futures.models import AccountSnapshot
    from futures.services import current_environment, dec
    from futures.signals import account_changed

    wallet = dec(balance.get("wb"))
    if wallet is None:
        return
    with transaction.atomic():
        snap, _ = AccountSnapshot.objects.update_or_create(
            environment=current_environment(), defaults={"wallet_balance": wallet}
        )
    metrics.ACCOUNT_BALANCE_USD.set(float(wallet))
    account_changed.send(sender=AccountSnapshot, account=snap)


def rest_client():
    """The order engineer's REST client when present, else a plain signed BinanceHttp."""
    try:
        from futures.binance.rest import client_from_settings
    except ImportError:
        from futures.binance.http import BinanceHttp

        return BinanceHttp(
            settings.BINANCE_FUTURES_BASE_URL,
            settings.BINANCE_API_KEY,
            settings.BINANCE_API_SECRET,
            recv_window=settings.BINANCE_RECV_WINDOW,
            timeout=settings.BINANCE_HTTP_TIMEOUT,
        )
    return client_from_settings()


def reconcile_after_connect() -> dict:
    """Catch up on what the user stream may have missed: orders, ledger, positions, account."""
    from futures import position_mode, services

    done: dict[str, Any] = {}
    try:
        # The mode first: a switch to hedge mode while disconnected must stop orders now.
        done["positionMode"] = position_mode.position_mode_refresh(source="reconnect").as_dict()[
            "mode"
        ]
    except Exception:
        position_mode.position_mode_forget()  # the next order reads it
        logger.exception("reading the position mode after the user stream connected failed")
    try:
        from futures.reconcile import reconcile_orders
    except ImportError:
        reconcile_orders = None
    if reconcile_orders is not None:
        done["orders"] = _summary(reconcile_orders(actor="system"))
    else:
        done["orders"] = _reconcile_orders_fallback()
    try:
        # Fills, commissions, funding and transfers of the gap (events are not replayed).
        from futures.income import income_sync

        done["income"] = {k: v for k, v in income_sync().items() if k in ("rows", "booked")}
    except Exception:
        logger.exception("the income sync after the user stream connected failed")
    client = rest_client()
    try:
        requested_at = timezone.now()  # the gate counts fills seen after this read's request
        positions = client.request("GET", "/fapi/v3/positionRisk", signed=True) or []
        services.position_sync(positions, source="reconcile", requested_at=requested_at)
        done["positions"] = len(positions)
        account = client.request("GET", "/fapi/v3/account", signed=True)
        if isinstance(account, dict):
            services.account_sync(account, source="reconcile")
            done["account"] = True
    finally:
        _close(client)
    return done


def _close(client) -> None:
    """Close the client's HTTP pool (a stopped stream must leave no socket behind)."""
    session = getattr(client, "session", None)
    if session is not None:
        session.close()


def _reconcile_orders_fallback() -> int:
    """Until futures.reconcile lands: ask the exchange about every order Spark thinks open."""
    from futures import services
    from futures.models import OPEN_STATUSES, Order

    client = rest_client()
    seen = 0
    for row in client.request("GET", "/fapi/v1/openOrders", signed=True) or []:
        services.order_sync_from_exchange(row, source="reconcile")
        seen += 1
    local = Order.objects.filter(
        status__in=OPEN_STATUSES, dry_run=False, environment=services.current_environment()
    ).exclude(exchange_order_id=None)
    for order in local:
        row = client.request(
            "GET",
            "/fapi/v1/order",
            {"symbol": order.symbol, "origClientOrderId": order.client_order_id},
            signed=True,
        )
        services.order_sync_from_exchange(row, source="reconcile")
        trades = client.request(
            "GET",
            "/fapi/v1/userTrades",
            {"symbol": order.symbol, "orderId": order.exchange_order_id},
            signed=True,
        )
        services.trades_sync(order, trades or [], source="reconcile")
        seen += 1
    _close(client)
    return seen


def _summary(result: Any) -> Any:
    if isinstance(result, dict | list | int | str) or result is None:
        return result
    return str(result)
