"""An order's size given as USDT notional or as a percentage of the available balance, turned
into a quantity on the server (the order form's three ways to say how much).

Rounding, stated in every answer's `sized`: quantity = notional / reference price, rounded
DOWN to the symbol's step (LOT_SIZE, or MARKET_LOT_SIZE for market-type orders), so the order
never exceeds what was asked. The reference price is the one the exchange's MIN_NOTIONAL check
uses (futures/binance/filters.py): the limit price of a LIMIT order, else the trigger price,
else the mark price. A percentage is of the available balance, as margin: notional =
available x percent / 100 x the symbol's leverage (Binance's own order-form slider).
Decimal throughout; no float ever touches a size.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_CEILING, Decimal

from django.conf import settings

from futures.binance.errors import ExchangeFilterError
from futures.binance.filters import floor_to_step
from futures.binance.rest import client_from_settings
from futures.models import PositionSnapshot
from spark_site.errors import ValidationFailed
from spark_site.exchange_env import current_environment

SIZE_FIELDS = ("quantity", "quoteQuantity", "balancePercent")
MARKET_TYPES = frozenset({"MARKET", "STOP_MARKET", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"})
CENT = Decimal("0.01")


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def symbol_leverage(client, symbol: str) -> int:
    """The symbol's leverage: the stored position row's, else the exchange's, else 1."""
    return symbol_settings(client, symbol)[0]


def symbol_settings(client, symbol: str) -> tuple[int, str | None]:
    """(leverage, "cross" | "isolated" | None) of symbol: the stored row's, else the exchange's."""
    row = PositionSnapshot.objects.filter(environment=current_environment(), symbol=symbol).first()
    if row is not None and row.leverage and row.margin_type:
        return int(row.leverage), row.margin_type
    for p in client.positions(symbol):
        if p.get("symbol") == symbol and p.get("leverage") not in (None, ""):
            margin = str(p.get("marginType") or "").lower() or None
            return int(p["leverage"]), margin
    return (int(row.leverage) if row is not None and row.leverage else 1), None


def sized_request(request):
    """Return (request with its quantity, what the sizing did or None); exactly one size field.

    Raises 422 naming the field: none or several size fields, an unknown symbol, a size that
    rounds to nothing or below the symbol's minimum notional (with the smallest that passes).
    """
    given = {
        name: value
        for name, value in zip(
            SIZE_FIELDS,
            (request.quantity, request.quote_quantity, request.balance_percent),
            strict=True,
        )
        if value is not None
    }
    if len(given) != 1:
        raise ValidationFailed(
            "Give the size one way: quantity, quoteQuantity (USDT) or balancePercent.",
            details={
                "fields": [
                    {"field": name, "message": "give exactly one of the three"}
                    for name in (given or SIZE_FIELDS)
                ]
            },
        )
    ((field, value),) = given.items()
    if field == "quantity":
        return request, None
    if request.close_position:
        raise ValidationFailed(
            "A closePosition order has no size to give.",
            details={"fields": [{"field": field, "message": "not with closePosition"}]},
        )
    symbol = request.symbol.upper()
    client = client_from_settings()
    filters = client.symbol_filters(symbol)
    if filters is None:
        raise ValidationFailed(
            "%(symbol)s is not a symbol the exchange trades.",
            params={"symbol": symbol},
            details={"fields": [{"field": "symbol", "message": "unknown"}]},
        )
    mark = client.mark_price(symbol, max_age=float(settings.SPARK_MARK_PRICE_MAX_AGE))
    reference = (
        (request.price if request.type not in MARKET_TYPES else None)
        or request.stop_price
        or request.activation_price
        or mark
    )
    sized: dict = {"from": field, "requested": _plain(value), "price": _plain(reference)}
    if field == "quoteQuantity":
        notional = value
    else:
        available = Decimal(str(client.account().get("availableBalance", "0")))
        leverage = symbol_leverage(client, symbol)
        notional = available * value / 100 * leverage
        sized.update(availableBalance=_plain(available), leverage=leverage)
    market = request.type in MARKET_TYPES
    step = filters.market_step_size if market else filters.step_size
    quantity = floor_to_step(notional / reference, step)
    sized.update(
        notional=_plain(notional.quantize(CENT)),
        quantity=_plain(quantity),
        step=_plain(step),
        rounding=f"down to the step {_plain(step)}",
    )
    minimum = filters.min_notional if not request.reduce_only else Decimal(0)
    if quantity <= 0 or quantity * reference < minimum:
        _too_small(filters, field, value, notional, quantity, reference, step, sized)
    return replace(request, quantity=quantity), sized


def _too_small(filters, field, value, notional, quantity, reference, step, sized) -> None:
    """Raise FILTER_REJECTED naming the size field and the smallest size that passes."""
    need_qty = max(
        (filters.min_notional / reference / step).to_integral_value(rounding=ROUND_CEILING) * step,
        step,
    )
    need_notional = (need_qty * reference).quantize(CENT, rounding=ROUND_CEILING)
    if field == "quoteQuantity":
        smallest = need_notional
        hint = f"give at least {_plain(smallest)} USDT"
    else:
        per_percent = notional / value  # USDT of notional per percent of the balance
        smallest = (
            (need_notional / per_percent).quantize(CENT, rounding=ROUND_CEILING)
            if per_percent > 0
            else None
        )
        hint = f"give at least {_plain(smallest)} %" if smallest else "the balance is empty"
    exc = ExchangeFilterError(
        "MIN_NOTIONAL",
        f"{field} {_plain(value)} makes {_plain(quantity)} {filters.symbol} = "
        f"{_plain((quantity * reference).quantize(CENT))} USDT at {_plain(reference)} (rounded "
        f"down to the step {_plain(step)}), below the minimum notional "
        f"{_plain(filters.min_notional)} USDT: {hint}.",
        limit=filters.min_notional,
        value=(quantity * reference).quantize(CENT),
    )
    exc.details["fields"] = [{"field": field, "message": hint}]
    exc.details["sized"] = sized
    if smallest is not None:
        exc.details["smallest"] = _plain(smallest)
    raise exc
