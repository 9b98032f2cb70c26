"""Binance's money endpoints (fundingRate, fundingInfo, income, commissionRate) and their knobs.

The control routes `POST /_sim/funding` (set a symbol's rate) and `POST /_sim/funding/settle`
(settle now) let tests skip the 8-hour wait.
"""

from __future__ import annotations

from aiohttp import web

from simexchange.accounts import MAKER_FEE, TAKER_FEE
from simexchange.control import ControlError, control_decimal, control_symbol, handler, json_body
from simexchange.core import Sim
from simexchange.errors import malformed
from simexchange.funding import RATE_CAP, rate_str
from simexchange.market import SYMBOLS
from simexchange.rest import jsonr, public, signed

routes = web.RouteTableDef()
WEEK_MS = 7 * 86_400_000
INCOME_TYPES = (
    "TRANSFER",
    "WELCOME_BONUS",
    "REALIZED_PNL",
    "FUNDING_FEE",
    "COMMISSION",
    "INSURANCE_CLEAR",
    "REFERRAL_KICKBACK",
    "COMMISSION_REBATE",
    "API_REBATE",
    "CONTEST_REWARD",
    "CROSS_COLLATERAL_TRANSFER",
    "OPTIONS_PREMIUM_FEE",
    "OPTIONS_SETTLE_PROFIT",
    "INTERNAL_TRANSFER",
    "AUTO_EXCHANGE",
    "DELIVERED_SETTELMENT",
    "COIN_SWAP_DEPOSIT",
    "COIN_SWAP_WITHDRAW",
    "POSITION_LIMIT_INCREASE_FEE",
    "STRATEGY_UMFUTURES_TRANSFER",
    "FEE_RETURN",
    "BFUSD_REWARD",
)


def _limit(p, default: int = 100) -> int:
    limit = p.integer("limit", default=default)
    if not 1 <= limit <= 1000:
        raise malformed("limit")
    return limit


@routes.get("/fapi/v1/fundingRate")
async def funding_rate(request: web.Request) -> web.Response:
    """Settled rates, ascending; without times the most recent `limit`, else from startTime."""
    sim, p = await public(request)
    sym = p.symbol(required=False)
    limit = _limit(p)
    start, end = p.integer("startTime"), p.integer("endTime")
    rows = [h for h in sim.funding.history if sym is None or h["symbol"] == sym]
    if start is None and end is None:
        return jsonr(rows[-limit:])
    rows = [
        h
        for h in rows
        if (start is None or h["fundingTime"] >= start) and (end is None or h["fundingTime"] <= end)
    ]
    return jsonr(rows[:limit] if start is not None else rows[-limit:])


@routes.get("/fapi/v1/fundingInfo")
async def funding_info(request: web.Request) -> web.Response:
    """Every symbol with its cap, floor and 8-hour interval (the stand-in lists them all)."""
    await public(request)
    return jsonr(
        [
            {
                "symbol": s,
                "adjustedFundingRateCap": rate_str(RATE_CAP),
                "adjustedFundingRateFloor": rate_str(-RATE_CAP),
                "fundingIntervalHours": 8,
                "disclaimer": False,
            }
            for s in SYMBOLS
        ]
    )


@routes.get("/fapi/v1/income")
async def income(request: web.Request) -> web.Response:
    """Binance's filters and paging; neither time sent means the last seven days."""
    sim, acc, p = await signed(request)
    sym = p.symbol(required=False)
    kind = p.choice("incomeType", INCOME_TYPES)
    limit = _limit(p)
    page = p.integer("page", default=1)
    if page < 1:
        raise malformed("page")
    start, end = p.integer("startTime"), p.integer("endTime")
    now = sim.server_ms()
    if start is None and end is None:
        start, end = now - WEEK_MS, now
    elif start is None:
        start = end - WEEK_MS
    elif end is None:
        end = now
    rows = [
        r
        for r in sim.funding.income_rows(acc)
        if (sym is None or r["symbol"] == sym)
        and (kind is None or r["incomeType"] == kind)
        and start <= r["time"] <= end
    ]
    return jsonr(rows[(page - 1) * limit : page * limit])


@routes.get("/fapi/v1/commissionRate")
async def commission_rate(request: web.Request) -> web.Response:
    _, _, p = await signed(request)
    return jsonr(
        {
            "symbol": p.symbol(),
            "makerCommissionRate": f"{MAKER_FEE:f}",
            "takerCommissionRate": f"{TAKER_FEE:f}",
        }
    )


# ---------------------------------------------------------------- control knobs


@routes.post("/_sim/funding")
@handler
async def set_rate(request: web.Request, sim: Sim) -> web.Response:
    """{"symbol", "rate"}: the rate the next settlements use (within ±0.75 %)."""
    data = await json_body(request)
    sym = control_symbol(data)
    if "rate" not in data:
        raise ControlError("rate is required")
    try:
        sim.funding.set_rate(sym, control_decimal(data["rate"], "rate"))
    except ValueError as exc:
        raise ControlError(str(exc)) from exc
    return web.json_response({"symbol": sym, "rate": rate_str(sim.funding.rate(sym))})


@routes.post("/_sim/funding/settle")
@handler
async def settle_now(request: web.Request, sim: Sim) -> web.Response:
    """Settle one symbol ({"symbol"}) or all of them now, at the current server time."""
    data = await json_body(request)
    symbols = [control_symbol(data)] if data.get("symbol") is not None else list(SYMBOLS)
    rows = sim.funding.settle(symbols, sim.funding.now())
    return web.json_response({"settled": symbols, "income": rows})
