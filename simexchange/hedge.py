"""Position mode: one-way (BOTH) or hedge (LONG and SHORT kept apart), as Binance rules it.

The mode is per account and covers every symbol. It changes only on a flat account with no open
orders; in hedge mode every order names its side (LONG/SHORT), takes no reduceOnly (a SELL of
LONG or a BUY of SHORT closes), and positions are reported one row per side.
"""

from __future__ import annotations

from aiohttp import web

from simexchange.accounts import Account
from simexchange.errors import BinanceError
from simexchange.rest import Params, jsonr, signed

routes = web.RouteTableDef()

NO_CHANGE = (-4059, "No need to change position side.")
OPEN_ORDERS = (-4067, "Position side cannot be changed if there exists open orders.")
HAS_POSITION = (-4068, "Position side cannot be changed if there exists position.")
INVALID_SIDE = (-4060, "Invalid position side.")
SIDE_MISMATCH = (-4061, "Order's position side does not match user's setting.")
REDUCE_ONLY_SENT = (-1106, "Parameter 'reduceonly' sent when not required.")


def order_position_side(acc: Account, p: Params) -> str:
    """The positionSide of a new order, checked against the account's mode (Binance's codes)."""
    raw = p.text("positionSide")
    side = raw or "BOTH"
    if side not in ("BOTH", "LONG", "SHORT"):
        raise BinanceError(*INVALID_SIDE)
    if acc.dual_side != (side != "BOTH"):
        raise BinanceError(*SIDE_MISMATCH)
    # Binance refuses the parameter itself in hedge mode, even reduceOnly=false
    if acc.dual_side and p.text("reduceOnly") is not None:
        raise BinanceError(*REDUCE_ONLY_SENT)
    return side


def check_close_position(position_side: str, side: str, order_type: str) -> None:
    """closePosition in hedge mode closes a side: never BUY+LONG or SELL+SHORT (-4136)."""
    if (position_side, side) in (("LONG", "BUY"), ("SHORT", "SELL")):
        raise BinanceError(
            -4136, f"Target strategy invalid for orderType {order_type},closePosition true"
        )


@routes.get("/fapi/v1/positionSide/dual")
async def dual_get(request: web.Request) -> web.Response:
    _, acc, _ = await signed(request)
    return jsonr({"dualSidePosition": acc.dual_side})


@routes.post("/fapi/v1/positionSide/dual")
async def dual_post(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    wanted = p.boolean("dualSidePosition", required=True)
    if wanted == acc.dual_side:
        raise BinanceError(*NO_CHANGE)
    if acc.open_orders() or acc.open_algos():
        raise BinanceError(*OPEN_ORDERS)
    if any(pos.amt for pos in acc.positions.values()):
        raise BinanceError(*HAS_POSITION)
    acc.dual_side = wanted
    sim.engine.changed()
    return jsonr({"code": 200, "msg": "success"})
