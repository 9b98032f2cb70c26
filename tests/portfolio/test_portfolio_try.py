"""The portfolio's total in USD and in TRY (BTCTurk's USDTTRY), stale and down marked."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from portfolio import fx
from tests.support.stand_in import seed_portfolio

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rate(settings):
    settings.PORTFOLIO_FX_MAX_AGE_SECONDS = 300
    fx.clear_cache()
    yield
    fx.clear_cache()


def test_the_api_gives_the_total_in_both_currencies(exchange, api):
    seed_portfolio(exchange)
    data = api.get("/api/portfolio", refresh="1").json()
    assert data["total_usd"] == "36150.50000000"
    assert data["total_try"] == "1247192.25"  # 36150.50 × 34.50, to the kuruş
    assert data["fx"]["rate"] == "34.5" and data["fx"]["status"] == "ok"
    by_name = {ex["exchange"]: ex for ex in data["exchanges"]}
    usd = Decimal(by_name["btcturk"]["value_usd"])
    assert Decimal(by_name["btcturk"]["value_try"]) == (usd * Decimal("34.5")).quantize(
        Decimal("0.01")
    )


def _page(client, viewer):
    """The portfolio page as a logged-in viewer (every page needs a role)."""
    client.force_login(viewer)
    return client.get("/portfolio")


def test_the_page_shows_the_try_total_in_turkish_format(exchange, client, api, bob):
    seed_portfolio(exchange)
    api.get("/api/portfolio", refresh="1")
    html = _page(client, bob).content.decode()
    box = re.search(r'<p class="num" id="portfolio-total-try"(.*?)</p>', html, re.S).group(0)
    assert 'data-status="ok"' in box
    assert "1.247.192,25 TL" in box and "USDTTRY 34,5" in box
    assert re.search(r'data-role="fx-status" hidden', box)


def test_a_stale_rate_is_marked_on_the_page(exchange, client, api, bob):
    seed_portfolio(exchange)
    api.get("/api/portfolio", refresh="1")
    fx.clear_cache()
    exchange.control.clock(-10 * 60 * 1000)  # BTCTurk's ticker 10 minutes old
    try:
        html = _page(client, bob).content.decode()
    finally:
        exchange.control.clock(10 * 60 * 1000)
    box = re.search(r'<p class="num" id="portfolio-total-try"(.*?)</p>', html, re.S).group(0)
    assert 'data-status="stale"' in box
    assert ">eski kur<" in box and "1.247.192,25 TL" in box


def test_btcturk_down_says_the_rate_is_unavailable(
    exchange, client, api, settings, closed_port_url, bob
):
    seed_portfolio(exchange)
    api.get("/api/portfolio", refresh="1")
    settings.BTCTURK_BASE_URL = closed_port_url
    data = api.get("/api/portfolio").json()
    assert data["total_try"] is None and data["fx"]["status"] == "unavailable"
    html = _page(client, bob).content.decode()
    box = re.search(r'<p class="num" id="portfolio-total-try"(.*?)</p>', html, re.S).group(0)
    assert ">TL kuru alınamadı<" in box and " TL<" not in box.split('data-role="try"')[1][:5]
