"""The PnL ledger and the circuit breaker: opening at the limit, operator close, day roll-over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from risk import metrics
from risk.errors import BreakerStateConflict
from risk.models import CircuitBreaker, PnLEntry
from risk.services import breaker_close, breaker_open, pnl_record
from spark_site.errors import PermissionDenied, ValidationFailed
from tests.risk.conftest import decide, rule_names

pytestmark = pytest.mark.django_db

D = Decimal


def book(amount: str, ref: str, at=None, source="fill"):
    return pnl_record(
        source=source, source_ref=ref, symbol="BTCUSDT", amount=D(amount), actor="system", at=at
    )


def test_the_same_fill_is_counted_once(limits):
    first, created = book("-10", "fill:BTCUSDT:1")
    again, created_again = book("-10", "fill:BTCUSDT:1")
    assert created and not created_again and again.pk == first.pk
    assert PnLEntry.objects.count() == 1


def test_breaker_opens_on_the_entry_that_reaches_the_daily_limit(limits):
    book("-30", "fill:1")
    assert CircuitBreaker.load().state == "closed"
    book("-20", "fill:2")  # total -50 = the limit
    breaker = CircuitBreaker.load()
    assert breaker.state == "open" and breaker.opened_by == "system"
    assert "50" in breaker.opened_reason
    assert AuditEntry.objects.filter(action="risk.breaker.open", actor_name="system").count() == 1
    assert metrics.CIRCUIT_BREAKER_OPEN._value.get() == 1
    assert metrics.DAILY_PNL_USD._value.get() == -50


def test_a_profit_never_opens_the_breaker(limits):
    limits.daily_loss_limit_usd = D("0")
    limits.save()
    book("5", "fill:1")
    assert CircuitBreaker.load().state == "closed"


def test_breaker_blocks_new_orders_allows_a_reduce_only_close_and_reopens_after_operator(
    limits, olga
):
    book("-50.01", "fill:1")
    assert rule_names(decide()) == ["circuit_breaker", "daily_loss"]
    close = decide(
        symbol="BTCUSDT",
        side="SELL",
        reduce_only=True,
        quantity=D("0.001"),
        position_amt=D("0.001"),
        mark_price=D("60000"),
    )
    assert close.allowed
    breaker_close(actor=olga, reason="loss reviewed, strategy paused")
    breaker = CircuitBreaker.load()
    assert breaker.state == "closed" and breaker.closed_by == "olga"
    assert breaker.close_reason == "loss reviewed, strategy paused"
    assert decide().allowed  # trading reopens with a fresh budget for the rest of the day
    entry = AuditEntry.objects.get(action="risk.breaker.close", outcome="ok")
    assert entry.actor_name == "olga" and entry.payload["reason"].startswith("loss reviewed")


def test_after_a_close_a_further_full_limit_loss_opens_it_again(limits, olga):
    book("-50", "fill:1")
    breaker_close(actor=olga, reason="reviewed")
    book("-49.99", "fill:2")
    assert CircuitBreaker.load().state == "closed" and decide().allowed
    book("-0.01", "fill:3")
    assert CircuitBreaker.load().state == "open"


def test_only_an_operator_closes_the_breaker_and_refusals_change_nothing(limits, alice, bob):
    book("-60", "fill:1")
    for user in (alice, bob):
        with pytest.raises(PermissionDenied):
            breaker_close(actor=user, reason="please")
    assert CircuitBreaker.load().state == "open"
    assert AuditEntry.objects.filter(action="risk.breaker.close", outcome="denied").count() == 2


def test_closing_needs_a_reason(limits, olga):
    book("-60", "fill:1")
    with pytest.raises(ValidationFailed):
        breaker_close(actor=olga, reason="   ")
    assert CircuitBreaker.load().state == "open"


def test_closing_a_closed_breaker_is_a_conflict(limits, olga):
    with pytest.raises(BreakerStateConflict):
        breaker_close(actor=olga, reason="nothing to do")


def test_an_operator_opens_it_by_hand(limits, olga):
    breaker_open(actor=olga, reason="exchange incident")
    breaker = CircuitBreaker.load()
    assert (breaker.state, breaker.opened_by, breaker.opened_reason) == (
        "open",
        "olga",
        "exchange incident",
    )
    with pytest.raises(BreakerStateConflict):
        breaker_open(actor=olga, reason="again")


def test_day_roll_over_resets_todays_pnl_but_not_an_open_breaker(limits):
    yesterday = timezone.now() - timedelta(days=1)
    book("-60", "fill:old", at=yesterday)
    # Booked yesterday: today's budget is whole, and yesterday's loss opened nothing today...
    assert decide().facts["todayPnl"] == "0"
    assert CircuitBreaker.load().state == "closed"
    # ...but a breaker opened yesterday stays open today.
    breaker = CircuitBreaker.load()
    breaker.state, breaker.opened_at, breaker.opened_reason = "open", yesterday, "yesterday"
    breaker.save()
    decision = decide()
    assert rule_names(decision) == ["circuit_breaker"]
    assert decision.facts["remainingLossBudget"] == "50"


def test_the_trading_day_follows_the_configured_zone_and_start_hour(limits):
    limits.trading_day_timezone = "Europe/Istanbul"  # UTC+3
    limits.trading_day_start_hour = 8
    limits.save()
    # 04:59 UTC = 07:59 Istanbul: still the previous trading day; 05:00 UTC starts the next.
    before = datetime(2026, 3, 10, 4, 59, tzinfo=UTC)
    after = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
    assert limits.trading_day(before).isoformat() == "2026-03-09"
    assert limits.trading_day(after).isoformat() == "2026-03-10"
    start, end = limits.trading_day_bounds(limits.trading_day(after))
    assert start == after and end - start == timedelta(days=1)


def test_metrics_refresh_drops_yesterdays_pnl_after_the_roll_over(limits):
    from risk.services import refresh_metrics

    book("-20", "fill:today")
    assert metrics.DAILY_PNL_USD._value.get() == -20
    PnLEntry.objects.filter(source_ref="fill:today").update(
        trading_day=limits.trading_day() - timedelta(days=1)
    )
    refresh_metrics()
    assert metrics.DAILY_PNL_USD._value.get() == 0
    assert metrics.DAILY_LOSS_LIMIT_USD._value.get() == 50
    assert metrics.CIRCUIT_BREAKER_OPEN._value.get() == 0
