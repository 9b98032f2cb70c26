"""The gate's rules, each at, just under and just over its limit (Decimal arithmetic)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from risk import gate, metrics, providers
from risk.errors import RiskRejected
from risk.models import CircuitBreaker, PnLEntry, SymbolPositionLimit
from tests.risk.conftest import decide, intent, rule_names

pytestmark = pytest.mark.django_db

D = Decimal


# --- max_notional: quantity x (limit price or mark) <= max_notional_usd (100) -------------------


@pytest.mark.parametrize(
    ("quantity", "allowed"),
    [(D("0.04"), True), (D("0.0399"), True), (D("0.0401"), False)],
    ids=["at", "under", "over"],
)
def test_it_checks_max_notional_with_the_mark_for_a_market_order(limits, quantity, allowed):
    decision = decide(quantity=quantity, mark_price=D("2500"))  # 0.04 x 2500 = 100
    assert decision.allowed is allowed
    if not allowed:
        assert decision.rules == [
            {
                "rule": "max_notional",
                "limit": "100",
                "value": "100.25",
                "message": "Order notional 100.25 USD is above the max notional 100 USD.",
                "unit": "USD",
            }
        ]


@pytest.mark.parametrize(
    ("price", "allowed"),
    [(D("100"), True), (D("99.99"), True), (D("100.01"), False)],
    ids=["at", "under", "over"],
)
def test_it_values_a_limit_order_at_its_limit_price_not_the_mark(limits, price, allowed):
    decision = decide(symbol="SOLUSDT", quantity=D("1"), price=price, mark_price=D("50"))
    assert decision.allowed is allowed
    assert rule_names(decision) == ([] if allowed else ["max_notional"])


def test_it_rejects_order_over_max_notional_naming_limit_and_value(limits):
    decision = decide(quantity=D("0.06008"), mark_price=D("2500"))
    assert not decision.allowed
    [rule] = decision.rules
    assert (rule["rule"], rule["limit"], rule["value"]) == ("max_notional", "100", "150.2")


def test_it_follows_a_changed_max_notional(limits):
    limits.max_notional_usd = D("30")
    limits.save()
    assert decide(quantity=D("0.012"), mark_price=D("2500")).allowed  # 30
    assert not decide(quantity=D("0.0121"), mark_price=D("2500")).allowed


def test_it_rejects_a_market_order_without_a_mark_price(limits):
    decision = decide(mark_price=D("0"))
    assert not decision.allowed and rule_names(decision) == ["price"]


# --- max_position: |current + this order + same-side open orders| <= limit ----------------------


@pytest.mark.parametrize(
    ("open_qty", "allowed"),
    [(D("0.05"), True), (D("0.0499"), True), (D("0.0501"), False)],
    ids=["at", "under", "over"],
)
def test_it_checks_btc_position_in_contracts_including_open_orders(limits, open_qty, allowed):
    # current 0.04 + order 0.001 + open 0.059 ... : 0.04 + 0.01 + 0.05 = 0.1 (the seed's limit)
    decision = decide(
        symbol="BTCUSDT",
        quantity=D("0.001"),
        mark_price=D("60000"),
        position_amt=D("0.049"),
        open_same_side_qty=open_qty,
    )
    assert decision.allowed is allowed
    if not allowed:
        [rule] = decision.rules
        assert (rule["rule"], rule["limit"], rule["value"], rule["unit"]) == (
            "max_position",
            "0.1",
            "0.1001",
            "BTCUSDT",
        )


def test_it_checks_short_positions_by_absolute_size(limits):
    ok = decide(
        symbol="BTCUSDT",
        side="SELL",
        quantity=D("0.001"),
        mark_price=D("60000"),
        position_amt=D("-0.099"),
    )
    over = decide(
        symbol="BTCUSDT",
        side="SELL",
        quantity=D("0.001"),
        mark_price=D("60000"),
        position_amt=D("-0.0991"),
    )
    assert ok.allowed and rule_names(over) == ["max_position"]


@pytest.mark.parametrize(
    ("position", "allowed"),
    [(D("0.19"), True), (D("0.1899"), True), (D("0.1901"), False)],
    ids=["at", "under", "over"],
)
def test_it_checks_other_symbols_in_usd_of_position_value(limits, position, allowed):
    # default 500 USD: (0.19 + 0.01) x 2500 = 500
    decision = decide(quantity=D("0.01"), mark_price=D("2500"), position_amt=position)
    assert decision.allowed is allowed
    if not allowed:
        [rule] = decision.rules
        assert (rule["rule"], rule["limit"], rule["value"], rule["unit"]) == (
            "max_position",
            "500",
            "500.25",
            "USD",
        )


def test_a_symbol_row_overrides_the_usd_default(limits):
    SymbolPositionLimit.objects.create(limits=limits, symbol="ETHUSDT", max_position_qty=D("0.02"))
    assert decide(quantity=D("0.01"), position_amt=D("0.01")).allowed
    assert rule_names(decide(quantity=D("0.01"), position_amt=D("0.0101"))) == ["max_position"]


def test_an_order_that_shrinks_an_over_limit_position_passes(limits):
    # The limit was lowered under an existing position: reducing it must stay possible.
    decision = decide(
        symbol="BTCUSDT",
        side="SELL",
        quantity=D("0.001"),
        mark_price=D("60000"),
        position_amt=D("0.5"),
    )
    assert decision.allowed


# --- daily_loss: remaining budget (50 + today's PnL) <= 0 rejects non-reducing orders ---------


def _book(amount: str, ref: str):
    from risk.services import pnl_record

    return pnl_record(
        source="manual", source_ref=ref, symbol="ETHUSDT", amount=D(amount), actor="system"
    )


@pytest.mark.parametrize(
    ("loss", "rules"),
    [
        ("-49.99", []),
        ("-50", ["circuit_breaker", "daily_loss"]),
        ("-50.01", ["circuit_breaker", "daily_loss"]),
    ],
    ids=["under", "at", "over"],
)
def test_it_checks_the_daily_loss_budget(limits, loss, rules):
    _book(loss, "loss-1")
    assert rule_names(decide()) == rules


def test_daily_loss_rejects_even_with_the_breaker_closed_when_the_limit_is_lowered(limits):
    _book("-30", "loss-1")
    limits.daily_loss_limit_usd = D("30")
    limits.save()
    decision = decide()
    assert CircuitBreaker.load().state == "closed"
    [rule] = decision.rules
    assert (rule["rule"], rule["limit"], rule["value"]) == ("daily_loss", "30", "30")


def test_profits_widen_the_remaining_budget(limits):
    _book("20", "win-1")
    _book("-69.99", "loss-1")
    assert decide().allowed
    assert decide().facts["remainingLossBudget"] == "0.01"


# --- breaker -------------------------------------------------------------------------------


def _open_breaker():
    breaker = CircuitBreaker.load()
    breaker.state = CircuitBreaker.State.OPEN
    breaker.opened_reason = "test"
    breaker.save()


def test_open_breaker_rejects_new_orders_even_dry_run(limits):
    _open_breaker()
    decision = decide(dry_run=True)
    [rule] = decision.rules
    assert (rule["rule"], rule["limit"], rule["value"]) == ("circuit_breaker", "closed", "open")


@pytest.mark.parametrize(
    ("overrides", "allowed"),
    [
        ({"side": "SELL", "reduce_only": True, "quantity": D("0.05")}, True),  # full close
        ({"side": "SELL", "reduce_only": True, "quantity": D("0.02")}, True),  # partial
        ({"side": "SELL", "reduce_only": True, "quantity": D("0.0501")}, False),  # would flip
        ({"side": "SELL", "reduce_only": False, "quantity": D("0.02")}, False),  # not reduce-only
        ({"side": "BUY", "reduce_only": True, "quantity": D("0.02")}, False),  # grows
    ],
    ids=["close", "partial", "flip", "plain", "grow"],
)
def test_open_breaker_allows_only_reduce_only_orders_that_shrink(limits, overrides, allowed):
    _open_breaker()
    decision = decide(position_amt=D("0.05"), **overrides)
    assert decision.allowed is allowed


def test_a_reducing_close_is_exempt_from_notional_and_loss(limits):
    _book("-80", "loss-1")
    decision = decide(side="SELL", reduce_only=True, quantity=D("0.1"), position_amt=D("0.1"))
    assert decision.allowed  # 250 USD notional, breaker open, budget spent: the close passes


def test_every_breached_rule_is_named(limits):
    _book("-60", "loss-1")
    decision = decide(quantity=D("1"), mark_price=D("2500"))
    assert rule_names(decision) == ["circuit_breaker", "max_notional", "max_position", "daily_loss"]


# --- the interface ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_evaluate_refuses_to_run_outside_a_transaction(limits):
    with pytest.raises(RuntimeError):
        gate.evaluate(intent())


def test_risk_rejected_carries_the_rules_and_renders_422(limits):
    decision = decide(quantity=D("1"))
    error = RiskRejected(decision)
    assert error.status == 422 and error.code == "RISK_REJECTED"
    assert error.details["rules"] == decision.rules
    assert "max_notional" in error.message


def test_decision_as_dict_is_json_ready(limits):
    import json

    doc = decide(quantity=D("1")).as_dict()
    assert json.loads(json.dumps(doc))["rules"][0]["limit"] == "100"


def test_a_rejection_names_the_min_notional_conflict_of_btcusdt(limits):
    providers.register_filters_provider(
        lambda s: (
            {"minNotional": "100", "minQty": "0.001", "stepSize": "0.001"}
            if s == "BTCUSDT"
            else None
        )
    )
    decision = decide(symbol="BTCUSDT", quantity=D("0.002"), mark_price=D("60000"))
    error = RiskRejected(decision)
    [conflict] = error.details["conflicts"]
    assert conflict["limit"] == "max_notional_usd" and conflict["filter"] == "MIN_NOTIONAL"
    assert "MIN_NOTIONAL" not in str(decision.rules) and "minimum order notional" in error.message


def test_decisions_are_counted_by_outcome(limits):
    def value(outcome):
        return metrics.DECISIONS.labels(outcome=outcome)._value.get()

    allowed, rejected = value("allowed"), value("rejected")
    decide()
    decide(quantity=D("1"))
    assert (value("allowed"), value("rejected")) == (allowed + 1, rejected + 1)


def test_gate_sees_pnl_committed_by_others_after_the_lock(limits):
    with transaction.atomic():
        gate.lock()
        PnLEntry.objects.create(
            symbol="ETHUSDT",
            amount=D("-50"),
            source="manual",
            source_ref="x",
            trading_day=limits.trading_day(),
        )
        assert rule_names(gate.evaluate(intent())) == ["daily_loss"]
