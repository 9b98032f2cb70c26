"""Public market data: exchange info filters, book, tickers and a year of deterministic klines."""

from __future__ import annotations

import time
from decimal import Decimal as D

import requests

HOUR = 3_600_000
YEAR = 365 * 24 * HOUR


def get(sim, path, **params):
    r = requests.get(sim.base_url + path, params=params, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_exchange_info_has_binance_filters(sim):
    info = get(sim, "/fapi/v1/exchangeInfo")
    assert info["rateLimits"][0]["rateLimitType"] == "REQUEST_WEIGHT"
    syms = {s["symbol"]: s for s in info["symbols"]}
    notionals = {
        k: next(f["notional"] for f in v["filters"] if f["filterType"] == "MIN_NOTIONAL")
        for k, v in syms.items()
    }
    assert notionals["BTCUSDT"] == "100" and notionals["ETHUSDT"] == "20"
    kinds = {f["filterType"] for f in syms["BTCUSDT"]["filters"]}
    assert {"PRICE_FILTER", "LOT_SIZE", "MARKET_LOT_SIZE", "MIN_NOTIONAL", "PERCENT_PRICE"} <= kinds
    assert syms["BTCUSDT"]["pricePrecision"] == 2 and syms["BTCUSDT"]["quantityPrecision"] == 3


def test_depth_and_tickers(sim):
    d = get(sim, "/fapi/v1/depth", symbol="BTCUSDT", limit=5)
    assert len(d["bids"]) == 5 and D(d["bids"][0][0]) < D(d["asks"][0][0])
    assert get(sim, "/fapi/v1/ticker/price", symbol="BTCUSDT")["price"] == "60000.00"
    assert len(get(sim, "/fapi/v2/ticker/price")) == 4
    bt = get(sim, "/fapi/v1/ticker/bookTicker", symbol="ETHUSDT")
    assert bt["askPrice"] == "3000.00" and bt["bidPrice"] == "2999.99"
    pi = get(sim, "/fapi/v1/premiumIndex", symbol="BTCUSDT")
    assert pi["markPrice"] == "60000.00" and pi["nextFundingTime"] > pi["time"]
    t = get(sim, "/fapi/v1/ticker/24hr", symbol="BTCUSDT")
    assert t["lastPrice"] == "60000.00" and D(t["lowPrice"]) <= D("60000") <= D(t["highPrice"])


def test_klines_default_limit_and_bounds(sim):
    rows = get(sim, "/fapi/v1/klines", symbol="BTCUSDT", interval="1m")
    assert len(rows) == 500
    rows = get(sim, "/fapi/v1/klines", symbol="BTCUSDT", interval="1m", limit=1500)
    assert len(rows) == 1500
    assert all(b[0] - a[0] == 60_000 for a, b in zip(rows, rows[1:], strict=False))
    r = requests.get(
        sim.base_url + "/fapi/v1/klines",
        params={"symbol": "BTCUSDT", "interval": "1m", "limit": 1501},
        timeout=5,
    )
    assert r.json()["code"] == -1102


def test_a_year_of_hourly_and_minute_bars_is_available_and_deterministic(sim):
    now = int(time.time() * 1000)
    start = now - YEAR
    first = get(
        sim, "/fapi/v1/klines", symbol="BTCUSDT", interval="1h", startTime=start, limit=1500
    )
    assert len(first) == 1500 and first[0][0] >= start and first[0][0] % HOUR == 0
    again = get(
        sim, "/fapi/v1/klines", symbol="BTCUSDT", interval="1h", startTime=start, limit=1500
    )
    assert again == first
    for row in first:
        o, h, lo, c = (D(x) for x in row[1:5])
        assert lo <= min(o, c) and h >= max(o, c) and lo > 0
    minutes = get(
        sim, "/fapi/v1/klines", symbol="ETHUSDT", interval="1m", startTime=start, limit=1000
    )
    assert len(minutes) == 1000 and minutes[0][0] >= start
    end = start + 10 * HOUR
    bounded = get(
        sim, "/fapi/v1/klines", symbol="BTCUSDT", interval="1h", startTime=start, endTime=end
    )
    assert len(bounded) == 10 and bounded[-1][0] <= end
