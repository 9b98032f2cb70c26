"""Market data beyond the core: price-kline variants, open interest, rate-limit and status reads.

Simplified where the stand-in has no such market: mark and index klines follow the trade
klines (the stand-in's mark tracks last), premium is zero, and the only liquidations are the
stand-in's own (an account's positions closed at mark), never an auto-deleverage.
"""

from __future__ import annotations

from aiohttp import web

from simexchange.errors import BinanceError, bad_symbol
from simexchange.market import SYMBOLS
from simexchange.rest import jsonr, kline_rows, public, signed

routes = web.RouteTableDef()
CONTRACT_TYPES = ("PERPETUAL", "CURRENT_QUARTER", "NEXT_QUARTER")


def _price_rows(rows: list[list], zero_premium: bool = False) -> list[list]:
    """Binance's price-kline row: OHLC, close time, volumes and counts reported as zero."""
    out = []
    for r in rows:
        o, h, lo, c = ("0.00000000",) * 4 if zero_premium else (r[1], r[2], r[3], r[4])
        out.append([r[0], o, h, lo, c, "0", r[6], "0", 0, "0", "0", "0"])
    return out


def _pair(p) -> str:
    """The required `pair` parameter, refused as Binance does when it is not listed."""
    pair = p.text("pair", required=True)
    if pair not in SYMBOLS:
        raise bad_symbol()
    return pair


async def _price_klines(
    request: web.Request, *, by_pair: bool = False, zero_premium: bool = False
) -> web.Response:
    """A price-kline read: the trade klines of `symbol` (or `pair`) in price-kline rows."""
    sim, p = await public(request)
    symbol = _pair(p) if by_pair else p.symbol()
    return jsonr(_price_rows(kline_rows(sim, p, symbol), zero_premium=zero_premium))


@routes.get("/fapi/v1/markPriceKlines")
async def mark_price_klines(request: web.Request) -> web.Response:
    return await _price_klines(request)


@routes.get("/fapi/v1/indexPriceKlines")
async def index_price_klines(request: web.Request) -> web.Response:
    return await _price_klines(request, by_pair=True)


@routes.get("/fapi/v1/premiumIndexKlines")
async def premium_index_klines(request: web.Request) -> web.Response:
    return await _price_klines(request, zero_premium=True)


@routes.get("/fapi/v1/continuousKlines")
async def continuous_klines(request: web.Request) -> web.Response:
    """Only perpetuals are listed: other contract types are refused as Binance does."""
    sim, p = await public(request)
    pair = _pair(p)
    ct = p.text("contractType", required=True)
    if ct not in CONTRACT_TYPES:
        raise BinanceError(-4144, "Invalid contract type.")
    if ct != "PERPETUAL":
        return jsonr([])
    return jsonr(kline_rows(sim, p, pair))


@routes.get("/fapi/v1/openInterest")
async def open_interest(request: web.Request) -> web.Response:
    """Open interest from the stand-in's own accounts: the sum of long positions."""
    sim, p = await public(request)
    sym = p.symbol()
    spec = SYMBOLS[sym]
    longs = [p.amt for acc in sim.accounts.values() for p in acc.symbol_positions(sym)]
    longs = [a for a in longs if a > 0]
    total = sum(longs, start=spec.step * 0)
    return jsonr(
        {"openInterest": f"{total.quantize(spec.step):f}", "symbol": sym, "time": sim.server_ms()}
    )


@routes.get("/fapi/v1/rateLimit/order")
async def rate_limit_order(request: web.Request) -> web.Response:
    """The account's order limits, the same values exchangeInfo lists."""
    await signed(request)
    return jsonr(
        [
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
        ]
    )


@routes.get("/fapi/v1/apiTradingStatus")
async def api_trading_status(request: web.Request) -> web.Response:
    """No quantitative-rule lock ever applies in the stand-in: no indicators are triggered."""
    sim, _, p = await signed(request)
    p.symbol(required=False)
    return jsonr({"indicators": {}, "updateTime": sim.server_ms()})


@routes.get("/fapi/v1/forceOrders")
async def force_orders(request: web.Request) -> web.Response:
    """The account's liquidation orders (`autoclose-…`), in Binance's forceOrders shape.

    Without `startTime` the 7 days before `endTime` (or now) are read, as documented; ADL
    never happens on the stand-in, so `autoCloseType=ADL` finds nothing.
    """
    sim, acc, p = await signed(request)
    sym = p.symbol(required=False)
    kind = p.text("autoCloseType")
    if kind is not None and kind not in ("LIQUIDATION", "ADL"):
        raise BinanceError(
            -1102, "Parameter 'autoCloseType' was not sent, was empty/null, or malformed."
        )
    limit = p.integer("limit", default=50)
    if not 1 <= limit <= 100:
        raise BinanceError(-1102, "Parameter 'limit' was not sent, was empty/null, or malformed.")
    end = p.integer("endTime")
    end = sim.server_ms() if end is None else end
    start = p.integer("startTime")
    start = end - 7 * 86_400_000 if start is None else start
    if start > end:
        raise BinanceError(-1023, "Start time is greater than end time.")
    rows = []
    for order in acc.orders.values():
        if order.type != "LIQUIDATION" or kind == "ADL":
            continue
        if (sym and order.symbol != sym) or not start <= order.time <= end:
            continue
        # Binance reports a liquidation here as the IOC LIMIT it sent at the bankruptcy price
        rows.append(order.to_api(with_time=True) | {"type": "LIMIT", "origType": "LIMIT"})
    return jsonr(rows[-limit:])


@routes.get("/fapi/v1/adlQuantile")
async def adl_quantile(request: web.Request) -> web.Response:
    """One row per symbol with a position; quantile 0 (the stand-in never auto-deleverages)."""
    _, acc, p = await signed(request)
    sym = p.symbol(required=False)
    rows = []
    held = sorted({pos.symbol for pos in acc.positions.values() if pos.amt})
    for s in held:
        if sym is None or s == sym:
            rows.append({"symbol": s, "adlQuantile": {"LONG": 0, "SHORT": 0, "BOTH": 0}})
    return jsonr(rows)
