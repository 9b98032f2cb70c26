"""A stand-in exchange serving Binance Futures, Spot and BTCTurk, and settings pointing at it."""

from __future__ import annotations

import socket

import pytest

from simexchange.testing import running_simexchange

BINANCE_KEY = "spark-demo-key"
BINANCE_SECRET = "spark-demo-secret-0000000000000000"
BTCTURK_KEY = "spark-demo-btcturk"
BTCTURK_SECRET = "c3BhcmstZGVtby1idGN0dXJrLXNlY3JldA=="


@pytest.fixture(scope="module")
def stand_in():
    """One stand-in for the module, with the demo keys, its random walk paused."""
    with running_simexchange(
        feed_running=False,
        api_keys=f"{BINANCE_KEY}:{BINANCE_SECRET}",
        btcturk_keys=f"{BTCTURK_KEY}:{BTCTURK_SECRET}",
    ) as sim:
        yield sim


@pytest.fixture
def exchange(stand_in, settings):
    """The stand-in, reset, with every portfolio setting of Spark pointed at it."""
    stand_in.control.reset()
    settings.BINANCE_FUTURES_BASE_URL = stand_in.base_url
    settings.BINANCE_SPOT_BASE_URL = stand_in.base_url
    settings.BTCTURK_BASE_URL = stand_in.base_url
    settings.BINANCE_API_KEY = settings.BINANCE_SPOT_API_KEY = BINANCE_KEY
    settings.BINANCE_API_SECRET = settings.BINANCE_SPOT_API_SECRET = BINANCE_SECRET
    settings.BTCTURK_API_KEY = BTCTURK_KEY
    settings.BTCTURK_API_SECRET = BTCTURK_SECRET
    settings.PORTFOLIO_EXCHANGE_TIMEOUT_SECONDS = 3
    return stand_in


@pytest.fixture
def closed_port_url():
    """A URL on which nothing listens (connection refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
