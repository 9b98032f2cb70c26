"""The one place orders, fills and positions are created or changed."""

from __future__ import annotations

import copy
import dataclasses
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.permissions import may_act_on, owner_name, require, require_owner
from audit.models import AuditEntry
from audit.services import record
from futures import ledger, metrics, position_mode, selectors, sizing
from futures.binance.errors import (
    BinanceError,
    ExchangeFilterError,
    ExchangeUnavailable,
    NoSuchOrder,
)
from futures.binance.filters import check_order
from futures.binance.rest import client_from_settings, new_client_order_id
from futures.models import (
    ALGO_TYPES,
    CLOSE_POSITION_TYPES,
    ZERO,
    AccountSnapshot,
    Fill,
    Order,
    OrderStatus,
    OrderType,
    PositionSnapshot,
    Side,
)
from futures.signals import account_changed, order_changed, position_changed
from risk import gate
from risk.errors import RiskRejected
from spark_site.errors import DomainError, NotFound, ValidationFailed
from spark_site.exchange_env import environment_of

logger = logging.getLogger(__name__)
# Refusals that carry values: templates, so each language writes its own sentence with them.
NO_ORDER_OF = gettext_noop("No order %(ref)s of %(symbol)s.")
NO_ORDER = gettext_noop("No order %(ref)s.")
NOT_LISTED = gettext_noop("%(symbol)s is not a symbol of the exchange.")
NO_ORDER_HERE = gettext_noop("No order %(ref)s here (give symbol to ask the exchange).")


class Conflict(DomainError):
    status = 409
    code = "CONFLICT"


class ClientOrderIdMismatch(Conflict):
    """A clientOrderId reused for a different order: answering with the first one as if it
    were this one would tell the caller an order was placed that never was."""

    code = "CLIENT_ORDER_ID_MISMATCH"


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
        created = order._state.adding  # noqa: SLF001 - created just now
        fields = _apply_exchange_fields(order, data)  # what this payload changed
        if data["trade"] is not None:
            fill_created = _record_fill(order, data["trade"])
        if created or fields or fill_created is not None:
            if source.startswith("rest") or source == "reconcile":
                order.raw_response = payload
                fields.append("raw_response")
            order.save(update_fields=None if created else [*fields, "updated_at"])
            _emit_order_changed(order)
        if fill_created is not None:
            # Realized PnL and commission into the ledger (idempotent by reference: a fill seen
            # by the stream and again by reconciliation or the income sync books once).
            ledger.book_fill(order, fill_created)
    return order


def _apply_exchange_fields(order: Order, data: dict) -> list[str]:
    """Move order towards what the exchange says; return the names of the fields it changed.

    Quantities only grow and the status follows the transition table, so an older event
    arriving late never undoes a newer one.
    """
    fields: list[str] = []
    if order.exchange_order_id is None and data["exchange_order_id"] not in (None, ""):
        order.exchange_order_id = int(data["exchange_order_id"])
        fields.append("exchange_order_id")
    if data["filled_qty"] is not None and data["filled_qty"] > order.filled_qty:
        order.filled_qty = data["filled_qty"]
        # The gate counts this fill on top of any position read requested from now on.
        order.filled_seen_at = timezone.now()
        fields += ["filled_qty", "filled_seen_at"]
    if (
        data["avg_price"]
        and (order.avg_price or ZERO) != data["avg_price"]
        and (data["filled_qty"] is None or data["filled_qty"] >= order.filled_qty)
    ):
        order.avg_price = data["avg_price"]
        fields.append("avg_price")
    status = data["status"]
    if status in OrderStatus.values and order.apply_status(status):
        fields.append("status")
    elif status and status not in OrderStatus.values:
        logger.info("order %s: exchange status %s not modelled", order.client_order_id, status)
    return fields


def _settle_placed(order: Order, payload: dict) -> bool:
    """Apply the exchange's answer to the order this request has just created, in one UPDATE.

    It applies only while the row is still as the request created it (PENDING_SUBMIT, no
    exchange id): a compare-and-set, so no lock and no re-read. False when the user stream or
    reconciliation got there first; the caller then takes order_sync_from_exchange's locked
    path, which merges the answer with what they wrote.
    """
    data = _normalise_order(payload)
    if (
        data["client_order_id"] != order.client_order_id
        or data["exchange_order_id"] in (None, "")
        or data["trade"] is not None
        or order.status != OrderStatus.PENDING_SUBMIT
        or order.exchange_order_id is not None
    ):
        return False
    settled = copy.copy(order)
    fields = _apply_exchange_fields(settled, data)
    settled.raw_response = payload
    settled.updated_at = timezone.now()
    changes = {name: getattr(settled, name) for name in (*fields, "raw_response", "updated_at")}
    as_created = Order.objects.filter(
        pk=order.pk, status=OrderStatus.PENDING_SUBMIT, exchange_order_id=None
    )
    if not as_created.update(**changes):
        return False
    for name, value in changes.items():
        setattr(order, name, value)
    _emit_order_changed(order)
    return True


def _locked_order(data: dict, source: str) -> Order:
    cid = data["client_order_id"]
    order = selectors.one(Order.objects.select_for_update().filter(client_order_id=cid))
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


def trades_sync(order: Order, trades: list[dict], *, source: str) -> int:
    """Record REST userTrades rows of one order; return how many fills were new."""
    new = 0
    with transaction.atomic():
        # Lock the order row first, as order_sync_from_exchange does: the fill's ledger entries
        # then take the limits lock, and a stream thread holding the order while this one held
        # the limits (the other order) deadlocked on PostgreSQL.
        Order.objects.select_for_update().filter(pk=order.pk).first()
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
                ledger.book_fill(order, fill)
        if new:
            _emit_order_changed(order)
    return new


