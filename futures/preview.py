"""What an order would be before it is sent: rounded size, notional, initial margin, estimated
liquidation price from Binance's leverage brackets, fee, and every risk rule it would hit.

Nothing is stored, sent or locked: it is the order form's live preview, so a trader sees the
rule they would break before pressing the button, not after. Everything follows the order's
side: the liquidation is of the one-way position after a fill (a short's above its entry, a
long's below; an order against the held position shrinks, closes or flips it).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from accounts.permissions import require
from futures import sizing
from futures.binance.errors import ExchangeFilterError
from futures.binance.filters import check_order
from futures.binance.rest import client_from_settings
from futures.models import ZERO, PositionSnapshot
from futures.services import NOT_LISTED, OrderRequest, gate_intent, rounded_fields, validate_shape
from risk import gate
from risk.models import RiskLimits
from spark_site.exchange_env import current_environment

CENT = Decimal("0.01")


def _bracket(client, symbol: str, notional: Decimal) -> dict | None:
    rows = client.leverage_brackets(symbol)
    brackets = next((r["brackets"] for r in rows if r["symbol"] == symbol), [])
    return next(
        (b for b in brackets if b["notionalFloor"] <= notional < b["notionalCap"]),
        brackets[-1] if brackets else None,
    )


LIMIT_PRICED = frozenset({"LIMIT", "STOP", "TAKE_PROFIT"})


@dataclass(frozen=True)
class After:
    """The one-way position after the order fills, and the margin the order itself needs."""

    before: Decimal  # signed
    amount: Decimal  # signed: negative = short
    entry: Decimal
    margin: Decimal  # the position's margin after the fill
    needed: Decimal  # the initial margin of this order (0 for what only closes)


def resulting_position(
    *, held, side: str, quantity: Decimal, price: Decimal, leverage: int
) -> After:
    """The position after a fill of quantity at price, from the held PositionSnapshot (or flat).

    Same side (or flat): sizes add, entry is their weighted average, margins add. The other
    side: it shrinks (entry kept, margin in proportion, no new margin), closes (flat), or flips
    (the excess opens at price with its own margin). A held position's margin is its isolated
    margin, else (cross) its initial margin at the leverage: the estimate treats a cross
    position as isolated, so the real liquidation of a cross position is farther away.
    """
    s = 1 if side == "BUY" else -1
    amt = held.position_amt if held is not None else ZERO
    held_entry = held.entry_price if held is not None else ZERO
    held_margin = ZERO
    if amt:
        held_margin = (
            held.isolated_margin
            if held.margin_type == "isolated" and held.isolated_margin > 0
            else abs(amt) * held_entry / leverage
        )
    after = amt + s * quantity
    if not amt or (amt > 0) == (s > 0):
        needed = quantity * price / leverage
        entry = (abs(amt) * held_entry + quantity * price) / abs(after)
        return After(amt, after, entry, held_margin + needed, needed)
    if not after:
        return After(amt, ZERO, ZERO, ZERO, ZERO)
    if (after > 0) == (amt > 0):
        return After(amt, after, held_entry, held_margin * abs(after) / abs(amt), ZERO)
    needed = abs(after) * price / leverage
    return After(amt, after, price, needed, needed)


def liquidation_estimate(
    *, side: str, quantity: Decimal, price: Decimal, margin: Decimal, bracket: dict
) -> Decimal | None:
    """Binance's isolated liquidation price of a position opened from flat with margin.

    LP = (WB + cum - s*Q*P) / (Q*MMR - s*Q), s = 1 long / -1 short (one-way mode).
    """
    s = 1 if side == "BUY" else -1
    mmr, cum = bracket["maintMarginRatio"], bracket["cum"]
    denominator = quantity * mmr - s * quantity
    if denominator == 0:
        return None
    value = (margin + cum - s * quantity * price) / denominator
    return max(value, ZERO).quantize(CENT)


@dataclass(frozen=True)
class Preview:
    """What the order would be (futures/schemas.py preview_out shapes it for the order form)."""

    symbol: str
    side: str
    type: str
    quantity: Decimal  # rounded to the symbol's step when the filters passed
    price: Decimal  # its price, else the mark
    mark_price: Decimal
    notional: Decimal
    leverage: int | None
    margin_type: str | None
    initial_margin: Decimal
    maint_margin_ratio: Decimal | None  # of the leverage bracket of the position after a fill
    position_before: Decimal  # the one-way position, signed
    position_after: Decimal  # after a fill (the liquidation is this one's)
    liquidation: Decimal | None
    fee: Decimal
    rounded: list[dict]
    sized: dict | None
    filter_error: dict | None  # the exchange filter the order breaks, if any
    decision: gate.Decision


def order_preview(*, user, request: OrderRequest) -> Preview:
    """The preview of one order (see the module docstring); raises only for bad input."""
    symbol = request.symbol.upper()
    require(user, "futures.place_order", action="order.preview", target=symbol)
    request, sized = sizing.sized_request(request)  # USDT or % of the balance -> quantity
    validate_shape(request)
    client = client_from_settings()
    filters = client.symbol_filters(symbol)
    if filters is None:
        raise ExchangeFilterError(
            "SYMBOL", NOT_LISTED, limit="listed", value=symbol, params={"symbol": symbol}
        )
    mark = client.mark_price(symbol, max_age=float(settings.SPARK_MARK_PRICE_MAX_AGE))
    filter_error = None
    try:
        checked = check_order(
            filters,
            side=request.side,
            type=request.type,
            quantity=request.quantity,
            price=request.price,
            stop_price=request.stop_price,
            mark_price=mark,
            reduce_only=request.reduce_only,
        )
    except ExchangeFilterError as exc:
        filter_error = {"code": exc.code, "message": exc.message, "details": exc.details}
        checked = None
    quantity = checked.quantity if checked else request.quantity
    price = (checked.price if checked else request.price) or mark
    notional = quantity * (price if request.type == "LIMIT" else mark)
    leverage, margin_type = sizing.symbol_settings(client, symbol)
    # Where it would fill: its limit price, else its trigger, else the mark.
    trigger = (checked.stop_price if checked else request.stop_price) or request.activation_price
    entry = price if request.type in LIMIT_PRICED else (trigger or mark)
    # The position of the order's side: BOTH one-way, LONG or SHORT in hedge mode.
    held = PositionSnapshot.objects.filter(
        environment=current_environment(), symbol=symbol, position_side=request.position_side
    ).first()
    after = resulting_position(
        held=held, side=request.side, quantity=quantity, price=entry, leverage=leverage
    )
    margin = after.needed if held is not None and held.position_amt else notional / leverage
    bracket = _bracket(client, symbol, abs(after.amount) * after.entry) if after.amount else None
    liquidation = (
        liquidation_estimate(
            side="BUY" if after.amount > 0 else "SELL",
            quantity=abs(after.amount),
            price=after.entry,
            margin=after.margin,
            bracket=bracket,
        )
        if bracket is not None and not request.reduce_only
        else None
    )
    decision = gate.evaluate(
        gate_intent(
            current_environment(),
            symbol=symbol,
            side=request.side,
            position_side=request.position_side,
            reducing=request.reduce_only,
            quantity=quantity,
            price=price if request.type == "LIMIT" else None,
            mark=mark,
            dry_run=request.dry_run,
        ),
        limits=RiskLimits.load(),
    )
    fee = notional * Decimal(str(settings.SPARK_DRY_RUN_TAKER_FEE))
    return Preview(
        symbol=symbol,
        side=request.side,
        type=request.type,
        quantity=quantity,
        price=price,
        mark_price=mark,
        notional=notional.quantize(CENT),
        leverage=leverage,
        margin_type=margin_type,
        initial_margin=margin.quantize(CENT),
        maint_margin_ratio=bracket["maintMarginRatio"] if bracket else None,
        position_before=after.before,
        position_after=after.amount,
        liquidation=liquidation,
        fee=fee.quantize(Decimal("0.0001")),
        rounded=rounded_fields(request, checked) if checked else [],
        sized=sized,
        filter_error=filter_error,
        decision=decision,
    )
