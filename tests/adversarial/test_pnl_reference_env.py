"""Finding 9 (PnL ledger): a reused trade id never hides a real loss.

Binance trade ids are unique per symbol within one exchange only: the stand-in starts again after
a reset, and the testnet and production count separately. The ledger's reference used to be
``SYMBOL:tradeId``, so the second loss with the same trade id was taken for the first and skipped.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from futures.sync import order_sync_from_exchange
from risk.models import PnLEntry
from tests.support.exchange_events import closing_fill

pytestmark = pytest.mark.django_db


def _losing_fill(client_order_id: str, *, order_id: int, trade_id: int, loss: str) -> dict:
    return closing_fill(client_order_id, order_id=order_id, trade_id=trade_id, realized=loss)


def _booked() -> Decimal:
    return sum(
        (e.amount for e in PnLEntry.objects.filter(source="fill", kind="realized")), Decimal(0)
    )


def test_a_trade_id_reused_after_switching_environment_still_books_the_loss(settings):
    settings.BINANCE_FUTURES_BASE_URL = "http://127.0.0.1:8765"
    order_sync_from_exchange(_losing_fill("a-1", order_id=7, trade_id=901, loss="-5"), source="ws")
    settings.BINANCE_FUTURES_BASE_URL = "https://testnet.binancefuture.com"
    order_sync_from_exchange(_losing_fill("b-1", order_id=7, trade_id=901, loss="-7"), source="ws")

    assert _booked() == Decimal("-12")
    refs = set(PnLEntry.objects.values_list("source_ref", flat=True))
    assert any(ref.startswith("sim:") for ref in refs)
    assert any(ref.startswith("testnet:") for ref in refs)
    # The commissions too: one per environment, each named by its environment.
    fees = set(PnLEntry.objects.filter(kind="commission").values_list("source_ref", flat=True))
    assert {ref.split(":")[0] for ref in fees} == {"sim", "testnet"}


def test_a_trade_id_reused_after_a_stand_in_reset_still_books_the_loss(settings):
    settings.BINANCE_FUTURES_BASE_URL = "http://127.0.0.1:8765"
    order_sync_from_exchange(_losing_fill("a-1", order_id=7, trade_id=901, loss="-5"), source="ws")
    # The stand-in restarted from scratch: its ids begin again, Spark's client order id does not.
    order_sync_from_exchange(_losing_fill("c-1", order_id=7, trade_id=901, loss="-3"), source="ws")

    assert _booked() == Decimal("-8")


def test_the_same_fill_seen_twice_still_books_once(settings):
    settings.BINANCE_FUTURES_BASE_URL = "http://127.0.0.1:8765"
    event = _losing_fill("a-1", order_id=7, trade_id=901, loss="-5")
    order_sync_from_exchange(event, source="ws")
    order_sync_from_exchange(event, source="reconcile")

    assert _booked() == Decimal("-5")
    assert PnLEntry.objects.filter(source="fill", kind="realized").count() == 1
    assert PnLEntry.objects.filter(source="fill", kind="commission").count() == 1
