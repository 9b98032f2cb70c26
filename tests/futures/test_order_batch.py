"""POST /futures/order.batch against the stand-in: one gate for all items, one exchange call,
each item's answer its own; a repeated batch answers with the stored orders."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from audit.models import AuditEntry
from futures.binance.http import BinanceHttp
from futures.models import Order
from futures.order_batch import order_batch
from futures.position_mode import position_mode_forget
from futures.reconcile import reconcile_orders
from futures.services import OrderRequest
from risk.errors import RiskRejected
from risk.models import RiskLimits
from tests.support.stand_in import exchange_orders, exchange_position

pytestmark = pytest.mark.django_db


def _batch(api, token, orders, **body):
    return api.post("/futures/order.batch", {"orders": orders, **body}, token=token)


def _item(**kw):
    base = {"symbol": "ETHUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.01"}
    base.update(kw)
    if base["type"] == "LIMIT":
        base.setdefault("price", "3300")
    return base


def _algos(exchange, symbol="ETHUSDT"):
    rows = exchange.control.signed("GET", "/fapi/v1/openAlgoOrders", symbol=symbol).json()
    return sorted((a["orderType"], Decimal(a["triggerPrice"]), a["clientAlgoId"]) for a in rows)


def _position_limit_usd(value: str) -> None:
    limits = RiskLimits.load()
    limits.default_max_position_usd = Decimal(value)
    limits.save()
    limits.symbol_limits.filter(symbol="ETHUSDT").delete()  # the USD default applies


ENTRY_WITH_TP_SL = [
    {
        "symbol": "ETHUSDT",
        "side": "BUY",
        "type": "MARKET",
        "quantity": "0.01",
        "clientOrderId": "b-in",
    },
    {
        "symbol": "ETHUSDT",
        "side": "SELL",
        "type": "TAKE_PROFIT_MARKET",
        "quantity": "0.01",
        "stopPrice": "3600",
        "reduceOnly": True,
        "clientOrderId": "b-tp",
    },
    {
        "symbol": "ETHUSDT",
        "side": "SELL",
        "type": "STOP_MARKET",
        "quantity": "0.01",
        "stopPrice": "3300",
        "reduceOnly": True,
        "clientOrderId": "b-sl",
    },
]


def test_an_entry_with_its_tp_and_sl_goes_in_one_batch(api, alice, token_for, exchange):
    r = _batch(api, token_for(alice), ENTRY_WITH_TP_SL, dryRun=False)
    assert r.status_code == 200, r.content
    items = r.json()["orders"]
    assert [i["order"]["clientOrderId"] for i in items] == ["b-in", "b-tp", "b-sl"]
    assert [i["order"]["status"] for i in items] == ["FILLED", "NEW", "NEW"]
    assert all(i["executed"] == "exchange" and i["error"] is None for i in items)
    assert all(i["order"]["source"] == "order.batch" for i in items)
    # The stand-in holds them: the entry filled, the TP and SL resting as algo orders.
    assert exchange_position(exchange, "ETHUSDT") == Decimal("0.01")
    assert _algos(exchange) == [
        ("STOP_MARKET", Decimal("3300"), "b-sl"),
        ("TAKE_PROFIT_MARKET", Decimal("3600"), "b-tp"),
    ]
    assert items[1]["order"]["algoId"] and items[2]["order"]["algoId"]
    audit = AuditEntry.objects.filter(action="order.place", outcome="ok")
    assert sorted(e.payload["clientOrderId"] for e in audit) == ["b-in", "b-sl", "b-tp"]
    assert {e.payload["source"] for e in audit} == {"order.batch"}


def test_a_repeated_batch_answers_with_the_stored_orders(api, alice, token_for, exchange):
    token = token_for(alice)
    first = _batch(api, token, ENTRY_WITH_TP_SL, dryRun=False)
    assert first.status_code == 200, first.content
    sent = len(exchange_orders(exchange, "ETHUSDT"))
    algos = _algos(exchange)
    second = _batch(api, token, ENTRY_WITH_TP_SL, dryRun=False)
    assert second.status_code == 200, second.content
    assert [i["created"] for i in second.json()["orders"]] == [False, False, False]
    assert [i["executed"] for i in second.json()["orders"]] == ["existing"] * 3
    assert [i["order"]["orderId"] for i in second.json()["orders"]] == [
        i["order"]["orderId"] for i in first.json()["orders"]
    ]
    assert len(exchange_orders(exchange, "ETHUSDT")) == sent
    assert _algos(exchange) == algos
    assert exchange_position(exchange, "ETHUSDT") == Decimal("0.01")
    assert Order.objects.count() == 3


def test_a_repeated_client_order_id_with_other_parameters_is_a_conflict(
    api, alice, token_for, exchange
):
    token = token_for(alice)
    assert _batch(api, token, [_item(clientOrderId="rep-1")]).status_code == 200
    r = _batch(
        api, token, [_item(clientOrderId="rep-0"), _item(clientOrderId="rep-1", price="3200")]
    )
    assert r.status_code == 409
    assert r.json()["error"]["details"]["item"] == 1
    assert not Order.objects.filter(client_order_id="rep-0").exists()


def test_a_batch_whose_third_item_breaks_max_notional_sends_nothing(
    api, alice, token_for, exchange
):
    orders = [
        _item(clientOrderId="n-1"),
        _item(clientOrderId="n-2", side="SELL", price="3500"),
        _item(clientOrderId="n-3", type="MARKET", quantity="0.03"),  # 0.03 x 3400 > 100 USD
    ]
    r = _batch(api, token_for(alice), orders, dryRun=False)
    assert r.status_code == 422, r.content
    err = r.json()["error"]
    assert err["code"] == "RISK_REJECTED"
    assert err["details"]["item"] == 2
    assert [rule["rule"] for rule in err["details"]["rules"]] == ["max_notional"]
    assert err["details"]["fields"][0]["field"] == "orders[2]"
    assert exchange_orders(exchange, "ETHUSDT") == []
    assert Order.objects.count() == 0
    refused = AuditEntry.objects.filter(action="order.place", outcome="rejected")
    assert refused.count() == 3  # one entry per item: the culprit and the two refused with it
    assert sorted(e.payload["clientOrderId"] for e in refused) == ["n-1", "n-2", "n-3"]


@pytest.mark.parametrize("dry_run", [True, False])
def test_items_count_together_against_the_position_limit(api, alice, token_for, exchange, dry_run):
    _position_limit_usd("70")  # two orders of 0.01 x 3400 fit, a third does not
    orders = [_item(clientOrderId=f"cap-{i}") for i in range(3)]
    r = _batch(api, token_for(alice), orders, dryRun=dry_run)
    assert r.status_code == 422, r.content
    assert r.json()["error"]["details"]["item"] == 2
    assert [x["rule"] for x in r.json()["error"]["details"]["rules"]] == ["max_position"]
    assert Order.objects.count() == 0
    assert exchange_orders(exchange, "ETHUSDT") == []
    # Two alone pass (so the third was refused for the first two, not for itself).
    r = _batch(api, token_for(alice), orders[:2], dryRun=dry_run)
    assert r.status_code == 200, r.content


def test_an_item_the_exchange_refuses_is_rejected_and_the_others_placed(
    api, alice, token_for, exchange
):
    orders = [
        _item(clientOrderId="x-1"),
        # reduce-only with no position to reduce: the exchange refuses it (-2022)
        _item(clientOrderId="x-2", side="SELL", price="3500", reduceOnly=True),
        _item(clientOrderId="x-3", price="3250"),
    ]
    r = api.post(
        "/futures/order.batch",
        {"orders": orders, "dryRun": False},
        token=token_for(alice),
        lang="en",
    )
    assert r.status_code == 200, r.content
    items = r.json()["orders"]
    assert [i["order"]["status"] for i in items] == ["NEW", "REJECTED", "NEW"]
    assert items[1]["error"]["exchangeCode"] == -2022
    assert "did not place" in items[1]["message"] and "ReduceOnly" in items[1]["message"]
    assert items[0]["error"] is None and items[2]["error"] is None
    held = sorted(o["clientOrderId"] for o in exchange_orders(exchange, "ETHUSDT"))
    assert "x-1" in held and "x-3" in held
    assert Order.objects.get(client_order_id="x-2").status == "REJECTED"
    assert AuditEntry.objects.get(
        action="order.place", outcome="rejected", payload__clientOrderId="x-2"
    )


def test_a_dry_run_batch_is_simulated_and_rests_on_paper(api, alice, token_for, exchange):
    orders = [
        _item(type="MARKET", clientOrderId="d-1"),
        _item(clientOrderId="d-2"),  # a limit below the mark: rests on paper
    ]
    r = _batch(api, token_for(alice), orders)
    assert r.status_code == 200, r.content
    items = r.json()["orders"]
    assert [i["dryRun"] for i in items] == [True, True]
    assert [i["order"]["status"] for i in items] == ["FILLED", "NEW"]
    assert items[0]["simulatedFill"]["simulated"] is True
    assert items[1]["simulatedFill"] is None
    assert exchange_orders(exchange, "ETHUSDT") == []


def test_a_viewer_may_not_place_a_batch(api, make_user, token_for, exchange):
    viewer = make_user("vic", "viewer")
    r = _batch(api, token_for(viewer), [_item()], dryRun=False)
    assert r.status_code == 403
    assert Order.objects.count() == 0
    assert exchange_orders(exchange, "ETHUSDT") == []


@pytest.mark.parametrize(
    ("orders", "extra", "field"),
    [
        ([_item(clientOrderId=f"six-{i}") for i in range(6)], {}, "orders"),
        ([], {}, "orders"),
        ([_item(), _item(quantity="abc")], {}, "orders[1].quantity"),
        ([_item(reduceOnly="true")], {}, "orders[0].reduceOnly"),
        ([_item(), _item(), _item(side="HOLD")], {}, "orders[2].side"),
        ([_item(quantity="-1")], {}, "orders[0].quantity"),
        ([_item(takeProfit="3600")], {}, "orders[0].takeProfit"),
        ([_item(dryRun=False)], {}, "orders[0].dryRun"),
        ([_item()], {"dryRun": "false"}, "dryRun"),
        ([_item()], {"dryRun": 0}, "dryRun"),
        ([_item(), _item(clientOrderId="bad id!")], {}, "orders[1].clientOrderId"),
    ],
)
def test_strange_input_is_a_422_naming_the_item(
    api, alice, token_for, exchange, orders, extra, field
):
    r = _batch(api, token_for(alice), orders, **extra)
    assert r.status_code == 422, r.content
    fields = [f["field"] for f in r.json()["error"]["details"]["fields"]]
    assert field in fields
    assert Order.objects.count() == 0


def test_an_orders_list_that_is_not_a_list_is_a_422(api, alice, token_for, exchange):
    r = api.post("/futures/order.batch", {"orders": {"symbol": "ETHUSDT"}}, token=token_for(alice))
    assert r.status_code == 422
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"type": "LIMIT", "price": None}, "orders[1]"),  # a LIMIT needs a price (service rule)
        ({"clientOrderId": "dup"}, "orders[1].clientOrderId"),  # the same id twice
        ({"quantity": "0.0004"}, "orders[1]"),  # below the lot size (exchange filter)
    ],
)
def test_an_invalid_item_refuses_the_whole_batch(api, alice, token_for, exchange, bad, field):
    second = {k: v for k, v in {**_item(), **bad}.items() if v is not None}
    orders = [_item(clientOrderId="dup"), second]
    r = _batch(api, token_for(alice), orders, dryRun=False)
    assert r.status_code == 422, r.content
    err = r.json()["error"]
    assert err["details"]["item"] == 1
    assert any(f["field"].startswith(field) for f in err["details"]["fields"])
    assert Order.objects.count() == 0
    assert exchange_orders(exchange, "ETHUSDT") == []


@pytest.mark.backends
@pytest.mark.django_db(transaction=True)
def test_parallel_batches_never_take_the_position_past_its_cap(make_user, exchange):
    alice = make_user("alice", "trader")
    _position_limit_usd("150")  # 4 market buys of 0.01 x 3400 fit, a 5th does not
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def place(n: int) -> None:
        requests = [
            OrderRequest(
                symbol="ETHUSDT",
                side="BUY",
                type="MARKET",
                quantity=Decimal("0.01"),
                client_order_id=f"par-{n}-{i}",
            )
            for i in range(2)
        ]
        barrier.wait()
        try:
            order_batch(user=alice, requests=requests, dry_run=False)
            outcomes.append("placed")
        except RiskRejected:
            outcomes.append("rejected")
        finally:
            connection.close()

    threads = [threading.Thread(target=place, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(outcomes) == 8
    assert outcomes.count("placed") == 2
    position = exchange_position(exchange, "ETHUSDT")
    assert position == Decimal("0.04")
    assert position * Decimal("3400") <= Decimal("150")


def test_a_lost_batch_answer_is_settled_by_lookup_never_sent_twice(api, alice, token_for, exchange):
    exchange.control.faults(lose_order_responses=1)  # the batch executes, its answer is lost
    try:
        orders = [_item(clientOrderId="lost-1"), _item(clientOrderId="lost-2", price="3250")]
        r = _batch(api, token_for(alice), orders, dryRun=False)
    finally:
        exchange.control.clear_faults()
    assert r.status_code == 200, r.content
    assert [i["order"]["status"] for i in r.json()["orders"]] == ["NEW", "NEW"]
    assert sorted(o["clientOrderId"] for o in exchange_orders(exchange, "ETHUSDT")) == [
        "lost-1",
        "lost-2",
    ]


def _side_amounts(exchange, symbol="ETHUSDT") -> dict[str, Decimal]:
    rows = exchange.control.signed("GET", "/fapi/v2/positionRisk", symbol=symbol).json()
    return {r["positionSide"]: Decimal(r["positionAmt"]) for r in rows}


def test_a_hedge_batch_item_without_its_side_refuses_the_batch_and_sends_nothing(
    api, alice, token_for, exchange
):
    position_mode_forget()
    assert exchange.control.position_mode(True) == {"code": 200, "msg": "success"}
    try:
        items = [_item(positionSide="LONG"), _item(price="3250")]
        r = _batch(api, token_for(alice), items, dryRun=False)
        assert r.status_code == 400, r.content
        error = r.json()["error"]
        assert error["code"] == "POSITION_SIDE_REQUIRED"
        assert error["details"]["item"] == 1
        assert error["details"]["fields"][0]["field"] == "orders[1].positionSide"
        assert Order.objects.count() == 0
        assert exchange_orders(exchange, "ETHUSDT") == []
        refused = AuditEntry.objects.filter(action="order.place", outcome="rejected")
        assert refused.count() == 2  # the culprit and the item refused with it
    finally:
        exchange.control.position_mode(False)
        position_mode_forget()


def test_a_hedge_entry_with_its_tp_and_sl_on_the_long_side_goes_in_one_batch(
    api, alice, token_for, exchange
):
    position_mode_forget()
    assert exchange.control.position_mode(True) == {"code": 200, "msg": "success"}
    try:
        # In hedge mode a TP/SL is a SELL on LONG (no reduceOnly: Binance refuses it there).
        items = [
            {**o, "positionSide": "LONG"}
            for o in (
                {k: v for k, v in item.items() if k != "reduceOnly"} for item in ENTRY_WITH_TP_SL
            )
        ]
        r = _batch(api, token_for(alice), items, dryRun=False)
        assert r.status_code == 200, r.content
        out = r.json()["orders"]
        assert [i["order"]["status"] for i in out] == ["FILLED", "NEW", "NEW"]
        assert [i["order"]["positionSide"] for i in out] == ["LONG"] * 3
        assert _side_amounts(exchange) == {"LONG": Decimal("0.01"), "SHORT": Decimal("0")}
        assert _algos(exchange) == [
            ("STOP_MARKET", Decimal("3300"), "b-sl"),
            ("TAKE_PROFIT_MARKET", Decimal("3600"), "b-tp"),
        ]
        stored = Order.objects.filter(client_order_id__in=["b-in", "b-tp", "b-sl"])
        assert set(stored.values_list("position_side", flat=True)) == {"LONG"}
        # the same batch with reduceOnly on its TP is refused before anything is stored
        again = [dict(o, clientOrderId=o["clientOrderId"] + "2") for o in items]
        again[1]["reduceOnly"] = True
        refused = _batch(api, token_for(alice), again, dryRun=False)
        assert refused.status_code == 400, refused.content
        assert refused.json()["error"]["code"] == "REDUCE_ONLY_IN_HEDGE_MODE"
        assert refused.json()["error"]["details"]["fields"][0]["field"] == "orders[1].reduceOnly"
        assert not Order.objects.filter(client_order_id="b-in2").exists()
    finally:
        exchange.control.signed(
            "POST",
            "/fapi/v1/order",
            symbol="ETHUSDT",
            side="SELL",
            type="MARKET",
            quantity="0.01",
            positionSide="LONG",
        )
        exchange.control.signed("DELETE", "/fapi/v1/algoOpenOrders", symbol="ETHUSDT")
        exchange.control.position_mode(False)
        position_mode_forget()


def test_another_users_client_order_id_is_a_conflict_not_their_order(
    api, alice, make_user, token_for, exchange
):
    tina = make_user("tina", "trader")
    first = _batch(api, token_for(alice), [_item(clientOrderId="mine-1")], dryRun=False)
    assert first.status_code == 200, first.content
    r = _batch(
        api,
        token_for(tina),
        [_item(clientOrderId="bob-1"), _item(clientOrderId="mine-1")],
        dryRun=False,
    )
    assert r.status_code == 409, r.content
    assert r.json()["error"]["details"]["item"] == 1
    assert "order" not in r.json()
    assert not Order.objects.filter(client_order_id="bob-1").exists()
    assert [o["clientOrderId"] for o in exchange_orders(exchange, "ETHUSDT")] == ["mine-1"]


def test_an_unknown_outcome_is_unknown_and_reconciled_never_sent_again(
    api, alice, token_for, exchange, settings
):
    token = token_for(alice)
    # Everything the order path reads is fresh beforehand, so only the batch meets the outage.
    settings.SPARK_MARK_PRICE_MAX_AGE = settings.SPARK_POSITION_MAX_AGE = 600
    settings.SPARK_POSITION_MODE_MAX_AGE = 600
    assert api.get("/futures/positions", token=token, symbol="ETHUSDT").status_code == 200
    assert _batch(api, token, [_item(clientOrderId="warm")]).status_code == 200  # mark, filters
    exchange.control.faults(error_rate=1.0)  # every call fails: the batch and each look-up
    try:
        orders = [_item(clientOrderId="unk-1"), _item(clientOrderId="unk-2", price="3250")]
        r = _batch(api, token, orders, dryRun=False)
    finally:
        exchange.control.clear_faults()
        BinanceHttp.clear_backoff()
    assert r.status_code == 200, r.content
    items = r.json()["orders"]
    assert [i["error"]["code"] for i in items] == ["EXCHANGE_STATUS_UNKNOWN"] * 2
    assert all(i["message"].startswith("Bu emrin sonucu bilinmiyor") for i in items)  # Turkish
    assert [o.status for o in Order.objects.filter(dry_run=False).order_by("client_order_id")] == [
        "UNKNOWN",
        "UNKNOWN",
    ]
    assert exchange_orders(exchange, "ETHUSDT") == []
    requests_before = exchange.control.counters()["requests"]
    reconcile_orders()
    assert {o.status for o in Order.objects.filter(dry_run=False)} <= {"UNKNOWN", "REJECTED"}
    # Reconciliation only asked; nothing was placed again.
    assert exchange_orders(exchange, "ETHUSDT") == []
    assert exchange.control.counters()["requests"] > requests_before
