"""The strategy generator keeps Turkish suffixes and phrases, and traces each value to its words
(issue 25): RSI levels, %2 zarar durdur, %4 kâr al, kısa pozisyon, EMA 9 ve 21, trend filters."""

from __future__ import annotations

from copilot.strategy import generate


def _trace(result) -> dict[str, str]:
    return {row["field"]: row["words"] for row in result["trace"]}


def test_rsi_levels_with_suffixes_stop_and_take_profit_are_read_from_their_words():
    idea = "RSI 30'un altına düşünce al, 70'in üstüne çıkınca sat, %2 zarar durdur, %4 kâr al"
    result = generate(idea)
    doc = result["strategy"]
    assert doc["side"] == "long"
    assert doc["indicators"] == [{"id": "rsi", "type": "RSI", "params": {"period": 14}}]
    assert doc["entry"]["rules"] == [{"left": "rsi", "op": "<", "right": 30}]
    assert doc["exit"]["rules"] == [{"left": "rsi", "op": ">", "right": 70}]
    assert (doc["stop_loss_pct"], doc["take_profit_pct"]) == (2.0, 4.0)
    trace = _trace(result)
    assert trace["entry"] == "30'un altına" and trace["exit"] == "70'in üstüne"
    assert trace["stop_loss_pct"] == "%2 zarar durdur" and trace["take_profit_pct"] == "%4 kâr al"
    assert result["notes"] == ["Varsayılan kullanıldı: zaman dilimi 1h."]


def test_a_short_position_on_a_negative_macd_is_a_short():
    result = generate("kısa pozisyon aç, MACD negatif olunca")
    doc = result["strategy"]
    assert doc["side"] == "short"
    assert doc["entry"]["rules"] == [{"left": "macd.macd", "op": "<", "right": 0}]
    assert doc["exit"]["rules"] == [{"left": "macd.macd", "op": ">", "right": 0}]
    assert _trace(result)["side"] == "kısa pozisyon"
    assert "zarar durdur %1,5" in result["notes"][0]  # the default is said, in Turkish


def test_two_ema_periods_joined_by_ve_are_both_kept():
    doc = generate("ETH 4 saatlik EMA 9 ve 21 kesişimi")["strategy"]
    periods = sorted(i["params"]["period"] for i in doc["indicators"] if i["type"] == "EMA")
    assert periods == [9, 21]


def test_an_ema_trend_filter_only_lets_entries_through_above_it():
    result = generate("BTC 4 saatlik RSI ve MACD ile trend takip, EMA 200 trend filtresi")
    doc = result["strategy"]
    assert {"id": "ema_trend", "type": "EMA", "params": {"period": 200}} in doc["indicators"]
    assert {"left": "close", "op": ">", "right": "ema_trend"} in doc["entry"]["rules"]
    assert all(r["right"] != "ema_trend" for r in doc["exit"]["rules"])
    assert _trace(result)["entry.trend_filter"] == "EMA 200 trend filtresi"


def test_a_short_idea_with_a_trend_filter_enters_below_it():
    doc = generate("short BTC when MACD is negative, EMA 50 trend filter")["strategy"]
    assert doc["side"] == "short"
    assert {"left": "close", "op": "<", "right": "ema_trend"} in doc["entry"]["rules"]


def test_every_default_is_named_in_the_users_language():
    assert generate("ETH için RSI stratejisi")["notes"][0].startswith("Varsayılan kullanıldı:")
    english = generate("an ETH RSI strategy", lang="en")["notes"][0]
    assert english.startswith("Defaults used:") and "stop loss 1.5%" in english
