"""TP/SL attached to an entry order: checked when the entry is placed, put on the position at
the entry's first fill, as Binance's own order form does.

A market entry fills at once and is protected in the same request. A limit (or stop) entry may
fill seconds or days later, seen by the user stream, a reconciliation or, for a dry run, the
paper matcher; each of those calls `attach_due()`. A filled entry is claimed with one
compare-and-set on its row, so two processes never place its protection twice, and the
protection's client ids derive from the entry's (`att<pk>-tp`, `att<pk>-sl`), so a retry after a
crash finds what was already placed instead of placing it again.

Live: `position.protect` on the whole position (closePosition TP/SL, replacing any earlier one).
Dry run: there is no paper position to close, so the legs are reduce-only paper orders of the
entry's size; when one fills the other is cancelled (`cancel_sibling`).

Hedge mode: an entry opens its side (BUY LONG, SELL SHORT) and its legs go on that same side
(live: that side's closePosition TP/SL; dry run: closing orders on the side, no reduceOnly, which
Binance refuses there).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_noop

from audit.models import AuditEntry
from audit.services import record
from futures.binance.rest import client_from_settings
from futures.models import AttachState, Order, OrderStatus, OrderType, PositionSide
from futures.position_actions import check_side, field_error, position_protect
from futures.services import OrderRequest, OrderResult, order_place
from futures.sync import order_changed_on_commit
from notifications.models import Kind
from notifications.services import event_emit
from spark_site.errors import DomainError, ValidationFailed
from spark_site.exchange_env import current_environment

logger = logging.getLogger(__name__)

# Entry types that can carry a TP/SL: what opens a position. A trailing stop or a
# closePosition order is itself a protection.
ENTRY_TYPES = frozenset(
    {
        OrderType.MARKET,
        OrderType.LIMIT,
        OrderType.STOP,
        OrderType.STOP_MARKET,
        OrderType.TAKE_PROFIT,
        OrderType.TAKE_PROFIT_MARKET,
    }
)
LEG_ID = re.compile(r"^att(\d+)-(tp|sl)$")


@dataclass
class EntryResult:
    """The entry as order.place answers it, and its attached protection."""

    entry: OrderResult
    protection: list[OrderResult]


# Four sentences, not one with "above"/"long" slots: each language words them its own way.
_ENTRY_SIDE = {
    (True, True): gettext_noop(
        "%(field)s must be above the entry price %(price)s for a long order."
    ),
    (False, True): gettext_noop(
        "%(field)s must be below the entry price %(price)s for a long order."
    ),
    (True, False): gettext_noop(
        "%(field)s must be above the entry price %(price)s for a short order."
    ),
    (False, False): gettext_noop(
        "%(field)s must be below the entry price %(price)s for a short order."
    ),
}
NOT_AN_ENTRY = gettext_noop(
    "A take-profit or stop-loss can be attached to an order that opens a position only."
)
UNPROTECTED = gettext_noop(
    "The entry %(cid)s filled but its TP/SL could not be placed: %(message)s"
)


def _reference(req: OrderRequest) -> Decimal:
    """The price the entry is expected to fill at: its limit, its trigger, or the mark."""
    if req.type in (OrderType.LIMIT, OrderType.STOP, OrderType.TAKE_PROFIT) and req.price:
        return req.price
    if req.stop_price:
        return req.stop_price
    return client_from_settings().mark_price(req.symbol.upper())


def _hedge(position_side: str) -> bool:
    return position_side in (PositionSide.LONG, PositionSide.SHORT)


def check(req: OrderRequest, take_profit: Decimal | None, stop_loss: Decimal | None) -> None:
    """Refuse a TP/SL that cannot protect this entry, before anything is stored or sent."""
    field = "takeProfit" if take_profit is not None else "stopLoss"
    long = req.side == "BUY"
    # In hedge mode a SELL on LONG (a BUY on SHORT) closes its side: it is no entry either.
    closes_side = _hedge(req.position_side) and long != (req.position_side == PositionSide.LONG)
    if req.reduce_only or req.close_position or req.type not in ENTRY_TYPES or closes_side:
        raise field_error(field, NOT_AN_ENTRY)
    reference = _reference(req)
    for name, price, tp in (("takeProfit", take_profit, True), ("stopLoss", stop_loss, False)):
        if price is None:
            continue
        # TP above the entry for a long, below for a short; SL the other way: on the wrong
        # side it would close the position the moment it opened.
        check_side(
            name,
            price,
            long=long,
            above=long == tp,
            reference=reference,
            sentences=_ENTRY_SIDE,
            named="price",
        )


def place_entry(
    *,
    user,
    request: OrderRequest,
    take_profit: Decimal | None,
    stop_loss: Decimal | None,
) -> EntryResult:
    """Place an entry with its TP/SL; protect at once when it filled at once."""
    payload = {
        "symbol": request.symbol.upper(),
        "takeProfit": take_profit,
        "stopLoss": stop_loss,
        "clientOrderId": request.client_order_id,
        "dryRun": request.dry_run,
    }
    try:
        check(request, take_profit, stop_loss)
    except ValidationFailed as exc:
        record(
            actor=user,
            action="order.attach",
            target=payload["symbol"],
            payload={**payload, "error": {"code": exc.code, "message": exc.message}},
            outcome=AuditEntry.Outcome.REJECTED,
        )
        raise
    result = order_place(user=user, request=request)
    order = result.order
    if result.created:
        Order.objects.filter(pk=order.pk, attach_state=AttachState.NONE).update(
            attach_take_profit=take_profit,
            attach_stop_loss=stop_loss,
            attach_state=AttachState.PENDING,
        )
        order.refresh_from_db()
    protection = attach(order) if order.attach_state == AttachState.PENDING else []
    order.refresh_from_db()
    result.order = order
    return EntryResult(entry=result, protection=protection or legs(order))


def legs(entry: Order) -> list[OrderResult]:
    """The protection orders already placed for entry (a repeated request shows them)."""
    rows = Order.objects.filter(client_order_id__in=[f"att{entry.pk}-tp", f"att{entry.pk}-sl"])
    return [
        OrderResult(order=o, created=False, executed="existing", decision=o.risk_decision or {})
        for o in rows.order_by("client_order_id")
    ]


def attach_due() -> list[Order]:
    """Protect every entry that filled since its TP/SL was stored; drop those that ended unfilled.

    Called after each user-stream order event, each reconciliation and each paper fill: one
    indexed query when nothing waits.
    """
    waiting = Order.objects.filter(
        environment=current_environment(), attach_state=AttachState.PENDING
    )
    done = []
    for entry in waiting:
        if entry.filled_qty > 0:
            attach(entry)
            done.append(entry)
        elif entry.is_final and _drop(entry):
            record(
                actor=entry.user,
                action="order.attach",
                target=entry.symbol,
                payload={"clientOrderId": entry.client_order_id, "entry": entry.status},
                outcome=AuditEntry.Outcome.OK,
            )
    return done


def _drop(entry: Order) -> bool:
    """An entry that ended unfilled takes its TP/SL with it (True when this call did that)."""
    return bool(
        Order.objects.filter(pk=entry.pk, attach_state=AttachState.PENDING).update(
            attach_state=AttachState.DROPPED
        )
    )


def attach(entry: Order) -> list[OrderResult]:
    """Place entry's TP/SL once it has a fill; nothing when another process claimed it first."""
    if entry.filled_qty <= 0:
        return []
    claimed = Order.objects.filter(
        pk=entry.pk, attach_state=AttachState.PENDING, filled_qty__gt=0
    ).update(attach_state=AttachState.PLACING)
    if not claimed:
        return []
    entry.refresh_from_db()
    try:
        placed = _place_legs(entry)
    except DomainError as exc:
        _failed(entry, exc.message, exc.code, turkish=_turkish(exc))
        return []
    except Exception as exc:  # noqa: BLE001 - an unexpected error must still leave a trace
        logger.exception("attaching the TP/SL of %s failed", entry.client_order_id)
        _failed(entry, str(exc)[:200], "ATTACH_FAILED")
        return []
    Order.objects.filter(pk=entry.pk).update(attach_state=AttachState.PLACED)
    return placed


