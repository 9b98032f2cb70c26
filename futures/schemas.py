"""Request and answer shapes of the futures API (camelCase names, decimals as strings)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AwareDatetime, ConfigDict

from futures.models import PRICE, AttachState, Fill, Order
from spark_site.answers import Answer
from spark_site.money import Money, StrictBool, decimal_text

if TYPE_CHECKING:
    from futures.chart import Klines
    from futures.income import IncomeSynced
    from futures.position_actions import MarginChanged
    from futures.preview import Preview
    from futures.services import (
        CancelAllResult,
        ExchangeHealth,
        LeverageChanged,
        MarginTypeChanged,
    )

SYMBOL = r"^[A-Z0-9]{2,20}$"
CLIENT_ORDER_ID = r"^[\.A-Z\:/a-z0-9_-]{1,36}$"
# Whatever passes fits the Order columns (quantity, price, stop_price) on PostgreSQL.
Positive = Money(**PRICE, gt=0)
# Binance: 0.1 to 10 percent in steps of 0.1 (checked again, with the step, by the service).
CallbackRate = Money(max_digits=3, decimal_places=1, ge=Decimal("0.1"), le=Decimal("10"))
# Size as USDT notional or as a percentage of the available balance (futures/sizing.py).
QuoteQuantity = Money(max_digits=20, decimal_places=8, gt=0)
BalancePercent = Money(max_digits=5, decimal_places=2, gt=0, le=100)


class OrderFields(Schema):
    """What an order is: order.place's body and each item of a batch."""

    symbol: str = Field(..., pattern=SYMBOL)
    side: Literal["BUY", "SELL"]
    type: Literal[
        "LIMIT",
        "MARKET",
        "STOP",
        "STOP_MARKET",
        "TAKE_PROFIT",
        "TAKE_PROFIT_MARKET",
        "TRAILING_STOP_MARKET",
    ]
    # The size, exactly one way: contracts, USDT notional, or % of the available balance.
    quantity: Positive | None = None
    quoteQuantity: QuoteQuantity | None = None
    balancePercent: BalancePercent | None = None
    price: Positive | None = None
    stopPrice: Positive | None = None
    timeInForce: Literal["GTC", "IOC", "FOK", "GTX"] | None = None
    reduceOnly: StrictBool = False
    # The position the order opens or closes: absent or BOTH on a one-way account, LONG or
    # SHORT (required) on a hedge-mode one (checked against the mode read from the exchange).
    positionSide: Literal["BOTH", "LONG", "SHORT"] | None = None
    # STOP_MARKET / TAKE_PROFIT_MARKET closing the whole position (quantity is not sent).
    closePosition: StrictBool = False
    callbackRate: CallbackRate | None = None
    activationPrice: Positive | None = None
    clientOrderId: str | None = Field(None, pattern=CLIENT_ORDER_ID)


class OrderIn(OrderFields):
    # Dry-run unless the caller sends the JSON boolean false; "false", 0 or null are 422.
    dryRun: StrictBool = True
    # TP/SL attached to an entry: placed on the position at the entry's first fill.
    takeProfit: Positive | None = None
    stopLoss: Positive | None = None


class BatchOrderIn(OrderFields):
    """One order of a batch: OrderIn's fields less dryRun (the batch's) and attached TP/SL
    (a batch carries its TP/SL as items of their own); anything else is refused."""

    model_config = {"extra": "forbid"}


class BatchIn(Schema):
    # 1 to 5 orders (Binance's batchOrders limit); a 6th is 422, nothing placed.
    orders: list[BatchOrderIn] = Field(..., min_length=1, max_length=5)
    # Dry-run unless the caller sends the JSON boolean false, for every item at once.
    dryRun: StrictBool = True

    model_config = {"extra": "forbid"}


# Position actions derive two client ids from one (`<id>-tp`, `<id>-sl`): 3 characters fewer.
CLIENT_ID_PREFIX = r"^[\.A-Z\:/a-z0-9_-]{1,33}$"


