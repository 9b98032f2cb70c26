"""Pre-flight order validation from exchange info: a named filter error, never a raw -1111."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.utils.translation import gettext_noop

from futures.binance.errors import ExchangeFilterError

ZERO = Decimal("0")


@dataclass(frozen=True)
class SymbolFilters:
    """The filters of one symbol, as Decimals (0 disables a bound, like Binance)."""

    symbol: str
    status: str
    min_price: Decimal
    max_price: Decimal
    tick_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    step_size: Decimal
    market_min_qty: Decimal
    market_max_qty: Decimal
    market_step_size: Decimal
    min_notional: Decimal
    multiplier_up: Decimal
    multiplier_down: Decimal


def parse_exchange_info(info: dict) -> dict[str, SymbolFilters]:
    """Map symbol -> SymbolFilters from a /fapi/v1/exchangeInfo answer."""
    out: dict[str, SymbolFilters] = {}
    for sym in info.get("symbols", []):
        f = {flt.get("filterType"): flt for flt in sym.get("filters", [])}
        price = f.get("PRICE_FILTER", {})
        lot = f.get("LOT_SIZE", {})
        market = f.get("MARKET_LOT_SIZE", lot)
        pct = f.get("PERCENT_PRICE", {})
        out[sym["symbol"]] = SymbolFilters(
            symbol=sym["symbol"],
            status=sym.get("status", "TRADING"),
            min_price=_d(price.get("minPrice")),
            max_price=_d(price.get("maxPrice")),
            tick_size=_d(price.get("tickSize")),
            min_qty=_d(lot.get("minQty")),
            max_qty=_d(lot.get("maxQty")),
            step_size=_d(lot.get("stepSize")),
            market_min_qty=_d(market.get("minQty")),
            market_max_qty=_d(market.get("maxQty")),
            market_step_size=_d(market.get("stepSize")),
            min_notional=_d(f.get("MIN_NOTIONAL", {}).get("notional")),
            multiplier_up=_d(pct.get("multiplierUp")),
            multiplier_down=_d(pct.get("multiplierDown")),
        )
    return out


def _d(value) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else ZERO


def floor_to_step(value: Decimal, step: Decimal) -> Decimal:
    """Round value down to a multiple of step (no float artefacts, no exponent)."""
    if step <= 0:
        return value
    return ((value / step).to_integral_value(rounding=ROUND_FLOOR) * step).quantize(step)


def round_price(value: Decimal, tick: Decimal, *, side: str) -> Decimal:
    """Round a price to the tick, never in the trader's disfavour: BUY down, SELL up."""
    if tick <= 0:
        return value
    mode = ROUND_FLOOR if side == "BUY" else ROUND_CEILING
    return ((value / tick).to_integral_value(rounding=mode) * tick).quantize(tick)


@dataclass(frozen=True)
class Checked:
    """A validated order's values, rounded to the symbol's grid."""

    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    notional: Decimal


# A message is a template with its values apart (spark_site.error_messages).
MIN_NOTIONAL_AT_MARK = gettext_noop(
    "Order notional %(notional)s is below the minimum %(min)s of %(symbol)s (mark price %(price)s)."
)
MIN_NOTIONAL_AT_PRICE = gettext_noop(
    "Order notional %(notional)s is below the minimum %(min)s of %(symbol)s (order price "
    "%(price)s)."
)


