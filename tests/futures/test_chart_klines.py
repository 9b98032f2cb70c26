"""GET /futures/klines (the dashboard chart's history) and the live topic kline:<SYMBOL>."""

from __future__ import annotations

from decimal import Decimal

import pytest

from futures import broadcast
from futures.chart import bar_payload

pytestmark = pytest.mark.django_db


def test_a_viewer_reads_the_newest_bars_oldest_first(api, bob, token_for, exchange):
    r = api.get("/futures/klines", token=token_for(bob), symbol="ETHUSDT", interval="15m", limit=50)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["interval"] == "15m" and body["intervalMs"] == 900_000
    assert body["live"] == "kline:ETHUSDT"
    bars = body["bars"]
    assert len(bars) == 50
    opens = [b["t"] for b in bars]
    assert opens == sorted(opens) and all(b - a == 900_000 for a, b in zip(opens, opens[1:]))
    for b in bars:  # decimal strings, never floats, and a sane candle
        assert all(isinstance(b[k], str) for k in "ohlcv")
        assert Decimal(b["l"]) <= min(Decimal(b["o"]), Decimal(b["c"]))
        assert Decimal(b["h"]) >= max(Decimal(b["o"]), Decimal(b["c"]))


def test_the_last_bar_holds_the_current_price(api, bob, token_for, exchange):
    exchange.control.set_price("ETHUSDT", "3456.7", mark="3456.7")
    r = api.get("/futures/klines", token=token_for(bob), symbol="ETHUSDT", interval="1d", limit=2)
    assert Decimal(r.json()["bars"][-1]["c"]) == Decimal("3456.7")


@pytest.mark.parametrize(
    "params, field",
    [
        ({"symbol": "ETHUSDT", "interval": "2m"}, "interval"),
        ({"symbol": "ETHUSDT", "interval": "1h", "limit": 0}, "limit"),
        ({"symbol": "ETHUSDT", "interval": "1h", "limit": 1501}, "limit"),
        ({"symbol": "NOPEUSDT", "interval": "1h"}, "symbol"),
        ({"symbol": "ethusdt\n", "interval": "1h"}, "symbol"),
    ],
)
def test_strange_input_is_422_naming_the_field(api, bob, token_for, exchange, params, field):
    r = api.get("/futures/klines", token=token_for(bob), **params)
    assert r.status_code == 422, r.content
    error = r.json()["error"]
    assert field in [f["field"] for f in error["details"]["fields"]], error
    if params["symbol"] == "NOPEUSDT":
        assert error["code"] == "UNKNOWN_SYMBOL"


def test_without_credentials_it_follows_the_public_reads_setting(api, settings, exchange):
    settings.SPARK_PUBLIC_READS = False
    assert api.get("/futures/klines", symbol="ETHUSDT").status_code == 401


@pytest.mark.parametrize(
    "topic, ok",
    [
        ("kline:BTCUSDT", True),
        ("kline:btcusdt", False),
        ("kline:BTCUSDT\n", False),
        ("kline:BTCUSDT:1m", False),
        ("kline:", False),
    ],
)
def test_the_kline_topic_is_validated_like_the_other_market_topics(topic, ok):
    assert broadcast.valid_topic(topic) is ok
    if ok:
        assert broadcast.is_market(topic)  # coalesced per client, like ticker: and depth:


def test_a_stream_bar_keeps_its_prices_as_strings():
    k = {
        "t": 1,
        "i": "1m",
        "o": "1.10",
        "h": "1.30",
        "l": "1.00",
        "c": "1.20",
        "v": "5",
        "x": False,
    }
    assert bar_payload(k) == {
        "t": 1,
        "i": "1m",
        "o": "1.10",
        "h": "1.30",
        "l": "1.00",
        "c": "1.20",
        "v": "5",
        "x": False,
    }


@pytest.mark.timeout(60)
@pytest.mark.django_db(transaction=True)
async def test_the_supervisor_streams_and_publishes_the_1m_bars_of_its_symbols(
    sim_settings, drain_sync_thread
):
    """The chart's streams follow the symbol set (the subscription loop keeps running)."""
    import asyncio
    import time

    from futures.supervisor import Supervisor

    async def until(predicate, seconds=15.0):
        deadline = time.monotonic() + seconds
        while not predicate():
            assert time.monotonic() < deadline, "condition not met in time"
            await asyncio.sleep(0.05)

    def market_streams(sup) -> list[str]:
        return next(c for c in sup.status()["connections"] if c["name"] == "market")["streams"]

    sent: list[tuple[str, dict]] = []
    sup = Supervisor(ws_root=sim_settings.ws_url, user_stream=False, mode="test")

    async def capture(topic, payload):
        sent.append((topic, payload))

    sup.coalescer.send = capture
    try:
        await sup.start(["ETHUSDT"])
        await until(lambda: "ethusdt@kline_1m" in market_streams(sup))
        await until(lambda: any(t == "kline:ETHUSDT" for t, _ in sent))
        bar = next(p for t, p in sent if t == "kline:ETHUSDT")
        assert bar["i"] == "1m" and isinstance(bar["c"], str)
        assert sup.status()["klines"] == []  # the chart's streams are not the listeners'
        assert sup.klines.delivered == 0  # and never wake them

        await sup.start(["BTCUSDT"])
        await until(lambda: "btcusdt@kline_1m" in market_streams(sup))
        assert "ethusdt@kline_1m" not in market_streams(sup)
    finally:
        await sup.stop()
