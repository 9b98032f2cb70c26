"""A fill's commission is a cost in the ledger, in USD at the fill, with its own asset kept."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from futures.sync import order_sync_from_exchange
from risk.models import PnLEntry
from tests.support.exchange_events import closing_fill

pytestmark = pytest.mark.django_db


def test_a_bnb_commission_is_booked_in_usd_at_the_mark_with_its_asset(exchange):
    exchange.control.set_price("BNBUSDT", "600", mark="600")
    event = closing_fill("bnb-1", order_id=91, trade_id=7001, realized="2") | {"n": "0.0005"}
    order_sync_from_exchange(event | {"N": "BNB"}, source="ws")

    fee = PnLEntry.objects.get(kind="commission")
    assert fee.asset == "BNB" and fee.asset_amount == Decimal("-0.0005")
    assert fee.amount == Decimal("-0.3")  # 0.0005 BNB x 600 USD
    assert fee.source_ref == "sim:commission:ETHUSDT:bnb-1:7001"


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
