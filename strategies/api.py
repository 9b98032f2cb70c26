"""HTTP API of the strategies app (thin: validate, call a service, shape the answer)."""

from __future__ import annotations

from django.utils.translation import gettext_noop
from ninja import Router

from accounts.auth import READ_AUTH, write_auth
from accounts.permissions import require
from spark_site.errors import NotFound, ValidationFailed
from strategies import data, optimize, runner, schemas, services
from strategies.documents import with_params
from strategies.models import (
    BacktestRun,
    OptimizationRun,
    ParamChangeProposal,
    Strategy,
    StrategyRunner,
)
from strategies.schemas import (
    BacktestIn,
    BacktestOut,
    BacktestsOut,
    DecisionIn,
    GapsOut,
    KlinesFetchOut,
    KlinesIn,
    OptimizationIn,
    OptimizationOut,
    ProposalIn,
    ProposalOut,
    ProposalsOut,
    RunnerIn,
    RunnerOut,
    RunnersOut,
    StrategiesOut,
    StrategyIn,
    StrategyOut,
)

router = Router(tags=["strategies"])


def _strategy(strategy_id: int) -> Strategy:
    s = Strategy.objects.filter(pk=strategy_id).first()
    if s is None:
        raise NotFound(gettext_noop("strategy %(id)s not found"), params={"id": strategy_id})
    return s


@router.post(
    "/backtests",
    auth=write_auth("strategies.run_backtest", "strategy.backtest"),
    response={201: BacktestOut},
)
def backtest_create(request, payload: BacktestIn):
    """Run a backtest of a document, a copilot draft or a strategy over a period."""
    start, end = services.period_from(payload.start, payload.end, payload.days)
    strategy = _strategy(payload.strategy_id) if payload.strategy_id else None
    run = services.backtest_run(
        user=request.auth,
        start=start,
        end=end,
        document=payload.document,
        draft_id=payload.draft_id,
        strategy=strategy,
        config=payload.config.overrides() if payload.config else None,
    )
    return 201, schemas.backtest_out(run)


@router.get("/backtests", auth=READ_AUTH, response=BacktestsOut)
def backtest_list(request, limit: int = 20):
    """The most recent backtests (summaries)."""
    runs = BacktestRun.objects.all()[: max(1, min(limit, 100))]
    return {"backtests": [schemas.backtest_out(r, full=False) for r in runs]}


@router.get("/backtests/{run_id}", auth=READ_AUTH, response=BacktestOut)
def backtest_get(request, run_id: int):
    """One backtest with its trades and equity curve."""
    return schemas.backtest_out(services.get_backtest(run_id))


@router.post(
    "/klines/fetch",
    auth=write_auth("strategies.run_backtest", "strategy.klines.fetch"),
    response=KlinesFetchOut,
)
def klines_fetch(request, payload: KlinesIn):
    """Fetch (incrementally) and store klines of a period; report the gaps left."""
    require(request.auth, "strategies.run_backtest", action="strategy.klines.fetch")
    start, end = services.period_from(payload.start, payload.end, payload.days)
    return data.fetch_klines(
        symbol=payload.symbol,
        interval=payload.interval,
        start_ms=int(start.timestamp() * 1000),
        end_ms=int(end.timestamp() * 1000),
    )


@router.get("/klines/gaps", auth=READ_AUTH, response=GapsOut)
def klines_gaps(request, symbol: str, interval: str, start_ms: int, end_ms: int):
    """Stretches of the period with no stored bar."""
    return {
        "gaps": data.find_gaps(symbol=symbol, interval=interval, start_ms=start_ms, end_ms=end_ms)
    }


@router.post(
    "/strategies",
    auth=write_auth("strategies.propose_change", "strategy.create"),
    response={201: StrategyOut},
)
def strategy_create(request, payload: StrategyIn):
    """Register a strategy (its first document is version 1)."""
    doc = services.resolve_document(
        document=payload.document, draft_id=payload.draft_id, user=request.auth
    )
    s = services.strategy_create(
        user=request.auth, name=payload.name, document=doc, draft_id=payload.draft_id
    )
    return 201, schemas.strategy_out(s)


@router.post(
    "/strategies/{strategy_id}/approve",
    auth=write_auth("strategies.approve_proposal", "strategy.approve"),
    response=StrategyOut,
)
def strategy_approve(request, strategy_id: int, payload: DecisionIn):
    """Approve a new strategy (someone other than its creator)."""
    s = services.strategy_approve(user=request.auth, strategy_id=strategy_id, note=payload.note)
    return schemas.strategy_out(s)


@router.get("/strategies", auth=READ_AUTH, response=StrategiesOut)
def strategy_list(request):
    return {"strategies": [schemas.strategy_out(s) for s in Strategy.objects.order_by("name")]}


