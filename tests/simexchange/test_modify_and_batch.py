"""Order modify, amendment history and batch orders on the stand-in, over real HTTP.

Driven by binance-futures-connector where it has the method, else by signed raw calls.
"""

from __future__ import annotations

import asyncio
import json
import signal

import aiohttp
import pytest
from binance.error import ClientError
from binance.um_futures import UMFutures

from simexchange.testing import SimProcess
from tests.support.sim_ws import listen_key, recv_until

from .conftest import ALICE, BOB, Client


def error_of(exc: ClientError) -> tuple[int, int, str]:
    return exc.status_code, exc.error_code, exc.error_message


# ---------------------------------------------------------------- modify


def test_modify_moves_a_resting_limit_and_keeps_its_ids(sim, um, alice_api):
    o = alice_api.limit(newClientOrderId="keep-me")
    body = um.modify_order(
        symbol="BTCUSDT", side="BUY", quantity="0.020", price="58500.0", orderId=o["orderId"]
    )
    assert (body["orderId"], body["clientOrderId"], body["status"]) == (
        o["orderId"],
        "keep-me",
        "NEW",
    )
    assert (body["price"], body["origQty"], body["type"]) == ("58500.00", "0.020", "LIMIT")
    assert body["updateTime"] >= o["updateTime"]
    # the book sees the new terms: the old price no longer fills, the new one does
    sim.control.set_price("BTCUSDT", "58900")
    assert (
        alice_api.ok("GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=o["orderId"])["status"]
        == "NEW"
    )
    sim.control.set_price("BTCUSDT", "58500")
    done = alice_api.ok("GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=o["orderId"])
    assert (done["status"], done["executedQty"], done["avgPrice"]) == (
        "FILLED",
        "0.020",
        "58500.00000",
    )


def test_the_amendment_history_lists_each_change_newest_first(sim, um, alice_api):
    o = alice_api.limit(newClientOrderId="hist-1")
    um.modify_order(
        symbol="BTCUSDT", side="BUY", quantity="0.010", price="58000", orderId=o["orderId"]
    )
    um.modify_order(
        symbol="BTCUSDT", side="BUY", quantity="0.030", price="58000", origClientOrderId="hist-1"
    )
    rows = alice_api.ok("GET", "/fapi/v1/orderAmendment", symbol="BTCUSDT", orderId=o["orderId"])
    assert [r["amendment"]["count"] for r in rows] == [2, 1]
    assert rows[0]["amendmentId"] > rows[1]["amendmentId"]
    assert rows[1]["amendment"]["price"] == {"before": "59000.00", "after": "58000.00"}
    assert rows[1]["amendment"]["origQty"] == {"before": "0.010", "after": "0.010"}
    assert rows[0]["amendment"]["origQty"] == {"before": "0.010", "after": "0.030"}
    assert {r["clientOrderId"] for r in rows} == {"hist-1"} and rows[0]["pair"] == "BTCUSDT"
    assert all(isinstance(r["time"], int) for r in rows)
    one = alice_api.ok(
        "GET", "/fapi/v1/orderAmendment", symbol="BTCUSDT", origClientOrderId="hist-1", limit=1
    )
    assert [r["amendmentId"] for r in one] == [rows[0]["amendmentId"]]
    assert alice_api.err("GET", "/fapi/v1/orderAmendment", symbol="BTCUSDT", limit=101)[1] == -1102
    assert alice_api.err("GET", "/fapi/v1/orderAmendment", symbol="BTCUSDT") == (400, -1102)


def test_another_account_cannot_read_an_orders_amendments(sim, um, alice_api, bob_api):
    o = alice_api.limit()
    um.modify_order(
        symbol="BTCUSDT", side="BUY", quantity="0.010", price="58000", orderId=o["orderId"]
    )
    status, code = bob_api.err(
        "GET", "/fapi/v1/orderAmendment", symbol="BTCUSDT", orderId=o["orderId"]
    )
    assert (status, code) == (400, -2013)
    assert bob_api.err("PUT", "/fapi/v1/batchOrders") == (400, -1102)


def test_modify_refusals_use_binances_codes_and_leave_the_order_alone(sim, um, alice_api):
    o = alice_api.limit()
    oid = o["orderId"]
    cases = [
        ({"quantity": "0.010", "price": "59000"}, -5027, "No need to modify the order."),
        ({"quantity": "0.010", "price": "59000.055"}, -1111, None),  # more decimals than 2
        ({"quantity": "0.010", "price": "59000.05"}, -4014, None),  # off the 0.10 tick
        ({"quantity": "0.0105", "price": "58000"}, -1111, None),
        ({"quantity": "0.001", "price": "58000"}, -5029, None),  # 58 USDT < 100 notional
        ({"quantity": "0.010", "price": "70000"}, -4016, None),  # above mark * 1.05
        ({"quantity": "50", "price": "58000"}, -2019, "Margin is insufficient."),
    ]
    for args, code, msg in cases:
        with pytest.raises(ClientError) as exc:
            um.modify_order(symbol="BTCUSDT", side="BUY", orderId=oid, **args)
        assert exc.value.error_code == code, args
        if msg:
            assert exc.value.error_message == msg
    with pytest.raises(ClientError) as exc:  # the side of an order cannot change
        um.modify_order(symbol="BTCUSDT", side="SELL", quantity="0.010", price="61000", orderId=oid)
    assert error_of(exc.value)[:2] == (400, -1117)
    status, code = alice_api.err(
        "PUT", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", orderId=oid, quantity="0.01"
    )
    assert (status, code) == (400, -1102)  # price is mandatory on USD-M
    after = alice_api.ok("GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=oid)
    assert (after["price"], after["origQty"], after["status"]) == ("59000.00", "0.010", "NEW")
    assert alice_api.ok("GET", "/fapi/v1/orderAmendment", symbol="BTCUSDT", orderId=oid) == []


def test_only_open_orders_of_your_own_account_can_be_modified(sim, um, alice_api, bob_api):
    o = alice_api.limit()
    with pytest.raises(ClientError) as exc:  # bob names alice's order id
        UMFutures(key=BOB[0], secret=BOB[1], base_url=sim.base_url).modify_order(
            symbol="BTCUSDT", side="BUY", quantity="0.010", price="58000", orderId=o["orderId"]
        )
    assert error_of(exc.value) == (400, -2013, "Order does not exist.")
    with pytest.raises(ClientError) as exc:  # the right id under another symbol
        um.modify_order(
            symbol="ETHUSDT", side="BUY", quantity="0.010", price="3000", orderId=o["orderId"]
        )
    assert exc.value.error_code == -2013
    alice_api.ok("DELETE", "/fapi/v1/order", symbol="BTCUSDT", orderId=o["orderId"])
    with pytest.raises(ClientError) as exc:  # cancelled
        um.modify_order(
            symbol="BTCUSDT", side="BUY", quantity="0.010", price="58000", orderId=o["orderId"]
        )
    assert exc.value.error_code == -2013
    filled = alice_api.ok(
        "POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.010"
    )
    with pytest.raises(ClientError) as exc:  # filled
        um.modify_order(
            symbol="BTCUSDT", side="BUY", quantity="0.010", price="58000", orderId=filled["orderId"]
        )
    assert exc.value.error_code == -2013


def test_modify_with_price_match_takes_the_books_price_and_refuses_a_price_as_well(sim, alice_api):
    o = alice_api.limit(price="59000.00")
    body = alice_api.ok(
        "PUT",
        "/fapi/v1/order",
        symbol="BTCUSDT",
        side="BUY",
        orderId=o["orderId"],
        quantity="0.010",
        priceMatch="QUEUE",
    )
    # QUEUE is the best price on the order's own side: the best bid, one tick under last
    assert (body["price"], body["priceMatch"], body["status"]) == ("59999.90", "QUEUE", "NEW")
    both = alice_api.call(
        "PUT",
        "/fapi/v1/order",
        symbol="BTCUSDT",
        side="BUY",
        orderId=o["orderId"],
        quantity="0.010",
        price="58000",
        priceMatch="QUEUE",
    )
    assert both.status_code == 400 and both.json() == {
        "code": -1106,
        "msg": "Parameter 'price' sent when not required.",
    }
    again = alice_api.call(
        "PUT",
        "/fapi/v1/order",
        symbol="BTCUSDT",
        side="BUY",
        orderId=o["orderId"],
        quantity="0.010",
        priceMatch="QUEUE",
    )
    assert again.json() == {"code": -5027, "msg": "No need to modify the order."}
    bad = alice_api.call(
        "PUT",
        "/fapi/v1/order",
        symbol="BTCUSDT",
        side="BUY",
        orderId=o["orderId"],
        quantity="0.010",
        priceMatch="BEST",
    )
    assert bad.json()["code"] == -5037
    # OPPONENT crosses: the order takes the ask at once
    taken = alice_api.ok(
        "PUT",
        "/fapi/v1/order",
        symbol="BTCUSDT",
        side="BUY",
        orderId=o["orderId"],
        quantity="0.010",
        priceMatch="OPPONENT",
    )
    assert taken["status"] == "FILLED" and taken["executedQty"] == "0.010"


def test_a_partly_filled_order_cut_below_its_fill_is_cancelled(sim, um, alice_api):
    # 1 BTC at last takes the ~0.5 BTC at the touch; the rest rests at 60000
    o = alice_api.limit(price="60000.00", qty="1.000")
    state = alice_api.ok("GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=o["orderId"])
    assert state["status"] == "PARTIALLY_FILLED"
    filled = state["executedQty"]
    body = um.modify_order(
        symbol="BTCUSDT", side="BUY", quantity=filled, price="60000", orderId=o["orderId"]
    )
    assert (body["status"], body["executedQty"]) == ("CANCELED", filled)
    assert alice_api.ok("GET", "/fapi/v1/openOrders", symbol="BTCUSDT") == []


def test_a_post_only_order_moved_across_the_book_is_cancelled_not_filled(sim, um, alice_api):
    o = alice_api.limit(price="59000.00", timeInForce="GTX")
    body = um.modify_order(
        symbol="BTCUSDT", side="BUY", quantity="0.010", price="60000", orderId=o["orderId"]
    )
    assert (body["status"], body["executedQty"]) == ("CANCELED", "0")
    assert alice_api.ok("GET", "/fapi/v1/userTrades", symbol="BTCUSDT") == []


async def test_a_modify_emits_an_amendment_event_on_the_user_stream(sim, alice_api):
    o = alice_api.limit()
    lk = listen_key(sim)
    async with aiohttp.ClientSession() as http:  # noqa: SIM117
        async with http.ws_connect(f"{sim.ws_url}/ws/{lk}") as ws:
            await asyncio.sleep(0.05)
            alice_api.ok(
                "PUT",
                "/fapi/v1/order",
                symbol="BTCUSDT",
                side="BUY",
                orderId=o["orderId"],
                quantity="0.020",
                price="58000",
            )
            m = await recv_until(ws, lambda m: m["e"] == "ORDER_TRADE_UPDATE")
            e = m["o"]
            assert (e["x"], e["X"], e["i"]) == ("AMENDMENT", "NEW", o["orderId"])
            assert (e["p"], e["q"], e["o"]) == ("58000.00", "0.020", "LIMIT")


def test_modify_counts_on_the_order_rate_headers_not_the_ip_weight(sim, alice_api):
    o = alice_api.limit()
    before = int(alice_api.call("GET", "/fapi/v1/time").headers["X-MBX-USED-WEIGHT-1M"])
    r = alice_api.call(
        "PUT",
        "/fapi/v1/order",
        symbol="BTCUSDT",
        side="BUY",
        orderId=o["orderId"],
        quantity="0.010",
        price="58000",
    )
    assert r.status_code == 200 and int(r.headers["X-MBX-ORDER-COUNT-10S"]) == 2
    assert int(r.headers["X-MBX-USED-WEIGHT-1M"]) == before  # IP weight 0


# ---------------------------------------------------------------- batch orders


def test_a_batch_places_each_order_and_answers_each_error_in_place(sim, um, alice_api):
    answer = um.new_batch_order(
        [
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "price": "59000",
                "quantity": "0.010",
                "newClientOrderId": "b-entry",
            },
            {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.010"},
            {
                "symbol": "BTCUSDT",
                "side": "SELL",
                "type": "STOP_MARKET",
                "quantity": "0.010",
                "stopPrice": "55000",
            },
            {"symbol": "NOPEUSDT", "side": "BUY", "type": "MARKET", "quantity": "1"},
            {"symbol": "ETHUSDT", "side": "SELL", "type": "MARKET", "quantity": "0.100"},
        ]
    )
    assert len(answer) == 5
    assert answer[0]["clientOrderId"] == "b-entry" and answer[0]["status"] == "NEW"
    assert answer[1]["code"] == -1102 and "timeInForce" in answer[1]["msg"]
    assert answer[2]["code"] == -4120  # conditional types belong to the algo endpoint
    assert answer[3] == {"code": -1121, "msg": "Invalid symbol."}
    assert answer[4]["symbol"] == "ETHUSDT" and answer[4]["orderId"] > answer[0]["orderId"]
    opened = alice_api.ok("GET", "/fapi/v1/openOrders")
    assert [o["clientOrderId"] for o in opened] == ["b-entry"]
    pos = alice_api.ok("GET", "/fapi/v3/positionRisk", symbol="ETHUSDT")
    assert pos[0]["positionAmt"] == "-0.100"


def test_a_batch_refuses_six_orders_and_a_broken_list_placing_nothing(sim, um, alice_api):
    one = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001"}
    with pytest.raises(ClientError) as exc:
        um.new_batch_order([one] * 6)
    assert error_of(exc.value)[:2] == (400, -4082)
    for raw in ("not json", '{"symbol": "BTCUSDT"}', "[1, 2]"):
        r = alice_api.call("POST", "/fapi/v1/batchOrders", batchOrders=raw)
        assert r.status_code == 400 and r.json() == {
            "code": -1130,
            "msg": "Data sent for parameter 'batchOrders' is not valid.",
        }, raw
    assert alice_api.err("POST", "/fapi/v1/batchOrders") == (400, -1102)
    assert alice_api.ok("GET", "/fapi/v1/allOrders", symbol="BTCUSDT") == []


def test_a_batch_costs_weight_five(sim, alice_api):
    before = int(alice_api.call("GET", "/fapi/v1/time").headers["X-MBX-USED-WEIGHT-1M"])
    r = alice_api.call(
        "POST",
        "/fapi/v1/batchOrders",
        batchOrders=json.dumps(
            [{"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.002"}]
        ),
    )
    assert r.status_code == 200 and r.json()[0]["status"] == "NEW"
    assert int(r.headers["X-MBX-USED-WEIGHT-1M"]) == before + 5


def test_batch_modify_changes_each_order_and_reports_each_refusal(sim, alice_api):
    a = alice_api.limit(price="59000.00", newClientOrderId="bm-a")
    b = alice_api.limit(price="58000.00", newClientOrderId="bm-b")
    answer = alice_api.ok(
        "PUT",
        "/fapi/v1/batchOrders",
        batchOrders=json.dumps(
            [
                {
                    "symbol": "BTCUSDT",
                    "side": "BUY",
                    "orderId": a["orderId"],
                    "quantity": "0.010",
                    "price": "59500",
                },
                {
                    "symbol": "BTCUSDT",
                    "side": "BUY",
                    "origClientOrderId": "bm-b",
                    "quantity": "0.010",
                    "price": "58000",
                },
                {
                    "symbol": "BTCUSDT",
                    "side": "BUY",
                    "orderId": 1,
                    "quantity": "0.010",
                    "price": "58000",
                },
            ]
        ),
    )
    assert answer[0]["price"] == "59500.00" and answer[0]["orderId"] == a["orderId"]
    assert answer[1] == {"code": -5027, "msg": "No need to modify the order."}
    assert answer[2] == {"code": -2013, "msg": "Order does not exist."}
    assert (
        alice_api.ok("GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=b["orderId"])["price"]
        == "58000.00"
    )


def test_batch_cancel_by_ids_or_client_ids_and_only_your_own(sim, um, alice_api, bob_api):
    a = alice_api.limit(price="59000.00", newClientOrderId="bc-a")
    b = alice_api.limit(price="58000.00", newClientOrderId="bc-b")
    theirs = bob_api.limit(price="57000.00", newClientOrderId="bc-bob")
    answer = um.cancel_batch_order(
        symbol="BTCUSDT",
        orderIdList=[a["orderId"], theirs["orderId"], 42],
        origClientOrderIdList=None,
    )
    assert answer[0]["orderId"] == a["orderId"] and answer[0]["status"] == "CANCELED"
    assert answer[1] == answer[2] == {"code": -2011, "msg": "Unknown order sent."}
    assert (
        bob_api.ok("GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=theirs["orderId"])["status"]
        == "NEW"
    )
    answer = um.cancel_batch_order(
        symbol="BTCUSDT", orderIdList=None, origClientOrderIdList=["bc-b", "bc-a"]
    )
    assert answer[0]["clientOrderId"] == "bc-b" and answer[0]["status"] == "CANCELED"
    assert answer[1]["code"] == -2011  # bc-a is already cancelled
    with pytest.raises(ClientError) as exc:
        um.cancel_batch_order(
            symbol="BTCUSDT", orderIdList=list(range(1, 12)), origClientOrderIdList=None
        )
    assert exc.value.error_code == -4032
    assert alice_api.err("DELETE", "/fapi/v1/batchOrders", symbol="BTCUSDT") == (400, -1102)
    bad = alice_api.call("DELETE", "/fapi/v1/batchOrders", symbol="BTCUSDT", orderIdList='["x"]')
    assert bad.json()["code"] == -1130
    assert b["orderId"] != a["orderId"]


def test_batch_cancel_takes_the_lowercase_list_names_python_binance_sends(sim, alice_api, bob_api):
    a = alice_api.limit(price="59000.00", newClientOrderId="lc-a")
    b = alice_api.limit(price="58000.00", newClientOrderId="lc-b")
    theirs = bob_api.limit(price="57000.00", newClientOrderId="lc-bob")
    answer = alice_api.ok(
        "DELETE",
        "/fapi/v1/batchOrders",
        symbol="BTCUSDT",
        orderidlist=json.dumps([a["orderId"], theirs["orderId"]]),
    )
    assert (answer[0]["orderId"], answer[0]["status"]) == (a["orderId"], "CANCELED")
    assert answer[1] == {"code": -2011, "msg": "Unknown order sent."}  # bob's stays
    assert bob_api.ok("GET", "/fapi/v1/openOrders")[0]["orderId"] == theirs["orderId"]
    # the camelCase list prevails over the lowercase one, as orderIdList over client ids
    answer = alice_api.ok(
        "DELETE",
        "/fapi/v1/batchOrders",
        symbol="BTCUSDT",
        orderIdList=json.dumps([42]),
        orderidlist=json.dumps([b["orderId"]]),
    )
    assert answer == [{"code": -2011, "msg": "Unknown order sent."}]
    (cancelled,) = alice_api.ok(
        "DELETE", "/fapi/v1/batchOrders", symbol="BTCUSDT", origclientorderidlist='["lc-b"]'
    )
    assert (cancelled["clientOrderId"], cancelled["status"]) == ("lc-b", "CANCELED")
    bad = alice_api.call("DELETE", "/fapi/v1/batchOrders", symbol="BTCUSDT", orderidlist='["x"]')
    assert bad.json()["code"] == -1130


def test_a_batch_refuses_a_client_id_repeated_inside_it(sim, alice_api):
    item = {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "price": 59000,
        "quantity": 0.01,
        "reduceOnly": False,
        "newClientOrderId": "twice",
    }
    answer = alice_api.ok("POST", "/fapi/v1/batchOrders", batchOrders=json.dumps([item, item]))
    assert answer[0]["clientOrderId"] == "twice" and answer[0]["price"] == "59000.00"
    assert answer[1] == {"code": -4116, "msg": "ClientOrderId is duplicated."}
    assert len(alice_api.ok("GET", "/fapi/v1/openOrders", symbol="BTCUSDT")) == 1


def test_the_amendment_history_survives_a_sigkill(tmp_path):
    env = {
        "SIM_API_KEYS": f"{ALICE[0]}:{ALICE[1]}",
        "SIM_STATE_FILE": str(tmp_path / "sim.json"),
        "SIM_SEED": "5",
        "SIM_FEED_RUNNING": "false",
    }
    proc = SimProcess(env=env).start()
    try:
        proc.control.set_price("BTCUSDT", "60000")
        api = Client(proc.base_url, *ALICE)
        o = api.limit(newClientOrderId="amend-kill")
        for price in ("58000", "57000"):
            api.ok(
                "PUT",
                "/fapi/v1/order",
                symbol="BTCUSDT",
                side="BUY",
                orderId=o["orderId"],
                quantity="0.010",
                price=price,
            )
        before = api.ok("GET", "/fapi/v1/orderAmendment", symbol="BTCUSDT", orderId=o["orderId"])
    finally:
        proc.proc.send_signal(signal.SIGKILL)
        proc.proc.wait(10)
    with SimProcess(env=env) as again:
        api = Client(again.base_url, *ALICE)
        rows = api.ok("GET", "/fapi/v1/orderAmendment", symbol="BTCUSDT", orderId=o["orderId"])
        assert rows == before and len(rows) == 2
        # the count and the ids go on from where they were
        api.ok(
            "PUT",
            "/fapi/v1/order",
            symbol="BTCUSDT",
            side="BUY",
            orderId=o["orderId"],
            quantity="0.010",
            price="56000",
        )
        rows = api.ok("GET", "/fapi/v1/orderAmendment", symbol="BTCUSDT", orderId=o["orderId"])
        assert rows[0]["amendment"]["count"] == 3
        assert rows[0]["amendmentId"] == before[0]["amendmentId"] + 1


def test_reduce_only_on_a_modify_only_validates_as_binance_documents(sim, alice_api):
    alice_api.market("BUY", "0.010")
    # a reduce-only order may sit under the minimum notional (61 < 100 USDT) ...
    small = alice_api.limit("61000.00", "0.001", side="SELL", reduceOnly="true")
    move = {"symbol": "BTCUSDT", "side": "SELL", "orderId": small["orderId"], "quantity": "0.001"}
    # ... but a modify without reduceOnly=true checks the minimum notional again
    assert alice_api.err("PUT", "/fapi/v1/order", **move, price="61100") == (400, -5029)
    moved = alice_api.ok(
        "PUT", "/fapi/v1/order", **move, price="61100", reduceOnly="true", modifyId=77
    )
    assert (moved["price"], moved["reduceOnly"], moved["modifyId"]) == ("61100.00", True, 77)
    # reduceOnly=true on an order that is not reduce-only is refused and changes nothing
    plain = alice_api.limit()
    r = alice_api.call(
        "PUT",
        "/fapi/v1/order",
        symbol="BTCUSDT",
        side="BUY",
        orderId=plain["orderId"],
        quantity="0.010",
        price="58000",
        reduceOnly="true",
    )
    assert (r.status_code, r.json()) == (
        400,
        {"code": -5047, "msg": "The original order is not a reduce-only order"},
    )
    again = alice_api.ok("GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=plain["orderId"])
    assert (again["price"], again["reduceOnly"]) == ("59000.00", False)
