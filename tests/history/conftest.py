"""A desk's history: orders of two traders, their fills and a ledger with every kind."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from futures.models import Fill, Order
from risk.models import PnLEntry


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def make_order(user, cid: str, *, symbol="BTCUSDT", side="BUY", status="FILLED", created=None,
               qty="0.010", price="95000.5", dry_run=False, **extra) -> Order:  # fmt: skip
    order = Order.objects.create(
        client_order_id=cid,
        exchange_order_id=abs(hash(cid)) % 10**9,
        environment="sim",
        symbol=symbol,
        side=side,
        type="LIMIT",
        time_in_force="GTC",
        quantity=Decimal(qty),
        price=Decimal(price),
        status=status,
        filled_qty=Decimal(qty) if status == "FILLED" else Decimal("0"),
        avg_price=Decimal(price) if status == "FILLED" else None,
        dry_run=dry_run,
        user=user,
        **extra,
    )
    if created is not None:  # auto_now_add: set the creation time after the insert
        Order.objects.filter(pk=order.pk).update(created_at=created)
        order.refresh_from_db()
    return order


def entry(symbol: str, amount: str, what: str, ref: str, day: date) -> PnLEntry:
    """A ledger row as the ledger books it: `what` is a source of realized PnL (fill, manual)
    or a kind (commission from a fill; funding and transfer from the income history)."""
    kinds = PnLEntry.Kind
    kind = what if what in kinds.values else kinds.REALIZED
    source = {
        kinds.COMMISSION: PnLEntry.Source.FILL,
        kinds.FUNDING: PnLEntry.Source.INCOME,
        kinds.TRANSFER: PnLEntry.Source.INCOME,
    }.get(kind, what)
    return PnLEntry.objects.create(
        symbol=symbol,
        amount=Decimal(amount),
        kind=kind,
        source=source,
        source_ref=ref,
        trading_day=day,
    )


@pytest.fixture
def desk(alice, olga):
    """Orders on 3 days (Istanbul), fills of the filled ones, and a ledger of all kinds."""
    o1 = make_order(alice, "h-1", created=at(3, 9))
    o2 = make_order(alice, "h-2", side="SELL", status="CANCELED", created=at(3, 22))  # 4th local
    o3 = make_order(olga, "h-3", symbol="ETHUSDT", created=at(5, 10), qty="1.5", price="3400")
    o4 = make_order(alice, "h-4", symbol="ETHUSDT", side="SELL", status="NEW", created=at(5, 11))
    Fill.objects.create(
        order=o1, trade_id=11, price=Decimal("95000.5"), qty=Decimal("0.010"),
        commission=Decimal("0.38000200"), commission_asset="USDT", realized_pnl=Decimal("0"),
        traded_at=at(3, 9, 1),
    )  # fmt: skip
    Fill.objects.create(
        order=o3, trade_id=31, price=Decimal("3400"), qty=Decimal("1.5"),
        commission=Decimal("2.04"), commission_asset="USDT", realized_pnl=Decimal("-12.345"),
        is_maker=True, traded_at=at(5, 10, 2),
    )  # fmt: skip
    d3, d5 = date(2026, 11, 3), date(2026, 11, 5)
    entry("BTCUSDT", "1234.56", "fill", "sim:fill:1", d3)
    entry("BTCUSDT", "-0.38000200", "commission", "sim:commission:1", d3)
    entry("BTCUSDT", "-1.25", "funding", "sim:funding:1", d3)
    entry("ETHUSDT", "-12.345", "fill", "sim:fill:2", d5)
    entry("ETHUSDT", "-2.04", "commission", "sim:commission:2", d5)
    entry("ETHUSDT", "0.75", "funding", "sim:funding:2", d5)
    entry("ETHUSDT", "-0.10", "funding", "sim:funding:3", d5)
    entry("BTCUSDT", "5", "manual", "manual:1", d5)
    return {"orders": [o1, o2, o3, o4], "days": (d3, d5)}
