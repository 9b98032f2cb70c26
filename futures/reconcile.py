"""Reconciliation: make the database agree with the exchange after a gap (restart, reconnect)."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from audit.services import record
from futures import selectors
from futures.binance.errors import BinanceError, NoSuchOrder
from futures.binance.rest import BinanceFutures, client_from_settings
from futures.models import Order, OrderStatus
from futures.sync import (
    account_sync,
    algo_sync_from_exchange,
    order_sync_from_exchange,
    position_sync,
    set_status,
    trades_sync,
)
from spark_site.exchange_env import current_environment

logger = logging.getLogger(__name__)


def _pending_grace() -> timedelta:
    # A PENDING_SUBMIT order younger than this may be in flight right now (another worker is
    # between commit and the exchange's answer): "not found" must not mark it rejected yet.
    seconds = float(getattr(settings, "SPARK_RECONCILE_PENDING_GRACE_SECONDS", 30))
    return timedelta(seconds=seconds)


def refresh_order(client: BinanceFutures, order: Order, *, source: str = "reconcile") -> Order:
    """Ask the exchange about one live order and apply the answer (fills included)."""
    try:
        if order.is_algo:
            answer = client.query_algo_order(client_algo_id=order.client_order_id)
            return algo_sync_from_exchange(answer, source=f"rest:{source}") or order
        answer = client.query_order(order.symbol, client_order_id=order.client_order_id)
    except NoSuchOrder:
        return _absent_on_exchange(order)
    synced = order_sync_from_exchange(answer, source="reconcile") or order
    if synced.filled_qty > 0 and synced.exchange_order_id:
        recorded = sum((f.qty for f in synced.fills.all()), start=synced.filled_qty * 0)
        if recorded < synced.filled_qty:
            trades = client.user_trades(synced.symbol, order_id=synced.exchange_order_id)
            trades_sync(synced, trades, source=source)
    return synced


def _absent_on_exchange(order: Order) -> Order:
    age = timezone.now() - order.created_at
    if order.status == OrderStatus.PENDING_SUBMIT and age < _pending_grace():
        return order
    if order.status in (OrderStatus.PENDING_SUBMIT, OrderStatus.UNKNOWN):
        # Never reached the exchange (the lost request really was lost).
        return set_status(
            order,
            OrderStatus.REJECTED,
            error={"code": "NOT_ON_EXCHANGE", "message": "The exchange has no such order."},
        )
    # Known as open but gone from the exchange's memory (retention): it is no longer working.
    return set_status(
        order,
        OrderStatus.EXPIRED,
        error={"code": "NOT_ON_EXCHANGE", "message": "The exchange no longer knows this order."},
    )


def _orders_missing_fills(env: str):
    """Final live orders with fewer recorded fills than their filled quantity.

    Their status came from a REST answer (a MARKET order answered FILLED, a lost answer looked
    up) while their trades come only from the user stream: a stream gap (cut, expired listen
    key) loses them, and the open-orders pass above never looks at a final order again.
    """
    since = timezone.now() - timedelta(days=7)  # userTrades keeps about this much
    zero = Value(0, output_field=DecimalField(max_digits=28, decimal_places=10))
    return (
        Order.objects.filter(
            environment=env,
            dry_run=False,
            filled_qty__gt=0,
            exchange_order_id__isnull=False,
            created_at__gte=since,
        )
        .annotate(recorded=Coalesce(Sum("fills__qty", filter=Q(fills__simulated=False)), zero))
        .filter(recorded__lt=F("filled_qty"))
        .order_by("created_at")
    )


# Final statuses Spark may hold wrongly: set from a lost answer, a failed cancel taken for a
# success, or an order the exchange did not know yet. FILLED is what the exchange said itself.
_CORRECTABLE = (
    OrderStatus.CANCELED,
    OrderStatus.REJECTED,
    OrderStatus.EXPIRED,
    OrderStatus.EXPIRED_IN_MATCH,
)
FINAL_RECHECK_WINDOW = timedelta(hours=24)
FINAL_RECHECK_LIMIT = 200


def _recently_final(env: str):
    """Live orders Spark marked CANCELED/REJECTED/EXPIRED within the recheck window."""
    since = timezone.now() - FINAL_RECHECK_WINDOW
    return Order.objects.filter(
        environment=env, dry_run=False, status__in=_CORRECTABLE, updated_at__gte=since
    ).order_by("-updated_at")[:FINAL_RECHECK_LIMIT]


def _correct_final(client: BinanceFutures, order: Order, actor) -> dict | None:
    """Ask the exchange about an order Spark holds as final; correct a contradicting status.

    The state machine never lets a final status move (a late event must not undo a newer one),
    so a wrong final status would stay wrong forever: an order open or filled on the exchange
    would count as nothing in exposure. This is the one explicit correction path, audited with
    the old and new status; the exchange's word wins because it is where the money is.
    """
    if order.is_algo:
        return None
    try:
        answer = client.query_order(order.symbol, client_order_id=order.client_order_id)
    except NoSuchOrder:
        return None  # the exchange never had it: REJECTED/EXPIRED is right
    remote = answer.get("status") or ""
    if remote not in OrderStatus.values or remote == order.status:
        return None
    if remote in _CORRECTABLE and (Decimal(str(answer.get("executedQty") or 0)) == 0):
        return None  # one final "nothing happened" for another: no money involved
    before = order.status
    Order.objects.filter(pk=order.pk, status=before).update(
        status=remote, updated_at=timezone.now()
    )
    order.refresh_from_db()
    synced = refresh_order(client, order)  # quantities, price and fills from the same answer
    entry = {
        "clientOrderId": order.client_order_id,
        "from": before,
        "to": synced.status,
        "exchangeStatus": remote,
        "filledQty": str(synced.filled_qty),
        "correction": True,
    }
    record(
        actor=actor,
        action="order.reconcile.correct",
        target=order.client_order_id,
        payload=entry,
    )
    logger.warning(
        "order %s was %s in Spark but %s on the exchange: corrected",
        order.client_order_id,
        before,
        remote,
    )
    return entry


def reconcile_orders(*, actor="system", client: BinanceFutures | None = None) -> dict:
    """Compare local live orders, open orders, positions and the account with the exchange.

    Fixes local states, records missing fills, adopts open orders placed elsewhere, and
    audits every change. Returns a report of what changed.
    """
    client = client or client_from_settings()
    env = current_environment()
    changed: list[dict] = []
    adopted: list[str] = []
    errors: list[dict] = []
    checked = 0
    for order in list(selectors.orders_to_reconcile(env)):
        checked += 1
        before = (order.status, order.filled_qty, order.fills.count())
        try:
            after = refresh_order(client, order)
        except BinanceError as exc:
            errors.append({"clientOrderId": order.client_order_id, "error": exc.code})
            continue
        now = (after.status, after.filled_qty, after.fills.count())
        if now != before:
            entry = {
                "clientOrderId": order.client_order_id,
                "from": before[0],
                "to": now[0],
                "filledQty": str(now[1]),
                "newFills": now[2] - before[2],
            }
            changed.append(entry)
            record(
                actor=actor, action="order.reconcile", target=order.client_order_id, payload=entry
            )
    rechecked = 0
    for order in list(_recently_final(env)):
        rechecked += 1
        try:
            corrected = _correct_final(client, order, actor)
        except BinanceError as exc:
            errors.append({"clientOrderId": order.client_order_id, "error": exc.code})
            continue
        if corrected:
            changed.append(corrected)
    for order in list(_orders_missing_fills(env)):
        try:
            trades = client.user_trades(order.symbol, order_id=order.exchange_order_id)
            new = trades_sync(order, trades, source="reconcile")
        except BinanceError as exc:
            errors.append({"clientOrderId": order.client_order_id, "error": exc.code})
            continue
        if new:
            entry = {
                "clientOrderId": order.client_order_id,
                "from": order.status,
                "to": order.status,
                "filledQty": str(order.filled_qty),
                "newFills": new,
            }
            changed.append(entry)
            record(
                actor=actor, action="order.reconcile", target=order.client_order_id, payload=entry
            )
    try:
        known = set(Order.objects.values_list("client_order_id", flat=True).filter(environment=env))
        for remote in client.open_orders():
            if remote.get("clientOrderId") not in known:
                order_sync_from_exchange(remote, source="reconcile")
                adopted.append(remote["clientOrderId"])
                record(
                    actor=actor,
                    action="order.reconcile.adopt",
                    target=remote["clientOrderId"],
                    payload={"symbol": remote.get("symbol"), "status": remote.get("status")},
                )
        requested_at = timezone.now()  # the gate counts fills seen after this read's request
        position_sync(client.positions(), source="reconcile", requested_at=requested_at)
        account_sync(client.account(), source="reconcile")
    except BinanceError as exc:
        errors.append({"error": exc.code, "message": exc.message})
    report = {
        "environment": env,
        "checked": checked,
        "rechecked": rechecked,
        "changed": changed,
        "adopted": adopted,
        "errors": errors,
    }
    record(
        actor=actor,
        action="orders.reconcile",
        target=env,
        payload={k: v for k, v in report.items()},
        outcome="ok" if not errors else "failed",
    )
    logger.info(
        "reconciled %s: %d checked, %d changed, %d adopted, %d errors",
        env,
        checked,
        len(changed),
        len(adopted),
        len(errors),
    )
    return report
