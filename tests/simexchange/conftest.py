"""Fixtures of the simexchange tests: one in-process stand-in per module, reset per test."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from binance.um_futures import UMFutures

from simexchange.testing import RunningSim, running_simexchange

ALICE = ("alicekey", "alicesecret")
BOB = ("bobkey", "bobsecret")
START_PRICES = {"BTCUSDT": "60000", "ETHUSDT": "3000"}


def fresh(sim: RunningSim) -> RunningSim:
    """Every account back to its start, the feed paused, BTCUSDT at 60000 and ETHUSDT at 3000
    (the starting line of every simexchange test and of each conformance client)."""
    c = sim.control
    c.reset()
    c.feed(False)
    for symbol, price in START_PRICES.items():
        c.set_price(symbol, price)
    return sim


@pytest.fixture(scope="module")
def sim_server() -> Iterator[RunningSim]:
    keys = f"{ALICE[0]}:{ALICE[1]},{BOB[0]}:{BOB[1]}"
    with running_simexchange(api_keys=keys, feed_running=False, seed=1, tick_ms=50) as sim:
        yield sim


@pytest.fixture
def sim(sim_server: RunningSim) -> RunningSim:
    """A paused, freshly reset stand-in with BTCUSDT at 60000 and ETHUSDT at 3000."""
    return fresh(sim_server)


class Client:
    """Signed Binance calls for one key; returns requests' Response."""

    def __init__(self, base_url: str, key: str, secret: str):
        self.base_url = base_url
        self.key = key
        self.secret = secret
        self.http = requests.Session()

    def call(self, method: str, path: str, body: bool = False, **params: Any) -> requests.Response:
        params.setdefault("timestamp", int(time.time() * 1000))
        query = urlencode({k: str(v) for k, v in params.items()})
        sig = hmac.new(self.secret.encode(), query.encode(), hashlib.sha256).hexdigest()
        headers = {"X-MBX-APIKEY": self.key}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            return self.http.request(
                method,
                self.base_url + path,
                data=f"{query}&signature={sig}",
                headers=headers,
                timeout=10,
            )
        return self.http.request(
            method, f"{self.base_url}{path}?{query}&signature={sig}", headers=headers, timeout=10
        )

    def ok(self, method: str, path: str, **params: Any) -> Any:
        r = self.call(method, path, **params)
        assert r.status_code == 200, r.text
        return r.json()

    def err(self, method: str, path: str, **params: Any) -> tuple[int, int]:
        r = self.call(method, path, **params)
        assert r.status_code != 200, r.text
        return r.status_code, r.json()["code"]

    def limit(self, price: str = "59000.00", qty: str = "0.010", side: str = "BUY", **extra):
        """A resting GTC LIMIT order (BTCUSDT unless `symbol` is given); its answer."""
        extra.setdefault("symbol", "BTCUSDT")
        extra.setdefault("timeInForce", "GTC")
        return self.ok(
            "POST", "/fapi/v1/order", side=side, type="LIMIT", price=price, quantity=qty, **extra
        )

    def market(self, side: str, qty: str, symbol: str = "BTCUSDT", **extra):
        """A MARKET order, filled at once; its answer."""
        return self.ok(
            "POST", "/fapi/v1/order", symbol=symbol, side=side, type="MARKET", quantity=qty, **extra
        )

    def algo(self, **params: Any):
        """A conditional order on the algo endpoint (BTCUSDT unless `symbol` is given)."""
        params.setdefault("symbol", "BTCUSDT")
        return self.ok("POST", "/fapi/v1/algoOrder", algoType="CONDITIONAL", **params)

    def position(self, symbol: str = "BTCUSDT") -> dict:
        """The one-way position row of positionRisk v2 (every field, even when flat)."""
        return self.ok("GET", "/fapi/v2/positionRisk", symbol=symbol)[0]


class ServerClockClient(Client):
    """Stamps each call with the stand-in's own clock, as a client that resyncs its offset:
    for tests that freeze or step the server clock away from the wall."""

    def call(self, method: str, path: str, body: bool = False, **params: Any) -> requests.Response:
        server = self.http.get(self.base_url + "/fapi/v1/time", timeout=5).json()["serverTime"]
        params.setdefault("timestamp", server)
        return super().call(method, path, body, **params)


@pytest.fixture
def alice_api(sim: RunningSim) -> Client:
    return Client(sim.base_url, *ALICE)


@pytest.fixture
def um(sim: RunningSim) -> UMFutures:
    """binance-futures-connector, Alice's key, pointed at the stand-in."""
    return UMFutures(key=ALICE[0], secret=ALICE[1], base_url=sim.base_url)


@pytest.fixture
def bob_api(sim: RunningSim) -> Client:
    return Client(sim.base_url, *BOB)
