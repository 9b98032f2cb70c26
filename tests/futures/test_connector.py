"""The REST connector against the running stand-in (real sockets, nothing patched)."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from futures.binance.errors import (
    ExchangeFilterError,
    ExchangeRejected,
    NoSuchOrder,
    RateLimited,
    UnknownExecutionStatus,
)
from futures.binance.filters import check_order
from futures.binance.http import BinanceHttp
from futures.binance.rest import BinanceFutures
from futures.binance.signing import sign
from tests.futures.conftest import PRICES


@pytest.fixture
def client(sim):
    BinanceHttp.clear_backoff(sim.base_url)
    for symbol, price in PRICES.items():
        sim.control.set_price(symbol, price, mark=price)
    c = BinanceFutures(sim.base_url, sim.api_key, sim.api_secret, recv_window=5000, timeout=5)
    c.lookup_delays = (0.01, 0.05)
    yield c
    BinanceHttp.clear_backoff(sim.base_url)


def _orders_on_exchange(sim, symbol="BTCUSDT"):
    return sim.control.signed("GET", "/fapi/v1/allOrders", symbol=symbol).json()


def test_the_binance_published_hmac_example_signs_to_the_documented_value():
    secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"
    payload = (
        "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC"
        "&recvWindow=5000&timestamp=1591702613943"
    )
    assert sign(secret, payload) == (
        "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"
    )


def test_ping_measures_the_clock_offset(client):
    health = client.ping()
    assert health["ok"] is True
    assert abs(health["clockOffsetMs"]) < 2000


def test_a_live_limit_order_round_trips(client):
    placed = client.place_order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        quantity=Decimal("0.002"),
        price=Decimal("60000"),
        time_in_force="GTC",
        client_order_id="rt-1",
    )
    assert placed["status"] == "NEW"
    assert placed["clientOrderId"] == "rt-1"
    got = client.query_order("BTCUSDT", client_order_id="rt-1")
    assert got["orderId"] == placed["orderId"]
    assert [o["clientOrderId"] for o in client.open_orders("BTCUSDT")] == ["rt-1"]
    cancelled = client.cancel_order("BTCUSDT", client_order_id="rt-1")
    assert cancelled["status"] == "CANCELED"
    assert client.open_orders("BTCUSDT") == []


def test_a_lost_order_response_gives_exactly_one_exchange_order(client, sim):
    sim.control.faults(lose_order_responses=1)
    placed = client.place_order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        quantity=Decimal("0.002"),
        price=Decimal("60000"),
        client_order_id="lost-1",
    )
    assert placed["clientOrderId"] == "lost-1"
    assert [o["clientOrderId"] for o in _orders_on_exchange(sim)] == ["lost-1"]


def test_a_duplicate_client_order_id_returns_the_existing_order(client, sim):
    first = client.place_order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        quantity=Decimal("0.002"),
        price=Decimal("60000"),
        client_order_id="dup-1",
    )
    again = client.place_order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        quantity=Decimal("0.002"),
        price=Decimal("60000"),
        client_order_id="dup-1",
    )
    assert again["orderId"] == first["orderId"]
    assert len(_orders_on_exchange(sim)) == 1


def test_clock_skew_is_recovered_by_resyncing_once(client, sim):
    client.ping()
    sim.control.faults(clock_skew_ms=20_000)
    account = client.account()  # first try gets -1021, the retry after re-sync succeeds
    assert "totalWalletBalance" in account
    assert client.time_offset_ms > 15_000


def test_a_429_opens_a_back_off_that_holds_further_requests(client, sim):
    client.ping()
    sim.control.faults(burst_429=1)
    with pytest.raises(RateLimited) as first:
        client.account()
    assert first.value.http_status == 429
    sent = sim.control.state()["counters"]["requests"]
    with pytest.raises(RateLimited) as held:
        client.account()
    assert held.value.retry_after > 0
    assert sim.control.state()["counters"]["requests"] == sent  # nothing was sent
    time.sleep(first.value.retry_after + 0.05)
    assert "totalWalletBalance" in client.account()


def test_an_unknown_order_lookup_is_no_such_order(client):
    with pytest.raises(NoSuchOrder):
        client.query_order("BTCUSDT", client_order_id="never-sent")


def test_stop_orders_go_through_the_algo_service_and_cancel_all_removes_them(client, sim):
    algo = client.place_order(
        symbol="BTCUSDT",
        side="SELL",
        type="STOP_MARKET",
        quantity=Decimal("0.002"),
        stop_price=Decimal("50000"),
        reduce_only=True,
        client_order_id="sl-1",
    )
    assert algo["algoId"] and algo["clientAlgoId"] == "sl-1"
    client.place_order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        quantity=Decimal("0.002"),
        price=Decimal("60000"),
        client_order_id="lim-1",
    )
    assert len(client.open_algo_orders("BTCUSDT")) == 1
    client.cancel_all("BTCUSDT")
    assert client.open_orders("BTCUSDT") == []
    assert client.open_algo_orders("BTCUSDT") == []


def test_margin_type_unchanged_is_success(client):
    client.change_margin_type("BTCUSDT", "ISOLATED")
    assert client.change_margin_type("BTCUSDT", "ISOLATED")["unchanged"] is True


def test_leverage_changes(client):
    assert client.change_leverage("BTCUSDT", 7)["leverage"] == 7


def test_an_exchange_refusal_is_typed_with_code_and_status(client):
    with pytest.raises(ExchangeRejected) as exc:
        client.change_leverage("BTCUSDT", 500)
    assert exc.value.binance_code < 0
    assert 400 <= exc.value.http_status < 500


def test_secrets_never_appear_in_errors(sim):
    c = BinanceFutures(sim.base_url, sim.api_key, "wrong-secret-xyz", timeout=5)
    with pytest.raises(Exception) as exc:
        c.account()
    text = f"{exc.value} {exc.value.details} {c!r}"
    assert "wrong-secret-xyz" not in text
    assert "signature=" not in text


def test_a_timeout_is_an_unknown_status_without_the_signed_url(sim):
    c = BinanceFutures(sim.base_url, sim.api_key, sim.api_secret, timeout=0.2)
    c.ping()
    sim.control.faults(latency_ms=600)
    with pytest.raises(UnknownExecutionStatus) as exc:
        c.account()
    assert "signature" not in str(exc.value)


def test_filters_name_the_rule_that_refuses(client):
    f = client.symbol_filters("BTCUSDT")
    with pytest.raises(ExchangeFilterError) as exc:
        check_order(
            f,
            side="BUY",
            type="MARKET",
            quantity=Decimal("0.001"),
            price=None,
            stop_price=None,
            mark_price=Decimal("65000"),
            reduce_only=False,
        )
    assert exc.value.details == {"filter": "MIN_NOTIONAL", "limit": "100", "value": "65.00"}
    with pytest.raises(ExchangeFilterError) as exc:
        check_order(
            f,
            side="BUY",
            type="LIMIT",
            quantity=Decimal("0.0004"),
            price=Decimal("65000"),
            stop_price=None,
            mark_price=Decimal("65000"),
            reduce_only=False,
        )
    assert exc.value.details["filter"] == "LOT_SIZE"
    checked = check_order(
        f,
        side="BUY",
        type="LIMIT",
        quantity=Decimal("0.0029"),
        price=Decimal("64999.97"),
        stop_price=None,
        mark_price=Decimal("65000"),
        reduce_only=False,
    )
    assert (checked.quantity, checked.price) == (Decimal("0.002"), Decimal("64999.9"))


def test_exchange_info_is_cached_and_refreshed_after_its_ttl(client, sim):
    client.exchange_info()
    sent = sim.control.state()["counters"]["requests"]
    client.symbol_filters("BTCUSDT")
    client.symbol_filters("ETHUSDT")
    assert sim.control.state()["counters"]["requests"] == sent  # served from the cache
    client.exchange_info_ttl = 0.0
    client.symbol_filters("BTCUSDT")
    assert sim.control.state()["counters"]["requests"] == sent + 1  # stale: fetched again
