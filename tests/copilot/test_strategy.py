"""POST /ai/generate-strategy and drafts: the document, its validation, the risk cap, saving."""

from __future__ import annotations

import copy

import pytest

from copilot import strategy_schema
from copilot.models import StrategyDraft
from copilot.strategy import generate


def test_it_turns_the_seed_idea_into_a_4h_trend_strategy_with_rsi_and_macd():
    doc = generate("BTC 4 saatlik RSI ve MACD ile trend takip stratejisi")["strategy"]
    assert doc["version"] == strategy_schema.VERSION
    assert (doc["symbol"], doc["timeframe"], doc["strategy_type"]) == (
        "BTCUSDT",
        "4h",
        "trend_following",
    )
    assert {i["type"]: i["params"] for i in doc["indicators"]} == {
        "RSI": {"period": 14},
        "MACD": {"fast": 12, "slow": 26, "signal": 9},
    }
    assert {"left": "macd.macd", "op": "crosses_above", "right": "macd.signal"} in doc["entry"][
        "rules"
    ]
    assert doc["exit"]["rules"]
    assert 0 < doc["stop_loss_pct"] < doc["take_profit_pct"]
    assert strategy_schema.validate(doc) == []


@pytest.mark.parametrize(
    ("idea", "timeframe", "stype", "kinds"),
    [
        ("ETH günlük bollinger ile ortalamaya dönüş", "1d", "mean_reversion", {"BB"}),
        ("SOL 15 dakikalık EMA 9 21 kesişimi", "15m", "trend_following", {"EMA"}),
        ("breakout on btc hourly with atr and bollinger bands", "1h", "breakout", {"ATR", "BB"}),
        ("ETH 30m momentum stratejisi stochastic", "30m", "momentum", {"STOCH"}),
        ("saatlik SMA 50 trend", "1h", "trend_following", {"SMA"}),
        ("btc 1d rsi oversold mean reversion", "1d", "mean_reversion", {"RSI"}),
    ],
)
def test_it_reads_timeframes_types_and_indicators_in_words(idea, timeframe, stype, kinds):
    result = generate(idea)
    doc = result["strategy"]
    assert result["errors"] == []
    assert doc["timeframe"] == timeframe
    assert doc["strategy_type"] == stype
    assert {i["type"] for i in doc["indicators"]} == kinds


def test_user_parameters_are_kept():
    doc = generate("ETH 1h EMA 9 21 ve RSI 7, stop %3 take profit %9")["strategy"]
    periods = {i["id"]: i["params"] for i in doc["indicators"]}
    assert periods["ema_fast"] == {"period": 9} and periods["ema_slow"] == {"period": 21}
    assert periods["rsi"] == {"period": 7}
    assert (doc["stop_loss_pct"], doc["take_profit_pct"]) == (3.0, 9.0)


def test_the_position_size_never_exceeds_the_max_notional(settings):
    settings.SPARK_DEFAULT_MAX_NOTIONAL_USD = "100"
    result = generate("BTC 1h RSI trend, 500 dolar pozisyon")
    assert result["strategy"]["position_size"] == {"type": "fixed_notional", "value": 100.0}
    assert "100" in result["notes"][0]


def test_a_short_strategy_mirrors_its_rules():
    doc = generate("ETH 4h RSI ile ortalamaya dönüş short")["strategy"]
    assert doc["side"] == "short"
    assert {"left": "rsi", "op": ">", "right": 70} in doc["entry"]["rules"]


def test_the_validator_names_each_problem():
    doc = generate("BTC 4h RSI MACD trend")["strategy"]
    bad = copy.deepcopy(doc)
    bad["version"] = 99
    bad["timeframe"] = "7m"
    bad["entry"]["rules"][0]["left"] = "nope"
    bad["position_size"]["value"] = 5000
    errors = strategy_schema.validate(bad, max_notional_usd=__import__("decimal").Decimal("100"))
    text = " | ".join(errors)
    assert "version" in text and "timeframe" in text and "nope" in text and "max notional" in text


