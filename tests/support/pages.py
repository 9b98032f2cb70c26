"""Every server-rendered page of the site (for the access, Turkish-scan and layout tests)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from strategies.models import BacktestRun, OptimizationRun, ParamChangeProposal, Strategy

EMA = {
    "name": "ema cross",
    "symbol": "BTCUSDT",
    "timeframe": "1h",
    "indicators": [
        {"id": "fast", "type": "ema", "params": {"period": 10}},
        {"id": "slow", "type": "ema", "params": {"period": 30}},
    ],
    "entry": {"long": "fast crosses_above slow"},
    "exit": {"long": "fast crosses_below slow"},
}

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
}
# URL names that are not GET pages (form posts, redirects, machine routes) or are public.
NOT_PAGES = {
    "login",
    "logout",
    "set_language",
    "telegram_link_code",
    "telegram_unlink",
    "notification_preferences",
    "prometheus-django-metrics",
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
    strategy = Strategy.objects.create(name="ema cross", document=EMA, created_by=owner)
    backtest = BacktestRun.objects.create(
        strategy=strategy,
        document=EMA,
        symbol="BTCUSDT",
        interval="1h",
        start_ms=now - 86_400_000,
        end_ms=now,
        created_by=owner,
    )
    proposal = ParamChangeProposal.objects.create(
        strategy=strategy, base_version=1, old_document=EMA, new_document=EMA, proposer=owner
    )
    optimization = OptimizationRun.objects.create(
        document=EMA,
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
