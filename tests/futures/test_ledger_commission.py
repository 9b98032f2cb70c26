"""A fill's commission is a cost in the ledger, in USD at the fill, with its own asset kept."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
from django.core.management import CommandError, call_command

from futures import ledger
from futures.binance.http import BinanceHttp
from futures.models import Fill
from futures.sync import order_sync_from_exchange
from risk.models import PnLEntry
from tests.support.exchange_events import closing_fill

pytestmark = pytest.mark.django_db


def _now_ms() -> int:
    return int(time.time() * 1000)


def _stand_in_mark_at(exchange, symbol: str, ms: int) -> Decimal:
    """The stand-in's own 1-minute mark-price bar holding ms: its close (read independently)."""
    opened = ms - ms % 60_000
    (row,) = requests.get(
        exchange.base_url + "/fapi/v1/markPriceKlines",
        params={"symbol": symbol, "interval": "1m", "startTime": opened, "limit": 1},
        timeout=5,
    ).json()
    assert row[0] == opened
    return Decimal(row[4])


def test_a_bnb_commission_is_booked_in_usd_at_the_mark_with_its_asset(exchange):
    exchange.control.set_price("BNBUSDT", "600", mark="600")
    event = closing_fill("bnb-1", order_id=91, trade_id=7001, realized="2") | {"n": "0.0005"}
    order_sync_from_exchange(event | {"N": "BNB", "T": _now_ms()}, source="ws")  # as it happens

    fee = PnLEntry.objects.get(kind="commission")
    assert fee.asset == "BNB" and fee.asset_amount == Decimal("-0.0005")
    assert fee.amount == Decimal("-0.3")  # 0.0005 BNB x 600 USD
    assert fee.source_ref == "sim:commission:ETHUSDT:bnb-1:7001"
    assert fee.note.startswith("BNBUSDT mark price 600") and "at booking" in fee.note


def test_a_late_bnb_commission_is_valued_at_the_fills_time_not_at_booking(exchange):
    """A fill of three hours ago reaches the ledger now (a stream that caught up): its BNB
    commission is worth what BNB was worth then, by the stand-in's own mark-price bars."""
    exchange.control.set_price("BNBUSDT", "900", mark="900")  # BNB now: far from then
    traded_ms = _now_ms() - 3 * 3_600_000 + 12_345
    event = closing_fill("bnb-late", order_id=93, trade_id=7003, realized="0") | {"n": "0.0005"}
    order_sync_from_exchange(event | {"N": "BNB", "T": traded_ms}, source="ws")

    then = _stand_in_mark_at(exchange, "BNBUSDT", traded_ms)
    assert then != Decimal("900")
    fee = PnLEntry.objects.get(kind="commission")
    assert fee.amount == -(Decimal("0.0005") * then).quantize(Decimal("0.00000001"))
    assert fee.created_at == datetime.fromtimestamp(traded_ms / 1000, tz=UTC)
    minute = datetime.fromtimestamp((traded_ms - traded_ms % 60_000) / 1000, tz=UTC)
    assert f"BNBUSDT mark price {then}" in fee.note and "markPriceKlines" in fee.note
    assert f"opened {minute:%H:%M}" in fee.note


def test_a_commission_that_waited_is_valued_at_its_fill_when_the_sync_books_it(exchange):
    """The first try finds no price (the exchange answers 429): nothing is booked. The price
    moves; the income sync's retry books the fill's commission at the fill's own minute."""
    traded_ms = _now_ms() - 2 * 3_600_000
    exchange.control.faults(burst_429=5)
    event = closing_fill("bnb-wait", order_id=94, trade_id=7004, realized="-1") | {"n": "0.001"}
    order_sync_from_exchange(event | {"N": "BNB", "T": traded_ms}, source="ws")
    assert PnLEntry.objects.filter(kind="realized").count() == 1
    assert not PnLEntry.objects.filter(kind="commission").exists()

    exchange.control.clear_faults()
    BinanceHttp.clear_backoff()
    exchange.control.set_price("BNBUSDT", "750", mark="750")
    fill = Fill.objects.select_related("order").get(trade_id=7004)
    assert ledger.book_fill(fill.order, fill) == 1  # what futures.income does for the row
    then = _stand_in_mark_at(exchange, "BNBUSDT", traded_ms)
    fee = PnLEntry.objects.get(kind="commission")
    assert fee.amount == -(Decimal("0.001") * then).quantize(Decimal("0.00000001"))
    assert fee.amount != Decimal("-0.75")  # not at the price of the booking
    assert "markPriceKlines" in fee.note
    assert ledger.book_fill(fill.order, fill) == 0  # once


def test_a_usd_commission_has_no_note(exchange):
    event = closing_fill("usdt-1", order_id=95, trade_id=7005, realized="0")
    order_sync_from_exchange(event | {"T": _now_ms() - 3_600_000}, source="ws")
    fee = PnLEntry.objects.get(kind="commission")
    assert fee.amount == Decimal("-0.01") and fee.note == ""


def test_a_commission_without_a_price_waits_instead_of_booking_a_guess(exchange):
    event = closing_fill("xyz-1", order_id=92, trade_id=7002, realized="-1") | {"N": "NOPE"}
    order_sync_from_exchange(event, source="ws")

    assert PnLEntry.objects.filter(kind="realized").count() == 1
    assert not PnLEntry.objects.filter(kind="commission").exists()


def test_the_sync_command_refuses_a_window_out_of_range(exchange):
    with pytest.raises(CommandError):
        call_command("sync_income", hours=0)
    with pytest.raises(CommandError):
        call_command("sync_income", hours=24 * 91)
    assert not PnLEntry.objects.exists()


def test_the_sync_command_books_the_exchange_income(exchange, capsys):
    exchange.control.balances(futures={"USDT": "7000"})
    call_command("sync_income", hours=1)
    assert PnLEntry.objects.get(kind="transfer").income_type == "TRANSFER"
    assert '"booked": 1' in capsys.readouterr().out
