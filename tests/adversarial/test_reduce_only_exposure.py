"""Issue 20, found while building the property test: a reduce-only fill newer than the position
read was left out of the gate's position, so the gate could under-count.

The position read said short 0.03 ETH; a reduce-only BUY then closed that short on the exchange
(Spark saw the fill after the read was requested). The exchange is flat, but the gate, leaving
reduce-only fills out, still saw the short: a BUY of 0.05 looked like "short 0.03 -> long 0.02"
against a 0.04 cap and went through, leaving the exchange long 0.05, over the cap. A BUY fill
moves the position up whatever its reduce-only flag, so the BUY side counts every BUY fill the
read may miss (counting one the read already has is a moment's over-count, never an under-count).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from futures import selectors
from futures.models import Order, OrderStatus, PositionSnapshot
from risk.models import RiskLimits
from tests.support.stand_in import exchange_position

pytestmark = [pytest.mark.django_db, pytest.mark.backends]


def _read_then_reduce_only_fill(*, short: str = "-0.03") -> None:
    """A fresh REST read of a short, then a reduce-only BUY fill seen after it was requested."""
    read_at = timezone.now() - timedelta(milliseconds=50)
    PositionSnapshot.objects.create(
        environment="sim",
        symbol="ETHUSDT",
        position_amt=Decimal(short),
        rest_position_amt=Decimal(short),
        rest_requested_at=read_at,
        source="rest:order",
    )
    Order.objects.create(
        client_order_id="ro-close-1",
        environment="sim",
        symbol="ETHUSDT",
        side="BUY",
        type="MARKET",
        quantity=-Decimal(short),
        filled_qty=-Decimal(short),
        filled_seen_at=read_at + timedelta(milliseconds=5),
        reduce_only=True,
        dry_run=False,
        status=OrderStatus.FILLED,
    )


def test_a_reduce_only_fill_after_the_read_counts_on_its_own_side():
    _read_then_reduce_only_fill()
    buy = selectors.exposure("sim", "ETHUSDT", "BUY")
    assert buy.position == 0  # short 0.03 closed by the BUY: never below the truth for BUYs
    assert buy.estimate == 0
    # The SELL side still starts from the short (a BUY fill it may not count twice).
    assert selectors.exposure("sim", "ETHUSDT", "SELL").position == Decimal("-0.03")


def test_the_gate_refuses_a_buy_that_a_missed_reduce_only_fill_would_let_over_the_cap(
    api, alice, token_for, exchange
):
    limits = RiskLimits.load()
    limits.max_notional_usd = Decimal("500")  # 0.05 ETH is 170 USD: only the position binds
    limits.save()
    limits.symbol_limits.update_or_create(symbol="ETHUSDT", defaults={"max_position_qty": "0.04"})
    _read_then_reduce_only_fill()  # the exchange itself is flat, as after the close
    answer = api.post(
        "/futures/order.place",
        {
            "symbol": "ETHUSDT",
            "side": "BUY",
            "type": "MARKET",
            "quantity": "0.05",
            "dryRun": False,
            "clientOrderId": "ro-over-cap",
        },
        token=token_for(alice),
    )
    assert answer.status_code == 422, answer.content
    rules = [r["rule"] for r in answer.json()["error"]["details"]["rules"]]
    assert rules == ["max_position"]
    assert exchange_position(exchange, "ETHUSDT") == 0
