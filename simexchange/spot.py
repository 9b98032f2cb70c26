"""Binance Spot reads for the portfolio feature: signed /api/v3/account and /api/v3/ticker/price."""

from __future__ import annotations

import json
from decimal import Decimal

from aiohttp import web

from simexchange.auth import Request, verify_signed
from simexchange.core import SIM_KEY, Sim
from simexchange.errors import BinanceError, malformed

routes = web.RouteTableDef()

# Spot pairs priced from the futures feed (quote per base); USDC is pinned near par.
SPOT_PAIRS = {
    "BTCUSDT": ("BTCUSDT", None),
    "ETHUSDT": ("ETHUSDT", None),
    "SOLUSDT": ("SOLUSDT", None),
    "BNBUSDT": ("BNBUSDT", None),
    "ETHBTC": ("ETHUSDT", "BTCUSDT"),
    "BNBBTC": ("BNBUSDT", "BTCUSDT"),
    "SOLBTC": ("SOLUSDT", "BTCUSDT"),
    "USDCUSDT": (None, None),
}


def spot_price(sim: Sim, symbol: str) -> Decimal:
    base, quote = SPOT_PAIRS[symbol]
    if base is None:
        return Decimal("1.00000000")
    p = sim.markets[base].last
    if quote:
        p = p / sim.markets[quote].last
    return p.quantize(Decimal("0.00000001"))


@routes.get("/api/v3/ticker/price")
async def ticker_price(request: web.Request) -> web.Response:
    sim = request.app[SIM_KEY]
    req = await Request.read(request)
    sym = req.params.get("symbol")
    syms_raw = req.params.get("symbols")
    if sym and syms_raw:
        raise BinanceError(-1106, "Parameter 'symbols' sent when not required.")
    if sym:
        if sym not in SPOT_PAIRS:
            raise BinanceError(-1121, "Invalid symbol.")
        return web.json_response({"symbol": sym, "price": f"{spot_price(sim, sym):f}"})
    if syms_raw:
        try:
            syms = json.loads(syms_raw)
        except ValueError as exc:
            raise malformed("symbols") from exc
        if not isinstance(syms, list) or not all(isinstance(s, str) for s in syms) or not syms:
            raise malformed("symbols")
        if any(s not in SPOT_PAIRS for s in syms):
            raise BinanceError(-1121, "Invalid symbol.")
    else:
        syms = list(SPOT_PAIRS)
    return web.json_response([{"symbol": s, "price": f"{spot_price(sim, s):f}"} for s in syms])


@routes.get("/api/v3/account")
async def account(request: web.Request) -> web.Response:
    sim = request.app[SIM_KEY]
    req = await Request.read(request)
    key = verify_signed(request, req, sim.keys, sim.server_ms())
    acc = sim.account(key)
    omit = req.params.get("omitZeroBalances", "false").lower()
    if omit not in ("true", "false"):
        raise malformed("omitZeroBalances")
    assets = sorted(set(acc.spot) | set(acc.spot_locked))
    balances = []
    for a in assets:
        free = acc.spot.get(a, Decimal(0))
        locked = acc.spot_locked.get(a, Decimal(0))
        if omit == "true" and not free and not locked:
            continue
        balances.append(
            {
                "asset": a,
                "free": f"{free.quantize(Decimal('0.00000001')):f}",
                "locked": f"{locked.quantize(Decimal('0.00000001')):f}",
            }
        )
    return web.json_response(
        {
            "makerCommission": 10,
            "takerCommission": 10,
            "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {
                "maker": "0.00100000",
                "taker": "0.00100000",
                "buyer": "0.00000000",
                "seller": "0.00000000",
            },
            "canTrade": True,
            "canWithdraw": True,
            "canDeposit": True,
            "brokered": False,
            "requireSelfTradePrevention": False,
            "preventSor": False,
            "updateTime": acc.update_time,
            "accountType": "SPOT",
            "balances": balances,
            "permissions": ["SPOT"],
            "uid": 354937868 + sorted(sim.keys).index(key),
        }
    )
