"""Binance's wire format for orders, trades, algo orders and positions, as typed reports.

The one place that knows Binance's field names for what the exchange says happened: a REST
answer (`clientOrderId`, `executedQty`, ...) and a user-stream event (`c`, `z`, ...) become the
same report, which `futures/sync.py` applies to the database. No I/O, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from spark_site.money import exchange_decimal

ZERO = Decimal("0")
TIMES_IN_FORCE = ("GTC", "IOC", "FOK", "GTX")


def _ms_to_dt(ms: Any) -> datetime:
    """An exchange time in milliseconds; now when it is missing or not a number."""
    try:
        return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)
    except (TypeError, ValueError):
        return datetime.now(tz=UTC)


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


@dataclass(frozen=True)
class TradeReport:
    """One trade of an order (a REST userTrades row or the trade of an ORDER_TRADE_UPDATE)."""

    trade_id: int
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    realized_pnl: Decimal
    is_maker: bool
    traded_at: datetime
    order_id: int | None = None

    @classmethod
    def from_rest(cls, row: dict) -> TradeReport:
        return cls(
            trade_id=int(row["id"]),
            price=exchange_decimal(row.get("price")) or ZERO,
            qty=exchange_decimal(row.get("qty")) or ZERO,
            commission=exchange_decimal(row.get("commission")) or ZERO,
            commission_asset=row.get("commissionAsset") or "",
            realized_pnl=exchange_decimal(row.get("realizedPnl")) or ZERO,
            is_maker=_bool(row.get("maker")),
            traded_at=_ms_to_dt(row.get("time")),
            order_id=row.get("orderId"),
        )

    @classmethod
    def from_event(cls, o: dict) -> TradeReport | None:
        """The trade of an ORDER_TRADE_UPDATE `o` dict; None unless it reports a trade."""
        if o.get("x") != "TRADE" or o.get("t") in (None, 0, "0"):
            return None
        return cls(
            trade_id=int(o["t"]),
            price=exchange_decimal(o.get("L")) or ZERO,
            qty=exchange_decimal(o.get("l")) or ZERO,
            commission=exchange_decimal(o.get("n")) or ZERO,
            commission_asset=o.get("N") or "",
            realized_pnl=exchange_decimal(o.get("rp")) or ZERO,
            is_maker=_bool(o.get("m")),
            traded_at=_ms_to_dt(o.get("T")),
            order_id=o.get("i"),
        )

    def fill_fields(self) -> dict[str, Any]:
        """The Fill row's fields."""
        return {
            "trade_id": self.trade_id,
            "price": self.price,
            "qty": self.qty,
            "commission": self.commission,
            "commission_asset": self.commission_asset,
            "realized_pnl": self.realized_pnl,
            "is_maker": self.is_maker,
            "traded_at": self.traded_at,
        }


@dataclass(frozen=True)
class OrderReport:
    """What the exchange says about one order, from a REST order object or a stream event."""

    client_order_id: str
    exchange_order_id: Any
    symbol: str
    side: str
    type: str
    time_in_force: str
    quantity: Decimal | None
    price: Decimal | None
    stop_price: Decimal | None
    reduce_only: bool
    status: str
    filled_qty: Decimal | None
    avg_price: Decimal | None
    trade: TradeReport | None
    from_rest_answer: bool
    position_side: str = "BOTH"  # BOTH (one-way) or LONG / SHORT (hedge mode): `ps`

    @classmethod
    def parse(cls, payload: dict) -> OrderReport:
        """A REST order object or an ORDER_TRADE_UPDATE `o` dict (told apart by its keys)."""
        if "X" in payload and "c" in payload:
            return cls.from_event(payload)
        return cls.from_rest(payload)

    @classmethod
    def from_event(cls, o: dict) -> OrderReport:
        return cls(
            client_order_id=o.get("c") or "",
            exchange_order_id=o.get("i"),
            symbol=o.get("s") or "",
            side=o.get("S") or "",
            type=o.get("ot") or o.get("o") or "",
            time_in_force=o.get("f") or "",
            quantity=exchange_decimal(o.get("q")),
            price=exchange_decimal(o.get("p")),
            stop_price=exchange_decimal(o.get("sp")),
            reduce_only=_bool(o.get("R")),
            status=o.get("X") or "",
            filled_qty=exchange_decimal(o.get("z")),
            avg_price=exchange_decimal(o.get("ap")),
            trade=TradeReport.from_event(o),
            from_rest_answer=False,
            position_side=o.get("ps") or "BOTH",
        )

    @classmethod
    def from_rest(cls, payload: dict) -> OrderReport:
        return cls(
            client_order_id=payload.get("clientOrderId") or "",
            exchange_order_id=payload.get("orderId"),
            symbol=payload.get("symbol") or "",
            side=payload.get("side") or "",
            type=payload.get("origType") or payload.get("type") or "",
            time_in_force=payload.get("timeInForce") or "",
            quantity=exchange_decimal(payload.get("origQty")),
            price=exchange_decimal(payload.get("price")),
            stop_price=exchange_decimal(payload.get("stopPrice")),
            reduce_only=_bool(payload.get("reduceOnly")),
            status=payload.get("status") or "",
            filled_qty=exchange_decimal(payload.get("executedQty")),
            avg_price=exchange_decimal(payload.get("avgPrice")),
            trade=None,
            from_rest_answer=True,
            position_side=payload.get("positionSide") or "BOTH",
        )

    @property
    def known_time_in_force(self) -> str:
        return self.time_in_force if self.time_in_force in TIMES_IN_FORCE else ""


