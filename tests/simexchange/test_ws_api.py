"""The WebSocket API (`/ws-fapi/v1`) over real sockets: each method's answer, Binance's
signing and refusals, and agreement with the REST path and the user data stream."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import requests
from binance_common.configuration import ConfigurationWebSocketAPI
from binance_sdk_derivatives_trading_usds_futures import DerivativesTradingUsdsFutures
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from simexchange.testing import RunningSim, running_simexchange

from .conftest import ALICE, BOB, Client
from .ws_api_client import WsApi, param_text, signature

BTC_LIMIT = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "price": "59000",
    "quantity": "0.01",
}


@pytest.fixture
def ws_api(sim: RunningSim) -> Iterator[WsApi]:
    with connect(sim.ws_url + "/ws-fapi/v1") as ws:
        yield WsApi(ws)


@pytest.fixture
def alice(alice_api: Client) -> Client:
    """Alice's signed REST client (the conftest's), beside her WebSocket API one."""
    return alice_api


def user_stream(sim: RunningSim, listen_key: str) -> ClientConnection:
    return connect(f"{sim.ws_url}/ws/{listen_key}")


def next_event(ws: ClientConnection, kind: str) -> dict:
    deadline = time.monotonic() + 5
    while True:
        m = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if m.get("e") == kind:
            return m


# ---------------------------------------------------------------- orders


def test_an_order_placed_over_ws_is_the_order_rest_and_the_user_stream_see(sim, ws_api, alice):
    listen_key = ws_api.request("userDataStream.start", {"apiKey": ALICE[0]})["result"]["listenKey"]
    with user_stream(sim, listen_key) as stream:
        answer = ws_api.signed("order.place", **BTC_LIMIT, newClientOrderId="ws-1")
        placed = answer["result"]
        assert answer["status"] == 200
        assert placed["status"] == "NEW" and placed["clientOrderId"] == "ws-1"
        assert (placed["price"], placed["origQty"], placed["executedQty"]) == (
            "59000.00",
            "0.010",
            "0",
        )
        assert (placed["side"], placed["type"], placed["timeInForce"]) == ("BUY", "LIMIT", "GTC")
        assert placed["positionSide"] == "BOTH" and placed["reduceOnly"] is False
        event = next_event(stream, "ORDER_TRADE_UPDATE")
    assert event["o"]["i"] == placed["orderId"] and event["o"]["c"] == "ws-1"
    assert event["o"]["X"] == "NEW" and event["o"]["x"] == "NEW"
    rest = alice.ok("GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=placed["orderId"])
    assert rest["clientOrderId"] == "ws-1" and rest["status"] == "NEW"
    assert {k: rest[k] for k in placed} == placed
    limits = {(r["rateLimitType"], r["interval"]): r for r in answer["rateLimits"]}
    assert limits[("ORDERS", "SECOND")] == {
        "rateLimitType": "ORDERS",
        "interval": "SECOND",
        "intervalNum": 10,
        "limit": 300,
        "count": 1,
    }
    assert limits[("ORDERS", "MINUTE")]["count"] == 1
    assert limits[("REQUEST_WEIGHT", "MINUTE")]["limit"] == 2400


def test_a_market_order_over_ws_fills_and_moves_the_position_rest_reports(sim, ws_api, alice):
    filled = ws_api.ok(
        "order.place",
        symbol="BTCUSDT",
        side="BUY",
        type="MARKET",
        quantity="0.002",
        newOrderRespType="RESULT",
    )
    assert filled["status"] == "FILLED" and filled["executedQty"] == "0.002"
    risk = alice.ok("GET", "/fapi/v3/positionRisk", symbol="BTCUSDT")
    assert risk[0]["positionAmt"] == "0.002"


def test_a_repeated_client_order_id_is_refused_on_either_transport(sim, ws_api, alice):
    ws_api.ok("order.place", **BTC_LIMIT, newClientOrderId="dup-1")
    assert ws_api.err("order.place", **BTC_LIMIT, newClientOrderId="dup-1") == (
        400,
        -4116,
        "ClientOrderId is duplicated.",
    )
    alice.ok("POST", "/fapi/v1/order", **BTC_LIMIT, newClientOrderId="dup-2")
    assert ws_api.err("order.place", **BTC_LIMIT, newClientOrderId="dup-2")[1] == -4116
    r = alice.call("POST", "/fapi/v1/order", **BTC_LIMIT, newClientOrderId="dup-1")
    assert r.status_code == 400 and r.json()["code"] == -4116
    ids = sorted(o["clientOrderId"] for o in alice.ok("GET", "/fapi/v1/openOrders"))
    assert ids == ["dup-1", "dup-2"]


def test_a_lost_answer_over_ws_still_placed_the_order_once(sim, ws_api, alice):
    sim.control.faults(lose_order_responses=1)
    assert ws_api.err("order.place", **BTC_LIMIT, newClientOrderId="lost-1") == (
        503,
        -1000,
        "Unknown error, please check your request or try again later.",
    )
    # the retry with the same client id cannot become a second order
    assert ws_api.err("order.place", **BTC_LIMIT, newClientOrderId="lost-1")[1] == -4116
    found = ws_api.ok("order.status", symbol="BTCUSDT", origClientOrderId="lost-1")
    assert found["status"] == "NEW"
    assert len(alice.ok("GET", "/fapi/v1/openOrders", symbol="BTCUSDT")) == 1


def test_order_errors_are_the_rest_paths_own(sim, ws_api, alice):
    cases = [
        ({**BTC_LIMIT, "quantity": "abc"}, "quantity"),
        ({**BTC_LIMIT, "quantity": "0.0001"}, None),
        ({**BTC_LIMIT, "quantity": "0.0011"}, None),
        ({**BTC_LIMIT, "side": "UP"}, None),
        ({**BTC_LIMIT, "symbol": "NOPEUSDT"}, None),
        ({**BTC_LIMIT, "type": "STOP_MARKET"}, None),
        ({k: v for k, v in BTC_LIMIT.items() if k != "price"}, "price"),
    ]
    for params, _ in cases:
        status, code, msg = ws_api.err("order.place", **params)
        r = alice.call("POST", "/fapi/v1/order", **params)
        assert (status, code, msg) == (r.status_code, r.json()["code"], r.json()["msg"]), params
    assert ws_api.err("order.place", **{**BTC_LIMIT, "quantity": "abc"})[1] == -1100
    missing = ws_api.err("order.place", **{k: v for k, v in BTC_LIMIT.items() if k != "quantity"})
    assert missing == (
        400,
        -1102,
        "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.",
    )
    assert alice.ok("GET", "/fapi/v1/openOrders") == []


def test_modify_cancel_and_status_over_ws(sim, ws_api, alice):
    placed = ws_api.ok("order.place", **BTC_LIMIT, newClientOrderId="m-1")
    oid = placed["orderId"]
    modified = ws_api.ok(
        "order.modify", symbol="BTCUSDT", orderId=oid, side="BUY", quantity="0.02", price="58000"
    )
    assert (modified["price"], modified["origQty"]) == ("58000.00", "0.020")
    rest = alice.ok("GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=oid)
    assert (rest["price"], rest["origQty"]) == ("58000.00", "0.020")
    assert ws_api.err(
        "order.modify", symbol="BTCUSDT", orderId=oid, side="BUY", quantity="0.02", price="58000"
    ) == (400, -5027, "No need to modify the order.")
    status = ws_api.ok("order.status", symbol="BTCUSDT", orderId=oid)
    assert status["status"] == "NEW" and status["price"] == "58000.00"
    cancelled = ws_api.ok("order.cancel", symbol="BTCUSDT", origClientOrderId="m-1")
    assert cancelled["status"] == "CANCELED" and cancelled["orderId"] == oid
    assert ws_api.err("order.cancel", symbol="BTCUSDT", orderId=oid) == (
        400,
        -2011,
        "Unknown order sent.",
    )
    assert alice.ok("GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=oid)["status"] == "CANCELED"
    assert ws_api.err("order.status", symbol="BTCUSDT")[1:] == (
        -1102,
        "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
    )


def test_another_account_cannot_see_modify_or_cancel_an_order(sim, ws_api, alice):
    oid = ws_api.ok("order.place", **BTC_LIMIT)["orderId"]
    with connect(sim.ws_url + "/ws-fapi/v1") as ws:
        bob = WsApi(ws, BOB)
        assert bob.err("order.status", symbol="BTCUSDT", orderId=oid)[1] == -2013
        assert bob.err("order.cancel", symbol="BTCUSDT", orderId=oid)[1] == -2011
        assert (
            bob.err(
                "order.modify",
                symbol="BTCUSDT",
                orderId=oid,
                side="BUY",
                quantity="0.01",
                price="50000",
            )[1]
            == -2013
        )
        # bob signing with alice's key is a bad signature, not a way in
        forged = {"apiKey": ALICE[0], "timestamp": int(time.time() * 1000), "symbol": "BTCUSDT"}
        forged["orderId"] = oid
        forged["signature"] = signature(BOB[1], forged)
        answer = bob.request("order.cancel", forged)
        assert answer["status"] == 400 and answer["error"]["code"] == -1022
    assert alice.ok("GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=oid)["status"] == "NEW"


def test_algo_orders_over_ws(sim, ws_api, alice):
    algo = ws_api.ok(
        "algoOrder.place",
        algoType="CONDITIONAL",
        symbol="BTCUSDT",
        side="SELL",
        type="STOP_MARKET",
        quantity="0.01",
        triggerPrice="55000",
    )
    rest = alice.ok("GET", "/fapi/v1/openAlgoOrders", symbol="BTCUSDT")
    assert [a["algoId"] for a in rest] == [algo["algoId"]]
    gone = ws_api.ok("algoOrder.cancel", algoId=algo["algoId"])
    assert gone["algoId"] == algo["algoId"] and gone["msg"] == "success"
    assert alice.ok("GET", "/fapi/v1/openAlgoOrders", symbol="BTCUSDT") == []


def test_close_all_and_trailing_stops_over_ws_follow_the_rest_rules(sim, ws_api, alice):
    alice.market("BUY", "0.010")
    base = {"algoType": "CONDITIONAL", "symbol": "BTCUSDT", "side": "SELL"}
    sl = ws_api.ok(
        "algoOrder.place", **base, type="STOP_MARKET", triggerPrice="59000", closePosition="true"
    )
    assert sl["closePosition"] is True
    # the same refusals as REST: a second Close-All stop, a Close-All with a quantity
    assert ws_api.err(
        "algoOrder.place", **base, type="STOP_MARKET", triggerPrice="58000", closePosition="true"
    )[1:] == (
        -4130,
        "An open stop or take profit order with GTE and closePosition in the direction is "
        "existing.",
    )
    assert (
        ws_api.err(
            "algoOrder.place",
            **base,
            type="TAKE_PROFIT_MARKET",
            triggerPrice="61000",
            closePosition="true",
            quantity="0.010",
        )[1]
        == -4137
    )
    trail = ws_api.ok(
        "algoOrder.place",
        **base,
        type="TRAILING_STOP_MARKET",
        quantity="0.010",
        reduceOnly="true",
        callbackRate="0.5",
    )
    assert (trail["callbackRate"], trail["activatePrice"]) == ("0.5", "60000.00")
    sim.control.set_price("BTCUSDT", "59700")  # 0.5 % under 60000: the trail fires first
    assert alice.position()["positionAmt"] == "0"
    status = alice.ok("GET", "/fapi/v1/algoOrder", algoId=trail["algoId"])["algoStatus"]
    assert status == "FINISHED"


# ---------------------------------------------------------------- signing


def test_signing_refusals_change_nothing(sim, ws_api, alice):
    good = ws_api.signed_params(**BTC_LIMIT)
    tampered = {**good, "quantity": "0.02"}
    answer = ws_api.request("order.place", tampered)
    assert answer["status"] == 400
    assert answer["error"] == {"code": -1022, "msg": "Signature for this request is not valid."}
    no_sig = {k: v for k, v in good.items() if k != "signature"}
    assert ws_api.request("order.place", no_sig)["error"]["code"] == -1102
    no_key = {k: v for k, v in good.items() if k != "apiKey"}
    assert ws_api.request("order.place", no_key)["error"] == {
        "code": -1102,
        "msg": "Mandatory parameter 'apiKey' was not sent, was empty/null, or malformed.",
    }
    unknown = ws_api.request("order.place", {**good, "apiKey": "nobodyskey"})
    assert unknown["status"] == 401 and unknown["error"]["code"] == -2015
    bad_format = ws_api.request("order.place", {**good, "apiKey": "a key with spaces"})
    assert bad_format["status"] == 401 and bad_format["error"]["code"] == -2014
    stale = ws_api.signed_params(**BTC_LIMIT, timestamp=int(time.time() * 1000) - 120_000)
    assert ws_api.request("order.place", stale)["error"] == {
        "code": -1021,
        "msg": "Timestamp for this request is outside of the recvWindow.",
    }
    ahead = ws_api.signed_params(**BTC_LIMIT, timestamp=int(time.time() * 1000) + 120_000)
    assert ws_api.request("order.place", ahead)["error"]["code"] == -1021
    wide = ws_api.signed_params(**BTC_LIMIT, recvWindow=70_000)
    assert ws_api.request("order.place", wide)["error"]["code"] == -1131
    nested = ws_api.request("order.place", {**good, "quantity": {"v": 1}})
    assert nested["error"]["code"] == -1102
    assert alice.ok("GET", "/fapi/v1/openOrders") == []
    assert alice.ok("GET", "/fapi/v1/allOrders", symbol="BTCUSDT") == []


def test_json_numbers_and_booleans_sign_as_their_text(sim, ws_api, alice):
    placed = ws_api.ok(
        "order.place",
        symbol="BTCUSDT",
        side="SELL",
        type="LIMIT",
        timeInForce="GTC",
        price=61000,
        quantity=0.01,
        reduceOnly=False,
    )
    assert placed["price"] == "61000.00" and placed["origQty"] == "0.010"


def test_the_sdk_url_encoded_signature_form_is_accepted(sim, ws_api):
    # ':' and '/' are legal in a client id and url-encode to %3A / %2F
    params = {"apiKey": ALICE[0], "timestamp": int(time.time() * 1000), **BTC_LIMIT}
    params["newClientOrderId"] = "a:b/c"
    payload = urlencode(sorted(params.items()))
    params["signature"] = hmac.new(ALICE[1].encode(), payload.encode(), hashlib.sha256).hexdigest()
    answer = ws_api.request("order.place", params)
    assert answer["status"] == 200 and answer["result"]["clientOrderId"] == "a:b/c"
    params["signature"] = "0" * 64
    assert ws_api.request("order.place", params)["error"]["code"] == -1022


def test_session_logon_refuses_an_hmac_key_as_binance_does(sim, ws_api):
    assert ws_api.err("session.logon") == (400, -1022, "Signature for this request is not valid.")
    status = ws_api.request("session.status")
    assert status["status"] == 200
    result = status["result"]
    assert result["apiKey"] is None and result["authorizedSince"] is None
    assert isinstance(result["connectedSince"], int) and isinstance(result["serverTime"], int)
    assert result["returnRateLimits"] is True and result["userDataStream"] is False
    out = ws_api.request("session.logout")
    assert out["status"] == 200 and out["result"]["apiKey"] is None
    # still no session: a signed call without apiKey/signature is refused
    answer = ws_api.request("account.balance", {"timestamp": int(time.time() * 1000)})
    assert answer["error"]["code"] == -1102


# ---------------------------------------------------------------- account and market data


def test_account_methods_answer_what_rest_answers(sim, ws_api, alice):
    ws_api.ok("order.place", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.002")
    ws_api.ok("order.place", **BTC_LIMIT)
    pairs = [
        ("account.status", "/fapi/v2/account", {}),
        ("v2/account.status", "/fapi/v3/account", {}),
        ("account.balance", "/fapi/v2/balance", {}),
        ("v2/account.balance", "/fapi/v3/balance", {}),
        ("account.position", "/fapi/v2/positionRisk", {}),
        ("account.position", "/fapi/v2/positionRisk", {"symbol": "ETHUSDT"}),
        ("v2/account.position", "/fapi/v3/positionRisk", {}),
    ]
    for method, path, params in pairs:
        assert ws_api.ok(method, **params) == alice.ok("GET", path, **params), method
    v2 = ws_api.ok("account.status")
    assert v2["feeTier"] == 0 and v2["totalWalletBalance"] != "10000.00000000"
    assert len(v2["positions"]) == 4  # every symbol, as v2 account
    v3 = ws_api.ok("v2/account.status")
    assert "feeTier" not in v3 and [p["symbol"] for p in v3["positions"]] == ["BTCUSDT"]
    pos = ws_api.ok("v2/account.position", symbol="BTCUSDT")
    assert pos[0]["positionAmt"] == "0.002" and pos[0]["positionSide"] == "BOTH"
    assert ws_api.err("account.position", symbol="BTC")[1] == -1121


def test_market_data_methods_answer_what_rest_answers(sim, ws_api):
    http = requests.Session()
    price = ws_api.request("ticker.price", {"symbol": "BTCUSDT"})["result"]
    assert price["symbol"] == "BTCUSDT" and price["price"] == "60000.00"
    every = ws_api.request("ticker.price")["result"]
    assert {r["symbol"] for r in every} >= {"BTCUSDT", "ETHUSDT"}
    book = ws_api.request("ticker.book", {"symbol": "ETHUSDT"})["result"]
    rest_book = http.get(sim.base_url + "/fapi/v1/ticker/bookTicker?symbol=ETHUSDT").json()
    assert {k: book[k] for k in ("bidPrice", "askPrice", "bidQty", "askQty")} == {
        k: rest_book[k] for k in ("bidPrice", "askPrice", "bidQty", "askQty")
    }
    depth = ws_api.request("depth", {"symbol": "BTCUSDT", "limit": 5})["result"]
    rest_depth = http.get(sim.base_url + "/fapi/v1/depth?symbol=BTCUSDT&limit=5").json()
    assert len(depth["bids"]) == len(depth["asks"]) == 5
    assert (depth["bids"], depth["asks"]) == (rest_depth["bids"], rest_depth["asks"])
    bad = ws_api.request("depth", {"symbol": "BTCUSDT", "limit": 7})
    assert bad["status"] == 400 and bad["error"]["code"] == -1102
    unknown = ws_api.request("ticker.price", {"symbol": "XYZUSDT"})
    assert unknown["error"] == {"code": -1121, "msg": "Invalid symbol."}


def test_user_data_stream_methods(sim, ws_api, alice):
    start = ws_api.request("userDataStream.start", {"apiKey": ALICE[0]})
    listen_key = start["result"]["listenKey"]
    # the same account's key over REST is the same listen key (Binance keeps one per account)
    assert alice.http.post(
        sim.base_url + "/fapi/v1/listenKey", headers={"X-MBX-APIKEY": ALICE[0]}
    ).json() == {"listenKey": listen_key}
    assert ws_api.request("session.status")["result"]["userDataStream"] is True
    ping = ws_api.request("userDataStream.ping", {"apiKey": ALICE[0]})
    assert ping["result"] == {"listenKey": listen_key}
    assert ws_api.request("userDataStream.start", {})["error"]["code"] == -1102
    bob_stop = ws_api.request("userDataStream.stop", {"apiKey": BOB[0]})
    assert bob_stop["error"] == {"code": -1125, "msg": "This listenKey does not exist."}
    assert ws_api.request("userDataStream.stop", {"apiKey": ALICE[0]})["result"] == {}
    again = ws_api.request("userDataStream.ping", {"apiKey": ALICE[0]})
    assert again["error"]["code"] == -1125
    assert ws_api.request("session.status")["result"]["userDataStream"] is False


# ---------------------------------------------------------------- envelope and limits


def test_malformed_frames_get_binance_error_envelopes(sim, ws_api):
    ws_api.send("{not json")
    assert ws_api.recv() == {
        "id": None,
        "status": 400,
        "error": {"code": -1135, "msg": "Invalid JSON request."},
    }
    ws_api.send({"id": 7, "method": "ticker.price", "params": ["BTCUSDT"]})
    answer = ws_api.recv()
    assert answer["id"] == 7 and answer["error"]["code"] == -1135
    ws_api.send({"id": 8, "method": "order.teleport", "params": {}})
    assert ws_api.recv() == {
        "id": 8,
        "status": 400,
        "error": {"code": -1020, "msg": "Unsupported operation."},
    }
    ws_api.send({"id": 9, "method": ["order.place"], "params": {}})
    assert ws_api.recv()["error"]["code"] == -1020
    # the socket is still usable after every refusal
    assert ws_api.request("ticker.price", {"symbol": "BTCUSDT"})["status"] == 200


def test_pipelined_requests_are_answered_in_order_without_the_stream_frame_cap(sim, ws_api):
    for i in range(25):  # the market streams cut a socket at 10 frames a second
        ws_api.send({"id": i, "method": "ticker.price", "params": {"symbol": "ETHUSDT"}})
    assert [ws_api.recv()["id"] for _ in range(25)] == list(range(25))


def test_return_rate_limits_false_drops_the_field(sim, ws_api):
    answer = ws_api.request("ticker.price", {"symbol": "BTCUSDT", "returnRateLimits": False})
    assert "rateLimits" not in answer and answer["status"] == 200
    signed = ws_api.signed("account.balance", returnRateLimits=False)
    assert signed["status"] == 200 and "rateLimits" not in signed
    with connect(sim.ws_url + "/ws-fapi/v1?returnRateLimits=false") as ws:
        quiet = WsApi(ws)
        assert "rateLimits" not in quiet.request("ticker.price", {"symbol": "BTCUSDT"})
        assert quiet.request("session.status")["result"]["returnRateLimits"] is False


def test_ws_weight_is_charged_in_the_rest_limiter():
    with running_simexchange(
        api_keys=f"{ALICE[0]}:{ALICE[1]}", feed_running=False, weight_limit=12
    ) as sim:
        sim.control.freeze_clock()  # one weight window for the whole test
        server_ms = requests.get(sim.base_url + "/fapi/v1/time").json()["serverTime"]
        with connect(sim.ws_url + "/ws-fapi/v1") as ws:
            api = WsApi(ws)
            first = api.signed("account.status", timestamp=server_ms)  # weight 5, after /time's 1
            assert first["rateLimits"][0]["count"] == 6
            r = requests.get(sim.base_url + "/fapi/v1/ping")
            assert r.headers["X-MBX-USED-WEIGHT-1M"] == "7"
            second = api.signed("account.balance", timestamp=server_ms)
            assert second["status"] == 200 and second["rateLimits"][0]["count"] == 12
            over = api.signed("account.balance", timestamp=server_ms)
            assert over["status"] == 429 and over["error"]["code"] == -1003
            assert over["error"]["data"]["retryAfter"] > server_ms
            assert requests.get(sim.base_url + "/fapi/v1/ping").status_code == 418


# ---------------------------------------------------------------- Binance's own SDK


def test_binance_sdk_websocket_api_client_trades_against_the_stand_in(sim, alice):
    async def run() -> tuple[Any, ...]:
        config = ConfigurationWebSocketAPI(
            api_key=ALICE[0], api_secret=ALICE[1], stream_url=sim.ws_url + "/ws-fapi/v1"
        )
        conn = await DerivativesTradingUsdsFutures(
            config_ws_api=config
        ).websocket_api.create_connection()
        try:
            price = (await conn.symbol_price_ticker(symbol="ETHUSDT")).data()
            placed = await conn.new_order(
                symbol="BTCUSDT",
                side="BUY",
                type="LIMIT",
                quantity=0.01,
                price=58500,
                time_in_force="GTC",
                new_client_order_id="sdk-ws-1",
            )
            queried = (
                await conn.query_order(symbol="BTCUSDT", orig_client_order_id="sdk-ws-1")
            ).data()
            cancelled = (
                await conn.cancel_order(symbol="BTCUSDT", order_id=queried.result.order_id)
            ).data()
            balance = (await conn.futures_account_balance_v2()).data()
            positions = (await conn.position_information_v2(symbol="BTCUSDT")).data()
            return price, placed.data(), placed.rate_limits, queried, cancelled, balance, positions
        finally:
            await conn.close_connection(close_session=True)

    price, placed, limits, queried, cancelled, balance, positions = asyncio.run(run())
    assert price.actual_instance.result.price == "3000.00"
    assert placed.result.client_order_id == "sdk-ws-1" and placed.result.status == "NEW"
    assert {r.rateLimitType for r in limits} == {"REQUEST_WEIGHT", "ORDERS"}
    assert queried.result.price == "58500.00"
    assert cancelled.result.status == "CANCELED"
    assert balance.result[0].asset == "USDT"
    assert positions.result == []  # v2/account.position lists open positions only
    rest = alice.ok("GET", "/fapi/v1/order", symbol="BTCUSDT", origClientOrderId="sdk-ws-1")
    assert rest["status"] == "CANCELED"


def test_ws_cut_after_cuts_a_ws_api_socket_too(sim, ws_api, alice):
    sim.control.faults(ws_cut_after=1)
    ws_api.send({"id": 1, "method": "ticker.price", "params": {"symbol": "BTCUSDT"}})
    assert ws_api.recv()["status"] == 200
    with pytest.raises(ConnectionClosed):
        ws_api.send({"id": 2, "method": "ticker.price", "params": {"symbol": "BTCUSDT"}})
        ws_api.recv()


# ---------------------------------------------------------------- Ed25519 keys and sessions

ED_PRIVATE = Ed25519PrivateKey.generate()
ED_OTHER = Ed25519PrivateKey.generate()
ED_RAW = base64.b64encode(ED_PRIVATE.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
ED_DER = base64.b64encode(
    ED_OTHER.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
)


def ed_sign(private: Ed25519PrivateKey, payload: str) -> str:
    return base64.b64encode(private.sign(payload.encode())).decode()


@pytest.fixture(scope="module")
def ed_server() -> Iterator[RunningSim]:
    keys = f"edkey:ed25519:{ED_RAW.decode()},edder:ed25519:{ED_DER.decode()},{ALICE[0]}:{ALICE[1]}"
    with running_simexchange(api_keys=keys, feed_running=False) as sim:
        yield sim


@pytest.fixture
def ed_sim(ed_server: RunningSim) -> RunningSim:
    ed_server.control.reset()
    return ed_server


def ed_params(key: str, private: Ed25519PrivateKey, **params: Any) -> dict:
    params = {"apiKey": key, "timestamp": int(time.time() * 1000), **params}
    payload = "&".join(f"{k}={param_text(params[k])}" for k in sorted(params))
    params["signature"] = ed_sign(private, payload)
    return params


def test_ed25519_keys_sign_rest_calls(ed_sim):
    query = urlencode({"timestamp": int(time.time() * 1000)})
    sig = quote(ed_sign(ED_PRIVATE, query), safe="")
    r = requests.get(
        f"{ed_sim.base_url}/fapi/v2/balance?{query}&signature={sig}",
        headers={"X-MBX-APIKEY": "edkey"},
    )
    assert r.status_code == 200 and r.json()[0]["asset"] == "USDT"
    forged = quote(ed_sign(ED_OTHER, query), safe="")
    r = requests.get(
        f"{ed_sim.base_url}/fapi/v2/balance?{query}&signature={forged}",
        headers={"X-MBX-APIKEY": "edkey"},
    )
    assert r.status_code == 400 and r.json()["code"] == -1022


def test_session_logon_with_an_ed25519_key_signs_later_requests(ed_sim):
    with connect(ed_sim.ws_url + "/ws-fapi/v1") as ws:
        api = WsApi(ws)
        # a signature by another key is refused and logs nobody on
        assert api.request("session.logon", ed_params("edkey", ED_OTHER))["error"]["code"] == -1022
        assert api.request("session.status")["result"]["apiKey"] is None
        logon = api.request("session.logon", ed_params("edkey", ED_PRIVATE))
        assert logon["status"] == 200
        assert logon["result"]["apiKey"] == "edkey"
        assert isinstance(logon["result"]["authorizedSince"], int)
        # now only timestamp is needed; the order lands on edkey's account
        now = int(time.time() * 1000)
        placed = api.request("order.place", {**BTC_LIMIT, "timestamp": now})
        assert placed["status"] == 200, placed
        assert api.request("order.place", BTC_LIMIT)["error"]["code"] == -1102  # no timestamp
        stale = api.request("account.balance", {"timestamp": now - 120_000})
        assert stale["error"]["code"] == -1021
        listen = api.request("userDataStream.start", {})
        assert listen["status"] == 200 and listen["result"]["listenKey"]
        # an explicit apiKey+signature is used ad hoc: alice's HMAC key acts on alice's account
        assert api.ok("account.balance")[0]["asset"] == "USDT"
        oid = placed["result"]["orderId"]
        assert api.err("order.status", symbol="BTCUSDT", orderId=oid)[1] == -2013
        by_session = api.request(
            "order.status", {"symbol": "BTCUSDT", "orderId": oid, "timestamp": now}
        )
        assert by_session["result"]["status"] == "NEW"
        state = requests.get(ed_sim.base_url + "/_sim/state", timeout=5).json()["accounts"]
        assert [o["orderId"] for o in state["edkey"]["open_orders"]] == [oid]
        assert state[ALICE[0]]["open_orders"] == []
        out = api.request("session.logout")
        assert out["status"] == 200 and out["result"]["apiKey"] is None
        after = api.request("account.balance", {"timestamp": int(time.time() * 1000)})
        assert after["error"]["code"] == -1102
        # a DER-encoded public key logs on too, and a logon replaces the session's key
        assert api.request("session.logon", ed_params("edder", ED_OTHER))["status"] == 200
        assert api.request("session.status")["result"]["apiKey"] == "edder"


def test_an_hmac_signature_never_passes_for_an_ed25519_key(ed_sim):
    with connect(ed_sim.ws_url + "/ws-fapi/v1") as ws:
        api = WsApi(ws, ("edkey", "not-the-key"))
        assert api.err("account.balance")[1] == -1022


def test_binance_sdk_signs_ws_requests_with_an_ed25519_private_key(ed_sim):
    pem = ED_PRIVATE.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()

    async def run() -> tuple[Any, Any]:
        config = ConfigurationWebSocketAPI(
            api_key="edkey", private_key=pem, stream_url=ed_sim.ws_url + "/ws-fapi/v1"
        )
        api = DerivativesTradingUsdsFutures(config_ws_api=config).websocket_api
        conn = await api.create_connection()
        try:
            placed = await conn.new_order(
                symbol="ETHUSDT",
                side="SELL",
                type="LIMIT",
                quantity=0.05,
                price=3500,
                time_in_force="GTC",
                new_client_order_id="sdk-ed-1",
            )
            balance = await conn.futures_account_balance()
            return placed.data(), balance.data()
        finally:
            await conn.close_connection(close_session=True)

    placed, balance = asyncio.run(run())
    assert placed.status == 200 and placed.result.client_order_id == "sdk-ed-1"
    assert balance.result[0].asset == "USDT"
    state = requests.get(ed_sim.base_url + "/_sim/state", timeout=5).json()
    assert [o["clientOrderId"] for o in state["accounts"]["edkey"]["open_orders"]] == ["sdk-ed-1"]
