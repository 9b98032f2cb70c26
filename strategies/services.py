"""Workflows of the Strategy Lab: backtests, strategies, parameter-change proposals."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import numpy as np
from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.permissions import require
from audit.models import AuditEntry
from audit.services import record
from risk.models import RiskLimits
from risk.selectors import symbol_limit
from spark_site.errors import DomainError, NotFound, ValidationFailed
from strategies import data, engine
from strategies.documents import normalize, params_of
from strategies.models import BacktestRun, ParamChangeProposal, Strategy

logger = logging.getLogger(__name__)

MAX_BARS = 600_000
EQUITY_POINTS = 400
STORED_TRADES = 500


class FourEyesViolation(DomainError):
    status = 403
    code = "FOUR_EYES_REQUIRED"


class ProposalConflict(DomainError):
    status = 409
    code = "PROPOSAL_CONFLICT"


def _money(x: float) -> str:
    return f"{x:.8f}"


def resolve_document(
    *, document: dict | None = None, draft_id: int | None = None, user=None
) -> dict:
    """Return the strategy document given inline or by a copilot draft id (the user's own)."""
    if document is None and draft_id is None:
        raise ValidationFailed(
            "give a strategy document or a draft id", details={"fields": ["document", "draft_id"]}
        )
    if document is None:
        try:
            Draft = apps.get_model("copilot", "StrategyDraft")
        except LookupError:
            raise NotFound("strategy drafts are not available") from None
        draft = Draft.objects.filter(pk=draft_id).first()
        owner = getattr(draft, "owner_id", None)
        if draft is None or (user is not None and owner is not None and owner != user.pk):
            # someone else's draft is as good as missing: do not confirm that it exists
            raise NotFound(gettext_noop("strategy draft %(id)s not found"), params={"id": draft_id})
        document = getattr(draft, "document", None) or getattr(draft, "strategy", None)
        if not isinstance(document, dict):
            raise ValidationFailed(
                gettext_noop("draft %(id)s has no strategy document"), params={"id": draft_id}
            )
    return normalize(document)


def _platform_limits(symbol: str) -> dict:
    """The risk app's limits in force (one row, edited by operators) for a backtest default."""
    limits = RiskLimits.load()
    kind, value = symbol_limit(limits, symbol)
    out = {
        "max_notional": float(limits.max_notional_usd),
        "daily_loss_limit": float(limits.daily_loss_limit_usd),
    }
    if kind == "qty":
        out["max_qty"] = float(value)
    return out


def backtest_config(overrides: dict | None, doc: dict | None = None) -> engine.BacktestConfig:
    """Engine settings: the risk app's limits (max notional, the symbol's max position
    quantity, the daily loss limit), tightened by the document's own risk block; explicit
    overrides of the request (a what-if backtest) replace them."""
    cfg = engine.BacktestConfig()
    for key, value in _platform_limits((doc or {}).get("symbol") or "BTCUSDT").items():
        setattr(cfg, key, value or None)
    risk = (doc or {}).get("risk") or {}
    if risk.get("max_notional_usd"):  # a document may be stricter than the platform, not looser
        own = float(risk["max_notional_usd"])
        cfg.max_notional = min(own, cfg.max_notional) if cfg.max_notional else own
    for key, value in (overrides or {}).items():
        if not hasattr(cfg, key):
            raise ValidationFailed(
                "unknown backtest setting %(value)r", params={"value": key}, details={"field": key}
            )
        setattr(cfg, key, None if value is None else float(value))
    return cfg


def _downsample(times: np.ndarray, equity: np.ndarray, points: int = EQUITY_POINTS) -> list:
    n = equity.size
    if n == 0:
        return []
    idx = np.unique(np.linspace(0, n - 1, min(points, n)).astype(np.int64))
    return [[int(times[i]), round(float(equity[i]), 2)] for i in idx]


def _trade_row(t: dict) -> dict:
    return {
        "side": t["side"],
        "entry_time": t["entry_time"],
        "exit_time": t["exit_time"],
        "qty": f"{t['qty']:.8f}",
        "entry_price": _money(t["entry_price"]),
        "exit_price": _money(t["exit_price"]),
        "fees": _money(t["fees"]),
        "pnl": _money(t["pnl"]),
        "return_pct": round(float(t["return_pct"]), 4),
        "exit_reason": t["exit_reason"],
    }


MONEY_METRICS = ("final_equity", "net_pnl", "fees")


def _stored_metrics(metrics: dict) -> dict:
    """Metrics as stored and served: money amounts as strings (the API's rule), ratios as
    numbers. The engine computes in float64 for speed; amounts are shown to 8 decimals."""
    return {
        k: (_money(v) if k in MONEY_METRICS and v is not None else v) for k, v in metrics.items()
    }


def run_on_bars(doc: dict, bars: dict, cfg: engine.BacktestConfig) -> engine.BacktestResult:
    """Simulate doc on bars (no database): the optimizer's inner call."""
    return engine.simulate(doc, bars, cfg)


def backtest_run(
    *,
    user,
    start: datetime,
    end: datetime,
    document: dict | None = None,
    draft_id: int | None = None,
    strategy: Strategy | None = None,
    config: dict | None = None,
    fetch: bool = True,
) -> BacktestRun:
    """Fetch the period's klines (incrementally), backtest the document and store the run."""
    require(user, "strategies.run_backtest", action="strategy.backtest")
    if strategy is not None and document is None:
        document = strategy.document
    doc = resolve_document(document=document, draft_id=draft_id, user=user)
    start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    if end_ms <= start_ms:
        raise ValidationFailed("the period must end after it starts", details={"field": "end"})
    step = data.interval_ms(doc["timeframe"])
    if (end_ms - start_ms) // step > MAX_BARS:
        raise ValidationFailed(
            gettext_noop("the period holds more than %(bars)s bars of %(timeframe)s"),
            params={"bars": MAX_BARS, "timeframe": doc["timeframe"]},
            details={"field": "start"},
        )
    cfg = backtest_config(config, doc)
    gaps: list = []
    if fetch:
        gaps = data.fetch_klines(
            symbol=doc["symbol"], interval=doc["timeframe"], start_ms=start_ms, end_ms=end_ms
        )["gaps"]
    bars = data.load_bars(
        symbol=doc["symbol"], interval=doc["timeframe"], start_ms=start_ms, end_ms=end_ms
    )
    t0 = time.perf_counter()
    result = engine.simulate(doc, bars, cfg)
    took = (time.perf_counter() - t0) * 1000
    run = BacktestRun.objects.create(
        strategy=strategy,
        draft_id=draft_id,
        document=doc,
        symbol=doc["symbol"],
        interval=doc["timeframe"],
        start_ms=start_ms,
        end_ms=end_ms,
        config=cfg.__dict__,
        metrics=_stored_metrics(result.metrics),
        trades=[_trade_row(t) for t in result.trades[-STORED_TRADES:]],
        equity=_downsample(result.times, result.equity),
        gaps=gaps,
        duration_ms=took,
        created_by=user,
    )
    record(
        actor=user,
        action="strategy.backtest",
        target=doc["symbol"],
        payload={"run": run.pk, "trades": result.metrics.get("trades")},
    )
    return run


def get_backtest(run_id: int) -> BacktestRun:
    run = BacktestRun.objects.filter(pk=run_id).first()
    if run is None:
        raise NotFound(gettext_noop("backtest %(id)s not found"), params={"id": run_id})
    return run


# ---------------------------------------------------------------- strategies and proposals


def strategy_create(*, user, name: str, document: dict, draft_id: int | None = None) -> Strategy:
    """Register a strategy (version 1); it runs only after another user approves it."""
    require(user, "strategies.propose_change", action="strategy.create", target=name)
    doc = normalize(document)
    if Strategy.objects.filter(name=name).exists():
        raise ProposalConflict(
            gettext_noop("a strategy named %(name)s exists"), params={"name": repr(name)}
        )
    s = Strategy.objects.create(name=name, document=doc, draft_id=draft_id, created_by=user)
    record(actor=user, action="strategy.create", target=name, payload={"version": 1})
    return s


def _diff(old: dict, new: dict) -> list[dict]:
    a, b = params_of(old), params_of(new)
    out = [
        {"param": k, "old": a.get(k), "new": b.get(k)}
        for k in sorted(set(a) | set(b))
        if a.get(k) != b.get(k)
    ]
    for key in ("entry", "exit", "side", "symbol", "timeframe"):
        if old.get(key) != new.get(key):
            out.append({"param": key, "old": old.get(key), "new": new.get(key)})
    return out


def proposal_create(
    *,
    user,
    strategy: Strategy,
    new_document: dict,
    start: datetime,
    end: datetime,
    reason: str = "",
    config: dict | None = None,
) -> ParamChangeProposal:
    """Propose new parameters; both the current and the new ones are backtested as evidence."""
    require(user, "strategies.propose_change", action="strategy.propose", target=strategy.name)
    new_doc = normalize(new_document)
    old_doc = normalize(strategy.document)
    diff = _diff(old_doc, new_doc)
    if not diff:
        raise ValidationFailed("the proposal changes nothing", details={"field": "new_document"})
    old_run = backtest_run(
        user=user, start=start, end=end, document=old_doc, strategy=strategy, config=config
    )
    new_run = backtest_run(
        user=user, start=start, end=end, document=new_doc, strategy=strategy, config=config
    )
    p = ParamChangeProposal.objects.create(
        strategy=strategy,
        base_version=strategy.version,
        old_document=old_doc,
        new_document=new_doc,
        diff=diff,
        old_run=old_run,
        new_run=new_run,
        reason=reason,
        proposer=user,
    )
    record(
        actor=user,
        action="strategy.propose",
        target=strategy.name,
        payload={"proposal": p.pk, "diff": diff},
    )
    return p


def proposal_decide(
    *, user, proposal_id: int, approve: bool, note: str = ""
) -> ParamChangeProposal:
    """Approve (the strategy takes the new document) or reject; never one's own proposal."""
    action = "strategy.proposal.approve" if approve else "strategy.proposal.reject"
    # The right is checked before the lookup, so a refusal never reveals what exists.
    require(user, "strategies.approve_proposal", action=action, target=f"proposal:{proposal_id}")
    p = ParamChangeProposal.objects.select_related("strategy").filter(pk=proposal_id).first()
    if p is None:
        raise NotFound(gettext_noop("proposal %(id)s not found"), params={"id": proposal_id})
    if p.proposer_id == user.pk:
        record(
            actor=user,
            action=action,
            target=p.strategy.name,
            payload={"proposal": p.pk, "reason": "four-eyes: the proposer cannot decide"},
            outcome=AuditEntry.Outcome.DENIED,
        )
        raise FourEyesViolation(
            "a proposal must be decided by someone other than its proposer",
            details={"proposal": p.pk},
        )
    with transaction.atomic():
        # compare-and-set: two approvers clicking at once must not both apply a change
        new_status = (
            ParamChangeProposal.Status.APPROVED if approve else ParamChangeProposal.Status.REJECTED
        )
        changed = ParamChangeProposal.objects.filter(
            pk=p.pk, status=ParamChangeProposal.Status.PENDING
        ).update(status=new_status, decided_by=user, decided_at=timezone.now(), decision_note=note)
        if not changed:
            raise ProposalConflict("the proposal was already decided", details={"proposal": p.pk})
        if approve:
            # the strategy must still be at the version the proposal was made against
            moved = Strategy.objects.filter(pk=p.strategy_id, version=p.base_version).update(
                document=p.new_document, version=p.base_version + 1, updated_at=timezone.now()
            )
            if not moved:
                transaction.set_rollback(True)
                stale = True
            else:
                stale = False
        else:
            stale = False
    if stale:
        raise ProposalConflict(
            "the strategy changed since this proposal was made; propose again",
            details={"proposal": p.pk, "base_version": p.base_version},
        )
    record(
        actor=user,
        action=action,
        target=p.strategy.name,
        payload={"proposal": p.pk, "diff": p.diff, "note": note},
    )
    p.refresh_from_db()
    return p


def strategy_approve(*, user, strategy_id: int, note: str = "") -> Strategy:
    """Approve a new strategy's first version: someone other than its creator (four-eyes)."""
    require(
        user,
        "strategies.approve_proposal",
        action="strategy.approve",
        target=f"strategy:{strategy_id}",
    )
    s = Strategy.objects.filter(pk=strategy_id).first()
    if s is None:
        raise NotFound(gettext_noop("strategy %(id)s not found"), params={"id": strategy_id})
    if s.created_by_id == user.pk:
        record(
            actor=user,
            action="strategy.approve",
            target=s.name,
            payload={"reason": "four-eyes: the creator cannot approve"},
            outcome=AuditEntry.Outcome.DENIED,
        )
        raise FourEyesViolation(
            "a strategy must be approved by someone other than its creator",
            details={"strategy": s.pk},
        )
    changed = Strategy.objects.filter(pk=s.pk, approved_by__isnull=True).update(
        approved_by=user, approved_at=timezone.now()
    )
    if not changed:
        raise ProposalConflict("the strategy is already approved", details={"strategy": s.pk})
    record(
        actor=user,
        action="strategy.approve",
        target=s.name,
        payload={"strategy": s.pk, "version": s.version, "note": note},
    )
    s.refresh_from_db()
    return s


def approved_document(strategy: Strategy, document: dict | None = None) -> dict:
    """Return the document that may run: only the strategy's approved one."""
    if not strategy.is_approved:
        raise FourEyesViolation(
            "the strategy is not approved yet; someone other than its creator must approve it",
            details={"strategy": strategy.name},
        )
    approved = normalize(strategy.document)
    if document is not None and normalize(document) != approved:
        raise FourEyesViolation(
            "only approved parameters can run; propose the change first",
            details={"strategy": strategy.name, "version": strategy.version},
        )
    return approved


def period_from(start: datetime | None, end: datetime | None, days: int = 30):
    """A default backtest period: the last `days` finished days."""
    now = datetime.now(UTC)
    end = end or now.replace(minute=0, second=0, microsecond=0)
    start = start or datetime.fromtimestamp(end.timestamp() - days * 86400, UTC)
    return start, end