class PositionCloseIn(Schema):
    symbol: str = Field(..., pattern=SYMBOL)
    # Which position on a hedge-mode account: LONG or SHORT (required there); absent or BOTH
    # on a one-way one. Checked against the mode read from the exchange, as order.place is.
    positionSide: Literal["BOTH", "LONG", "SHORT"] | None = None
    # Omitted: the whole position. A part is never bigger than the position (422).
    quantity: Positive | None = None
    clientOrderId: str | None = Field(None, pattern=CLIENT_ORDER_ID)
    dryRun: StrictBool = True


class PositionProtectIn(Schema):
    symbol: str = Field(..., pattern=SYMBOL)
    # Which position on a hedge-mode account: LONG or SHORT (required there); absent or BOTH
    # on a one-way one. Checked against the mode read from the exchange, as order.place is.
    positionSide: Literal["BOTH", "LONG", "SHORT"] | None = None
    takeProfit: Positive | None = None
    stopLoss: Positive | None = None
    clientOrderId: str | None = Field(None, pattern=CLIENT_ID_PREFIX)
    dryRun: StrictBool = True


class TrailingIn(Schema):
    symbol: str = Field(..., pattern=SYMBOL)
    # Which position on a hedge-mode account: LONG or SHORT (required there); absent or BOTH
    # on a one-way one. Checked against the mode read from the exchange, as order.place is.
    positionSide: Literal["BOTH", "LONG", "SHORT"] | None = None
    callbackRate: CallbackRate
    activationPrice: Positive | None = None
    quantity: Positive | None = None
    clientOrderId: str | None = Field(None, pattern=CLIENT_ORDER_ID)
    dryRun: StrictBool = True


class ModifyIn(Schema):
    symbol: str = Field(..., pattern=SYMBOL)
    clientOrderId: str | None = Field(None, pattern=CLIENT_ORDER_ID)
    orderId: int | None = Field(None, gt=0, le=2**63 - 1)
    price: Positive | None = None
    quantity: Positive | None = None


class PositionMarginIn(Schema):
    symbol: str = Field(..., pattern=SYMBOL)
    # Which position on a hedge-mode account: LONG or SHORT (required there); absent or BOTH
    # on a one-way one. Checked against the mode read from the exchange, as order.place is.
    positionSide: Literal["BOTH", "LONG", "SHORT"] | None = None
    amount: Positive
    type: Literal["ADD", "REDUCE"]


class CancelIn(Schema):
    symbol: str = Field(..., pattern=SYMBOL)
    clientOrderId: str | None = Field(None, pattern=CLIENT_ORDER_ID)
    # Binance order ids are int64: a larger one is 422 here, not a malformed call to the exchange.
    orderId: int | None = Field(None, gt=0, le=2**63 - 1)


class CancelAllIn(Schema):
    # One symbol, or every symbol with allSymbols true (never both, never neither: 422).
    symbol: str | None = Field(None, pattern=SYMBOL)
    allSymbols: StrictBool = False


class LeverageIn(Schema):
    symbol: str = Field(..., pattern=SYMBOL)
    leverage: int = Field(..., ge=1, le=125)


class MarginTypeIn(Schema):
    symbol: str = Field(..., pattern=SYMBOL)
    marginType: Literal["ISOLATED", "CROSSED"]


class LedgerSyncIn(Schema):
    # Times with a zone (ISO 8601); both optional: from the newest booked entry to now.
    startTime: AwareDatetime | None = None
    endTime: AwareDatetime | None = None


# ---------------------------------------------------------------------------------- answers


# The answers are declared here, so the OpenAPI document says what each route returns and
# ninja checks it: a key the shaping functions below forget is a 500 in the tests, not a silently
# different answer. Decimals are strings (decimal_text), times ISO 8601 strings, as before.
# Free-form parts (the risk decision, the exchange's own answers) stay dict[str, Any].
Decimals = str | None
Number = int | float  # an int stays an int (1, not 1.0) in the answer


