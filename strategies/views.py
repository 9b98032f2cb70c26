"""Pages of the Strategy Lab: backtests, optimizations, proposals (forms post to services)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from pydantic import ValidationError as PydanticValidationError

from accounts.pages import page_access
from accounts.permissions import ACT_FOR_OTHERS, can, require
from spark_site.error_messages import message_of
from spark_site.errors import DomainError
from strategies import data, optimize, runner, selectors, services
from strategies.charts import equity_svg, heatmap_svg
from strategies.documents import ema_cross, params_of, with_params
from strategies.models import BacktestRun, OptimizationRun, ParamChangeProposal, Strategy
from strategies.schemas import ConfigIn


def _perms(user) -> dict:
    return {
        "backtest": can(user, "strategies.run_backtest"),
        "propose": can(user, "strategies.propose_change"),
        "approve": can(user, "strategies.approve_proposal"),
        "run": can(user, "strategies.run_strategy"),
        # Cancel/stop buttons of objects someone else created show only with this.
        "others": can(user, ACT_FOR_OTHERS),
    }


def _drafts_of(user) -> list:
    """The user's copilot strategy drafts (newest first), if the copilot app has them."""
    from django.apps import apps

    if not user.is_authenticated:
        return []
    try:
        Draft = apps.get_model("copilot", "StrategyDraft")
    except LookupError:
        return []
    return list(Draft.objects.filter(owner=user)[:10])


def lab(request):
    """The Strategy Lab: run a backtest, strategies, proposals, optimizations."""
    if (resp := page_access(request)) is not None:
        return resp
    example = ema_cross(10, 30, symbol="BTCUSDT", timeframe="1h")
    example["position_size"] = {"type": "fixed_notional", "value": 100.0}
    return render(
        request,
        "strategies/lab.html",
        {
            "example": json.dumps(example, indent=2),
            "backtests": BacktestRun.objects.all()[:15],
            "strategies": Strategy.objects.order_by("name"),
            "proposals": ParamChangeProposal.objects.select_related(
                "strategy", "proposer", "decided_by"
            )[:20],
            "optimizations": OptimizationRun.objects.all()[:10],
            "drafts": _drafts_of(request.user),
            "series": data.stored_series(),
            "perms": _perms(request.user),
        },
    )


def _post_fail(request, exc: DomainError, to: str, *args):
    # The API's catalogue: the message in the page's language (spark_site/error_messages.py).
    messages.error(request, message_of(exc))
    return redirect(to, *args)


def _doc_from_form(request) -> dict:
    raw = request.POST.get("document", "")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        # Where it broke, in the page's language: the parser's own sentence is English.
        raise services.ValidationFailed(
            "the document is not valid JSON (line %(line)s, column %(column)s)",
            params={"line": exc.lineno, "column": exc.colno},
        ) from None


def _form_config(request) -> dict:
    """Engine settings typed into the form (blank fields keep their defaults), read and
    bounded as the API reads them: "1e400" or "nan" never reaches the engine."""
    typed = {}
    for key in ("initial_cash", "max_notional", "fee_rate", "slippage"):
        raw = request.POST.get(key, "").strip()
        if raw:
            typed[key] = raw
    try:
        return ConfigIn.model_validate(typed).overrides()
    except PydanticValidationError as exc:
        key = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise services.ValidationFailed(
            "%(field)s must be a number in range", params={"field": key}
        ) from None


@login_required
@require_POST
def backtest_submit(request):
    try:
        start, end = services.period_from(None, None, int(request.POST.get("days") or 30))
        strategy_id = request.POST.get("strategy_id")
        draft_id = request.POST.get("draft_id")
        if draft_id:
            run = services.backtest_run(
                user=request.user, start=start, end=end, draft_id=int(draft_id)
            )
        elif strategy_id:
            strategy = get_object_or_404(Strategy, pk=strategy_id)
            run = services.backtest_run(user=request.user, start=start, end=end, strategy=strategy)
        else:
            doc = _doc_from_form(request)
            run = services.backtest_run(
                user=request.user, start=start, end=end, document=doc, config=_form_config(request)
            )
    except DomainError as exc:
        return _post_fail(request, exc, "strategies:lab")
    return redirect("strategies:backtest", run.pk)


def backtest_page(request, run_id: int):
    if (resp := page_access(request)) is not None:
        return resp
    run = get_object_or_404(BacktestRun, pk=run_id)
    return render(
        request,
        "strategies/backtest.html",
        {
            "run": run,
            "m": run.metrics,
            "chart": equity_svg(run.equity),
            "doc_json": json.dumps(run.document, indent=2),
            "perms": _perms(request.user),
        },
    )


