"""What stream events mean: market data folded into per-symbol views, user events to sync.

The market side is pure (no I/O) so the ingest path stays fast; the user side is synchronous
Django code the stream runs through `sync_to_async` (futures/sync.py owns persistence).
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from futures import income, position_mode, reconcile, sync
from futures.binance.reports import event_position
from futures.binance.rest import client_from_settings

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


def handle_user_event(event: dict) -> None:
    """Apply one user data event: orders and fills, positions, balances."""
    etype = event.get("e")
    if etype == "ORDER_TRADE_UPDATE":
        sync.order_sync_from_exchange(event.get("o") or {}, source="ws")
    elif etype == "ACCOUNT_UPDATE":
        a = event.get("a") or {}
        positions = [event_position(p) for p in a.get("P") or []]
        if positions:
            sync.position_sync(positions, source="ws")
        balances = {b.get("a"): b for b in a.get("B") or []}
        if "USDT" in balances:
            sync.wallet_sync(balances["USDT"])
        if a.get("m") == "FUNDING_FEE":
            income.on_funding_update(event)  # the fee into the ledger (and the loss rule)
    elif etype in ("ALGO_UPDATE", "ACCOUNT_CONFIG_UPDATE", "TRADE_LITE", "MARGIN_CALL"):
        logger.debug("user event %s not applied (REST reconciliation covers it)", etype)


def reconcile_after_connect() -> dict:
    """Catch up on what the user stream may have missed: orders, ledger, positions, account.

    It uses the shared pooled client and leaves its session open: closing it would drop the
    order path's warm connections.
    """
    done: dict[str, Any] = {}
    try:
        # The mode first: a switch to hedge mode while disconnected must stop orders now.
        done["positionMode"] = position_mode.position_mode_refresh(source="reconnect").as_dict()[
            "mode"
        ]
    except Exception:
        position_mode.position_mode_forget()  # the next order reads it
        logger.exception("reading the position mode after the user stream connected failed")
    done["orders"] = _summary(reconcile.reconcile_orders(actor="system"))
    try:
        # Fills, commissions, funding and transfers of the gap (events are not replayed).
        synced = income.income_sync()
        done["income"] = {"rows": synced.rows, "booked": synced.booked}
    except Exception:
        logger.exception("the income sync after the user stream connected failed")
    client = client_from_settings()
    requested_at = timezone.now()  # the gate counts fills seen after this read's request
    positions = client.positions() or []
    sync.position_sync(positions, source="reconcile", requested_at=requested_at)
    done["positions"] = len(positions)
    account = client.account()
    if isinstance(account, dict):
        sync.account_sync(account, source="reconcile")
        done["account"] = True
    return done


def _summary(result: Any) -> Any:
    if isinstance(result, dict | list | int | str) or result is None:
        return result
    return str(result)
