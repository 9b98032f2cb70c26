"""Request bodies and answer shapes of the strategies API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

from spark_site.money import Money

# Engine settings are simulated, but they arrive as money does: bounded decimals, so 1e308 cash
# or a NaN fee never reaches the engine (inf equity, a 500) nor a stored run's config.
Usd = Money(max_digits=20, decimal_places=8, gt=0)
Rate = Money(max_digits=10, decimal_places=8, ge=0, le="0.1")


class ConfigIn(Schema):
    """What-if engine settings of a backtest; each one sent replaces the platform's value."""

    model_config = ConfigDict(extra="forbid")

    initial_cash: Usd = None
    fee_rate: Rate = None
    slippage: Rate = None
    # null lifts the platform's limit for the what-if run
    max_notional: Usd | None = None
    max_qty: Usd | None = None
    daily_loss_limit: Usd | None = None

    def overrides(self) -> dict:
        """The settings the caller sent (an explicit null included)."""
        return self.model_dump(exclude_unset=True)


class BacktestIn(Schema):
    document: dict[str, Any] | None = None
    draft_id: int | None = None
    strategy_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    days: int = Field(30, ge=1, le=400)
    config: ConfigIn | None = None


class KlinesIn(Schema):
    symbol: str = Field(..., min_length=1, max_length=20)
    interval: str = "1h"
    start: datetime | None = None
    end: datetime | None = None
    days: int = Field(30, ge=1, le=400)


class StrategyIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    document: dict[str, Any] | None = None
    draft_id: int | None = None


class ProposalIn(Schema):
    strategy_id: int
    params: dict[str, int | float] | None = None  # dotted paths: {"fast.period": 12}
    document: dict[str, Any] | None = None
    reason: str = Field("", max_length=1000)
    start: datetime | None = None
    end: datetime | None = None
    days: int = Field(30, ge=1, le=400)


class DecisionIn(Schema):
    note: str = Field("", max_length=1000)


class OptimizationIn(Schema):
    document: dict[str, Any] | None = None
    strategy_id: int | None = None
    draft_id: int | None = None
    space: dict[str, list[int | float]]
    method: str = Field("grid", pattern="^(grid|random)$")
    samples: int = Field(30, ge=1, le=500)
    splits: int = Field(3, ge=1, le=10)
    start: datetime | None = None
    end: datetime | None = None
    days: int = Field(90, ge=1, le=400)
    config: ConfigIn | None = None


class RunnerIn(Schema):
    strategy_id: int


# ---------------------------------------------------------------------------------- answers
# strategies/selectors.py shapes these from rows; ninja checks each answer against them. The
# stored JSON documents (strategy document, metrics, trades, equity, search space, results)
# stay as stored (Any).
Number = int | float  # an int stays an int in the answer


class BacktestSummaryOut(Schema):
    id: int
    status: str
    strategyId: int | None
    draftId: int | None
    symbol: str
    interval: str
    startMs: int
    endMs: int
    metrics: Any
    gaps: Any
    durationMs: Number
    createdAt: str
    url: str


class BacktestOut(BacktestSummaryOut):
    document: Any
    config: Any
    trades: Any
    equity: Any  # [[time_ms, equity], ...] down-sampled


class BacktestsOut(Schema):
    backtests: list[BacktestSummaryOut]


class GapOut(Schema):
    from_ms: int
    to_ms: int
    bars: int


class GapsOut(Schema):
    gaps: list[GapOut]


class KlinesFetchOut(Schema):
    symbol: str
    interval: str
    stored: int
    already_had: int
    requests: int
    gaps: list[GapOut]


class StrategyOut(Schema):
    id: int
    name: str
    version: int
    document: Any
    draftId: int | None
    approved: bool
    approvedBy: str | None
    updatedAt: str


class StrategiesOut(Schema):
    strategies: list[StrategyOut]


class ProposalOut(Schema):
    id: int
    strategyId: int
    baseVersion: int
    status: str
    diff: Any
    reason: str
    proposer: str
    decidedBy: str | None
    decisionNote: str
    oldRun: BacktestSummaryOut | None
    newRun: BacktestSummaryOut | None
    createdAt: str
    decidedAt: str | None


class ProposalsOut(Schema):
    proposals: list[ProposalOut]


class OptimizationOut(Schema):
    id: int
    status: str
    method: str
    splits: int
    space: Any
    total: int
    done: int
    progress: Number
    best: Any
    walkForward: Any
    error: Any
    group: str  # the channel group its progress is sent to
    url: str
    results: Any


class RunnerOut(Schema):
    id: int
    strategyId: int
    version: int
    status: str
    canaryRunId: int | None
    symbol: str | None
    positionQty: str
    entryPrice: str
    realizedPnl: str
    lastPrice: str
    unrealizedPnl: str
    lastBarMs: int
    events: list[Any]
    startedAt: str
    stoppedAt: str | None


class RunnersOut(Schema):
    runners: list[RunnerOut]
