"""Every fault knob of /_sim/faults, the weight limit (429 then 418) and the control surface."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal as D

import aiohttp
import requests

from simexchange.testing import running_simexchange
from tests.support.sim_ws import recv_until, wait_closed

from .conftest import ALICE


def test_latency_delays_answers(sim):
    sim.control.faults(latency_ms=200)
    t = time.monotonic()
    assert requests.get(sim.base_url + "/fapi/v1/ping", timeout=5).ok
    assert time.monotonic() - t >= 0.2


def test_counters_count_each_exchange_call_once_and_no_control_call(sim):
    before = sim.control.counters()["requests"]
    sim.control.state()
    sim.control.faults(latency_ms=1)
    for _ in range(2):
        assert requests.get(sim.base_url + "/fapi/v1/ping", timeout=5).ok
    assert sim.control.counters()["requests"] == before + 2


def test_error_rate_answers_binance_503_bodies_until_cleared(sim):
    sim.control.faults(error_rate=1.0)
    r = requests.get(sim.base_url + "/fapi/v1/time", timeout=5)
    assert r.status_code == 503
    assert r.json()["msg"] in (
        "Service Unavailable.",
        "Internal error; unable to process your request. Please try again.",
    )
    sim.control.clear_faults()
    assert requests.get(sim.base_url + "/fapi/v1/time", timeout=5).ok


def test_burst_429_rejects_the_next_n_requests(sim):
    sim.control.faults(burst_429=2)
    for _ in range(2):
        r = requests.get(sim.base_url + "/fapi/v1/ping", timeout=5)
        assert r.status_code == 429 and r.json()["code"] == -1003 and "Retry-After" in r.headers
    assert requests.get(sim.base_url + "/fapi/v1/ping", timeout=5).ok


def test_clock_skew_makes_signed_calls_fail_with_1021(sim, alice_api):
    sim.control.faults(clock_skew_ms=30_000)
    assert alice_api.err("GET", "/fapi/v3/account")[1] == -1021
    server = requests.get(sim.base_url + "/fapi/v1/time", timeout=5).json()["serverTime"]
    assert server - int(time.time() * 1000) > 25_000
    # a client that resyncs its clock from /fapi/v1/time recovers
    assert alice_api.call("GET", "/fapi/v3/account", timestamp=server).ok


def test_lost_order_responses_still_execute(sim, alice_api):
    sim.control.faults(lose_order_responses=1)
    r = alice_api.call(
        "POST",
        "/fapi/v1/order",
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.01",
        price="59000",
        newClientOrderId="lost-1",
    )
    assert r.status_code == 503
    assert r.json()["msg"] == "Unknown error, please check your request or try again later."
    q = alice_api.ok("GET", "/fapi/v1/order", symbol="BTCUSDT", origClientOrderId="lost-1")
    assert q["status"] == "NEW"
    # the retry with the same id is recognised
    assert (
        alice_api.err(
            "POST",
            "/fapi/v1/order",
            symbol="BTCUSDT",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity="0.01",
            price="59000",
            newClientOrderId="lost-1",
        )[1]
        == -4116
    )
    assert sim.control.state()["faults"]["lose_order_responses"] == 0


async def test_ws_cut_after_n_messages(sim):
    sim.control.feed(True)
    try:
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(sim.ws_url + "/ws/btcusdt@bookTicker")
            sim.control.faults(ws_cut_after=3)
            got = 0
            while True:
                msg = await asyncio.wait_for(ws.receive(), 5)
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                got += 1
            assert got <= 4  # the count restarts when the knob is set
            await ws.close()
    finally:
        sim.control.feed(False)


async def test_expire_listen_keys_now(sim):
    lk = requests.post(
        f"{sim.base_url}/fapi/v1/listenKey", headers={"X-MBX-APIKEY": ALICE[0]}, timeout=5
    ).json()["listenKey"]
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{sim.ws_url}/ws/{lk}") as ws:
        r = sim.control.faults(expire_listen_keys=True)
        assert r["expired_listen_keys"] == 1
        m = await recv_until(ws, lambda m: m["e"] == "listenKeyExpired")
        assert m["listenKey"] == lk
        await wait_closed(ws)


def test_weight_limit_answers_429_then_418():
    with running_simexchange(feed_running=False, weight_limit=5) as s:
        codes = [
            requests.get(s.base_url + "/fapi/v1/ping", timeout=5).status_code for _ in range(7)
        ]
        assert codes[:5] == [200] * 5
        assert codes[5] == 429 and codes[6] == 418
        r = requests.get(s.base_url + "/fapi/v1/ping", timeout=5)
        assert r.status_code == 418 and int(r.headers["Retry-After"]) > 0
        assert "banned until" in r.json()["msg"]
        s.control.reset()  # the control surface is never rate limited and clears bans
        assert requests.get(s.base_url + "/fapi/v1/ping", timeout=5).ok


def test_balances_control_sets_every_wallet(sim, alice_api):
    sim.control.balances(
        api_key=ALICE[0], futures={"USDT": "1234.5"}, spot={"BTC": "2", "DOGE": "0"}
    )
    assert D(alice_api.ok("GET", "/fapi/v2/balance")[0]["balance"]) == D("1234.5")
    spot = alice_api.ok("GET", "/api/v3/account", omitZeroBalances="true")
    assets = {b["asset"]: b["free"] for b in spot["balances"]}
    assert assets["BTC"] == "2.00000000" and "DOGE" not in assets
    sim.control.balances(btcturk={"TRY": "99"})
    assert sim.control.state()["btcturk"]["simbtcturk"]["TRY"] == "99"


def test_reset_restores_accounts(sim, alice_api):
    alice_api.ok(
        "POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01"
    )
    sim.control.reset()
    assert alice_api.ok("GET", "/fapi/v3/positionRisk") == []
    assert D(alice_api.ok("GET", "/fapi/v2/balance")[0]["balance"]) == D("10000")


def test_control_rejects_bad_input(sim):
    r = requests.post(
        sim.base_url + "/_sim/price", json={"symbol": "NOPE", "price": "1"}, timeout=5
    )
    assert r.status_code == 400
    r = requests.post(sim.base_url + "/_sim/faults", json={"bogus": 1}, timeout=5)
    assert r.status_code == 400
    r = requests.post(sim.base_url + "/_sim/feed", json={"running": "yes"}, timeout=5)
    assert r.status_code == 400


def test_state_shows_orders_positions_faults_counters(sim, alice_api):
    alice_api.ok(
        "POST",
        "/fapi/v1/order",
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.01",
        price="59000",
    )
    st = sim.control.state()
    acc = st["accounts"][ALICE[0]]
    assert len(acc["open_orders"]) == 1 and acc["summary"]["wallet"] == "10000"
    assert D(st["prices"]["BTCUSDT"]["last"]) == D("60000")
    assert {"latency_ms", "error_rate", "burst_429"} <= set(st["faults"])
    assert st["counters"]["requests"] > 0
