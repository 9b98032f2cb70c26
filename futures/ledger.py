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
from datetime import UTC, datetime
from decimal import Decimal

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


def to_usd(asset: str, amount: Decimal) -> Decimal | None:
    """Return amount of asset in USD now (at the fill when called from the stream), or None.

    A stablecoin counts 1:1; another asset (a BNB commission) is valued at its USDT-M mark
    price. None when that price cannot be read: the caller books nothing, and the next income
    sync tries again, rather than booking a made-up figure.
    """
    asset = (asset or "USDT").upper()
    if asset in USD_ASSETS:
        return amount
    try:
        mark = client_from_settings().mark_price(f"{asset}USDT", max_age=5.0)
    except (BinanceError, KeyError, ValueError, ArithmeticError):
        logger.warning("no USD price for %s: its ledger entry waits for the next sync", asset)
        return None
    return (amount * mark).quantize(Decimal("0.00000001"))


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
        usd = to_usd(asset, fill.commission)
        if usd is not None:
            _, created = pnl_record(
                source=PnLEntry.Source.FILL,
                source_ref=ref,
                symbol=order.symbol,
                amount=-usd,
                actor="system",
                at=fill.traded_at,
                kind=PnLEntry.Kind.COMMISSION,
                asset=asset,
                asset_amount=-fill.commission,
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
    usd = to_usd(asset, amount)
    if usd is None:
        return None
    _, created = pnl_record(
        source=PnLEntry.Source.INCOME,
        source_ref=income_ref(env, row),
        symbol=str(row.get("symbol") or ""),
        amount=usd,
        actor="system",
        at=datetime.fromtimestamp(int(row["time"]) / 1000, tz=UTC),
        kind=INCOME_KINDS.get(income_type, PnLEntry.Kind.OTHER),
        asset=asset,
        asset_amount=amount,
        income_type=income_type[:40],
    )
    return created
