"""Modify a resting LIMIT order's price and quantity in place (Binance PUT /fapi/v1/order).

The order keeps its client order id, so its audit trail stays one story: the `order.modify`
entry holds the old and the new values. The new size passes the same risk gate as a new order.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.permissions import owner_name, require, require_owner
from audit.services import record
from futures import selectors
from futures.binance.errors import BinanceError, ExchangeFilterError, NoSuchOrder
from futures.binance.filters import check_order
from futures.binance.ws_api import order_client_from_settings
from futures.models import Order, OrderStatus, OrderType
from futures.reconcile import refresh_order
from futures.services import Conflict, audit_refusal, gate_intent, reject_order
from futures.sync import order_changed_on_commit, order_sync_from_exchange
from risk import gate
from risk.errors import RiskRejected
from spark_site.errors import NotFound, ValidationFailed
from spark_site.exchange_env import current_environment
from spark_site.money import decimal_text, exchange_decimal

ACTION = "order.modify"
NOT_MODIFIABLE = gettext_noop("Order %(cid)s can no longer be modified: it is %(status)s.")


class NotModifiable(Conflict):
    code = "ORDER_NOT_MODIFIABLE"


@dataclass(frozen=True)
class Modified:
    """A modified order: its row, price and quantity before and after (decimal strings), and
    what the symbol's filters rounded."""

    order: Order
    old: dict
    new: dict
    rounded: list[dict]


def order_modify(
    *,
    user,
    symbol: str,
    client_order_id: str | None = None,
    order_id: int | None = None,
    price: Decimal | None = None,
    quantity: Decimal | None = None,
) -> Modified:
    """Change price and/or quantity of one open LIMIT order; return it with what changed."""
    symbol = symbol.upper()
    require(user, "futures.place_order", action=ACTION, target=symbol)
    payload = {
        "symbol": symbol,
        "clientOrderId": client_order_id,
        "orderId": order_id,
        "price": price,
        "quantity": quantity,
    }
    if price is None and quantity is None:
        exc = ValidationFailed(
            _("Give a new price, a new quantity or both."),
            details={"fields": [{"field": "price", "message": "required"}]},
        )
        audit_refusal(user, ACTION, symbol, payload, exc)
        raise exc
    order = selectors.order_find(client_order_id=client_order_id, order_id=order_id)
    if order is None or order.symbol != symbol:
        raise NotFound(
            gettext_noop("No order %(ref)s of %(symbol)s."),
            params={"ref": client_order_id or order_id, "symbol": symbol},
        )
    require_owner(user, order.user, action=ACTION, target=symbol, kind="order")
    _require_modifiable(user, order, payload)
    client = order_client_from_settings()  # REST or the WebSocket API (SPARK_ORDER_TRANSPORT)
    new_price = price if price is not None else order.price
    new_qty = quantity if quantity is not None else order.quantity
    try:
        filters = client.symbol_filters(symbol)
        mark = client.mark_price(symbol)
        checked = check_order(
            filters,
            side=order.side,
            type=order.type,
            quantity=new_qty,
            price=new_price,
            stop_price=None,
            mark_price=mark,
            reduce_only=order.reduce_only,
        )
    except (ExchangeFilterError, BinanceError) as exc:
        reject_order(user, ACTION, symbol, exc.reason, payload, exc)
        raise
    if checked.quantity <= order.filled_qty:
        exc = ValidationFailed(
            gettext_noop("The new quantity must be above what has filled already (%(filled)s)."),
            params={"filled": order.filled_qty.normalize()},
            details={"fields": [{"field": "quantity", "message": "not above filled"}]},
        )
        audit_refusal(user, ACTION, symbol, payload, exc)
        raise exc
    if checked.quantity == order.quantity and checked.price == order.price:
        exc = NotModifiable(
            _("Nothing to change: the order already has this price and quantity."),
            details={"price": decimal_text(order.price), "quantity": decimal_text(order.quantity)},
            code="NOTHING_TO_MODIFY",
        )
        audit_refusal(user, ACTION, symbol, payload, exc)
        raise exc
    _gate(user, order, checked.quantity, checked.price, mark, payload)
    if order.dry_run:
        old = {"price": decimal_text(order.price), "quantity": decimal_text(order.quantity)}
        order = _store(order, checked.quantity, checked.price)
    else:
        order, old, failure = _modify_on_exchange(client, order, checked)
        if failure is not None:
            audit_refusal(user, ACTION, symbol, payload, failure)
            if isinstance(failure, NoSuchOrder):
                # Filled or cancelled on the exchange since this page was drawn: say which.
                now = refresh_order(client, order, source="rest:modify")
                raise NotModifiable(
                    NOT_MODIFIABLE,
                    params={"cid": order.client_order_id, "status": now.status},
                    details={"status": now.status},
                ) from failure
            raise failure
    new = {"price": decimal_text(order.price), "quantity": decimal_text(order.quantity)}
    rounded = [
        {"field": name, "requested": decimal_text(asked), "sent": decimal_text(sent)}
        for name, asked, sent in (
            ("price", price, checked.price),
            ("quantity", quantity, checked.quantity),
        )
        if asked is not None and asked != sent
    ]
    record(
        actor=user,
        action=ACTION,
        target=symbol,
        payload={
            "clientOrderId": order.client_order_id,
            "orderId": order.exchange_order_id,
            "dryRun": order.dry_run,
            "old": old,
            "new": new,
            "rounded": rounded,
            "owner": owner_name(order.user),
        },
    )
    return Modified(order=order, old=old, new=new, rounded=rounded)


