"""`/futures/data/*` statistics, simplified from the stand-in's own accounts and trade bars.

Binance samples open interest and long/short ratios every period; the stand-in keeps no such
history, so every row reports today's positions (the value column follows each period's close
price). Taker volumes are real per period: the kline bars' taker-buy and total volume. Only
the last 30 days answer, as on Binance; field names and string values are Binance's.
"""

from __future__ import annotations

from decimal import Decimal

from aiohttp import web

from simexchange.accounts import D0
from simexchange.core import Sim
from simexchange.errors import malformed
from simexchange.market import INTERVAL_MS
from simexchange.rest import Params, jsonr, public

routes = web.RouteTableDef()
PERIODS = ("5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d")
DAYS_30_MS = 30 * 86_400_000
Q4 = Decimal("0.0001")
Q8 = Decimal("0.00000001")


def _periods(sim: Sim, p: Params) -> tuple[str, int, list[int]]:
    """Symbol, period length and the period-end timestamps to answer (ascending)."""
    sym = p.symbol()
    assert sym is not None
    period = p.text("period", required=True)
    if period not in PERIODS:
        raise malformed("period")
    limit = p.integer("limit", default=30)
    assert limit is not None
    if not 1 <= limit <= 500:
        raise malformed("limit")
    ms = INTERVAL_MS[period]
    now = sim.server_ms()
    oldest = now - DAYS_30_MS + 1  # strictly within the last 30 days
    start, end = p.integer("startTime"), p.integer("endTime")
    last = now - now % ms
    if end is not None:
        last = min(last, end - end % ms)
    first = max(oldest + (-oldest) % ms, start + (-start) % ms if start is not None else 0)
    stamps = list(range(first, last + 1, ms)) if first <= last else []
    stamps = stamps[:limit] if start is not None and end is None else stamps[-limit:]
    return sym, ms, stamps


def _f(value: Decimal, q: Decimal = Q4) -> str:
    return f"{value.quantize(q):f}"


def _account_split(sim: Sim, sym: str, by_size: bool) -> tuple[str, str, str]:
    """(ratio, long share, short share) of accounts, or of position size when by_size."""
    long = short = D0
    for acc in sim.accounts.values():
        for pos in acc.symbol_positions(sym):  # one row (one-way) or LONG and SHORT (hedge)
            if not pos.amt:
                continue
            weight = abs(pos.amt) if by_size else Decimal(1)
            if pos.amt > 0:
                long += weight
            else:
                short += weight
    total = long + short
    if not total:
        return "1.0000", "0.5000", "0.5000"
    ratio = long / short if short else long  # no shorts at all: the long total itself
    return _f(ratio), _f(long / total), _f(short / total)


def _ratio_rows(sim: Sim, p: Params, by_size: bool) -> list[dict]:
    sym, _, stamps = _periods(sim, p)
    ratio, long, short = _account_split(sim, sym, by_size)
    return [
        {
            "symbol": sym,
            "longShortRatio": ratio,
            "longAccount": long,
            "shortAccount": short,
            "timestamp": t,
        }
        for t in stamps
    ]


@routes.get("/futures/data/openInterestHist")
async def open_interest_hist(request: web.Request) -> web.Response:
    sim, p = await public(request)
    sym, ms, stamps = _periods(sim, p)
    st = sim.markets[sym]
    # as /fapi/v1/openInterest: the sum of the stand-in's long positions
    longs = sum(
        (max(p.amt, D0) for a in sim.accounts.values() for p in a.symbol_positions(sym)),
        start=D0,
    )
    now = sim.server_ms()
    rows = []
    for t in stamps:
        close = Decimal(st.kline(t - ms, ms, now)[4])
        rows.append(
            {
                "symbol": sym,
                "sumOpenInterest": _f(longs, Q8),
                "sumOpenInterestValue": _f(longs * close, Q8),
                "timestamp": t,
            }
        )
    return jsonr(rows)


@routes.get("/futures/data/globalLongShortAccountRatio")
async def global_ratio(request: web.Request) -> web.Response:
    sim, p = await public(request)
    return jsonr(_ratio_rows(sim, p, by_size=False))


@routes.get("/futures/data/topLongShortAccountRatio")
async def top_account_ratio(request: web.Request) -> web.Response:
    """Every stand-in account counts as a top trader."""
    sim, p = await public(request)
    return jsonr(_ratio_rows(sim, p, by_size=False))


@routes.get("/futures/data/topLongShortPositionRatio")
async def top_position_ratio(request: web.Request) -> web.Response:
    sim, p = await public(request)
    return jsonr(_ratio_rows(sim, p, by_size=True))


@routes.get("/futures/data/takerlongshortRatio")
async def taker_ratio(request: web.Request) -> web.Response:
    """Taker buy and sell volume of each period from the kline bars (history or live)."""
    sim, p = await public(request)
    sym, ms, stamps = _periods(sim, p)
    st = sim.markets[sym]
    now = sim.server_ms()
    rows = []
    for t in stamps:
        bar = st.kline(t - ms, ms, now)
        buy = Decimal(bar[9])
        sell = Decimal(bar[5]) - buy
        rows.append(
            {
                "buySellRatio": _f(buy / sell) if sell else "0.0000",
                "buyVol": _f(buy),
                "sellVol": _f(sell),
                "timestamp": t,
            }
        )
    return jsonr(rows)
