"""Order modify (`PUT /fapi/v1/order`) with Binance's rules, and the amendment history.

Only resting LIMIT orders change; price and quantity pass the same filters as a new order.
Binance cancels (rather than refuses) an amendment that leaves a partly filled order with
nothing to fill, and a post-only (GTX) order whose new price would take liquidity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from simexchange.accounts import D0, Account, Order
from simexchange.errors import BinanceError
from simexchange.market import SYMBOLS
from simexchange.matching import PERCENT_DOWN, PERCENT_UP, Engine, check_price, check_qty

MAX_AMENDMENTS = 10_000
PRICE_MATCHES = (
    "OPPONENT",
    "OPPONENT_5",
    "OPPONENT_10",
    "OPPONENT_20",
    "QUEUE",
    "QUEUE_5",
    "QUEUE_10",
    "QUEUE_20",
)
NO_SUCH_ORDER = (-2013, "Order does not exist.")


@dataclass
class Amendments:
    """Every accepted amendment, newest last; ids are global as on Binance."""

    rows: list[dict] = field(default_factory=list)
    counts: dict[int, int] = field(default_factory=dict)  # order id -> amendments so far
    next_id: int = 1

    def record(self, order: Order, before: tuple[Decimal, Decimal], now: int) -> None:
        spec = SYMBOLS[order.symbol]
        count = self.counts.get(order.order_id, 0) + 1
        self.counts[order.order_id] = count
        self.rows.append(
            {
                "amendmentId": self.next_id,
                "symbol": order.symbol,
                "pair": order.symbol,
                "orderId": order.order_id,
                "clientOrderId": order.client_order_id,
                "time": now,
                "amendment": {
                    "price": {
                        "before": spec.fmt_price(before[0]),
                        "after": spec.fmt_price(order.price),
                    },
                    "origQty": {
                        "before": spec.fmt_qty(before[1]),
                        "after": spec.fmt_qty(order.orig_qty),
                    },
                    "count": count,
                },
            }
        )
        self.next_id += 1
        if len(self.rows) > 20_000:
            del self.rows[:10_000]

    def load(self, rows: list[dict], seq: int) -> None:
        """Restore from the state file; per-order counts are the rows' own `count`."""
        self.rows = list(rows)
        self.next_id = seq + 1
        self.counts = {}
        for r in self.rows:
            oid = r["orderId"]
            self.counts[oid] = max(self.counts.get(oid, 0), r["amendment"]["count"])

    def of_order(self, order_id: int) -> list[dict]:
        return [r for r in self.rows if r["orderId"] == order_id]


def match_price(engine: Engine, symbol: str, side: str, mode: str) -> Decimal:
    """The price a priceMatch mode names on the stand-in's book (OPPONENT = other side)."""
    mkt = engine.markets[symbol]
    level = int(mode.split("_")[1]) if "_" in mode else 1
    bids, asks = mkt.book(level)
    opponent = mode.startswith("OPPONENT")
    book = (asks if side == "BUY" else bids) if opponent else (bids if side == "BUY" else asks)
    return book[level - 1][0]


def modify(
    engine: Engine,
    amendments: Amendments,
    acc: Account,
    order: Order,
    *,
    side: str,
    quantity: Decimal,
    price: Decimal | None,
    price_match: str | None,
    reduce_only: bool = False,
) -> dict:
    """Apply one amendment to order and return its REST body; raise Binance's refusals.

    `reduce_only` only validates (Binance's rule): true on a reduce-only order skips the
    minimum notional, true on any other order is -5047; it never changes the order's flag.
    """
    if not order.is_open:
        raise BinanceError(*NO_SUCH_ORDER)
    if order.type != "LIMIT":
        raise BinanceError(-5025, "Only limit order is supported.")
    if side != order.side:
        raise BinanceError(-1117, "Invalid side.")
    if reduce_only and not order.reduce_only:
        raise BinanceError(-5047, "The original order is not a reduce-only order")
    if amendments.counts.get(order.order_id, 0) >= MAX_AMENDMENTS:
        raise BinanceError(-5026, "Exceed maximum modify order limit.")
    spec = SYMBOLS[order.symbol]
    mkt = engine.markets[order.symbol]
    if price_match is not None:
        price = match_price(engine, order.symbol, side, price_match)
    assert price is not None
    check_qty(spec, quantity, market=False)
    check_price(spec, price)
    if side == "BUY" and price > mkt.mark * PERCENT_UP:
        limit = spec.floor_tick(mkt.mark * PERCENT_UP)
        raise BinanceError(-4016, f"Limit price can't be higher than {limit}.")
    if side == "SELL" and price < mkt.mark * PERCENT_DOWN:
        limit = spec.ceil_tick(mkt.mark * PERCENT_DOWN)
        raise BinanceError(-4024, f"Limit price can't be lower than {limit}.")
    unchanged_match = (price_match or "NONE") == order.price_match
    if price == order.price and quantity == order.orig_qty and unchanged_match:
        raise BinanceError(-5027, "No need to modify the order.")
    if not reduce_only and quantity * price < spec.min_notional:
        raise BinanceError(-5029, f"Order's notional must be no smaller than {spec.min_notional}")
    if not order.reduce_only:
        marks = engine.marks()
        reserved = acc.order_margin(order, marks)
        need = max(D0, quantity - order.executed_qty) * price / acc.position(order.symbol).leverage
        if need - reserved > acc.summary(marks)["available"]:
            raise BinanceError(-2019, "Margin is insufficient.")
    crosses = (side == "BUY" and price >= mkt.best_ask()) or (
        side == "SELL" and price <= mkt.best_bid()
    )
    if (order.executed_qty and quantity <= order.executed_qty) or (
        order.time_in_force == "GTX" and crosses
    ):
        # Binance cancels the order: nothing would be left to fill, or post-only would take
        return engine.cancel_order(acc, order)
    now = engine.now_ms()
    before = (order.price, order.orig_qty)
    order.price = price
    order.orig_qty = quantity
    order.price_match = price_match or "NONE"
    order.update_time = now
    amendments.record(order, before, now)
    engine._order_event(acc, order, "AMENDMENT")
    if crosses:
        engine._execute_taker(acc, order)
    engine.changed()
    return order.to_api()
