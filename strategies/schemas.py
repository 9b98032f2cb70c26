"""Request bodies and answer shapes of the strategies API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

from spark_site.answers import Answer
from spark_site.money import Money
from strategies.models import (
    BacktestRun,
    OptimizationRun,
    ParamChangeProposal,
    Strategy,
    StrategyRunner,
)

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
# The *_out functions at the end shape these from rows; ninja checks each answer against them. The
# stored JSON documents (strategy document, metrics, trades, equity, search space, results)
# stay as stored (Any).
Number = int | float  # an int stays an int in the answer


class BacktestSummaryOut(Answer):
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


class BacktestsOut(Answer):
    backtests: list[BacktestSummaryOut]


class GapOut(Answer):
    from_ms: int
    to_ms: int
    bars: int


class GapsOut(Answer):
    gaps: list[GapOut]


class KlinesFetchOut(Answer):
    symbol: str
    interval: str
    stored: int
    already_had: int
    requests: int
    gaps: list[GapOut]


class StrategyOut(Answer):
    id: int
    name: str
    version: int
    document: Any
    draftId: int | None
    approved: bool
    approvedBy: str | None
    updatedAt: str


class StrategiesOut(Answer):
    strategies: list[StrategyOut]


class ProposalOut(Answer):
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


class ProposalsOut(Answer):
    proposals: list[ProposalOut]


class OptimizationOut(Answer):
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


class RunnerOut(Answer):
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


class RunnersOut(Answer):
    runners: list[RunnerOut]


# ------------------------------------------------------------------------- shaping rows


def backtest_out(run: BacktestRun, *, full: bool = True) -> dict:
    out = {
        "id": run.pk,
        "status": run.status,
        "strategyId": run.strategy_id,
        "draftId": run.draft_id,
        "symbol": run.symbol,
        "interval": run.interval,
        "startMs": run.start_ms,
        "endMs": run.end_ms,
        "metrics": run.metrics,
        "gaps": run.gaps,
        "durationMs": round(run.duration_ms, 2),
        "createdAt": run.created_at.isoformat(),
        "url": f"/strategy-lab/backtests/{run.pk}",
    }
    if full:
        out.update(
            {
                "document": run.document,
                "config": run.config,
                "trades": run.trades,
                "equity": run.equity,
            }
        )
    return out


def strategy_out(s: Strategy) -> dict:
    return {
        "id": s.pk,
        "name": s.name,
        "version": s.version,
        "document": s.document,
        "draftId": s.draft_id,
        "approved": s.is_approved,
        "approvedBy": s.approved_by.get_username() if s.approved_by_id else None,
        "updatedAt": s.updated_at.isoformat(),
    }


def proposal_out(p: ParamChangeProposal) -> dict:
    return {
        "id": p.pk,
        "strategyId": p.strategy_id,
        "baseVersion": p.base_version,
        "status": p.status,
        "diff": p.diff,
        "reason": p.reason,
        "proposer": p.proposer.get_username(),
        "decidedBy": p.decided_by.get_username() if p.decided_by_id else None,
        "decisionNote": p.decision_note,
        "oldRun": backtest_out(p.old_run, full=False) if p.old_run_id else None,
        "newRun": backtest_out(p.new_run, full=False) if p.new_run_id else None,
        "createdAt": p.created_at.isoformat(),
        "decidedAt": p.decided_at.isoformat() if p.decided_at else None,
    }


def optimization_out(o: OptimizationRun, *, full: bool = True) -> dict:
    out = {
        "id": o.pk,
        "status": o.status,
        "method": o.method,
        "splits": o.splits,
        "space": o.space,
        "total": o.total,
        "done": o.done,
        "progress": round(o.progress, 4),
        "best": o.best,
        "walkForward": o.walk_forward,
        "error": o.error,
        "group": f"strategies.opt.{o.pk}",
        "url": f"/strategy-lab/optimizations/{o.pk}",
    }
    if full:
        out["results"] = o.results
    return out


def runner_out(r: StrategyRunner) -> dict:
    return {
        "id": r.pk,
        "strategyId": r.strategy_id,
        "version": r.version,
        "status": r.status,
        "canaryRunId": r.canary_run_id,
        "symbol": r.document.get("symbol"),
        "positionQty": format(r.position_qty, "f"),
        "entryPrice": format(r.entry_price, "f"),
        "realizedPnl": format(r.realized_pnl, "f"),
        "lastPrice": format(r.last_price, "f"),
        "unrealizedPnl": format(r.unrealized_pnl(), "f"),
        "lastBarMs": r.last_bar_ms,
        "events": r.events[:50],
        "startedAt": r.started_at.isoformat(),
        "stoppedAt": r.stopped_at.isoformat() if r.stopped_at else None,
    }
