"""POST /strategies/backtests runs and stores a backtest; GET returns it."""

from __future__ import annotations

import pytest

from audit.models import AuditEntry
from strategies.documents import ema_cross
from strategies.models import BacktestRun
from tests.strategies.conftest import period


@pytest.mark.django_db
def test_it_runs_a_backtest_of_a_document_over_the_stand_in_history(
    api, quant, token_for, sim_settings
):
    doc = ema_cross(5, 20, symbol="BTCUSDT", timeframe="1h")
    r = api.post(
        "/strategies/backtests",
        {"document": doc, **period(), "config": {"fee_rate": 0.0004, "max_notional": None}},
        token=token_for(quant),
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["metrics"]["bars"] == 300
    assert body["metrics"]["trades"] == len(body["trades"]) > 0
    for key in (
        "total_return_pct",
        "cagr_pct",
        "max_drawdown_pct",
        "sharpe",
        "sortino",
        "win_rate_pct",
        "profit_factor",
        "exposure_pct",
    ):
        assert key in body["metrics"]
    assert body["gaps"] == []
    assert isinstance(body["trades"][0]["pnl"], str)  # money as strings
    assert isinstance(body["metrics"]["final_equity"], str)
    assert isinstance(body["metrics"]["net_pnl"], str)
    assert 2 <= len(body["equity"]) <= 400
    run = BacktestRun.objects.get(pk=body["id"])
    assert run.created_by == quant and run.symbol == "BTCUSDT"
    got = api.get(f"/strategies/backtests/{run.pk}", token=token_for(quant)).json()
    assert got["metrics"] == body["metrics"] and got["trades"] == body["trades"]
    assert AuditEntry.objects.filter(action="strategy.backtest", outcome="ok").exists()


@pytest.mark.django_db
def test_the_platform_max_notional_limits_backtest_positions(api, quant, token_for, sim_settings):
    doc = ema_cross(5, 20, position_size={"type": "fixed_qty", "value": 1})
    r = api.post(
        "/strategies/backtests",
        {"document": doc, **period(), "config": {"max_notional": 100}},
        token=token_for(quant),
    )
    assert r.status_code == 201, r.content
    for t in r.json()["trades"]:
        assert (
            float(t["qty"]) * float(t["entry_price"]) <= 100.001
        )  # qty is shown rounded to 8 decimals


@pytest.mark.django_db
def test_a_viewer_cannot_run_a_backtest_and_is_audited(api, bob, token_for, sim_settings):
    r = api.post(
        "/strategies/backtests", {"document": ema_cross(), **period()}, token=token_for(bob)
    )
    assert r.status_code == 403
    assert r.json()["error"]["details"]["permission"] == "strategies.run_backtest"
    assert AuditEntry.objects.filter(action="strategy.backtest", outcome="denied").exists()
    assert api.post("/strategies/backtests", {"document": ema_cross()}).status_code == 401


@pytest.mark.django_db
def test_an_invalid_document_is_a_422_naming_the_field(api, quant, token_for, sim_settings):
    bad = {**ema_cross(), "timeframe": "7m"}
    r = api.post("/strategies/backtests", {"document": bad, **period()}, token=token_for(quant))
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "INVALID_STRATEGY"
    assert r.json()["error"]["details"]["field"] == "timeframe"


@pytest.mark.django_db
def test_an_unknown_backtest_is_a_json_404(api):
    r = api.get("/strategies/backtests/999999")
    assert r.status_code in (401, 404)
    assert "error" in r.json()


@pytest.mark.django_db
def test_backtests_default_to_the_risk_limits_in_force(api, quant, token_for, sim_settings):
    from decimal import Decimal

    from risk.models import RiskLimits, SymbolPositionLimit

    limits = RiskLimits.load()
    limits.max_notional_usd = Decimal("250")
    limits.daily_loss_limit_usd = Decimal("40")
    limits.save()
    SymbolPositionLimit.objects.update_or_create(
        limits=limits, symbol="BTCUSDT", defaults={"max_position_qty": Decimal("0.002")}
    )
    doc = ema_cross(5, 20, position_size={"type": "fixed_qty", "value": 1})
    r = api.post("/strategies/backtests", {"document": doc, **period()}, token=token_for(quant))
    assert r.status_code == 201, r.content
    cfg = r.json()["config"]
    assert (cfg["max_notional"], cfg["daily_loss_limit"], cfg["max_qty"]) == (250.0, 40.0, 0.002)
    assert all(float(t["qty"]) <= 0.002 for t in r.json()["trades"])
