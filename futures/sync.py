"""Exchange -> database: the only writer of what the exchange says happened.

Placement, reconciliation, the income sync and the user stream all hand their exchange answers
here (parsed by futures/binance/reports.py); orders move through `Order.apply_report` and the
transition table, fills are recorded once per trade id, positions and account totals are
upserted, and the live events go to the publisher (futures/broadcast.py) once the transaction
commits.
"""

from __future__ import annotations

import copy
import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from futures import broadcast, ledger, metrics, position_mode, selectors
from futures.binance.reports import (
    AccountReport,
    AlgoReport,
    OrderReport,
    PositionReport,
    TradeReport,
    position_side,
)
from futures.models import (
    ZERO,
    AccountSnapshot,
    Fill,
    Order,
    OrderStatus,
    PositionSide,
    PositionSnapshot,
)
from spark_site.exchange_env import current_environment
from spark_site.money import exchange_decimal

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------- live events
# Pages and sockets learn of a change only once it is committed (never of a rolled-back one):
# each writer below hands its rows to the live-update publisher (futures/broadcast.py) on commit.


def order_changed_on_commit(order: Order) -> None:
    """Send the order's live event once the changing transaction commits."""
    transaction.on_commit(lambda: broadcast.publish_order(order))


def positions_changed_on_commit(rows: list[PositionSnapshot]) -> None:
    """Send the positions' live event once the changing transaction commits."""
    transaction.on_commit(lambda: broadcast.publish_positions(rows))


def account_changed_on_commit(snapshot: AccountSnapshot) -> None:
    """Send the account's live event once the changing transaction commits (at once outside
    one)."""
    transaction.on_commit(lambda: broadcast.publish_account(snapshot))


# ------------------------------------------------------------------------------------ orders


def order_sync_from_exchange(payload: dict, *, source: str) -> Order | None:
    """Apply what the exchange says about an order (REST object or ORDER_TRADE_UPDATE `o`).

    Creates the order if Spark has never seen it (placed elsewhere, liquidation), moves its
    status through the transition table (a late event never moves FILLED back to NEW), and
    records the fill of a TRADE event once per trade id. Returns None for an unusable payload.
    """
    report = OrderReport.parse(payload)
    if not report.client_order_id or not report.symbol:
        logger.warning("order sync from %s ignored a payload without id or symbol", source)
        return None
    fill_created: Fill | None = None
    with transaction.atomic():
        order = _locked_order(report, source)
        created = order._state.adding  # noqa: SLF001 - created just now
        fields = order.apply_report(report)  # what this payload changed
        if report.trade is not None:
            fill_created = _record_fill(order, report.trade)
        if created or fields or fill_created is not None:
            if source.startswith("rest") or source == "reconcile":
                order.raw_response = payload
                fields.append("raw_response")
            order.save(update_fields=None if created else [*fields, "updated_at"])
            order_changed_on_commit(order)
        if fill_created is not None:
            # Realized PnL and commission into the ledger (idempotent by reference: a fill seen
            # by the stream and again by reconciliation or the income sync books once).
            ledger.book_fill(order, fill_created)
    return order


def settle_placed(order: Order, payload: dict) -> bool:
    """Apply the exchange's answer to the order this request has just created, in one UPDATE.

    It applies only while the row is still as the request created it (PENDING_SUBMIT, no
    exchange id): a compare-and-set, so no lock and no re-read. False when the user stream or
    reconciliation got there first; the caller then takes order_sync_from_exchange's locked
    path, which merges the answer with what they wrote.
    """
    report = OrderReport.parse(payload)
    if (
        report.client_order_id != order.client_order_id
        or report.exchange_order_id in (None, "")
        or report.trade is not None
        or order.status != OrderStatus.PENDING_SUBMIT
        or order.exchange_order_id is not None
    ):
        return False
    settled = copy.copy(order)
    fields = settled.apply_report(report)
    settled.raw_response = payload
    settled.updated_at = timezone.now()
    changes = {name: getattr(settled, name) for name in (*fields, "raw_response", "updated_at")}
    as_created = Order.objects.filter(
        pk=order.pk, status=OrderStatus.PENDING_SUBMIT, exchange_order_id=None
    )
    if not as_created.update(**changes):
        return False
    for name, value in changes.items():
        setattr(order, name, value)
    order_changed_on_commit(order)
    return True


