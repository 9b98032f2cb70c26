"""Acting on a position: close it (whole or part), protect it (TP/SL), trail it, move margin.

Every order goes through services.order_place, so each action has the same permission check,
risk gate, dry-run default, idempotent clientOrderId and `order.place` audit as any order.
What this module adds is reading the position from the exchange first: a close or a stop
sized from a stale row could open a position the other way.

Hedge mode (issue 22): every action names the position it acts on (positionSide LONG or SHORT,
checked against the mode read from the exchange exactly as order.place is). A close is a SELL on
LONG or a BUY on SHORT without reduceOnly (Binance refuses it there); TP/SL and trailing stops
carry the side, and replacing LONG's protection never touches SHORT's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.permissions import require
from audit.models import AuditEntry
from audit.services import record
from futures import position_mode, selectors
from futures.binance.errors import BinanceError
from futures.binance.rest import client_from_settings
from futures.models import ZERO, Order, OrderStatus, OrderType, PositionSide, PositionSnapshot
from futures.services import (
    Conflict,
    OrderRequest,
    OrderResult,
    audit_refusal,
    order_cancel,
    order_place,
)
from futures.sync import position_sync
from spark_site.errors import ValidationFailed
from spark_site.exchange_env import current_environment
from spark_site.money import decimal_text


class NoPosition(Conflict):
    code = "NO_POSITION"


def field_error(field: str, message: str, params: dict | None = None, **details):
    """A refusal of one field; with params, message is a template its values fill per language."""
    exc = ValidationFailed(message, params=params)
    shown = exc.localized_message() or exc.message
    exc.details = {"fields": [{"field": field, "message": shown}], **details}
    return exc


def _refuse(user, action: str, symbol: str, payload: dict, exc) -> None:
    record(
        actor=user,
        action=action,
        target=symbol,
        payload={**payload, "error": {"code": exc.code, "message": exc.message}},
        outcome=AuditEntry.Outcome.REJECTED,
    )


def position_amount(symbol: str, position_side: str = PositionSide.BOTH) -> Decimal:
    """The signed position of symbol's side (BOTH one-way; LONG or SHORT, short negative, in
    hedge mode), read from the exchange now (and stored)."""
    requested_at = timezone.now()
    rows = position_sync(
        client_from_settings().positions(symbol),
        source="rest:position",
        requested_at=requested_at,
        symbols=(symbol,),
    )
    return next(
        (r.position_amt for r in rows if r.symbol == symbol and r.position_side == position_side),
        ZERO,
    )


def _hedge(position_side: str) -> bool:
    return position_side in (PositionSide.LONG, PositionSide.SHORT)


def _checked_side(user, action: str, symbol: str, position_side: str | None, payload) -> str:
    """The side the action acts on, once it fits the account's mode: one-way BOTH (LONG/SHORT
    is 409), hedge LONG or SHORT (absent/BOTH is 400); refusals audited by position_mode."""
    side = position_side or PositionSide.BOTH
    position_mode.check_order_side(
        user=user,
        action=action,
        target=symbol,
        position_side=side,
        reduce_only=False,  # the action's orders are built without it in hedge mode
        payload=payload,
    )
    return side


def _closing_side(position_side: str, amt: Decimal) -> str:
    """The order side that shrinks the position: SELL closes LONG, BUY closes SHORT."""
    if _hedge(position_side):
        return "SELL" if position_side == PositionSide.LONG else "BUY"
    return "SELL" if amt > 0 else "BUY"


def _mark(symbol: str) -> Decimal:
    return client_from_settings().mark_price(symbol)


def _open_position(
    user, action: str, symbol: str, payload: dict, position_side: str = PositionSide.BOTH
) -> Decimal:
    amt = position_amount(symbol, position_side)
    if amt == 0:
        # The read shows the mode as it is now (side rows mark the account hedge): after a
        # switch the last reading missed, the refusal names the side to send, not "no position".
        _checked_side(user, action, symbol, position_side, payload)
        if _hedge(position_side):
            exc = NoPosition(
                gettext_noop("There is no open %(symbol)s %(side)s position."),
                params={"symbol": symbol, "side": position_side},
                details={"symbol": symbol, "positionSide": position_side},
            )
        else:
            exc = NoPosition(
                gettext_noop("There is no open %(symbol)s position."),
                params={"symbol": symbol},
                details={"symbol": symbol},
            )
        _refuse(user, action, symbol, payload, exc)
        raise exc
    return amt


def _part(user, action, symbol, payload, amt: Decimal, quantity: Decimal | None) -> Decimal:
    """The quantity to close: the whole position, or a part never bigger than it."""
    size = abs(amt)
    if quantity is None:
        return size
    if quantity > size:
        # Reduce-only or not, a close bigger than the position is a mistake: the exchange
        # would refuse it (-2022), or, were it not reduce-only, open the other side.
        exc = field_error(
            "quantity",
            gettext_noop("Quantity %(qty)s is bigger than the %(symbol)s position %(size)s."),
            {"qty": quantity.normalize(), "symbol": symbol, "size": size.normalize()},
            limit=decimal_text(size),
            value=decimal_text(quantity),
        )
        _refuse(user, action, symbol, payload, exc)
        raise exc
    return quantity


def _existing(cid: str | None) -> Order | None:
    pk = selectors.order_pk(cid) if cid else None
    return Order.objects.get(pk=pk) if pk is not None else None


# ------------------------------------------------------------------------------------ close


def position_close(
    *,
    user,
    symbol: str,
    quantity: Decimal | None = None,
    dry_run: bool = True,
    client_order_id: str | None = None,
    position_side: str | None = None,
) -> OrderResult:
    """Close symbol's position (one-way) or one side of it (hedge mode) with a MARKET order,
    whole or a part: reduce-only one-way; in hedge mode a SELL on LONG or a BUY on SHORT,
    which Binance never lets past that side's amount (nor open the other side)."""
    symbol = symbol.upper()
    require(user, "futures.place_order", action="position.close", target=symbol)
    payload = {
        "symbol": symbol,
        "quantity": quantity,
        "positionSide": position_side,
        "dryRun": dry_run,
    }
    done = _existing(client_order_id)
    if done is not None:
        # A repeat after the close went through: the position may be gone; answer the first
        # (another side or mode than the first asked is a 409 naming the field).
        side = position_side or PositionSide.BOTH
        return order_place(
            user=user,
            request=OrderRequest(
                symbol=symbol,
                side=done.side,
                type=OrderType.MARKET,
                quantity=quantity or done.quantity,
                reduce_only=not _hedge(side),
                position_side=side,
                client_order_id=client_order_id,
                dry_run=dry_run,
                source="position.close",
            ),
        )
    side = _checked_side(user, "position.close", symbol, position_side, payload)
    amt = _open_position(user, "position.close", symbol, payload, side)
    qty = _part(user, "position.close", symbol, payload, amt, quantity)
    return order_place(
        user=user,
        request=OrderRequest(
            symbol=symbol,
            side=_closing_side(side, amt),
            type=OrderType.MARKET,
            quantity=qty,
            reduce_only=not _hedge(side),
            position_side=side,
            client_order_id=client_order_id,
            dry_run=dry_run,
            source="position.close",
        ),
    )


