"""What generic Binance clients (ccxt, the SDK, freqtrade) need at start-up, over real sockets."""

from __future__ import annotations

import asyncio

import aiohttp
import requests

from simexchange.market import ONBOARD_MS
from tests.support.sim_ws import listen_key, recv_json, recv_until

from .conftest import ALICE


def test_leverage_brackets_list_every_symbol_in_binance_shape(sim, alice_api):
    rows = alice_api.ok("GET", "/fapi/v1/leverageBracket")
    assert {r["symbol"] for r in rows} >= {"BTCUSDT", "ETHUSDT"}
    brackets = rows[0]["brackets"]
    assert [b["bracket"] for b in brackets] == list(range(1, len(brackets) + 1))
    assert brackets[0]["notionalFloor"] == 0 and brackets[0]["cum"] == 0
    for lower, upper in zip(brackets, brackets[1:], strict=False):
        assert upper["notionalFloor"] == lower["notionalCap"]
        assert upper["initialLeverage"] < lower["initialLeverage"]
        # cum keeps maintenance margin continuous where two brackets meet
        edge = lower["notionalCap"]
        below = edge * lower["maintMarginRatio"] - lower["cum"]
        above = edge * upper["maintMarginRatio"] - upper["cum"]
        assert abs(below - above) < 1e-6


def test_leverage_brackets_for_one_symbol_are_one_object(sim, alice_api):
    row = alice_api.ok("GET", "/fapi/v1/leverageBracket", symbol="ETHUSDT")
    assert row["symbol"] == "ETHUSDT" and row["brackets"][0]["initialLeverage"] == 100
    assert alice_api.err("GET", "/fapi/v1/leverageBracket", symbol="NOPE") == (400, -1121)


def test_leverage_brackets_need_a_signature(sim):
    r = requests.get(f"{sim.base_url}/fapi/v1/leverageBracket", timeout=5)
    assert r.status_code != 200


def test_a_fresh_account_reports_its_balance_with_a_real_update_time(sim, alice_api):
    server = alice_api.ok("GET", "/fapi/v1/time")["serverTime"]
    for path in ("/fapi/v2/account", "/fapi/v3/account"):
        usdt = [a for a in alice_api.ok("GET", path)["assets"] if a["asset"] == "USDT"][0]
        assert usdt["walletBalance"] == "10000.00000000"
        assert 0 < usdt["updateTime"] <= server
    for path in ("/fapi/v2/balance", "/fapi/v3/balance"):
        usdt = [a for a in alice_api.ok("GET", path) if a["asset"] == "USDT"][0]
        assert 0 < usdt["updateTime"] <= server


def test_multi_assets_mode_is_read_and_switched_like_binance(sim, alice_api):
    assert alice_api.ok("GET", "/fapi/v1/multiAssetsMargin") == {"multiAssetsMargin": False}
    assert alice_api.err("POST", "/fapi/v1/multiAssetsMargin", multiAssetsMargin="false") == (
        400,
        -4171,
    )
    assert alice_api.err("POST", "/fapi/v1/multiAssetsMargin", multiAssetsMargin="maybe") == (
        400,
        -1102,
    )
    ok = alice_api.ok("POST", "/fapi/v1/multiAssetsMargin", multiAssetsMargin="true")
    assert ok == {"code": 200, "msg": "success"}
    assert alice_api.ok("GET", "/fapi/v1/multiAssetsMargin") == {"multiAssetsMargin": True}
    assert alice_api.ok("GET", "/fapi/v2/account")["multiAssetsMargin"] is True
    assert alice_api.ok("GET", "/fapi/v1/accountConfig")["multiAssetsMargin"] is True


def test_klines_from_start_time_zero_begin_at_the_listing(sim):
    r = requests.get(
        f"{sim.base_url}/fapi/v1/klines",
        params={"symbol": "BTCUSDT", "interval": "1d", "startTime": "0", "limit": "3"},
        timeout=5,
    )
    rows = r.json()
    assert r.status_code == 200 and len(rows) == 3
    assert rows[0][0] <= ONBOARD_MS < rows[0][0] + 86_400_000
    assert rows[1][0] == rows[0][0] + 86_400_000


async def test_ccxt_pro_connection_index_paths_deliver_market_data(sim):
    for path in ("/market/ws/1", "/public/ws/2", "/ws/3"):
        async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url + path) as ws:
            await ws.send_json({"method": "SUBSCRIBE", "params": ["btcusdt@bookTicker"], "id": 1})
            assert await recv_json(ws) == {"result": None, "id": 1}
            sim.control.set_price("BTCUSDT", "60100")
            m = await recv_until(ws, lambda m: m.get("e") == "bookTicker")
            assert m["s"] == "BTCUSDT"


async def test_raw_stream_path_with_a_connection_index_is_not_taken_for_a_listen_key(sim):
    path = "/market/ws/btcusdt@aggTrade/1"
    async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url + path) as ws:
        await asyncio.sleep(0.05)
        sim.control.set_price("BTCUSDT", "60100")
        m = await recv_until(ws, lambda m: m.get("e") == "aggTrade")
        assert m["s"] == "BTCUSDT"


async def test_private_stream_takes_the_listen_key_in_a_subscribe_as_the_sdk_sends_it(
    sim, alice_api
):
    lk = listen_key(sim)
    async with aiohttp.ClientSession() as http:  # noqa: SIM117
        async with http.ws_connect(sim.ws_url + "/private/stream") as ws:
            await ws.send_json({"method": "SUBSCRIBE", "params": [lk], "id": 7})
            assert await recv_json(ws) == {"result": None, "id": 7}
            alice_api.ok(
                "POST",
                "/fapi/v1/order",
                symbol="BTCUSDT",
                side="BUY",
                type="MARKET",
                quantity="0.010",
            )
            m = await recv_until(ws, lambda m: m["data"]["e"] == "ORDER_TRADE_UPDATE")
            assert m["stream"] == lk and m["data"]["o"]["s"] == "BTCUSDT"


async def test_private_stream_with_an_unknown_listen_key_is_refused(sim):
    async with aiohttp.ClientSession() as http:
        try:
            await http.ws_connect(sim.ws_url + "/private/ws/notakey")
        except aiohttp.WSServerHandshakeError as exc:
            assert exc.status == 400
        else:
            raise AssertionError("connected with an unknown listen key")


def test_the_sdk_user_key_header_only_call_still_works(sim):
    r = requests.post(
        f"{sim.base_url}/fapi/v1/listenKey", headers={"X-MBX-APIKEY": ALICE[0]}, timeout=5
    )
    assert r.status_code == 200 and r.json()["listenKey"]