class FillOut(Answer):
    tradeId: int
    price: Decimals
    qty: Decimals
    commission: Decimals
    commissionAsset: str
    realizedPnl: Decimals
    isMaker: bool
    simulated: bool
    tradedAt: str


class OrderOut(Answer):
    """A stored order as order_out() shapes it."""

    model_config = ConfigDict(extra="forbid")

    clientOrderId: str
    orderId: int | None
    algoId: int | None
    isAlgo: bool
    environment: str
    symbol: str
    side: str
    type: str
    timeInForce: str | None
    quantity: Decimals
    price: Decimals
    stopPrice: Decimals
    reduceOnly: bool
    positionSide: Literal["BOTH", "LONG", "SHORT"]
    closePosition: bool
    callbackRate: Decimals
    activationPrice: Decimals
    dryRun: bool
    status: str
    filledQty: Decimals
    avgPrice: Decimals
    source: str
    user: str | None
    # The exchange's or Spark's refusal as stored ({code, message, binanceCode, ...}).
    error: dict[str, Any] | None
    createdAt: str
    updatedAt: str


class OrderFillsOut(OrderOut):
    fills: list[FillOut]


class RemoteAlgoOut(Answer):
    """An open conditional order the exchange has and this app has no row for."""

    model_config = ConfigDict(extra="forbid")

    clientOrderId: str | None
    algoId: int | None
    isAlgo: bool
    symbol: str | None
    side: str | None
    type: str | None
    quantity: str | None
    stopPrice: str | None
    status: str | None


class RoundedOut(Answer):
    field: str
    requested: str
    sent: str


class ProtectionOut(Answer):
    takeProfit: Decimals
    stopLoss: Decimals
    state: str
    orders: list[OrderOut]


class PlacedOut(Answer):
    """An order placed by order.place or a position action."""

    dryRun: bool
    executed: str
    created: bool
    message: str
    order: OrderOut
    risk: dict[str, Any]
    simulatedFill: dict[str, Any] | None = None
    rounded: list[RoundedOut] = []
    # An entry's attached TP/SL: prices, state (pending, placed, failed, ...) and orders.
    protection: ProtectionOut | None = None
    # quoteQuantity / balancePercent: what was asked, the price used and the quantity it became
    sized: dict[str, Any] | None = None


class BatchItemOut(PlacedOut):
    # The item's refusal by the exchange ({code, message, ...}), None when it was placed.
    error: dict[str, Any] | None = None


class BatchOut(Answer):
    orders: list[BatchItemOut]


class ProtectOut(Answer):
    placed: list[PlacedOut]
    replaced: list[OrderOut]


class PriceQty(Answer):
    price: str | None
    quantity: str | None


class ModifyOut(Answer):
    order: OrderOut
    old: PriceQty
    new: PriceQty
    rounded: list[RoundedOut]


class PositionMarginOut(Answer):
    symbol: str
    type: Literal["ADD", "REDUCE"]
    amount: str
    isolatedMargin: str | None
    liquidationPrice: str | None
    positionSide: Literal["BOTH", "LONG", "SHORT"] = "BOTH"


class CancelAllOut(Answer):
    symbol: str | None
    scope: Literal["own", "all"]
    # {clientOrderId, status, owner}, plus symbol when allSymbols was asked
    cancelled: list[dict[str, Any]]


class CancelOut(Answer):
    order: OrderOut


class OrderDetailOut(Answer):
    order: OrderFillsOut
    risk: dict[str, Any] | None


class OpenOrdersOut(Answer):
    environment: str
    orders: list[Annotated[OrderOut | RemoteAlgoOut, Field(union_mode="left_to_right")]]


class PositionModeOut(Answer):
    mode: Literal["hedge", "one-way"]
    dualSidePosition: bool
    checkedAt: str
    source: str
    # hedge mode's side positions, as the exchange gave them
    sidePositions: list[dict[str, Any]]