# ------------------------------------------------------------------------------------ TP/SL


@dataclass
class ProtectResult:
    """The TP/SL orders placed, and the earlier ones they replaced (cancelled first)."""

    placed: list[OrderResult]
    replaced: list[Order]


# One sentence per case (not words put together), so each language can say it its own way.
_TRIGGER_SIDE = {
    (True, True): gettext_noop(
        "%(field)s must be above the mark price %(mark)s for a long position."
    ),
    (False, True): gettext_noop(
        "%(field)s must be below the mark price %(mark)s for a long position."
    ),
    (True, False): gettext_noop(
        "%(field)s must be above the mark price %(mark)s for a short position."
    ),
    (False, False): gettext_noop(
        "%(field)s must be below the mark price %(mark)s for a short position."
    ),
}


def check_side(
    field: str,
    price: Decimal,
    *,
    long: bool,
    above: bool,
    reference: Decimal,
    sentences: dict = _TRIGGER_SIDE,
    named: str = "mark",
) -> None:
    """A trigger on the wrong side of its reference (the mark, or an entry's price) would fire
    at once (Binance -2021): 422 naming field, with the reference as `named` in the details."""
    if (price > reference) != above or price == reference:
        raise field_error(
            field,
            sentences[(above, long)],
            {"field": field, named: reference.normalize()},
            **{named: decimal_text(reference)},
            value=decimal_text(price),
        )


