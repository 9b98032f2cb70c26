"""User-stream events in Binance's wire format, for tests that feed order_sync_from_exchange."""

from __future__ import annotations


def order_update(**fields) -> dict:
    """The `o` of an ORDER_TRADE_UPDATE: a resting BTCUSDT limit buy unless fields say otherwise."""
    o = {
        "s": "BTCUSDT",
        "c": "spark-abc",
        "S": "BUY",
        "o": "LIMIT",
        "f": "GTC",
        "q": "0.010",
        "p": "60000",
        "ap": "0",
        "sp": "0",
        "x": "NEW",
        "X": "NEW",
        "i": 7001,
        "l": "0",
        "z": "0",
        "L": "0",
        "T": 1764000000000,
        "t": 0,
        "m": False,
        "R": False,
        "rp": "0",
    }
    o.update(fields)
    return o


def closing_fill(
    client_order_id: str,
    *,
    order_id: int,
    trade_id: int,
    realized: str,
    symbol: str = "ETHUSDT",
    quantity: str = "0.01",
    price: str = "3300",
) -> dict:
    """A MARKET SELL that closed quantity at price in one trade and realized `realized` USDT."""
    return order_update(
        s=symbol,
        c=client_order_id,
        S="SELL",
        o="MARKET",
        q=quantity,
        p="0",
        x="TRADE",
        X="FILLED",
        i=order_id,
        l=quantity,
        z=quantity,
        L=price,
        ap=price,
        t=trade_id,
        rp=realized,
        n="0.01",
        N="USDT",
    )