def position_sync(
    positions: list[dict],
    *,
    source: str,
    requested_at: datetime | None = None,
    symbols: tuple[str, ...] = (),
) -> list[PositionSnapshot]:
    """Upsert the current position rows from REST positionRisk or ACCOUNT_UPDATE `P` entries.

    A REST read passes requested_at, the time (Spark's clock, taken before sending) of its
    request: it also becomes the risk gate's position, unless a read requested later has been
    stored already (an older answer arriving late must not hide newer fills). symbols names
    what a REST read asked for: one missing from the answer has no position (0).
    """
    env = current_environment()
    if requested_at is not None:
        answered = {p.get("symbol") for p in positions}
        positions = [
            *positions,
            *({"symbol": s, "positionAmt": "0"} for s in symbols if s not in answered),
        ]
    # LONG/SHORT rows exist only on a hedge-mode account: they are not one-way positions, and
    # dropping them would show the gate a flat account. position_mode keeps them (banner,
    # status) and marks the account hedge, which stops every order until it is one-way again.
    side_rows = [p for p in positions if _position_side(p) != "BOTH"]
    rows: list[PositionSnapshot] = []
    with transaction.atomic():
        if side_rows:
            position_mode.side_positions_seen(side_rows, source=source)
        for p in positions:
            if _position_side(p) != "BOTH":
                continue  # kept by position_mode above
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
                ("isolated_margin", ("isolatedWallet", "iw")),
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
            if requested_at is not None and "position_amt" in values:
                newer = Q(rest_requested_at__isnull=True) | Q(rest_requested_at__lt=requested_at)
                PositionSnapshot.objects.filter(pk=row.pk).filter(newer).update(
                    rest_position_amt=values["position_amt"], rest_requested_at=requested_at
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


def _position_side(p: dict) -> str:
    return p.get("positionSide") or p.get("ps") or "BOTH"


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


# ----------------------------------------------------------------------------- algo orders

# ALGO_UPDATE / algoOrder statuses -> our order statuses (TRIGGERED: the spawned order works).
_ALGO_STATUS = {
    "NEW": OrderStatus.NEW,
    "TRIGGERING": OrderStatus.NEW,
    "TRIGGERED": OrderStatus.NEW,
    "FINISHED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELED,
    "REJECTED": OrderStatus.REJECTED,
    "EXPIRED": OrderStatus.EXPIRED,
}


def algo_sync_from_exchange(payload: dict, *, source: str) -> Order | None:
    """Apply a REST algo order object or an ALGO_UPDATE `o` dict to its local order."""
    cid = payload.get("clientAlgoId") or payload.get("caid")
    algo_id = payload.get("algoId") or payload.get("aid")
    status = payload.get("algoStatus") or payload.get("X") or ""
    if not cid:
        return None
    with transaction.atomic():
        order = selectors.one(Order.objects.select_for_update().filter(client_order_id=cid))
        if order is None:
            return None
        changed = False
        if algo_id and order.algo_id != int(algo_id):
            order.algo_id = int(algo_id)
            changed = True
        if status == "FINISHED" and not dec(payload.get("actualQty") or payload.get("aq")):
            status = "CANCELED"  # finished without executing anything
        mapped = _ALGO_STATUS.get(status)
        if mapped and order.apply_status(mapped):
            changed = True
        executed = dec(payload.get("actualQty") or payload.get("aq"))
        if executed and executed > order.filled_qty:
            order.filled_qty = executed
            order.filled_seen_at = timezone.now()  # see _apply_exchange_fields
            changed = True
        if source.startswith("rest"):
            order.raw_response = payload
            changed = True
        if changed:
            order.save()
            _emit_order_changed(order)
    return order


# ------------------------------------------------------------------------------- placement


@dataclass(frozen=True)
class OrderRequest:
    """What a caller (API, copilot action, canary, strategy) asks to place."""

    symbol: str
    side: str
    type: str
    quantity: Decimal | None  # None: sized from quote_quantity or balance_percent
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: str | None = None
    reduce_only: bool = False
    client_order_id: str | None = None
    dry_run: bool = True
    source: str = "api"
    # closePosition TP/SL: quantity is the position's size now (for the gate), not sent.
    close_position: bool = False
    callback_rate: Decimal | None = None  # TRAILING_STOP_MARKET, percent 0.1-10
    activation_price: Decimal | None = None  # TRAILING_STOP_MARKET, optional
    quote_quantity: Decimal | None = None  # size as USDT notional (futures/sizing.py)
    balance_percent: Decimal | None = None  # size as % of the available balance


@dataclass
class OrderResult:
    """The order as stored, what happened to it, the risk decision and the simulated fill."""

    order: Order
    created: bool
    executed: str  # "simulated" | "exchange" | "existing"
    decision: dict
    simulated_fill: dict | None = None
    message: str = ""  # English; a catalogue template when message_params is set
    # What the symbol's grid changed ("0.0085 -> 0.008"): never silent.
    rounded: list[dict] = field(default_factory=list)
    message_params: dict = field(default_factory=dict)
    # A size given in USDT or % of the balance, and the quantity it became (futures/sizing.py).
    sized: dict | None = None

    def localized_message(self) -> str:
        """The message in the active language with its values, then what was rounded."""
        from spark_site.error_messages import render, translated_template

        text = translated_template(self.message, self.message_params)
        if text is None:  # no catalogue entry: the English sentence, never a blank
            text = render(self.message, self.message_params, "en")
        changes = []
        for row in self.rounded:
            template = ROUNDED_FIELDS.get(row["field"])
            if template is None:
                continue
            values = {"requested": Decimal(row["requested"]), "sent": Decimal(row["sent"])}
            changes.append(translated_template(template, values) or template % row)
        if changes:
            notice = translated_template(ROUNDED, {"changes": ", ".join(changes)})
            text += " " + (notice or ROUNDED % {"changes": ", ".join(changes)})
        return text


# What a placed order's answer says; the values stay apart so each language writes them its way.
DRY_RUN_FILLED = gettext_noop(
    "Dry run: validated and simulated at the mark price; nothing was sent."
)
DRY_RUN_RESTING = gettext_noop(
    "Dry run: validated; it rests on paper until the market reaches its price; nothing was sent."
)
SENT = gettext_noop("Sent to the exchange (%(environment)s): %(status)s.")
EXISTING = gettext_noop(
    "An order with this clientOrderId exists: this is the first order, unchanged."
)
ROUNDED = gettext_noop("Rounded to the symbol's step and tick: %(changes)s.")
ROUNDED_FIELDS = {
    "quantity": gettext_noop("quantity %(requested)s → %(sent)s"),
    "price": gettext_noop("price %(requested)s → %(sent)s"),
    "stopPrice": gettext_noop("trigger price %(requested)s → %(sent)s"),
    "activationPrice": gettext_noop("activation price %(requested)s → %(sent)s"),
}


def _setting(name: str, default):
    return getattr(settings, name, default)


def _reject(user, action: str, target: str, reason: str, payload: dict, exc) -> None:
    metrics.ORDER_REJECT.labels(reason=reason).inc()
    record(
        actor=user,
        action=action,
        target=target,
        payload={**payload, "error": {"code": exc.code, "message": exc.message, **exc.details}},
        outcome=AuditEntry.Outcome.REJECTED,
    )


def _validate_shape(req: OrderRequest) -> None:
    if req.side not in Side.values:
        raise ValidationFailed(
            gettext_noop("side must be BUY or SELL, got %(side)s."), params={"side": req.side}
        )
    if req.type not in OrderType.values:
        raise ValidationFailed(
            gettext_noop("type must be one of %(types)s, got %(type)s."),
            params={"types": ", ".join(OrderType.values), "type": req.type},
        )
    if req.quantity is None or req.quantity <= 0:
        raise ValidationFailed("quantity must be positive.")
    needs_price = req.type in (OrderType.LIMIT, OrderType.STOP, OrderType.TAKE_PROFIT)
    if needs_price and not req.price:
        raise ValidationFailed(
            gettext_noop("A %(type)s order needs a price."), params={"type": req.type}
        )
    if req.type == OrderType.MARKET and req.price:
        raise ValidationFailed("A MARKET order takes no price.")
    trailing = req.type == OrderType.TRAILING_STOP_MARKET
    if trailing:
        _validate_trailing(req)
    elif req.callback_rate is not None or req.activation_price is not None:
        raise ValidationFailed(
            "callbackRate and activationPrice belong to TRAILING_STOP_MARKET only.",
            details={"fields": [{"field": "callbackRate", "message": "not allowed"}]},
        )
    if req.type in ALGO_TYPES and not trailing and not req.stop_price:
        raise ValidationFailed(
            gettext_noop("A %(type)s order needs a stopPrice (its trigger price)."),
            params={"type": req.type},
        )
    if req.close_position and req.type not in CLOSE_POSITION_TYPES:
        raise ValidationFailed(
            "closePosition is for STOP_MARKET and TAKE_PROFIT_MARKET only.",
            details={"fields": [{"field": "closePosition", "message": "not allowed"}]},
        )
    if req.type in (OrderType.LIMIT, OrderType.MARKET) and req.stop_price:
        raise ValidationFailed(
            gettext_noop("A %(type)s order takes no stopPrice."), params={"type": req.type}
        )


CALLBACK_MIN, CALLBACK_MAX = Decimal("0.1"), Decimal("10")


def _validate_trailing(req: OrderRequest) -> None:
    """Binance's trailing rules: callbackRate 0.1 to 10 % in steps of 0.1, no stop price."""
    rate = req.callback_rate
    if (
        rate is None
        or not CALLBACK_MIN <= rate <= CALLBACK_MAX
        or rate != rate.quantize(Decimal("0.1"))
    ):
        raise ValidationFailed(
            "callbackRate must be 0.1 to 10 (percent) in steps of 0.1.",
            details={"fields": [{"field": "callbackRate", "message": "0.1 to 10, step 0.1"}]},
        )
    if req.stop_price or req.price:
        raise ValidationFailed(
            "A TRAILING_STOP_MARKET takes no price or stopPrice (use activationPrice).",
            details={"fields": [{"field": "stopPrice", "message": "not allowed"}]},
        )


def order_place(*, user, request: OrderRequest) -> OrderResult:
    """Place an order whose size may be given in USDT or as % of the balance (see _order_place).

    The size becomes a quantity first (futures/sizing.py); a retry of a client order id already
    stored keeps that order's quantity, so a price move between the two is no mismatch.
    """
    require(user, "futures.place_order", action="order.place", target=request.symbol.upper())
    if request.quantity is None and request.client_order_id:
        first = selectors.order_pk(request.client_order_id)
        if first is not None:
            stored = Order.objects.values_list("quantity", flat=True).get(pk=first)
            request = dataclasses.replace(
                request, quantity=stored, quote_quantity=None, balance_percent=None
            )
    try:
        request, sized = sizing.sized_request(request)
    except ValidationFailed as exc:
        payload = {
            "symbol": request.symbol.upper(),
            "side": request.side,
            "type": request.type,
            "quoteQuantity": request.quote_quantity,
            "balancePercent": request.balance_percent,
            "dryRun": request.dry_run,
            "source": request.source,
        }
        reason = exc.reason if isinstance(exc, ExchangeFilterError) else "validation"
        _reject(user, "order.place", request.symbol.upper(), reason, payload, exc)
        raise
    result = _order_place(user=user, request=request)
    result.sized = sized
    return result


def _order_place(*, user, request: OrderRequest) -> OrderResult:
    """Place an order: permission, filters, idempotency, risk gate, save, exchange, audit.

    Dry-run (the default) stops after the gate: the order is stored with a simulated fill at
    the mark price and never reaches the exchange. A live order is stored PENDING_SUBMIT in the
    gate's locked transaction (so concurrent orders see its exposure) and sent after commit.
    """
    req = request
    symbol = req.symbol.upper()
    require(user, "futures.place_order", action="order.place", target=symbol)
    started = time.perf_counter()
    dry = "true" if req.dry_run else "false"
    payload = {
        "symbol": symbol,
        "side": req.side,
        "type": req.type,
        "quantity": req.quantity,
        "price": req.price,
        "stopPrice": req.stop_price,
        "reduceOnly": req.reduce_only,
        "closePosition": req.close_position,
        "callbackRate": req.callback_rate,
        "activationPrice": req.activation_price,
        "dryRun": req.dry_run,
        "clientOrderId": req.client_order_id,
        "source": req.source,
    }
    if req.client_order_id:
        existing_pk = selectors.order_pk(req.client_order_id)
        if existing_pk is not None:
            return _existing_result(Order.objects.get(pk=existing_pk), user, req)
    try:
        _validate_shape(req)
    except ValidationFailed as exc:
        _reject(user, "order.place", symbol, "validation", payload, exc)
        raise
    env = current_environment()
    client = client_from_settings()
    try:
        # Dry runs too: a simulation against positions the one-way gate cannot see would lie.
        position_mode.require_one_way(
            user=user, action="order.place", target=symbol, payload=payload
        )
        filters = client.symbol_filters(symbol)
        if filters is None:
            raise ExchangeFilterError(
                "SYMBOL", NOT_LISTED, limit="listed", value=symbol, params={"symbol": symbol}
            )
        mark = client.mark_price(symbol, max_age=float(_setting("SPARK_MARK_PRICE_MAX_AGE", 2)))
        checked = check_order(
            filters,
            side=req.side,
            type=req.type,
            quantity=req.quantity,
            price=req.price,
            # a trailing stop's activation price is rounded to the tick like a trigger
            stop_price=req.activation_price
            if req.type == OrderType.TRAILING_STOP_MARKET
            else req.stop_price,
            mark_price=mark,
            reduce_only=req.reduce_only or req.close_position,
        )
        if req.dry_run:
            # A dry run reads the live position too; it needs a REST read to start from once.
            stale = not selectors.position_was_read(env, symbol)
        else:
            max_age = float(_setting("SPARK_POSITION_MAX_AGE", 5))
            stale = not selectors.position_is_fresh(env, symbol, max_age)
        if stale:
            # Outside the gate's lock (a network call); position_sync keeps the newest read,
            # and the gate adds every fill seen since this request was sent.
            requested_at = timezone.now()
            position_sync(
                client.positions(symbol),
                source="rest:order",
                requested_at=requested_at,
                symbols=(symbol,),
            )
    except position_mode.HedgeModeUnsupported:
        metrics.ORDER_REJECT.labels(reason="hedge_mode").inc()  # audited by require_one_way
        raise
    except ExchangeFilterError as exc:
        _reject(user, "order.place", symbol, exc.reason, payload, exc)
        raise
    except BinanceError as exc:
        _reject(user, "order.place", symbol, exc.reason, payload, exc)
        raise
    cid = req.client_order_id or new_client_order_id("dry" if req.dry_run else "spark")
    simulated: dict | None = None
    trailing = req.type == OrderType.TRAILING_STOP_MARKET
    with transaction.atomic():
        limits = gate.lock()  # first: every order and PnL booking serializes here
        # Another request with the same client id may have committed while we validated.
        existing_pk = selectors.order_pk(cid)
        existing = Order.objects.get(pk=existing_pk) if existing_pk is not None else None
        if existing is None:
            seen = selectors.exposure(env, symbol, req.side)
            reducing = req.reduce_only or req.close_position
            # Growth is judged on the never-under position; whether a reduce-only order
            # shrinks, on the likeliest one (the exchange never lets it grow a position).
            position_amt = seen.estimate if reducing else seen.position
            open_same_side_qty = seen.open_qty
            intent = gate.OrderIntent(
                symbol=symbol,
                side=req.side,
                quantity=checked.quantity,
                price=checked.price if req.type != OrderType.MARKET else None,
                mark_price=mark,
                reduce_only=reducing,
                position_amt=position_amt,
                open_same_side_qty=open_same_side_qty,
                dry_run=req.dry_run,
            )
            decision = gate.evaluate(intent, limits=limits)
            if decision.allowed:
                order = Order.objects.create(
                    client_order_id=cid,
                    environment=env,
                    symbol=symbol,
                    side=req.side,
                    type=req.type,
                    time_in_force=(req.time_in_force or "GTC") if checked.price else "",
                    quantity=checked.quantity,
                    price=checked.price,
                    stop_price=None if trailing else checked.stop_price,
                    reduce_only=req.reduce_only,
                    close_position=req.close_position,
                    callback_rate=req.callback_rate if trailing else None,
                    activation_price=checked.stop_price if trailing else None,
                    dry_run=req.dry_run,
                    is_algo=req.type in ALGO_TYPES,
                    user=user if getattr(user, "is_authenticated", False) else None,
                    source=req.source[:32],
                    risk_decision=decision.as_dict(),
                )
                if req.dry_run and _marketable(order, mark):
                    simulated = _simulate_fill(order, filters, mark)
                elif req.dry_run:
                    # A trigger order, or a limit away from the market, rests on paper until
                    # the market crosses it (futures/paper.py fills it there): filling it now
                    # would report a fill that never could have happened.
                    order.apply_status(OrderStatus.NEW, strict=True)
                    order.save(update_fields=["status", "updated_at"])
                if req.dry_run:
                    _emit_order_changed(order)
                # A live order is announced once the exchange has answered (a few ms later);
                # every outcome of _send_to_exchange saves and announces it.
    if existing is not None:
        return _existing_result(existing, user, req)
    if not decision.allowed:
        exc = RiskRejected(decision)
        for rule in decision.rules:
            metrics.ORDER_REJECT.labels(reason=f"risk_{rule['rule']}").inc()
        record(
            actor=user,
            action="order.place",
            target=symbol,
            payload={**payload, "rules": decision.rules},
            outcome=AuditEntry.Outcome.REJECTED,
        )
        raise exc
    rounded = _rounded(req, checked)
    if req.dry_run:
        result = OrderResult(
            order=order,
            created=True,
            executed="simulated",
            decision=order.risk_decision,
            simulated_fill=simulated,
            message=DRY_RUN_FILLED if simulated else DRY_RUN_RESTING,
        )
    else:
        result = _send_to_exchange(client, order, user=user, payload=payload)
    result.rounded = rounded
    metrics.ORDER_ACK.labels(symbol=symbol, dry_run=dry).inc()
    metrics.ORDER_PLACE_LATENCY_MS.labels(symbol=symbol, dry_run=dry).observe(
        (time.perf_counter() - started) * 1000
    )
    record(
        actor=user,
        action="order.place",
        target=symbol,
        payload={
            **payload,
            "clientOrderId": order.client_order_id,
            "status": order.status,
            "executed": result.executed,
            "exchangeOrderId": order.exchange_order_id or order.algo_id,
        },
    )
    return result


def _rounded(req: OrderRequest, checked) -> list[dict]:
    """The fields the symbol's step or tick changed, as asked and as sent."""
    asked_stop = (
        req.activation_price if req.type == OrderType.TRAILING_STOP_MARKET else req.stop_price
    )
    name_stop = "activationPrice" if req.type == OrderType.TRAILING_STOP_MARKET else "stopPrice"
    return [
        {"field": name, "requested": _shown(asked), "sent": _shown(sent)}
        for name, asked, sent in (
            ("quantity", req.quantity, checked.quantity),
            ("price", req.price, checked.price),
            (name_stop, asked_stop, checked.stop_price),
        )
        if asked is not None and sent is not None and asked != sent
    ]


def _shown(value: Any) -> Any:
    return format(value.normalize(), "f") if isinstance(value, Decimal) else value


def _differences(order: Order, req: OrderRequest) -> list[dict]:
    """The fields in which req asks for something else than the stored order (numbers compared
    as values, so 0.010 and 0.01 are the same quantity)."""
    asked = {
        "symbol": req.symbol.upper(),
        "side": req.side,
        "type": req.type,
        "quantity": req.quantity,
        "price": req.price or None,
        "stopPrice": req.stop_price or None,
        "reduceOnly": bool(req.reduce_only),
        "dryRun": bool(req.dry_run),
        "closePosition": bool(req.close_position),
        "callbackRate": req.callback_rate,
    }
    stored = {
        "symbol": order.symbol,
        "side": order.side,
        "type": order.type,
        "quantity": order.quantity,
        "price": order.price or None,
        "stopPrice": order.stop_price or None,
        "reduceOnly": order.reduce_only,
        "dryRun": order.dry_run,
        "closePosition": order.close_position,
        "callbackRate": order.callback_rate,
    }
    return [
        {"field": name, "existing": _shown(stored[name]), "requested": _shown(asked[name])}
        for name in asked
        if stored[name] != asked[name]
    ]


def _existing_result(order: Order, user, req: OrderRequest) -> OrderResult:
    """The first order of a repeated client order id (the idempotent answer).

    Only a true repeat gets it: the same id with other parameters (a live request reusing a
    dry run's id included) is a 409 naming each differing field, never the first order.
    """
    owner = order.user_id
    if owner is not None and getattr(user, "pk", None) != owner:
        raise Conflict(
            "This clientOrderId belongs to another user's order.",
            details={"clientOrderId": order.client_order_id},
        )
    differences = _differences(order, req)
    if differences:
        exc = ClientOrderIdMismatch(
            "This clientOrderId belongs to an order with other parameters ("
            + ", ".join(d["field"] for d in differences)
            + "); use a new clientOrderId for a new order.",
            details={"clientOrderId": order.client_order_id, "fields": differences},
        )
        audit = {"clientOrderId": order.client_order_id}
        _reject(user, "order.place", order.symbol, "client_order_id_mismatch", audit, exc)
        raise exc
    fill = order.fills.filter(simulated=True).first()
    return OrderResult(
        order=order,
        created=False,
        executed="existing",
        decision=order.risk_decision,
        simulated_fill=_fill_dict(fill) if fill else None,
        message=EXISTING,
    )


def _marketable(order: Order, mark: Decimal) -> bool:
    """A dry run that would execute now: MARKET, or a LIMIT at or through the mark."""
    if order.type == OrderType.MARKET:
        return True
    if order.type == OrderType.LIMIT:
        return order.price >= mark if order.side == "BUY" else order.price <= mark
    return False


def paper_fill_record(order: Order, price: Decimal, *, is_maker: bool, fee_rate) -> Fill:
    """Book a dry-run order's whole quantity as one simulated fill at price and mark it FILLED
    (at once from order.place, or later when a resting paper order is crossed)."""
    fee = (price * order.quantity * Decimal(str(fee_rate))).quantize(Decimal("0.00000001"))
    fill = Fill.objects.create(
        order=order,
        trade_id=1,
        price=price,
        qty=order.quantity,
        commission=fee,
        commission_asset="USDT",
        is_maker=is_maker,
        simulated=True,
        traded_at=timezone.now(),
    )
    order.apply_status(OrderStatus.FILLED, strict=True)
    order.filled_qty = order.quantity
    order.avg_price = price
    order.save(update_fields=["status", "filled_qty", "avg_price", "updated_at"])
    return fill


def _simulate_fill(order: Order, filters, mark: Decimal) -> dict:
    """Fill a dry-run order on paper: mark +/- slippage (never past a limit), fee at taker rate."""
    slip = Decimal(str(_setting("SPARK_DRY_RUN_SLIPPAGE_BPS", "2"))) / Decimal(10000)
    taker = Decimal(str(_setting("SPARK_DRY_RUN_TAKER_FEE", "0.0005")))
    maker = Decimal(str(_setting("SPARK_DRY_RUN_MAKER_FEE", "0.0002")))
    sign = 1 if order.side == "BUY" else -1
    price = mark * (1 + sign * slip)
    is_maker = False
    limit = (
        order.price
        if order.type in (OrderType.LIMIT, OrderType.STOP, OrderType.TAKE_PROFIT)
        else None
    )
    if limit is not None:
        marketable = (limit >= mark) if order.side == "BUY" else (limit <= mark)
        if marketable:
            price = min(price, limit) if order.side == "BUY" else max(price, limit)
        else:
            price, is_maker = limit, True  # a resting limit, assumed reached
    if filters.tick_size > 0:
        price = price.quantize(filters.tick_size)
    fill = paper_fill_record(order, price, is_maker=is_maker, fee_rate=maker if is_maker else taker)
    out = _fill_dict(fill)
    out["markPrice"] = format(mark, "f")
    out["slippageBps"] = format(slip * 10000, "f")
    return out


def _fill_dict(fill: Fill) -> dict:
    return {
        "tradeId": fill.trade_id,
        "price": format(fill.price.normalize(), "f"),
        "qty": format(fill.qty.normalize(), "f"),
        "notional": format((fill.price * fill.qty).quantize(Decimal("0.01")), "f"),
        "commission": format(fill.commission.normalize(), "f"),
        "commissionAsset": fill.commission_asset,
        "isMaker": fill.is_maker,
        "simulated": fill.simulated,
    }


def _set_status(order: Order, status: str, *, error: dict | None = None) -> Order:
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        changed = locked.apply_status(status)
        if error:
            locked.error = error
            changed = True
        if changed:
            locked.save()
            _emit_order_changed(locked)
    return locked


def _send_to_exchange(client, order: Order, *, user, payload: dict) -> OrderResult:
    try:
        response = client.place_order(
            symbol=order.symbol,
            side=order.side,
            type=order.type,
            quantity=order.quantity,
            price=order.price,
            stop_price=order.stop_price,
            time_in_force=order.time_in_force or None,
            reduce_only=order.reduce_only,
            client_order_id=order.client_order_id,
            close_position=order.close_position,
            callback_rate=order.callback_rate,
            activation_price=order.activation_price,
        )
    except ExchangeUnavailable as exc:
        # Unknown execution status: the order may exist. Reconciliation settles it; never
        # resend from here.
        order = _set_status(order, OrderStatus.UNKNOWN, error={"code": exc.code, **exc.details})
        _reject(user, "order.place", order.symbol, "exchange_unknown", payload, exc)
        raise
    except BinanceError as exc:
        hedge = _hedge_refusal(exc)
        if hedge is not None:
            # The account went hedge since the last reading: the exchange refused the order.
            error = {"code": hedge.code, "exchangeCode": exc.binance_code}
            order = _set_status(order, OrderStatus.REJECTED, error=error)
            _reject(user, "order.place", order.symbol, "hedge_mode", payload, hedge)
            raise hedge from exc
        order = _set_status(order, OrderStatus.REJECTED, error={"code": exc.code, **exc.details})
        _reject(user, "order.place", order.symbol, exc.reason, payload, exc)
        raise
    placed = order
    if order.is_algo:
        order = algo_sync_from_exchange(response, source="rest:place") or order
    else:
        if not _settle_placed(order, response):
            order = order_sync_from_exchange(response, source="rest:place") or order
        if order.filled_qty > 0:
            selectors.mark_position_stale(order.environment, order.symbol)
    if order is not placed and order.user_id == placed.user_id:
        order.user = placed.user  # the row was re-read under lock; its owner is the one we hold
    return OrderResult(
        order=order,
        created=True,
        executed="exchange",
        decision=order.risk_decision,
        message=SENT,
        message_params={"environment": order.environment, "status": order.status},
    )


def _hedge_refusal(exc: BinanceError) -> position_mode.HedgeModeUnsupported | None:
    """After -4061, read the mode again: the refusal to give if the account is now hedge."""
    if exc.binance_code != position_mode.POSITION_SIDE_MISMATCH:
        return None
    mode = position_mode.after_side_mismatch()
    return position_mode.unsupported_error(mode) if mode is not None and mode.dual else None


# --------------------------------------------------------------------------- cancellation


def order_cancel(
    *, user, symbol: str, client_order_id: str | None = None, order_id: int | None = None
) -> Order:
    """Cancel one live order on the exchange and record its new state."""
    symbol = symbol.upper()
    require(user, "futures.cancel_order", action="order.cancel", target=symbol)
    if not client_order_id and order_id is None:
        raise ValidationFailed("Give clientOrderId or orderId.")
    order = selectors.order_find(client_order_id=client_order_id, order_id=order_id)
    payload = {"symbol": symbol, "clientOrderId": client_order_id, "orderId": order_id}
    if order is not None and order.symbol != symbol:
        raise NotFound(NO_ORDER_OF, params={"ref": client_order_id or order_id, "symbol": symbol})
    client = client_from_settings()
    if order is None and not may_act_on(user, None):
        # Not in Spark: placed outside it, so nobody here owns it. Say 404 only when the
        # exchange has no such order either; otherwise it is an operator's to cancel.
        _require_on_exchange(client, symbol, client_order_id, order_id)
    require_owner(
        user, order.user if order else None, action="order.cancel", target=symbol, kind="order"
    )
    if order is not None and not order.can_cancel():
        exc = Conflict(
            f"Order {order.client_order_id} cannot be cancelled: it is "
            f"{'a dry run' if order.dry_run else order.status}.",
            details={"status": order.status, "dryRun": order.dry_run},
            code="ORDER_NOT_CANCELABLE",
        )
        _audit_refusal(user, "order.cancel", symbol, payload, exc)
        raise exc
    owner = order.user if order else None
    try:
        if order is not None and order.dry_run:
            order = _set_status(order, OrderStatus.CANCELED)  # on paper: nothing was sent
        elif order is not None and order.is_algo:
            client.cancel_order(
                symbol, order_id=order.algo_id, client_order_id=order.client_order_id, is_algo=True
            )
            order = _set_status(order, OrderStatus.CANCELED)
        else:
            response = client.cancel_order(
                symbol,
                order_id=order.exchange_order_id if order else order_id,
                client_order_id=None if (order and order.exchange_order_id) else client_order_id,
            )
            order = order_sync_from_exchange(response, source="rest:cancel")
    except BinanceError as exc:
        _audit_refusal(user, "order.cancel", symbol, payload, exc)
        if isinstance(exc, NoSuchOrder) and order is None:
            raise NotFound(
                NO_ORDER_OF, params={"ref": client_order_id or order_id, "symbol": symbol}
            ) from exc
        raise
    record(
        actor=user,
        action="order.cancel",
        target=symbol,
        payload={
            **payload,
            "clientOrderId": order.client_order_id,
            "status": order.status,
            "owner": owner_name(owner),
        },
    )
    return order


def _require_on_exchange(client, symbol: str, client_order_id, order_id) -> None:
    """Raise 404 unless the exchange holds this order (Spark has no record of it)."""
    try:
        client.query_order(symbol, order_id=order_id, client_order_id=client_order_id)
    except NoSuchOrder as exc:
        raise NotFound(
            NO_ORDER_OF, params={"ref": client_order_id or order_id, "symbol": symbol}
        ) from exc


def order_cancel_all(*, user, symbol: str) -> dict:
    """Cancel the open orders of symbol, conditional ones and paper (dry-run) ones included.

    With act_for_others (operators) that is every open order on the exchange, those placed by
    others or outside Spark included; a trader cancels only the open orders they placed. The
    answer lists exactly the orders this call cancelled, each as the exchange now reports it:
    never the local rows' before/after (the user stream may have moved them first), and never
    an order that filled meanwhile.
    """
    symbol = symbol.upper()
    require(user, "futures.cancel_order", action="order.cancelAll", target=symbol)
    client = client_from_settings()
    everyone = may_act_on(user, None)
    try:
        cancelled = _cancel_all_of(client, user, symbol, everyone=everyone)
    except BinanceError as exc:
        _audit_refusal(user, "order.cancelAll", symbol, {"symbol": symbol}, exc)
        raise
    scope = "all" if everyone else "own"
    record(
        actor=user,
        action="order.cancelAll",
        target=symbol,
        payload={"symbol": symbol, "scope": scope, "changed": cancelled},
    )
    return {"symbol": symbol, "scope": scope, "cancelled": cancelled}


def order_cancel_everywhere(*, user) -> dict:
    """Cancel the open orders of every symbol (the caller's own, or all for operators)."""
    require(user, "futures.cancel_order", action="order.cancelAll", target="*")
    client = client_from_settings()
    everyone = may_act_on(user, None)
    env = current_environment()
    try:
        symbols = {o["symbol"] for o in client.open_orders(None)}
        symbols |= {o["symbol"] for o in client.open_algo_orders(None)}
    except BinanceError as exc:
        _audit_refusal(user, "order.cancelAll", "*", {"symbol": "*"}, exc)
        raise
    resting = Order.objects.filter(environment=env, dry_run=True, status=OrderStatus.NEW)
    symbols |= set(resting.values_list("symbol", flat=True))
    per_symbol = []
    try:
        for symbol in sorted(symbols):
            done = _cancel_all_of(client, user, symbol, everyone=everyone)
            per_symbol += [{**c, "symbol": symbol} for c in done]
    except BinanceError as exc:
        _audit_refusal(user, "order.cancelAll", "*", {"changed": per_symbol}, exc)
        raise
    scope = "all" if everyone else "own"
    record(
        actor=user,
        action="order.cancelAll",
        target="*",
        payload={"symbol": "*", "scope": scope, "changed": per_symbol},
    )
    return {"symbol": None, "scope": scope, "cancelled": per_symbol}


def _cancelled_entry(order: Order, owner) -> dict:
    return {
        "clientOrderId": order.client_order_id,
        "status": order.status,
        "owner": owner_name(owner),
    }


def _cancel_all_of(client, user, symbol: str, *, everyone: bool) -> list[dict]:
    """Cancel symbol's open orders (all, or user's own); the ones really cancelled."""
    from futures.reconcile import refresh_order

    env = current_environment()
    cancelled: list[dict] = []
    # Paper orders rest in Spark only.
    resting = Order.objects.filter(
        environment=env, symbol=symbol, dry_run=True, status=OrderStatus.NEW
    ).select_related("user")
    for order in resting if everyone else resting.filter(user=user):
        owner = order.user
        order = _set_status(order, OrderStatus.CANCELED)
        if order.status == OrderStatus.CANCELED:
            cancelled.append(_cancelled_entry(order, owner))
    if not everyone:
        rows = selectors.orders_to_reconcile(env).filter(symbol=symbol, user=user)
        for order in rows.select_related("user"):
            owner = order.user
            answered = _cancel_own(client, order)
            if answered is None:  # gone already: settle the row, but it was not this call
                refresh_order(client, order, source="rest:cancelAll")
                continue
            if answered.status == OrderStatus.CANCELED:
                cancelled.append(_cancelled_entry(answered, owner))
        return cancelled
    before = {o["clientOrderId"]: o for o in client.open_orders(symbol)}
    before_algo = {o["clientAlgoId"]: o for o in client.open_algo_orders(symbol)}
    if not before and not before_algo:
        return cancelled
    client.cancel_all(symbol)
    still = {o["clientOrderId"] for o in client.open_orders(symbol)}
    still |= {o["clientAlgoId"] for o in client.open_algo_orders(symbol)}
    for cid in [c for c in before if c not in still]:
        try:
            answer = client.query_order(symbol, client_order_id=cid)
        except NoSuchOrder:
            continue
        order = order_sync_from_exchange(answer, source="rest:cancelAll")
        if order is not None and answer.get("status") == OrderStatus.CANCELED:
            cancelled.append(_cancelled_entry(order, order.user))
    for cid in [c for c in before_algo if c not in still]:
        try:
            answer = client.query_algo_order(client_algo_id=cid)
        except NoSuchOrder:
            continue
        order = algo_sync_from_exchange(answer, source="rest:cancelAll")
        if answer.get("algoStatus") == "CANCELED":
            entry = (
                _cancelled_entry(order, order.user)
                if order is not None
                else {"clientOrderId": cid, "status": "CANCELED", "owner": None}
            )
            cancelled.append(entry)
    return cancelled


def _cancel_own(client, order: Order) -> Order | None:
    """Cancel one of the caller's orders; its new state, or None when it was gone already."""
    try:
        if order.is_algo:
            client.cancel_order(
                order.symbol,
                order_id=order.algo_id,
                client_order_id=order.client_order_id,
                is_algo=True,
            )
            return _set_status(order, OrderStatus.CANCELED)
        answer = client.cancel_order(
            order.symbol,
            order_id=order.exchange_order_id,
            client_order_id=None if order.exchange_order_id else order.client_order_id,
        )
    except NoSuchOrder:
        return None
    return order_sync_from_exchange(answer, source="rest:cancelAll")


def _audit_refusal(user, action: str, target: str, payload: dict, exc) -> None:
    record(
        actor=user,
        action=action,
        target=target,
        payload={**payload, "error": {"code": exc.code, "message": exc.message}},
        outcome=AuditEntry.Outcome.REJECTED
        if getattr(exc, "status", 500) < 500
        else AuditEntry.Outcome.FAILED,
    )


# ------------------------------------------------------------------------ account settings


def leverage_change(*, user, symbol: str, leverage: int) -> dict:
    """Set the leverage of symbol on the exchange."""
    symbol = symbol.upper()
    require(user, "futures.change_leverage", action="leverage.change", target=symbol)
    payload = {"symbol": symbol, "leverage": leverage}
    try:
        answer = client_from_settings().change_leverage(symbol, leverage)
    except BinanceError as exc:
        _audit_refusal(user, "leverage.change", symbol, payload, exc)
        raise
    PositionSnapshot.objects.update_or_create(
        environment=current_environment(), symbol=symbol, defaults={"leverage": int(leverage)}
    )
    record(actor=user, action="leverage.change", target=symbol, payload={**payload, **answer})
    return {"symbol": symbol, "leverage": int(answer.get("leverage", leverage)), "raw": answer}


def margin_type_change(*, user, symbol: str, margin_type: str) -> dict:
    """Set ISOLATED or CROSSED margin for symbol ("already so" is success)."""
    symbol = symbol.upper()
    require(user, "futures.change_margin_type", action="marginType.change", target=symbol)
    payload = {"symbol": symbol, "marginType": margin_type}
    try:
        answer = client_from_settings().change_margin_type(symbol, margin_type)
    except BinanceError as exc:
        _audit_refusal(user, "marginType.change", symbol, payload, exc)
        raise
    PositionSnapshot.objects.update_or_create(
        environment=current_environment(),
        symbol=symbol,
        defaults={"margin_type": "isolated" if margin_type == "ISOLATED" else "cross"},
    )
    unchanged = bool(answer.get("unchanged"))
    record(
        actor=user,
        action="marginType.change",
        target=symbol,
        payload={**payload, "unchanged": unchanged},
    )
    return {"symbol": symbol, "marginType": margin_type, "unchanged": unchanged}


# ------------------------------------------------------------------------------------ reads
# Reads that ask the exchange also refresh the stored snapshots (and the gauges with them).


def exchange_health() -> dict:
    """Exchange reachability, clock offset, environment, rate-limit room and back-off."""
    client = client_from_settings()
    env = current_environment()
    base = {
        "environment": env,
        "baseUrl": client.base_url,
        "backoffSeconds": round(client.backoff_remaining(), 3),
    }
    try:
        ping = client.ping()
    except BinanceError as exc:
        raise ExchangeUnavailable(
            exc.binance_code,
            f"The exchange is not answering: {exc.message}",
            exc.http_status,
            **base,
        ) from exc
    remaining = None if client.used_weight is None else client.weight_limit - client.used_weight
    return {
        **base,
        "status": "ok",
        "serverTime": ping["serverTime"],
        "latencyMs": ping["latencyMs"],
        "clockOffsetMs": ping["clockOffsetMs"],
        "rateLimitRemaining": remaining,
        "dryRunDefault": True,
        "positionMode": _mode_doc(),
    }


def _s(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _mode_doc(*, fresh: bool = False) -> dict | None:
    """The position mode (read again when stale if fresh), or None when never read."""
    known = position_mode.position_mode_for_page() if fresh else position_mode.position_mode_known()
    return known.as_dict() if known is not None else None


def account_overview() -> dict:
    """Account totals and balances from the exchange."""
    answer = client_from_settings().account()
    snap = account_sync(answer, source="rest:account")
    return {
        "environment": snap.environment,
        "walletBalance": _s(snap.wallet_balance),
        "availableBalance": _s(snap.available_balance),
        "marginBalance": _s(snap.margin_balance),
        "unrealizedPnl": _s(snap.unrealized_pnl),
        "maintMargin": _s(snap.maint_margin),
        "marginRatio": _s(snap.margin_ratio),
        "assets": [
            {
                "asset": a.get("asset"),
                "walletBalance": a.get("walletBalance"),
                "availableBalance": a.get("availableBalance"),
                "unrealizedProfit": a.get("unrealizedProfit"),
            }
            for a in answer.get("assets", [])
        ],
        "updatedAt": snap.updated_at.isoformat(),
        # hedge mode stops all trading: the account status says so and lists its side positions
        "positionMode": _mode_doc(fresh=True),
    }


def tradable_symbols(*, fallback: list[str]) -> list[str]:
    """Every symbol the exchange lists as TRADING (its cached exchangeInfo); the fallback when
    the exchange cannot be asked, so a page never fails for want of a symbol list."""
    try:
        info = client_from_settings().exchange_info()
    except BinanceError:
        logger.warning("exchange info unavailable: the order form offers the streamed symbols")
        return list(fallback)
    return sorted(
        s["symbol"] for s in info.get("symbols", []) if s.get("status") == "TRADING"
    ) or list(fallback)


def positions_list(*, symbol: str | None = None) -> dict:
    """Open positions from the exchange (zero rows are synced but not listed)."""
    symbol = symbol.upper() if symbol else None
    requested_at = timezone.now()
    rows = position_sync(
        client_from_settings().positions(symbol),
        source="rest:positions",
        requested_at=requested_at,
        symbols=(symbol.upper(),) if symbol else (),
    )
    mode = position_mode.position_mode_known()
    # Hedge-mode side positions are reported as the exchange gave them, never dropped.
    side_rows = [
        {**p, "side": p["positionSide"]}
        for p in (mode.side_positions if mode is not None and mode.dual else ())
        if symbol is None or p["symbol"] == symbol
    ]
    return {
        "environment": current_environment(),
        "positionMode": mode.as_dict() if mode is not None else None,
        "positions": [
            {
                "symbol": r.symbol,
                "positionSide": "BOTH",
                "positionAmt": _s(r.position_amt),
                "side": "LONG" if r.position_amt > 0 else "SHORT",
                "entryPrice": _s(r.entry_price),
                "markPrice": _s(r.mark_price),
                "unrealizedPnl": _s(r.unrealized_pnl),
                "liquidationPrice": _s(r.liquidation_price),
                "leverage": r.leverage,
                "marginType": r.margin_type,
                "updatedAt": r.updated_at.isoformat(),
            }
            for r in rows
            if r.position_amt != 0
        ]
        + side_rows,
    }


def open_orders_list(*, symbol: str | None = None) -> dict:
    """Open orders on the exchange, plain and conditional, synced into the local rows."""
    from futures.schemas import order_out

    symbol = symbol.upper() if symbol else None
    client = client_from_settings()
    orders = []
    for remote in client.open_orders(symbol):
        local = order_sync_from_exchange(remote, source="rest:openOrders")
        if local is not None:
            orders.append(order_out(local))
    for remote in client.open_algo_orders(symbol):
        local = algo_sync_from_exchange(remote, source="rest:openOrders")
        orders.append(
            order_out(local)
            if local is not None
            else {
                "clientOrderId": remote.get("clientAlgoId"),
                "algoId": remote.get("algoId"),
                "isAlgo": True,
                "symbol": remote.get("symbol"),
                "side": remote.get("side"),
                "type": remote.get("orderType"),
                "quantity": remote.get("quantity"),
                "stopPrice": remote.get("triggerPrice"),
                "status": remote.get("algoStatus"),
            }
        )
    return {"environment": current_environment(), "orders": orders}


def order_detail(
    *, client_order_id: str | None = None, order_id: int | None = None, symbol: str | None = None
) -> dict:
    """One order by client or exchange id, with fills; asks the exchange if it is not local."""
    from futures.schemas import order_out

    order = selectors.order_find(client_order_id=client_order_id, order_id=order_id)
    if order is None and symbol:
        try:
            remote = client_from_settings().query_order(
                symbol.upper(), order_id=order_id, client_order_id=client_order_id
            )
        except NoSuchOrder as exc:
            raise NotFound(NO_ORDER, params={"ref": client_order_id or order_id}) from exc
        order = order_sync_from_exchange(remote, source="rest:order")
    if order is None:
        raise NotFound(
            NO_ORDER if symbol else NO_ORDER_HERE, params={"ref": client_order_id or order_id}
        )
    return {"order": order_out(order, fills=True), "risk": order.risk_decision}
