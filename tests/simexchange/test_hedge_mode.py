"""Hedge mode in the stand-in: Binance's rules for switching, positionSide on orders, one
position per side, no reduceOnly, closes by side, `ps` on user events, and persistence."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import aiohttp
import pytest

from simexchange.testing import SimProcess
from tests.support.sim_ws import listen_key, recv_until

from .conftest import ALICE, Client

MARKET = {"symbol": "BTCUSDT", "type": "MARKET"}


def hedge(api: Client) -> None:
    assert api.ok("POST", "/fapi/v1/positionSide/dual", dualSidePosition="true") == {
        "code": 200,
        "msg": "success",
    }


def rows(api: Client, path: str, **params) -> dict[str, str]:
    """positionSide -> positionAmt of BTCUSDT in a positionRisk / account answer."""
    body = api.ok("GET", path, **params)
    listed = body["positions"] if isinstance(body, dict) else body
    return {r["positionSide"]: r["positionAmt"] for r in listed if r["symbol"] == "BTCUSDT"}


def test_it_reads_the_mode_at_weight_30_and_switches_it(sim, alice_api, bob_api):
    r = alice_api.call("GET", "/fapi/v1/positionSide/dual")
    before = int(r.headers["X-MBX-USED-WEIGHT-1M"])
    assert r.json() == {"dualSidePosition": False}
    hedge(alice_api)
    r = alice_api.call("GET", "/fapi/v1/positionSide/dual")
    assert r.json() == {"dualSidePosition": True}
    assert int(r.headers["X-MBX-USED-WEIGHT-1M"]) - before == 30 + 1  # this read + the switch
    assert alice_api.ok("GET", "/fapi/v1/accountConfig")["dualSidePosition"] is True
    # the mode is the account's: another key's account stays one-way
    assert bob_api.ok("GET", "/fapi/v1/positionSide/dual") == {"dualSidePosition": False}


@pytest.mark.parametrize("value", ["true", "false"])
def test_it_answers_4059_when_the_mode_is_already_set(sim, alice_api, value):
    if value == "true":
        hedge(alice_api)
    assert alice_api.err("POST", "/fapi/v1/positionSide/dual", dualSidePosition=value) == (
        400,
        -4059,
    )


@pytest.mark.parametrize("value", ["yes", "1", "TRUE ", ""])
def test_it_refuses_a_malformed_mode_with_1102(sim, alice_api, value):
    assert alice_api.err("POST", "/fapi/v1/positionSide/dual", dualSidePosition=value)[1] == -1102
    assert alice_api.ok("GET", "/fapi/v1/positionSide/dual") == {"dualSidePosition": False}


def test_open_orders_block_the_switch_with_4067(sim, alice_api):
    alice_api.ok(
        "POST",
        "/fapi/v1/order",
        symbol="ETHUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.01",
        price="2900",
    )
    r = alice_api.call("POST", "/fapi/v1/positionSide/dual", dualSidePosition="true")
    assert r.json() == {
        "code": -4067,
        "msg": "Position side cannot be changed if there exists open orders.",
    }
    alice_api.ok("DELETE", "/fapi/v1/allOpenOrders", symbol="ETHUSDT")
    # a conditional (algo) order is an open order too
    alice_api.ok(
        "POST",
        "/fapi/v1/algoOrder",
        algoType="CONDITIONAL",
        symbol="ETHUSDT",
        side="SELL",
        type="STOP_MARKET",
        triggerPrice="2500",
        quantity="0.01",
    )
    assert alice_api.err("POST", "/fapi/v1/positionSide/dual", dualSidePosition="true")[1] == -4067
    alice_api.ok("DELETE", "/fapi/v1/algoOpenOrders", symbol="ETHUSDT")
    hedge(alice_api)


def test_a_position_blocks_the_switch_both_ways_with_4068(sim, alice_api):
    alice_api.ok("POST", "/fapi/v1/order", **MARKET, side="SELL", quantity="0.002")
    r = alice_api.call("POST", "/fapi/v1/positionSide/dual", dualSidePosition="true")
    assert r.json() == {
        "code": -4068,
        "msg": "Position side cannot be changed if there exists position.",
    }
    alice_api.ok("POST", "/fapi/v1/order", **MARKET, side="BUY", quantity="0.002")
    hedge(alice_api)
    alice_api.ok(
        "POST", "/fapi/v1/order", **MARKET, side="SELL", positionSide="SHORT", quantity="0.002"
    )
    assert alice_api.err("POST", "/fapi/v1/positionSide/dual", dualSidePosition="false")[1] == -4068
    assert alice_api.ok("GET", "/fapi/v1/positionSide/dual") == {"dualSidePosition": True}


@pytest.mark.parametrize(
    ("dual", "position_side", "code"),
    [
        (True, None, -4061),
        (True, "BOTH", -4061),
        (False, "LONG", -4061),
        (False, "SHORT", -4061),
        (True, "long", -4060),
        (False, "SIDEWAYS", -4060),
    ],
)
def test_orders_must_name_the_side_the_mode_keeps(sim, alice_api, dual, position_side, code):
    if dual:
        hedge(alice_api)
    params = {**MARKET, "side": "BUY", "quantity": "0.002"}
    if position_side is not None:
        params["positionSide"] = position_side
    for path in ("/fapi/v1/order", "/fapi/v1/order/test"):
        assert alice_api.err("POST", path, **params) == (400, code)
    algo = {
        "algoType": "CONDITIONAL",
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "STOP_MARKET",
        "triggerPrice": "65000",
        "quantity": "0.002",
    }
    if position_side is not None:
        algo["positionSide"] = position_side
    assert alice_api.err("POST", "/fapi/v1/algoOrder", **algo)[1] == code
    assert alice_api.ok("GET", "/fapi/v1/openOrders") == []
    assert alice_api.ok("GET", "/fapi/v1/openAlgoOrders") == []


@pytest.mark.parametrize("value", ["true", "false"])
def test_reduce_only_is_refused_in_hedge_mode_with_1106(sim, alice_api, value):
    hedge(alice_api)
    alice_api.ok(
        "POST", "/fapi/v1/order", **MARKET, side="BUY", positionSide="LONG", quantity="0.002"
    )
    r = alice_api.call(
        "POST",
        "/fapi/v1/order",
        **MARKET,
        side="SELL",
        positionSide="LONG",
        quantity="0.002",
        reduceOnly=value,
    )
    assert r.status_code == 400
    assert r.json() == {"code": -1106, "msg": "Parameter 'reduceonly' sent when not required."}
    assert rows(alice_api, "/fapi/v3/positionRisk") == {"LONG": "0.002", "SHORT": "0"}


def test_long_and_short_are_kept_apart_and_closed_by_side(sim, alice_api):
    hedge(alice_api)
    buy = alice_api.ok(
        "POST", "/fapi/v1/order", **MARKET, side="BUY", positionSide="LONG", quantity="0.010"
    )
    assert buy["positionSide"] == "LONG"
    alice_api.ok(
        "POST", "/fapi/v1/order", **MARKET, side="SELL", positionSide="SHORT", quantity="0.004"
    )
    # both sides live at once; one row per side, a SHORT's amount negative as on Binance
    expected = {"LONG": "0.010", "SHORT": "-0.004"}
    assert rows(alice_api, "/fapi/v3/positionRisk") == expected
    assert rows(alice_api, "/fapi/v2/positionRisk", symbol="BTCUSDT") == expected
    assert rows(alice_api, "/fapi/v3/account") == expected
    assert rows(alice_api, "/fapi/v2/account") == expected
    # v2 lists every symbol, two rows each and never a BOTH row in hedge mode
    every = alice_api.ok("GET", "/fapi/v2/positionRisk")
    assert {r["positionSide"] for r in every} == {"LONG", "SHORT"}
    assert len(every) == 2 * len({r["symbol"] for r in every})
    # closing a side more than it holds is refused; nothing changes
    too_much = {**MARKET, "side": "SELL", "positionSide": "LONG", "quantity": "0.011"}
    assert alice_api.err("POST", "/fapi/v1/order", **too_much) == (400, -2022)
    nothing = {**MARKET, "side": "BUY", "positionSide": "SHORT", "quantity": "0.005"}
    assert alice_api.err("POST", "/fapi/v1/order", **nothing) == (400, -2022)
    assert rows(alice_api, "/fapi/v3/positionRisk") == expected
    # SELL LONG closes the long only; BUY SHORT closes the short only
    alice_api.ok(
        "POST", "/fapi/v1/order", **MARKET, side="SELL", positionSide="LONG", quantity="0.010"
    )
    assert rows(alice_api, "/fapi/v3/positionRisk") == {"LONG": "0", "SHORT": "-0.004"}
    sim.control.set_price("BTCUSDT", "59000")
    close = alice_api.ok(
        "POST",
        "/fapi/v1/order",
        **MARKET,
        side="BUY",
        positionSide="SHORT",
        quantity="0.004",
        newOrderRespType="RESULT",
    )
    assert close["status"] == "FILLED" and close["reduceOnly"] is False
    assert alice_api.ok("GET", "/fapi/v3/positionRisk") == []
    trades = alice_api.ok("GET", "/fapi/v1/userTrades", symbol="BTCUSDT")
    assert [t["positionSide"] for t in trades] == ["LONG", "SHORT", "LONG", "SHORT"]
    # sold at the bid (59999.9), bought back at 59000: (59999.9 - 59000) * 0.004 before fees
    assert D(trades[-1]["realizedPnl"]) == D("3.9996")
    # flat and no orders: back to one-way
    assert (
        alice_api.ok("POST", "/fapi/v1/positionSide/dual", dualSidePosition="false")["code"] == 200
    )


def test_a_resting_close_fills_only_what_the_side_holds(sim, alice_api):
    hedge(alice_api)
    alice_api.ok(
        "POST", "/fapi/v1/order", **MARKET, side="BUY", positionSide="LONG", quantity="0.004"
    )
    limit = {
        "symbol": "BTCUSDT",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "side": "SELL",
        "positionSide": "LONG",
        "quantity": "0.004",
        "price": "61000",
    }
    resting = alice_api.ok("POST", "/fapi/v1/order", **limit)
    assert resting["status"] == "NEW" and resting["positionSide"] == "LONG"
    # a close reserves no margin, and opening the short side does not touch the long
    account = alice_api.ok("GET", "/fapi/v3/account")
    assert D(account["totalOpenOrderInitialMargin"]) == 0
    alice_api.ok(
        "POST", "/fapi/v1/order", **MARKET, side="SELL", positionSide="SHORT", quantity="0.003"
    )
    sim.control.set_price("BTCUSDT", "61000")
    order = alice_api.ok("GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=resting["orderId"])
    assert order["status"] == "FILLED"
    assert rows(alice_api, "/fapi/v3/positionRisk") == {"LONG": "0", "SHORT": "-0.003"}


async def test_user_events_carry_the_position_side(sim, alice_api):
    hedge(alice_api)
    lk = listen_key(sim, ALICE[0])
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{sim.ws_url}/ws/{lk}") as ws:
        await asyncio.sleep(0.05)
        alice_api.ok(
            "POST", "/fapi/v1/order", **MARKET, side="SELL", positionSide="SHORT", quantity="0.002"
        )
        trade = await recv_until(
            ws, lambda m: m["e"] == "ORDER_TRADE_UPDATE" and m["o"]["x"] == "TRADE"
        )
        assert trade["o"]["ps"] == "SHORT" and trade["o"]["R"] is False
        account = await recv_until(ws, lambda m: m["e"] == "ACCOUNT_UPDATE")
        assert [(p["ps"], p["pa"]) for p in account["a"]["P"]] == [("SHORT", "-0.002")]


def test_the_mode_and_side_positions_survive_a_restart_and_reset_clears_them(tmp_path):
    env = {
        "SIM_API_KEYS": "k1:s1",
        "SIM_STATE_FILE": str(tmp_path / "sim.json"),
        "SIM_SEED": "5",
        "SIM_FEED_RUNNING": "false",
    }
    with SimProcess(env=env) as proc:
        proc.control.set_price("BTCUSDT", "60000")
        assert proc.control.position_mode(True) == {"code": 200, "msg": "success"}
        api = Client(proc.base_url, "k1", "s1")
        api.ok(
            "POST", "/fapi/v1/order", **MARKET, side="BUY", positionSide="LONG", quantity="0.003"
        )
        api.ok(
            "POST", "/fapi/v1/order", **MARKET, side="SELL", positionSide="SHORT", quantity="0.002"
        )
    with SimProcess(env=env) as proc:
        api = Client(proc.base_url, "k1", "s1")
        assert api.ok("GET", "/fapi/v1/positionSide/dual") == {"dualSidePosition": True}
        assert rows(api, "/fapi/v3/positionRisk") == {"LONG": "0.003", "SHORT": "-0.002"}
        # still hedge after the restart: an order without a side is refused
        assert api.err("POST", "/fapi/v1/order", **MARKET, side="BUY", quantity="0.002")[1] == -4061
        proc.control.reset()
        assert api.ok("GET", "/fapi/v1/positionSide/dual") == {"dualSidePosition": False}
        assert api.ok("GET", "/fapi/v3/positionRisk") == []
        api.ok("POST", "/fapi/v1/order", **MARKET, side="BUY", quantity="0.002")
        assert rows(api, "/fapi/v3/positionRisk") == {"BOTH": "0.002"}


def test_a_close_position_stop_closes_its_side_only(sim, alice_api):
    hedge(alice_api)
    alice_api.ok(
        "POST", "/fapi/v1/order", **MARKET, side="BUY", positionSide="LONG", quantity="0.004"
    )
    alice_api.ok(
        "POST", "/fapi/v1/order", **MARKET, side="SELL", positionSide="SHORT", quantity="0.002"
    )
    stop = {
        "algoType": "CONDITIONAL",
        "symbol": "BTCUSDT",
        "type": "STOP_MARKET",
        "triggerPrice": "59000",
        "closePosition": "true",
    }
    # closing a side is SELL LONG / BUY SHORT; the other pairings would open
    r = alice_api.call("POST", "/fapi/v1/algoOrder", **stop, side="BUY", positionSide="LONG")
    assert r.json() == {
        "code": -4136,
        "msg": "Target strategy invalid for orderType STOP_MARKET,closePosition true",
    }
    algo = alice_api.ok("POST", "/fapi/v1/algoOrder", **stop, side="SELL", positionSide="LONG")
    assert algo["positionSide"] == "LONG" and algo["closePosition"] is True
    sim.control.set_price("BTCUSDT", "58900")
    assert rows(alice_api, "/fapi/v3/positionRisk") == {"LONG": "0", "SHORT": "-0.002"}


def _trail(api: Client, side: str, position_side: str, quantity: str, **extra) -> dict:
    return api.ok(
        "POST",
        "/fapi/v1/algoOrder",
        algoType="CONDITIONAL",
        symbol="BTCUSDT",
        type="TRAILING_STOP_MARKET",
        side=side,
        positionSide=position_side,
        quantity=quantity,
        callbackRate="1",
        **extra,
    )


def test_a_trailing_stop_closes_its_side_only_and_takes_no_reduce_only(sim, alice_api):
    hedge(alice_api)
    sim.control.set_price("BTCUSDT", "60000")
    alice_api.ok(
        "POST", "/fapi/v1/order", **MARKET, side="BUY", positionSide="LONG", quantity="0.004"
    )
    alice_api.ok(
        "POST", "/fapi/v1/order", **MARKET, side="SELL", positionSide="SHORT", quantity="0.002"
    )
    # reduceOnly, even false, is refused on a conditional order in hedge mode too
    r = alice_api.call(
        "POST",
        "/fapi/v1/algoOrder",
        algoType="CONDITIONAL",
        symbol="BTCUSDT",
        type="TRAILING_STOP_MARKET",
        side="BUY",
        positionSide="SHORT",
        quantity="0.002",
        callbackRate="1",
        reduceOnly="false",
    )
    assert r.json()["code"] == -1106
    trail = _trail(alice_api, "BUY", "SHORT", "0.002")
    assert (trail["positionSide"], trail["reduceOnly"]) == ("SHORT", False)
    # the low 59000 sets the stop at 59590: the SHORT is bought back, the LONG stays
    sim.control.set_price("BTCUSDT", "59000")
    assert rows(alice_api, "/fapi/v3/positionRisk")["SHORT"] == "-0.002"
    sim.control.set_price("BTCUSDT", "59600")
    assert rows(alice_api, "/fapi/v3/positionRisk") == {"LONG": "0.004", "SHORT": "0"}


def test_a_trailing_stop_bigger_than_its_side_never_opens_the_other(sim, alice_api):
    hedge(alice_api)
    sim.control.set_price("BTCUSDT", "60000")
    alice_api.ok(
        "POST", "/fapi/v1/order", **MARKET, side="BUY", positionSide="LONG", quantity="0.002"
    )
    trail = _trail(alice_api, "SELL", "LONG", "0.004")
    sim.control.set_price("BTCUSDT", "61000")
    sim.control.set_price("BTCUSDT", "60000")  # 1.6 % below the high: it triggers
    (algo,) = [
        a
        for a in alice_api.ok("GET", "/fapi/v1/allAlgoOrders", symbol="BTCUSDT")
        if a["algoId"] == trail["algoId"]
    ]
    assert algo["algoStatus"] == "REJECTED"  # -2022: more than the LONG holds
    assert rows(alice_api, "/fapi/v3/positionRisk") == {"LONG": "0.002", "SHORT": "0"}


def test_each_side_holds_its_own_close_position_stop(sim, alice_api):
    hedge(alice_api)
    sim.control.set_price("BTCUSDT", "60000")
    alice_api.ok(
        "POST", "/fapi/v1/order", **MARKET, side="BUY", positionSide="LONG", quantity="0.002"
    )
    alice_api.ok(
        "POST", "/fapi/v1/order", **MARKET, side="SELL", positionSide="SHORT", quantity="0.002"
    )
    stop = {
        "algoType": "CONDITIONAL",
        "symbol": "BTCUSDT",
        "type": "STOP_MARKET",
        "closePosition": "true",
    }
    alice_api.ok("POST", "/fapi/v1/algoOrder", **stop, side="SELL", positionSide="LONG",
                 triggerPrice="59000")  # fmt: skip
    alice_api.ok("POST", "/fapi/v1/algoOrder", **stop, side="BUY", positionSide="SHORT",
                 triggerPrice="61000")  # fmt: skip
    # a second Close-All stop of the same side and direction is refused
    r = alice_api.call("POST", "/fapi/v1/algoOrder", **stop, side="SELL", positionSide="LONG",
                       triggerPrice="58000")  # fmt: skip
    assert r.json()["code"] == -4130
    assert {a["positionSide"] for a in alice_api.ok("GET", "/fapi/v1/openAlgoOrders")} == {
        "LONG",
        "SHORT",
    }
