"""Signing is byte-for-byte Binance's: published vector, query+body, timestamp window, keys."""

from __future__ import annotations

import hashlib
import hmac
import time

import requests

from simexchange.auth import btcturk_sign, sign

BINANCE_SECRET = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"
BINANCE_PAYLOAD = (
    "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC"
    "&recvWindow=5000&timestamp=1591702613943"
)


def test_it_matches_binance_published_hmac_example():
    assert (
        sign(BINANCE_SECRET, BINANCE_PAYLOAD)
        == "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"
    )


def test_it_matches_the_btcturk_vector():
    sig = btcturk_sign(
        "my-public-key", "1700000000000", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
    )
    assert sig == "laPVo2rfVeZja1bYGaZhYIQyMds8vR2YWsQdJ1F214U="


def test_it_accepts_the_published_example_sent_over_http(sim_server):
    # the example's own key pair, with the timestamp made current
    from simexchange.testing import running_simexchange

    key = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83"
    with running_simexchange(api_keys=f"{key}:{BINANCE_SECRET}", feed_running=False) as s:
        s.control.set_price("BTCUSDT", "9000")
        payload = BINANCE_PAYLOAD.replace("1591702613943", str(int(time.time() * 1000)))
        r = requests.post(
            f"{s.base_url}/fapi/v1/order?{payload}&signature={sign(BINANCE_SECRET, payload)}",
            headers={"X-MBX-APIKEY": key},
            timeout=5,
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "NEW"


def test_it_signs_query_and_body_glued_without_separator(sim, alice_api):
    ts = int(time.time() * 1000)
    query = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC"
    body = f"quantity=0.002&price=59000&recvWindow=5000&timestamp={ts}"
    sig = hmac.new(b"alicesecret", (query + body).encode(), hashlib.sha256).hexdigest()
    r = requests.post(
        f"{sim.base_url}/fapi/v1/order?{query}",
        data=f"{body}&signature={sig}",
        headers={"X-MBX-APIKEY": "alicekey", "Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    assert r.status_code == 200, r.text


def test_it_accepts_all_params_in_a_form_body(sim, alice_api):
    r = alice_api.call("GET", "/fapi/v2/balance")
    assert r.status_code == 200
    r = alice_api.call("POST", "/fapi/v1/leverage", body=True, symbol="BTCUSDT", leverage=5)
    assert r.status_code == 200, r.text
    assert r.json()["leverage"] == 5


def test_it_rejects_a_wrong_signature_with_1022(sim, alice_api):
    alice_api.secret = "not-the-secret"
    assert alice_api.err("GET", "/fapi/v3/account") == (400, -1022)


def test_it_rejects_missing_or_malformed_key_with_2014(sim):
    r = requests.get(f"{sim.base_url}/fapi/v3/account?timestamp=1&signature=x", timeout=5)
    assert (r.status_code, r.json()["code"]) == (401, -2014)
    r = requests.get(
        f"{sim.base_url}/fapi/v3/account?timestamp=1&signature=x",
        headers={"X-MBX-APIKEY": "bad key!"},
        timeout=5,
    )
    assert (r.status_code, r.json()["code"]) == (401, -2014)


def test_it_rejects_an_unknown_key_with_2015(sim):
    r = requests.get(
        f"{sim.base_url}/fapi/v3/account?timestamp=1&signature=x",
        headers={"X-MBX-APIKEY": "mallorykey"},
        timeout=5,
    )
    assert (r.status_code, r.json()["code"]) == (401, -2015)


def test_it_rejects_stale_and_future_timestamps_with_1021(sim, alice_api):
    now = int(time.time() * 1000)
    assert alice_api.err("GET", "/fapi/v3/account", timestamp=now - 6000)[1] == -1021
    assert alice_api.err("GET", "/fapi/v3/account", timestamp=now + 2000)[1] == -1021
    # a wider recvWindow admits the older timestamp
    assert alice_api.call("GET", "/fapi/v3/account", timestamp=now - 6000, recvWindow=10000).ok


def test_it_caps_recv_window_at_60000(sim, alice_api):
    assert alice_api.err("GET", "/fapi/v3/account", recvWindow=60001)[1] == -1131


def test_it_requires_timestamp_with_1102(sim, alice_api):
    r = requests.get(
        f"{sim.base_url}/fapi/v3/account?signature=abc",
        headers={"X-MBX-APIKEY": "alicekey"},
        timeout=5,
    )
    assert (r.status_code, r.json()["code"]) == (400, -1102)


def test_listen_key_needs_only_the_api_key(sim):
    r = requests.post(
        f"{sim.base_url}/fapi/v1/listenKey", headers={"X-MBX-APIKEY": "alicekey"}, timeout=5
    )
    assert r.status_code == 200 and len(r.json()["listenKey"]) == 64
