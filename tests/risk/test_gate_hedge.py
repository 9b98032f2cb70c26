"""The gate in hedge mode: an order opens a side (capped per side and net) or closes it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from risk.models import CircuitBreaker, SymbolPositionLimit
from tests.risk.conftest import decide, rule_names

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def qty_cap(limits):
    """ETHUSDT's cap: 0.05 contracts (either way: per side and net)."""
    SymbolPositionLimit.objects.create(limits=limits, symbol="ETHUSDT", max_position_qty=D("0.05"))
    return limits


def _open_long(**kw):
    values = {"position_side": "LONG", "side": "BUY", "net_position_amt": D("0")}
    values.update(kw)
    return decide(**values)


@pytest.mark.parametrize(
    ("open_qty", "allowed"), [(D("0.01"), True), (D("0.0101"), False)], ids=["at", "over"]
)
def test_an_opening_order_counts_its_sides_position_and_opening_orders(qty_cap, open_qty, allowed):
    # LONG 0.03 + this 0.01 + open BUY LONG orders: the side's cap is 0.05
    decision = _open_long(
        position_amt=D("0.03"), open_same_side_qty=open_qty, net_position_amt=D("0")
    )
    assert decision.allowed is allowed
    if not allowed:
        assert rule_names(decision) == ["max_position"]
        assert decision.rules[0]["message"].startswith("ETHUSDT LONG: resulting position")
    assert decision.facts["positionSide"] == "LONG"


def test_the_other_side_offsets_the_net_but_never_the_side(qty_cap):
    # SHORT 0.04 open: LONG 0.05 is at the side's cap, net 0.01
    assert _open_long(position_amt=D("0.04"), net_position_amt=D("0")).allowed
    decision = _open_long(position_amt=D("0.045"), net_position_amt=D("0.005"), quantity=D("0.01"))
    assert rule_names(decision) == ["max_position"]  # the side: 0.055, the net 0.015 fits
    assert decision.facts["resultingNetPosition"] == "0.015"


def test_the_net_is_checked_when_the_order_grows_it(qty_cap):
    # a LONG side of 0.02 and no short: the net grows with the side and is capped as well
    decision = _open_long(position_amt=D("0.02"), net_position_amt=D("0.05"), quantity=D("0.01"))
    assert rule_names(decision) == ["max_position"]
    assert "net position" in decision.rules[0]["message"]
    # an opening SHORT shrinks a long net: only its own side counts
    short = decide(
        position_side="SHORT",
        side="SELL",
        position_amt=D("0"),
        net_position_amt=D("0.08"),
        quantity=D("0.02"),
    )
    assert short.allowed, short.rules


def test_a_close_within_the_side_passes_the_breaker_and_the_notional_cap(qty_cap):
    CircuitBreaker.objects.update_or_create(
        pk=CircuitBreaker.SINGLETON_PK, defaults={"state": CircuitBreaker.State.OPEN}
    )
    # SELL on LONG 0.04 (the service passes a hedge close as reduce_only with the side's amount)
    close = decide(
        position_side="LONG",
        side="SELL",
        reduce_only=True,
        position_amt=D("0.04"),
        quantity=D("0.04"),
        mark_price=D("3000"),  # 120 USD: above the 100 USD max notional, exempt
    )
    assert close.allowed, close.rules
    assert close.facts["reducing"] is True
    buy_short = decide(
        position_side="SHORT",
        side="BUY",
        reduce_only=True,
        position_amt=D("-0.02"),
        quantity=D("0.02"),
    )
    assert buy_short.allowed
    # more than the side holds is no shrinking order: the breaker stops it
    over = decide(
        position_side="LONG",
        side="SELL",
        reduce_only=True,
        position_amt=D("0.01"),
        quantity=D("0.02"),
    )
    assert rule_names(over) == ["circuit_breaker"]
    # and an opening order is stopped too
    assert rule_names(_open_long(position_amt=D("0"))) == ["circuit_breaker"]


def test_a_close_never_counts_as_growing_its_side(qty_cap):
    # an over-close cannot flip a hedge side (the exchange refuses it): no max_position rule
    decision = decide(
        position_side="LONG",
        side="SELL",
        reduce_only=True,
        position_amt=D("0.01"),
        quantity=D("0.09"),
        mark_price=D("1000"),
    )
    assert "max_position" not in rule_names(decision)
