"""Matching: fills, resting limits, algo triggers, reduce-only, and the money to the cent."""

from __future__ import annotations

import time
from decimal import Decimal as D

LIMIT = {"symbol": "BTCUSDT", "type": "LIMIT", "timeInForce": "GTC"}


def market(api, side, qty, symbol="BTCUSDT", **extra):
    return api.ok(
        "POST",
        "/fapi/v1/order",
        symbol=symbol,
        side=side,
        type="MARKET",
        quantity=qty,
        newOrderRespType="RESULT",
        **extra,
    )


def wallet(api) -> D:
    return D(api.ok("GET", "/fapi/v3/account")["totalWalletBalance"])


def position(api, symbol="BTCUSDT") -> dict:
    rows = api.ok("GET", "/fapi/v3/positionRisk", symbol=symbol)
    return rows[0] if rows else {"positionAmt": "0", "entryPrice": "0"}


def test_a_market_buy_fills_at_the_ask_with_taker_fee(sim, alice_api):
    o = market(alice_api, "BUY", "0.010")
    assert o["status"] == "FILLED" and D(o["avgPrice"]) == D("60000")
    assert wallet(alice_api) == D("10000") - D("0.24")  # 600 * 0.0004
    trades = alice_api.ok("GET", "/fapi/v1/userTrades", symbol="BTCUSDT")
    assert trades[0]["commission"] == "0.24000000" and trades[0]["maker"] is False


