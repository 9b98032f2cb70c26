"""Account settings bots read at start-up: leverage brackets and the multi-assets mode."""

from __future__ import annotations

from aiohttp import web

from simexchange import brackets
from simexchange.errors import BinanceError
from simexchange.market import SYMBOLS
from simexchange.rest import jsonr, signed

routes = web.RouteTableDef()
ALREADY_SET = "Adjusted asset mode is currently set and does not need to be adjusted repeatedly."


@routes.get("/fapi/v1/leverageBracket")
async def leverage_bracket(request: web.Request) -> web.Response:
    """A list of every symbol's brackets, or one object when `symbol` is sent (as documented)."""
    _, _, p = await signed(request)
    sym = p.symbol(required=False)
    if sym is not None:
        return jsonr(brackets.to_api(sym))
    return jsonr([brackets.to_api(s) for s in SYMBOLS])


@routes.get("/fapi/v1/multiAssetsMargin")
async def multi_assets_get(request: web.Request) -> web.Response:
    _, acc, _ = await signed(request)
    return jsonr({"multiAssetsMargin": acc.multi_assets})


@routes.post("/fapi/v1/multiAssetsMargin")
async def multi_assets_post(request: web.Request) -> web.Response:
    """Record the mode; margin stays USDT-only (simplified), the flag is what clients read."""
    _, acc, p = await signed(request)
    wanted = p.boolean("multiAssetsMargin", required=True)
    if wanted == acc.multi_assets:
        raise BinanceError(-4171, ALREADY_SET)
    acc.multi_assets = wanted
    return jsonr({"code": 200, "msg": "success"})
