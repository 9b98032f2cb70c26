"""Binance Spot and BTCTurk reads served by the same stand-in."""

from __future__ import annotations

import json
import time

import requests

from simexchange.auth import btcturk_sign
from simexchange.config import DEFAULT_BTCTURK_KEYS


def test_spot_account_is_signed_like_futures(sim, alice_api):
    acct = alice_api.ok("GET", "/api/v3/account")
    assert acct["accountType"] == "SPOT"
    assets = {b["asset"]: b for b in acct["balances"]}
    assert assets["BTC"] == {"asset": "BTC", "free": "0.50000000", "locked": "0.00000000"}
    alice_api.secret = "wrong"
    assert alice_api.err("GET", "/api/v3/account")[1] == -1022


def test_spot_ticker_price_forms(sim):
    base = sim.base_url + "/api/v3/ticker/price"
    one = requests.get(base, params={"symbol": "BTCUSDT"}, timeout=5).json()
    assert one == {"symbol": "BTCUSDT", "price": "60000.00000000"}
    some = requests.get(
        base, params={"symbols": json.dumps(["BTCUSDT", "ETHUSDT"])}, timeout=5
    ).json()
    assert [r["symbol"] for r in some] == ["BTCUSDT", "ETHUSDT"]
    assert len(requests.get(base, timeout=5).json()) >= 4
    r = requests.get(base, params={"symbol": "NOPE"}, timeout=5)
    assert (r.status_code, r.json()["code"]) == (400, -1121)


def test_btcturk_ticker(sim):
    r = requests.get(sim.base_url + "/api/v2/ticker", params={"pairSymbol": "BTCTRY"}, timeout=5)
    body = r.json()
    assert body["success"] is True and body["code"] == 0 and body["message"] is None
    row = body["data"][0]
    assert row["pair"] == "BTCTRY" and isinstance(row["last"], float)
    assert row["numeratorSymbol"] == "BTC" and row["denominatorSymbol"] == "TRY"
    pairs = {
        d["pair"] for d in requests.get(sim.base_url + "/api/v2/ticker", timeout=5).json()["data"]
    }
    assert {"BTCTRY", "ETHTRY", "USDTTRY"} <= pairs


def test_btcturk_balances_need_btcturk_auth(sim):
    pub, secret = DEFAULT_BTCTURK_KEYS.split(":", 1)
    stamp = str(int(time.time() * 1000))
    headers = {"X-PCK": pub, "X-Stamp": stamp, "X-Signature": btcturk_sign(pub, stamp, secret)}
    r = requests.get(sim.base_url + "/api/v1/users/balances", headers=headers, timeout=5)
    assert r.status_code == 200, r.text
    rows = {d["asset"]: d for d in r.json()["data"]}
    assert rows["TRY"]["balance"] == "50000" and rows["BTC"]["free"] == "0.1"
    headers["X-Signature"] = "AAAA"
    r = requests.get(sim.base_url + "/api/v1/users/balances", headers=headers, timeout=5)
    assert r.status_code == 401 and r.json()["success"] is False
