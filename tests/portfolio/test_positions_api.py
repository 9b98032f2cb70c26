"""GET /positions: open futures positions from the stand-in, amounts as Decimal strings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from prometheus_client import REGISTRY

pytestmark = pytest.mark.django_db


def test_it_lists_open_positions_with_entry_mark_pnl_leverage_and_liquidation(exchange, api):
    c = exchange.control
    c.set_price("BTCUSDT", "60000", mark="60000")
    c.balances(futures={"USDT": "200"})  # a small wallet, so the position has a liquidation price
    r = c.signed("POST", "/fapi/v1/leverage", symbol="BTCUSDT", leverage=5)
    assert r.status_code == 200, r.text
    r = c.signed(
        "POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.010"
    )
    assert r.status_code == 200, r.text
    c.set_price("BTCUSDT", "61000", mark="61000")

    r = api.get("/positions")

    assert r.status_code == 200, r.content
    [pos] = r.json()["positions"]
    assert pos["symbol"] == "BTCUSDT" and pos["side"] == "LONG"
    assert Decimal(pos["quantity"]) == Decimal("0.01")
    assert Decimal(pos["entry_price"]) == Decimal("60000")
    assert Decimal(pos["mark_price"]) == Decimal("61000")
    assert Decimal(pos["unrealized_pnl"]) == Decimal("10")  # 0.01 x (61000 - 60000)
    assert pos["leverage"] == 5
    assert pos["liquidation_price"] is not None
    assert Decimal("0") < Decimal(pos["liquidation_price"]) < Decimal("60000")
    assert isinstance(pos["unrealized_pnl"], str)


def test_it_lists_nothing_without_positions(exchange, api):
    r = api.get("/positions")
    assert r.status_code == 200
    assert r.json() == {"positions": []}


def test_an_unreachable_exchange_is_an_error_and_is_counted(
    exchange, api, settings, closed_port_url
):
    settings.BINANCE_FUTURES_BASE_URL = closed_port_url
    labels = {"exchange": "binance_futures", "code": "CONNECTION"}
    before = REGISTRY.get_sample_value("spark_exchange_api_error_total", labels) or 0

    r = api.get("/positions")

    assert r.status_code == 503
    assert r.json()["error"]["code"] == "EXCHANGE_UNAVAILABLE"
    assert REGISTRY.get_sample_value("spark_exchange_api_error_total", labels) == before + 1
