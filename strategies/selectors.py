"""Reads of the Strategy Lab shaped for the API and the pages."""

from __future__ import annotations

from futures.klines import stream_name
from futures.supervisor import read_status
from strategies.models import (
    BacktestRun,
    OptimizationRun,
    ParamChangeProposal,
    Strategy,
    StrategyRunner,
)


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


def runner_feed(document: dict) -> dict:
    """The kline stream that feeds this document's runners, and whether it is live now."""
    status = read_status()
    name = stream_name(document.get("symbol", ""), document.get("timeframe", ""))
    return {
        "stream": name,
        "streams_running": bool(status.get("running")),
        "subscribed": name in status.get("klines", []),
    }


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
