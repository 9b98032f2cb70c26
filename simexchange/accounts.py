"""Accounts, positions, orders and the margin arithmetic (one-way or hedge mode, USDT margin).

All money is Decimal. Margin figures follow Binance's single-asset definitions; maintenance
margin comes from the symbol's leverage brackets (simexchange.brackets), and the liquidation
price uses Binance's one-position formula with the tier of the position's notional, so it is
approximate when several cross positions are open.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from simexchange import brackets
from simexchange.market import SYMBOLS

D0 = Decimal(0)
MAKER_FEE = Decimal("0.0002")
TAKER_FEE = Decimal("0.0004")
DEFAULT_LEVERAGE = 20
RECENT_CLIENT_IDS = 5000


def money(value: Decimal) -> str:
    """Format money the way Binance does for balances: 8 decimals, plain notation."""
    return f"{value.quantize(Decimal('0.00000001')):f}"


SIDES_ONE_WAY = ("BOTH",)
SIDES_HEDGE = ("LONG", "SHORT")


def position_key(symbol: str, side: str = "BOTH") -> str:
    """Key of a position in Account.positions: the symbol (one-way) or symbol:LONG/SHORT (hedge)."""
    return symbol if side == "BOTH" else f"{symbol}:{side}"


@dataclass
class Position:
    symbol: str
    amt: Decimal = D0  # signed: negative is short (one-way mode, and every SHORT side in hedge)
    entry: Decimal = D0
    leverage: int = DEFAULT_LEVERAGE
    margin_type: str = "cross"  # Binance's lower-case wording: cross / isolated
    isolated_wallet: Decimal = D0
    realized: Decimal = D0  # accumulated realized PnL before fees ("cr")
    update_time: int = 0
    side: str = "BOTH"  # positionSide: BOTH (one-way) or LONG / SHORT (hedge mode)

    def unrealized(self, mark: Decimal) -> Decimal:
        return (mark - self.entry) * self.amt if self.amt else D0

    def notional(self, mark: Decimal) -> Decimal:
        return self.amt * mark

    def initial_margin(self, mark: Decimal) -> Decimal:
        return abs(self.amt) * mark / self.leverage

    def maint_margin(self, mark: Decimal) -> Decimal:
        return brackets.maint_margin(self.symbol, self.amt * mark)

    def break_even(self) -> Decimal:
        """Entry moved by the taker fee paid to open and to close."""
        if not self.amt:
            return D0
        sign = 1 if self.amt > 0 else -1
        return self.entry * (1 + sign * 2 * TAKER_FEE)


@dataclass
class Order:
    order_id: int
    client_order_id: str
    symbol: str
    side: str
    type: str
    orig_type: str
    time_in_force: str
    price: Decimal
    orig_qty: Decimal
    time: int
    update_time: int
    executed_qty: Decimal = D0
    cum_quote: Decimal = D0
    status: str = "NEW"
    reduce_only: bool = False
    close_position: bool = False
    stop_price: Decimal = D0
    working_type: str = "CONTRACT_PRICE"
    price_protect: bool = False
    price_match: str = "NONE"
    stp_mode: str = "EXPIRE_MAKER"
    good_till_date: int = 0
    resp_type: str = "ACK"
    position_side: str = "BOTH"
    activate_price: Decimal = D0  # trailing stops only (spawned by a TRAILING_STOP_MARKET algo)
    price_rate: Decimal = D0  # trailing stops only: the callback rate in %

    @property
    def trailing(self) -> bool:
        return self.orig_type == "TRAILING_STOP_MARKET"

    @property
    def closes_side(self) -> bool:
        """A hedge-mode close: SELL of the LONG side or BUY of the SHORT side."""
        return (self.position_side, self.side) in (("LONG", "SELL"), ("SHORT", "BUY"))

    @property
    def reduces(self) -> bool:
        """Only ever shrinks a position: reduceOnly (one-way) or a hedge-mode close."""
        return self.reduce_only or self.closes_side

    @property
    def remaining(self) -> Decimal:
        return self.orig_qty - self.executed_qty

    @property
    def avg_price(self) -> Decimal:
        return self.cum_quote / self.executed_qty if self.executed_qty else D0

    @property
    def is_open(self) -> bool:
        return self.status in ("NEW", "PARTIALLY_FILLED")

    def to_api(self, with_time: bool = False) -> dict:
        """The order object of Binance's REST answers."""
        s = SYMBOLS[self.symbol]
        out: dict[str, Any] = {
            "orderId": self.order_id,
            "symbol": self.symbol,
            "status": self.status,
            "clientOrderId": self.client_order_id,
            "price": s.fmt_price(self.price),
            "avgPrice": f"{self.avg_price.quantize(Decimal('0.00001')):f}",
            "origQty": s.fmt_qty(self.orig_qty),
            "executedQty": s.fmt_qty(self.executed_qty),
            "cumQty": s.fmt_qty(self.executed_qty),
            "cumQuote": money(self.cum_quote),
            "timeInForce": self.time_in_force,
            "type": self.type,
            "reduceOnly": self.reduce_only,
            "closePosition": self.close_position,
            "side": self.side,
            "positionSide": self.position_side,
            "stopPrice": s.fmt_price(self.stop_price),
            "workingType": self.working_type,
            "priceProtect": self.price_protect,
            "origType": self.orig_type,
            "priceMatch": self.price_match,
            "selfTradePreventionMode": self.stp_mode,
            "goodTillDate": self.good_till_date,
            "updateTime": self.update_time,
        }
        if self.trailing:  # Binance returns these two only for trailing stops
            out["activatePrice"] = s.fmt_price(self.activate_price)
            out["priceRate"] = f"{self.price_rate:f}"
        if with_time:
            out["time"] = self.time
        return out


