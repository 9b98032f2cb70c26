"""Read-only history of the desk's account: orders, fills, the PnL ledger by day and symbol.

A desk shares one exchange account, so every viewer reads every order, fill and ledger entry
(the same rule as the futures reads); acting on them is the services' business, not this app's.
Sums are made in Python over Decimals, so SQLite's float aggregates never round a total.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import QuerySet

from futures.models import Fill, Order
from risk.models import (
    PNL_KIND_FUNDING,
    PNL_KINDS,
    PnLEntry,
)

ZERO = Decimal("0")
# Dates a user picks are calendar days where the desk is; times are stored in UTC.
DISPLAY_TZ = zoneinfo.ZoneInfo("Europe/Istanbul")


@dataclass(frozen=True)
class Filters:
    """What a history read is narrowed to; None means no restriction. Dates are inclusive."""

    symbol: str | None = None
    side: str | None = None
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def instants(self) -> tuple[datetime | None, datetime | None]:
        """[start, end) of the date range as UTC-aware instants (days in Europe/Istanbul)."""
        start = end = None
        if self.date_from is not None:
            start = datetime.combine(self.date_from, time.min, tzinfo=DISPLAY_TZ)
        if self.date_to is not None:
            end = datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=DISPLAY_TZ)
        return start, end


@dataclass(frozen=True)
class Page:
    """One page of a list read."""

    rows: list
    count: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size))


def _paged(queryset: QuerySet, page: int, page_size: int) -> Page:
    count = queryset.count()
    start = (page - 1) * page_size
    return Page(list(queryset[start : start + page_size]), count, page, page_size)


def orders(filters: Filters) -> QuerySet[Order]:
    """Orders in every state, newest first, narrowed by symbol, side, status and creation date."""
    qs = Order.objects.select_related("user").order_by("-created_at", "-id")
    if filters.symbol:
        qs = qs.filter(symbol=filters.symbol)
    if filters.side:
        qs = qs.filter(side=filters.side)
    if filters.status:
        qs = qs.filter(status=filters.status)
    start, end = filters.instants()
    if start is not None:
        qs = qs.filter(created_at__gte=start)
    if end is not None:
        qs = qs.filter(created_at__lt=end)
    return qs


def orders_page(filters: Filters, *, page: int = 1, page_size: int = 50) -> Page:
    """One page of orders()."""
    return _paged(orders(filters), page, page_size)


def fills(filters: Filters) -> QuerySet[Fill]:
    """Fills, newest first, narrowed by their order's symbol and side and by trade date."""
    qs = Fill.objects.select_related("order").order_by("-traded_at", "-id")
    if filters.symbol:
        qs = qs.filter(order__symbol=filters.symbol)
    if filters.side:
        qs = qs.filter(order__side=filters.side)
    start, end = filters.instants()
    if start is not None:
        qs = qs.filter(traded_at__gte=start)
    if end is not None:
        qs = qs.filter(traded_at__lt=end)
    return qs


def fills_page(filters: Filters, *, page: int = 1, page_size: int = 50) -> Page:
    """One page of fills()."""
    return _paged(fills(filters), page, page_size)


def ledger(filters: Filters) -> QuerySet[PnLEntry]:
    """Ledger entries narrowed by symbol and trading day (the risk app's day)."""
    qs = PnLEntry.objects.order_by("trading_day", "symbol", "id")
    if filters.symbol:
        qs = qs.filter(symbol=filters.symbol)
    if filters.date_from is not None:
        qs = qs.filter(trading_day__gte=filters.date_from)
    if filters.date_to is not None:
        qs = qs.filter(trading_day__lte=filters.date_to)
    return qs


def _empty_kinds() -> dict[str, Decimal]:
    return dict.fromkeys(PNL_KINDS, ZERO)


def _row(key: dict, kinds: dict[str, Decimal]) -> dict:
    return {**key, **kinds, "net": sum(kinds.values(), ZERO)}


def _grouped(filters: Filters, key: str) -> tuple[list[dict], dict]:
    groups: dict[object, dict[str, Decimal]] = defaultdict(_empty_kinds)
    totals = _empty_kinds()
    for group, kind, amount in ledger(filters).values_list(key, "kind", "amount").iterator():
        amount = Decimal(amount)
        groups[group][kind] += amount
        totals[kind] += amount
    rows = [_row({key: group}, groups[group]) for group in sorted(groups)]
    return rows, _row({}, totals)


def pnl_by_day(filters: Filters) -> tuple[list[dict], dict]:
    """(rows, totals): per trading day, each kind's sum (realized, commission, ...) and net."""
    return _grouped(filters, "trading_day")


def pnl_by_symbol(filters: Filters) -> tuple[list[dict], dict]:
    """(rows, totals): per symbol, each kind's sum and net."""
    return _grouped(filters, "symbol")


def funding(filters: Filters) -> tuple[list[dict], dict]:
    """(rows, totals): funding fees per trading day and symbol, paid and received apart."""
    qs = ledger(filters).filter(kind=PNL_KIND_FUNDING)
    groups: dict[tuple, dict[str, Decimal]] = defaultdict(lambda: {"paid": ZERO, "received": ZERO})
    totals = {"paid": ZERO, "received": ZERO}
    for day, symbol, amount in qs.values_list("trading_day", "symbol", "amount").iterator():
        amount = Decimal(amount)
        part = "received" if amount > 0 else "paid"
        groups[(day, symbol)][part] += amount
        totals[part] += amount
    rows = [
        {"trading_day": day, "symbol": symbol, **parts, "net": parts["paid"] + parts["received"]}
        for (day, symbol), parts in sorted(groups.items())
    ]
    return rows, {**totals, "net": totals["paid"] + totals["received"]}