class ExchangeHealthOut(Answer):
    environment: str
    baseUrl: str
    backoffSeconds: Number
    status: str
    serverTime: int
    latencyMs: Number
    clockOffsetMs: Number
    rateLimitRemaining: int | None
    dryRunDefault: bool
    positionMode: PositionModeOut | None


class AssetOut(Answer):
    asset: str | None
    walletBalance: str | None
    availableBalance: str | None
    unrealizedProfit: str | None


class AccountOut(Answer):
    environment: str
    walletBalance: Decimals
    availableBalance: Decimals
    marginBalance: Decimals
    unrealizedPnl: Decimals
    maintMargin: Decimals
    marginRatio: Decimals
    assets: list[AssetOut]
    updatedAt: str
    positionMode: PositionModeOut | None


class PositionOut(Answer):
    """One position: one per symbol and side (BOTH one-way; LONG and SHORT in hedge mode)."""

    model_config = ConfigDict(extra="forbid")

    symbol: str
    positionSide: Literal["BOTH", "LONG", "SHORT"]
    positionAmt: Decimals
    side: Literal["LONG", "SHORT"]
    entryPrice: Decimals
    markPrice: Decimals
    unrealizedPnl: Decimals
    liquidationPrice: Decimals
    leverage: int
    marginType: str
    updatedAt: str


class PositionsOut(Answer):
    environment: str
    positionMode: PositionModeOut | None
    positions: list[PositionOut]


class RateOut(Answer):
    symbol: str
    markPrice: Decimals
    indexPrice: Decimals
    lastFundingRate: Decimals
    nextFundingTime: int
    time: int


class RatesOut(Answer):
    rates: list[RateOut]


class BarOut(Answer):
    t: int
    o: str
    h: str
    l: str  # noqa: E741 (the chart library's name for the low)
    c: str
    v: str


class KlinesOut(Answer):
    symbol: str
    interval: str
    intervalMs: int
    live: str
    bars: list[BarOut]


class PositionBeforeAfter(Answer):
    before: Decimals
    after: Decimals


class PreviewRiskOut(Answer):
    allowed: bool
    rules: list[dict[str, Any]]


class PreviewOut(Answer):
    symbol: str
    side: str
    type: str
    quantity: Decimals
    price: Decimals
    markPrice: Decimals
    notional: Decimals
    leverage: int | None
    marginType: str | None
    initialMargin: Decimals
    maintMarginRatio: Decimals
    position: PositionBeforeAfter
    estLiquidationPrice: Decimals
    estFee: Decimals
    rounded: list[RoundedOut]
    sized: dict[str, Any] | None
    filter: dict[str, Any] | None
    risk: PreviewRiskOut


class LeverageOut(Answer):
    symbol: str
    leverage: int
    raw: dict[str, Any]  # the exchange's answer


class MarginTypeOut(Answer):
    symbol: str
    marginType: Literal["ISOLATED", "CROSSED"]
    unchanged: bool


class LedgerSyncOut(Answer):
    environment: str
    startTime: int
    endTime: int
    rows: int
    booked: int
    fills: int
    pending: int


# A decimal as a plain string without trailing zeros ("0.002", never "2E-3").
s = decimal_text


def fill_out(fill: Fill) -> dict[str, Any]:
    return {
        "tradeId": fill.trade_id,
        "price": s(fill.price),
        "qty": s(fill.qty),
        "commission": s(fill.commission),
        "commissionAsset": fill.commission_asset,
        "realizedPnl": s(fill.realized_pnl),
        "isMaker": fill.is_maker,
        "simulated": fill.simulated,
        "tradedAt": fill.traded_at.isoformat(),
    }