@dataclass
class AlgoOrder:
    algo_id: int
    client_algo_id: str
    symbol: str
    side: str
    order_type: str
    quantity: Decimal
    trigger_price: Decimal
    price: Decimal
    time_in_force: str
    working_type: str
    create_time: int
    update_time: int
    algo_type: str = "CONDITIONAL"
    status: str = "NEW"
    close_position: bool = False
    reduce_only: bool = False
    price_protect: bool = False
    activate_price: Decimal = D0
    callback_rate: Decimal = D0
    trigger_time: int = 0
    good_till_date: int = 0
    actual_order_id: int = 0
    actual_price: Decimal = D0
    executed_qty: Decimal = D0
    extreme: Decimal = D0  # trailing: best price seen since activation
    activated: bool = False
    fail_reason: str = ""
    position_side: str = "BOTH"

    @property
    def is_open(self) -> bool:
        return self.status in ("NEW", "TRIGGERING")

    def to_api(self) -> dict:
        s = SYMBOLS[self.symbol]
        return {
            "algoId": self.algo_id,
            "clientAlgoId": self.client_algo_id,
            "algoType": self.algo_type,
            "orderType": self.order_type,
            "symbol": self.symbol,
            "side": self.side,
            "positionSide": self.position_side,
            "timeInForce": self.time_in_force,
            "quantity": s.fmt_qty(self.quantity),
            "algoStatus": self.status,
            "actualOrderId": str(self.actual_order_id) if self.actual_order_id else "",
            "actualPrice": s.fmt_price(self.actual_price),
            "triggerPrice": s.fmt_price(self.trigger_price),
            "price": s.fmt_price(self.price),
            "actualType": "LIMIT" if self.order_type in ("STOP", "TAKE_PROFIT") else "MARKET",
            "actualQty": s.fmt_qty(self.executed_qty),
            "icebergQuantity": None,
            "tpOrderType": "",
            "selfTradePreventionMode": "EXPIRE_MAKER",
            "workingType": self.working_type,
            "priceMatch": "NONE",
            "closePosition": self.close_position,
            "priceProtect": self.price_protect,
            "reduceOnly": self.reduce_only,
            "activatePrice": s.fmt_price(self.activate_price),
            "callbackRate": f"{self.callback_rate:f}" if self.callback_rate else "0",
            "createTime": self.create_time,
            "updateTime": self.update_time,
            "triggerTime": self.trigger_time,
            "goodTillDate": self.good_till_date,
        }


