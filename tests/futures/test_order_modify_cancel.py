"""Modifying an open order in place, and cancel-all answering exactly what it cancelled."""

from __future__ import annotations

from decimal import Decimal

import pytest

from audit.models import AuditEntry
from futures.models import Order
from risk.models import RiskLimits
from tests.support.stand_in import exchange_orders

pytestmark = pytest.mark.django_db


def _rest(api, token, cid, price="3300", qty="0.01", side="BUY"):
    r = api.post(
        "/futures/order.place",
        {
            "symbol": "ETHUSDT",
            "side": side,
            "type": "LIMIT",
            "quantity": qty,
            "price": price,
            "timeInForce": "GTC",
            "dryRun": False,
            "clientOrderId": cid,
        },
        token=token,
    )
    assert r.status_code == 200, r.content
    return r.json()["order"]


def _on_exchange(exchange, cid):
    return next(o for o in exchange_orders(exchange, "ETHUSDT") if o["clientOrderId"] == cid)


def test_it_modifies_price_and_quantity_keeping_the_client_id(api, alice, token_for, exchange):
    token = token_for(alice)
    placed = _rest(api, token, "mod-1")
    r = api.post(
        "/futures/order.modify",
        {"symbol": "ETHUSDT", "clientOrderId": "mod-1", "price": "3310.5", "quantity": "0.02"},
        token=token,
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["old"] == {"price": "3300", "quantity": "0.01"}
    assert body["new"] == {"price": "3310.5", "quantity": "0.02"}
    remote = _on_exchange(exchange, "mod-1")
    assert remote["orderId"] == placed["orderId"]
    assert Decimal(remote["price"]) == Decimal("3310.5")
    assert Decimal(remote["origQty"]) == Decimal("0.02")
    order = Order.objects.get(client_order_id="mod-1")
    assert (order.price, order.quantity) == (Decimal("3310.5"), Decimal("0.02"))
    entry = AuditEntry.objects.get(action="order.modify", outcome="ok")
    assert entry.payload["old"]["price"] == "3300"
    assert entry.payload["new"]["quantity"] == "0.02"
    assert entry.payload["clientOrderId"] == "mod-1"


def test_rounding_to_the_tick_is_reported(api, alice, token_for, exchange):
    token = token_for(alice)
    _rest(api, token, "mod-round")
    r = api.post(
        "/futures/order.modify",
        {"symbol": "ETHUSDT", "clientOrderId": "mod-round", "price": "3305.123"},
        token=token,
    )
    assert r.status_code == 200, r.content
    assert r.json()["rounded"] == [{"field": "price", "requested": "3305.123", "sent": "3305.12"}]


def test_modifying_a_cancelled_order_is_a_clear_conflict(api, alice, token_for, exchange):
    token = token_for(alice)
    _rest(api, token, "mod-gone")
    api.post(
        "/futures/order.cancel", {"symbol": "ETHUSDT", "clientOrderId": "mod-gone"}, token=token
    )
    r = api.post(
        "/futures/order.modify",
        {"symbol": "ETHUSDT", "clientOrderId": "mod-gone", "price": "3310"},
        token=token,
        lang="en",
    )
    assert r.status_code == 409, r.content
    assert r.json()["error"]["code"] == "ORDER_NOT_MODIFIABLE"
    assert "CANCELED" in r.json()["error"]["message"]


def test_modifying_an_order_filled_behind_spark_says_it_filled(api, alice, token_for, exchange):
    token = token_for(alice)
    _rest(api, token, "mod-filled", price="3390")
    # The market falls through the bid: it fills on the exchange; Spark's row still says NEW.
    exchange.control.set_price("ETHUSDT", "3300", mark="3300")
    r = api.post(
        "/futures/order.modify",
        {"symbol": "ETHUSDT", "clientOrderId": "mod-filled", "price": "3380"},
        token=token,
        lang="en",
    )
    assert r.status_code == 409, r.content
    assert "FILLED" in r.json()["error"]["message"]
    assert Order.objects.get(client_order_id="mod-filled").status == "FILLED"


def test_another_traders_order_cannot_be_modified(api, alice, make_user, token_for, exchange):
    carol = make_user("carol", "trader")
    _rest(api, token_for(alice), "mod-alice")
    r = api.post(
        "/futures/order.modify",
        {"symbol": "ETHUSDT", "clientOrderId": "mod-alice", "price": "3310"},
        token=token_for(carol),
    )
    assert r.status_code == 403, r.content
    assert Decimal(_on_exchange(exchange, "mod-alice")["price"]) == Decimal("3300")
    assert AuditEntry.objects.filter(action="order.modify", outcome="denied").exists()


def test_a_modify_over_the_risk_limit_is_refused(api, alice, token_for, exchange):
    token = token_for(alice)
    _rest(api, token, "mod-big")
    r = api.post(
        "/futures/order.modify",
        {"symbol": "ETHUSDT", "clientOrderId": "mod-big", "quantity": "0.05"},
        token=token,
    )
    assert r.status_code == 422, r.content
    assert r.json()["error"]["code"] == "RISK_REJECTED"
    assert Decimal(_on_exchange(exchange, "mod-big")["origQty"]) == Decimal("0.01")
    assert RiskLimits.load().max_notional_usd < Decimal("0.05") * 3300


@pytest.mark.parametrize(
    "body",
    [
        {"symbol": "ETHUSDT", "clientOrderId": "m"},
        {"symbol": "ETHUSDT", "price": "3300"},
        {"symbol": "ETHUSDT", "clientOrderId": "m", "price": "-1"},
        {"symbol": "ETHUSDT", "clientOrderId": "m", "quantity": "1e-3"},
        {"symbol": "ETHUSDT", "orderId": 2**63, "price": "1"},
    ],
)
def test_strange_modify_inputs_are_422(api, alice, token_for, exchange, body):
    r = api.post("/futures/order.modify", body, token=token_for(alice))
    assert r.status_code == 422, r.content


def test_cancel_all_lists_what_it_cancelled_even_when_rows_moved_first(
    api, olga, token_for, exchange
):
    token = token_for(olga)
    _rest(api, token, "ca-1")
    _rest(api, token, "ca-2", price="3310")
    # The user stream got there first: the local rows already say CANCELED.
    Order.objects.filter(client_order_id__in=["ca-1", "ca-2"]).update(status="CANCELED")
    r = api.post("/futures/order.cancelAll", {"symbol": "ETHUSDT"}, token=token)
    assert r.status_code == 200, r.content
    assert {c["clientOrderId"] for c in r.json()["cancelled"]} == {"ca-1", "ca-2"}
    assert {o["status"] for o in exchange_orders(exchange, "ETHUSDT")} == {"CANCELED"}


def test_cancel_all_does_not_list_an_order_that_had_filled(api, olga, token_for, exchange):
    token = token_for(olga)
    _rest(api, token, "ca-fill", price="3390")
    _rest(api, token, "ca-rest", price="3100")
    exchange.control.set_price("ETHUSDT", "3300", mark="3300")  # fills ca-fill
    r = api.post("/futures/order.cancelAll", {"symbol": "ETHUSDT"}, token=token)
    assert [c["clientOrderId"] for c in r.json()["cancelled"]] == ["ca-rest"]


def test_cancel_all_symbols_cancels_every_symbol(api, olga, token_for, exchange):
    token = token_for(olga)
    _rest(api, token, "cs-eth")
    # placed outside Spark (by hand): an operator's cancel-all clears it too
    exchange.control.signed(
        "POST",
        "/fapi/v1/order",
        symbol="SOLUSDT",
        side="BUY",
        type="LIMIT",
        quantity="1",
        price="140",
        timeInForce="GTC",
        newClientOrderId="cs-sol",
    )
    r = api.post("/futures/order.cancelAll", {"allSymbols": True}, token=token)
    assert r.status_code == 200, r.content
    assert {(c["symbol"], c["clientOrderId"]) for c in r.json()["cancelled"]} == {
        ("ETHUSDT", "cs-eth"),
        ("SOLUSDT", "cs-sol"),
    }
    assert exchange.control.signed("GET", "/fapi/v1/openOrders").json() == []


@pytest.mark.parametrize(
    "body", [{}, {"allSymbols": "true"}, {"symbol": "ETHUSDT", "allSymbols": True}]
)
def test_cancel_all_needs_one_symbol_or_all_symbols(api, alice, token_for, exchange, body):
    r = api.post("/futures/order.cancelAll", body, token=token_for(alice))
    assert r.status_code == 422, r.content


@pytest.mark.backends
@pytest.mark.django_db(transaction=True)
def test_two_modifies_at_once_leave_spark_agreeing_with_the_exchange(make_user, exchange):
    import threading

    from django.db import connection

    from futures.order_modify import order_modify
    from futures.services import OrderRequest, order_place

    alice = make_user("alice", "trader")
    order_place(
        user=alice,
        request=OrderRequest(
            symbol="ETHUSDT",
            side="BUY",
            type="LIMIT",
            quantity=Decimal("0.01"),
            price=Decimal("3300"),
            time_in_force="GTC",
            client_order_id="race-mod",
            dry_run=False,
        ),
    )
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def modify(price: str) -> None:
        barrier.wait()
        try:
            order_modify(
                user=alice, symbol="ETHUSDT", client_order_id="race-mod", price=Decimal(price)
            )
        except Exception as exc:  # noqa: BLE001 - any error is the failure asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=modify, args=(p,)) for p in ("3310", "3320")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    remote = _on_exchange(exchange, "race-mod")
    order = Order.objects.get(client_order_id="race-mod")
    assert order.price == Decimal(remote["price"]) in (Decimal("3310"), Decimal("3320"))