def order_out(order: Order, *, fills: bool = False) -> dict[str, Any]:
    out = {
        "clientOrderId": order.client_order_id,
        "orderId": order.exchange_order_id,
        "algoId": order.algo_id,
        "isAlgo": order.is_algo,
        "environment": order.environment,
        "symbol": order.symbol,
        "side": order.side,
        "type": order.type,
        "timeInForce": order.time_in_force or None,
        "quantity": s(order.quantity),
        "price": s(order.price),
        "stopPrice": s(order.stop_price),
        "reduceOnly": order.reduce_only,
        "positionSide": order.position_side,
        "closePosition": order.close_position,
        "callbackRate": s(order.callback_rate),
        "activationPrice": s(order.activation_price),
        "dryRun": order.dry_run,
        "status": order.status,
        "filledQty": s(order.filled_qty),
        "avgPrice": s(order.avg_price),
        "source": order.source,
        "user": order.user.get_username() if order.user_id else None,
        "error": order.error or None,
        "createdAt": order.created_at.isoformat(),
        "updatedAt": order.updated_at.isoformat(),
    }
    if fills:
        out["fills"] = [fill_out(f) for f in order.fills.all()]
    return out


def mode_out(mode) -> dict[str, Any] | None:
    """The position mode as the answers show it (None when never read)."""
    return mode.as_dict() if mode is not None else None


def account_out(read) -> dict[str, Any]:
    """services.AccountRead as GET /futures/account answers it."""
    snap = read.snapshot
    return {
        "environment": snap.environment,
        "walletBalance": s(snap.wallet_balance),
        "availableBalance": s(snap.available_balance),
        "marginBalance": s(snap.margin_balance),
        "unrealizedPnl": s(snap.unrealized_pnl),
        "maintMargin": s(snap.maint_margin),
        "marginRatio": s(snap.margin_ratio),
        "assets": [
            {
                "asset": a.get("asset"),
                "walletBalance": a.get("walletBalance"),
                "availableBalance": a.get("availableBalance"),
                "unrealizedProfit": a.get("unrealizedProfit"),
            }
            for a in read.assets
        ],
        "updatedAt": snap.updated_at.isoformat(),
        "positionMode": mode_out(read.mode),
    }


def positions_out(read) -> dict[str, Any]:
    """services.PositionsRead as GET /futures/positions answers it."""
    return {
        "environment": read.environment,
        "positionMode": mode_out(read.mode),
        "positions": [
            {
                "symbol": r.symbol,
                "positionSide": r.position_side,
                "positionAmt": s(r.position_amt),
                # BOTH: by its sign; a hedge row is the side it is
                "side": r.position_side
                if r.position_side != "BOTH"
                else ("LONG" if r.position_amt > 0 else "SHORT"),
                "entryPrice": s(r.entry_price),
                "markPrice": s(r.mark_price),
                "unrealizedPnl": s(r.unrealized_pnl),
                "liquidationPrice": s(r.liquidation_price),
                "leverage": r.leverage,
                "marginType": r.margin_type,
                "updatedAt": r.updated_at.isoformat(),
            }
            for r in read.rows
        ],
    }


def health_out(health: ExchangeHealth) -> dict[str, Any]:
    """services.ExchangeHealth as GET /futures/health answers it."""
    return {
        "environment": health.environment,
        "baseUrl": health.base_url,
        "backoffSeconds": health.backoff_seconds,
        "status": "ok",
        "serverTime": health.server_time,
        "latencyMs": health.latency_ms,
        "clockOffsetMs": health.clock_offset_ms,
        "rateLimitRemaining": health.rate_limit_remaining,
        "dryRunDefault": True,  # every order route's dryRun default
        "positionMode": mode_out(health.mode),
    }


def rates_out(rows: list[dict]) -> dict[str, Any]:
    """The exchange's premiumIndex rows as GET /futures/premiumIndex answers them."""
    return {
        "rates": [
            {
                "symbol": row["symbol"],
                "markPrice": s(row.get("markPrice")),
                "indexPrice": s(row.get("indexPrice")),
                "lastFundingRate": s(row.get("lastFundingRate")),
                "nextFundingTime": int(row.get("nextFundingTime") or 0),
                "time": int(row.get("time") or 0),
            }
            for row in rows
        ]
    }


