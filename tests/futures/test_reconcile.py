"""Reconciliation: an order that filled while Spark was down is fixed on the next pass."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest
import requests
from django.core.management import call_command

from audit.models import AuditEntry
from futures.models import Fill, Order
from futures.reconcile import reconcile_orders
from futures.services import OrderRequest, order_place
from tests.support import servers


def _live_limit(user, cid, price="3300"):
    return order_place(
        user=user,
        request=OrderRequest(
            symbol="ETHUSDT",
            side="BUY",
            type="LIMIT",
            quantity=Decimal("0.01"),
            price=Decimal(price),
            time_in_force="GTC",
            client_order_id=cid,
            dry_run=False,
        ),
    ).order


@pytest.mark.django_db
def test_reconcile_records_a_fill_that_happened_while_nobody_listened(alice, exchange):
    order = _live_limit(alice, "recon-1")
    assert order.status == "NEW"
    exchange.control.set_price("ETHUSDT", "3290")  # the resting BUY at 3300 fills
    assert Order.objects.get(pk=order.pk).status == "NEW"  # no stream: the database is stale
    call_command("reconcile_orders", stdout=open("/dev/null", "w"))  # noqa: SIM115
    order.refresh_from_db()
    assert order.status == "FILLED"
    assert order.filled_qty == Decimal("0.01")
    fills = Fill.objects.filter(order=order)
    assert fills.count() >= 1 and sum(f.qty for f in fills) == Decimal("0.01")
    entry = AuditEntry.objects.get(action="order.reconcile", target="recon-1")
    assert entry.payload["from"] == "NEW" and entry.payload["to"] == "FILLED"
    # A second pass changes nothing.
    report = reconcile_orders()
    assert report["changed"] == [] and report["checked"] == 0


@pytest.mark.django_db
def test_reconcile_settles_an_unknown_order_and_adopts_foreign_ones(alice, exchange):
    exchange.control.faults(lose_order_responses=1, latency_ms=0)
    order = _live_limit(alice, "unk-1")
    assert order.status == "NEW"  # the connector looked it up after the lost answer
    Order.objects.filter(pk=order.pk).update(status="UNKNOWN")
    exchange.control.signed(
        "POST",
        "/fapi/v1/order",
        symbol="ETHUSDT",
        side="SELL",
        type="LIMIT",
        quantity="0.01",
        price="3600",
        timeInForce="GTC",
        newClientOrderId="placed-by-hand",
    )
    report = reconcile_orders()
    order.refresh_from_db()
    assert order.status == "NEW"
    assert report["adopted"] == ["placed-by-hand"]
    adopted = Order.objects.get(client_order_id="placed-by-hand")
    assert adopted.dry_run is False and adopted.source.startswith("external")


@pytest.mark.django_db
def test_an_order_the_exchange_never_got_becomes_rejected(alice, exchange):
    order = _live_limit(alice, "gone-1")
    Order.objects.filter(pk=order.pk).update(client_order_id="never-on-exchange", status="UNKNOWN")
    reconcile_orders()
    order.refresh_from_db()
    assert order.status == "REJECTED"
    assert order.error["code"] == "NOT_ON_EXCHANGE"


def test_restart_and_reconcile_fix_an_order_filled_while_spark_was_down(
    daphne, sim_settings, make_user, token_for
):
    sim = sim_settings
    alice = make_user("alice", "trader")
    server = daphne(**sim.spark_env())
    r = requests.post(
        server.url + "/futures/order.place",
        json={
            "symbol": "ETHUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "0.01",
            "price": "3300",
            "dryRun": False,
            "clientOrderId": "down-1",
        },
        headers={"Authorization": f"Bearer {token_for(alice)}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert r.json()["order"]["status"] == "NEW"
    server.stop()
    sim.control.set_price("ETHUSDT", "3290")  # fills while Spark is down
    assert Order.objects.get(client_order_id="down-1").status == "NEW"
    env = {**server.env, **sim.spark_env(), "DATABASE_URL": servers.test_database_url()}
    done = subprocess.run(
        [sys.executable, "manage.py", "reconcile_orders"],
        cwd=servers.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    order = Order.objects.get(client_order_id="down-1")
    assert order.status == "FILLED"
    assert order.fills.count() >= 1


@pytest.mark.django_db
def test_an_unknown_outcome_is_never_resent_and_reconciliation_settles_it(
    alice, exchange, settings
):
    from futures.binance.errors import UnknownExecutionStatus
    from futures.binance.rest import client_from_settings
    from futures.services import positions_list

    settings.BINANCE_HTTP_TIMEOUT = 0.4
    settings.SPARK_MARK_PRICE_MAX_AGE = 60
    client = client_from_settings()  # a client of its own (the timeout is part of its key)
    client.lookup_delays = (0.01, 0.01)
    _live_limit(alice, "warm-1", price="3000")  # warms clock, exchange info, mark price
    positions_list()
    exchange.control.faults(latency_ms=900)  # every answer arrives after our timeout
    with pytest.raises(UnknownExecutionStatus):
        _live_limit(alice, "slow-1")
    order = Order.objects.get(client_order_id="slow-1")
    assert order.status == "UNKNOWN"
    exchange.control.clear_faults()
    report = reconcile_orders(client=client)
    order.refresh_from_db()
    assert order.status == "NEW"
    assert {"clientOrderId": "slow-1", "from": "UNKNOWN", "to": "NEW"}.items() <= next(
        c for c in report["changed"] if c["clientOrderId"] == "slow-1"
    ).items()
    placed = exchange.control.signed("GET", "/fapi/v1/allOrders", symbol="ETHUSDT").json()
    assert [o["clientOrderId"] for o in placed].count("slow-1") == 1
