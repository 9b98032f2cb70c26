"""Batch placement (POST /futures/order.batch): up to five orders, e.g. an entry with its TP/SL.

All or nothing before the exchange: every item is validated, sized and passed through the risk
gate under the gate's one lock, counted cumulatively (item 2 sees item 1 as an open order), so a
batch never passes a limit that the same orders sent one by one would not. One refused item
refuses the whole batch and nothing is stored or sent. The accepted items are stored
PENDING_SUBMIT in that locked transaction (each clientOrderId is its idempotency key: a repeated
batch answers with the stored orders) and sent in one call of the connector's place_batch.
From there each item stands alone: the exchange may refuse one (REJECTED with its error) and
place the others; an item whose outcome is unknown is UNKNOWN and settled by reconciliation,
never sent again.
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.permissions import require
from audit.models import AuditEntry
from audit.services import record
from futures import metrics, position_mode, selectors, sizing
from futures.binance.errors import (
    BinanceError,
    ExchangeFilterError,
    ExchangeUnavailable,
    NoSuchOrder,
)
from futures.binance.filters import check_order
from futures.binance.rest import MAX_BATCH_ORDERS, client_from_settings, new_client_order_id
from futures.models import Order, OrderStatus, OrderType
from futures.services import (
    DRY_RUN_FILLED,
    DRY_RUN_RESTING,
    NOT_LISTED,
    SENT,
    OrderRequest,
    OrderResult,
    existing_result,
    gate_intent,
    marketable,
    new_order_row,
    refusal_after_4061,
    reject_order,
    rounded_fields,
    setting_value,
    simulate_fill,
    validate_shape,
)
from futures.sync import (
    algo_sync_from_exchange,
    order_changed_on_commit,
    order_sync_from_exchange,
    position_sync,
    set_status,
    settle_placed,
)
from risk import gate
from risk.errors import RiskRejected
from spark_site.error_messages import message_of
from spark_site.errors import DomainError, ValidationFailed
from spark_site.exchange_env import current_environment

SOURCE = "order.batch"
BATCH_SIZE = gettext_noop("A batch holds 1 to %(limit)s orders, got %(count)s.")
REPEATED_ID = gettext_noop("Each order of a batch needs its own clientOrderId.")
# An item's own answer when the exchange refused it or its outcome is unknown (the reason in the
# request's language; the stored error keeps the codes and the English text).
ITEM_REFUSED = gettext_noop("The exchange did not place this order: %(reason)s")
ITEM_UNKNOWN = gettext_noop(
    "The outcome of this order is unknown; reconciliation settles it, it is never sent again: "
    "%(reason)s"
)


@dataclasses.dataclass
class _Item:
    """One item on its way: the request, its audit payload, the checked figures, its order."""

    index: int
    request: OrderRequest
    payload: dict
    sized: dict | None = None
    checked: object = None
    filters: object = None
    mark: Decimal | None = None
    result: OrderResult | None = None
    order: Order | None = None
    simulated: dict | None = None
    refused: bool = False  # the exchange refused it, or its outcome is unknown (audited so)


class _Refused(Exception):
    """Raised inside the locked transaction to roll back every row the batch stored."""

    def __init__(self, index: int, decision):
        self.index = index
        self.decision = decision


def order_batch(*, user, requests: list[OrderRequest], dry_run: bool = True) -> list[OrderResult]:
    """Place 1 to 5 orders as one batch; one OrderResult per item, in the request's order.

    Raises (nothing stored, nothing sent) when any item is invalid or refused by the gate,
    naming the item (`details.item`, fields as `orders[i].name`).
    """
    symbols = ",".join(sorted({r.symbol.upper() for r in requests})) or "-"
    require(user, "futures.place_order", action="order.place", target=symbols)
    if not 1 <= len(requests) <= MAX_BATCH_ORDERS:
        raise ValidationFailed(
            BATCH_SIZE,
            params={"limit": MAX_BATCH_ORDERS, "count": len(requests)},
            details={"fields": [{"field": "orders", "message": "1 to 5 orders"}]},
        )
    started = time.perf_counter()
    items = [
        _Item(
            index=i,
            request=dataclasses.replace(
                r,
                symbol=r.symbol.upper(),
                dry_run=dry_run,
                source=SOURCE,
                client_order_id=r.client_order_id
                or new_client_order_id("dry" if dry_run else "spark"),
            ),
            payload={},
        )
        for i, r in enumerate(requests)
    ]
    _refuse_repeated_ids(items)
    for item in items:
        item.payload = _payload(item, len(items))
    # A repeated batch: the stored orders (each checked to be the same order), nothing sent.
    fresh = []
    for item in items:
        existing_pk = selectors.order_pk(item.request.client_order_id)
        if existing_pk is None:
            fresh.append(item)
            continue
        stored = Order.objects.get(pk=existing_pk)
        req = item.request
        if req.quantity is None:
            req = dataclasses.replace(
                req, quantity=stored.quantity, quote_quantity=None, balance_percent=None
            )
        with _naming(item):
            item.result = existing_result(stored, user, req)
    if fresh:
        _check_items(user, fresh, symbols)
        _store(user, fresh, dry_run=dry_run)
        if not dry_run:
            _send(user, fresh)
        _finish(user, fresh, started)
    return [item.result for item in items]


# ----------------------------------------------------------------------------- validation


def _payload(item: _Item, size: int) -> dict:
    req = item.request
    return {
        "symbol": req.symbol,
        "side": req.side,
        "type": req.type,
        "quantity": req.quantity,
        "quoteQuantity": req.quote_quantity,
        "balancePercent": req.balance_percent,
        "price": req.price,
        "stopPrice": req.stop_price,
        "reduceOnly": req.reduce_only,
        "positionSide": req.position_side,
        "closePosition": req.close_position,
        "callbackRate": req.callback_rate,
        "activationPrice": req.activation_price,
        "dryRun": req.dry_run,
        "clientOrderId": req.client_order_id,
        "source": SOURCE,
        "batch": {"index": item.index, "size": size},
    }


class _naming:
    """Name the item in a refusal raised while handling it: details.item and orders[i].field."""

    def __init__(self, item: _Item):
        self.item = item

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if isinstance(exc, DomainError):
            _name_item(exc, self.item.index)
        return False


def _name_item(exc: DomainError, index: int) -> None:
    fields = exc.details.get("fields")
    prefix = f"orders[{index}]"
    if isinstance(fields, list) and fields:
        exc.details["fields"] = [
            {**f, "field": f"{prefix}.{f.get('field')}"} if isinstance(f, dict) else f
            for f in fields
        ]
    else:
        exc.details["fields"] = [{"field": prefix, "message": exc.message}]
    exc.details["item"] = index


def _refuse_repeated_ids(items: list[_Item]) -> None:
    seen: dict[str, int] = {}
    for item in items:
        cid = item.request.client_order_id
        if cid in seen:
            exc = ValidationFailed(
                REPEATED_ID,
                details={"fields": [{"field": "clientOrderId", "message": "repeated"}]},
            )
            _name_item(exc, item.index)
            raise exc
        seen[cid] = item.index


def _check_items(user, items: list[_Item], symbols: str) -> None:
    """Size, shape, hedge mode, exchange filters and a fresh position for each item."""
    for item in items:
        with _naming(item):
            try:
                item.request, item.sized = sizing.sized_request(item.request)
                item.payload["quantity"] = item.request.quantity
                validate_shape(item.request)
            except ExchangeFilterError as exc:
                _refuse_all(user, items, item, exc.reason, exc)
                raise
            except ValidationFailed as exc:
                _refuse_all(user, items, item, "validation", exc)
                raise
    client = client_from_settings()
    env = current_environment()
    # Every item's positionSide against the account's mode, read once (dry runs too).
    mode = position_mode.position_mode_current()
    for item in items:
        req = item.request
        refusal = position_mode.side_refusal(
            mode, position_side=req.position_side, reduce_only=req.reduce_only
        )
        if refusal is not None:
            _name_item(refusal, item.index)
            _refuse_all(user, items, item, "position_side", refusal)
            raise refusal
    synced: set[str] = set()
    for item in items:
        req = item.request
        with _naming(item):
            try:
                item.filters = client.symbol_filters(req.symbol)
                if item.filters is None:
                    raise ExchangeFilterError(
                        "SYMBOL",
                        NOT_LISTED,
                        limit="listed",
                        value=req.symbol,
                        params={"symbol": req.symbol},
                    )
                item.mark = client.mark_price(
                    req.symbol, max_age=float(setting_value("SPARK_MARK_PRICE_MAX_AGE", 2))
                )
                trailing = req.type == OrderType.TRAILING_STOP_MARKET
                item.checked = check_order(
                    item.filters,
                    side=req.side,
                    type=req.type,
                    quantity=req.quantity,
                    price=req.price,
                    stop_price=req.activation_price if trailing else req.stop_price,
                    mark_price=item.mark,
                    reduce_only=req.reduce_only or req.close_position,
                )
                if req.symbol not in synced:
                    synced.add(req.symbol)
                    _fresh_position(client, env, req)
            except BinanceError as exc:
                _refuse_all(user, items, item, exc.reason, exc)
                raise
            except ExchangeFilterError as exc:
                _refuse_all(user, items, item, exc.reason, exc)
                raise


def _fresh_position(client, env: str, req: OrderRequest) -> None:
    """As order.place: a REST read of the position when the stored one is too old for the gate."""
    if req.dry_run:
        stale = not selectors.position_was_read(env, req.symbol, req.position_side)
    else:
        max_age = float(setting_value("SPARK_POSITION_MAX_AGE", 5))
        stale = not selectors.position_is_fresh(env, req.symbol, max_age, req.position_side)
    if stale:
        requested_at = timezone.now()
        position_sync(
            client.positions(req.symbol),
            source="rest:order",
            requested_at=requested_at,
            symbols=(req.symbol,),
        )


def _refuse_all(user, items: list[_Item], culprit: _Item, reason: str, exc: DomainError) -> None:
    """Audit the refusal: the culprit with its error, every other item as refused with it."""
    reject_order(user, "order.place", culprit.request.symbol, reason, culprit.payload, exc)
    for other in items:
        if other is culprit:
            continue
        record(
            actor=user,
            action="order.place",
            target=other.request.symbol,
            payload={
                **other.payload,
                "error": {"code": "BATCH_REFUSED", "item": culprit.index, "cause": exc.code},
            },
            outcome=AuditEntry.Outcome.REJECTED,
        )


# -------------------------------------------------------------------------- gate and store


def _store(user, items: list[_Item], *, dry_run: bool) -> None:
    """Gate every item under one lock and store it; any refusal rolls the whole batch back.

    A live item stored PENDING_SUBMIT is an open order the next item's exposure read counts.
    Dry runs are not in that read (as for order.place), so the batch adds its own earlier
    items of the same symbol and side to their open quantity.
    """
    env = current_environment()
    paper_open: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    try:
        with transaction.atomic():
            limits = gate.lock()
            for item in items:
                req = item.request
                existing_pk = selectors.order_pk(req.client_order_id)
                if existing_pk is not None:  # the same batch, committed meanwhile
                    with _naming(item):
                        item.result = existing_result(Order.objects.get(pk=existing_pk), user, req)
                    continue
                decision = _decide(item, env, limits, paper_open)
                if not decision.allowed:
                    raise _Refused(item.index, decision)
                item.order = _create(user, item, env, decision)
                if dry_run and not (req.reduce_only or req.close_position):
                    paper_open[(req.symbol, req.side, req.position_side)] += item.checked.quantity
    except _Refused as refused:
        culprit = items[refused.index]
        for rule in refused.decision.rules:
            metrics.ORDER_REJECT.labels(reason=f"risk_{rule['rule']}").inc()
        exc = RiskRejected(refused.decision)
        _name_item(exc, refused.index)
        exc.details["fields"] = [{"field": f"orders[{refused.index}]", "message": "risk"}]
        culprit.payload["rules"] = refused.decision.rules
        _refuse_all(user, items, culprit, "risk", exc)
        raise exc from None


def _decide(item: _Item, env: str, limits, paper_open) -> gate.Decision:
    req, checked = item.request, item.checked
    intent = gate_intent(
        env,
        symbol=req.symbol,
        side=req.side,
        position_side=req.position_side,
        reducing=req.reduce_only or req.close_position,
        quantity=checked.quantity,
        price=checked.price if req.type != OrderType.MARKET else None,
        mark=item.mark,
        dry_run=req.dry_run,
        extra_open=paper_open[(req.symbol, req.side, req.position_side)],
    )
    return gate.evaluate(intent, limits=limits)


def _create(user, item: _Item, env: str, decision) -> Order:
    req, checked = item.request, item.checked
    order = new_order_row(
        user, req, checked, cid=req.client_order_id, env=env, source=SOURCE, decision=decision
    )
    if req.dry_run:
        # On paper as order.place: a marketable order fills at the mark, the rest rest.
        if marketable(order, item.mark):
            item.simulated = simulate_fill(order, item.filters, item.mark)
        else:
            order.apply_status(OrderStatus.NEW, strict=True)
            order.save(update_fields=["status", "updated_at"])
        order_changed_on_commit(order)
        item.result = OrderResult(
            order=order,
            created=True,
            executed="simulated",
            decision=order.risk_decision,
            simulated_fill=item.simulated,
            message=DRY_RUN_FILLED if item.simulated else DRY_RUN_RESTING,
        )
    return order


# ------------------------------------------------------------------------------ exchange


def _send(user, items: list[_Item]) -> None:
    """One place_batch call for the stored items; each answer settles its own order."""
    sending = [item for item in items if item.order is not None]
    if not sending:
        return
    client = client_from_settings()  # Binance has no batch on the WebSocket API: REST
    try:
        answers = client.place_batch([_wire(item.order) for item in sending])
    except BinanceError as exc:
        # The first call was refused (auth, rate limit) or lost: nothing is known to be placed.
        for item in sending:
            _settle_error(user, item, exc)
        raise
    for item, answer in zip(sending, answers, strict=True):
        if isinstance(answer, BinanceError):
            _settle_error(user, item, answer)
        else:
            _settle_answer(item, answer)


def _wire(order: Order) -> dict:
    return {
        "symbol": order.symbol,
        "side": order.side,
        "type": order.type,
        "quantity": order.quantity,
        "price": order.price,
        "stop_price": order.stop_price,
        "time_in_force": order.time_in_force or None,
        "reduce_only": order.reduce_only,
        "position_side": order.position_side,
        "client_order_id": order.client_order_id,
        "close_position": order.close_position,
        "callback_rate": order.callback_rate,
        "activation_price": order.activation_price,
    }


def _settle_error(user, item: _Item, exc: BinanceError) -> None:
    """An item the exchange refused ends REJECTED; one whose outcome is unknown, UNKNOWN."""
    order = item.order
    error = {"code": exc.code, **exc.details}  # as order.place stores it: codes, no prose
    reason = exc.reason
    if isinstance(exc, ExchangeUnavailable):
        # It may exist: reconciliation settles it; never sent again from here.
        order = set_status(order, OrderStatus.UNKNOWN, error=error)
        reason = "exchange_unknown"
    elif (
        not isinstance(exc, NoSuchOrder)
        and (mismatch := refusal_after_4061(exc, order.position_side)) is not None
    ):
        error = {"code": mismatch.code, "exchangeCode": exc.binance_code}
        order = set_status(order, OrderStatus.REJECTED, error=error)
        reason, exc = "position_side", mismatch
    else:
        # A refused item, or a lost one the exchange provably does not hold (NoSuchOrder).
        order = set_status(order, OrderStatus.REJECTED, error=error)
    reject_order(user, "order.place", order.symbol, reason, item.payload, exc)
    item.refused = True
    item.order = order
    item.result = _sent_result(order, item.order.user)
    unknown = order.status == OrderStatus.UNKNOWN
    item.result.message = ITEM_UNKNOWN if unknown else ITEM_REFUSED
    item.result.message_params = {"reason": message_of(exc)}


def _settle_answer(item: _Item, answer: dict) -> None:
    """The exchange's answer for a placed item, applied as order.place applies it."""
    placed = item.order
    order = placed
    if order.is_algo:
        order = algo_sync_from_exchange(answer, source="rest:batch") or order
    else:
        if not settle_placed(order, answer):
            order = order_sync_from_exchange(answer, source="rest:batch") or order
        if order.filled_qty > 0:
            selectors.mark_position_stale(order.environment, order.symbol)
    item.order = order
    item.result = _sent_result(order, placed.user if placed.user_id else None)