def klines_out(klines: Klines) -> dict[str, Any]:
    """chart.Klines as GET /futures/klines answers them (prices stay the exchange's strings)."""
    return {
        "symbol": klines.symbol,
        "interval": klines.interval,
        "intervalMs": klines.interval_ms,
        "live": klines.live,
        "bars": [
            {
                "t": int(row[0]),
                "o": str(row[1]),
                "h": str(row[2]),
                "l": str(row[3]),
                "c": str(row[4]),
                "v": str(row[5]),
            }
            for row in klines.rows
        ],
    }


def remote_algo_out(remote: dict) -> dict[str, Any]:
    """An open algo order of the exchange with no row here (its own field names mapped)."""
    return {
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


def preview_out(p: Preview) -> dict[str, Any]:
    """preview.Preview as POST /futures/order.preview answers it."""
    return {
        "symbol": p.symbol,
        "side": p.side,
        "type": p.type,
        "quantity": s(p.quantity),
        "price": s(p.price),
        "markPrice": s(p.mark_price),
        "notional": s(p.notional),
        "leverage": p.leverage,
        "marginType": p.margin_type,
        "initialMargin": s(p.initial_margin),
        "maintMarginRatio": s(p.maint_margin_ratio),
        # the one-way position before and after a fill (the liquidation is the one after)
        "position": {"before": s(p.position_before), "after": s(p.position_after)},
        "estLiquidationPrice": s(p.liquidation),
        "estFee": s(p.fee),
        "rounded": p.rounded,
        "sized": p.sized,
        "filter": p.filter_error,
        "risk": {"allowed": p.decision.allowed, "rules": p.decision.rules},
    }


def margin_changed_out(done: MarginChanged) -> dict[str, Any]:
    """position_actions.MarginChanged as POST /futures/positionMargin answers it."""
    row = done.position
    return {
        "symbol": done.symbol,
        "type": done.type,
        "amount": s(done.amount),
        "isolatedMargin": s(row.isolated_margin) if row else None,
        "liquidationPrice": s(row.liquidation_price) if row else None,
        "positionSide": done.position_side,
    }


def cancel_all_out(result: CancelAllResult) -> dict[str, Any]:
    """services.CancelAllResult as POST /futures/order.cancelAll answers it."""

    def entry(c) -> dict[str, Any]:
        out = {"clientOrderId": c.client_order_id, "status": c.status, "owner": c.owner}
        return out if c.symbol is None else {**out, "symbol": c.symbol}

    return {
        "symbol": result.symbol,
        "scope": result.scope,
        "cancelled": [entry(c) for c in result.cancelled],
    }


def leverage_out(done: LeverageChanged) -> dict[str, Any]:
    return {"symbol": done.symbol, "leverage": done.leverage, "raw": done.raw}


def margin_type_out(done: MarginTypeChanged) -> dict[str, Any]:
    return {"symbol": done.symbol, "marginType": done.margin_type, "unchanged": done.unchanged}


def ledger_sync_out(done: IncomeSynced) -> dict[str, Any]:
    """income.IncomeSynced as POST /futures/ledger/sync answers it."""
    return {
        "environment": done.environment,
        "startTime": done.start_ms,
        "endTime": done.end_ms,
        "rows": done.rows,
        "booked": done.booked,
        "fills": done.fills,
        "pending": done.pending,
    }


def protection_out(entry: Order) -> dict[str, Any] | None:
    """An entry's attached TP/SL as the API shows it (None when it has none)."""
    if entry.attach_state == AttachState.NONE:
        return None
    return {
        "takeProfit": s(entry.attach_take_profit),
        "stopLoss": s(entry.attach_stop_loss),
        "state": entry.attach_state,
    }