def position_protect(
    *,
    user,
    symbol: str,
    take_profit: Decimal | None = None,
    stop_loss: Decimal | None = None,
    dry_run: bool = True,
    client_order_id: str | None = None,
    position_side: str | None = None,
) -> ProtectResult:
    """Put a TP and/or SL on symbol's position (closePosition), replacing any earlier one.

    Binance holds one closePosition order per direction (per side in hedge mode, where the
    orders carry positionSide and no reduceOnly) and cannot modify algo orders, so moving a
    stop is cancel-then-place; between the two the position is unprotected for the few
    milliseconds of one request. Replacing LONG's TP/SL never cancels SHORT's.
    """
    symbol = symbol.upper()
    require(user, "futures.place_order", action="position.protect", target=symbol)
    payload = {
        "symbol": symbol,
        "takeProfit": take_profit,
        "stopLoss": stop_loss,
        "positionSide": position_side,
        "dryRun": dry_run,
    }
    if take_profit is None and stop_loss is None:
        exc = field_error("stopLoss", _("Give takeProfit, stopLoss or both."))
        _refuse(user, "position.protect", symbol, payload, exc)
        raise exc
    legs = [
        (OrderType.TAKE_PROFIT_MARKET, "takeProfit", take_profit, "tp"),
        (OrderType.STOP_MARKET, "stopLoss", stop_loss, "sl"),
    ]
    legs = [leg for leg in legs if leg[2] is not None]
    cids = {
        suffix: f"{client_order_id}-{suffix}" if client_order_id else None for *_, suffix in legs
    }
    repeats = {suffix: _existing(cid) for suffix, cid in cids.items()}
    if all(repeats.values()):  # a repeat: the stored orders say what the position was
        first = next(iter(repeats.values()))
        side = position_side or PositionSide.BOTH
        amt = first.quantity if first.side == "SELL" else -first.quantity
    else:
        side = _checked_side(user, "position.protect", symbol, position_side, payload)
        amt = _open_position(user, "position.protect", symbol, payload, side)
    long = side == PositionSide.LONG if _hedge(side) else amt > 0
    if not all(repeats.values()):
        mark = _mark(symbol)
        try:
            for type_, field, price, _suffix in legs:
                # TP above the mark for a long, below for a short; SL the other way.
                above = long == (type_ == OrderType.TAKE_PROFIT_MARKET)
                check_side(field, price, long=long, above=above, reference=mark)
        except ValidationFailed as exc:
            _refuse(user, "position.protect", symbol, payload, exc)
            raise
    placed, replaced = [], []
    for type_, _field, price, suffix in legs:
        if repeats[suffix] is None:
            replaced += _cancel_protection(user, symbol, type_, side, dry_run=dry_run)
        placed.append(
            order_place(
                user=user,
                request=OrderRequest(
                    symbol=symbol,
                    side="SELL" if long else "BUY",
                    type=type_,
                    quantity=abs(amt),
                    stop_price=price,
                    close_position=True,
                    position_side=side,
                    client_order_id=cids[suffix],
                    dry_run=dry_run,
                    source="position.protect",
                ),
            )
        )
    return ProtectResult(placed=placed, replaced=replaced)


def protection_orders(
    symbol: str,
    type_: str | None = None,
    *,
    dry_run: bool | None = None,
    position_side: str | None = None,
):
    """The open closePosition (TP/SL) orders of symbol (of one side when given), newest first."""
    rows = Order.objects.filter(
        environment=current_environment(),
        symbol=symbol,
        close_position=True,
        status__in=(OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED, OrderStatus.UNKNOWN),
    )
    if type_ is not None:
        rows = rows.filter(type=type_)
    if position_side is not None:
        rows = rows.filter(position_side=position_side)
    if dry_run is not None:
        rows = rows.filter(dry_run=dry_run)
    return rows.select_related("user")