@router.post(
    "/proposals",
    auth=write_auth("strategies.propose_change", "strategy.propose"),
    response={201: ProposalOut},
)
def proposal_create(request, payload: ProposalIn):
    """Propose new parameters for a strategy; both versions are backtested as evidence."""
    strategy = _strategy(payload.strategy_id)
    if payload.document is not None:
        new_doc = payload.document
    elif payload.params:
        new_doc = with_params(strategy.document, payload.params)
    else:
        raise ValidationFailed("give params or a document", details={"fields": ["params"]})
    start, end = services.period_from(payload.start, payload.end, payload.days)
    p = services.proposal_create(
        user=request.auth,
        strategy=strategy,
        new_document=new_doc,
        start=start,
        end=end,
        reason=payload.reason,
    )
    return 201, schemas.proposal_out(p)


@router.get("/proposals", auth=READ_AUTH, response=ProposalsOut)
def proposal_list(request, status: str = ""):
    qs = ParamChangeProposal.objects.select_related("proposer", "decided_by")
    if status:
        qs = qs.filter(status=status.upper())
    return {"proposals": [schemas.proposal_out(p) for p in qs[:100]]}


@router.get("/proposals/{proposal_id}", auth=READ_AUTH, response=ProposalOut)
def proposal_get(request, proposal_id: int):
    p = ParamChangeProposal.objects.filter(pk=proposal_id).first()
    if p is None:
        raise NotFound(gettext_noop("proposal %(id)s not found"), params={"id": proposal_id})
    return schemas.proposal_out(p)


@router.post(
    "/proposals/{proposal_id}/approve",
    auth=write_auth("strategies.approve_proposal", "strategy.proposal.approve"),
    response=ProposalOut,
)
def proposal_approve(request, proposal_id: int, payload: DecisionIn):
    """Approve (someone other than the proposer): the strategy takes the new parameters."""
    p = services.proposal_decide(
        user=request.auth, proposal_id=proposal_id, approve=True, note=payload.note
    )
    return schemas.proposal_out(p)


@router.post(
    "/proposals/{proposal_id}/reject",
    auth=write_auth("strategies.approve_proposal", "strategy.proposal.reject"),
    response=ProposalOut,
)
def proposal_reject(request, proposal_id: int, payload: DecisionIn):
    p = services.proposal_decide(
        user=request.auth, proposal_id=proposal_id, approve=False, note=payload.note
    )
    return schemas.proposal_out(p)


@router.post(
    "/optimizations",
    auth=write_auth("strategies.run_backtest", "strategy.optimize"),
    response={202: OptimizationOut},
)
def optimization_create(request, payload: OptimizationIn):
    """Start a grid / random search with walk-forward splits as a background job."""
    document = payload.document
    if payload.strategy_id:
        document = _strategy(payload.strategy_id).document
    start, end = services.period_from(payload.start, payload.end, payload.days)
    run = optimize.optimization_start(
        user=request.auth,
        document=services.resolve_document(
            document=document, draft_id=payload.draft_id, user=request.auth
        ),
        space=payload.space,
        method=payload.method,
        samples=payload.samples,
        splits=payload.splits,
        start=start,
        end=end,
        config=payload.config.overrides() if payload.config else None,
    )
    return 202, schemas.optimization_out(run)


@router.get("/optimizations/{opt_id}", auth=READ_AUTH, response=OptimizationOut)
def optimization_get(request, opt_id: int):
    o = OptimizationRun.objects.filter(pk=opt_id).first()
    if o is None:
        raise NotFound(gettext_noop("optimization %(id)s not found"), params={"id": opt_id})
    return schemas.optimization_out(o)


@router.post(
    "/optimizations/{opt_id}/cancel",
    auth=write_auth("strategies.run_backtest", "strategy.optimize.cancel"),
    response=OptimizationOut,
)
def optimization_cancel(request, opt_id: int):
    """Ask a running optimization to stop after the current combination."""
    return schemas.optimization_out(optimize.optimization_cancel(user=request.auth, opt_id=opt_id))


# ---------------------------------------------------------------- runners


@router.post(
    "/runners",
    auth=write_auth("strategies.run_strategy", "strategy.deploy"),
    response={201: RunnerOut},
)
def runner_create(request, payload: RunnerIn):
    """Deploy the approved strategy: a canary first, then a paper runner fed by the kline stream."""

    r = runner.runner_deploy(user=request.auth, strategy=_strategy(payload.strategy_id))
    return 201, schemas.runner_out(r)


@router.get("/runners", auth=READ_AUTH, response=RunnersOut)
def runner_list(request):
    return {"runners": [schemas.runner_out(r) for r in StrategyRunner.objects.all()[:50]]}


@router.get("/runners/{runner_id}", auth=READ_AUTH, response=RunnerOut)
def runner_get(request, runner_id: int):
    r = StrategyRunner.objects.filter(pk=runner_id).first()
    if r is None:
        raise NotFound(gettext_noop("runner %(id)s not found"), params={"id": runner_id})
    return schemas.runner_out(r)


@router.post(
    "/runners/{runner_id}/stop",
    auth=write_auth("strategies.run_strategy", "strategy.stop"),
    response=RunnerOut,
)
def runner_stop(request, runner_id: int):
    return schemas.runner_out(runner.runner_stop(user=request.auth, runner_id=runner_id))
