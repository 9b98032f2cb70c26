"""Finding 9 (reconcile): a final status Spark holds wrongly is rechecked and corrected.

An order Spark marked CANCELED/REJECTED/EXPIRED but that is open or filled on the exchange used
to stay wrong forever (reconciliation only looked at open orders), so exposure missed it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from audit.models import AuditEntry
from futures.models import Fill, Order
from futures.reconcile import reconcile_orders
from tests.futures.conftest import exchange  # noqa: F401 - the stand-in fixture
from tests.futures.test_reconcile import _live_limit

pytestmark = pytest.mark.django_db


def test_an_order_held_as_canceled_but_open_on_the_exchange_is_reopened_with_an_audit(
    alice,
    exchange,  # noqa: F811
):
    order = _live_limit(alice, "final-1")
    assert order.status == "NEW"
    # Spark took a cancel for done (a lost answer read wrongly); the exchange still has it open.
    Order.objects.filter(pk=order.pk).update(status="CANCELED")

    report = reconcile_orders()

    order.refresh_from_db()
    assert order.status == "NEW"
    entry = AuditEntry.objects.get(action="order.reconcile.correct", target="final-1")
    assert entry.payload["from"] == "CANCELED" and entry.payload["to"] == "NEW"
    assert any(c.get("correction") for c in report["changed"])
    assert order.client_order_id in {o.client_order_id for o in Order.objects.filter(status="NEW")}


def test_an_order_held_as_rejected_but_filled_on_the_exchange_gets_its_fills(
    alice,
    exchange,  # noqa: F811
):
    order = _live_limit(alice, "final-2")
    Order.objects.filter(pk=order.pk).update(status="REJECTED")
    exchange.control.set_price("ETHUSDT", "3290")  # the resting BUY at 3300 fills

    reconcile_orders()

    order.refresh_from_db()
    assert order.status == "FILLED"
    assert order.filled_qty == Decimal("0.01")
    assert sum(f.qty for f in Fill.objects.filter(order=order)) == Decimal("0.01")
    entry = AuditEntry.objects.get(action="order.reconcile.correct", target="final-2")
    assert entry.payload["from"] == "REJECTED" and entry.payload["exchangeStatus"] == "FILLED"


def test_a_final_status_the_exchange_agrees_with_is_left_alone(
    alice,
    exchange,  # noqa: F811
):
    order = _live_limit(alice, "final-3")
    exchange.control.signed(
        "DELETE", "/fapi/v1/order", symbol="ETHUSDT", origClientOrderId="final-3"
    )
    Order.objects.filter(pk=order.pk).update(status="CANCELED")

    report = reconcile_orders()

    order.refresh_from_db()
    assert order.status == "CANCELED"
    assert report["changed"] == []
    assert not AuditEntry.objects.filter(action="order.reconcile.correct").exists()