def _place_legs(entry: Order) -> list[OrderResult]:
    user = entry.user
    if not entry.dry_run:
        result = position_protect(
            user=user,
            symbol=entry.symbol,
            take_profit=entry.attach_take_profit,
            stop_loss=entry.attach_stop_loss,
            dry_run=False,
            client_order_id=f"att{entry.pk}",
            position_side=entry.position_side,
        )
        return result.placed
    placed = []
    for type_, price, suffix in (
        (OrderType.TAKE_PROFIT_MARKET, entry.attach_take_profit, "tp"),
        (OrderType.STOP_MARKET, entry.attach_stop_loss, "sl"),
    ):
        if price is None:
            continue
        placed.append(
            order_place(
                user=user,
                request=OrderRequest(
                    symbol=entry.symbol,
                    side="SELL" if entry.side == "BUY" else "BUY",
                    type=type_,
                    quantity=entry.filled_qty,
                    stop_price=price,
                    reduce_only=not _hedge(entry.position_side),
                    position_side=entry.position_side,
                    client_order_id=f"att{entry.pk}-{suffix}",
                    dry_run=True,
                    source="order.attach",
                ),
            )
        )
    return placed


def _turkish(exc: DomainError) -> str:
    """exc's message in Turkish (with Turkish figures) where the catalogue has it."""
    with translation.override("tr"):
        return exc.localized_message() or exc.message


def _failed(entry: Order, message: str, code: str, *, turkish: str | None = None) -> None:
    """The entry filled but is unprotected: say so on the row, in the audit and to the owner."""
    Order.objects.filter(pk=entry.pk).update(attach_state=AttachState.FAILED)
    cid = entry.client_order_id
    reason = UNPROTECTED % {"cid": cid, "message": message}
    with translation.override("tr"):
        # The owner reads it later in their language: both sentences ride in the event.
        reason_tr = translation.gettext(UNPROTECTED) % {"cid": cid, "message": turkish or message}
    record(
        actor=entry.user,
        action="order.attach",
        target=entry.symbol,
        payload={"clientOrderId": cid, "error": {"code": code, "message": message}},
        outcome=AuditEntry.Outcome.FAILED,
    )
    event_emit(
        kind=Kind.ORDER_REJECTED,
        dedupe_key=f"order.attach:{entry.pk}",
        owner=entry.user,
        payload={
            "symbol": entry.symbol,
            "side": entry.side,
            "clientOrderId": cid,
            "by": "spark",
            "reason": reason[:200],
            "reason_tr": reason_tr[:200],
        },
    )


def cancel_sibling(leg: Order) -> Order | None:
    """A paper TP (or SL) of an entry filled: cancel the other leg, as the position is gone."""
    match = LEG_ID.match(leg.client_order_id)
    if not match or not leg.dry_run:
        return None
    other = f"att{match[1]}-{'sl' if match[2] == 'tp' else 'tp'}"
    with transaction.atomic():
        sibling = (
            Order.objects.select_for_update()
            .filter(client_order_id=other, dry_run=True, status=OrderStatus.NEW)
            .first()
        )
        if sibling is None:
            return None
        sibling.apply_status(OrderStatus.CANCELED, strict=True)
        sibling.save(update_fields=["status", "updated_at"])
        order_changed_on_commit(sibling)
    return sibling
