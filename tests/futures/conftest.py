"""Fixtures of the futures tests: Spark pointed at the stand-in with a clean connector."""

from __future__ import annotations

import pytest

from futures.binance.http import BinanceHttp
from futures.binance.rest import client_from_settings

PRICES = {"BTCUSDT": "65000", "ETHUSDT": "3400"}


@pytest.fixture
def exchange(sim_settings):
    """The stand-in, with this process's connector fresh (no back-off, no cached marks)."""
    BinanceHttp.clear_backoff()
    # reset() keeps prices: put the ones these tests reason with back.
    for symbol, price in PRICES.items():
        sim_settings.control.set_price(symbol, price, mark=price)
    client = client_from_settings()
    client._marks.clear()  # noqa: SLF001 - prices move between tests
    client.lookup_delays = (0.01, 0.05, 0.1)
    yield sim_settings
    BinanceHttp.clear_backoff()


def exchange_orders(sim, symbol: str) -> list[dict]:
    """Every order the stand-in holds for symbol (what really reached the exchange)."""
    return sim.control.signed("GET", "/fapi/v1/allOrders", symbol=symbol).json()
