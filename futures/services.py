"""Commands (place, cancel, leverage, margin type) and the exchange reads behind the API.

The one place orders are created or changed on request; what the exchange answers is written by
futures/sync.py, the only writer of exchange truth.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.permissions import may_act_on, owner_name, require, require_owner
from audit.models import AuditEntry
from audit.services import record
from futures import metrics, position_mode, selectors, sizing
from futures.binance.errors import (
    BinanceError,
    ExchangeFilterError,
    ExchangeUnavailable,
    NoSuchOrder,
)
from futures.binance.filters import check_order
from futures.binance.rest import client_from_settings, new_client_order_id
from futures.binance.ws_api import order_client_from_settings
from futures.models import (
    ALGO_TYPES,
    CLOSE_POSITION_TYPES,
    AccountSnapshot,
    Fill,
    Order,
    OrderStatus,
    OrderType,
    PositionSide,
    PositionSnapshot,
    Side,
)
from futures.reconcile import refresh_order
from futures.sync import (
    account_sync,
    algo_sync_from_exchange,
    order_changed_on_commit,
    order_sync_from_exchange,
    position_sync,
    set_status,
    settle_placed,
)
from risk import gate
from risk.errors import RiskRejected
from spark_site.error_messages import render, translated_template
from spark_site.errors import DomainError, NotFound, ValidationFailed
from spark_site.exchange_env import current_environment

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
    # BOTH on a one-way account; LONG or SHORT (required) on a hedge-mode account.
    position_side: str = "BOTH"
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


def new_order_row(user, req, checked, *, cid: str, env: str, source: str, decision) -> Order:
    """The Order row of a request the gate let through, as the filters left it: stored
    PENDING_SUBMIT before anything is sent (order.place and every batch item alike)."""
    trailing = req.type == OrderType.TRAILING_STOP_MARKET
    return Order.objects.create(
        client_order_id=cid,
        environment=env,
        symbol=req.symbol.upper(),
        side=req.side,
        type=req.type,
        time_in_force=(req.time_in_force or "GTC") if checked.price else "",
        quantity=checked.quantity,
        price=checked.price,
        stop_price=None if trailing else checked.stop_price,
        reduce_only=req.reduce_only,
        position_side=req.position_side,
        close_position=req.close_position,
        callback_rate=req.callback_rate if trailing else None,
        activation_price=checked.stop_price if trailing else None,
        dry_run=req.dry_run,
        is_algo=req.type in ALGO_TYPES,
        user=user if getattr(user, "is_authenticated", False) else None,
        source=source[:32],
        risk_decision=decision.as_dict(),
    )


def setting_value(name: str, default):
    """A setting the order path reads with a default (tests and old settings files lack some)."""
    return getattr(settings, name, default)


def reject_order(user, action: str, target: str, reason: str, payload: dict, exc) -> None:
    """Count and audit a refused order (placement, batch item or modify alike)."""
    metrics.ORDER_REJECT.labels(reason=reason).inc()
    record(
        actor=user,
        action=action,
        target=target,
        payload={**payload, "error": {"code": exc.code, "message": exc.message, **exc.details}},
        outcome=AuditEntry.Outcome.REJECTED,
    )


def validate_shape(req: OrderRequest) -> None:
    """Refuse an order whose fields cannot make a Binance order, before anything is read."""
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
        reject_order(user, "order.place", request.symbol.upper(), reason, payload, exc)
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
        "positionSide": req.position_side,
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
            return existing_result(Order.objects.get(pk=existing_pk), user, req)
    try:
        validate_shape(req)
    except ValidationFailed as exc:
        reject_order(user, "order.place", symbol, "validation", payload, exc)
        raise
    env = current_environment()
    # The order transport (REST, or the WebSocket API with SPARK_ORDER_TRANSPORT=ws); its reads
    # other than orders go over REST either way.
    client = order_client_from_settings()
    try:
        # Dry runs too: a simulation is gated against the same side's position as a live order.
        position_mode.check_order_side(
            user=user,
            action="order.place",
            target=symbol,
            position_side=req.position_side,
            reduce_only=req.reduce_only,
            payload=payload,
        )
        filters = client.symbol_filters(symbol)
        if filters is None:
            raise ExchangeFilterError(
                "SYMBOL", NOT_LISTED, limit="listed", value=symbol, params={"symbol": symbol}
            )
        mark = client.mark_price(
            symbol, max_age=float(setting_value("SPARK_MARK_PRICE_MAX_AGE", 2))
        )
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
            stale = not selectors.position_was_read(env, symbol, req.position_side)
        else:
            max_age = float(setting_value("SPARK_POSITION_MAX_AGE", 5))
            stale = not selectors.position_is_fresh(env, symbol, max_age, req.position_side)
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
    except position_mode.SIDE_REFUSALS:
        metrics.ORDER_REJECT.labels(reason="position_side").inc()  # audited by check_order_side
        raise
    except ExchangeFilterError as exc:
        reject_order(user, "order.place", symbol, exc.reason, payload, exc)
        raise
    except BinanceError as exc:
        reject_order(user, "order.place", symbol, exc.reason, payload, exc)
        raise
    cid = req.client_order_id or new_client_order_id("dry" if req.dry_run else "spark")
    simulated: dict | None = None
    with transaction.atomic():
        limits = gate.lock()  # first: every order and PnL booking serializes here
        # Another request with the same client id may have committed while we validated.
        existing_pk = selectors.order_pk(cid)
        existing = Order.objects.get(pk=existing_pk) if existing_pk is not None else None
        if existing is None:
            intent = gate_intent(
                env,
                symbol=symbol,
                side=req.side,
                position_side=req.position_side,
                reducing=req.reduce_only or req.close_position,
                quantity=checked.quantity,
                price=checked.price if req.type != OrderType.MARKET else None,
                mark=mark,
                dry_run=req.dry_run,
            )
            decision = gate.evaluate(intent, limits=limits)
            if decision.allowed:
                order = new_order_row(
                    user, req, checked, cid=cid, env=env, source=req.source, decision=decision
                )
                if req.dry_run and marketable(order, mark):
                    simulated = simulate_fill(order, filters, mark)
                elif req.dry_run:
                    # A trigger order, or a limit away from the market, rests on paper until
                    # the market crosses it (futures/paper.py fills it there): filling it now
                    # would report a fill that never could have happened.
                    order.apply_status(OrderStatus.NEW, strict=True)
                    order.save(update_fields=["status", "updated_at"])
                if req.dry_run:
                    order_changed_on_commit(order)
                # A live order is announced once the exchange has answered (a few ms later);
                # every outcome of _send_to_exchange saves and announces it.
    if existing is not None:
        return existing_result(existing, user, req)
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
    rounded = rounded_fields(req, checked)
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


def gate_intent(
    env: str,
    *,
    symbol: str,
    side: str,
    position_side: str,
    reducing: bool,
    quantity: Decimal,
    price: Decimal | None,
    mark: Decimal,
    dry_run: bool,
    extra_open: Decimal = Decimal(0),
    own_open: Decimal = Decimal(0),
) -> gate.OrderIntent:
    """What the gate needs of one order, read under its lock (call after gate.lock()).

    One-way (BOTH): growth is judged on the never-under position, whether a reduce-only order
    shrinks on the likeliest one (the exchange never lets it grow a position). Hedge mode: the
    order opens its side (BUY LONG, SELL SHORT) -- judged on that side's never-under position
    and opening orders, and net with the other side's likeliest position -- or closes it (SELL
    LONG, BUY SHORT), which is the hedge analogue of a reduce-only order. extra_open adds open
    quantity the read cannot see (a batch's earlier paper items); own_open leaves out the
    order's own open size (a modify).
    """
    seen = selectors.exposure(env, symbol, side, position_side)
    hedge = position_side in (PositionSide.LONG, PositionSide.SHORT)
    opening = hedge and (side == Side.BUY) == (position_side == PositionSide.LONG)
    closing = reducing or (hedge and not opening)
    net_position = None
    if opening:
        other = PositionSide.SHORT if position_side == PositionSide.LONG else PositionSide.LONG
        other_seen = selectors.exposure(
            env, symbol, Side.SELL if other == PositionSide.SHORT else Side.BUY, other
        )
        net_position = seen.position + other_seen.estimate
    return gate.OrderIntent(
        symbol=symbol,
        side=side,
        quantity=quantity,
        price=price,
        mark_price=mark,
        reduce_only=closing,
        position_amt=seen.estimate if closing else seen.position,
        open_same_side_qty=max(seen.open_qty + extra_open - own_open, Decimal(0)),
        dry_run=dry_run,
        position_side=position_side,
        net_position_amt=net_position,
    )


def rounded_fields(req: OrderRequest, checked) -> list[dict]:
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
        "positionSide": req.position_side,
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
        "positionSide": order.position_side,
        "dryRun": order.dry_run,
        "closePosition": order.close_position,
        "callbackRate": order.callback_rate,
    }
    return [
        {"field": name, "existing": _shown(stored[name]), "requested": _shown(asked[name])}
        for name in asked
        if stored[name] != asked[name]
    ]


def existing_result(order: Order, user, req: OrderRequest) -> OrderResult:
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
        reject_order(user, "order.place", order.symbol, "client_order_id_mismatch", audit, exc)
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


def marketable(order: Order, mark: Decimal) -> bool:
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


def simulate_fill(order: Order, filters, mark: Decimal) -> dict:
    """Fill a dry-run order on paper: mark +/- slippage (never past a limit), fee at taker rate."""
    slip = Decimal(str(setting_value("SPARK_DRY_RUN_SLIPPAGE_BPS", "2"))) / Decimal(10000)
    taker = Decimal(str(setting_value("SPARK_DRY_RUN_TAKER_FEE", "0.0005")))
    maker = Decimal(str(setting_value("SPARK_DRY_RUN_MAKER_FEE", "0.0002")))
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
            position_side=order.position_side,
            close_position=order.close_position,
            callback_rate=order.callback_rate,
            activation_price=order.activation_price,
        )
    except ExchangeUnavailable as exc:
        # Unknown execution status: the order may exist. Reconciliation settles it; never
        # resend from here.
        order = set_status(order, OrderStatus.UNKNOWN, error={"code": exc.code, **exc.details})
        reject_order(user, "order.place", order.symbol, "exchange_unknown", payload, exc)
        raise
    except BinanceError as exc:
        mismatch = refusal_after_4061(exc, order.position_side)
        if mismatch is not None:
            # The mode changed since the last reading: the exchange refused the order.
            error = {"code": mismatch.code, "exchangeCode": exc.binance_code}
            order = set_status(order, OrderStatus.REJECTED, error=error)
            reject_order(user, "order.place", order.symbol, "position_side", payload, mismatch)
            raise mismatch from exc
        order = set_status(order, OrderStatus.REJECTED, error={"code": exc.code, **exc.details})
        reject_order(user, "order.place", order.symbol, exc.reason, payload, exc)
        raise
    placed = order
    if order.is_algo:
        order = algo_sync_from_exchange(response, source="rest:place") or order
    else:
        if not settle_placed(order, response):
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


def refusal_after_4061(exc: BinanceError, position_side: str) -> DomainError | None:
    """After -4061, read the mode again: the refusal that names what the order should carry."""
    if exc.binance_code != position_mode.POSITION_SIDE_MISMATCH:
        return None
    return position_mode.mismatch_after_4061(position_side)


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
    client = order_client_from_settings()
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
        audit_refusal(user, "order.cancel", symbol, payload, exc)
        raise exc
    owner = order.user if order else None
    try:
        if order is not None and order.dry_run:
            order = set_status(order, OrderStatus.CANCELED)  # on paper: nothing was sent
        elif order is not None and order.is_algo:
            client.cancel_order(
                symbol, order_id=order.algo_id, client_order_id=order.client_order_id, is_algo=True
            )
            order = set_status(order, OrderStatus.CANCELED)
        else:
            response = client.cancel_order(
                symbol,
                order_id=order.exchange_order_id if order else order_id,
                client_order_id=None if (order and order.exchange_order_id) else client_order_id,
            )
            order = order_sync_from_exchange(response, source="rest:cancel")
    except BinanceError as exc:
        audit_refusal(user, "order.cancel", symbol, payload, exc)
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


@dataclass(frozen=True)
class Cancelled:
    """One order a cancel-all call cancelled, as the exchange then reported it."""

    client_order_id: str
    status: str
    owner: str | None
    symbol: str | None = None  # named when every symbol was asked

    def audit_doc(self) -> dict:
        doc = {"clientOrderId": self.client_order_id, "status": self.status, "owner": self.owner}
        return doc if self.symbol is None else {**doc, "symbol": self.symbol}


@dataclass(frozen=True)
class CancelAllResult:
    symbol: str | None  # None: every symbol
    scope: str  # "own" or "all" (act_for_others)
    cancelled: list[Cancelled]


def order_cancel_all(*, user, symbol: str) -> CancelAllResult:
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
        audit_refusal(user, "order.cancelAll", symbol, {"symbol": symbol}, exc)
        raise
    scope = "all" if everyone else "own"
    record(
        actor=user,
        action="order.cancelAll",
        target=symbol,
        payload={"symbol": symbol, "scope": scope, "changed": [c.audit_doc() for c in cancelled]},
    )
    return CancelAllResult(symbol=symbol, scope=scope, cancelled=cancelled)


def order_cancel_everywhere(*, user) -> CancelAllResult:
    """Cancel the open orders of every symbol (the caller's own, or all for operators)."""
    require(user, "futures.cancel_order", action="order.cancelAll", target="*")
    client = client_from_settings()
    everyone = may_act_on(user, None)
    env = current_environment()
    try:
        symbols = {o["symbol"] for o in client.open_orders(None)}
        symbols |= {o["symbol"] for o in client.open_algo_orders(None)}
    except BinanceError as exc:
        audit_refusal(user, "order.cancelAll", "*", {"symbol": "*"}, exc)
        raise
    resting = Order.objects.filter(environment=env, dry_run=True, status=OrderStatus.NEW)
    symbols |= set(resting.values_list("symbol", flat=True))
    per_symbol = []
    try:
        for symbol in sorted(symbols):
            done = _cancel_all_of(client, user, symbol, everyone=everyone)
            per_symbol += [dataclasses.replace(c, symbol=symbol) for c in done]
    except BinanceError as exc:
        changed = [c.audit_doc() for c in per_symbol]
        audit_refusal(user, "order.cancelAll", "*", {"changed": changed}, exc)
        raise
    scope = "all" if everyone else "own"
    record(
        actor=user,
        action="order.cancelAll",
        target="*",
        payload={"symbol": "*", "scope": scope, "changed": [c.audit_doc() for c in per_symbol]},
    )
    return CancelAllResult(symbol=None, scope=scope, cancelled=per_symbol)


def _cancelled_entry(order: Order, owner) -> Cancelled:
    return Cancelled(
        client_order_id=order.client_order_id, status=order.status, owner=owner_name(owner)
    )


def _cancel_all_of(client, user, symbol: str, *, everyone: bool) -> list[Cancelled]:
    """Cancel symbol's open orders (all, or user's own); the ones really cancelled."""
    env = current_environment()
    cancelled: list[Cancelled] = []
    # Paper orders rest in Spark only.
    resting = Order.objects.filter(
        environment=env, symbol=symbol, dry_run=True, status=OrderStatus.NEW
    ).select_related("user")
    for order in resting if everyone else resting.filter(user=user):
        owner = order.user
        order = set_status(order, OrderStatus.CANCELED)
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
                else Cancelled(client_order_id=cid, status="CANCELED", owner=None)
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
            return set_status(order, OrderStatus.CANCELED)
        answer = client.cancel_order(
            order.symbol,
            order_id=order.exchange_order_id,
            client_order_id=None if order.exchange_order_id else order.client_order_id,
        )
    except NoSuchOrder:
        return None
    return order_sync_from_exchange(answer, source="rest:cancelAll")


def audit_refusal(user, action: str, target: str, payload: dict, exc) -> None:
    """Audit a refused command: rejected for the caller's fault, failed for the exchange's."""
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


@dataclass(frozen=True)
class LeverageChanged:
    symbol: str
    leverage: int  # as the exchange set it
    raw: dict  # the exchange's answer


def leverage_change(*, user, symbol: str, leverage: int) -> LeverageChanged:
    """Set the leverage of symbol on the exchange."""
    symbol = symbol.upper()
    require(user, "futures.change_leverage", action="leverage.change", target=symbol)
    payload = {"symbol": symbol, "leverage": leverage}
    try:
        answer = client_from_settings().change_leverage(symbol, leverage)
    except BinanceError as exc:
        audit_refusal(user, "leverage.change", symbol, payload, exc)
        raise
    _set_on_rows(symbol, leverage=int(leverage))
    record(actor=user, action="leverage.change", target=symbol, payload={**payload, **answer})
    return LeverageChanged(symbol, int(answer.get("leverage", leverage)), answer)


@dataclass(frozen=True)
class MarginTypeChanged:
    symbol: str
    margin_type: str  # ISOLATED or CROSSED
    unchanged: bool  # it was so already (success all the same)


def margin_type_change(*, user, symbol: str, margin_type: str) -> MarginTypeChanged:
    """Set ISOLATED or CROSSED margin for symbol ("already so" is success)."""
    symbol = symbol.upper()
    require(user, "futures.change_margin_type", action="marginType.change", target=symbol)
    payload = {"symbol": symbol, "marginType": margin_type}
    try:
        answer = client_from_settings().change_margin_type(symbol, margin_type)
    except BinanceError as exc:
        audit_refusal(user, "marginType.change", symbol, payload, exc)
        raise
    _set_on_rows(symbol, margin_type="isolated" if margin_type == "ISOLATED" else "cross")
    unchanged = bool(answer.get("unchanged"))
    record(
        actor=user,
        action="marginType.change",
        target=symbol,
        payload={**payload, "unchanged": unchanged},
    )
    return MarginTypeChanged(symbol, margin_type, unchanged)


def _set_on_rows(symbol: str, **values) -> None:
    """A per-symbol setting on every stored side of symbol (one row one-way, two in hedge)."""
    env = current_environment()
    if not PositionSnapshot.objects.filter(environment=env, symbol=symbol).update(**values):
        PositionSnapshot.objects.create(environment=env, symbol=symbol, **values)


# ------------------------------------------------------------------------------------ reads
# Reads that ask the exchange also refresh the stored snapshots (and the gauges with them).


@dataclass(frozen=True)
class ExchangeHealth:
    """The exchange as just pinged (a failed ping raises ExchangeUnavailable instead)."""

    environment: str
    base_url: str
    backoff_seconds: float
    server_time: int
    latency_ms: int | float
    clock_offset_ms: int | float
    rate_limit_remaining: int | None
    mode: position_mode.PositionMode | None  # as last read, None when never read


def exchange_health() -> ExchangeHealth:
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
    return ExchangeHealth(
        environment=env,
        base_url=client.base_url,
        backoff_seconds=base["backoffSeconds"],
        server_time=ping["serverTime"],
        latency_ms=ping["latencyMs"],
        clock_offset_ms=ping["clockOffsetMs"],
        rate_limit_remaining=remaining,
        mode=position_mode.position_mode_known(),
    )


@dataclass(frozen=True)
class AccountRead:
    """The account as just read: its stored snapshot, the exchange's balances per asset and the
    position mode (one-way or hedge: what every order's positionSide must fit)."""

    snapshot: AccountSnapshot
    assets: list[dict]
    mode: position_mode.PositionMode | None


def account_overview() -> AccountRead:
    """Account totals and balances from the exchange (the stored snapshot refreshed)."""
    answer = client_from_settings().account()
    snap = account_sync(answer, source="rest:account")
    return AccountRead(
        snapshot=snap,
        assets=list(answer.get("assets", [])),
        mode=position_mode.position_mode_for_page(),
    )


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


@dataclass(frozen=True)
class PositionsRead:
    """Open positions as just read: one row per symbol and side (BOTH one-way, LONG and SHORT
    in hedge mode); zero rows are synced but not listed."""

    environment: str
    mode: position_mode.PositionMode | None
    rows: list[PositionSnapshot]


def positions_list(*, symbol: str | None = None) -> PositionsRead:
    """Open positions from the exchange (the stored snapshots refreshed)."""
    symbol = symbol.upper() if symbol else None
    requested_at = timezone.now()
    rows = position_sync(
        client_from_settings().positions(symbol),
        source="rest:positions",
        requested_at=requested_at,
        symbols=(symbol.upper(),) if symbol else (),
    )
    return PositionsRead(
        environment=current_environment(),
        mode=position_mode.position_mode_known(),
        rows=sorted(
            (r for r in rows if r.position_amt != 0), key=lambda r: (r.symbol, r.position_side)
        ),
    )


def open_orders_list(*, symbol: str | None = None) -> tuple[str, list[Order | dict]]:
    """Open orders on the exchange, plain and conditional, synced into the local rows: the
    environment and the rows (the exchange's own algo order for one with no row here)."""
    symbol = symbol.upper() if symbol else None
    client = client_from_settings()
    orders = []
    for remote in client.open_orders(symbol):
        local = order_sync_from_exchange(remote, source="rest:openOrders")
        if local is not None:
            orders.append(local)
    for remote in client.open_algo_orders(symbol):
        local = algo_sync_from_exchange(remote, source="rest:openOrders")
        orders.append(local if local is not None else remote)
    return current_environment(), orders


def order_detail(
    *, client_order_id: str | None = None, order_id: int | None = None, symbol: str | None = None
) -> Order:
    """One order by client or exchange id, with fills; asks the exchange if it is not local."""
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
    return order