def test_generated_documents_are_read_by_the_backtester_as_they_are():
    from strategies.documents import normalize

    for idea in ("BTC 4 saatlik RSI ve MACD ile trend takip", "ETH günlük bollinger dipten al"):
        doc = generate(idea)["strategy"]
        normal = normalize(doc)
        assert normal["entry"]["rules"] == doc["entry"]["rules"]
        assert normal["position_size"] == doc["position_size"]


def test_the_endpoint_generates_without_saving_by_default(api, bob, token_for):
    res = api.post(
        "/ai/generate-strategy",
        {"prompt": "BTC 4 saatlik RSI ve MACD ile trend takip"},
        token=token_for(bob),
    )
    assert res.status_code == 200
    body = res.json()
    assert body["strategy"]["timeframe"] == "4h" and body["errors"] == []
    assert body["draft"] is None
    assert StrategyDraft.objects.count() == 0


def test_a_trader_saves_the_generated_strategy_as_a_draft(api, alice, token_for):
    res = api.post(
        "/ai/generate-strategy",
        {"prompt": "BTC 4 saatlik RSI ve MACD ile trend takip", "save": True},
        token=token_for(alice),
    )
    assert res.status_code == 200
    draft = StrategyDraft.objects.get()
    assert res.json()["draft"]["id"] == draft.pk
    assert draft.owner == alice and draft.version == 1
    assert draft.document["symbol"] == "BTCUSDT"


def test_a_viewer_may_not_save_a_draft(api, bob, token_for):
    doc = generate("BTC 4h RSI trend")["strategy"]
    res = api.post("/ai/drafts", {"document": doc}, token=token_for(bob))
    assert res.status_code == 403
    assert res.json()["error"]["details"]["permission"] == "copilot.add_strategydraft"
    assert StrategyDraft.objects.count() == 0


def test_an_edited_draft_is_validated_before_it_is_saved(api, alice, token_for):
    doc = generate("BTC 4h RSI trend")["strategy"]
    doc["stop_loss_pct"] = 150
    res = api.post("/ai/drafts", {"document": doc}, token=token_for(alice))
    assert res.status_code == 422
    assert any("stop_loss_pct" in e for e in res.json()["error"]["details"]["errors"])


def test_drafts_are_listed_only_to_their_owner(api, alice, olga, token_for):
    doc = generate("ETH 1h EMA trend")["strategy"]
    created = api.post(
        "/ai/drafts", {"document": doc, "name": "Mine"}, token=token_for(alice)
    ).json()
    assert created["name"] == "Mine"
    assert [d["name"] for d in api.get("/ai/drafts", token=token_for(alice)).json()] == ["Mine"]
    assert api.get("/ai/drafts", token=token_for(olga)).json() == []
    assert api.get(f"/ai/drafts/{created['id']}", token=token_for(olga)).status_code == 404


def test_the_page_may_pass_the_limit_in_force_and_the_size_follows_it(api, alice, token_for):
    body = api.post(
        "/ai/generate-strategy",
        {"prompt": "BTC 1h RSI trend 400 usd", "maxNotionalUsd": "250", "save": True},
        token=token_for(alice),
    ).json()
    assert body["strategy"]["position_size"]["value"] == 250.0
    assert body["strategy"]["risk"]["max_notional_usd"] == "250"
    assert StrategyDraft.objects.get().document["position_size"]["value"] == 250.0


@pytest.mark.parametrize(
    "idea",
    [
        "ETH 1 saatlik RSI 30 altında al 70 üstünde sat",
        "ETH 1h: buy when RSI is below 30, sell above 70",
    ],
)
def test_rsi_levels_are_buy_and_sell_thresholds_not_a_period_or_a_short(idea):
    doc = generate(idea)["strategy"]
    assert doc["side"] == "long"
    assert doc["strategy_type"] == "mean_reversion"
    assert doc["indicators"] == [{"id": "rsi", "type": "RSI", "params": {"period": 14}}]
    assert doc["entry"]["rules"] == [{"left": "rsi", "op": "<", "right": 30}]
    assert doc["exit"]["rules"] == [{"left": "rsi", "op": ">", "right": 70}]
    assert strategy_schema.validate(doc) == []
