"""The stand-in as a real process: env settings, clean stop on SIGTERM, state file reload."""

from __future__ import annotations

from decimal import Decimal as D

import requests

from simexchange.testing import SimProcess

from .conftest import Client


def test_it_keeps_acknowledged_state_across_a_clean_restart(tmp_path):
    state = tmp_path / "sim.json"
    env = {
        "SIM_API_KEYS": "k1:s1,k2:s2",
        "SIM_START_BALANCE": "5000",
        "SIM_STATE_FILE": str(state),
        "SIM_SEED": "5",
        "SIM_FEED_RUNNING": "false",
    }
    with SimProcess(env=env) as proc:
        assert proc.api_key == "k1"
        proc.control.set_price("BTCUSDT", "60000")
        api = Client(proc.base_url, "k1", "s1")
        api.ok("POST", "/fapi/v1/leverage", symbol="BTCUSDT", leverage=7)
        api.ok(
            "POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01"
        )
        api.ok(
            "POST",
            "/fapi/v1/order",
            symbol="BTCUSDT",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity="0.01",
            price="59000",
            newClientOrderId="keep-me",
        )
        other = Client(proc.base_url, "k2", "s2")
        assert D(other.ok("GET", "/fapi/v2/balance")[0]["balance"]) == D("5000")
    assert proc.proc.returncode == 0  # SIGTERM is a clean stop
    assert state.exists()
    with SimProcess(env=env) as proc:
        api = Client(proc.base_url, "k1", "s1")
        assert D(api.ok("GET", "/fapi/v2/balance")[0]["balance"]) == D("5000") - D("0.24")
        pos = api.ok("GET", "/fapi/v2/positionRisk", symbol="BTCUSDT")[0]
        assert pos["positionAmt"] == "0.010" and pos["leverage"] == "7"
        q = api.ok("GET", "/fapi/v1/order", symbol="BTCUSDT", origClientOrderId="keep-me")
        assert q["status"] == "NEW"
        r = requests.get(proc.base_url + "/fapi/v1/ticker/price?symbol=BTCUSDT", timeout=5)
        assert D(r.json()["price"]) == D("60000")
