"""Dry-run orders that rest: a LIMIT away from the market, a TP/SL trigger, a trailing stop, filled
on paper when the market crosses them (as freqtrade's dry-run does), never at placement.

Filling a resting limit at its own price the moment it is placed reported fills that never could
have happened (issue 23). The market streams call `fill_crossed` with each symbol's latest price;
`PaperWatch` keeps that to one cheap query a second per symbol while nothing rests.
"""

from __future__ import annotations

import logging
import time
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from futures import attached
from futures.models import Order, OrderStatus, OrderType
from futures.services import paper_fill_record
from futures.sync import order_changed_on_commit
from spark_site.exchange_env import current_environment

logger = logging.getLogger(__name__)


def crossed(order: Order, price: Decimal) -> bool:
    """True when the market at price has reached order (limit or trigger)."""
    buy = order.side == "BUY"
    if order.type == OrderType.LIMIT:
        return price <= order.price if buy else price >= order.price
    if order.type in (OrderType.STOP_MARKET, OrderType.STOP):
        return price >= order.stop_price if buy else price <= order.stop_price
    if order.type in (OrderType.TAKE_PROFIT_MARKET, OrderType.TAKE_PROFIT):
        return price <= order.stop_price if buy else price >= order.stop_price
    return False  # a trailing stop moves with the market: see trailed()


def trailed(order: Order, price: Decimal) -> bool:
    """Advance a paper TRAILING_STOP_MARKET by one price; True when it triggers.

    The same rule as Binance and the stand-in: a SELL trail (protecting a long) activates when the
    price reaches activationPrice from below (at once when none is set: Binance's default is the
    price at placement), then keeps the highest price seen and triggers when the price falls
    callbackRate % below it; a BUY trail mirrors that. The best price is kept on the row, so a
    restart of the streams does not forget how far the trail has moved.
    """
    sell = order.side == "SELL"
    best = order.trail_extreme
    if best is None:
        start = order.activation_price
        if start is not None and (price < start if sell else price > start):
            return False
        order.trail_extreme = price
        order.save(update_fields=["trail_extreme"])
        return False
    moved = max(best, price) if sell else min(best, price)
    if moved != best:
        order.trail_extreme = moved
        order.save(update_fields=["trail_extreme"])
    rate = order.callback_rate / 100
    return price <= moved * (1 - rate) if sell else price >= moved * (1 + rate)


def resting(symbol: str):
    return Order.objects.filter(
        environment=current_environment(),
        symbol=symbol,
        dry_run=True,
        status=OrderStatus.NEW,
    )


def fill_crossed(symbol: str, price: Decimal) -> list[Order]:
    """Fill every resting dry-run order of symbol the market price has crossed; return them."""
    filled = []
    with transaction.atomic():
        # lock the rows: two stream processes (or a cancel) must not fill or cancel one twice
        for order in resting(symbol).select_for_update().order_by("created_at"):
            if order.type == OrderType.TRAILING_STOP_MARKET:
                if not trailed(order, price):
                    continue
            elif not crossed(order, price):
                continue
            _fill(order, price)
            filled.append(order)
    for order in filled:
        logger.info("dry-run %s filled on paper at %s", order.client_order_id, order.avg_price)
        attached.cancel_sibling(order)  # a paper TP filled: its SL goes, and the other way
    if filled:
        attached.attach_due()  # a paper entry filled: its TP/SL go on now
    return filled


def _fill(order: Order, market: Decimal) -> None:
    """A limit fills at its price (maker); a trigger at the market price that reached it."""
    maker = order.type == OrderType.LIMIT
    price = order.price if maker else market
    rate = settings.SPARK_DRY_RUN_MAKER_FEE if maker else settings.SPARK_DRY_RUN_TAKER_FEE
    paper_fill_record(order, price, is_maker=maker, fee_rate=rate)
    order_changed_on_commit(order)


class PaperWatch:
    """Decide, cheaply, when a price is worth matching against resting paper orders.

    Asks the database at most every `every` seconds per symbol whether anything rests; while
    something does, every price is matched.
    """

    def __init__(self, every: float = 1.0):
        self.every = every
        self._checked: dict[str, float] = {}
        self._resting: dict[str, bool] = {}

    def wanted(self, symbol: str) -> bool:
        now = time.monotonic()
        if now - self._checked.get(symbol, -1e9) >= self.every:
            self._checked[symbol] = now
            self._resting[symbol] = resting(symbol).exists()
        return self._resting.get(symbol, False)

    def match(self, symbol: str, price: Decimal) -> list[Order]:
        """fill_crossed when something may rest; the sync half the stream runs in a thread."""
        if not self.wanted(symbol):
            return []
        done = fill_crossed(symbol, price)
        if done:
            self._checked[symbol] = -1e9  # look again next time: maybe nothing rests now
        return done
