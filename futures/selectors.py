"""Reads of orders and positions that services, pages and reconciliation share."""

from __future__ import annotations

from datetime import timedelta
from decimal import Context, Decimal

from django.db import connection
from django.utils import timezone

from futures.models import OPEN_STATUSES, PRICE, ZERO, Order, PositionSnapshot

STALE = "stale"

# The reads below run on every order, two of them under the risk gate's lock that every order
# waits on: each is one raw statement, where the ORM spent several times the query on building
# it. Tables are this app's (futures_<model>); values are always parameters.
_ORDER_PK_SQL = "SELECT id FROM futures_order WHERE client_order_id = %s"
_POSITION_FRESH_SQL = (
    "SELECT source, updated_at >= %s FROM futures_positionsnapshot"
    " WHERE environment = %s AND symbol = %s"
)
_OPEN_STATUS_LIST = sorted(OPEN_STATUSES)
# One placeholder per open status (a test counts every status of OPEN_STATUSES).
_EXPOSURE_SQL = (
    "SELECT (SELECT position_amt FROM futures_positionsnapshot"
    " WHERE environment = %s AND symbol = %s),"
    " (SELECT SUM(quantity - filled_qty) FROM futures_order"
    " WHERE environment = %s AND symbol = %s AND side = %s AND dry_run = %s"
    " AND reduce_only = %s AND status IN (%s, %s, %s, %s))"
)
# SQLite hands NUMERIC back as a float: read it as the ORM does (15 significant digits, then a
# column's own places), so a raw read and an ORM read of the same row are the same Decimal.
_FROM_FLOAT = Context(prec=15).create_decimal_from_float
_COLUMN_PLACES = Decimal(1).scaleb(-PRICE["decimal_places"])


def _decimal(value, *, column: bool) -> Decimal | None:
    if value is None or isinstance(value, Decimal):  # PostgreSQL: exact already
        return value
    number = _FROM_FLOAT(value) if isinstance(value, int | float) else Decimal(value)
    return number.quantize(_COLUMN_PLACES) if column else number


def one(queryset):
    """The first row of an unordered lookup by a unique key, or None (no ORDER BY needed)."""
    return next(iter(queryset.order_by()[:1]), None)


def position_is_fresh(environment: str, symbol: str, max_age_seconds: float) -> bool:
    """True when the synced position is recent and not marked stale by a fill."""
    oldest = timezone.now() - timedelta(seconds=max_age_seconds)
    with connection.cursor() as cursor:
        params = [connection.ops.adapt_datetimefield_value(oldest), environment, symbol]
        cursor.execute(_POSITION_FRESH_SQL, params)
        row = cursor.fetchone()
    return row is not None and row[0] != STALE and bool(row[1])


def order_pk(client_order_id: str) -> int | None:
    """The id of the order with this client order id, or None (the idempotency check)."""
    with connection.cursor() as cursor:
        cursor.execute(_ORDER_PK_SQL, [client_order_id])
        row = cursor.fetchone()
    return row[0] if row else None


def exposure(environment: str, symbol: str, side: str) -> tuple[Decimal, Decimal]:
    """Return (position, open same-side quantity) of symbol for the risk gate, in one statement.

    The position is the signed amount as last synced (0 when none); the open quantity is the
    unfilled part of the live open and pending orders of side that are not reduce-only.
    """
    params = [environment, symbol, environment, symbol, side, False, False, *_OPEN_STATUS_LIST]
    with connection.cursor() as cursor:
        cursor.execute(_EXPOSURE_SQL, params)
        position, open_qty = cursor.fetchone()
    return (
        _decimal(position, column=True) if position is not None else ZERO,
        _decimal(open_qty, column=False) if open_qty is not None else ZERO,
    )


def mark_position_stale(environment: str, symbol: str) -> None:
    """After a live fill: the next order of symbol re-reads the position from the exchange."""
    PositionSnapshot.objects.filter(environment=environment, symbol=symbol).update(source=STALE)


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
