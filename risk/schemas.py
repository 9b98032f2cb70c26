"""Request and answer shapes of the risk API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ninja import Field, Schema
from pydantic import field_validator

from risk.models import MONEY
from risk.money import fmt
from spark_site.answers import Answer
from spark_site.money import Money

if TYPE_CHECKING:
    from risk.services import RiskStatus

# A manual entry is one desk's correction, not a fortune: a bound well inside the column keeps
# the day's sum (and the breaker's acknowledged PnL, the same column) storable.
PNL_BOUND = 1_000_000_000
PnLAmount = Money(**MONEY, ge=-PNL_BOUND, le=PNL_BOUND)


class ReasonIn(Schema):
    reason: str = Field(..., max_length=300)


class PnLIn(Schema):
    symbol: str = Field(..., pattern=r"^[A-Z0-9]{5,20}$")
    amount: PnLAmount
    # Stored as "manual:<reference>" (source_ref, 120 characters): printable and unpadded, so
    # the answer and the audit echo exactly what is stored.
    reference: str = Field(..., min_length=1, max_length=100)

    @field_validator("amount")
    @classmethod
    def _not_zero(cls, value):
        if value.is_zero():
            raise ValueError("a profit or a loss, not 0")
        return value

    @field_validator("reference")
    @classmethod
    def _printable(cls, value: str) -> str:
        if not value.isprintable() or value != value.strip():
            raise ValueError("printable text without leading or trailing spaces")
        return value


# ---------------------------------------------------------------------------------- answers
# Decimals are strings (fmt), times ISO 8601 strings; ninja checks each answer against these.
Decimals = str | None


class LimitsOut(Answer):
    maxNotionalUsd: Decimals
    defaultMaxPositionUsd: Decimals
    dailyLossLimitUsd: Decimals
    tradingDayTimezone: str
    tradingDayStartHour: int
    symbolPositionLimits: dict[str, Decimals]  # symbol -> largest position in contracts


class BreakerOut(Answer):
    state: str
    open: bool
    openedAt: str | None
    openedReason: str | None
    openedBy: str | None
    closedAt: str | None
    closedBy: str | None
    closeReason: str | None


class TodayOut(Answer):
    tradingDay: str
    startsAt: str
    endsAt: str
    pnl: Decimals
    counts: str  # "net" or "realized" (SPARK_DAILY_LOSS_COUNTS)
    realizedPnl: Decimals
    commission: Decimals
    funding: Decimals
    countedPnl: Decimals
    dailyLossLimit: Decimals
    remainingLossBudget: Decimals


class PositionUseOut(Answer):
    symbol: str
    positionAmt: Decimals
    markPrice: Decimals
    limit: Decimals
    unit: str  # "contracts" or "USD"
    value: Decimals
    usePct: Decimals


class RiskStatusOut(Answer):
    limits: LimitsOut
    today: TodayOut
    circuitBreaker: BreakerOut
    positions: list[PositionUseOut] | None  # None when no position provider answers
    positionsAvailable: bool
    filtersAvailable: bool
    conflicts: list[dict[str, Any]]  # a limit the exchange's filters make unreachable


class BreakerAnswerOut(Answer):
    circuitBreaker: BreakerOut


class PnLEntryOut(Answer):
    id: int
    symbol: str
    amount: Decimals
    source: str
    reference: str
    tradingDay: str


class PnLRecordedOut(Answer):
    created: bool
    entry: PnLEntryOut
    circuitBreaker: BreakerOut


def risk_status_out(status: RiskStatus) -> dict[str, Any]:
    """services.RiskStatus as GET /futures/risk/status answers it (and the live `risk` topic)."""
    budget = status.budget
    return {
        "limits": status.limits.as_dict(),
        "today": {
            "tradingDay": status.day.isoformat(),
            "startsAt": status.starts_at.isoformat(),
            "endsAt": status.ends_at.isoformat(),
            "pnl": fmt(budget["pnl"]),
            # What the limit counts (SPARK_DAILY_LOSS_COUNTS) and each part of the day's PnL.
            "counts": budget.counts,
            "realizedPnl": fmt(budget.parts["realized"]),
            "commission": fmt(budget.parts["commission"]),
            "funding": fmt(budget.parts["funding"]),
            "countedPnl": fmt(budget["counted"]),
            "dailyLossLimit": fmt(status.limits.daily_loss_limit_usd),
            "remainingLossBudget": fmt(budget["remaining"]),
        },
        "circuitBreaker": status.breaker.as_dict(),
        "positions": None
        if status.positions is None
        else [
            {
                "symbol": p.symbol,
                "positionAmt": fmt(p.amount),
                "markPrice": fmt(p.mark_price),
                "limit": fmt(p.limit),
                "unit": p.unit,
                "value": fmt(p.value),
                "usePct": fmt(p.use_pct),
            }
            for p in status.positions
        ],
        "positionsAvailable": status.positions is not None,
        "filtersAvailable": status.filters_available,
        "conflicts": status.conflicts,
    }
