"""Isolated margin transfer: `POST /fapi/v1/positionMargin` and its history, as Binance rules it.

Adding moves USDT from the cross wallet into one isolated position's margin (so its liquidation
price moves away); reducing moves it back, never below what keeps the position at its initial
margin. Each change is answered with Binance's body (amount as a JSON number), pushed as an
`ACCOUNT_UPDATE` with reason `MARGIN_TRANSFER` and kept in the account's history, which the
state file journals like trades.
"""

from __future__ import annotations

from decimal import Decimal

from aiohttp import web

from simexchange.accounts import D0, Account, Position
from simexchange.errors import BinanceError, malformed
from simexchange.hedge import INVALID_SIDE, SIDE_MISMATCH
from simexchange.matching import Engine, decimals_of
from simexchange.rest import Params, jsonr, signed

routes = web.RouteTableDef()

ADD, REDUCE = 1, 2
HISTORY_KEEP = 1000  # rows per account (Binance answers only the last 30 days)
THIRTY_DAYS_MS = 30 * 86_400_000
NOT_ISOLATED = (-4049, "Add margin only support for isolated position.")
NO_POSITION = (-4054, "Cannot add position margin: position is 0.")
NOT_POSITIVE = (-4055, "Amount must be positive.")
CROSS_SHORT = (-4050, "Cross balance insufficient.")
ISOLATED_SHORT = (-4051, "Isolated balance insufficient.")
SUCCESS_MSG = "Successfully modify position margin."


def removable(pos: Position, mark: Decimal) -> Decimal:
    """What may leave an isolated position: its margin less a loss, above the initial margin.

    Unrealized profit is not counted (it is not money yet), a loss is.
    """
    return max(D0, pos.isolated_wallet + min(D0, pos.unrealized(mark)) - pos.initial_margin(mark))


def position_side(acc: Account, p: Params) -> str:
    """BOTH in one-way mode; LONG or SHORT, and required, in hedge mode (-4060 / -4061)."""
    side = p.text("positionSide") or "BOTH"
    if side not in ("BOTH", "LONG", "SHORT"):
        raise BinanceError(*INVALID_SIDE)
    if acc.dual_side != (side != "BOTH"):
        raise BinanceError(*SIDE_MISMATCH)
    return side


def adjust(
    engine: Engine, acc: Account, *, symbol: str, side: str, amount: Decimal, kind: int
) -> None:
    """Move amount into (ADD) or out of (REDUCE) one isolated position's margin."""
    pos = acc.position(symbol, side)
    if pos.margin_type != "isolated":
        raise BinanceError(*NOT_ISOLATED)
    if amount <= 0:
        raise BinanceError(*NOT_POSITIVE)
    if not pos.amt:
        raise BinanceError(*NO_POSITION)
    marks = engine.marks()
    if kind == ADD:
        if amount > acc.summary(marks)["available"]:
            raise BinanceError(*CROSS_SHORT)
        pos.isolated_wallet += amount
    else:
        if amount > removable(pos, marks[symbol]):
            raise BinanceError(*ISOLATED_SHORT)
        pos.isolated_wallet -= amount
    now = engine.now_ms()
    pos.update_time = now
    acc.margin_history.append(
        {
            "symbol": symbol,
            "type": kind,
            "deltaType": "USER_ADJUST",
            "amount": f"{amount:f}",
            "asset": "USDT",
            "time": now,
            "positionSide": side,
        }
    )
    acc.margin_seq += 1
    if len(acc.margin_history) > HISTORY_KEEP:
        del acc.margin_history[: len(acc.margin_history) - HISTORY_KEEP]
    engine._account_event(acc, [pos], "MARGIN_TRANSFER")
    engine.changed()


@routes.post("/fapi/v1/positionMargin")
async def position_margin(request: web.Request) -> web.Response:
    sim, acc, p = await signed(request)
    symbol = p.symbol()
    amount = p.decimal("amount", required=True)
    if decimals_of(amount) > 8:
        raise BinanceError(-1111, "Precision is over the maximum defined for this asset.")
    kind = p.integer("type", required=True)
    if kind not in (ADD, REDUCE):
        raise BinanceError(-1130, "Data sent for parameter 'type' is not valid.")
    side = position_side(acc, p)
    adjust(sim.engine, acc, symbol=symbol, side=side, amount=amount, kind=kind)
    # Binance answers the amount as a JSON number here (strings everywhere else)
    return jsonr({"amount": float(amount), "code": 200, "msg": SUCCESS_MSG, "type": kind})


@routes.get("/fapi/v1/positionMargin/history")
async def position_margin_history(request: web.Request) -> web.Response:
    """Newest changes of one symbol, oldest first, within 30 days (Binance's window)."""
    sim, acc, p = await signed(request)
    symbol = p.symbol()
    kind = p.integer("type")
    if kind is not None and kind not in (ADD, REDUCE):
        raise malformed("type")
    limit = p.integer("limit", default=500)
    if not 1 <= limit <= 500:
        raise malformed("limit")
    now = sim.server_ms()
    start, end = p.integer("startTime"), p.integer("endTime")
    if start is not None and end is not None:
        if start > end:
            raise BinanceError(-1023, "Start time is greater than end time.")
        if end - start > THIRTY_DAYS_MS:
            raise BinanceError(-4165, "Maximum time interval is 30 days")
    start = max(start if start is not None else 0, now - THIRTY_DAYS_MS)
    end = end if end is not None else now
    rows = [
        r
        for r in acc.margin_history
        if r["symbol"] == symbol
        and (kind is None or r["type"] == kind)
        and start <= r["time"] <= end
    ]
    return jsonr(rows[-limit:])
