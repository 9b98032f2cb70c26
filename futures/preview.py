"""What an order would be before it is sent: rounded size, notional, initial margin, estimated
liquidation price from Binance's leverage brackets, fee, and every risk rule it would hit.

Nothing is stored, sent or locked: it is the order form's live preview, so a trader sees the
rule they would break before pressing the button, not after.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from accounts.permissions import require
from futures import selectors
from futures.binance.errors import ExchangeFilterError
from futures.binance.filters import check_order
from futures.binance.rest import client_from_settings
from futures.models import ZERO, PositionSnapshot
from futures.services import OrderRequest, _rounded, _validate_shape
from risk import gate
from risk.models import RiskLimits
from spark_site.exchange_env import current_environment
from spark_site.money import decimal_text

CENT = Decimal("0.01")


def _leverage(client, symbol: str) -> int:
    row = PositionSnapshot.objects.filter(environment=current_environment(), symbol=symbol).first()
    if row is not None and row.leverage:
        return int(row.leverage)
    for p in client.positions(symbol):
        if p.get("symbol") == symbol and p.get("leverage") not in (None, ""):
            return int(p["leverage"])
    return 1


def _bracket(client, symbol: str, notional: Decimal) -> dict | None:
    rows = client.leverage_brackets(symbol)
    brackets = next((r["brackets"] for r in rows if r["symbol"] == symbol), [])
    return next(
        (b for b in brackets if b["notionalFloor"] <= notional < b["notionalCap"]),
        brackets[-1] if brackets else None,
    )


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


def order_preview(*, user, request: OrderRequest) -> dict:
    """The preview of one order (see the module docstring); raises only for bad input."""
    symbol = request.symbol.upper()
    require(user, "futures.place_order", action="order.preview", target=symbol)
    _validate_shape(request)
    client = client_from_settings()
    filters = client.symbol_filters(symbol)
    if filters is None:
        raise ExchangeFilterError(
            "SYMBOL", f"{symbol} is not a symbol of the exchange.", limit="listed", value=symbol
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
    leverage = _leverage(client, symbol)
    margin = notional / leverage
    bracket = _bracket(client, symbol, notional)
    liquidation = (
        liquidation_estimate(
            side=request.side, quantity=quantity, price=price, margin=margin, bracket=bracket
        )
        if bracket is not None and not request.reduce_only
        else None
    )
    seen = selectors.exposure(current_environment(), symbol, request.side)
    decision = gate.evaluate(
        gate.OrderIntent(
            symbol=symbol,
            side=request.side,
            quantity=quantity,
            price=price if request.type == "LIMIT" else None,
            mark_price=mark,
            reduce_only=request.reduce_only,
            position_amt=seen.estimate if request.reduce_only else seen.position,
            open_same_side_qty=seen.open_qty,
            dry_run=request.dry_run,
        ),
        limits=RiskLimits.load(),
    )
    fee = notional * Decimal(str(settings.SPARK_DRY_RUN_TAKER_FEE))
    return {
        "symbol": symbol,
        "side": request.side,
        "type": request.type,
        "quantity": decimal_text(quantity),
        "price": decimal_text(price),
        "markPrice": decimal_text(mark),
        "notional": decimal_text(notional.quantize(CENT)),
        "leverage": leverage,
        "initialMargin": decimal_text(margin.quantize(CENT)),
        "maintMarginRatio": decimal_text(bracket["maintMarginRatio"]) if bracket else None,
        "estLiquidationPrice": decimal_text(liquidation),
        "estFee": decimal_text(fee.quantize(Decimal("0.0001"))),
        "rounded": _rounded(request, checked) if checked else [],
        "filter": filter_error,
        "risk": {"allowed": decision.allowed, "rules": decision.rules},
    }
