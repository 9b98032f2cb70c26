"""Every Binance rejection the stand-in promises, with its HTTP status and code."""

from __future__ import annotations

import pytest
import requests

LIMIT = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"quantity": "0.01"}, -1102),  # LIMIT without price
        ({"price": "59000"}, -1102),  # no quantity
        ({"quantity": "abc", "price": "59000"}, -1100),
        ({"quantity": "0.000000001", "price": "59000"}, -1111),
        ({"quantity": "0.01", "price": "59000.05"}, -4014),
        ({"quantity": "0.0015", "price": "59000"}, -1111),  # 4 decimals, quantityPrecision 3
        ({"quantity": "0.01", "price": "59000.055"}, -1111),  # 3 decimals, pricePrecision 2
        ({"quantity": "0", "price": "59000"}, -4003),
        ({"quantity": "1001", "price": "59000"}, -4005),
        ({"quantity": "0.001", "price": "59000"}, -4164),  # 59 USDT < 100 notional
        ({"quantity": "0.01", "price": "70000"}, -4016),  # above the PERCENT_PRICE band
        ({"quantity": "0.01", "price": "59000", "timeInForce": "XYZ"}, -1115),
        ({"quantity": "0.01", "price": "59000", "symbol": "FOOUSDT"}, -1121),
    ],
)
def test_it_rejects_bad_new_orders(sim, alice_api, params, code):
    status, got = alice_api.err("POST", "/fapi/v1/order", **{**LIMIT, **params})
    assert (status, got) == (400, code)


@pytest.mark.parametrize(
    ("params", "code", "msg"),
    [
        (
            {"quantity": "1e-3", "price": "59000"},
            -1100,
            "Illegal characters found in parameter 'quantity'; legal range is "
            "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
        ),
        (
            {"quantity": "0.0101", "price": "59000"},
            -1111,
            "Precision is over the maximum defined for this asset.",
        ),
        ({"quantity": "0.01", "price": "59000.05"}, -4014, "Price not increased by tick size."),
    ],
)
def test_refusals_use_binances_own_message_text(sim, alice_api, params, code, msg):
    r = alice_api.call("POST", "/fapi/v1/order", **{**LIMIT, **params})
    assert (r.status_code, r.json()) == (400, {"code": code, "msg": msg})


def test_trailing_zeros_add_no_precision(sim, alice_api):
    o = alice_api.ok(
        "POST", "/fapi/v1/order", **{**LIMIT, "quantity": "0.01000", "price": "59000.00"}
    )
    assert o["origQty"] == "0.010" and o["price"] == "59000.00"


def test_it_rejects_quantity_under_min_or_precision(sim, alice_api):
    # SOLUSDT minQty is 1; ETH min qty 0.001 -> use the market lot of SOL
    status, code = alice_api.err(
        "POST", "/fapi/v1/order", symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.0001"
    )
    assert code in (-4004, -1111, -4023)
    status, code = alice_api.err(
        "POST",
        "/fapi/v1/order",
        symbol="BNBUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        price="600",
        quantity="0.001",
    )
    # BNBUSDT's quantityPrecision is 2: a third decimal is over precision before any minimum
    assert code == -1111


def test_it_sends_conditional_types_to_the_algo_service(sim, alice_api):
    for t in ("STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"):
        status, code = alice_api.err(
            "POST", "/fapi/v1/order", symbol="BTCUSDT", side="SELL", type=t, quantity="0.01"
        )
        assert code == -4120


