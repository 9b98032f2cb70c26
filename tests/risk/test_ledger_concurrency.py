"""The ledger books each wallet movement once whichever source comes first, also when the user
stream, reconciliation and the income sync deliver it at the same moment (PostgreSQL).

A fill arrives as an ORDER_TRADE_UPDATE (stream) and as a userTrades row (the income sync's gap
path or reconciliation); a funding fee arrives as the same income row read by the FUNDING_FEE
update's sync and by the reconnect sync. Without the unique reference and the limits-row lock,
two threads both book it, the loss counts twice and the breaker opens early.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import connections

from audit.models import AuditEntry
from futures import ledger
from futures.models import Fill
from futures.sync import order_sync_from_exchange, trades_sync
from risk.models import CircuitBreaker, PnLEntry, RiskLimits
from tests.support.exchange_events import closing_fill, order_update

pytestmark = [pytest.mark.backends, pytest.mark.django_db(transaction=True)]

THREADS = 20
NOW_MS = int(time.time() * 1000)  # today: the breaker watches today's trading day


def _race(work) -> list[str]:
    start = threading.Barrier(THREADS)
    errors: list[str] = []

    def run(i: int) -> None:
        try:
            start.wait(timeout=30)
            work(i)
        except Exception as exc:  # reported by the test thread
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.fixture
def on_sim(settings):
    settings.BINANCE_FUTURES_BASE_URL = "http://127.0.0.1:8765"
    limits = RiskLimits.load()
    limits.daily_loss_limit_usd = Decimal("5")
    limits.save()


def test_a_fill_from_the_stream_and_from_rest_at_once_books_once(on_sim):
    # The order rests first (Spark knows it); then its fill arrives by both doors together.
    order = order_sync_from_exchange(
        order_update(s="ETHUSDT", c="race-1", S="SELL", i=77, q="0.01"), source="ws"
    )
    event = closing_fill("race-1", order_id=77, trade_id=5001, realized="-6") | {"T": NOW_MS}
    rest_row = {
        "id": 5001,
        "orderId": 77,
        "symbol": "ETHUSDT",
        "price": "3300",
        "qty": "0.01",
        "commission": "0.01",
        "commissionAsset": "USDT",
        "realizedPnl": "-6",
        "maker": False,
        "time": NOW_MS,
    }

    def deliver(i: int) -> None:
        if i % 2:
            order_sync_from_exchange(event, source="ws")
        else:
            trades_sync(order, [rest_row], source="income")

    assert _race(deliver) == []
    assert Fill.objects.filter(trade_id=5001).count() == 1
    kinds = sorted(PnLEntry.objects.values_list("kind", "amount"))
    assert kinds == [("commission", Decimal("-0.01")), ("realized", Decimal("-6"))]
    assert CircuitBreaker.load().is_open
    assert AuditEntry.objects.filter(action="risk.breaker.open").count() == 1


def test_the_same_funding_row_read_by_two_syncs_at_once_books_once(on_sim):
    row = {
        "symbol": "ETHUSDT",
        "incomeType": "FUNDING_FEE",
        "income": "-5.5",
        "asset": "USDT",
        "info": "FUNDING_FEE",
        "time": NOW_MS,
        "tranId": 9000000001,
        "tradeId": "",
    }
    created: list[bool] = []
    assert _race(lambda i: created.append(ledger.book_income_row("sim", row))) == []
    assert created.count(True) == 1
    assert list(PnLEntry.objects.values_list("kind", "amount")) == [("funding", Decimal("-5.5"))]
    assert CircuitBreaker.load().is_open
    assert AuditEntry.objects.filter(action="risk.breaker.open").count() == 1
