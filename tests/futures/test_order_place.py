"""POST /futures/order.place: dry-run by default, filters, risk gate, idempotency, live."""

from __future__ import annotations

from decimal import Decimal

import pytest

from audit.models import AuditEntry
from futures.models import Fill, Order
from tests.support.stand_in import exchange_orders

pytestmark = pytest.mark.django_db


def _place(api, token, **body):
    order = {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}
    order.update(body)
    return api.post("/futures/order.place", order, token=token)


def test_an_order_is_a_dry_run_unless_asked_otherwise(api, alice, token_for, exchange):
    sent_before = exchange.control.state()["counters"].get("orders", 0)
    r = _place(api, token_for(alice))
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["dryRun"] is True
    assert body["executed"] == "simulated"
    assert body["order"]["status"] == "FILLED"
    assert body["risk"]["allowed"] is True
    fill = body["simulatedFill"]
    assert Decimal(fill["price"]) > Decimal("3400")  # mark + slippage for a BUY
    assert Decimal(fill["commission"]) > 0
    assert fill["simulated"] is True
    order = Order.objects.get(client_order_id=body["order"]["clientOrderId"])
    assert order.dry_run is True
    assert Fill.objects.filter(order=order, simulated=True).count() == 1
    # It never reached the exchange.
    assert exchange_orders(exchange, "ETHUSDT") == []
    assert exchange.control.state()["counters"].get("orders", 0) == sent_before


def test_a_live_order_round_trips_with_the_exchange(api, alice, token_for, exchange):
    token = token_for(alice)
    r = _place(
        api,
        token,
        type="LIMIT",
        price="3300",
        timeInForce="GTC",
        dryRun=False,
        clientOrderId="live-eth-1",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["dryRun"] is False
    assert body["executed"] == "exchange"
    assert body["order"]["status"] == "NEW"
    assert body["order"]["orderId"]
    assert [o["clientOrderId"] for o in exchange_orders(exchange, "ETHUSDT")] == ["live-eth-1"]
    got = api.get("/futures/order", token=token, clientOrderId="live-eth-1").json()
    assert got["order"]["status"] == "NEW"
    opened = api.get("/futures/openOrders", token=token, symbol="ETHUSDT").json()
    assert [o["clientOrderId"] for o in opened["orders"]] == ["live-eth-1"]
    r = api.post(
        "/futures/order.cancel", {"symbol": "ETHUSDT", "clientOrderId": "live-eth-1"}, token=token
    )
    assert r.status_code == 200, r.content
    assert r.json()["order"]["status"] == "CANCELED"
    assert Order.objects.get(client_order_id="live-eth-1").status == "CANCELED"


def test_a_live_market_order_fills_and_records_the_fill(api, alice, token_for, exchange):
    r = _place(api, token_for(alice), dryRun=False, clientOrderId="mkt-1")
    assert r.status_code == 200, r.content
    order = Order.objects.get(client_order_id="mkt-1")
    assert order.status == "FILLED"
    assert order.filled_qty == Decimal("0.01")
    assert order.avg_price > 0


def test_the_same_client_order_id_returns_the_first_order(api, alice, token_for, exchange):
    token = token_for(alice)
    first = _place(api, token, clientOrderId="idem-1", dryRun=False, type="LIMIT", price="3300")
    second = _place(api, token, clientOrderId="idem-1", dryRun=False, type="LIMIT", price="3300")
    assert first.status_code == second.status_code == 200
    assert second.json()["created"] is False
    assert second.json()["order"]["orderId"] == first.json()["order"]["orderId"]
    assert Order.objects.filter(client_order_id="idem-1").count() == 1
    assert len(exchange_orders(exchange, "ETHUSDT")) == 1


def test_a_filter_violation_is_a_named_error(api, alice, token_for, exchange):
    r = _place(api, token_for(alice), symbol="BTCUSDT", quantity="0.001")
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "FILTER_REJECTED"
    assert err["details"] == {"filter": "MIN_NOTIONAL", "limit": "100", "value": "65.00"}
    assert Order.objects.count() == 0
    entry = AuditEntry.objects.filter(action="order.place").first()
    assert entry.outcome == "rejected"


def test_a_quantity_below_the_lot_size_is_refused_by_name(api, alice, token_for, exchange):
    r = _place(api, token_for(alice), type="LIMIT", price="3300", quantity="0.0004")
    assert r.status_code == 422
    assert r.json()["error"]["details"]["filter"] == "LOT_SIZE"


def test_the_risk_gate_rejects_an_order_over_max_notional(api, alice, token_for, exchange):
    r = _place(api, token_for(alice), symbol="BTCUSDT", quantity="0.002")
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "RISK_REJECTED"
    assert [rule["rule"] for rule in err["details"]["rules"]] == ["max_notional"]
    assert Order.objects.count() == 0
    assert AuditEntry.objects.filter(action="order.place", outcome="rejected").exists()


def test_a_limit_order_needs_a_price(api, alice, token_for, exchange):
    r = _place(api, token_for(alice), type="LIMIT")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "VALIDATION_ERROR"


def test_a_lost_response_gives_exactly_one_exchange_order(api, alice, token_for, exchange):
    exchange.control.faults(lose_order_responses=1)
    r = _place(
        api, token_for(alice), type="LIMIT", price="3300", dryRun=False, clientOrderId="lost-api"
    )
    assert r.status_code == 200, r.content
    assert r.json()["order"]["status"] == "NEW"
    assert [o["clientOrderId"] for o in exchange_orders(exchange, "ETHUSDT")] == ["lost-api"]


def test_a_stop_market_order_goes_to_the_algo_service(api, alice, token_for, exchange):
    token = token_for(alice)
    _place(api, token, dryRun=False, clientOrderId="entry-1")
    r = _place(
        api,
        token,
        side="SELL",
        type="STOP_MARKET",
        stopPrice="3000",
        reduceOnly=True,
        dryRun=False,
        clientOrderId="sl-1",
    )
    assert r.status_code == 200, r.content
    order = Order.objects.get(client_order_id="sl-1")
    assert order.is_algo and order.algo_id and order.status == "NEW"
    r = api.post("/futures/order.cancelAll", {"symbol": "ETHUSDT"}, token=token)
    assert r.status_code == 200, r.content
    order.refresh_from_db()
    assert order.status == "CANCELED"
