"""Exposure, realized PnL and metrics of orders (DB locking tests are marked backends)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from futures import metrics
from futures.binance.errors import ExchangeFilterError
from futures.models import Order
from futures.services import OrderRequest, order_place
from futures.sync import order_sync_from_exchange
from risk.errors import RiskRejected
from risk.models import PnLEntry, RiskLimits
from tests.support.exchange_events import closing_fill


def _req(**kw):
    base = {
        "symbol": "ETHUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "quantity": Decimal("0.01"),
        "price": Decimal("3300"),
        "time_in_force": "GTC",
        "dry_run": False,
    }
    base.update(kw)
    return OrderRequest(**base)


def _counter(counter, **labels) -> float:
    return counter.labels(**labels)._value.get()  # noqa: SLF001


@pytest.mark.django_db
def test_a_fill_with_realized_pnl_books_it_once_in_the_risk_ledger():
    event = closing_fill("pnl-1", order_id=55, trade_id=901, realized="-1.25")
    order_sync_from_exchange(event, source="ws")
    order_sync_from_exchange(event, source="ws")  # replay
    entry = PnLEntry.objects.get(source="fill", kind="realized")
    assert entry.source_ref.endswith(":ETHUSDT:pnl-1:901")
    assert entry.amount == Decimal("-1.25")
    # The fill's commission (0.01 USDT) is a cost in the ledger too, booked once as well.
    fee = PnLEntry.objects.get(source="fill", kind="commission")
    assert fee.amount == Decimal("-0.01") and fee.asset == "USDT"
    assert PnLEntry.objects.count() == 2


@pytest.mark.django_db
def test_open_orders_count_against_the_position_limit(alice, exchange):
    limits = RiskLimits.load()
    limits.default_max_position_usd = Decimal("70")
    limits.save()
    # ETHUSDT may have its own contract limit; drop it so the USD default applies.
    limits.symbol_limits.filter(symbol="ETHUSDT").delete()
    order_place(user=alice, request=_req(client_order_id="exp-1"))  # 0.01 x 3400 = 34 USD
    with pytest.raises(RiskRejected) as exc:
        order_place(user=alice, request=_req(client_order_id="exp-2", quantity=Decimal("0.02")))
    assert [r["rule"] for r in exc.value.details["rules"]] == ["max_position"]
    assert not Order.objects.filter(client_order_id="exp-2").exists()


@pytest.mark.django_db
def test_rejections_and_acks_are_counted_with_bounded_reasons(alice, exchange):
    before_ack = _counter(metrics.ORDER_ACK, symbol="ETHUSDT", dry_run="true")
    before_notional = _counter(metrics.ORDER_REJECT, reason="risk_max_notional")
    before_filter = _counter(metrics.ORDER_REJECT, reason="filter_min_notional")
    order_place(user=alice, request=_req(dry_run=True))
    with pytest.raises(RiskRejected):
        order_place(user=alice, request=_req(quantity=Decimal("0.05"), dry_run=True))
    with pytest.raises(ExchangeFilterError):
        order_place(user=alice, request=_req(quantity=Decimal("0.001"), dry_run=True))
    assert _counter(metrics.ORDER_ACK, symbol="ETHUSDT", dry_run="true") == before_ack + 1
    assert _counter(metrics.ORDER_REJECT, reason="risk_max_notional") == before_notional + 1
    assert _counter(metrics.ORDER_REJECT, reason="filter_min_notional") == before_filter + 1
    assert metrics.RATE_LIMIT_REMAINING._value.get() > 0  # noqa: SLF001


@pytest.mark.backends
@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_cannot_both_take_the_last_room_under_the_position_limit(
    make_user, exchange
):
    alice = make_user("alice", "trader")
    limits = RiskLimits.load()
    limits.default_max_position_usd = Decimal("70")
    limits.save()
    limits.symbol_limits.filter(symbol="ETHUSDT").delete()
    outcomes: list[str] = []
    barrier = threading.Barrier(3)

    def place(i: int) -> None:
        barrier.wait()
        try:
            order_place(user=alice, request=_req(client_order_id=f"race-{i}"))
            outcomes.append("placed")
        except RiskRejected:
            outcomes.append("rejected")
        finally:
            connection.close()

    threads = [threading.Thread(target=place, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # 3 x 34 USD against 70 USD: exactly two fit, whatever the interleaving.
    assert sorted(outcomes) == ["placed", "placed", "rejected"]
    assert Order.objects.filter(dry_run=False).count() == 2
