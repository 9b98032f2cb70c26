"""spark_exchange_api_error_total{exchange,code} counts every exchange error, on every path.

Seen before: a 429 on GET /futures/account did not move the counter (only the portfolio refresh
counted). Each test drives the stand-in into an error (its injected 429 burst) on one path and
expects exactly one more count under Binance's code -1003, and nothing counted twice.
"""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from futures.binance.errors import RateLimited
from futures.binance.http import BinanceHttp
from futures.binance.streams import ListenKeyClient, ListenKeyError
from futures.binance.ws_api import BinanceFuturesWs

pytestmark = pytest.mark.django_db

RATE_LIMITED = {"exchange": "binance_futures", "code": "-1003"}


def _count(labels=RATE_LIMITED) -> float:
    return REGISTRY.get_sample_value("spark_exchange_api_error_total", labels) or 0.0


@pytest.fixture
def burst(exchange):
    """Arm one injected 429 on the stand-in; clear the local back-off it opens afterwards."""

    def arm(n: int = 1) -> None:
        BinanceHttp.clear_backoff()
        exchange.control.faults(burst_429=n)

    yield arm
    exchange.control.clear_faults()
    BinanceHttp.clear_backoff()


def test_a_429_on_the_account_read_is_counted(api, burst):
    before = _count()
    burst()
    r = api.get("/futures/account")
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "EXCHANGE_RATE_LIMITED"
    assert _count() == before + 1


def test_a_429_on_the_positions_read_is_counted(api, burst):
    before = _count()
    burst()
    r = api.get("/futures/positions")
    assert r.status_code == 503
    assert _count() == before + 1


def test_a_429_on_a_live_order_is_counted_once(api, alice, token_for, burst):
    token = token_for(alice)
    before = _count()
    burst()
    r = api.post(
        "/futures/order.place",
        {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", "dryRun": False},
        token=token,
    )
    assert r.status_code in (503, 422), r.text
    assert r.json()["error"]["code"].startswith("EXCHANGE_")
    assert _count() == before + 1
    # The local back-off that follows refuses without sending: not an exchange error.
    again = api.get("/futures/account")
    assert again.status_code == 503
    assert _count() == before + 1


def test_a_refused_listen_key_of_the_user_stream_is_counted(exchange, burst):
    keys = ListenKeyClient(exchange.base_url, exchange.api_key)
    before = _count()
    burst()
    with pytest.raises(ListenKeyError):
        keys.create()
    keys.shutdown()
    assert _count() == before + 1


def test_an_error_answer_on_the_websocket_api_is_counted(exchange, burst):
    client = BinanceFuturesWs(
        exchange.base_url,
        exchange.api_key,
        exchange.api_secret,
        ws_api_url=exchange.ws_url + "/ws-fapi/v1",
        timeout=5,
    )
    try:
        client.sync_time()
        before = _count()
        burst()
        with pytest.raises(RateLimited):
            client.request(
                "POST",
                "/fapi/v1/order",
                {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.010"},
                signed=True,
            )
        assert _count() == before + 1
    finally:
        client.close()


def test_a_connection_failure_is_counted_under_its_own_code(api, exchange, settings):
    settings.BINANCE_FUTURES_BASE_URL = "http://127.0.0.1:9"  # nothing listens on discard
    labels = {"exchange": "binance_futures", "code": "CONNECTION"}
    before = _count(labels)
    r = api.get("/futures/account")
    assert r.status_code == 503
    assert _count(labels) == before + 1
