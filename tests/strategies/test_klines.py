"""Klines from the stand-in: stored, fetched incrementally, gaps found, loaded as arrays."""

from __future__ import annotations

import time

import numpy as np
import pytest

from strategies import data
from strategies.models import Kline

HOUR = 3_600_000


def hours_ago(h: int) -> int:
    now = int(time.time() * 1000)
    return now - now % HOUR - h * HOUR


@pytest.mark.django_db
def test_it_stores_a_period_and_fetches_only_what_is_missing_the_second_time(sim_settings):
    start, end = hours_ago(2000), hours_ago(400)  # ~67 days, older than the live window
    first = data.fetch_klines(symbol="BTCUSDT", interval="1h", start_ms=start, end_ms=end)
    assert first["stored"] == 1600 and first["requests"] == 2
    assert first["gaps"] == []
    assert Kline.objects.filter(symbol="BTCUSDT", interval="1h").count() == 1600
    again = data.fetch_klines(symbol="BTCUSDT", interval="1h", start_ms=start, end_ms=end)
    assert again["stored"] == 0 and again["requests"] == 0 and again["already_had"] == 1600
    longer = data.fetch_klines(
        symbol="BTCUSDT", interval="1h", start_ms=start, end_ms=end + 100 * HOUR
    )
    assert longer["stored"] == 100 and longer["requests"] == 1


@pytest.mark.django_db
def test_it_reports_gaps_and_refills_them(sim_settings):
    start, end = hours_ago(500), hours_ago(300)
    data.fetch_klines(symbol="ETHUSDT", interval="1h", start_ms=start, end_ms=end)
    hole = [start + 50 * HOUR + k * HOUR for k in range(3)]
    Kline.objects.filter(symbol="ETHUSDT", open_time__in=hole + [start + 120 * HOUR]).delete()
    gaps = data.find_gaps(symbol="ETHUSDT", interval="1h", start_ms=start, end_ms=end)
    assert gaps == [
        {"from_ms": hole[0], "to_ms": hole[-1], "bars": 3},
        {"from_ms": start + 120 * HOUR, "to_ms": start + 120 * HOUR, "bars": 1},
    ]
    refill = data.fetch_klines(symbol="ETHUSDT", interval="1h", start_ms=start, end_ms=end)
    assert refill["stored"] == 4 and refill["requests"] == 2 and refill["gaps"] == []


@pytest.mark.django_db
def test_loaded_arrays_are_the_exchange_prices_in_time_order(sim_settings):
    import requests

    start, end = hours_ago(300), hours_ago(100)
    data.fetch_klines(symbol="BTCUSDT", interval="1h", start_ms=start, end_ms=end)
    bars = data.load_bars(symbol="BTCUSDT", interval="1h", start_ms=start, end_ms=end)
    assert bars["time"].size == 200 and np.all(np.diff(bars["time"]) == HOUR)
    raw = requests.get(
        sim_settings.base_url + "/fapi/v1/klines",
        params={"symbol": "BTCUSDT", "interval": "1h", "startTime": start, "limit": 3},
        timeout=10,
    ).json()
    assert bars["close"][:3].tolist() == [float(r[4]) for r in raw]
    assert np.all(bars["high"] >= bars["low"])


@pytest.mark.django_db
def test_an_unreachable_exchange_is_a_503(settings):
    settings.BINANCE_FUTURES_BASE_URL = "http://127.0.0.1:9"
    with pytest.raises(data.ExchangeDataError) as err:
        data.fetch_klines(symbol="BTCUSDT", interval="1h", start_ms=0, end_ms=HOUR * 3)
    assert err.value.status == 503


@pytest.mark.django_db
def test_the_api_fetches_a_period_and_reports_its_gaps(api, token_for, sim_settings, alice):
    from tests.strategies.conftest import grant

    grant(alice, "strategies.run_backtest")
    start, end = hours_ago(60), hours_ago(10)
    from datetime import UTC, datetime

    body = {
        "symbol": "BTCUSDT",
        "interval": "1h",
        "start": datetime.fromtimestamp(start / 1000, UTC).isoformat(),
        "end": datetime.fromtimestamp(end / 1000, UTC).isoformat(),
    }
    r = api.post("/strategies/klines/fetch", body, token=token_for(alice))
    assert r.status_code == 200, r.content
    assert r.json()["stored"] == 50 and r.json()["gaps"] == []
    Kline.objects.filter(open_time=start + 7 * HOUR).delete()
    gaps = api.get(
        "/strategies/klines/gaps",
        token=token_for(alice),
        symbol="BTCUSDT",
        interval="1h",
        start_ms=start,
        end_ms=end,
    ).json()["gaps"]
    assert gaps == [{"from_ms": start + 7 * HOUR, "to_ms": start + 7 * HOUR, "bars": 1}]


@pytest.mark.django_db
def test_fetching_klines_needs_the_backtest_permission(api, token_for, bob, sim_settings):
    r = api.post("/strategies/klines/fetch", {"symbol": "BTCUSDT"}, token=token_for(bob))
    assert r.status_code == 403
    assert not Kline.objects.exists()