def set_status(order: Order, status: str, *, error: dict | None = None) -> Order:
    """Move the order (locked) to status through the transition table, with an error note."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        changed = locked.apply_status(status)
        if error:
            locked.error = error
            changed = True
        if changed:
            locked.save()
            order_changed_on_commit(locked)
    return locked


def _locked_order(report: OrderReport, source: str) -> Order:
    cid = report.client_order_id
    order = selectors.one(Order.objects.select_for_update().filter(client_order_id=cid))
    if order is not None:
        return order
    order = Order(
        client_order_id=cid,
        exchange_order_id=report.exchange_order_id or None,
        environment=current_environment(),
        symbol=report.symbol,
        side=report.side,
        type=report.type if report.type in ("LIMIT", "MARKET") else report.type[:20],
        time_in_force=report.known_time_in_force,
        quantity=report.quantity or ZERO,
        price=report.price or None,
        stop_price=report.stop_price or None,
        reduce_only=report.reduce_only,
        position_side=report.position_side
        if report.position_side in PositionSide.values
        else PositionSide.BOTH,
        dry_run=False,
        status=OrderStatus.NEW,
        source=f"external:{source}"[:32],
    )
    try:
        with transaction.atomic():
            order.save(force_insert=True)
    except IntegrityError:
        # Another worker (stream vs reconcile) created it between our read and insert.
        return Order.objects.select_for_update().get(client_order_id=cid)
    order._state.adding = True  # noqa: SLF001 - tell the caller it is new
    return order


def _record_fill(order: Order, trade: TradeReport) -> Fill | None:
    """Insert the fill once; a replayed trade id returns None and changes nothing."""
    if Fill.objects.filter(order=order, trade_id=trade.trade_id).exists():
        return None
    try:
        with transaction.atomic():
            return Fill.objects.create(order=order, **trade.fill_fields())
    except IntegrityError:
        return None


def trades_sync(order: Order, trades: list[dict], *, source: str) -> int:
    """Record REST userTrades rows of one order; return how many fills were new."""
    new = 0
    with transaction.atomic():
        # Lock the order row first, as order_sync_from_exchange does: the fill's ledger entries
        # then take the limits lock, and a stream thread holding the order while this one held
        # the limits (the other order) deadlocked on PostgreSQL.
        Order.objects.select_for_update().filter(pk=order.pk).first()
        for row in trades:
            if row.get("orderId") != order.exchange_order_id:
                continue
            fill = _record_fill(order, TradeReport.from_rest(row))
            if fill is not None:
                new += 1
                ledger.book_fill(order, fill)
        if new:
            order_changed_on_commit(order)
    return new


# ------------------------------------------------------------------------------- algo orders

# ALGO_UPDATE / algoOrder statuses -> our order statuses (TRIGGERED: the spawned order works).
_ALGO_STATUS = {
    "NEW": OrderStatus.NEW,
    "TRIGGERING": OrderStatus.NEW,
    "TRIGGERED": OrderStatus.NEW,
    "FINISHED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELED,
    "REJECTED": OrderStatus.REJECTED,
    "EXPIRED": OrderStatus.EXPIRED,
}


def algo_sync_from_exchange(payload: dict, *, source: str) -> Order | None:
    """Apply a REST algo order object or an ALGO_UPDATE `o` dict to its local order."""
    report = AlgoReport.parse(payload)
    status = report.status
    if not report.client_algo_id:
        return None
    with transaction.atomic():
        order = selectors.one(
            Order.objects.select_for_update().filter(client_order_id=report.client_algo_id)
        )
        if order is None:
            return None
        changed = False
        if report.algo_id and order.algo_id != report.algo_id:
            order.algo_id = report.algo_id
            changed = True
        if status == "FINISHED" and not report.actual_qty:
            status = "CANCELED"  # finished without executing anything
        mapped = _ALGO_STATUS.get(status)
        if mapped and order.apply_status(mapped):
            changed = True
        executed = report.actual_qty
        if executed and executed > order.filled_qty:
            order.filled_qty = executed
            order.filled_seen_at = timezone.now()  # see Order.apply_report
            changed = True
        if source.startswith("rest"):
            order.raw_response = payload
            changed = True
        if changed:
            order.save()
            order_changed_on_commit(order)
    return order


# --------------------------------------------------------------------- positions and account


def position_sync(
    positions: list[dict],
    *,
    source: str,
    requested_at: datetime | None = None,
    symbols: tuple[str, ...] = (),
) -> list[PositionSnapshot]:
    """Upsert the current position rows from REST positionRisk or ACCOUNT_UPDATE `P` entries.

    One row per symbol and side: BOTH on a one-way account, LONG and SHORT (each its own
    position, the short one negative) in hedge mode. A REST read passes requested_at, the time
    (Spark's clock, taken before sending) of its request: it also becomes the risk gate's
    position of each side, unless a read requested later has been stored already (an older
    answer arriving late must not hide newer fills). symbols names what a REST read asked for:
    one missing from the answer has no position (0) on any side; a side a REST answer leaves out
    of a symbol it answers for (the other mode's, after a switch) is 0 too.
    """
    env = current_environment()
    answered_sides: dict[str, set[str]] = {}
    if requested_at is not None:
        for p in positions:
            if p.get("symbol"):
                answered_sides.setdefault(p["symbol"], set()).add(position_side(p))
        missing = [s for s in symbols if s not in answered_sides]
        positions = [*positions, *({"symbol": s, "positionAmt": "0"} for s in missing)]
        for s in missing:
            answered_sides[s] = {"BOTH"}
    # LONG/SHORT rows exist only on a hedge-mode account: they tell position_mode the account is
    # hedge (banner, status, every order's positionSide) the moment they are seen.
    side_rows = [p for p in positions if position_side(p) != "BOTH"]
    rows: list[PositionSnapshot] = []
    with transaction.atomic():
        if side_rows:
            position_mode.side_positions_seen(side_rows, source=source)
        for p in positions:
            report = PositionReport.parse(p)
            if not report.symbol:
                continue
            values: dict[str, Any] = {"source": source[:32], **report.values}
            if report.margin_type:
                values["margin_type"] = report.margin_type
            if report.leverage is not None:
                values["leverage"] = report.leverage
            row, _ = PositionSnapshot.objects.update_or_create(
                environment=env,
                symbol=report.symbol,
                position_side=report.position_side,
                defaults=values,
            )
            if requested_at is not None and "position_amt" in values:
                _rest_read(row.pk, values["position_amt"], requested_at)
            rows.append(row)
        for symbol, sides in answered_sides.items():
            rows += _zero_sides_not_answered(env, symbol, sides, source, requested_at)
        _update_position_metrics(env)
        if rows:
            positions_changed_on_commit(rows)
    return rows


def _rest_read(pk: int, amount: Decimal, requested_at: datetime) -> None:
    """The gate's position of one row, unless a read requested later is stored already."""
    newer = Q(rest_requested_at__isnull=True) | Q(rest_requested_at__lt=requested_at)
    PositionSnapshot.objects.filter(pk=pk).filter(newer).update(
        rest_position_amt=amount, rest_requested_at=requested_at
    )


def _zero_sides_not_answered(
    env: str, symbol: str, sides: set[str], source: str, requested_at: datetime | None
) -> list[PositionSnapshot]:
    """A REST read answered symbol with sides only: its other stored sides hold nothing."""
    stale = list(
        PositionSnapshot.objects.filter(environment=env, symbol=symbol)
        .exclude(position_side__in=sides)
        .select_for_update()
    )
    for row in stale:
        row.position_amt = ZERO
        row.unrealized_pnl = ZERO
        row.source = source[:32]
        row.save(update_fields=["position_amt", "unrealized_pnl", "source", "updated_at"])
        if requested_at is not None:
            _rest_read(row.pk, ZERO, requested_at)
    return stale


def _update_position_metrics(env: str) -> None:
    open_rows = PositionSnapshot.objects.filter(environment=env).exclude(position_amt=0)
    metrics.POSITION_COUNT.set(open_rows.count())
    metrics.PNL_UNREALIZED_USD.set(float(sum((r.unrealized_pnl for r in open_rows), ZERO)))


def account_sync(account: dict, *, source: str) -> AccountSnapshot:
    """Store the account totals of a REST account answer and export the account gauges."""
    env = current_environment()
    report = AccountReport.parse(account)
    margin_balance = report.margin_balance
    ratio = (report.maint_margin / margin_balance) if margin_balance > 0 else ZERO
    values = {
        "wallet_balance": report.wallet_balance,
        "available_balance": report.available_balance,
        "margin_balance": margin_balance,
        "unrealized_pnl": report.unrealized_pnl,
        "maint_margin": report.maint_margin,
        "margin_ratio": ratio.quantize(Decimal("0.0000000001")),
        "raw": {k: v for k, v in account.items() if k not in ("positions",)},
    }
    snap, _ = AccountSnapshot.objects.update_or_create(environment=env, defaults=values)
    metrics.ACCOUNT_BALANCE_USD.set(float(values["wallet_balance"]))
    metrics.MARGIN_RATIO.set(float(ratio))
    account_changed_on_commit(snap)
    logger.debug("account synced from %s", source)
    return snap


def wallet_sync(balance: dict) -> None:
    """Store the wallet balance of an ACCOUNT_UPDATE `B` entry (the other totals come from REST)."""
    wallet = exchange_decimal(balance.get("wb"))
    if wallet is None:
        return
    with transaction.atomic():
        snap, _ = AccountSnapshot.objects.update_or_create(
            environment=current_environment(), defaults={"wallet_balance": wallet}
        )
    metrics.ACCOUNT_BALANCE_USD.set(float(wallet))
    account_changed_on_commit(snap)
