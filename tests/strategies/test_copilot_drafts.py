"""The copilot's generated strategy documents run in the backtester, by draft id."""

from __future__ import annotations

import pytest

from copilot.services import strategy_generate
from tests.strategies.conftest import period

PROMPTS = [
    "BTC 1 saatlik RSI 30 altında al 70 üstünde sat",
    "ETH 4h MACD and EMA trend strategy with 2% stop loss",
    "SOL 15m bollinger breakout",
    "BTC 1h stochastic mean reversion with ATR",
]


@pytest.mark.django_db
@pytest.mark.parametrize("prompt", PROMPTS)
def test_a_generated_draft_backtests_by_its_id(api, quant, token_for, sim_settings, prompt):
    draft = strategy_generate(user=quant, prompt=prompt, save=True)["draft"]
    r = api.post(
        "/strategies/backtests",
        {"draft_id": draft.pk, **period(400, 300)},
        token=token_for(quant),
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["draftId"] == draft.pk
    assert body["symbol"] == draft.document["symbol"]
    assert body["metrics"]["bars"] > 0
    # the draft's own max notional (its risk block) bounds every position
    cap = float(draft.document["risk"]["max_notional_usd"])
    for t in body["trades"]:
        assert float(t["qty"]) * float(t["entry_price"]) <= cap * 1.001


@pytest.mark.django_db
def test_someone_elses_draft_is_not_found(api, quant, olga, token_for, sim_settings):
    from tests.strategies.conftest import grant

    draft = strategy_generate(user=quant, prompt=PROMPTS[0], save=True)["draft"]
    grant(olga, "strategies.run_backtest")
    r = api.post("/strategies/backtests", {"draft_id": draft.pk, **period()}, token=token_for(olga))
    assert r.status_code == 404
