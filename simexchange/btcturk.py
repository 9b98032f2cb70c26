"""BTCTurk reads for the portfolio feature: public /api/v2/ticker and signed balances."""

from __future__ import annotations

import hmac
from decimal import Decimal

from aiohttp import web

from simexchange.auth import btcturk_sign
from simexchange.core import SIM_KEY, Sim

routes = web.RouteTableDef()

USDTTRY = Decimal("34.50")
PAIRS = {  # pair -> (numerator, denominator, futures symbol or None for USDT itself)
    "BTCTRY": ("BTC", "TRY", "BTCUSDT"),
    "ETHTRY": ("ETH", "TRY", "ETHUSDT"),
    "SOLTRY": ("SOL", "TRY", "SOLUSDT"),
    "BNBTRY": ("BNB", "TRY", "BNBUSDT"),
    "USDTTRY": ("USDT", "TRY", None),
    "BTCUSDT": ("BTC", "USDT", "BTCUSDT"),
}
ASSET_NAMES = {"TRY": "Türk Lirası", "BTC": "Bitcoin", "ETH": "Ethereum", "USDT": "Tether"}


def _envelope(data: object, status: int = 200, message: str | None = None, code: int = 0):
    return web.json_response(
        {"data": data, "success": status == 200, "message": message, "code": code},
        status=status,
    )


def pair_price(sim: Sim, pair: str) -> Decimal:
    num, den, fut = PAIRS[pair]
    usdt = sim.markets[fut].last if fut else Decimal(1)
    return usdt * (USDTTRY if den == "TRY" else Decimal(1))


def _ticker(sim: Sim, pair: str) -> dict:
    num, den, _ = PAIRS[pair]
    last = float(round(pair_price(sim, pair), 2))
    opened = round(last * 0.99, 2)
    return {
        "pair": pair,
        "pairNormalized": f"{num}_{den}",
        "timestamp": sim.server_ms(),
        "last": last,
        "high": round(last * 1.02, 2),
        "low": round(last * 0.97, 2),
        "bid": round(last * 0.9999, 2),
        "ask": round(last * 1.0001, 2),
        "open": opened,
        "volume": 123.456,
        "average": round(last * 0.995, 2),
        "daily": round(last - opened, 2),
        "dailyPercent": round((last - opened) / opened * 100, 2) if opened else 0.0,
        "denominatorSymbol": den,
        "numeratorSymbol": num,
        "order": 1000 + list(PAIRS).index(pair),
    }


@routes.get("/api/v2/ticker")
async def ticker(request: web.Request) -> web.Response:
    sim = request.app[SIM_KEY]
    raw = request.query.get("pairSymbol")
    if raw:
        pair = raw.replace("_", "").upper()
        if pair not in PAIRS:
            return _envelope(None, 400, "Invalid pair symbol", 400)  # BTCTurk: 400 + message
        return _envelope([_ticker(sim, pair)])
    return _envelope([_ticker(sim, p) for p in PAIRS])


@routes.get("/api/v1/users/balances")
async def balances(request: web.Request) -> web.Response:
    sim = request.app[SIM_KEY]
    pub = request.headers.get("X-PCK", "")
    stamp = request.headers.get("X-Stamp", "")
    sig = request.headers.get("X-Signature", "")
    account = sim.btcturk.get(pub)
    if account is None or not (stamp.isascii() and stamp.isdigit()) or not sig:
        return _envelope(None, 401, "Unauthorized", 401)
    if abs(int(stamp) - sim.server_ms()) > 60_000:
        return _envelope(None, 401, "Unauthorized: X-Stamp is too far from server time", 401)
    if not hmac.compare_digest(btcturk_sign(pub, stamp, account["secret"]), sig):
        return _envelope(None, 401, "Unauthorized: invalid signature", 401)
    rows = []
    for asset, amount in sorted(account["balances"].items()):
        text = f"{amount:f}"
        rows.append(
            {
                "asset": asset,
                "assetname": ASSET_NAMES.get(asset, asset),
                "balance": text,
                "locked": "0",
                "free": text,
                "orderFund": "0",
                "requestFund": "0",
                "precision": 2 if asset == "TRY" else 8,
                "timestamp": sim.server_ms(),
            }
        )
    return _envelope(rows)
