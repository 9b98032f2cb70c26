"""Public trade lists (`trades`, `historicalTrades`, `aggTrades`) read from each symbol's tape.

The tape holds every public trade the stand-in prints: the feed's synthetic trades, control
price moves and the fills of every account. Each trade is its own aggregate (`a` = `f` = `l`
= the trade id), the ids the `@trade` / `@aggTrade` streams carry.
"""

from __future__ import annotations

from aiohttp import web

from simexchange.auth import api_key_of
from simexchange.errors import BinanceError, malformed
from simexchange.market import SymbolState
from simexchange.rest import Params, jsonr, public

routes = web.RouteTableDef()
HOUR_MS = 3_600_000


def _limit(p: Params, default: int, most: int) -> int:
    limit = p.integer("limit", default=default)
    assert limit is not None
    if not 1 <= limit <= most:
        raise malformed("limit")
    return limit


def _trade_row(st: SymbolState, row: tuple) -> dict:
    tid, ms, price, qty, buyer_maker = row
    quote = (price * qty).normalize()
    return {
        "id": tid,
        "price": st.spec.fmt_price(price),
        "qty": st.spec.fmt_qty(qty),
        "quoteQty": f"{quote:f}",
        "time": ms,
        "isBuyerMaker": buyer_maker,
        "isRPITrade": False,
    }


@routes.get("/fapi/v1/trades")
async def recent_trades(request: web.Request) -> web.Response:
    sim, p = await public(request)
    st = sim.markets[p.symbol()]
    limit = _limit(p, 500, 1000)
    rows = list(st.tape)[-limit:]
    return jsonr([_trade_row(st, r) for r in rows])


@routes.get("/fapi/v1/historicalTrades")
async def historical_trades(request: web.Request) -> web.Response:
    """MARKET_DATA: an API key is needed (no signature), as on Binance."""
    sim, p = await public(request)
    api_key_of(request, sim.keys)
    st = sim.markets[p.symbol()]
    limit = _limit(p, 100, 500)
    from_id = p.integer("fromId")
    rows = list(st.tape)
    rows = rows[-limit:] if from_id is None else [r for r in rows if r[0] >= from_id][:limit]
    return jsonr([_trade_row(st, r) for r in rows])


@routes.get("/fapi/v1/aggTrades")
async def agg_trades(request: web.Request) -> web.Response:
    sim, p = await public(request)
    st = sim.markets[p.symbol()]
    limit = _limit(p, 500, 1000)
    from_id = p.integer("fromId")
    start, end = p.integer("startTime"), p.integer("endTime")
    if start is not None and end is not None:
        if start > end:
            raise BinanceError(-1023, "Start time is greater than end time.")
        if end - start > HOUR_MS:
            raise BinanceError(-1127, "More than 1 hours between startTime and endTime.")
    rows = list(st.tape)
    if from_id is not None:
        rows = [r for r in rows if r[0] >= from_id]
    if start is not None:
        rows = [r for r in rows if r[1] >= start]
    if end is not None:
        rows = [r for r in rows if r[1] <= end]
    rows = rows[:limit] if from_id is not None or start is not None else rows[-limit:]
    spec = st.spec
    return jsonr(
        [
            {
                "a": tid,
                "p": spec.fmt_price(price),
                "q": spec.fmt_qty(qty),
                "f": tid,
                "l": tid,
                "T": ms,
                "m": maker,
            }
            for tid, ms, price, qty, maker in rows
        ]
    )