@dataclass(frozen=True)
class AlgoReport:
    """A REST algo order object or an ALGO_UPDATE `o` dict (conditional orders)."""

    client_algo_id: str
    algo_id: int | None
    status: str
    actual_qty: Decimal | None

    @classmethod
    def parse(cls, payload: dict) -> AlgoReport:
        algo_id = payload.get("algoId") or payload.get("aid")
        return cls(
            client_algo_id=payload.get("clientAlgoId") or payload.get("caid") or "",
            algo_id=int(algo_id) if algo_id else None,
            status=payload.get("algoStatus") or payload.get("X") or "",
            actual_qty=exchange_decimal(payload.get("actualQty") or payload.get("aq")),
        )


# PositionSnapshot field -> the REST positionRisk key and the ACCOUNT_UPDATE `P` key(s).
_POSITION_KEYS = (
    ("position_amt", ("positionAmt", "pa")),
    ("entry_price", ("entryPrice", "ep")),
    ("mark_price", ("markPrice", "mp")),
    ("unrealized_pnl", ("unRealizedProfit", "unrealizedProfit", "up")),
    ("liquidation_price", ("liquidationPrice",)),
    ("isolated_margin", ("isolatedWallet", "iw")),
)


@dataclass(frozen=True)
class PositionReport:
    """One position row (REST positionRisk or an ACCOUNT_UPDATE `P` entry)."""

    symbol: str
    position_side: str
    values: dict[str, Decimal]  # only the fields the payload carried
    margin_type: str
    leverage: int | None

    @classmethod
    def parse(cls, p: dict) -> PositionReport:
        values: dict[str, Decimal] = {}
        for name, keys in _POSITION_KEYS:
            for key in keys:
                number = exchange_decimal(p[key]) if key in p else None
                if number is not None:
                    values[name] = number
                    break
        margin_type = p.get("marginType") or p.get("mt")
        return cls(
            symbol=p.get("symbol") or p.get("s") or "",
            position_side=position_side(p),
            values=values,
            margin_type=str(margin_type).lower() if margin_type else "",
            leverage=int(p["leverage"]) if p.get("leverage") not in (None, "") else None,
        )


def position_side(p: dict) -> str:
    """BOTH (one-way), LONG or SHORT (hedge mode) of a position payload."""
    return p.get("positionSide") or p.get("ps") or "BOTH"


def event_position(p: dict) -> dict:
    """An ACCOUNT_UPDATE `P` entry in the REST positionRisk shape (position_mode reads it)."""
    out = {
        "symbol": p.get("s"),
        "positionAmt": p.get("pa"),
        "entryPrice": p.get("ep"),
        "unRealizedProfit": p.get("up"),
        "positionSide": p.get("ps", "BOTH"),
    }
    if p.get("mt"):
        out["marginType"] = p["mt"]
    return {k: v for k, v in out.items() if v is not None}


@dataclass(frozen=True)
class AccountReport:
    """The totals of a REST account answer."""

    wallet_balance: Decimal
    available_balance: Decimal
    margin_balance: Decimal
    unrealized_pnl: Decimal
    maint_margin: Decimal

    @classmethod
    def parse(cls, account: dict) -> AccountReport:
        return cls(
            wallet_balance=exchange_decimal(account.get("totalWalletBalance")) or ZERO,
            available_balance=exchange_decimal(account.get("availableBalance")) or ZERO,
            margin_balance=exchange_decimal(account.get("totalMarginBalance")) or ZERO,
            unrealized_pnl=exchange_decimal(account.get("totalUnrealizedProfit")) or ZERO,
            maint_margin=exchange_decimal(account.get("totalMaintMargin")) or ZERO,
        )
