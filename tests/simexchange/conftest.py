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

from simexchange.testing import RunningSim, running_simexchange

ALICE = ("alicekey", "alicesecret")
BOB = ("bobkey", "bobsecret")


@pytest.fixture(scope="module")
def sim_server() -> Iterator[RunningSim]:
    keys = f"{ALICE[0]}:{ALICE[1]},{BOB[0]}:{BOB[1]}"
    with running_simexchange(api_keys=keys, feed_running=False, seed=1, tick_ms=50) as sim:
        yield sim


@pytest.fixture
def sim(sim_server: RunningSim) -> RunningSim:
    """A paused, freshly reset stand-in with BTCUSDT at 60000 and ETHUSDT at 3000."""
    c = sim_server.control
    c.reset()
    c.feed(False)
    c.set_price("BTCUSDT", "60000")
    c.set_price("ETHUSDT", "3000")
    return sim_server


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


@pytest.fixture
def alice_api(sim: RunningSim) -> Client:
    return Client(sim.base_url, *ALICE)


@pytest.fixture
def bob_api(sim: RunningSim) -> Client:
    return Client(sim.base_url, *BOB)
