"""HTTP API of the futures app (thin: validate, call a service, shape the answer)."""

from __future__ import annotations

from ninja import Query, Router

from accounts.auth import READ_AUTH, write_auth
from futures import (
    attached,
    chart,
    funding_reads,
    income,
    order_batch,
    order_modify,
    position_actions,
    preview,
    services,
)
from futures.models import Order
from futures.schemas import (
    SYMBOL,
    AccountOut,
    BatchIn,
    BatchOut,
    CancelAllIn,
    CancelAllOut,
    CancelIn,
    CancelOut,
    ExchangeHealthOut,
    KlinesOut,
    LedgerSyncIn,
    LedgerSyncOut,
    LeverageIn,
    LeverageOut,
    MarginTypeIn,
    MarginTypeOut,
    ModifyIn,
    ModifyOut,
    OpenOrdersOut,
    OrderDetailOut,
    OrderIn,
    PlacedOut,
    PositionCloseIn,
    PositionMarginIn,
    PositionMarginOut,
    PositionProtectIn,
    PositionsOut,
    PreviewOut,
    ProtectOut,
    RatesOut,
    TrailingIn,
    account_out,
    cancel_all_out,
    health_out,
    klines_out,
    ledger_sync_out,
    leverage_out,
    margin_changed_out,
    margin_type_out,
    order_out,
    positions_out,
    preview_out,
    protection_out,
    rates_out,
    remote_algo_out,
)
from spark_site.errors import ValidationFailed

router = Router(tags=["futures"])


@router.get("/health", auth=READ_AUTH, response=ExchangeHealthOut)
def health(request):
    """Exchange reachability, clock offset, environment, rate-limit room and back-off."""
    return health_out(services.exchange_health())


@router.get("/account", auth=READ_AUTH, response=AccountOut)
def account(request):
    """Account totals and balances from the exchange (also refreshes the stored snapshot)."""
    return account_out(services.account_overview())


@router.get("/positions", auth=READ_AUTH, response=PositionsOut)
def positions(request, symbol: str | None = None):
    """Open positions from the exchange (also refreshes the stored snapshots)."""
    return positions_out(services.positions_list(symbol=symbol))


@router.get("/premiumIndex", auth=READ_AUTH, response=RatesOut)
def premium_index(request, symbol: str | None = None):
    """Funding rate, next funding time, mark and index price of one symbol (or all)."""
    return rates_out(funding_reads.funding_rates(symbol=symbol))


@router.get("/klines", auth=READ_AUTH, response=KlinesOut)
def klines(
    request, symbol: str = Query(..., pattern=SYMBOL), interval: str = "1m", limit: int = 300
):
    """Candles of a symbol for the chart (1m, 5m, 15m, 1h, 4h, 1d), oldest first; the live 1m
    bar comes over /ws/live/ as the topic `kline:<SYMBOL>`."""
    return klines_out(chart.chart_klines(symbol=symbol, interval=interval, limit=limit))


@router.get("/openOrders", auth=READ_AUTH, response=OpenOrdersOut)
def open_orders(request, symbol: str | None = None):
    """Open orders on the exchange (plain and conditional), with the local record of each."""
    environment, rows = services.open_orders_list(symbol=symbol)
    return {
        "environment": environment,
        "orders": [order_out(r) if isinstance(r, Order) else remote_algo_out(r) for r in rows],
    }


@router.get("/order", auth=READ_AUTH, response=OrderDetailOut)
def order(
    request,
    clientOrderId: str | None = None,
    orderId: int | None = None,  # noqa: N803
    symbol: str | None = None,
):
    """One order by clientOrderId or orderId, with its fills."""
    if not clientOrderId and orderId is None:
        raise ValidationFailed(
            "Give clientOrderId or orderId.",
            details={"fields": [{"field": "clientOrderId", "message": "required"}]},
        )
    found = services.order_detail(client_order_id=clientOrderId, order_id=orderId, symbol=symbol)
    return {"order": order_out(found, fills=True), "risk": found.risk_decision}


