"""The daily loss rule counts net PnL (realized + commissions + funding) by default, realized only
with SPARK_DAILY_LOSS_COUNTS=realized, and the gate, the breaker, the status and the alert
metric all read one definition (risk.budget.loss_budget_of)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from risk import metrics
from risk.budget import loss_budget_of
from risk.models import CircuitBreaker, PnLEntry
from risk.schemas import risk_status_out
from risk.services import breaker_close, pnl_record, risk_status
from tests.risk.conftest import decide, rule_names

D = Decimal
DAY = date(2026, 3, 1)


def book(kind: str, amount: str, ref: str):
    return pnl_record(
        source="income" if kind == "funding" else "fill",
        source_ref=ref,
        symbol="ETHUSDT",
        amount=D(amount),
        actor="system",
        kind=kind,
    )


# ------------------------------------------------------------------------ the pure function


def test_net_counts_commissions_and_funding_and_realized_counts_only_fills():
    sums = {"realized": D("-10"), "commission": D("-1.5"), "funding": D("-0.25"), "transfer": D(99)}
    net = loss_budget_of(day=DAY, sums=sums, limit=D(50), counts="net")
    realized = loss_budget_of(day=DAY, sums=sums, limit=D(50), counts="realized")
    assert (net.pnl, net.remaining) == (D("-11.75"), D("38.25"))
    assert (realized.pnl, realized.remaining) == (D("-10"), D("40"))
    assert net.parts == {"realized": D("-10"), "commission": D("-1.5"), "funding": D("-0.25")}


def test_an_acknowledged_loss_counts_only_on_its_own_day():
    sums = {"realized": D("-60")}
    today = loss_budget_of(
        day=DAY,
        sums=sums,
        limit=D(50),
        counts="net",
        acknowledged_day=DAY,
        acknowledged_pnl=D("-55"),
    )
    assert (today.counted, today.remaining) == (D("-5"), D("45"))
    other = loss_budget_of(
        day=date(2026, 3, 2),
        sums=sums,
        limit=D(50),
        counts="net",
        acknowledged_day=DAY,
        acknowledged_pnl=D("-55"),
    )
    assert other.remaining == D("-10")


@pytest.mark.parametrize("counts", ["", "NET", "gross", None])
def test_an_unknown_counting_mode_is_refused(counts):
    with pytest.raises(ValueError):
        loss_budget_of(day=DAY, sums={}, limit=D(50), counts=counts)


# ------------------------------------------------------------------------ gate and breaker


@pytest.mark.django_db
def test_a_funding_fee_that_crosses_the_limit_opens_the_breaker_under_net(limits, settings):
    settings.SPARK_DAILY_LOSS_COUNTS = "net"
    book("realized", "-45", "sim:r1")
    book("commission", "-4", "sim:c1")
    assert not CircuitBreaker.load().is_open
    book("funding", "-1", "sim:f1")  # -50: the limit
    breaker = CircuitBreaker.load()
    assert breaker.is_open and "funding -1 USD" in breaker.opened_reason
    assert rule_names(decide()) == ["circuit_breaker", "daily_loss"]


@pytest.mark.django_db
def test_under_realized_counting_fees_and_funding_never_open_it(limits, settings):
    settings.SPARK_DAILY_LOSS_COUNTS = "realized"
    book("realized", "-45", "sim:r1")
    book("commission", "-4", "sim:c1")
    book("funding", "-30", "sim:f1")
    assert not CircuitBreaker.load().is_open
    assert decide().allowed
    status = risk_status_out(risk_status())["today"]
    assert status["counts"] == "realized"
    assert (status["pnl"], status["remainingLossBudget"]) == ("-45", "5")
    assert (status["commission"], status["funding"]) == ("-4", "-30")  # shown, not counted


@pytest.mark.django_db
def test_a_transfer_out_never_counts_as_a_loss(limits, settings):
    settings.SPARK_DAILY_LOSS_COUNTS = "net"
    pnl_record(
        source="income",
        source_ref="sim:transfer:1",
        symbol="",
        amount=D("-1000"),
        actor="system",
        kind="transfer",
    )
    assert not CircuitBreaker.load().is_open
    assert decide().allowed
    assert risk_status_out(risk_status())["today"]["remainingLossBudget"] == "50"


@pytest.mark.django_db
def test_the_same_reference_books_once_whatever_the_kind(limits):
    book("commission", "-1", "sim:c1")
    _, created = book("commission", "-1", "sim:c1")
    assert not created and PnLEntry.objects.count() == 1


# ------------------------------------------------------------------------ metric == status


@pytest.mark.django_db
def test_the_alert_metric_and_the_status_agree_before_and_after_a_breaker_close(limits, olga):
    book("realized", "-40", "sim:r1")
    book("funding", "-12", "sim:f1")  # net -52: open
    status = risk_status_out(risk_status())["today"]
    assert metrics.DAILY_PNL_USD._value.get() == float(D(status["countedPnl"])) == -52
    assert CircuitBreaker.load().is_open

    breaker_close(actor=olga, reason="reviewed the funding")
    status = risk_status_out(risk_status())["today"]
    # The gate counts from the reset; so does the gauge the alert reads.
    assert status["remainingLossBudget"] == "50" and status["countedPnl"] == "0"
    assert metrics.DAILY_PNL_USD._value.get() == 0
    assert status["pnl"] == "-52"  # the day's PnL is still shown as it is

    book("commission", "-45", "sim:c1")
    status = risk_status_out(risk_status())["today"]
    assert metrics.DAILY_PNL_USD._value.get() == float(D(status["countedPnl"])) == -45
