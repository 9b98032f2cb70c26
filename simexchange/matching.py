"""The matching engine: order placement rules, fills, resting limits, algo triggers, liquidation.

Runs on the event loop thread only, so no locks: every call completes before the next begins.
User fills trade against a synthetic book that is replenished at once, so they do not move the
public price; resting LIMIT orders fill (as maker, at their price) when the last price reaches
them; conditional orders trigger on the last or mark price and spawn a normal order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from simexchange import brackets
from simexchange.accounts import (
    D0,
    MAKER_FEE,
    TAKER_FEE,
    Account,
    AlgoOrder,
    Order,
    Position,
    money,
)
from simexchange.errors import BinanceError
from simexchange.market import SYMBOLS, SymbolSpec, SymbolState

CLIENT_ID_RE = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
CONDITIONAL_TYPES = ("STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET")
ALGO_TYPES = CONDITIONAL_TYPES + ("TRAILING_STOP_MARKET",)
MAX_DECIMALS = 8
PRECISION_MSG = "Precision is over the maximum defined for this asset."
PERCENT_UP = Decimal("1.05")
PERCENT_DOWN = Decimal("0.95")
MARGIN_CALL_RATIO = Decimal("0.8")
TRIGGER_PROTECT = Decimal("0.05")  # exchangeInfo's triggerProtect of every symbol
MAX_NUM_ORDERS = 200  # exchangeInfo's MAX_NUM_ORDERS filter: open orders per symbol
MAX_NUM_ALGO_ORDERS = 10  # MAX_NUM_ALGO_ORDERS: open conditional orders per symbol

Emit = Callable[[str, dict], None]


def decimals_of(value: Decimal) -> int:
    """Significant decimals: "0.0100" counts 2, as trailing zeros add no precision."""
    exp = value.normalize().as_tuple().exponent
    return -exp if isinstance(exp, int) and exp < 0 else 0


def check_price(spec: SymbolSpec, price: Decimal) -> None:
    """PRICE_FILTER: precision, bounds and tick grid."""
    if decimals_of(price) > min(MAX_DECIMALS, spec.price_precision):
        raise BinanceError(-1111, PRECISION_MSG)
    if price <= 0:
        raise BinanceError(-4001, "Price less than 0.")
    if price < spec.min_price:
        raise BinanceError(-4013, "Price less than min price.")
    if price > spec.max_price:
        raise BinanceError(-4016, f"Limit price can't be higher than {spec.max_price}.")
    if (price - spec.min_price) % spec.tick:
        raise BinanceError(-4014, "Price not increased by tick size.")


def check_qty(spec: SymbolSpec, qty: Decimal, market: bool) -> None:
    """LOT_SIZE / MARKET_LOT_SIZE: precision, bounds and step grid."""
    lo, hi, step = (
        (spec.market_min_qty, spec.market_max_qty, spec.market_step)
        if market
        else (spec.min_qty, spec.max_qty, spec.step)
    )
    # more decimals than the symbol's quantityPrecision is -1111; within it but off the
    # step grid is -4023 (Binance's order of checks)
    if decimals_of(qty) > min(MAX_DECIMALS, spec.quantity_precision):
        raise BinanceError(-1111, PRECISION_MSG)
    if qty <= 0:
        raise BinanceError(-4003, "Quantity less than or equal to zero.")
    if qty < lo:
        raise BinanceError(-4004, f"Quantity less than min quantity {lo}.")
    if qty > hi:
        raise BinanceError(-4005, f"Quantity greater than max quantity {hi}.")
    if (qty - lo) % step:
        raise BinanceError(-4023, "Qty not increased by step size.")


class Engine:
    """All accounts and markets; the single writer of their state."""

    def __init__(
        self,
        accounts: dict[str, Account],
        markets: dict[str, SymbolState],
        now_ms: Callable[[], int],
    ):
        self.accounts = accounts
        self.markets = markets
        self.now_ms = now_ms
        self.next_order_id = 4_000_000_001
        self.next_trade_id = 300_000_001
        self.next_algo_id = 1_000_000_001
        self.emit: Emit = lambda key, event: None
        self.changed: Callable[[], None] = lambda: None
        self.public_trade: Callable[[str, Decimal, Decimal, bool], None] = lambda *a: None

    # ------------------------------------------------------------ helpers

    def marks(self) -> dict[str, Decimal]:
        return {s: m.mark for s, m in self.markets.items()}

    def _new_order_id(self) -> int:
        self.next_order_id += 1
        return self.next_order_id - 1

    def _check_client_id(self, acc: Account, client_id: str, algo: bool = False) -> None:
        if not CLIENT_ID_RE.match(client_id):
            raise BinanceError(-4015, "Client order id is not valid.")
        if client_id in acc.recent_client_ids:
            raise BinanceError(-4116, "ClientOrderId is duplicated.")

    def _opening_qty(
        self, acc: Account, symbol: str, side: str, qty: Decimal, position_side: str = "BOTH"
    ) -> Decimal:
        """The part of qty that would open or increase exposure (needs margin)."""
        pos = acc.position(symbol, position_side)
        sign = 1 if side == "BUY" else -1
        if not pos.amt or (pos.amt > 0) == (sign > 0):
            return qty
        return max(D0, qty - abs(pos.amt))

    def _check_reduce_only(
        self, acc: Account, symbol: str, side: str, position_side: str = "BOTH", qty: Decimal = D0
    ) -> None:
        """reduceOnly (one-way) or a hedge-mode close: there must be that much to reduce."""
        pos = acc.position(symbol, position_side)
        if not pos.amt or (pos.amt > 0) == (side == "BUY"):
            raise BinanceError(-2022, "ReduceOnly Order is rejected.")
        if position_side != "BOTH" and qty > abs(pos.amt):
            raise BinanceError(-2022, "ReduceOnly Order is rejected.")

    def _check_margin(
        self,
        acc: Account,
        symbol: str,
        side: str,
        qty: Decimal,
        price: Decimal,
        position_side: str = "BOTH",
    ):
        opening = self._opening_qty(acc, symbol, side, qty, position_side)
        if not opening:
            return
        pos = acc.position(symbol, position_side)
        lev = pos.leverage
        # the bracket of the leverage caps the position this order would leave (Binance -2027)
        after = (abs(pos.amt) if (pos.amt > 0) == (side == "BUY") else D0) + opening
        if after * price > brackets.max_notional(symbol, lev):
            raise BinanceError(
                -2027, "Exceeded the maximum allowable position at current leverage."
            )
        need = opening * price / lev + opening * price * TAKER_FEE
        if need > acc.summary(self.marks())["available"]:
            raise BinanceError(-2019, "Margin is insufficient.")

    # ------------------------------------------------------------ orders

    def place_order(
        self,
        acc: Account,
        *,
        symbol: str,
        side: str,
        type_: str,
        quantity: Decimal,
        price: Decimal | None = None,
        time_in_force: str | None = None,
        reduce_only: bool = False,
        client_order_id: str | None = None,
        resp_type: str = "ACK",
        orig_type: str | None = None,
        stop_price: Decimal = D0,
        working_type: str = "CONTRACT_PRICE",
        close_position: bool = False,
        validate_only: bool = False,
        position_side: str = "BOTH",
        activate_price: Decimal = D0,
        price_rate: Decimal = D0,
    ) -> tuple[Order, dict]:
        """Validate, accept and execute a LIMIT or MARKET order; return it and its answer body.

        position_side is already checked against the account's mode (simexchange.hedge); a
        hedge-mode close (SELL LONG / BUY SHORT) behaves as reduce-only without the flag.
        """
        spec = SYMBOLS[symbol]
        mkt = self.markets[symbol]
        market = type_ == "MARKET"
        reduces = reduce_only or (position_side, side) in (("LONG", "SELL"), ("SHORT", "BUY"))
        check_qty(spec, quantity, market)
        if market:
            ref = mkt.best_ask() if side == "BUY" else mkt.best_bid()
            tif = "GTC"
        else:
            assert price is not None and time_in_force is not None
            check_price(spec, price)
            if side == "BUY" and price > mkt.mark * PERCENT_UP:
                limit = spec.floor_tick(mkt.mark * PERCENT_UP)
                raise BinanceError(-4016, f"Limit price can't be higher than {limit}.")
            if side == "SELL" and price < mkt.mark * PERCENT_DOWN:
                limit = spec.ceil_tick(mkt.mark * PERCENT_DOWN)
                raise BinanceError(-4024, f"Limit price can't be lower than {limit}.")
            ref = price
            tif = time_in_force
        notional_ref = mkt.mark if market else price
        if not reduces and quantity * notional_ref < spec.min_notional:
            raise BinanceError(
                -4164,
                f"Order's notional must be no smaller than {spec.min_notional} "
                "(unless you choose reduce only).",
            )
        if client_order_id is not None:
            self._check_client_id(acc, client_order_id)
        if len(acc.open_orders(symbol)) >= MAX_NUM_ORDERS:
            raise BinanceError(-2025, "Reach max open order limit.")
        if reduces:
            self._check_reduce_only(acc, symbol, side, position_side, quantity)
        else:
            self._check_margin(acc, symbol, side, quantity, ref, position_side)
        if not market:
            crosses = (side == "BUY" and price >= mkt.best_ask()) or (
                side == "SELL" and price <= mkt.best_bid()
            )
            if tif == "GTX" and crosses:
                raise BinanceError(
                    -5022,
                    "Due to the order could not be executed as maker, the Post Only order will "
                    "be rejected. The order will not be recorded in the order history",
                )
            if tif == "FOK":
                fillable = sum((q for _, q in mkt.sweep(side, quantity, price)), D0)
                if reduces:
                    fillable = min(fillable, abs(acc.position(symbol, position_side).amt))
                if fillable < quantity:
                    raise BinanceError(
                        -5021,
                        "Due to the order could not be filled immediately, the FOK order has "
                        "been rejected. The order will not be recorded in the order history",
                    )
        if validate_only:
            return None, {}  # type: ignore[return-value]
        now = self.now_ms()
        oid = self._new_order_id()
        order = Order(
            order_id=oid,
            client_order_id=client_order_id or f"sim_{oid}",
            symbol=symbol,
            side=side,
            type=type_,
            orig_type=orig_type or type_,
            time_in_force=tif,
            price=D0 if market else price,  # type: ignore[arg-type]
            orig_qty=quantity,
            time=now,
            update_time=now,
            reduce_only=reduce_only,
            stop_price=stop_price,
            working_type=working_type,
            close_position=close_position,
            resp_type=resp_type,
            position_side=position_side,
            activate_price=activate_price,
            price_rate=price_rate,
        )
        acc.orders[oid] = order
        acc.remember_client_id(order.client_order_id, oid)
        acc.order_times.append(now)
        ack = order.to_api()
        self._order_event(acc, order, "NEW")
        self._execute_taker(acc, order)
        self._prune(acc)
        self.changed()
        return order, (ack if resp_type == "ACK" else order.to_api())

    def _execute_taker(self, acc: Account, order: Order) -> None:
        """Take liquidity at once where the order crosses; rest or expire the remainder."""
        mkt = self.markets[order.symbol]
        limit = None if order.type == "MARKET" else order.price
        crosses = order.type == "MARKET" or (
            (order.side == "BUY" and order.price >= mkt.best_ask())
            or (order.side == "SELL" and order.price <= mkt.best_bid())
        )
        if crosses:
            qty = order.remaining
            if order.reduces:
                qty = min(qty, self._reducible(acc, order))
            for px, q in mkt.sweep(order.side, qty, limit):
                self._fill(acc, order, px, q, maker=False)
        if (
            order.remaining
            and (order.type == "MARKET" or order.time_in_force in ("IOC", "FOK"))
            or order.reduces
            and order.is_open
            and not self._reducible(acc, order)
        ):
            self._finish(acc, order, "EXPIRED")

    def _reducible(self, acc: Account, order: Order) -> Decimal:
        pos = acc.position(order.symbol, order.position_side)
        if not pos.amt or (pos.amt > 0) == (order.side == "BUY"):
            return D0
        return abs(pos.amt)

    def _finish(self, acc: Account, order: Order, status: str) -> None:
        order.status = status
        order.update_time = self.now_ms()
        self._order_event(acc, order, status)

    def cancel_order(self, acc: Account, order: Order) -> dict:
        if not order.is_open:
            raise BinanceError(-2011, "Unknown order sent.")
        self._finish(acc, order, "CANCELED")
        self.changed()
        return order.to_api()

    def cancel_all(self, acc: Account, symbol: str) -> None:
        for order in acc.open_orders(symbol):
            self._finish(acc, order, "CANCELED")
        self.changed()

    def _prune(self, acc: Account) -> None:
        """Forget closed orders beyond the newest 2000 (Binance also ages them out)."""
        if len(acc.orders) > 3000:
            closed = [oid for oid, o in acc.orders.items() if not o.is_open]
            for oid in closed[: len(acc.orders) - 2000]:
                del acc.orders[oid]
        if len(acc.trades) > 5000:
            del acc.trades[: len(acc.trades) - 5000]

    # ------------------------------------------------------------ fills

    def _fill(self, acc: Account, order: Order, price: Decimal, qty: Decimal, maker: bool) -> None:
        """Apply one trade to the order, the position and the wallet; emit the user events."""
        now = self.now_ms()
        pos = acc.position(order.symbol, order.position_side)
        fee = price * qty * (MAKER_FEE if maker else TAKER_FEE)
        realized = self._apply_to_position(pos, order.side, price, qty)
        pos.update_time = now
        acc.wallet += realized - fee
        acc.update_time = now
        order.executed_qty += qty
        order.cum_quote += price * qty
        order.status = "FILLED" if not order.remaining else "PARTIALLY_FILLED"
        order.update_time = now
        trade_id = self.next_trade_id
        self.next_trade_id += 1
        spec = SYMBOLS[order.symbol]
        acc.trades.append(
            {
                "buyer": order.side == "BUY",
                "commission": money(fee),
                "commissionAsset": "USDT",
                "id": trade_id,
                "maker": maker,
                "orderId": order.order_id,
                "price": spec.fmt_price(price),
                "qty": spec.fmt_qty(qty),
                "quoteQty": money(price * qty),
                "realizedPnl": money(realized),
                "side": order.side,
                "positionSide": order.position_side,
                "symbol": order.symbol,
                "time": now,
            }
        )
        self.public_trade(order.symbol, price, qty, order.side == "SELL")
        self._order_event(
            acc,
            order,
            "TRADE",
            last=(price, qty, trade_id, fee, realized, maker),
        )
        self._account_event(acc, [pos], "ORDER")

    @staticmethod
    def _apply_to_position(pos: Position, side: str, price: Decimal, qty: Decimal) -> Decimal:
        """Move the position by a fill; return realized PnL (before fees)."""
        sign = 1 if side == "BUY" else -1
        old = pos.amt
        realized = D0
        if not old or (old > 0) == (sign > 0):
            new = old + sign * qty
            pos.entry = (abs(old) * pos.entry + qty * price) / abs(new)
            pos.amt = new
            if pos.margin_type == "isolated":
                pos.isolated_wallet += qty * price / pos.leverage
        else:
            close = min(qty, abs(old))
            realized = (price - pos.entry) * close * (1 if old > 0 else -1)
            if pos.margin_type == "isolated":
                pos.isolated_wallet -= pos.isolated_wallet * close / abs(old)
            pos.amt = old + sign * qty
            if not pos.amt:
                pos.entry = D0
                pos.isolated_wallet = D0
            elif (pos.amt > 0) != (old > 0):  # flipped: the rest opens at the fill price
                pos.entry = price
                if pos.margin_type == "isolated":
                    pos.isolated_wallet = abs(pos.amt) * price / pos.leverage
        if pos.margin_type == "isolated" and pos.amt:
            pos.isolated_wallet += realized  # isolated PnL stays with the position's margin
        pos.realized += realized
        return realized

    # ------------------------------------------------------------ price moves

    def on_price(self, symbol: str) -> None:
        """Run resting limits, algo triggers and the liquidation check after a price change."""
        mkt = self.markets[symbol]
        touched = False
        for acc in self.accounts.values():
            for order in acc.open_orders(symbol):
                if order.type != "LIMIT":
                    continue
                if (order.side == "BUY" and mkt.last <= order.price) or (
                    order.side == "SELL" and mkt.last >= order.price
                ):
                    qty = order.remaining
                    if order.reduces:
                        qty = min(qty, self._reducible(acc, order))
                    if qty > 0:
                        self._fill(acc, order, order.price, qty, maker=True)
                        touched = True
                    if order.is_open and order.reduces:
                        self._finish(acc, order, "EXPIRED")
            for algo in acc.open_algos(symbol):
                if self._algo_should_trigger(algo, mkt):
                    self._trigger(acc, algo)
                    touched = True
            if any(p.amt for p in acc.positions.values()):
                touched |= self._check_liquidation(acc)
        if touched:
            self.changed()

    # ------------------------------------------------------------ algo orders

    def place_algo(self, acc: Account, algo: AlgoOrder) -> dict:
        """Accept a conditional order (already parsed); -2021 if it would trigger at once."""
        mkt = self.markets[algo.symbol]
        self._check_client_id(acc, algo.client_algo_id)
        open_algos = acc.open_algos(algo.symbol)
        if len(open_algos) >= MAX_NUM_ALGO_ORDERS:
            raise BinanceError(-4045, "Reach max stop order limit.")
        if algo.close_position and any(
            a.close_position
            and (a.side, a.position_side, a.order_type)
            == (algo.side, algo.position_side, algo.order_type)
            for a in open_algos
        ):
            # one Close-All stop and one Close-All take-profit per direction, no more
            raise BinanceError(
                -4130,
                "An open stop or take profit order with GTE and closePosition in the direction "
                "is existing.",
            )
        if algo.order_type == "TRAILING_STOP_MARKET":
            ref = self._algo_ref(algo, mkt)
            if algo.activate_price:
                # a SELL trail activates when the price rises to activatePrice: it must be
                # above the market now (a BUY's below), or it would activate at once
                bad = (algo.side == "SELL" and algo.activate_price <= ref) or (
                    algo.side == "BUY" and algo.activate_price >= ref
                )
                if bad:
                    raise BinanceError(-2021, "Order would immediately trigger.")
            else:
                # Binance's default activation price is the current price (of workingType)
                algo.activate_price = ref
                algo.activated = True
                algo.extreme = ref
        elif self._crossed(algo, self._algo_ref(algo, mkt)):
            raise BinanceError(-2021, "Order would immediately trigger.")
        acc.algo_orders[algo.algo_id] = algo
        acc.remember_client_id(algo.client_algo_id, algo.algo_id)
        acc.order_times.append(algo.create_time)
        self._algo_event(acc, algo)
        self.changed()
        return algo.to_api()

    def cancel_algo(self, acc: Account, algo: AlgoOrder) -> None:
        if not algo.is_open:
            raise BinanceError(-2011, "Unknown order sent.")
        algo.status = "CANCELED"
        algo.update_time = self.now_ms()
        self._algo_event(acc, algo)
        self.changed()

    @staticmethod
    def _algo_ref(algo: AlgoOrder, mkt: SymbolState) -> Decimal:
        return mkt.mark if algo.working_type == "MARK_PRICE" else mkt.last

    @staticmethod
    def _crossed(algo: AlgoOrder, ref: Decimal) -> bool:
        stop = algo.order_type in ("STOP", "STOP_MARKET")
        if (algo.side == "BUY") == stop:
            return ref >= algo.trigger_price
        return ref <= algo.trigger_price

    def _algo_should_trigger(self, algo: AlgoOrder, mkt: SymbolState) -> bool:
        ref = self._algo_ref(algo, mkt)
        if algo.order_type != "TRAILING_STOP_MARKET":
            if algo.price_protect and abs(mkt.mark - mkt.last) > mkt.mark * TRIGGER_PROTECT:
                # priceProtect: no trigger while mark and last are further apart than the
                # symbol's triggerProtect (exchangeInfo), so a wick of one does not fire it
                return False
            return self._crossed(algo, ref)
        if not algo.activated:
            if (algo.side == "SELL" and ref >= algo.activate_price) or (
                algo.side == "BUY" and ref <= algo.activate_price
            ):
                algo.activated = True
                algo.extreme = ref
            return False
        rate = algo.callback_rate / 100
        if algo.side == "SELL":
            algo.extreme = max(algo.extreme, ref)
            return ref <= algo.extreme * (1 - rate)
        algo.extreme = min(algo.extreme, ref)
        return ref >= algo.extreme * (1 + rate)

    def _trigger(self, acc: Account, algo: AlgoOrder) -> None:
        """Spawn the algo's normal order; the algo ends FINISHED, or REJECTED with a reason."""
        now = self.now_ms()
        algo.trigger_time = now
        algo.update_time = now
        algo.status = "TRIGGERING"
        qty = algo.quantity
        reduce_only = algo.reduce_only
        if algo.close_position:
            qty = abs(acc.position(algo.symbol, algo.position_side).amt)
            # hedge mode takes no reduceOnly: the close side (SELL LONG / BUY SHORT) reduces
            reduce_only = algo.position_side == "BOTH"
        limit_type = algo.order_type in ("STOP", "TAKE_PROFIT")
        try:
            if not qty:
                raise BinanceError(-2022, "ReduceOnly Order is rejected.")
            order, _ = self.place_order(
                acc,
                symbol=algo.symbol,
                side=algo.side,
                type_="LIMIT" if limit_type else "MARKET",
                quantity=qty,
                price=algo.price if limit_type else None,
                time_in_force=algo.time_in_force if limit_type else None,
                reduce_only=reduce_only,
                client_order_id=None,
                orig_type=algo.order_type,
                stop_price=algo.trigger_price,
                working_type=algo.working_type,
                close_position=algo.close_position,
                position_side=algo.position_side,
                activate_price=algo.activate_price,
                price_rate=algo.callback_rate,
            )
        except BinanceError as exc:
            algo.status = "REJECTED"
            algo.fail_reason = exc.msg
            self._algo_event(acc, algo)
            return
        algo.actual_order_id = order.order_id
        algo.actual_price = order.avg_price
        algo.executed_qty = order.executed_qty
        algo.status = "TRIGGERED"
        self._algo_event(acc, algo)
        algo.status = "FINISHED"
        self._algo_event(acc, algo)

    # ------------------------------------------------------------ liquidation

    def _check_liquidation(self, acc: Account) -> bool:
        """MARGIN_CALL at 80 % margin ratio; close everything at mark when the ratio hits 100 %."""
        marks = self.marks()
        for pos in list(acc.positions.values()):
            if pos.amt and pos.margin_type == "isolated":
                mark = marks[pos.symbol]
                if pos.isolated_wallet + pos.unrealized(mark) <= pos.maint_margin(mark):
                    self._liquidate(acc, pos)
                    return True
        cross = [p for p in acc.positions.values() if p.amt and p.margin_type == "cross"]
        if not cross:
            return False
        summary = acc.summary(marks)
        cross_maint = sum((p.maint_margin(marks[p.symbol]) for p in cross), D0)
        balance = summary["cross_wallet"] + summary["cross_unpnl"]
        if balance <= cross_maint:
            for pos in cross:
                self._liquidate(acc, pos)
            return True
        ratio = cross_maint / balance
        if ratio >= MARGIN_CALL_RATIO and not acc.margin_call_sent:
            acc.margin_call_sent = True
            self._margin_call(acc, cross, summary["cross_wallet"])
        elif ratio < MARGIN_CALL_RATIO:
            acc.margin_call_sent = False
        return False

    def _liquidate(self, acc: Account, pos: Position) -> None:
        mkt = self.markets[pos.symbol]
        now = self.now_ms()
        oid = self._new_order_id()
        order = Order(
            order_id=oid,
            client_order_id=f"autoclose-{now}",
            symbol=pos.symbol,
            side="SELL" if pos.amt > 0 else "BUY",
            type="LIQUIDATION",
            orig_type="LIQUIDATION",
            time_in_force="IOC",
            price=mkt.mark,
            orig_qty=abs(pos.amt),
            time=now,
            update_time=now,
            reduce_only=True,
            position_side=pos.side,
        )
        acc.orders[oid] = order
        self._order_event(acc, order, "NEW")
        self._fill(acc, order, mkt.mark, order.orig_qty, maker=False)
        for o in acc.open_orders(pos.symbol):
            self._finish(acc, o, "CANCELED")

    def _margin_call(self, acc: Account, cross: list[Position], cross_wallet: Decimal) -> None:
        marks = self.marks()
        self.emit(
            acc.api_key,
            {
                "e": "MARGIN_CALL",
                "E": self.now_ms(),
                "cw": money(cross_wallet),
                "p": [
                    {
                        "s": p.symbol,
                        "ps": p.side,
                        "pa": SYMBOLS[p.symbol].fmt_qty(p.amt),
                        "mt": "CROSSED",
                        "iw": "0",
                        "mp": SYMBOLS[p.symbol].fmt_price(marks[p.symbol]),
                        "up": money(p.unrealized(marks[p.symbol])),
                        "mm": money(p.maint_margin(marks[p.symbol])),
                    }
                    for p in cross
                ],
            },
        )

    # ------------------------------------------------------------ settings

    def set_leverage(self, acc: Account, symbol: str, leverage: int) -> dict:
        if not 1 <= leverage <= brackets.max_leverage(symbol):
            raise BinanceError(-4028, f"Leverage {leverage} is not valid")
        acc.position(symbol)  # the BOTH record holds the symbol's leverage
        sides = acc.symbol_positions(symbol)  # leverage is per symbol: every side follows it
        held = sum((abs(p.amt) for p in sides), D0)
        if held:
            mark = self.markets[symbol].mark
            # each side's notional must fit the bracket cap of the new leverage
            if any(abs(p.amt) * mark > brackets.max_notional(symbol, leverage) for p in sides):
                raise BinanceError(
                    -2027, "Exceeded the maximum allowable position at current leverage."
                )
            need = held * mark / leverage
            have = acc.summary(self.marks())["available"] + sum(
                (p.initial_margin(mark) for p in sides), D0
            )
            if need > have:
                raise BinanceError(
                    -2027, "Exceeded the maximum allowable position at current leverage."
                )
        for p in sides:
            p.leverage = leverage
        now = self.now_ms()
        self.emit(
            acc.api_key,
            {"e": "ACCOUNT_CONFIG_UPDATE", "E": now, "T": now, "ac": {"s": symbol, "l": leverage}},
        )
        self.changed()
        cap = brackets.max_notional(symbol, leverage)
        return {"leverage": leverage, "maxNotionalValue": f"{cap:f}", "symbol": symbol}

    def set_margin_type(self, acc: Account, symbol: str, margin_type: str) -> None:
        pos = acc.position(symbol)
        wanted = "isolated" if margin_type == "ISOLATED" else "cross"
        if pos.margin_type == wanted:
            raise BinanceError(-4046, "No need to change margin type.")
        if acc.open_orders(symbol) or acc.open_algos(symbol):
            raise BinanceError(-4047, "Margin type cannot be changed if there exists open orders.")
        sides = acc.symbol_positions(symbol)
        if any(p.amt for p in sides):
            raise BinanceError(-4048, "Margin type cannot be changed if there exists position.")
        for p in sides:
            p.margin_type = wanted
        self.changed()

    # ------------------------------------------------------------ events

    def _order_event(self, acc: Account, order: Order, execution: str, last: tuple = ()) -> None:
        spec = SYMBOLS[order.symbol]
        now = self.now_ms()
        o: dict = {
            "s": order.symbol,
            "c": order.client_order_id,
            "S": order.side,
            "o": order.type,
            "f": order.time_in_force,
            "q": spec.fmt_qty(order.orig_qty),
            "p": spec.fmt_price(order.price),
            "ap": f"{order.avg_price.quantize(Decimal('0.00001')):f}",
            "sp": spec.fmt_price(order.stop_price),
            "x": execution,
            "X": order.status,
            "i": order.order_id,
            "l": "0",
            "z": spec.fmt_qty(order.executed_qty),
            "L": "0",
            "T": order.update_time,
            "t": 0,
            "b": "0",
            "a": "0",
            "m": False,
            "R": order.reduce_only,
            "wt": order.working_type,
            "ot": order.orig_type,
            "ps": order.position_side,
            "cp": order.close_position,
            "rp": "0",
            "pP": False,
            "si": 0,
            "ss": 0,
            "V": order.stp_mode,
            "pm": order.price_match,
            "gtd": order.good_till_date,
            "AP": spec.fmt_price(order.activate_price),
            "cr": f"{order.price_rate:f}" if order.price_rate else "0",
        }
        if last:
            price, qty, trade_id, fee, realized, maker = last
            o.update(
                l=spec.fmt_qty(qty),
                L=spec.fmt_price(price),
                t=trade_id,
                N="USDT",
                n=money(fee),
                m=maker,
                rp=money(realized),
            )
        if order.is_open and not order.reduces:
            notional = money(order.remaining * order.price)
            o["b" if order.side == "BUY" else "a"] = notional
        self.emit(acc.api_key, {"e": "ORDER_TRADE_UPDATE", "E": now, "T": now, "o": o})

    def _account_event(self, acc: Account, positions: list[Position], reason: str) -> None:
        now = self.now_ms()
        marks = self.marks()
        summary = acc.summary(marks)
        self.emit(
            acc.api_key,
            {
                "e": "ACCOUNT_UPDATE",
                "E": now,
                "T": now,
                "a": {
                    "m": reason,
                    "B": [
                        {
                            "a": "USDT",
                            "wb": money(acc.wallet),
                            "cw": money(summary["cross_wallet"]),
                            "bc": "0",
                        }
                    ],
                    "P": [
                        {
                            "s": p.symbol,
                            "pa": SYMBOLS[p.symbol].fmt_qty(p.amt),
                            "ep": money(p.entry),
                            "bep": money(p.break_even()),
                            "cr": money(p.realized),
                            "up": money(p.unrealized(marks[p.symbol])),
                            "mt": p.margin_type,
                            "iw": money(p.isolated_wallet),
                            "ps": p.side,
                            "ma": "USDT",
                        }
                        for p in positions
                    ],
                },
            },
        )

    def account_event(self, acc: Account, reason: str) -> None:
        """Public wrapper used when the control surface changes a wallet."""
        self._account_event(acc, [], reason)

    def _algo_event(self, acc: Account, algo: AlgoOrder) -> None:
        spec = SYMBOLS[algo.symbol]
        now = self.now_ms()
        self.emit(
            acc.api_key,
            {
                "e": "ALGO_UPDATE",
                "T": now,
                "E": now,
                "o": {
                    "caid": algo.client_algo_id,
                    "aid": algo.algo_id,
                    "at": algo.algo_type,
                    "o": algo.order_type,
                    "s": algo.symbol,
                    "S": algo.side,
                    "ps": algo.position_side,
                    "f": algo.time_in_force,
                    "q": spec.fmt_qty(algo.quantity),
                    "X": algo.status,
                    "ai": str(algo.actual_order_id) if algo.actual_order_id else "",
                    "ap": spec.fmt_price(algo.actual_price),
                    "aq": spec.fmt_qty(algo.executed_qty),
                    "act": "LIMIT" if algo.order_type in ("STOP", "TAKE_PROFIT") else "MARKET",
                    "tp": spec.fmt_price(algo.trigger_price),
                    "p": spec.fmt_price(algo.price),
                    "V": "EXPIRE_MAKER",
                    "wt": algo.working_type,
                    "pm": "NONE",
                    "cp": algo.close_position,
                    "pP": algo.price_protect,
                    "R": algo.reduce_only,
                    "tt": algo.trigger_time,
                    "gtd": algo.good_till_date,
                    "rm": algo.fail_reason,
                    **({"ia": algo.activated} if algo.order_type == "TRAILING_STOP_MARKET" else {}),
                },
            },
        )