@router.post(
    "/order.place", auth=write_auth("futures.place_order", "order.place"), response=PlacedOut
)
def order_place(request, payload: OrderIn):
    """Place an order. Dry-run unless `dryRun` is false; the answer says which happened.

    With `takeProfit` / `stopLoss` the order is an entry whose TP/SL go on the position at its
    first fill (at once for a market entry); the answer's `protection` says where they stand.
    """
    if payload.takeProfit is None and payload.stopLoss is None:
        return placed_out(services.order_place(user=request.auth, request=order_request(payload)))
    done = attached.place_entry(
        user=request.auth,
        request=order_request(payload),
        take_profit=payload.takeProfit,
        stop_loss=payload.stopLoss,
    )
    out = placed_out(done.entry)
    out["protection"] = {
        **protection_out(done.entry.order),
        "orders": [order_out(r.order) for r in done.protection],
    }
    return out


@router.post(
    "/order.batch", auth=write_auth("futures.place_order", "order.place"), response=BatchOut
)
def order_batch_route(request, payload: BatchIn):
    """Place 1 to 5 orders in one exchange call (e.g. an entry with its reduce-only TP and SL).

    Every item passes the risk gate before anything is sent, counted together; one refused item
    refuses the batch (nothing stored or sent). The exchange may then refuse single items: each
    answer says its own status and error. Dry-run unless `dryRun` is false.
    """
    results = order_batch.order_batch(
        user=request.auth,
        requests=[order_request(item, dry_run=payload.dryRun) for item in payload.orders],
        dry_run=payload.dryRun,
    )
    return {"orders": [{**placed_out(r), "error": r.order.error or None} for r in results]}


def order_request(payload, *, dry_run: bool | None = None) -> services.OrderRequest:
    """The service's request from an OrderIn (or a batch item, whose dryRun is the batch's)."""
    return services.OrderRequest(
        symbol=payload.symbol,
        side=payload.side,
        type=payload.type,
        quantity=payload.quantity,
        quote_quantity=payload.quoteQuantity,
        balance_percent=payload.balancePercent,
        price=payload.price,
        stop_price=payload.stopPrice,
        time_in_force=payload.timeInForce,
        reduce_only=payload.reduceOnly,
        position_side=payload.positionSide or "BOTH",
        client_order_id=payload.clientOrderId,
        dry_run=payload.dryRun if dry_run is None else dry_run,
        close_position=payload.closePosition,
        callback_rate=payload.callbackRate,
        activation_price=payload.activationPrice,
    )


def placed_out(result: services.OrderResult) -> dict:
    return {
        "dryRun": result.order.dry_run,
        "executed": result.executed,
        "created": result.created,
        "message": result.localized_message(),  # the request's language, with what was rounded
        "order": order_out(result.order),
        "risk": result.decision,
        "simulatedFill": result.simulated_fill,
        "rounded": result.rounded,
        "sized": result.sized,
    }


@router.post(
    "/order.preview",
    auth=write_auth("futures.place_order", "order.preview"),
    response=PreviewOut,
)
def order_preview(request, payload: OrderIn):
    """What this order would be: rounding, notional, margin, est. liquidation, fee, risk rules.

    Nothing is stored or sent (the order form's live preview)."""
    return preview_out(preview.order_preview(user=request.auth, request=order_request(payload)))


@router.post(
    "/position.close", auth=write_auth("futures.place_order", "position.close"), response=PlacedOut
)
def position_close(request, payload: PositionCloseIn):
    """Close a position with a MARKET order: whole, or `quantity` of it.

    One-way: reduce-only. Hedge mode: `positionSide` LONG or SHORT names the side to close
    (a SELL on LONG, a BUY on SHORT, without reduceOnly); the other side is not touched."""
    result = position_actions.position_close(
        user=request.auth,
        symbol=payload.symbol,
        quantity=payload.quantity,
        dry_run=payload.dryRun,
        client_order_id=payload.clientOrderId,
        position_side=payload.positionSide,
    )
    return placed_out(result)


@router.post(
    "/position.protect",
    auth=write_auth("futures.place_order", "position.protect"),
    response=ProtectOut,
)
def position_protect(request, payload: PositionProtectIn):
    """Put a take-profit and/or stop-loss (closePosition) on a position; replaces earlier ones.

    Hedge mode: on the side `positionSide` names; the other side's TP/SL stay."""
    result = position_actions.position_protect(
        user=request.auth,
        symbol=payload.symbol,
        take_profit=payload.takeProfit,
        stop_loss=payload.stopLoss,
        dry_run=payload.dryRun,
        client_order_id=payload.clientOrderId,
        position_side=payload.positionSide,
    )
    return {
        "placed": [placed_out(r) for r in result.placed],
        "replaced": [order_out(o) for o in result.replaced],
    }


