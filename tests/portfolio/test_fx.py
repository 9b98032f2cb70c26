"""USDTTRY from the BTCTurk stand-in: the rate and its time, the cache, stale and down."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from portfolio import fx

pytestmark = pytest.mark.django_db


@pytest.fixture
def btcturk(sim_settings, settings):
    settings.PORTFOLIO_FX_MAX_AGE_SECONDS = 300
    settings.PORTFOLIO_FX_REFRESH_SECONDS = 30
    fx.clear_cache()
    yield sim_settings
    fx.clear_cache()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_it_reads_the_rate_and_btcturks_own_time(btcturk):
    two_minutes_ago = int(time.time() * 1000) - 120_000
    btcturk.control.freeze_clock(at_ms=two_minutes_ago)
    try:
        quote = fx.usdttry()
    finally:
        btcturk.control.thaw_clock()
    assert quote.rate == Decimal("34.5") and isinstance(quote.rate, Decimal)
    assert quote.at == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=two_minutes_ago)
    assert quote.status() == fx.OK
    assert quote.to_try(Decimal("1234.56")) == Decimal("42592.32")
    assert quote.as_dict()["rate"] == "34.5" and quote.as_dict()["stale"] is False


def test_a_quote_older_than_the_max_age_is_stale(btcturk, settings):
    btcturk.control.clock(-10 * 60 * 1000)  # BTCTurk's ticker says it is 10 minutes old
    quote = fx.usdttry()
    assert quote.rate == Decimal("34.5")
    assert quote.status() == fx.STALE and quote.as_dict()["stale"] is True
    settings.PORTFOLIO_FX_MAX_AGE_SECONDS = 15 * 60
    assert quote.status() == fx.OK


def test_the_rate_is_cached_between_refreshes(btcturk, settings):
    first = fx.usdttry()
    assert first.status() == fx.OK
    btcturk.control.clock(-10 * 60 * 1000)
    assert fx.usdttry() is first  # not asked again within PORTFOLIO_FX_REFRESH_SECONDS
    assert fx.usdttry(refresh=True).status() == fx.STALE
    settings.PORTFOLIO_FX_REFRESH_SECONDS = 0
    assert fx.usdttry() is not fx.usdttry()


def test_btcturk_down_without_a_previous_rate_is_unavailable(btcturk, settings):
    settings.BTCTURK_BASE_URL = closed_port_url()
    quote = fx.usdttry()
    assert quote.rate is None and quote.status() == fx.UNAVAILABLE
    assert quote.to_try(Decimal("10")) is None
    assert "CONNECTION" in quote.as_dict()["error"]


def test_btcturk_down_after_a_good_read_keeps_the_rate_but_marks_it_stale(settings):
    from simexchange.testing import running_simexchange

    fx.clear_cache()
    with running_simexchange(feed_running=False) as own:
        settings.BTCTURK_BASE_URL = own.base_url
        good = fx.usdttry()
        assert good.status() == fx.OK
    # the same BTCTurk address, now down
    quote = fx.usdttry(refresh=True)
    assert quote.rate == good.rate and quote.at == good.at
    assert quote.status() == fx.STALE and "CONNECTION" in quote.error
    fx.clear_cache()


def test_a_btcturk_error_answer_is_unavailable_not_a_crash(btcturk, settings):
    settings.BTCTURK_BASE_URL = btcturk.base_url + "/nowhere"
    assert fx.usdttry().status() == fx.UNAVAILABLE


def test_pages_rendered_at_once_ask_btcturk_once(settings):
    from concurrent.futures import ThreadPoolExecutor

    from simexchange.testing import running_simexchange

    fx.clear_cache()
    with running_simexchange(feed_running=False) as own:
        settings.BTCTURK_BASE_URL = own.base_url
        settings.PORTFOLIO_FX_REFRESH_SECONDS = 30
        own.control.faults(latency_ms=200)  # every reader arrives while the first one waits
        before = own.control.counters()["requests"]
        with ThreadPoolExecutor(8) as pool:
            quotes = list(pool.map(lambda _: fx.usdttry(), range(8)))
        assert own.control.counters()["requests"] - before == 1
    assert {q.rate for q in quotes} == {Decimal("34.5")}
    assert len({id(q) for q in quotes}) == 1
    fx.clear_cache()