@dataclass
class Account:
    """One API key's futures account plus its Spot balances."""

    api_key: str
    wallet: Decimal
    positions: dict[str, Position] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)  # open and recent orders
    algo_orders: dict[int, AlgoOrder] = field(default_factory=dict)
    trades: list[dict] = field(default_factory=list)
    recent_client_ids: dict[str, int] = field(default_factory=dict)  # id -> order id
    spot: dict[str, Decimal] = field(default_factory=dict)
    spot_locked: dict[str, Decimal] = field(default_factory=dict)
    margin_call_sent: bool = False
    update_time: int = 0
    multi_assets: bool = False  # GET/POST /fapi/v1/multiAssetsMargin; margin stays USDT-only
    dual_side: bool = False  # hedge mode (POST /fapi/v1/positionSide/dual), every symbol
    margin_history: list[dict] = field(default_factory=list)  # POST /fapi/v1/positionMargin
    margin_seq: int = 0  # rows ever added to margin_history: the journal diffs by it
    order_times: deque = field(default_factory=deque)  # not persisted: rate counters

    @property
    def sides(self) -> tuple[str, ...]:
        """The position sides this account's mode keeps: BOTH, or LONG and SHORT."""
        return SIDES_HEDGE if self.dual_side else SIDES_ONE_WAY

    def position(self, symbol: str, side: str = "BOTH") -> Position:
        """The position of one side; the BOTH record also holds the symbol's leverage and
        margin type, which a new LONG/SHORT side starts from (they are per symbol on Binance)."""
        key = position_key(symbol, side)
        pos = self.positions.get(key)
        if pos is None:
            if side == "BOTH":
                pos = Position(symbol)
            else:
                base = self.position(symbol)
                pos = Position(symbol, leverage=base.leverage, margin_type=base.margin_type)
                pos.side = side
            self.positions[key] = pos
        return pos

    def symbol_positions(self, symbol: str) -> list[Position]:
        """Every side record of symbol (BOTH and, if ever used, LONG and SHORT)."""
        return [p for p in self.positions.values() if p.symbol == symbol]

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        return [
            o for o in self.orders.values() if o.is_open and (symbol is None or o.symbol == symbol)
        ]

    def open_algos(self, symbol: str | None = None) -> list[AlgoOrder]:
        return [
            a
            for a in self.algo_orders.values()
            if a.is_open and (symbol is None or a.symbol == symbol)
        ]

    def remember_client_id(self, client_id: str, order_id: int) -> None:
        self.recent_client_ids[client_id] = order_id
        while len(self.recent_client_ids) > RECENT_CLIENT_IDS:
            self.recent_client_ids.pop(next(iter(self.recent_client_ids)))

    # -- margin ---------------------------------------------------------------

    def order_margin(self, order: Order, marks: dict[str, Decimal]) -> Decimal:
        """Initial margin an open order reserves (reduce-only and closing orders reserve none)."""
        if order.reduces or not order.is_open:
            return D0
        price = order.price or marks[order.symbol]
        return order.remaining * price / self.position(order.symbol, order.position_side).leverage

    def summary(self, marks: dict[str, Decimal]) -> dict[str, Decimal]:
        """Every account-level figure of /fapi/v3/account, as Decimals."""
        iso = sum((p.isolated_wallet for p in self.positions.values()), D0)
        unpnl = cross_unpnl = pos_im = cross_pos_im = maint = D0
        for p in self.positions.values():
            if not p.amt:
                continue
            mark = marks[p.symbol]
            up = p.unrealized(mark)
            im = p.initial_margin(mark)
            unpnl += up
            pos_im += im
            maint += p.maint_margin(mark)
            if p.margin_type == "cross":
                cross_unpnl += up
                cross_pos_im += im
        order_im = sum((self.order_margin(o, marks) for o in self.open_orders()), D0)
        cross_wallet = self.wallet - iso
        available = cross_wallet + cross_unpnl - cross_pos_im - order_im
        return {
            "wallet": self.wallet,
            "unpnl": unpnl,
            "margin_balance": self.wallet + unpnl,
            "initial": pos_im + order_im,
            "position_im": pos_im,
            "order_im": order_im,
            "maint": maint,
            "cross_wallet": cross_wallet,
            "cross_unpnl": cross_unpnl,
            "available": available,
            "max_withdraw": max(D0, min(available, cross_wallet)),
        }

    def liquidation_price(self, pos: Position, marks: dict[str, Decimal]) -> Decimal:
        """Binance one-position formula: LP = (WB + cum - amt*entry) / (|amt|*mmr - amt), >= 0,
        with mmr and cum of the bracket tier the position's notional at mark falls in."""
        if not pos.amt:
            return D0
        row = brackets.tier(pos.symbol, pos.amt * marks[pos.symbol])
        mmr = row.rate
        if pos.margin_type == "isolated":
            wb = pos.isolated_wallet
        else:
            wb = self.wallet - sum((p.isolated_wallet for p in self.positions.values()), D0)
            for other in self.positions.values():
                if other is pos or not other.amt or other.margin_type != "cross":
                    continue
                mark = marks[other.symbol]
                wb += other.unrealized(mark) - other.maint_margin(mark)
        denom = abs(pos.amt) * mmr - pos.amt
        if not denom:
            return D0
        lp = (wb + row.cum - pos.amt * pos.entry) / denom
        return max(D0, SYMBOLS[pos.symbol].floor_tick(lp))


# ---------------------------------------------------------------- persistence helpers


def json_ready(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return str(obj)
    if dataclasses.is_dataclass(obj):
        return {
            f.name: json_ready(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
            if f.name != "order_times"
        }
    if isinstance(obj, dict):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_ready(v) for v in obj]
    return obj


def _load(cls: type, data: dict) -> Any:
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        v = data[f.name]
        if f.type == "Decimal":
            v = Decimal(v)
        kwargs[f.name] = v
    return cls(**kwargs)


def account_to_json(acc: Account) -> dict:
    return json_ready(acc)


def account_from_json(data: dict) -> Account:
    acc = Account(api_key=data["api_key"], wallet=Decimal(data["wallet"]))
    acc.positions = {k: _load(Position, v) for k, v in data.get("positions", {}).items()}
    acc.orders = {int(k): _load(Order, v) for k, v in data.get("orders", {}).items()}
    acc.algo_orders = {int(k): _load(AlgoOrder, v) for k, v in data.get("algo_orders", {}).items()}
    acc.trades = list(data.get("trades", []))
    acc.recent_client_ids = dict(data.get("recent_client_ids", {}))
    acc.spot = {k: Decimal(v) for k, v in data.get("spot", {}).items()}
    acc.spot_locked = {k: Decimal(v) for k, v in data.get("spot_locked", {}).items()}
    acc.margin_call_sent = bool(data.get("margin_call_sent", False))
    acc.update_time = int(data.get("update_time", 0))
    acc.dual_side = bool(data.get("dual_side", False))
    acc.multi_assets = bool(data.get("multi_assets", False))
    acc.margin_history = list(data.get("margin_history", []))
    acc.margin_seq = int(data.get("margin_seq", len(acc.margin_history)))
    return acc
