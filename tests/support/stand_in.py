"""The stand-in exchange from a test's side: what really reached it, and state to start from."""

from __future__ import annotations

from decimal import Decimal


def exchange_orders(sim, symbol: str) -> list[dict]:
    """Every order the stand-in holds for symbol (what really reached the exchange)."""
    return sim.control.signed("GET", "/fapi/v1/allOrders", symbol=symbol).json()


def exchange_position(sim, symbol: str) -> Decimal:
    """The stand-in's own position of symbol (its positionRisk), signed."""
    rows = sim.control.signed("GET", "/fapi/v2/positionRisk", symbol=symbol).json()
    return sum((Decimal(r["positionAmt"]) for r in rows if r["symbol"] == symbol), Decimal(0))


def run_canary(api, token, **body) -> dict:
    """POST /canary/run as token's owner; the run, after checking it was accepted."""
    response = api.post("/canary/run", body, token=token)
    assert response.status_code == 200, response.content
    return response.json()["run"]


def seed_portfolio(exchange, *, futures="2500.5", btc="60000", eth="3000") -> None:
    """Prices and balances on all three stand-in exchanges (futures, spot, BTCTurk) that the
    portfolio tests value."""
    c = exchange.control
    c.set_price("BTCUSDT", btc, mark=btc)
    c.set_price("ETHUSDT", eth, mark=eth)
    c.balances(
        futures={"USDT": futures},
        spot={"BTC": "0.25", "ETH": "1.5", "USDT": "100"},
        btcturk={"TRY": "69000", "BTC": "0.1", "ETH": "2", "USDT": "50"},
    )


def position_sides(sim, symbol: str) -> dict[str, Decimal]:
    """The stand-in's own positions of symbol by positionSide (BOTH, or LONG and SHORT)."""
    rows = sim.control.signed("GET", "/fapi/v2/positionRisk", symbol=symbol).json()
    return {r["positionSide"]: Decimal(r["positionAmt"]) for r in rows if r["symbol"] == symbol}


def hedge_order(sim, symbol: str, side: str, position_side: str, quantity: str) -> None:
    """A MARKET order on one side of a hedge-mode stand-in account, as a trader would send it."""
    response = sim.control.signed(
        "POST",
        "/fapi/v1/order",
        symbol=symbol,
        side=side,
        type="MARKET",
        quantity=quantity,
        positionSide=position_side,
    )
    assert response.status_code == 200, response.text


def switch_mode(sim, *, hedge: bool) -> None:
    """Switch the stand-in account's position mode (Binance allows it only with no position)."""
    assert sim.control.position_mode(hedge) == {"code": 200, "msg": "success"}
