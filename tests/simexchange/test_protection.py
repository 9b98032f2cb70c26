"""Protecting a position on the stand-in: Close-All stops and take-profits, trailing stops.

Binance's algo order API (`POST /fapi/v1/algoOrder`) with its rules and refusals, the trailing
stop's activation and callback, and what REST answers and the user stream carry for each.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import aiohttp
import pytest

from tests.support.sim_ws import listen_key, recv_until

from .conftest import Client


def close_all(api: Client, side: str = "SELL", type_: str = "STOP_MARKET", **extra) -> dict:
    return api.algo(side=side, type=type_, closePosition="true", **extra)


def trailing(api: Client, side: str = "SELL", qty: str = "0.010", **extra) -> dict:
    return api.algo(
        side=side, type="TRAILING_STOP_MARKET", quantity=qty, reduceOnly="true", **extra
    )


def algo_err(api: Client, **params) -> int:
    params.setdefault("symbol", "BTCUSDT")
    return api.err("POST", "/fapi/v1/algoOrder", algoType="CONDITIONAL", **params)[1]


# ---------------------------------------------------------------- closePosition


def test_a_close_all_stop_closes_whatever_the_position_has_grown_to(sim, alice_api):
    alice_api.market("BUY", "0.010")
    sl = close_all(alice_api, triggerPrice="59000")
    assert (sl["closePosition"], sl["quantity"], sl["reduceOnly"]) == (True, "0", False)
    alice_api.market("BUY", "0.015")  # the stop was placed for 0.010: it closes all 0.025
    sim.control.set_price("BTCUSDT", "58990")
    assert alice_api.position()["positionAmt"] == "0"
    done = alice_api.ok("GET", "/fapi/v1/algoOrder", algoId=sl["algoId"])
    spawned = alice_api.ok(
        "GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=int(done["actualOrderId"])
    )
    assert (spawned["origQty"], spawned["closePosition"], spawned["origType"]) == (
        "0.025",
        True,
        "STOP_MARKET",
    )


def test_a_take_profit_and_a_stop_may_guard_one_position_but_not_two_of_a_kind(sim, alice_api):
    alice_api.market("BUY", "0.010")
    close_all(alice_api, triggerPrice="59000")
    close_all(alice_api, type_="TAKE_PROFIT_MARKET", triggerPrice="61000")
    # a second Close-All stop in the same direction: Binance's -4130
    assert algo_err(
        alice_api, side="SELL", type="STOP_MARKET", triggerPrice="58000", closePosition="true"
    ) == (-4130)
    # a plain reduce-only stop beside them is fine, and so is a BUY Close-All (other direction)
    alice_api.algo(
        side="SELL", type="STOP_MARKET", triggerPrice="58000", quantity="0.005", reduceOnly="true"
    )
    close_all(alice_api, side="BUY", triggerPrice="62000")
    assert len(alice_api.ok("GET", "/fapi/v1/openAlgoOrders", symbol="BTCUSDT")) == 4


def test_close_all_refusals_use_binances_codes(sim, alice_api):
    alice_api.market("BUY", "0.010")
    base = {"side": "SELL", "closePosition": "true", "triggerPrice": "59000"}
    assert algo_err(alice_api, type="STOP", price="58900", **base) == -4136
    assert algo_err(alice_api, type="TRAILING_STOP_MARKET", callbackRate="1", **base) == -4136
    assert algo_err(alice_api, type="STOP_MARKET", quantity="0.010", **base) == -4137
    assert algo_err(alice_api, type="STOP_MARKET", reduceOnly="true", **base) == -1106
    assert algo_err(alice_api, type="STOP_MARKET", reduceOnly="false", **base) == -1106
    # already crossed: would trigger at once
    assert algo_err(alice_api, side="SELL", type="STOP_MARKET", triggerPrice="60500",
                    closePosition="true") == -2021  # fmt: skip
    assert alice_api.ok("GET", "/fapi/v1/openAlgoOrders") == []


def test_a_close_all_with_nothing_to_close_is_rejected_when_it_triggers(sim, alice_api):
    sl = close_all(alice_api, triggerPrice="59000")  # accepted with no position, as Binance does
    sim.control.set_price("BTCUSDT", "58900")
    done = alice_api.ok("GET", "/fapi/v1/algoOrder", algoId=sl["algoId"])
    assert done["algoStatus"] == "REJECTED" and done["actualOrderId"] == ""
    assert alice_api.position()["positionAmt"] == "0"


def test_another_account_cannot_read_or_cancel_a_close_all(sim, alice_api, bob_api):
    alice_api.market("BUY", "0.010")
    sl = close_all(alice_api, triggerPrice="59000")
    assert bob_api.err("GET", "/fapi/v1/algoOrder", algoId=sl["algoId"]) == (400, -2013)
    assert bob_api.err("DELETE", "/fapi/v1/algoOrder", algoId=sl["algoId"]) == (400, -2011)
    # bob's own Close-All of the same direction is his, not a duplicate of alice's
    close_all(bob_api, triggerPrice="59000")
    assert alice_api.ok("GET", "/fapi/v1/algoOrder", algoId=sl["algoId"])["algoStatus"] == "NEW"


def test_ten_open_conditional_orders_per_symbol_then_4045(sim, alice_api):
    for i in range(10):
        alice_api.algo(
            side="BUY", type="STOP_MARKET", triggerPrice=f"{61000 + i}", quantity="0.002"
        )
    assert algo_err(
        alice_api, side="BUY", type="STOP_MARKET", triggerPrice="62000", quantity="0.002"
    ) == (-4045)
    # another symbol has its own ten
    alice_api.algo(
        symbol="ETHUSDT", side="BUY", type="STOP_MARKET", triggerPrice="3100", quantity="0.1"
    )


def test_price_protect_holds_a_stop_while_mark_and_last_are_over_5_percent_apart(sim, alice_api):
    alice_api.market("BUY", "0.010")
    guarded = alice_api.algo(
        side="SELL",
        type="STOP_MARKET",
        triggerPrice="59000",
        quantity="0.010",
        reduceOnly="true",
        priceProtect="TRUE",
    )
    assert guarded["priceProtect"] is True
    sim.control.set_price("BTCUSDT", "57000", mark="60100")  # last wicked 5.2 % under mark
    assert alice_api.position()["positionAmt"] == "0.010"
    assert alice_api.ok("GET", "/fapi/v1/algoOrder", algoId=guarded["algoId"])["algoStatus"] == (
        "NEW"
    )
    sim.control.set_price("BTCUSDT", "57000", mark="58500")  # 2.6 % apart: it fires
    assert alice_api.position()["positionAmt"] == "0"


# ---------------------------------------------------------------- trailing stop


def test_a_trail_without_activation_price_starts_at_the_market_and_answers_its_fields(
    sim, alice_api
):
    alice_api.market("BUY", "0.010")
    t = trailing(alice_api, callbackRate="1.5", clientAlgoId="trail-1")
    assert (t["orderType"], t["callbackRate"], t["activatePrice"]) == (
        "TRAILING_STOP_MARKET",
        "1.5",
        "60000.00",  # Binance's default: the latest price
    )
    for p in ("60500", "62000", "61500"):
        sim.control.set_price("BTCUSDT", p)
    assert alice_api.position()["positionAmt"] == "0.010"
    sim.control.set_price("BTCUSDT", "61070")  # 1.5 % under the 62000 peak is 61070
    assert alice_api.position()["positionAmt"] == "0"
    done = alice_api.ok("GET", "/fapi/v1/algoOrder", clientAlgoId="trail-1")
    spawned = alice_api.ok(
        "GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=int(done["actualOrderId"])
    )
    assert (spawned["origType"], spawned["activatePrice"], spawned["priceRate"]) == (
        "TRAILING_STOP_MARKET",
        "60000.00",
        "1.5",
    )


def test_a_trail_tracks_nothing_until_its_activation_price(sim, alice_api):
    alice_api.market("BUY", "0.010")
    trailing(alice_api, callbackRate="2", activatePrice="61000")
    # a 2 % fall from 60800 would trigger an active trail; this one is not active yet
    sim.control.set_price("BTCUSDT", "60800")
    sim.control.set_price("BTCUSDT", "59500")
    assert alice_api.position()["positionAmt"] == "0.010"
    sim.control.set_price("BTCUSDT", "61000")  # active: the best price is tracked from here
    sim.control.set_price("BTCUSDT", "63000")
    sim.control.set_price("BTCUSDT", "61800")  # 1.9 % under the peak: still holds
    assert alice_api.position()["positionAmt"] == "0.010"
    sim.control.set_price("BTCUSDT", "61740")  # 2 % under 63000
    assert alice_api.position()["positionAmt"] == "0"


def test_a_short_trail_follows_the_low_and_fires_on_the_bounce(sim, alice_api):
    alice_api.market("SELL", "0.010")
    trailing(alice_api, side="BUY", callbackRate="1", activatePrice="59000")
    for p in ("59000", "58000", "58500"):
        sim.control.set_price("BTCUSDT", p)
    assert alice_api.position()["positionAmt"] == "-0.010"
    sim.control.set_price("BTCUSDT", "58580")  # 1 % over the 58000 low
    assert alice_api.position()["positionAmt"] == "0"


def test_a_trail_on_the_mark_price_ignores_the_last_price(sim, alice_api):
    alice_api.market("BUY", "0.010")
    trailing(alice_api, callbackRate="1", workingType="MARK_PRICE")
    sim.control.set_price("BTCUSDT", "59000", mark="60000")  # last fell 1.7 %, mark did not
    assert alice_api.position()["positionAmt"] == "0.010"
    sim.control.set_price("BTCUSDT", "59000", mark="59400")
    assert alice_api.position()["positionAmt"] == "0"


@pytest.mark.parametrize("rate", ["0.05", "10.1", "0.68", "abc", "0"])
def test_a_callback_rate_outside_0_1_to_10_in_tenths_is_refused(sim, alice_api, rate):
    code = algo_err(
        alice_api,
        side="SELL",
        type="TRAILING_STOP_MARKET",
        quantity="0.010",
        callbackRate=rate,
    )
    assert code == (-1100 if rate == "abc" else -2007)


def test_an_activation_price_already_passed_would_trigger_at_once(sim, alice_api):
    for side, activate in (("SELL", "59900"), ("BUY", "60100")):
        code = algo_err(
            alice_api,
            side=side,
            type="TRAILING_STOP_MARKET",
            quantity="0.010",
            callbackRate="1",
            activatePrice=activate,
        )
        assert code == -2021, side
    assert alice_api.ok("GET", "/fapi/v1/openAlgoOrders") == []


async def test_the_user_stream_carries_the_trail_from_activation_to_fill(sim, alice_api):
    alice_api.market("BUY", "0.010")
    lk = listen_key(sim)
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{sim.ws_url}/ws/{lk}") as ws:
        await asyncio.sleep(0.05)
        trailing(alice_api, callbackRate="1", activatePrice="60500", clientAlgoId="tr-ws")
        new = await recv_until(ws, lambda m: m["e"] == "ALGO_UPDATE")
        assert (new["o"]["X"], new["o"]["o"], new["o"]["ia"]) == (
            "NEW",
            "TRAILING_STOP_MARKET",
            False,
        )
        for p in ("60500", "61000", "60390"):
            sim.control.set_price("BTCUSDT", p)
        # the spawned order's events come first, then the algo's TRIGGERED and FINISHED
        trade = await recv_until(
            ws, lambda m: m["e"] == "ORDER_TRADE_UPDATE" and m["o"]["x"] == "TRADE"
        )
        o = trade["o"]
        assert (o["ot"], o["AP"], o["cr"], o["X"]) == (
            "TRAILING_STOP_MARKET",
            "60500.00",
            "1",
            "FILLED",
        )
        assert D(o["rp"]) == D("3.899")  # sold at the bid, 60389.9, bought at 60000
        fired = await recv_until(ws, lambda m: m["e"] == "ALGO_UPDATE")
        assert (fired["o"]["X"], fired["o"]["ia"], fired["o"]["ai"]) == (
            "TRIGGERED",
            True,
            str(o["i"]),
        )
