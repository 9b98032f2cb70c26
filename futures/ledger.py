"""What moves the futures wallet, booked in the risk ledger: fills' realized PnL and commission,
funding fees, transfers and the other income types, each once whichever source comes first.

References name the environment first (sim/testnet/demo/live), then the kind:

- a fill's realized PnL: ``{env}:{symbol}:{clientOrderId}:{tradeId}`` (the format of the
  entries booked before this module) and its commission
  ``{env}:commission:{symbol}:{cid}:{tradeId}``.
  Spark's client order id is in them because trade ids start again after a stand-in reset.
- every other income row: ``{env}:{kind}:{incomeType}:{symbol}:{tranId}:{time}``; the time is
  there for the same reason (the stand-in's transaction ids start again too).

An income row of a fill (REALIZED_PNL, COMMISSION) carries no client order id: the income sync
finds the fill (futures.income) and books it through book_fill(), so both sources meet on the
same reference.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from futures.binance.errors import BinanceError
from futures.binance.rest import client_from_settings
from futures.models import ZERO, Fill, Order
from risk.models import PnLEntry
from risk.services import pnl_record

logger = logging.getLogger(__name__)

# Assets worth one USD for the ledger (a USDT commission is booked as it is).
USD_ASSETS = frozenset({"USDT", "USDC", "BUSD", "FDUSD", "USD"})
# Binance's income types by ledger kind; every other documented type is "other".
INCOME_KINDS = {
    "REALIZED_PNL": PnLEntry.Kind.REALIZED,
    "COMMISSION": PnLEntry.Kind.COMMISSION,
    "FUNDING_FEE": PnLEntry.Kind.FUNDING,
    "TRANSFER": PnLEntry.Kind.TRANSFER,
    "INTERNAL_TRANSFER": PnLEntry.Kind.TRANSFER,
    "CROSS_COLLATERAL_TRANSFER": PnLEntry.Kind.TRANSFER,
    "STRATEGY_UMFUTURES_TRANSFER": PnLEntry.Kind.TRANSFER,
}
TRADE_INCOME = frozenset({"REALIZED_PNL", "COMMISSION"})


# A fill this recent is valued at the mark price read now; an older one (found later by the
# income sync, or a stream that caught up) at the mark price of its own minute.
RECENT = timedelta(seconds=60)
MINUTE_MS = 60_000
PLACES = Decimal("0.00000001")


@dataclass(frozen=True)
class Valued:
    """An amount in USD and how it was valued (the ledger entry's note; empty for USD)."""

    usd: Decimal
    note: str = ""


def to_usd(asset: str, amount: Decimal, at: datetime | None = None) -> Valued | None:
    """Return amount of asset in USD at `at` (the fill's or the income row's time), or None.

    A stablecoin counts 1:1. Another asset (a BNB commission) is valued at its USDT-M mark
    price: read now when `at` is within RECENT of now (the stream books a fill as it happens),
    otherwise the close of the 1-minute mark-price kline holding `at` (GET
    /fapi/v1/markPriceKlines), so a commission booked hours later by the income sync is valued
    at the price of its fill, not of its booking. None when that price cannot be read: the
    caller books nothing, and the next income sync tries again, rather than booking a guess.
    """
    asset = (asset or "USDT").upper()
    if asset in USD_ASSETS:
        return Valued(amount)
    symbol = f"{asset}USDT"
    client = client_from_settings()
    try:
        if at is None or timezone.now() - at <= RECENT:
            price = client.mark_price(symbol, max_age=5.0)
            note = f"{symbol} mark price {price} read at booking, within 60 s of the fill"
        else:
            price, minute = _mark_at(client, symbol, at)
            note = (
                f"{symbol} mark price {price} at {at.astimezone(UTC):%Y-%m-%d %H:%M} UTC "
                f"(close of the 1m markPriceKlines bar opened {minute:%H:%M}), the time of the "
                "exchange event, not of its booking"
            )
    except (BinanceError, KeyError, IndexError, TypeError, ValueError, ArithmeticError):
        logger.warning("no USD price for %s: its ledger entry waits for the next sync", asset)
        return None
    return Valued((amount * price).quantize(PLACES), note)


def _mark_at(client, symbol: str, at: datetime) -> tuple[Decimal, datetime]:
    """The mark price of symbol at `at`: its 1-minute mark-price kline's close, and its open."""
    ms = int(at.timestamp() * 1000)
    opened = ms - ms % MINUTE_MS
    rows = client.request(
        "GET",
        "/fapi/v1/markPriceKlines",
        {"symbol": symbol, "interval": "1m", "startTime": opened, "endTime": opened, "limit": 1},
    )
    row = next(r for r in rows or [] if int(r[0]) == opened)  # StopIteration: no such bar
    price = Decimal(str(row[4]))
    if not price.is_finite() or price <= 0:
        raise ValueError(f"{symbol} mark price {price} at {at}")
    return price, datetime.fromtimestamp(opened / 1000, tz=UTC)


def fill_ref(env: str, kind: str, symbol: str, client_order_id: str, trade_id: int) -> str:
    if kind == PnLEntry.Kind.REALIZED:
        return f"{env}:{symbol}:{client_order_id}:{trade_id}"
    return f"{env}:{kind}:{symbol}:{client_order_id}:{trade_id}"


def book_fill(order: Order, fill: Fill) -> int:
    """Book a fill's realized PnL and its commission (a cost, so negative); return how many new.

    Idempotent by reference: the stream, reconciliation and the income sync may all call it.
    """
    booked = 0
    if fill.realized_pnl != ZERO:
        _, created = pnl_record(
            source=PnLEntry.Source.FILL,
            source_ref=fill_ref(
                order.environment, "realized", order.symbol, order.client_order_id, fill.trade_id
            ),
            symbol=order.symbol,
            amount=fill.realized_pnl,
            actor="system",
            at=fill.traded_at,
            kind=PnLEntry.Kind.REALIZED,
        )
        booked += created
    if fill.commission != ZERO:
        asset = (fill.commission_asset or "USDT").upper()
        ref = fill_ref(
            order.environment, "commission", order.symbol, order.client_order_id, fill.trade_id
        )
        if PnLEntry.objects.filter(source_ref=ref).exists():
            return booked  # booked already: no price lookup for a replay
        valued = to_usd(asset, fill.commission, fill.traded_at)
        if valued is not None:
            _, created = pnl_record(
                source=PnLEntry.Source.FILL,
                source_ref=ref,
                symbol=order.symbol,
                amount=-valued.usd,
                actor="system",
                at=fill.traded_at,
                kind=PnLEntry.Kind.COMMISSION,
                asset=asset,
                asset_amount=-fill.commission,
                note=valued.note,
            )
            booked += created
    return booked


def income_ref(env: str, row: dict) -> str:
    kind = INCOME_KINDS.get(row.get("incomeType"), PnLEntry.Kind.OTHER)
    return (
        f"{env}:{kind}:{row.get('incomeType')}:{row.get('symbol') or '-'}:"
        f"{row.get('tranId')}:{row.get('time')}"
    )[:120]


def book_income_row(env: str, row: dict) -> bool | None:
    """Book one income row that is not a fill's (funding, transfer, ...); True when new.

    None when the amount cannot be valued in USD yet (booked at a later sync).
    """
    income_type = str(row.get("incomeType") or "")
    amount = Decimal(str(row["income"]))
    asset = str(row.get("asset") or "USDT").upper()
    at = datetime.fromtimestamp(int(row["time"]) / 1000, tz=UTC)
    valued = to_usd(asset, amount, at)
    if valued is None:
        return None
    _, created = pnl_record(
        source=PnLEntry.Source.INCOME,
        source_ref=income_ref(env, row),
        symbol=str(row.get("symbol") or ""),
        amount=valued.usd,
        actor="system",
        at=at,
        kind=INCOME_KINDS.get(income_type, PnLEntry.Kind.OTHER),
        asset=asset,
        asset_amount=amount,
        income_type=income_type[:40],
        note=valued.note,
    )
    return created
