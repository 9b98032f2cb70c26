"""Pages of the strategies app."""

from django.urls import path

from strategies import views

app_name = "strategies"

urlpatterns: list = [
    path("strategy-lab/", views.lab, name="lab"),
    path("strategy-lab/backtests", views.backtest_submit, name="backtest_submit"),
    path("strategy-lab/klines", views.klines_fetch, name="klines_fetch"),
    path("strategy-lab/backtests/<int:run_id>", views.backtest_page, name="backtest"),
    path("strategy-lab/strategies", views.strategy_submit, name="strategy_submit"),
    path("strategy-lab/strategies/<int:strategy_id>", views.strategy_page, name="strategy"),
    path(
        "strategy-lab/strategies/<int:strategy_id>/proposals",
        views.proposal_submit,
        name="proposal_submit",
    ),
    path("strategy-lab/strategies/<int:strategy_id>/deploy", views.runner_deploy, name="deploy"),
    path("strategy-lab/runners/<int:runner_id>/stop", views.runner_stop, name="runner_stop"),
    path(
        "strategy-lab/strategies/<int:strategy_id>/approve",
        views.strategy_approve,
        name="strategy_approve",
    ),
    path("strategy-lab/proposals/<int:proposal_id>", views.proposal_page, name="proposal"),
    path(
        "strategy-lab/proposals/<int:proposal_id>/<str:decision>",
        views.proposal_decide,
        name="proposal_decide",
    ),
    path("strategy-lab/optimizations", views.optimization_submit, name="optimization_submit"),
    path("strategy-lab/optimizations/<int:opt_id>", views.optimization_page, name="optimization"),
    path(
        "strategy-lab/optimizations/<int:opt_id>/cancel",
        views.optimization_cancel,
        name="optimization_cancel",
    ),
]