def _require_modifiable(user, order: Order, payload: dict) -> None:
    reason, params = None, None
    if order.type != OrderType.LIMIT or order.is_algo:
        reason = _(
            "Only LIMIT orders can be modified; move a TP/SL with position.protect "
            "(it replaces the earlier one)."
        )
    elif order.status not in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED):
        reason = NOT_MODIFIABLE
        params = {"cid": order.client_order_id, "status": order.status}
    if reason is None:
        return
    exc = NotModifiable(
        reason,
        params=params,
        details={"status": order.status, "type": order.type, "dryRun": order.dry_run},
    )
    audit_refusal(user, ACTION, order.symbol, payload, exc)
    raise exc


def _gate(user, order: Order, quantity: Decimal, price: Decimal, mark: Decimal, payload) -> None:
    """The new size as if it were a new order, with this order's own open size left out."""
    with transaction.atomic():
        limits = gate.lock()
        env = current_environment()
        own = order.leaves_qty if (not order.reduce_only and not order.dry_run) else 0
        # The order keeps its positionSide: a hedge order is gated on its own side and net.
        intent = gate_intent(
            env,
            symbol=order.symbol,
            side=order.side,
            position_side=order.position_side,
            reducing=order.reduce_only,
            quantity=quantity,
            price=price,
            mark=mark,
            dry_run=order.dry_run,
            own_open=Decimal(own),
        )
        decision = gate.evaluate(intent, limits=limits)
    if not decision.allowed:
        exc = RiskRejected(decision)
        audit_refusal(user, ACTION, order.symbol, {**payload, "rules": decision.rules}, exc)
        raise exc


def _modify_on_exchange(client, order: Order, checked) -> tuple[Order, dict, Exception | None]:
    """Send the modify and store the exchange's answer: (order, old values, refusal or None)."""
    with transaction.atomic():
        # Lock the order across the exchange call, or two modifies at once can store their
        # answers in another order than the exchange applied them, and the page would show a
        # price the order no longer has. (of=self: PostgreSQL cannot lock the nullable side
        # of the outer join to the user.)
        locked = (
            Order.objects.select_for_update(of=("self",)).select_related("user").get(pk=order.pk)
        )
        old = {"price": decimal_text(locked.price), "quantity": decimal_text(locked.quantity)}
        try:
            answer = client.modify_order(
                locked.symbol,
                side=locked.side,
                quantity=checked.quantity,
                price=checked.price,
                order_id=locked.exchange_order_id,
                client_order_id=None if locked.exchange_order_id else locked.client_order_id,
            )
        except BinanceError as exc:
            return locked, old, exc
        # The sync never changes price or quantity (it only moves status and fills forward).
        locked.quantity = exchange_decimal(answer.get("origQty")) or checked.quantity
        locked.price = exchange_decimal(answer.get("price")) or checked.price
        locked.save(update_fields=["quantity", "price", "updated_at"])
        order_changed_on_commit(locked)
        order_sync_from_exchange(answer, source="rest:modify")
    return locked, old, None


def _store(order: Order, quantity: Decimal, price: Decimal) -> Order:
    """Write the new price and quantity of a paper (dry-run) order."""
    with transaction.atomic():
        # of=self: PostgreSQL cannot lock the nullable side of the outer join to the user
        locked = (
            Order.objects.select_for_update(of=("self",)).select_related("user").get(pk=order.pk)
        )
        locked.quantity = quantity
        locked.price = price
        locked.save(update_fields=["quantity", "price", "updated_at"])
        order_changed_on_commit(locked)
    return locked
