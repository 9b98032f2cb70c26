"""One stand-in for the whole conformance suite; each client module gets its own account."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from simexchange.testing import RunningSim, running_simexchange

from ..conftest import START_PRICES, fresh

KEYS = {
    "ccxt": ("ccxtkey", "ccxtsecret"),
    "connector": ("connkey", "connsecret"),
    "python-binance": ("pbkey", "pbsecret"),
    "sdk": ("sdkkey", "sdksecret"),
}
BTC = START_PRICES["BTCUSDT"]
ETH = START_PRICES["ETHUSDT"]


@pytest.fixture(scope="session")
def conformance_sim() -> Iterator[RunningSim]:
    keys = ",".join(f"{k}:{s}" for k, s in KEYS.values())
    with running_simexchange(api_keys=keys, feed_running=False, seed=11, tick_ms=50) as sim:
        yield sim


@pytest.fixture(scope="module")
def sim(conformance_sim: RunningSim) -> RunningSim:
    """Fresh accounts and known prices at the start of each client's module."""
    return fresh(conformance_sim)


def held(sim: RunningSim, key: str, symbol: str = "BTCUSDT") -> Decimal:
    """The one-way position of one client's account, read from the stand-in's own state (so a
    client's `flat` fixture closes what is really open, whatever that client would report)."""
    positions = sim.control.state()["accounts"][key]["positions"]
    return Decimal(positions.get(symbol, {}).get("amt", "0"))
