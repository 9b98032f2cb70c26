"""Answer shapes of the portfolio API (snake_case, amounts as strings, shares as fractions)."""

from __future__ import annotations

from typing import Any

from spark_site.answers import Answer

Decimals = str | None
Number = int | float  # an int stays an int in the answer


class HoldingOut(Answer):
    asset: str
    quantity: Decimals
    free: Decimals
    locked: Decimals
    price_usd: Decimals
    value_usd: Decimals
    share: Decimals
    stale: bool


class ExchangeOut(Answer):
    exchange: str
    label: str
    status: str  # ok, stale or unavailable
    stale: bool
    fetched_at: str | None
    age_seconds: Number | None
    error: Any  # the exchange's last error as stored, or None
    unpriced: list[str]  # held, but no USD route on this exchange
    value_usd: Decimals
    share: Decimals
    assets: list[HoldingOut]
    value_try: Decimals


class AllocationOut(Answer):
    asset: str
    quantity: Decimals
    value_usd: Decimals
    share: Decimals


class FxOut(Answer):
    pair: str
    source: str
    rate: Decimals
    at: str | None
    ageSeconds: Number | None  # noqa: N815 - the FX quote's own names
    maxAgeSeconds: Number  # noqa: N815
    status: str
    stale: bool
    error: str | None


class PortfolioOut(Answer):
    snapshot_id: int
    as_of: str
    age_seconds: Number
    total_usd: Decimals
    partial: bool
    refresh_latency_ms: int
    exchanges: list[ExchangeOut]
    allocation: list[AllocationOut]
    errors: list[dict[str, Any]]  # {"exchange", ...its error}
    total_try: Decimals
    fx: FxOut


class PortfolioPositionOut(Answer):
    symbol: str
    side: str
    quantity: str
    entry_price: str
    mark_price: str
    unrealized_pnl: str
    notional: str
    leverage: int
    liquidation_price: str | None
    margin_type: str | None


class PortfolioPositionsOut(Answer):
    positions: list[PortfolioPositionOut]
