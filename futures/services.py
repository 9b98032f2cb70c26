"""The one place orders, fills and positions are created or changed."""

from __future__ import annotations

import importlib.util
import logging
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import record
from futures import metrics
from futures.models import (
    ZERO,
    AccountSnapshot,
    Fill,
    Order,
    OrderStatus,
    PositionSnapshot,
)
from futures.signals import account_changed, order_changed, position_changed
from spark_site.exchange_env import environment_of

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------------------------ helpers


def current_environment() -> str:
    """The environment orders go to, derived from the configured base URL (read lazily)."""
    return environment_of(settings.BINANCE_FUTURES_BASE_URL)


def dec(value: Any) -> Decimal | None:
    """Decimal of an exchange field ("0.001", 5, None, "") or None."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _ms_to_dt(ms: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)
    except (TypeError, ValueError):
        return timezone.now()


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _emit_order_changed(order: Order) -> None:
    transaction.on_commit(lambda: order_changed.send(sender=Order, order=order))


# ------------------------------------------------------------------ exchange -> database sync


def _normalise_order(payload: dict) -> dict:
    """One shape for a REST order object and an ORDER_TRADE_UPDATE `o` dict."""
    if "X" in payload and "c" in payload:  # user-stream event
        return {
            "client_order_id": payload.get("c") or "",
            "exchange_order_id": payload.get("i"),
            "symbol": payload.get("s") or "",
            "side": payload.get("S") or "",
            "type": payload.get("ot") or payload.get("o") or "",
            "time_in_force": payload.get("f") or "",
            "quantity": dec(payload.get("q")),
            "price": dec(payload.get("p")),
            "stop_price": dec(payload.get("sp")),
            "reduce_only": _bool(payload.get("R")),
            "status": payload.get("X") or "",
            "filled_qty": dec(payload.get("z")),
            "avg_price": dec(payload.get("ap")),
            "trade": (
                {
                    "trade_id": int(payload["t"]),
                    "price": dec(payload.get("L")) or ZERO,
                    "qty": dec(payload.get("l")) or ZERO,
                    "commission": dec(payload.get("n")) or ZERO,
                    "commission_asset": payload.get("N") or "",
                    "realized_pnl": dec(payload.get("rp")) or ZERO,
                    "is_maker": _bool(payload.get("m")),
                    "traded_at": _ms_to_dt(payload.get("T")),
                }
                if payload.get("x") == "TRADE" and payload.get("t") not in (None, 0, "0")
                else None
            ),
        }
    return {
        "client_order_id": payload.get("clientOrderId") or "",
        "exchange_order_id": payload.get("orderId"),
        "symbol": payload.get("symbol") or "",
        "side": payload.get("side") or "",
        "type": payload.get("origType") or payload.get("type") or "",
        "time_in_force": payload.get("timeInForce") or "",
        "quantity": dec(payload.get("origQty")),
        "price": dec(payload.get("price")),
        "stop_price": dec(payload.get("stopPrice")),
        "reduce_only": _bool(payload.get("reduceOnly")),
        "status": payload.get("status") or "",
        "filled_qty": dec(payload.get("executedQty")),
        "avg_price": dec(payload.get("avgPrice")),
        "trade": None,
    }


def _tif(value: str) -> str:
    return value if value in ("GTC", "IOC", "FOK", "GTX") else ""


def order_sync_from_exchange(payload: dict, *, source: str) -> Order | None:
    """Apply what the exchange says about an order (REST object or ORDER_TRADE_UPDATE `o`).

    Creates the order if Spark has never seen it (placed elsewhere, liquidation), moves its
    status through the transition table (a late event never moves FILLED back to NEW), and
    records the fill of a TRADE event once per trade id. Returns None for an unusable payload.
    """
    data = _normalise_order(payload)
    cid = data["client_order_id"]
    if not cid or not data["symbol"]:
        logger.warning("order sync from %s ignored a payload without id or symbol", source)
        return None
    fill_created: Fill | None = None
    with transaction.atomic():
        order = _locked_order(data, source)
        changed = order._state.adding  # noqa: SLF001 - created just now
        if order.exchange_order_id is None and data["exchange_order_id"] not in (None, ""):
            order.exchange_order_id = int(data["exchange_order_id"])
            changed = True
        # Quantities only grow: an older event arriving late must not undo a newer one.
        if data["filled_qty"] is not None and data["filled_qty"] > order.filled_qty:
            order.filled_qty = data["filled_qty"]
            changed = True
        if (
            data["avg_price"]
            and (order.avg_price or ZERO) != data["avg_price"]
            and (data["filled_qty"] is None or data["filled_qty"] >= order.filled_qty)
        ):
            order.avg_price = data["avg_price"]
            changed = True
        status = data["status"]
        if status in OrderStatus.values and order.apply_status(status):
            changed = True
        elif status and status not in OrderStatus.values:
            logger.info("order %s: exchange status %s not modelled", cid, status)
        if source.startswith("rest") or source == "reconcile":
            order.raw_response = payload
        if data["trade"] is not None:
            fill_created = _record_fill(order, data["trade"])
            changed = changed or fill_created is not None
        if changed:
            order.save()
            _emit_order_changed(order)
        if fill_created is not None and fill_created.realized_pnl != ZERO:
            _record_realized_pnl(order, fill_created)
    return order


def _locked_order(data: dict, source: str) -> Order:
    cid = data["client_order_id"]
    order = Order.objects.select_for_update().filter(client_order_id=cid).first()
    if order is not None:
        return order
    order = Order(
        client_order_id=cid,
        exchange_order_id=data["exchange_order_id"] or None,
        environment=current_environment(),
        symbol=data["symbol"],
        side=data["side"],
        type=data["type"] if data["type"] in ("LIMIT", "MARKET") else data["type"][:20],
        time_in_force=_tif(data["time_in_force"]),
        quantity=data["quantity"] or ZERO,
        price=data["price"] or None,
        stop_price=data["stop_price"] or None,
        reduce_only=data["reduce_only"],
        dry_run=False,
        status=OrderStatus.NEW,
        source=f"external:{source}"[:32],
    )
    try:
        with transaction.atomic():
            order.save(force_insert=True)
    except IntegrityError:
        # Another worker (stream vs reconcile) created it between our read and insert.
        return Order.objects.select_for_update().get(client_order_id=cid)
    order._state.adding = True  # noqa: SLF001 - tell the caller it is new
    return order


def _record_fill(order: Order, trade: dict) -> Fill | None:
    """Insert the fill once; a replayed trade id returns None and changes nothing."""
    if Fill.objects.filter(order=order, trade_id=trade["trade_id"]).exists():
        return None
    try:
        with transaction.atomic():
            return Fill.objects.create(order=order, **trade)
    except IntegrityError:
        return None


def _pnl_recorder():
    """risk.services.pnl_record, or None while the risk app does not provide it yet."""
    if importlib.util.find_spec("risk.services") is None:
        return None
    from risk import services as risk_services

    return getattr(risk_services, "pnl_record", None)


def _record_realized_pnl(order: Order, fill: Fill) -> None:
    pnl_record = _pnl_recorder()
    if pnl_record is None:
        logger.warning(
            "realized PnL of %s:%s not recorded: no risk ledger", order.symbol, fill.trade_id
        )
        return
    pnl_record(
        source="fill",
        source_ref=f"{order.symbol}:{fill.trade_id}",
        symbol=order.symbol,
        amount=fill.realized_pnl,
        actor="system",
    )


def trades_sync(order: Order, trades: list[dict], *, source: str) -> int:
    """Record REST userTrades rows of one order; return how many fills were new."""
    new = 0
    with transaction.atomic():
        for t in trades:
            if t.get("orderId") != order.exchange_order_id:
                continue
            fill = _record_fill(
                order,
                {
                    "trade_id": int(t["id"]),
                    "price": dec(t.get("price")) or ZERO,
                    "qty": dec(t.get("qty")) or ZERO,
                    "commission": dec(t.get("commission")) or ZERO,
                    "commission_asset": t.get("commissionAsset") or "",
                    "realized_pnl": dec(t.get("realizedPnl")) or ZERO,
                    "is_maker": _bool(t.get("maker")),
                    "traded_at": _ms_to_dt(t.get("time")),
                },
            )
            if fill is not None:
                new += 1
                if fill.realized_pnl != ZERO:
                    _record_realized_pnl(order, fill)
        if new:
            _emit_order_changed(order)
    return new


def position_sync(positions: list[dict], *, source: str) -> list[PositionSnapshot]:
    """Upsert the current position rows from REST positionRisk or ACCOUNT_UPDATE `P` entries."""
    env = current_environment()
    rows: list[PositionSnapshot] = []
    with transaction.atomic():
        for p in positions:
            if p.get("positionSide", p.get("ps", "BOTH")) not in ("BOTH", None):
                continue  # hedge mode is not used by Spark
            symbol = p.get("symbol") or p.get("s")
            if not symbol:
                continue
            values: dict[str, Any] = {"source": source[:32]}
            for field, keys in (
                ("position_amt", ("positionAmt", "pa")),
                ("entry_price", ("entryPrice", "ep")),
                ("mark_price", ("markPrice", "mp")),
                ("unrealized_pnl", ("unRealizedProfit", "unrealizedProfit", "up")),
                ("liquidation_price", ("liquidationPrice",)),
            ):
                for key in keys:
                    if key in p and dec(p[key]) is not None:
                        values[field] = dec(p[key])
                        break
            margin_type = p.get("marginType") or p.get("mt")
            if margin_type:
                values["margin_type"] = str(margin_type).lower()
            if p.get("leverage") not in (None, ""):
                values["leverage"] = int(p["leverage"])
            row, _ = PositionSnapshot.objects.update_or_create(
                environment=env, symbol=symbol, defaults=values
            )
            rows.append(row)
        _update_position_metrics(env)
        if rows:
            transaction.on_commit(
                lambda: position_changed.send(
                    sender=PositionSnapshot, positions=rows, environment=env
                )
            )
    return rows


def _update_position_metrics(env: str) -> None:
    open_rows = PositionSnapshot.objects.filter(environment=env).exclude(position_amt=0)
    metrics.POSITION_COUNT.set(open_rows.count())
    metrics.PNL_UNREALIZED_USD.set(float(sum((r.unrealized_pnl for r in open_rows), ZERO)))


def account_sync(account: dict, *, source: str) -> AccountSnapshot:
    """Store the account totals of a REST account answer and export the account gauges."""
    env = current_environment()
    margin_balance = dec(account.get("totalMarginBalance")) or ZERO
    maint = dec(account.get("totalMaintMargin")) or ZERO
    ratio = (maint / margin_balance) if margin_balance > 0 else ZERO
    values = {
        "wallet_balance": dec(account.get("totalWalletBalance")) or ZERO,
        "available_balance": dec(account.get("availableBalance")) or ZERO,
        "margin_balance": margin_balance,
        "unrealized_pnl": dec(account.get("totalUnrealizedProfit")) or ZERO,
        "maint_margin": maint,
        "margin_ratio": ratio.quantize(Decimal("0.0000000001")),
        "raw": {k: v for k, v in account.items() if k not in ("positions",)},
    }
    snap, _ = AccountSnapshot.objects.update_or_create(environment=env, defaults=values)
    metrics.ACCOUNT_BALANCE_USD.set(float(values["wallet_balance"]))
    metrics.MARGIN_RATIO.set(float(ratio))
    transaction.on_commit(lambda: account_changed.send(sender=AccountSnapshot, account=snap))
    record_source = source  # kept for symmetry with the other sync functions
    logger.debug("account synced from %s", record_source)
    return snap


__all__ = [
    "account_sync",
    "current_environment",
    "order_sync_from_exchange",
    "position_sync",
    "record",
    "trades_sync",
]
