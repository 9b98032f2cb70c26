"""Every server-rendered page of the site (for the access, Turkish-scan and layout tests)."""

from __future__ import annotations

from decimal import Decimal

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from strategies.documents import ema_cross
from strategies.models import (
    BacktestRun,
    OptimizationRun,
    ParamChangeProposal,
    Strategy,
    StrategyRunner,
)

# Pages by URL name (namespace:name); those with an object get one made by page_urls().
PAGE_NAMES = {
    "dashboard": "/",
    "portfolio": "/portfolio",
    "copilot_home": "/copilot-home",
    "strategy_lab_copilot": "/strategy-lab-copilot",
    "canary": "/canary/",
    "profile": "/profile/",
    "strategies:lab": "/strategy-lab/",
    "strategies:backtest": "/strategy-lab/backtests/{backtest}",
    "strategies:strategy": "/strategy-lab/strategies/{strategy}",
    "strategies:proposal": "/strategy-lab/proposals/{proposal}",
    "strategies:optimization": "/strategy-lab/optimizations/{optimization}",
    "limits": "/limits/",
    "history": "/history",
}
# URL names that are not GET pages (form posts, redirects, machine routes) or are public.
NOT_PAGES = {
    "login",
    "logout",
    "set_language",
    "telegram_link_code",
    "telegram_unlink",
    "notification_preferences",
    "summary_time",
    "prometheus-django-metrics",
    "strategies:backtest_submit",
    "strategies:klines_fetch",
    "strategies:strategy_submit",
    "strategies:proposal_submit",
    "strategies:deploy",
    "strategies:runner_stop",
    "strategies:strategy_approve",
    "strategies:proposal_decide",
    "strategies:optimization_submit",
    "strategies:optimization_cancel",
}


def html_url_names() -> set[str]:
    """URL names of the site outside the API and admin (to prove PAGE_NAMES is complete)."""
    names: set[str] = set()

    def walk(patterns, namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace in ("admin", "api"):
                    continue
                walk(p.url_patterns, f"{p.namespace}:" if p.namespace else namespace)
            elif isinstance(p, URLPattern) and p.name:
                names.add(namespace + p.name)

    walk(get_resolver().url_patterns)
    return names


def page_urls(owner) -> dict[str, str]:
    """Every page's URL, making the objects the object pages show (owned by owner)."""
    now = int(timezone.now().timestamp() * 1000)
    # Names are data a person typed (not UI text): Turkish ones, so the scans see only the UI.
    ema = {**ema_cross(10, 30, symbol="BTCUSDT", timeframe="1h"), "name": "EMA 10/30 kesişim"}
    strategy = Strategy.objects.create(name="ema kesişim", document=ema, created_by=owner)
    # figures with decimals and thousands, so the scans see how each page writes them
    trade = {
        "side": "long",
        "entry_time": now - 7_200_000,
        "exit_time": now - 3_600_000,
        "qty": 0.0125,
        "entry_price": 61234.5,
        "exit_price": 62345.25,
        "pnl": 1234.5678,
        "return_pct": 1.81,
        "exit_reason": "take_profit",
    }
    backtest = BacktestRun.objects.create(
        strategy=strategy,
        document=ema,
        symbol="BTCUSDT",
        interval="1h",
        start_ms=now - 86_400_000,
        end_ms=now,
        created_by=owner,
        config={"fee_rate": 0.0004, "slippage": 0.0005, "max_notional": 1500.5},
        metrics={"total_return_pct": 12.34, "trades": 1, "sharpe": 1.5, "profit_factor": 2.25},
        trades=[trade, {**trade, "exit_reason": "stop_loss", "pnl": -12.5}],
    )
    StrategyRunner.objects.create(
        strategy=strategy,
        version=1,
        document=ema,
        status=StrategyRunner.Status.STOPPED,
        position_qty=Decimal("1234.5"),
        entry_price=Decimal("61234.5"),
        last_price=Decimal("62345.25"),
        realized_pnl=Decimal("-1234.56789"),
        events=[
            {
                "at": "2026-12-06T04:05:00+00:00",
                "action": "open",
                "outcome": "ok",
                "side": "BUY",
                "qty": "0.0125",
                "price": "61234.5",
            }
        ],
        started_by=owner,
    )
    proposal = ParamChangeProposal.objects.create(
        strategy=strategy, base_version=1, old_document=ema, new_document=ema, proposer=owner
    )
    optimization = OptimizationRun.objects.create(
        document=ema,
        space={"fast.period": [5, 10]},
        start_ms=now - 86_400_000,
        end_ms=now,
        created_by=owner,
    )
    ids = {
        "backtest": backtest.pk,
        "strategy": strategy.pk,
        "proposal": proposal.pk,
        "optimization": optimization.pk,
    }
    return {name: url.format(**ids) for name, url in PAGE_NAMES.items()}
