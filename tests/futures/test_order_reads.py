"""The order path's raw reads give what the ORM gives: exposure, freshness, idempotency."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F, Sum
from django.utils import timezone

from futures import selectors
from futures.models import OPEN_STATUSES, Order, OrderStatus, PositionSnapshot

pytestmark = [pytest.mark.django_db, pytest.mark.backends]

_ids = iter(range(10**6))


def _order(**kw) -> Order:
    base = {
        "client_order_id": f"reads-{next(_ids)}",
        "environment": "sim",
        "symbol": "ETHUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "quantity": Decimal("0.013"),
        "price": Decimal("3300"),
        "dry_run": False,
        "status": OrderStatus.NEW,
    }
    base.update(kw)
    return Order.objects.create(**base)


def _orm_exposure(env: str, symbol: str, side: str) -> tuple[Decimal, Decimal]:
    row = PositionSnapshot.objects.filter(environment=env, symbol=symbol).first()
    total = (
        Order.objects.filter(
            environment=env,
            symbol=symbol,
            side=side,
            dry_run=False,
            status__in=OPEN_STATUSES,
            reduce_only=False,
        )
        .annotate(leaves=F("quantity") - F("filled_qty"))
        .aggregate(total=Sum("leaves"))["total"]
    )
    return (row.position_amt if row else Decimal(0), total or Decimal(0))


def test_exposure_is_zero_without_a_position_or_open_orders():
    assert selectors.exposure("sim", "ETHUSDT", "BUY") == (Decimal(0), Decimal(0))


def test_exposure_counts_the_unfilled_part_of_every_open_status_of_one_side():
    PositionSnapshot.objects.create(
        environment="sim", symbol="ETHUSDT", position_amt=Decimal("-0.123"), source="rest"
    )
    expected = Decimal(0)
    for i, status in enumerate(sorted(OPEN_STATUSES)):
        filled = Decimal("0.001") * i
        _order(status=status, quantity=Decimal("0.017") + i, filled_qty=filled)
        expected += Decimal("0.017") + i - filled
    # None of these count: final, dry-run, reduce-only, other side, symbol or environment.
    _order(status=OrderStatus.FILLED, filled_qty=Decimal("0.013"))
    _order(status=OrderStatus.CANCELED)
    _order(dry_run=True)
    _order(reduce_only=True)
    _order(side="SELL")
    _order(symbol="BTCUSDT")
    _order(environment="testnet")

    position, open_qty = selectors.exposure("sim", "ETHUSDT", "BUY")

    assert position == Decimal("-0.123") and open_qty == expected
    assert (position, open_qty) == _orm_exposure("sim", "ETHUSDT", "BUY")
    assert selectors.exposure("sim", "ETHUSDT", "SELL") == (position, Decimal("0.013"))


def test_exposure_reads_many_small_quantities_exactly():
    for _ in range(30):
        _order(quantity=Decimal("0.1"), filled_qty=Decimal("0.03"))
    _, open_qty = selectors.exposure("sim", "ETHUSDT", "BUY")
    assert open_qty == Decimal("2.1")
    assert open_qty == _orm_exposure("sim", "ETHUSDT", "BUY")[1]


def test_a_position_is_fresh_only_when_recent_and_not_marked_stale():
    assert not selectors.position_is_fresh("sim", "ETHUSDT", 5)
    PositionSnapshot.objects.create(environment="sim", symbol="ETHUSDT", source="rest")
    assert selectors.position_is_fresh("sim", "ETHUSDT", 5)
    assert not selectors.position_is_fresh("testnet", "ETHUSDT", 5)
    PositionSnapshot.objects.filter(symbol="ETHUSDT").update(
        updated_at=timezone.now() - timedelta(seconds=6)
    )
    assert not selectors.position_is_fresh("sim", "ETHUSDT", 5)
    assert selectors.position_is_fresh("sim", "ETHUSDT", 7)
    PositionSnapshot.objects.filter(symbol="ETHUSDT").update(updated_at=timezone.now())
    selectors.mark_position_stale("sim", "ETHUSDT")
    assert not selectors.position_is_fresh("sim", "ETHUSDT", 5)


def test_order_pk_finds_an_order_by_its_client_id_only():
    order = _order(client_order_id="reads-exact")
    assert selectors.order_pk("reads-exact") == order.pk
    assert selectors.order_pk("reads-exac") is None
    assert selectors.order_pk("READS-EXACT") is None


def test_a_live_order_answer_names_its_owner_and_a_repeat_returns_it(
    api, alice, token_for, exchange
):
    body = {
        "symbol": "ETHUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "IOC",
        "quantity": "0.01",
        "price": "3300",
        "dryRun": False,
        "clientOrderId": "reads-live-1",
    }
    first = api.post("/futures/order.place", body, token=token_for(alice)).json()
    assert first["executed"] == "exchange" and first["created"] is True
    assert first["order"]["user"] == "alice" and first["order"]["status"] == "EXPIRED"
    again = api.post("/futures/order.place", body, token=token_for(alice)).json()
    assert again["executed"] == "existing" and again["created"] is False
    assert again["order"] == first["order"]