@router.post(
    "/order.trailing", auth=write_auth("futures.place_order", "order.trailing"), response=PlacedOut
)
def order_trailing(request, payload: TrailingIn):
    """Trail a position with a TRAILING_STOP_MARKET (callbackRate 0.1-10 %): reduce-only
    one-way, on the side `positionSide` names in hedge mode."""
    result = position_actions.order_trailing(
        user=request.auth,
        symbol=payload.symbol,
        callback_rate=payload.callbackRate,
        activation_price=payload.activationPrice,
        quantity=payload.quantity,
        dry_run=payload.dryRun,
        client_order_id=payload.clientOrderId,
        position_side=payload.positionSide,
    )
    return placed_out(result)


@router.post(
    "/order.modify", auth=write_auth("futures.place_order", "order.modify"), response=ModifyOut
)
def order_modify_route(request, payload: ModifyIn):
    """Change an open LIMIT order's price and/or quantity in place (same clientOrderId)."""
    if not payload.clientOrderId and payload.orderId is None:
        raise ValidationFailed(
            "Give clientOrderId or orderId.",
            details={"fields": [{"field": "clientOrderId", "message": "required"}]},
        )
    done = order_modify.order_modify(
        user=request.auth,
        symbol=payload.symbol,
        client_order_id=payload.clientOrderId,
        order_id=payload.orderId,
        price=payload.price,
        quantity=payload.quantity,
    )
    return {
        "order": order_out(done.order),
        "old": done.old,
        "new": done.new,
        "rounded": done.rounded,
    }


@router.post(
    "/positionMargin",
    auth=write_auth("futures.change_margin_type", "positionMargin.change"),
    response=PositionMarginOut,
)
def position_margin(request, payload: PositionMarginIn):
    """Add (ADD) or remove (REDUCE) margin of an isolated position (one side in hedge mode)."""
    done = position_actions.position_margin_change(
        user=request.auth,
        symbol=payload.symbol,
        amount=payload.amount,
        add=payload.type == "ADD",
        position_side=payload.positionSide,
    )
    return margin_changed_out(done)


@router.post(
    "/order.cancel", auth=write_auth("futures.cancel_order", "order.cancel"), response=CancelOut
)
def order_cancel(request, payload: CancelIn):
    """Cancel one order by clientOrderId or orderId."""
    order = services.order_cancel(
        user=request.auth,
        symbol=payload.symbol,
        client_order_id=payload.clientOrderId,
        order_id=payload.orderId,
    )
    return {"order": order_out(order)}


@router.post(
    "/order.cancelAll",
    auth=write_auth("futures.cancel_order", "order.cancelAll"),
    response=CancelAllOut,
)
def order_cancel_all(request, payload: CancelAllIn):
    """Cancel every open order of a symbol (or of all with allSymbols), algo orders included."""
    if (payload.symbol is None) == (not payload.allSymbols):
        raise ValidationFailed(
            "Give symbol, or allSymbols true (not both).",
            details={"fields": [{"field": "symbol", "message": "symbol or allSymbols"}]},
        )
    if payload.allSymbols:
        return cancel_all_out(services.order_cancel_everywhere(user=request.auth))
    return cancel_all_out(services.order_cancel_all(user=request.auth, symbol=payload.symbol))


@router.post(
    "/leverage",
    auth=write_auth("futures.change_leverage", "leverage.change"),
    response=LeverageOut,
)
def leverage(request, payload: LeverageIn):
    """Change the leverage of a symbol."""
    done = services.leverage_change(
        user=request.auth, symbol=payload.symbol, leverage=payload.leverage
    )
    return leverage_out(done)


@router.post(
    "/marginType",
    auth=write_auth("futures.change_margin_type", "marginType.change"),
    response=MarginTypeOut,
)
def margin_type(request, payload: MarginTypeIn):
    """Change the margin type of a symbol (ISOLATED / CROSSED); unchanged is success."""
    done = services.margin_type_change(
        user=request.auth, symbol=payload.symbol, margin_type=payload.marginType
    )
    return margin_type_out(done)


@router.post(
    "/ledger/sync",
    auth=write_auth("futures.reconcile_orders", "ledger.sync"),
    response=LedgerSyncOut,
)
def ledger_sync(request, payload: LedgerSyncIn):
    """Book the exchange's income history (fills, commissions, funding, transfers) not yet in
    the ledger (operator); running it again books nothing twice."""
    done = income.income_sync_requested(
        user=request.auth, start=payload.startTime, end=payload.endTime
    )
    return ledger_sync_out(done)