def test_ack_is_the_default_answer(sim, alice_api):
    o = alice_api.ok(
        "POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01"
    )
    assert o["status"] == "NEW" and o["executedQty"] == "0"
    q = alice_api.ok("GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=o["orderId"])
    assert q["status"] == "FILLED" and "time" in q


def test_a_market_sell_fills_at_the_bid(sim, alice_api):
    o = market(alice_api, "SELL", "0.010")
    assert D(o["avgPrice"]) == D("59999.9")
    assert position(alice_api)["positionAmt"] == "-0.010"


def test_a_large_market_order_walks_the_book(sim, alice_api):
    o = market(alice_api, "BUY", "2")
    assert D(o["avgPrice"]) > D("60000")
    assert D(o["cumQuote"]) == sum(
        D(t["quoteQty"]) for t in alice_api.ok("GET", "/fapi/v1/userTrades", symbol="BTCUSDT")
    )


def test_pnl_and_commission_round_trip_to_the_cent(sim, alice_api):
    market(alice_api, "BUY", "0.100")  # 6000 notional at 60000, fee 2.40
    sim.control.set_price("BTCUSDT", "61234.5")
    p = position(alice_api)
    assert D(p["unRealizedProfit"]) == D("123.45")
    assert D(p["entryPrice"]) == D("60000")
    o = market(alice_api, "SELL", "0.100")  # sells at bid 61234.4
    assert D(o["avgPrice"]) == D("61234.4")
    realized = (D("61234.4") - D("60000")) * D("0.1")
    fees = D("6000") * D("0.0004") + D("6123.44") * D("0.0004")
    assert wallet(alice_api) == D("10000") + realized - fees
    trades = alice_api.ok("GET", "/fapi/v1/userTrades", symbol="BTCUSDT")
    assert D(trades[-1]["realizedPnl"]) == realized == D("123.44")
    assert position(alice_api)["positionAmt"] == "0"


def test_weighted_entry_price_across_fills(sim, alice_api):
    market(alice_api, "BUY", "0.010")
    sim.control.set_price("BTCUSDT", "62000")
    market(alice_api, "BUY", "0.030")
    assert D(position(alice_api)["entryPrice"]) == D("61500")  # (600 + 1860) / 0.04


def test_a_limit_rests_then_fills_as_maker_on_a_crossing_move(sim, alice_api):
    o = alice_api.ok("POST", "/fapi/v1/order", **LIMIT, side="BUY", quantity="0.010", price="59500")
    assert o["status"] == "NEW"
    assert len(alice_api.ok("GET", "/fapi/v1/openOrders", symbol="BTCUSDT")) == 1
    acct = alice_api.ok("GET", "/fapi/v3/account")
    assert D(acct["totalOpenOrderInitialMargin"]) == D("595") / 20
    sim.control.set_price("BTCUSDT", "59600")
    assert (
        alice_api.ok("GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=o["orderId"])["status"]
        == "NEW"
    )
    sim.control.set_price("BTCUSDT", "59400")
    q = alice_api.ok("GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=o["orderId"])
    assert q["status"] == "FILLED" and D(q["avgPrice"]) == D("59500")
    assert wallet(alice_api) == D("10000") - D("595") * D("0.0002")
    assert alice_api.ok("GET", "/fapi/v1/openOrders") == []


def test_a_crossing_limit_takes_then_ioc_expires_the_rest(sim, alice_api):
    o = alice_api.ok(
        "POST",
        "/fapi/v1/order",
        **{**LIMIT, "timeInForce": "IOC"},
        side="BUY",
        quantity="0.01",
        price="60000",
        newOrderRespType="RESULT",
    )
    assert o["status"] == "FILLED"
    o = alice_api.ok(
        "POST",
        "/fapi/v1/order",
        **{**LIMIT, "timeInForce": "IOC"},
        side="BUY",
        quantity="0.01",
        price="59000",
        newOrderRespType="RESULT",
    )
    assert o["status"] == "EXPIRED" and o["executedQty"] == "0"


def test_cancel_and_cancel_all(sim, alice_api):
    a = alice_api.ok("POST", "/fapi/v1/order", **LIMIT, side="BUY", quantity="0.01", price="59000")
    alice_api.ok("POST", "/fapi/v1/order", **LIMIT, side="BUY", quantity="0.01", price="58900")
    c = alice_api.ok("DELETE", "/fapi/v1/order", symbol="BTCUSDT", orderId=a["orderId"])
    assert c["status"] == "CANCELED"
    assert (
        alice_api.err("DELETE", "/fapi/v1/order", symbol="BTCUSDT", orderId=a["orderId"])[1]
        == -2011
    )
    r = alice_api.ok("DELETE", "/fapi/v1/allOpenOrders", symbol="BTCUSDT")
    assert r["code"] == 200
    assert alice_api.ok("GET", "/fapi/v1/openOrders") == []


def test_reduce_only_cannot_flip_a_position(sim, alice_api):
    market(alice_api, "BUY", "0.010")
    o = market(alice_api, "SELL", "0.050", reduceOnly="true")
    assert o["executedQty"] == "0.010" and o["status"] == "EXPIRED"
    assert position(alice_api)["positionAmt"] == "0"
    # nothing left to reduce
    assert (
        alice_api.err(
            "POST",
            "/fapi/v1/order",
            symbol="BTCUSDT",
            side="SELL",
            type="MARKET",
            quantity="0.01",
            reduceOnly="true",
        )[1]
        == -2022
    )


def test_a_plain_order_can_flip_a_position(sim, alice_api):
    market(alice_api, "BUY", "0.010")
    market(alice_api, "SELL", "0.030")
    p = position(alice_api)
    assert p["positionAmt"] == "-0.020" and D(p["entryPrice"]) == D("59999.9")


def test_accounts_are_independent(sim, alice_api, bob_api):
    market(alice_api, "BUY", "0.010")
    assert bob_api.ok("GET", "/fapi/v3/positionRisk") == []
    assert wallet(bob_api) == D("10000")


def test_isolated_margin_moves_margin_into_the_position(sim, alice_api):
    alice_api.ok("POST", "/fapi/v1/marginType", symbol="BTCUSDT", marginType="ISOLATED")
    alice_api.ok("POST", "/fapi/v1/leverage", symbol="BTCUSDT", leverage=10)
    market(alice_api, "BUY", "0.100")
    p = alice_api.ok("GET", "/fapi/v2/positionRisk", symbol="BTCUSDT")[0]
    assert p["marginType"] == "isolated" and p["leverage"] == "10"
    assert D(p["isolatedWallet"]) == D("600")
    # LP = (WB - amt*entry) / (|amt|*mmr - amt) = (600 - 6000) / (0.0004 - 0.1)
    assert D(p["liquidationPrice"]) == D("54216.8")
    acct = alice_api.ok("GET", "/fapi/v3/account")
    assert D(acct["totalCrossWalletBalance"]) == D("10000") - D("2.4") - D("600")


def test_isolated_position_is_liquidated_below_its_price(sim, alice_api):
    alice_api.ok("POST", "/fapi/v1/marginType", symbol="BTCUSDT", marginType="ISOLATED")
    alice_api.ok("POST", "/fapi/v1/leverage", symbol="BTCUSDT", leverage=10)
    market(alice_api, "BUY", "0.100")
    sim.control.set_price("BTCUSDT", "54000")
    assert position(alice_api)["positionAmt"] == "0"
    orders = alice_api.ok("GET", "/fapi/v1/allOrders", symbol="BTCUSDT")
    assert orders[-1]["type"] == "LIQUIDATION"


def test_leverage_and_symbol_config(sim, alice_api):
    r = alice_api.ok("POST", "/fapi/v1/leverage", symbol="ETHUSDT", leverage=7)
    assert r["leverage"] == 7 and r["symbol"] == "ETHUSDT"
    cfg = alice_api.ok("GET", "/fapi/v1/symbolConfig", symbol="ETHUSDT")[0]
    assert cfg["leverage"] == 7 and cfg["marginType"] == "CROSSED"


def test_a_stop_market_triggers_and_spawns_a_market_order(sim, alice_api):
    market(alice_api, "BUY", "0.010")
    a = alice_api.algo(
        side="SELL",
        type="STOP_MARKET",
        triggerPrice="59000",
        quantity="0.010",
        reduceOnly="true",
        clientAlgoId="sl-1",
    )
    assert a["algoStatus"] == "NEW" and a["clientAlgoId"] == "sl-1"
    assert alice_api.ok("GET", "/fapi/v1/openOrders") == []  # invisible to normal orders
    assert len(alice_api.ok("GET", "/fapi/v1/openAlgoOrders")) == 1
    sim.control.set_price("BTCUSDT", "59500")
    assert alice_api.ok("GET", "/fapi/v1/algoOrder", algoId=a["algoId"])["algoStatus"] == "NEW"
    sim.control.set_price("BTCUSDT", "58950")
    q = alice_api.ok("GET", "/fapi/v1/algoOrder", clientAlgoId="sl-1")
    assert q["algoStatus"] == "FINISHED" and q["actualOrderId"]
    assert position(alice_api)["positionAmt"] == "0"
    spawned = alice_api.ok(
        "GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=int(q["actualOrderId"])
    )
    assert spawned["origType"] == "STOP_MARKET" and spawned["status"] == "FILLED"


def test_take_profit_with_close_position_on_mark_price(sim, alice_api):
    market(alice_api, "BUY", "0.020")
    alice_api.algo(
        side="SELL",
        type="TAKE_PROFIT_MARKET",
        triggerPrice="61000",
        closePosition="true",
        workingType="MARK_PRICE",
    )
    sim.control.set_price("BTCUSDT", "61500", mark="60900")  # last crossed, mark not
    assert position(alice_api)["positionAmt"] == "0.020"
    sim.control.set_price("BTCUSDT", "61500", mark="61000")
    assert position(alice_api)["positionAmt"] == "0"


def test_a_stop_limit_spawns_a_resting_limit(sim, alice_api):
    a = alice_api.algo(
        side="BUY",
        type="STOP",
        triggerPrice="60500",
        price="60600",
        quantity="0.010",
    )
    sim.control.set_price("BTCUSDT", "60550")
    q = alice_api.ok("GET", "/fapi/v1/algoOrder", algoId=a["algoId"])
    spawned = alice_api.ok(
        "GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=int(q["actualOrderId"])
    )
    assert spawned["type"] == "LIMIT" and spawned["status"] == "FILLED"  # crossed at once


def test_trailing_stop_follows_the_peak(sim, alice_api):
    market(alice_api, "BUY", "0.010")
    alice_api.algo(
        side="SELL",
        type="TRAILING_STOP_MARKET",
        callbackRate="1",
        quantity="0.010",
        reduceOnly="true",
    )
    for p in ("60500", "61000", "60500"):
        sim.control.set_price("BTCUSDT", p)
    assert position(alice_api)["positionAmt"] == "0.010"
    sim.control.set_price("BTCUSDT", "60389")  # 1 % under the 61000 peak is 60390
    assert position(alice_api)["positionAmt"] == "0"


def test_algo_errors(sim, alice_api):
    code = alice_api.err(
        "POST",
        "/fapi/v1/algoOrder",
        algoType="CONDITIONAL",
        symbol="BTCUSDT",
        side="SELL",
        type="STOP_MARKET",
        triggerPrice="61000",
        quantity="0.01",
    )[1]
    assert code == -2021  # would trigger at once
    assert alice_api.err("GET", "/fapi/v1/algoOrder", algoId=1)[1] == -2013
    assert alice_api.err("DELETE", "/fapi/v1/algoOrder", algoId=1)[1] == -2011
    alice_api.algo(side="SELL", type="STOP_MARKET", triggerPrice="59000", quantity="0.01")
    r = alice_api.ok("DELETE", "/fapi/v1/algoOpenOrders", symbol="BTCUSDT")
    assert r["code"] == 200 and alice_api.ok("GET", "/fapi/v1/openAlgoOrders") == []


def test_cancel_algo_by_client_id(sim, alice_api):
    alice_api.algo(
        side="SELL",
        type="STOP_MARKET",
        triggerPrice="59000",
        quantity="0.01",
        clientAlgoId="x1",
    )
    r = alice_api.ok("DELETE", "/fapi/v1/algoOrder", clientAlgoId="x1")
    assert r["code"] == "200" and r["clientAlgoId"] == "x1"


def test_price_path_plays_prices_in_order(sim, alice_api):
    alice_api.ok("POST", "/fapi/v1/order", **LIMIT, side="SELL", quantity="0.01", price="60300")
    sim.control.price_path("BTCUSDT", ["60100", "60200", "60300"], interval_ms=10)
    deadline = time.time() + 3
    while time.time() < deadline and alice_api.ok("GET", "/fapi/v1/openOrders"):
        time.sleep(0.02)
    assert alice_api.ok("GET", "/fapi/v1/openOrders") == []
