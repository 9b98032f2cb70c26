"""TP/SL attached to an entry (order.place with takeProfit/stopLoss), against the stand-in.

The protection goes on the position at the entry's first fill, never before, never twice, and an
entry whose protection could not be placed says so on the row, in the audit and to its owner.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from audit.models import AuditEntry
from futures import attached
from futures.models import AttachState, Order
from futures.paper import fill_crossed
from futures.reconcile import reconcile_orders
from notifications.messages import render
from notifications.models import Event
from tests.support.stand_in import exchange_position

pytestmark = pytest.mark.django_db(transaction=True)


def _entry(api, token, **body):
    base = {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}
    return api.post("/futures/order.place", {**base, **body}, token=token)


def _live_limit_entry(api, token, cid, **protection):
    """A live LIMIT BUY 0.01 ETH at 3300 (resting: the market is at 3400) with its TP/SL."""
    r = _entry(
        api, token, type="LIMIT", price="3300", dryRun=False, clientOrderId=cid, **protection
    )
    assert r.status_code == 200, r.content
    return r


def _algos(exchange):
    rows = exchange.control.signed("GET", "/fapi/v1/openAlgoOrders", symbol="ETHUSDT").json()
    return sorted((a["orderType"], Decimal(a["triggerPrice"]), a["closePosition"]) for a in rows)


def test_a_market_entry_is_protected_in_the_same_request(api, alice, token_for, exchange):
    r = _entry(
        api,
        token_for(alice),
        dryRun=False,
        takeProfit="3600",
        stopLoss="3300",
        clientOrderId="ent-1",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["order"]["status"] == "FILLED"
    assert body["protection"]["state"] == "placed"
    assert (body["protection"]["takeProfit"], body["protection"]["stopLoss"]) == ("3600", "3300")
    assert sorted(o["type"] for o in body["protection"]["orders"]) == [
        "STOP_MARKET",
        "TAKE_PROFIT_MARKET",
    ]
    assert exchange_position(exchange, "ETHUSDT") == Decimal("0.01")
    assert _algos(exchange) == [
        ("STOP_MARKET", Decimal("3300"), True),
        ("TAKE_PROFIT_MARKET", Decimal("3600"), True),
    ]
    # The same request again (a retry after a lost answer): nothing new anywhere.
    again = _entry(
        api,
        token_for(alice),
        dryRun=False,
        takeProfit="3600",
        stopLoss="3300",
        clientOrderId="ent-1",
    )
    assert again.status_code == 200, again.content
    assert again.json()["created"] is False
    assert len(again.json()["protection"]["orders"]) == 2
    assert exchange_position(exchange, "ETHUSDT") == Decimal("0.01")
    assert len(_algos(exchange)) == 2


def test_a_limit_entry_is_protected_only_when_it_fills(api, alice, token_for, exchange):
    r = _live_limit_entry(api, token_for(alice), "ent-lim", stopLoss="3200")
    assert r.status_code == 200, r.content
    assert r.json()["protection"] == {
        "takeProfit": None,
        "stopLoss": "3200",
        "state": "pending",
        "orders": [],
    }
    assert attached.attach_due() == []  # resting: nothing to protect yet
    assert _algos(exchange) == []
    exchange.control.set_price("ETHUSDT", "3290", mark="3290")  # the limit fills
    reconcile_orders(actor="system")
    (entry,) = attached.attach_due()
    entry.refresh_from_db()
    assert entry.attach_state == AttachState.PLACED
    assert _algos(exchange) == [("STOP_MARKET", Decimal("3200"), True)]
    assert attached.attach_due() == []  # once


def test_an_entry_cancelled_unfilled_drops_its_protection(api, alice, token_for, exchange):
    token = token_for(alice)
    _entry(api, token, type="LIMIT", price="3300", dryRun=False, stopLoss="3200", clientOrderId="e")
    r = api.post("/futures/order.cancel", {"symbol": "ETHUSDT", "clientOrderId": "e"}, token=token)
    assert r.status_code == 200, r.content
    assert attached.attach_due() == []
    assert Order.objects.get(client_order_id="e").attach_state == AttachState.DROPPED
    assert _algos(exchange) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"side": "BUY", "stopLoss": "3500"}, "stopLoss"),  # a long's stop above the market
        ({"side": "BUY", "takeProfit": "3300"}, "takeProfit"),
        ({"side": "SELL", "takeProfit": "3500"}, "takeProfit"),  # a short's TP above it
        ({"side": "SELL", "stopLoss": "3400"}, "stopLoss"),  # at the market: fires at once
        ({"type": "LIMIT", "price": "3000", "stopLoss": "3100"}, "stopLoss"),  # above the limit
        ({"reduceOnly": True, "takeProfit": "3600"}, "takeProfit"),
        ({"takeProfit": "abc"}, "takeProfit"),
        ({"stopLoss": "-1"}, "stopLoss"),
        ({"stopLoss": "1e400"}, "stopLoss"),
        ({"takeProfit": True}, "takeProfit"),
    ],
)
def test_a_protection_that_cannot_protect_is_422_and_nothing_is_sent(
    api, alice, token_for, exchange, body, field
):
    r = _entry(api, token_for(alice), dryRun=False, **body)
    assert r.status_code == 422, r.content
    assert field in r.content.decode()
    assert not Order.objects.exists()
    assert exchange_position(exchange, "ETHUSDT") == 0
    assert _algos(exchange) == []


def test_a_viewer_cannot_place_an_entry_with_protection(api, bob, token_for, exchange):
    r = _entry(api, token_for(bob), dryRun=False, stopLoss="3300")
    assert r.status_code == 403, r.content
    assert not Order.objects.exists()


def test_an_entry_that_fills_past_its_stop_is_reported_unprotected(api, alice, token_for, exchange):
    _live_limit_entry(api, token_for(alice), "gap", stopLoss="3200")
    exchange.control.set_price("ETHUSDT", "3150", mark="3150")  # through the limit and the stop
    reconcile_orders(actor="system")
    attached.attach_due()
    entry = Order.objects.get(client_order_id="gap")
    assert entry.status == "FILLED"
    assert entry.attach_state == AttachState.FAILED
    assert _algos(exchange) == []
    audit = AuditEntry.objects.get(action="order.attach", outcome="failed")
    assert "stopLoss" in audit.payload["error"]["message"]
    event = Event.objects.get(dedupe_key=f"order.attach:{entry.pk}")
    assert event.owner == alice
    assert "gap" in event.payload["reason"]
    _subject, text = render(event.kind, event.payload, "tr")
    assert "Giriş emri gap gerçekleşti ama TP/SL'si yerleştirilemedi" in text
    assert "3.150" in text  # the mark it fell to, in Turkish figures
    _subject, text = render(event.kind, event.payload, "en")
    assert "The entry gap filled but its TP/SL could not be placed" in text


def test_a_dry_run_entry_gets_paper_legs_and_one_cancels_the_other(api, alice, token_for, exchange):
    r = _entry(
        api,
        token_for(alice),
        type="LIMIT",
        price="3300",
        takeProfit="3500",
        stopLoss="3200",
        clientOrderId="paper-e",
    )
    assert r.status_code == 200, r.content
    assert r.json()["protection"]["state"] == "pending"
    assert fill_crossed("ETHUSDT", Decimal("3299")) == [
        Order.objects.get(client_order_id="paper-e")
    ]
    entry = Order.objects.get(client_order_id="paper-e")
    assert entry.attach_state == AttachState.PLACED
    tp = Order.objects.get(client_order_id=f"att{entry.pk}-tp")
    sl = Order.objects.get(client_order_id=f"att{entry.pk}-sl")
    assert (tp.status, sl.status, tp.quantity, tp.reduce_only, tp.dry_run) == (
        "NEW",
        "NEW",
        Decimal("0.01"),
        True,
        True,
    )
    assert [o.client_order_id for o in fill_crossed("ETHUSDT", Decimal("3510"))] == [
        tp.client_order_id
    ]
    sl.refresh_from_db()
    assert sl.status == "CANCELED"
    assert fill_crossed("ETHUSDT", Decimal("3100")) == []  # the stop went with the position
    assert exchange_position(exchange, "ETHUSDT") == 0  # paper only


@pytest.mark.backends
def test_two_processes_attaching_at_once_place_one_protection(api, alice, token_for, exchange):
    """Two stream processes see the same fill: the compare-and-set lets exactly one place it."""
    _live_limit_entry(api, token_for(alice), "race", takeProfit="3600", stopLoss="3200")
    exchange.control.set_price("ETHUSDT", "3290", mark="3290")
    reconcile_orders(actor="system")
    barrier = threading.Barrier(4)
    placed: list[int] = []

    def worker():
        try:
            barrier.wait()
            placed.append(len(attached.attach(Order.objects.get(client_order_id="race"))))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(placed) == [0, 0, 0, 2]
    assert len(_algos(exchange)) == 2


def test_the_refusal_names_the_entry_price_in_the_request_language(api, alice, token_for, exchange):
    body = {"type": "LIMIT", "price": "3300", "stopLoss": "3350", "dryRun": False}
    tr = _entry(api, token_for(alice), **body).json()["error"]
    assert tr["message"] == "Uzun emirde stopLoss, giriş fiyatı 3.300 altında olmalı."
    assert tr["details"]["fields"][0]["field"] == "stopLoss"
    base = {"symbol": "ETHUSDT", "side": "BUY", "quantity": "0.01"}
    en = api.post("/futures/order.place", {**base, **body}, token=token_for(alice), lang="en")
    assert en.json()["error"]["message"] == (
        "stopLoss must be below the entry price 3300 for a long order."
    )