def _cancel_protection(
    user, symbol: str, type_: str, position_side: str, *, dry_run: bool
) -> list[Order]:
    """Cancel the open TP (or SL) of symbol's side before placing its replacement (a hedge
    account's other side keeps its own)."""
    gone = []
    for order in protection_orders(symbol, type_, dry_run=dry_run, position_side=position_side):
        gone.append(order_cancel(user=user, symbol=symbol, client_order_id=order.client_order_id))
    return gone


# --------------------------------------------------------------------------------- trailing


def order_trailing(
    *,
    user,
    symbol: str,
    callback_rate: Decimal,
    activation_price: Decimal | None = None,
    quantity: Decimal | None = None,
    dry_run: bool = True,
    client_order_id: str | None = None,
    position_side: str | None = None,
) -> OrderResult:
    """Trail symbol's position with a TRAILING_STOP_MARKET (whole or a part): reduce-only
    one-way, on the position's side (SELL LONG / BUY SHORT, no reduceOnly) in hedge mode."""
    symbol = symbol.upper()
    require(user, "futures.place_order", action="order.trailing", target=symbol)
    payload = {
        "symbol": symbol,
        "callbackRate": callback_rate,
        "activationPrice": activation_price,
        "quantity": quantity,
        "positionSide": position_side,
        "dryRun": dry_run,
    }
    done = _existing(client_order_id)
    if done is not None:
        side, qty = done.side, quantity or done.quantity
        position_side = position_side or PositionSide.BOTH
    else:
        position_side = _checked_side(user, "order.trailing", symbol, position_side, payload)
        amt = _open_position(user, "order.trailing", symbol, payload, position_side)
        qty = _part(user, "order.trailing", symbol, payload, amt, quantity)
        side = _closing_side(position_side, amt)
        if activation_price is not None:
            mark = _mark(symbol)
            try:
                # A SELL trail (of a long) activates when the price rises to it, a BUY one
                # when it falls: on the wrong side it would be active at once (-2021).
                check_side(
                    "activationPrice",
                    activation_price,
                    long=side == "SELL",
                    above=side == "SELL",
                    reference=mark,
                )
            except ValidationFailed as exc:
                _refuse(user, "order.trailing", symbol, payload, exc)
                raise
    return order_place(
        user=user,
        request=OrderRequest(
            symbol=symbol,
            side=side,
            type=OrderType.TRAILING_STOP_MARKET,
            quantity=qty,
            reduce_only=not _hedge(position_side),
            position_side=position_side,
            callback_rate=callback_rate,
            activation_price=activation_price,
            client_order_id=client_order_id,
            dry_run=dry_run,
            source="order.trailing",
        ),
    )


# ----------------------------------------------------------------------------------- margin


@dataclass(frozen=True)
class MarginChanged:
    """An isolated position's margin after an add or a reduce, as re-read from the exchange."""

    symbol: str
    type: str  # ADD or REDUCE
    amount: Decimal  # as the exchange moved it
    position: PositionSnapshot | None  # the re-read row (new isolated margin, liquidation)
    position_side: str = PositionSide.BOTH


def position_margin_change(
    *, user, symbol: str, amount: Decimal, add: bool, position_side: str | None = None
) -> MarginChanged:
    """Add or remove margin of an isolated position (the exchange refuses cross margin); in
    hedge mode of one side (LONG or SHORT), each side having its own isolated margin."""
    symbol = symbol.upper()
    action = "positionMargin.change"
    require(user, "futures.change_margin_type", action=action, target=symbol)
    payload = {
        "symbol": symbol,
        "amount": amount,
        "type": "ADD" if add else "REDUCE",
        "positionSide": position_side,
    }
    side = _checked_side(user, action, symbol, position_side, payload)
    amt = _open_position(user, action, symbol, payload, side)
    try:
        answer = client_from_settings().position_margin(
            symbol, amount, add=add, position_side=side if _hedge(side) else None
        )
    except BinanceError as exc:
        audit_refusal(user, action, symbol, payload, exc)
        raise
    position_amount(symbol, side)  # re-read: the new isolated margin and liquidation price
    row = PositionSnapshot.objects.filter(
        environment=current_environment(), symbol=symbol, position_side=side
    ).first()
    record(actor=user, action=action, target=symbol, payload={**payload, "position": amt})
    return MarginChanged(
        symbol=symbol,
        type=payload["type"],
        amount=Decimal(str(answer.get("amount", amount))),
        position=row,
        position_side=side,
    )