def test_it_answers_unknown_orders_with_2013_and_2011(sim, alice_api):
    assert alice_api.err("GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=1) == (400, -2013)
    assert alice_api.err("DELETE", "/fapi/v1/order", symbol="BTCUSDT", orderId=1) == (400, -2011)
    assert (
        alice_api.err("GET", "/fapi/v1/order", symbol="BTCUSDT", origClientOrderId="nope")[1]
        == -2013
    )


def test_it_rejects_duplicate_client_order_ids_with_4116(sim, alice_api):
    args = {**LIMIT, "quantity": "0.01", "price": "59000", "newClientOrderId": "dup-1"}
    alice_api.ok("POST", "/fapi/v1/order", **args)
    assert alice_api.err("POST", "/fapi/v1/order", **args) == (400, -4116)
    # still duplicate after the order is gone: the id was recently seen
    alice_api.ok("DELETE", "/fapi/v1/order", symbol="BTCUSDT", origClientOrderId="dup-1")
    assert alice_api.err("POST", "/fapi/v1/order", **args)[1] == -4116


def test_it_rejects_orders_beyond_margin_with_2019(sim, alice_api):
    # 10000 USDT at 20x buys at most ~3.3 BTC at 60000
    r = alice_api.err(
        "POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="4"
    )
    assert r == (400, -2019)


def test_it_rejects_reduce_only_without_position_with_2022(sim, alice_api):
    r = alice_api.err(
        "POST",
        "/fapi/v1/order",
        symbol="BTCUSDT",
        side="SELL",
        type="MARKET",
        quantity="0.01",
        reduceOnly="true",
    )
    assert r == (400, -2022)


def test_it_rejects_unchanged_margin_type_with_4046(sim, alice_api):
    assert (
        alice_api.err("POST", "/fapi/v1/marginType", symbol="BTCUSDT", marginType="CROSSED")[1]
        == -4046
    )
    alice_api.ok("POST", "/fapi/v1/marginType", symbol="BTCUSDT", marginType="ISOLATED")
    assert (
        alice_api.err("POST", "/fapi/v1/marginType", symbol="BTCUSDT", marginType="ISOLATED")[1]
        == -4046
    )


def test_it_refuses_margin_type_change_with_open_orders_or_position(sim, alice_api):
    alice_api.ok("POST", "/fapi/v1/order", **LIMIT, quantity="0.01", price="59000")
    assert (
        alice_api.err("POST", "/fapi/v1/marginType", symbol="BTCUSDT", marginType="ISOLATED")[1]
        == -4047
    )
    alice_api.ok("DELETE", "/fapi/v1/allOpenOrders", symbol="BTCUSDT")
    alice_api.ok(
        "POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01"
    )
    assert (
        alice_api.err("POST", "/fapi/v1/marginType", symbol="BTCUSDT", marginType="ISOLATED")[1]
        == -4048
    )


@pytest.mark.parametrize("lev", ["0", "126", "abc", "-1"])
def test_it_rejects_bad_leverage_with_4028(sim, alice_api, lev):
    assert alice_api.err("POST", "/fapi/v1/leverage", symbol="BTCUSDT", leverage=lev)[1] == -4028


def test_it_rejects_unknown_listen_key_keepalive_with_1125(sim):
    r = requests.put(
        f"{sim.base_url}/fapi/v1/listenKey", headers={"X-MBX-APIKEY": "alicekey"}, timeout=5
    )
    assert (r.status_code, r.json()["code"]) == (400, -1125)


def test_it_rejects_fok_that_cannot_fill_with_5021(sim, alice_api):
    args = {**LIMIT, "timeInForce": "FOK", "quantity": "0.01", "price": "59900"}
    assert alice_api.err("POST", "/fapi/v1/order", **args) == (400, -5021)
    assert alice_api.ok("GET", "/fapi/v1/openOrders") == []


def test_it_rejects_post_only_that_would_take_with_5022(sim, alice_api):
    args = {**LIMIT, "timeInForce": "GTX", "quantity": "0.01", "price": "60000"}
    assert alice_api.err("POST", "/fapi/v1/order", **args) == (400, -5022)
    args["price"] = "59990"
    assert alice_api.ok("POST", "/fapi/v1/order", **args)["status"] == "NEW"


def test_it_reports_one_way_mode_and_unchanged_with_4059(sim, alice_api):
    assert alice_api.ok("GET", "/fapi/v1/positionSide/dual") == {"dualSidePosition": False}
    assert alice_api.err("POST", "/fapi/v1/positionSide/dual", dualSidePosition="false")[1] == -4059


def test_unknown_routes_answer_404_json(sim):
    r = requests.get(f"{sim.base_url}/fapi/v9/nothing", timeout=5)
    assert r.status_code == 404 and "code" in r.json()


def test_every_response_carries_the_used_weight_header(sim, alice_api):
    r = requests.get(f"{sim.base_url}/fapi/v1/ping", timeout=5)
    assert int(r.headers["X-MBX-USED-WEIGHT-1M"]) >= 1
    r = alice_api.call("GET", "/fapi/v3/account")
    assert "X-MBX-USED-WEIGHT-1M" in r.headers
    r = alice_api.call("POST", "/fapi/v1/order", **LIMIT, quantity="0.01", price="59000")
    assert r.headers["X-MBX-ORDER-COUNT-10S"] == "1"
    assert r.headers["X-MBX-ORDER-COUNT-1M"] == "1"