@login_required
@require_POST
def strategy_submit(request):
    try:
        doc = _doc_from_form(request)
        s = services.strategy_create(
            user=request.user, name=request.POST.get("name", "").strip() or "strategy", document=doc
        )
    except DomainError as exc:
        return _post_fail(request, exc, "strategies:lab")
    messages.success(
        request,
        _("Strategy %(name)s saved (version %(version)s).")
        % {"name": s.name, "version": s.version},
    )
    return redirect("strategies:strategy", s.pk)


def strategy_page(request, strategy_id: int):
    if (resp := page_access(request)) is not None:
        return resp
    s = get_object_or_404(Strategy, pk=strategy_id)
    return render(
        request,
        "strategies/strategy.html",
        {
            "s": s,
            "params": params_of(s.document),
            "proposals": s.proposals.select_related("proposer", "decided_by")[:20],
            "runners": s.runners.all()[:10],
            "feed": selectors.runner_feed(s.document),
            "can_approve_strategy": (
                not s.is_approved
                and can(request.user, "strategies.approve_proposal")
                and request.user.pk != s.created_by_id
            ),
            "perms": _perms(request.user),
            "doc_json": json.dumps(s.document, indent=2),
        },
    )


@login_required
@require_POST
def proposal_submit(request, strategy_id: int):
    s = get_object_or_404(Strategy, pk=strategy_id)
    current = params_of(s.document)
    changes = {}
    for path, old in current.items():
        raw = request.POST.get(f"param:{path}", "").strip()
        if raw == "" or old is None and raw in ("", "None"):
            continue
        if "," in raw:  # a Turkish decimal comma, as a Turkish page shows the value
            raw = raw.replace(".", "").replace(",", ".")
        try:
            value = float(raw)
        except ValueError:
            messages.error(request, _("%(field)s: not a number") % {"field": path})
            return redirect("strategies:strategy", s.pk)
        if value.is_integer() and isinstance(old, int):
            value = int(value)
        if old is None or float(old) != value:
            changes[path] = value
    try:
        new_doc = with_params(s.document, changes)
        start, end = services.period_from(None, None, int(request.POST.get("days") or 30))
        p = services.proposal_create(
            user=request.user,
            strategy=s,
            new_document=new_doc,
            start=start,
            end=end,
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        return _post_fail(request, exc, "strategies:strategy", s.pk)
    return redirect("strategies:proposal", p.pk)


def proposal_page(request, proposal_id: int):
    if (resp := page_access(request)) is not None:
        return resp
    p = get_object_or_404(
        ParamChangeProposal.objects.select_related("strategy", "proposer", "decided_by"),
        pk=proposal_id,
    )
    old_m = p.old_run.metrics if p.old_run_id else {}
    new_m = p.new_run.metrics if p.new_run_id else {}
    keys = [
        "total_return_pct", "cagr_pct", "max_drawdown_pct", "sharpe", "sortino",
        "win_rate_pct", "profit_factor", "exposure_pct", "trades",
    ]  # fmt: skip
    return render(
        request,
        "strategies/proposal.html",
        {
            "p": p,
            "evidence": [(k, old_m.get(k), new_m.get(k)) for k in keys],
            "chart": equity_svg(
                p.old_run.equity if p.old_run_id else [],
                other=p.new_run.equity if p.new_run_id else None,
            ),
            "can_decide": (
                p.status == ParamChangeProposal.Status.PENDING
                and can(request.user, "strategies.approve_proposal")
                and request.user.pk != p.proposer_id
            ),
            "is_proposer": request.user.pk == p.proposer_id,
            "perms": _perms(request.user),
        },
    )


@login_required
@require_POST
def proposal_decide(request, proposal_id: int, decision: str):
    if decision not in ("approve", "reject"):
        raise Http404("unknown decision")
    try:
        services.proposal_decide(
            user=request.user,
            proposal_id=proposal_id,
            approve=decision == "approve",
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        return _post_fail(request, exc, "strategies:proposal", proposal_id)
    done = (
        _("Proposal %(id)s approved.") if decision == "approve" else _("Proposal %(id)s rejected.")
    )
    messages.success(request, done % {"id": proposal_id})
    return redirect("strategies:proposal", proposal_id)


@login_required
@require_POST
def optimization_submit(request):
    try:
        doc = services.resolve_document(document=_doc_from_form(request))
        space = {}
        for n in (1, 2):
            path = request.POST.get(f"param{n}", "").strip()
            values = request.POST.get(f"values{n}", "").strip()
            if path and values:
                space[path] = [
                    int(float(v)) if float(v).is_integer() else float(v)
                    for v in values.replace(" ", "").split(",")
                    if v
                ]
        start, end = services.period_from(None, None, int(request.POST.get("days") or 90))
        run = optimize.optimization_start(
            user=request.user,
            document=doc,
            space=space,
            method=request.POST.get("method", "grid"),
            samples=int(request.POST.get("samples") or 30),
            splits=int(request.POST.get("splits") or 3),
            start=start,
            end=end,
        )
    except DomainError as exc:
        return _post_fail(request, exc, "strategies:lab")
    except ValueError:
        messages.error(request, _("parameter values must be numbers separated by commas"))
        return redirect("strategies:lab")
    return redirect("strategies:optimization", run.pk)


def optimization_page(request, opt_id: int):
    if (resp := page_access(request)) is not None:
        return resp
    o = get_object_or_404(OptimizationRun, pk=opt_id)
    keys = list(o.space)
    heat = heatmap_svg(o.results, keys[0], keys[1]) if len(keys) >= 2 and o.results else None
    heat_train = (
        heatmap_svg(o.results, keys[0], keys[1], "train_return_pct")
        if len(keys) >= 2 and o.results
        else None
    )
    ranked = sorted(o.results, key=lambda r: r["train_return_pct"], reverse=True)
    return render(
        request,
        "strategies/optimization.html",
        {
            "o": o,
            "heat": heat,
            "heat_train": heat_train,
            "ranked": ranked[:30],
            "running": o.status not in OptimizationRun.FINAL,
            "perms": _perms(request.user),
        },
    )


@login_required
@require_POST
def optimization_cancel(request, opt_id: int):
    try:
        optimize.optimization_cancel(user=request.user, opt_id=opt_id)
    except DomainError as exc:
        return _post_fail(request, exc, "strategies:optimization", opt_id)
    return redirect("strategies:optimization", opt_id)


@login_required
@require_POST
def runner_deploy(request, strategy_id: int):

    s = get_object_or_404(Strategy, pk=strategy_id)
    try:
        r = runner.runner_deploy(user=request.user, strategy=s)
    except DomainError as exc:
        return _post_fail(request, exc, "strategies:strategy", s.pk)
    messages.success(
        request,
        _("Canary #%(canary)s passed; runner #%(runner)s is paper trading.")
        % {"canary": r.canary_run_id, "runner": r.pk},
    )
    return redirect("strategies:strategy", s.pk)


@login_required
@require_POST
def runner_stop(request, runner_id: int):
    try:
        r = runner.runner_stop(user=request.user, runner_id=runner_id)
    except DomainError as exc:
        return _post_fail(request, exc, "strategies:lab")
    return redirect("strategies:strategy", r.strategy_id)


@login_required
@require_POST
def klines_fetch(request):
    try:
        require(request.user, "strategies.run_backtest", action="strategy.klines.fetch")
        start, end = services.period_from(None, None, int(request.POST.get("days") or 30))
        out = data.fetch_klines(
            symbol=request.POST.get("symbol", "BTCUSDT").strip().upper(),
            interval=request.POST.get("interval", "1h"),
            start_ms=int(start.timestamp() * 1000),
            end_ms=int(end.timestamp() * 1000),
        )
    except DomainError as exc:
        return _post_fail(request, exc, "strategies:lab")
    messages.success(
        request,
        _(
            "%(symbol)s %(interval)s: %(stored)s new bars in %(requests)s requests, "
            "%(had)s already stored, %(gaps)s gaps."
        )
        % {
            "symbol": out["symbol"],
            "interval": out["interval"],
            "stored": out["stored"],
            "requests": out["requests"],
            "had": out["already_had"],
            "gaps": len(out["gaps"]),
        },
    )
    return redirect("strategies:lab")


@login_required
@require_POST
def strategy_approve(request, strategy_id: int):
    try:
        services.strategy_approve(
            user=request.user, strategy_id=strategy_id, note=request.POST.get("note", "")
        )
    except DomainError as exc:
        return _post_fail(request, exc, "strategies:strategy", strategy_id)
    messages.success(request, _("Strategy approved."))
    return redirect("strategies:strategy", strategy_id)
