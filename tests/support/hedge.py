"""A hedge-mode stand-in from a test's side: switch it, open sides, read what each side holds."""

from __future__ import annotations

from decimal import Decimal

from futures.position_mode import position_mode_forget

SYMBOL = "ETHUSDT"
# Each position action's path: a body part it needs, and the audit action of its refusals.
ACTIONS = {
    "/futures/position.close": ({}, "position.close"),
    "/futures/position.protect": ({"stopLoss": "3000"}, "position.protect"),
    "/futures/order.trailing": ({"callbackRate": "1"}, "order.trailing"),
    "/futures/positionMargin": ({"amount": "5", "type": "ADD"}, "positionMargin.change"),
}


def signed(sim, method: str, path: str, **params):
    response = sim.control.signed(method, path, **params)
    assert response.status_code == 200, response.text
    return response.json()


def market(sim, side: str, position_side: str | None, quantity: str) -> None:
    """An order straight on the stand-in (the trader's own, outside Spark)."""
    extra = {"positionSide": position_side} if position_side else {}
    signed(
        sim,
        "POST",
        "/fapi/v1/order",
        symbol=SYMBOL,
        side=side,
        type="MARKET",
        quantity=quantity,
        **extra,
    )


def sides(sim) -> dict[str, Decimal]:
    """The stand-in's own position of each side of ETHUSDT (its positionRisk)."""
    rows = signed(sim, "GET", "/fapi/v2/positionRisk", symbol=SYMBOL)
    return {r["positionSide"]: Decimal(r["positionAmt"]) for r in rows}


def algos(sim) -> list[dict]:
    """The stand-in's open conditional (algo) orders of ETHUSDT."""
    return signed(sim, "GET", "/fapi/v1/openAlgoOrders", symbol=SYMBOL)


def sent(sim) -> int:
    """How many orders (plain and algo) of ETHUSDT ever reached the stand-in."""
    return len(signed(sim, "GET", "/fapi/v1/allOrders", symbol=SYMBOL)) + len(
        signed(sim, "GET", "/fapi/v1/allAlgoOrders", symbol=SYMBOL)
    )


def go_hedge(sim, long: str = "0.02", short: str = "0.01", *, forget: bool = True) -> None:
    """Hedge mode on the stand-in with a LONG and a SHORT of ETHUSDT; forget=False keeps
    Spark's last reading of the mode (a switch made on Binance behind Spark's back)."""
    assert sim.control.position_mode(True) == {"code": 200, "msg": "success"}
    if forget:
        position_mode_forget()
    if Decimal(long):
        market(sim, "BUY", "LONG", long)
    if Decimal(short):
        market(sim, "SELL", "SHORT", short)
