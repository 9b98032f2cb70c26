"""The exchange's answer to a new order: one UPDATE while the order is as the request created
it, the locked merge when the user stream or reconciliation got there first."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from futures import sync
from futures.models import Order, OrderStatus

pytestmark = pytest.mark.django_db

CID = "spark-settle-1"


def new_order() -> Order:
    """The order as order_place stores it before the exchange call."""
    return Order.objects.create(
        client_order_id=CID,
        environment="sim",
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        time_in_force="GTC",
        quantity=Decimal("0.01"),
        price=Decimal("50000"),
        status=OrderStatus.PENDING_SUBMIT,
    )


def rest_answer(status: str = "NEW", executed: str = "0", avg: str = "0") -> dict:
    return {
        "orderId": 777,
        "clientOrderId": CID,
        "symbol": "BTCUSDT",
        "status": status,
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "origQty": "0.01",
        "price": "50000",
        "executedQty": executed,
        "avgPrice": avg,
        "reduceOnly": False,
    }


def stream_fill() -> dict:
    """ORDER_TRADE_UPDATE `o` of the order filling in one trade."""
    return {
        "s": "BTCUSDT",
        "c": CID,
        "S": "BUY",
        "o": "LIMIT",
        "f": "GTC",
        "q": "0.01",
        "p": "50000",
        "ap": "50000",
        "X": "FILLED",
        "x": "TRADE",
        "i": 777,
        "l": "0.01",
        "z": "0.01",
        "L": "50000",
        "t": 9001,
        "T": 1_700_000_000_000,
        "n": "0.2",
        "N": "USDT",
        "rp": "0",
        "m": False,
        "R": False,
    }


def test_an_untouched_order_takes_the_answer_in_one_statement():
    order = new_order()
    with CaptureQueriesContext(connection) as queries:
        assert sync.settle_placed(order, rest_answer("EXPIRED"))
    assert len(queries) == 1  # no lock, no re-read, no transaction of its own
    stored = Order.objects.get(pk=order.pk)
    assert (stored.status, stored.exchange_order_id) == (OrderStatus.EXPIRED, 777)
    assert stored.raw_response["orderId"] == 777
    assert stored.updated_at > stored.created_at
    assert (order.status, order.exchange_order_id) == (OrderStatus.EXPIRED, 777)


def test_a_late_new_answer_never_undoes_the_fill_the_stream_recorded_first():
    order = new_order()  # what the placing request still holds
    sync.order_sync_from_exchange(stream_fill(), source="ws")
    assert not sync.settle_placed(order, rest_answer("NEW"))
    merged = sync.order_sync_from_exchange(rest_answer("NEW"), source="rest:place")
    assert (merged.status, merged.filled_qty) == (OrderStatus.FILLED, Decimal("0.01"))
    stored = Order.objects.get(pk=order.pk)
    assert (stored.status, stored.exchange_order_id) == (OrderStatus.FILLED, 777)
    assert stored.fills.count() == 1


def test_an_answer_for_another_order_changes_nothing():
    order = new_order()
    other = {**rest_answer(), "clientOrderId": "someone-else"}
    assert not sync.settle_placed(order, other)
    stored = Order.objects.get(pk=order.pk)
    assert (stored.status, stored.exchange_order_id) == (OrderStatus.PENDING_SUBMIT, None)