def _sent_result(order: Order, owner) -> OrderResult:
    if owner is not None and order.user_id == owner.pk:
        order.user = owner  # the row may have been re-read under lock; its owner is this one
    return OrderResult(
        order=order,
        created=True,
        executed="exchange",
        decision=order.risk_decision,
        message=SENT,
        message_params={"environment": order.environment, "status": order.status},
    )


def _finish(user, items: list[_Item], started: float) -> None:
    """Rounding notes, metrics and one audit entry per placed item (refusals are audited)."""
    elapsed_ms = (time.perf_counter() - started) * 1000
    for item in items:
        if item.order is None:  # answered as the stored order
            continue
        item.result.rounded = rounded_fields(item.request, item.checked)
        item.result.sized = item.sized
        order = item.result.order
        if item.refused:
            continue  # audited and counted as a refusal by _settle_error
        dry = "true" if order.dry_run else "false"
        metrics.ORDER_ACK.labels(symbol=order.symbol, dry_run=dry).inc()
        metrics.ORDER_PLACE_LATENCY_MS.labels(symbol=order.symbol, dry_run=dry).observe(elapsed_ms)
        record(
            actor=user,
            action="order.place",
            target=order.symbol,
            payload={
                **item.payload,
                "clientOrderId": order.client_order_id,
                "status": order.status,
                "executed": item.result.executed,
                "exchangeOrderId": order.exchange_order_id or order.algo_id,
            },
        )
