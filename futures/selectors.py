"""Reads of orders and positions that services, pages and reconciliation share."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db.models import F, Sum
from django.utils import timezone

from futures.models import OPEN_STATUSES, ZERO, Order, PositionSnapshot

STALE = "stale"


def one(queryset):
    """The first row of an unordered lookup by a unique key, or None (no ORDER BY needed)."""
    return next(iter(queryset.order_by()[:1]), None)


def position_amt(environment: str, symbol: str) -> Decimal:
    """The signed position of symbol as last synced (0 when none)."""
    row = one(PositionSnapshot.objects.filter(environment=environment, symbol=symbol))
    return row.position_amt if row else ZERO


def position_is_fresh(environment: str, symbol: str, max_age_seconds: float) -> bool:
    """True when the synced position is recent and not marked stale by a fill."""
    row = one(PositionSnapshot.objects.filter(environment=environment, symbol=symbol))
    if row is None or row.source == STALE:
        return False
    return timezone.now() - row.updated_at <= timedelta(seconds=max_age_seconds)


def mark_position_stale(environment: str, symbol: str) -> None:
    """After a live fill: the next order of symbol re-reads the position from the exchange."""
    PositionSnapshot.objects.filter(environment=environment, symbol=symbol).update(source=STALE)


def open_same_side_qty(environment: str, symbol: str, side: str) -> Decimal:
    """Unfilled quantity of live open and pending orders of one side of symbol."""
    total = (
        Order.objects.filter(
            environment=environment,
            symbol=symbol,
            side=side,
            dry_run=False,
            status__in=OPEN_STATUSES,
            reduce_only=False,
        )
        .annotate(leaves=F("quantity") - F("filled_qty"))
        .aggregate(total=Sum("leaves"))["total"]
    )
    return total or ZERO


def order_find(*, client_order_id: str | None = None, order_id: int | None = None) -> Order | None:
    """One order by client order id or exchange order id (or algo id)."""
    if client_order_id:
        return one(Order.objects.filter(client_order_id=client_order_id))
    if order_id is not None:
        return (
            Order.objects.filter(exchange_order_id=order_id).first()
            or Order.objects.filter(algo_id=order_id).first()
        )
    return None


def orders_to_reconcile(environment: str):
    """Live orders whose status is not final yet (the ones the exchange may have moved)."""
    return Order.objects.filter(
        environment=environment, dry_run=False, status__in=OPEN_STATUSES
    ).order_by("created_at")


def open_positions(environment: str):
    return PositionSnapshot.objects.filter(environment=environment).exclude(position_amt=0)


# --------------------------------------------------------------- what futures lends to risk


def risk_positions():
    """Current positions for the risk status page (risk must not import futures)."""
    from futures.services import current_environment
    from risk.providers import Position

    return [
        Position(symbol=row.symbol, amount=row.position_amt, mark_price=row.mark_price or None)
        for row in open_positions(current_environment())
    ]


def risk_filters(symbol: str) -> dict | None:
    """The exchange filters of symbol that risk compares its limits with (cached info)."""
    from futures.binance.rest import client_from_settings

    f = client_from_settings().symbol_filters(symbol.upper())
    if f is None:
        return None
    return {
        "minNotional": f.min_notional,
        "minQty": f.min_qty,
        "stepSize": f.step_size,
        "maxQty": f.max_qty,
    }


def register_risk_providers() -> None:
    """Lend risk the two reads above (called from the futures AppConfig.ready())."""
    from risk.providers import register_filters_provider, register_position_provider

    register_position_provider(risk_positions)
    register_filters_provider(risk_filters)
