"""Fixtures of the futures tests: Spark pointed at the stand-in with a clean connector."""

from __future__ import annotations

import pytest

from futures.binance.rest import client_from_settings

PRICES = {"BTCUSDT": "65000", "ETHUSDT": "3400"}


@pytest.fixture
def exchange(exchange):
    """The root stand-in fixture, with the prices these tests reason with and short lookups."""
    # reset() keeps prices: put the ones these tests reason with back.
    for symbol, price in PRICES.items():
        exchange.control.set_price(symbol, price, mark=price)
    client_from_settings().lookup_delays = (0.01, 0.05, 0.1)
    return exchange
