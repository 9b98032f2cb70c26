"""Public trade lists and /futures/data statistics, read from the stand-in's own tape and
accounts over real HTTP; times come from a frozen server clock, never from the wall."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
import requests
from binance.error import ClientError
from binance.um_futures import UMFutures

from .conftest import ALICE, BOB, ServerClockClient

FIVE_MIN = 300_000
HOUR = 3_600_000
_SLOTS = itertools.count(1)  # candles outlive a reset: each test trades in hours of its own


@pytest.fixture
def um(sim) -> UMFutures:
    return UMFutures(key=ALICE[0], secret=ALICE[1], base_url=sim.base_url)


@pytest.fixture
def boundary(sim):
    """The server clock frozen on a 5-minute boundary T hours ahead, unused by other tests."""
    now = requests.get(sim.base_url + "/fapi/v1/time", timeout=5).json()["serverTime"]
    t = now - now % FIVE_MIN + FIVE_MIN + next(_SLOTS) * 2 * HOUR
    sim.control.freeze_clock(at_ms=t)
    yield t
    sim.control.thaw_clock()


def get(sim, path, **params):
    r = requests.get(sim.base_url + path, params=params, timeout=5)
    return r.status_code, r.json()


def market(api, side, qty, sym="BTCUSDT"):
    return api.ok("POST", "/fapi/v1/order", symbol=sym, side=side, type="MARKET", quantity=qty)


# ---------------------------------------------------------------- trade lists


def test_recent_trades_show_every_accounts_fills_and_the_feeds_trades(sim, um, alice_api, bob_api):
    market(alice_api, "BUY", "0.010")
    market(bob_api, "SELL", "0.020")
    sim.control.set_price("BTCUSDT", "60100")
    rows = um.trades("BTCUSDT", limit=3)
    assert [(r["price"], r["qty"], r["isBuyerMaker"]) for r in rows] == [
        ("60000.00", "0.010", False),  # alice's buy took the ask
        ("59999.90", "0.020", True),  # bob's sell hit the bid
        ("60100.00", "0.001", False),  # the control price move prints one lot
    ]
    assert [r["id"] for r in rows] == list(range(rows[0]["id"], rows[0]["id"] + 3))
    assert rows[0]["quoteQty"] == "600" and rows[1]["quoteQty"] == "1199.998"
    assert all(isinstance(r["time"], int) and r["isRPITrade"] is False for r in rows)
    assert get(sim, "/fapi/v1/trades", symbol="BTCUSDT", limit=1001)[1]["code"] == -1102
    assert get(sim, "/fapi/v1/trades", symbol="NOPE")[1]["code"] == -1121


def test_historical_trades_page_from_an_id_and_need_an_api_key(sim, um, alice_api):
    market(alice_api, "BUY", "0.010")
    market(alice_api, "BUY", "0.030")
    last = um.trades("BTCUSDT", limit=2)
    first_id = last[0]["id"]
    page = um.historical_trades("BTCUSDT", fromId=first_id, limit=5)
    assert [(r["id"], r["qty"]) for r in page] == [(first_id, "0.010"), (first_id + 1, "0.030")]
    assert um.historical_trades("BTCUSDT", fromId=first_id, limit=1) == page[:1]
    status, body = get(sim, "/fapi/v1/historicalTrades", symbol="BTCUSDT")
    assert (status, body["code"]) == (401, -2014)
    r = requests.get(
        sim.base_url + "/fapi/v1/historicalTrades",
        params={"symbol": "BTCUSDT"},
        headers={"X-MBX-APIKEY": "stranger"},
        timeout=5,
    )
    assert (r.status_code, r.json()["code"]) == (401, -2015)
    with pytest.raises(ClientError) as exc:
        um.historical_trades("BTCUSDT", limit=501)
    assert exc.value.error_code == -1102


def test_agg_trades_by_id_and_by_a_window_of_at_most_an_hour(sim, boundary, um, alice_api):
    t = boundary
    api = ServerClockClient(sim.base_url, *ALICE)
    market(api, "BUY", "0.010")
    sim.control.clock(60_000)
    market(api, "BUY", "0.020")
    sim.control.clock(60_000)
    market(api, "BUY", "0.030")
    window = um.agg_trades("BTCUSDT", startTime=t, endTime=t + 60_000)
    assert [(a["q"], a["T"]) for a in window] == [("0.010", t), ("0.020", t + 60_000)]
    a = window[0]
    assert a["a"] == a["f"] == a["l"] and a["p"] == "60000.00" and a["m"] is False
    by_id = um.agg_trades("BTCUSDT", fromId=a["a"] + 1, limit=5)
    assert [x["q"] for x in by_id] == ["0.020", "0.030"]
    assert um.agg_trades("BTCUSDT", limit=1)[0]["q"] == "0.030"
    # the ids are the ones the public trade list carries
    assert [x["a"] for x in by_id] == [r["id"] for r in um.trades("BTCUSDT", limit=2)]
    with pytest.raises(ClientError) as exc:
        um.agg_trades("BTCUSDT", startTime=t, endTime=t + 3_600_001)
    assert (exc.value.error_code, exc.value.error_message) == (
        -1127,
        "More than 1 hours between startTime and endTime.",
    )
    with pytest.raises(ClientError) as exc:
        um.agg_trades("BTCUSDT", startTime=t + 1, endTime=t)
    assert exc.value.error_code == -1023


def test_trade_list_weights_are_binances(sim, alice_api):
    def weight(path, **params):
        r = requests.get(
            sim.base_url + path, params=params, headers={"X-MBX-APIKEY": ALICE[0]}, timeout=5
        )
        assert r.status_code == 200, r.text
        return int(r.headers["X-MBX-USED-WEIGHT-1M"])

    base = weight("/fapi/v1/ping")
    assert weight("/fapi/v1/trades", symbol="BTCUSDT") == base + 5
    assert weight("/fapi/v1/historicalTrades", symbol="BTCUSDT") == base + 25
    assert weight("/fapi/v1/aggTrades", symbol="BTCUSDT") == base + 45


# ---------------------------------------------------------------- /futures/data


@pytest.fixture
def positions(sim, boundary):
    """Alice long 0.5 BTC and Bob short 0.2 BTC, both inside the 5m period starting at T."""
    alice = ServerClockClient(sim.base_url, *ALICE)
    bob = ServerClockClient(sim.base_url, *BOB)
    market(alice, "BUY", "0.500")
    market(bob, "SELL", "0.200")
    sim.control.clock(FIVE_MIN)  # the period [T, T+5m) has closed
    return boundary


def test_taker_volume_of_a_period_is_its_buy_and_sell_fills(sim, um, positions):
    t = positions
    rows = um.taker_long_short_ratio("BTCUSDT", "5m", limit=2)
    assert [r["timestamp"] for r in rows] == [t, t + FIVE_MIN]
    assert rows[-1] == {
        "buySellRatio": "2.5000",
        "buyVol": "0.5000",
        "sellVol": "0.2000",
        "timestamp": t + FIVE_MIN,
    }


def test_long_short_ratios_count_accounts_and_position_sizes(sim, um, positions):
    t = positions
    for rows in (
        um.long_short_account_ratio("BTCUSDT", "5m", limit=1),
        um.top_long_short_account_ratio("BTCUSDT", "5m", limit=1),
    ):
        assert rows == [
            {
                "symbol": "BTCUSDT",
                "longShortRatio": "1.0000",
                "longAccount": "0.5000",
                "shortAccount": "0.5000",
                "timestamp": t + FIVE_MIN,
            }
        ]
    pos = um.top_long_short_position_ratio("BTCUSDT", "5m", limit=1)[0]
    assert (pos["longShortRatio"], pos["longAccount"], pos["shortAccount"]) == (
        "2.5000",
        "0.7143",
        "0.2857",
    )
    flat = um.long_short_account_ratio("ETHUSDT", "5m", limit=1)[0]
    assert (flat["longAccount"], flat["shortAccount"]) == ("0.5000", "0.5000")


def test_open_interest_history_values_the_longs_at_each_periods_close(sim, um, positions):
    t = positions
    rows = um.open_interest_hist("BTCUSDT", "5m", limit=3)
    assert [r["timestamp"] for r in rows] == [t - FIVE_MIN, t, t + FIVE_MIN]
    assert {r["sumOpenInterest"] for r in rows} == {"0.50000000"}
    # the last period closed on bob's sell at the bid
    assert rows[-1]["sumOpenInterestValue"] == "29999.95000000"
    _, bars = get(sim, "/fapi/v1/klines", symbol="BTCUSDT", interval="5m", startTime=t - FIVE_MIN)
    close = Decimal(bars[0][4])
    assert Decimal(rows[1]["sumOpenInterestValue"]) == Decimal("0.5") * close


def test_futures_data_periods_limits_and_the_30_day_horizon(sim, um, boundary):
    t = boundary
    with pytest.raises(ClientError) as exc:
        um.open_interest_hist("BTCUSDT", "3m")
    assert exc.value.error_code == -1102
    with pytest.raises(ClientError) as exc:
        um.taker_long_short_ratio("BTCUSDT", "1h", limit=501)
    assert exc.value.error_code == -1102
    assert (
        get(sim, "/futures/data/globalLongShortAccountRatio", symbol="NOPE", period="5m")[1]["code"]
        == -1121
    )
    assert len(um.open_interest_hist("BTCUSDT", "1h")) == 30  # Binance's default limit
    old = um.taker_long_short_ratio("BTCUSDT", "1d", startTime=t - 40 * 86_400_000, limit=500)
    assert old[0]["timestamp"] >= t - 30 * 86_400_000 and len(old) == 30
    assert all(isinstance(r["buyVol"], str) for r in old)
    hour = t - t % HOUR
    span = um.long_short_account_ratio(
        "BTCUSDT", "1h", startTime=hour - 5 * HOUR, endTime=hour - 2 * HOUR
    )
    assert [r["timestamp"] for r in span] == [hour - h * HOUR for h in (5, 4, 3, 2)]
