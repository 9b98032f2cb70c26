"""Proof: a day of fills and two funding settlements, seen through the user stream, gives a ledger
equal to the stand-in's own income history to the cent, and the breaker opens on the funding fee
that crosses the limit when the limit counts net PnL.

Spark runs under real Daphne with the embedded stream supervisor; orders go through the API, the
fills and funding reach the ledger only from the exchange (ORDER_TRADE_UPDATE, and the
ACCOUNT_UPDATE with m=FUNDING_FEE that makes Spark read the funding income). The stand-in's side
is read with ccxt (fetch_ledger), the client most bots use.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
import requests

from futures.income import income_sync
from risk.models import CircuitBreaker, PnLEntry, RiskLimits
from tests.risk.test_breaker_on_real_fill import place, streams_up
from tests.simexchange.test_funding_and_income import ccxt_for
from tests.support.waiting import poll

pytestmark = [pytest.mark.timeout(180), pytest.mark.django_db(transaction=True)]

KIND = {"REALIZED_PNL": "realized", "COMMISSION": "commission", "FUNDING_FEE": "funding"}


def _ledger() -> Counter:
    return Counter(
        (e.kind, e.amount) for e in PnLEntry.objects.filter(source_ref__startswith="sim:")
    )


def test_a_day_of_fills_and_funding_matches_the_exchange_and_funding_opens_the_breaker(
    daphne, sim_settings, alice, token_for
):
    sim = sim_settings  # this process too reads the stand-in (the sync at the end)
    limits = RiskLimits.load()
    limits.daily_loss_limit_usd = Decimal("1")
    limits.save()
    sim.control.set_price("ETHUSDT", "3000", mark="3000")
    server = daphne(
        SPARK_STREAMS_EMBEDDED="true",
        SPARK_STREAM_SYMBOLS="ETHUSDT",
        SPARK_DAILY_LOSS_COUNTS="net",
        **sim.spark_env(),
    )
    poll(lambda: streams_up(server))
    trader = token_for(alice)

    # Fills: open 0.03 at about 3000 (taker fee ~0.036), close 0.01 at about 2990 (~-0.1).
    assert place(server, trader, side="BUY", quantity="0.03", clientOrderId="day-1").ok
    sim.control.set_price("ETHUSDT", "2990", mark="2990")
    closed = place(
        server, trader, side="SELL", quantity="0.01", reduceOnly=True, clientOrderId="day-2"
    )
    assert closed.ok, closed.text
    poll(lambda: PnLEntry.objects.filter(kind="commission").count() == 2 or None)
    assert not CircuitBreaker.load().is_open  # about -0.15 net of a 1 USD limit

    # Two funding settlements at 0.75 %: 0.02 x 2990 x 0.0075 = 0.4485 paid each time.
    sim.control.funding("ETHUSDT", "0.0075")
    sim.control.settle_funding("ETHUSDT")
    poll(lambda: PnLEntry.objects.filter(kind="funding").count() == 1 or None)
    assert not CircuitBreaker.load().is_open  # about -0.6 net: 0.4 left
    sim.control.settle_funding("ETHUSDT")
    poll(lambda: PnLEntry.objects.filter(kind="funding").count() == 2 or None)

    # The exchange's own history, row for row, to the cent (exact Decimals from the raw rows).
    rows = ccxt_for(sim, key=(sim.api_key, sim.api_secret)).fetch_ledger()
    exchange = Counter(
        (KIND[r["info"]["incomeType"]], Decimal(r["info"]["income"]))
        for r in rows
        if r["info"]["symbol"] == "ETHUSDT"
    )
    assert sum(exchange.values()) == 5  # 1 realized (the open realized 0), 2 fees, 2 funding
    assert _ledger() == exchange
    parts = {
        kind: sum((a * n for (k, a), n in exchange.items() if k == kind), Decimal(0))
        for kind in ("realized", "commission", "funding")
    }
    assert parts["funding"] == Decimal("-0.897")  # two settlements of 0.4485
    net = sum(parts.values())
    assert Decimal("-1.1") < net < Decimal("-1")  # the second fee crossed the 1 USD limit

    breaker = poll(lambda: (lambda b: b if b.is_open else None)(CircuitBreaker.load()))
    assert breaker.opened_by == "system"
    assert f"net loss {-net} USD (funding -0.4485 USD)" in breaker.opened_reason

    status = requests.get(server.url + "/futures/risk/status", timeout=10).json()["today"]
    assert status["counts"] == "net"
    assert Decimal(status["realizedPnl"]) == parts["realized"]
    assert Decimal(status["commission"]) == parts["commission"]
    assert Decimal(status["funding"]) == parts["funding"]
    assert Decimal(status["pnl"]) == net
    assert Decimal(status["remainingLossBudget"]) == Decimal(1) + net

    # The reconnect / on-demand sync finds nothing new: every row is booked exactly once.
    before = _ledger()
    done = income_sync()
    assert done.rows >= 5 and done.booked == 0 and done.fills == 0
    assert _ledger() == before
