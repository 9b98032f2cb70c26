"""Reads of orders and positions that services, pages and reconciliation share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from futures import sql
from futures.binance.rest import client_from_settings
from futures.models import OPEN_STATUSES, ZERO, Order, PositionSnapshot
from spark_site.money import column_decimal

STALE = "stale"

# The reads below run on every order, two of them under the risk gate's lock: each is one raw
# statement of futures/sql.py, its decimals read as the ORM reads them (spark_site.money).


def one(queryset):
    """The first row of an unordered lookup by a unique key, or None (no ORDER BY needed)."""
    return next(iter(queryset.order_by()[:1]), None)


def position_is_fresh(
    environment: str, symbol: str, max_age_seconds: float, position_side: str = "BOTH"
) -> bool:
    """True when the synced position of the side is recent, not marked stale by a fill, and has
    a REST read for the gate to count newer fills from."""
    oldest = timezone.now() - timedelta(seconds=max_age_seconds)
    with connection.cursor() as cursor:
        adapted = connection.ops.adapt_datetimefield_value(oldest)
        params = [adapted, environment, symbol, position_side]
        cursor.execute(sql.POSITION_FRESH, params)
        row = cursor.fetchone()
    return row is not None and row[0] != STALE and bool(row[1]) and bool(row[2])


def position_was_read(environment: str, symbol: str, position_side: str = "BOTH") -> bool:
    """True once a REST read of symbol's position (that side) exists (the gate's start)."""
    return PositionSnapshot.objects.filter(
        environment=environment,
        symbol=symbol,
        position_side=position_side,
        rest_requested_at__isnull=False,
    ).exists()


def order_pk(client_order_id: str) -> int | None:
    """The id of the order with this client order id, or None (the idempotency check)."""
    with connection.cursor() as cursor:
        cursor.execute(sql.ORDER_PK, [client_order_id])
        row = cursor.fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class Exposure:
    """What the risk gate reads of one symbol and side, under its lock."""

    position: Decimal  # REST read + this side's fills it may miss: never below the truth
    open_qty: Decimal  # unfilled part of this side's live open and pending orders
    estimate: Decimal  # REST read + every fill it may miss, both sides: the likeliest position


def exposure(environment: str, symbol: str, side: str, position_side: str = "BOTH") -> Exposure:
    """Return the exposure of symbol's side for the risk gate, in one statement.

    position_side: BOTH on a one-way account; LONG or SHORT in hedge mode, where only that
    side's stored position and that side's orders count (each side is a position of its own).

    The position starts from the newest REST read (0 when none) and adds the fills of side's
    live orders that may be missing from it, reduce-only ones included: a reduce-only BUY that
    closed a short after the read moved the position up as much as any BUY, and leaving it out
    let a BUY grow past the cap by the short it closed (issue 20's property test). Only fills
    of side are added: a fill of the other side may already be in the read, and subtracting it
    twice would under-count. The estimate adds both sides (the best guess of the position, for
    deciding whether a reduce-only order shrinks it; the exchange itself never lets a
    reduce-only order grow a position). The unfilled part of reduce-only orders is left out of
    open_qty: resting, they can only shrink a position.
    """
    params = [
        side,
        False,
        *sql.OPEN_STATUS_LIST,
        side,
        "BUY",
        environment,
        symbol,
        position_side,
        environment,
        symbol,
        position_side,
        False,
        *sql.OPEN_STATUS_LIST,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql.EXPOSURE, params)
        position, open_qty, unseen, unseen_signed = cursor.fetchone()
    position = column_decimal(position, sql.PRICE_PLACES) if position is not None else ZERO
    unseen = column_decimal(unseen) if unseen is not None else ZERO
    unseen_signed = column_decimal(unseen_signed) if unseen_signed is not None else ZERO
    sign = 1 if side == "BUY" else -1
    return Exposure(
        position=position + sign * unseen,
        open_qty=column_decimal(open_qty) if open_qty is not None else ZERO,
        estimate=position + unseen_signed,
    )


def mark_position_stale(environment: str, symbol: str) -> None:
    """After a live fill: the next order of symbol re-reads the position from the exchange
    (every side of it: a hedge close and an open move different rows)."""
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


# ------------------------------------------------------- exchange filters (risk and copilot)


def risk_filters(symbol: str) -> dict | None:
    """The exchange filters of symbol that risk compares its limits with (cached info)."""
    f = client_from_settings().symbol_filters(symbol.upper())
    if f is None:
        return None
    return {
        "minNotional": f.min_notional,
        "minQty": f.min_qty,
        "stepSize": f.step_size,
        "maxQty": f.max_qty,
    }