def check_order(
    f: SymbolFilters,
    *,
    side: str,
    type: str,
    quantity: Decimal,
    price: Decimal | None,
    stop_price: Decimal | None,
    mark_price: Decimal,
    reduce_only: bool,
) -> Checked:
    """Round quantity and prices to the grid and enforce every filter; raise the named one."""
    if f.status != "TRADING":
        raise ExchangeFilterError(
            "SYMBOL_STATUS",
            gettext_noop("%(symbol)s is not trading (%(status)s)."),
            limit="TRADING",
            value=f.status,
            params={"symbol": f.symbol, "status": f.status},
        )
    is_market = type in ("MARKET", "STOP_MARKET", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET")
    step, lo, hi, name = (
        (f.market_step_size, f.market_min_qty, f.market_max_qty, "MARKET_LOT_SIZE")
        if is_market
        else (f.step_size, f.min_qty, f.max_qty, "LOT_SIZE")
    )
    qty = floor_to_step(quantity, step)
    if qty <= 0 or (lo > 0 and qty < lo):
        raise ExchangeFilterError(
            name,
            gettext_noop(
                "Quantity %(quantity)s is below the minimum %(min)s of %(symbol)s (step %(step)s) "
                "after rounding down to %(rounded)s."
            ),
            limit=lo,
            value=quantity,
            params={
                "quantity": quantity,
                "min": lo,
                "symbol": f.symbol,
                "step": step,
                "rounded": qty,
            },
        )
    if hi > 0 and qty > hi:
        raise ExchangeFilterError(
            name,
            gettext_noop("Quantity %(quantity)s is above the maximum %(max)s of %(symbol)s."),
            limit=hi,
            value=qty,
            params={"quantity": qty, "max": hi, "symbol": f.symbol},
        )
    rounded_price = _check_price(f, price, side=side) if price is not None else None
    rounded_stop = _check_price(f, stop_price, side=side) if stop_price is not None else None
    if rounded_price is not None and not is_market and mark_price > 0:
        _check_percent_price(f, rounded_price, side=side, mark=mark_price)
    ref = rounded_price if (rounded_price is not None and not is_market) else None
    ref = ref or rounded_stop or mark_price
    notional = qty * ref
    if not reduce_only and f.min_notional > 0 and notional < f.min_notional:
        raise ExchangeFilterError(
            "MIN_NOTIONAL",
            MIN_NOTIONAL_AT_MARK if ref == mark_price else MIN_NOTIONAL_AT_PRICE,
            limit=f.min_notional,
            value=notional.quantize(Decimal("0.01")),
            params={
                "notional": notional.normalize(),
                "min": f.min_notional,
                "symbol": f.symbol,
                "price": ref,
            },
        )
    return Checked(quantity=qty, price=rounded_price, stop_price=rounded_stop, notional=notional)


def _check_price(f: SymbolFilters, price: Decimal, *, side: str) -> Decimal:
    rounded = round_price(price, f.tick_size, side=side)
    if rounded <= 0 or (f.min_price > 0 and rounded < f.min_price):
        raise ExchangeFilterError(
            "PRICE_FILTER",
            gettext_noop("Price %(price)s is below the minimum %(min)s of %(symbol)s."),
            limit=f.min_price,
            value=price,
            params={"price": price, "min": f.min_price, "symbol": f.symbol},
        )
    if f.max_price > 0 and rounded > f.max_price:
        raise ExchangeFilterError(
            "PRICE_FILTER",
            gettext_noop("Price %(price)s is above the maximum %(max)s of %(symbol)s."),
            limit=f.max_price,
            value=price,
            params={"price": price, "max": f.max_price, "symbol": f.symbol},
        )
    return rounded


def _check_percent_price(f: SymbolFilters, price: Decimal, *, side: str, mark: Decimal) -> None:
    if side == "BUY" and f.multiplier_up > 0 and price > mark * f.multiplier_up:
        limit = (mark * f.multiplier_up).quantize(f.tick_size or Decimal("0.01"))
        raise ExchangeFilterError(
            "PERCENT_PRICE",
            gettext_noop("BUY price %(price)s is more than %(times)sx the mark price %(mark)s."),
            limit=limit,
            value=price,
            params={"price": price, "times": f.multiplier_up, "mark": mark},
        )
    if side == "SELL" and f.multiplier_down > 0 and price < mark * f.multiplier_down:
        limit = (mark * f.multiplier_down).quantize(f.tick_size or Decimal("0.01"))
        raise ExchangeFilterError(
            "PERCENT_PRICE",
            gettext_noop("SELL price %(price)s is less than %(times)sx the mark price %(mark)s."),
            limit=limit,
            value=price,
            params={"price": price, "times": f.multiplier_down, "mark": mark},
        )
