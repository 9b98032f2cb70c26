"""SPARK_ORDER_TRANSPORT=ws takes effect on Spark's own orders: order_place, order_cancel and
order_modify send over the WebSocket API (through a proxy that counts and loses answers), with
the REST path's idempotency: a lost answer never becomes two orders, an answer that never comes
leaves the order UNKNOWN and is never re-sent."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal

import pytest

from futures.binance.errors import ExchangeUnavailable
from futures.binance.ws_api import BinanceFuturesWs, order_client_from_settings
from futures.models import Order, OrderStatus
from futures.order_modify import order_modify
from futures.position_mode import position_mode_forget
from futures.services import OrderRequest, order_cancel, order_place
from tests.support.stand_in import exchange_orders
from tests.support.ws_proxy import LosingProxy

pytestmark = pytest.mark.django_db(transaction=True)

WS_PATH = "/ws-fapi/v1"


@pytest.fixture
def proxy(exchange) -> Iterator[LosingProxy]:
    p = LosingProxy(exchange.ws_url).start()
    yield p
    p.stop()


@pytest.fixture
def ws_transport(settings, exchange, proxy) -> Iterator[BinanceFuturesWs]:
    settings.SPARK_ORDER_TRANSPORT = "ws"
    settings.BINANCE_FUTURES_WS_API_URL = proxy.url + WS_PATH
    settings.BINANCE_HTTP_TIMEOUT = 2
    client = order_client_from_settings()
    assert isinstance(client, BinanceFuturesWs)
    client.lookup_delays = (0.01, 0.05)
    yield client
    client.close()


def _bid(user, cid: str, price: str = "3300") -> OrderRequest:
    return OrderRequest(
        symbol="ETHUSDT",
        side="BUY",
        type="LIMIT",
        quantity=Decimal("0.01"),
        price=Decimal(price),
        time_in_force="GTC",
        client_order_id=cid,
        dry_run=False,
    )


def _on_exchange(sim) -> list[str]:
    return sorted(o["clientOrderId"] for o in exchange_orders(sim, "ETHUSDT"))


def test_a_live_order_is_placed_modified_and_cancelled_over_the_socket(
    alice, exchange, proxy, ws_transport
):
    result = order_place(user=alice, request=_bid(alice, "wst-1"))
    assert result.order.status == OrderStatus.NEW and result.order.exchange_order_id
    assert proxy.forwarded["order.place"] == 1

    order_modify(user=alice, symbol="ETHUSDT", client_order_id="wst-1", price=Decimal("3310"))
    assert proxy.forwarded["order.modify"] == 1
    assert Order.objects.get(client_order_id="wst-1").price == Decimal("3310")

    order_cancel(user=alice, symbol="ETHUSDT", client_order_id="wst-1")
    assert proxy.forwarded["order.cancel"] == 1
    assert Order.objects.get(client_order_id="wst-1").status == OrderStatus.CANCELED
    assert _on_exchange(exchange) == ["wst-1"]


def test_a_lost_answer_over_the_socket_never_becomes_two_orders(
    alice, exchange, proxy, ws_transport
):
    order_place(user=alice, request=_bid(alice, "wst-warm", price="3200"))  # socket open
    proxy.lose_answer("order.place", "drop")

    result = order_place(user=alice, request=_bid(alice, "wst-lost"))

    assert result.order.status == OrderStatus.NEW and result.order.exchange_order_id
    assert proxy.forwarded["order.place"] == 2  # each order sent once
    assert proxy.forwarded["order.status"] >= 1  # the lost one looked up by its client id
    assert _on_exchange(exchange) == ["wst-lost", "wst-warm"]
    assert Order.objects.filter(client_order_id="wst-lost").count() == 1


def test_an_answer_that_never_comes_leaves_the_order_unknown_and_unsent_again(
    alice, exchange, proxy, ws_transport
):
    proxy.lose_answer("order.place", "hold")
    proxy.lose_answer("order.status", "hold", times=10)  # the lookups go unanswered too

    with pytest.raises(ExchangeUnavailable):
        order_place(user=alice, request=_bid(alice, "wst-held"))

    assert Order.objects.get(client_order_id="wst-held").status == OrderStatus.UNKNOWN
    assert proxy.forwarded["order.place"] == 1  # never re-sent on an unknown outcome
    # The same clientOrderId again is answered from the database, nothing is sent.
    again = order_place(user=alice, request=_bid(alice, "wst-held"))
    assert again.created is False and proxy.forwarded["order.place"] == 1
    assert _on_exchange(exchange) == ["wst-held"]


def test_a_hedge_order_goes_over_the_socket_on_its_side_and_keeps_it_when_modified(
    alice, exchange, proxy, ws_transport
):
    position_mode_forget()
    assert exchange.control.position_mode(True) == {"code": 200, "msg": "success"}
    try:
        bid = dataclasses.replace(_bid(alice, "wst-long"), position_side="LONG")
        result = order_place(user=alice, request=bid)
        assert result.order.status == OrderStatus.NEW and result.order.position_side == "LONG"
        assert proxy.forwarded["order.place"] == 1

        order_modify(
            user=alice, symbol="ETHUSDT", client_order_id="wst-long", price=Decimal("3305")
        )
        on_exchange = exchange.control.signed(
            "GET", "/fapi/v1/order", symbol="ETHUSDT", origClientOrderId="wst-long"
        ).json()
        assert (on_exchange["positionSide"], on_exchange["price"]) == ("LONG", "3305.00")
        order_cancel(user=alice, symbol="ETHUSDT", client_order_id="wst-long")
        assert Order.objects.get(client_order_id="wst-long").position_side == "LONG"
    finally:
        exchange.control.signed("DELETE", "/fapi/v1/allOpenOrders", symbol="ETHUSDT")
        exchange.control.position_mode(False)
        position_mode_forget()
