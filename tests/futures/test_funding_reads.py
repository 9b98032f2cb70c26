"""GET /futures/premiumIndex: the funding rate and next funding time from the exchange, for the
page and for the copilot's "ETH fonlama oranı"."""

from __future__ import annotations

from decimal import Decimal

import pytest

from copilot.parser import interpret

pytestmark = pytest.mark.django_db


def test_one_symbol_has_the_exchanges_rate_and_next_funding_time(exchange, api, bob, token_for):
    exchange.control.funding("ETHUSDT", "0.00025")
    answer = api.get("/futures/premiumIndex", token=token_for(bob), symbol="ethusdt")
    assert answer.status_code == 200, answer.content
    (row,) = answer.json()["rates"]
    state = exchange.control.signed("GET", "/fapi/v1/premiumIndex", symbol="ETHUSDT").json()
    assert row["symbol"] == "ETHUSDT"
    assert Decimal(row["lastFundingRate"]) == Decimal(state["lastFundingRate"])
    assert row["nextFundingTime"] == state["nextFundingTime"] > 0
    assert isinstance(row["markPrice"], str) and Decimal(row["markPrice"]) > 0


def test_without_a_symbol_every_symbol_is_listed_in_order(exchange, api, bob, token_for):
    rows = api.get("/futures/premiumIndex", token=token_for(bob)).json()["rates"]
    symbols = [r["symbol"] for r in rows]
    assert {"BTCUSDT", "ETHUSDT"} <= set(symbols) and symbols == sorted(symbols)


@pytest.mark.parametrize(
    ("symbol", "code"),
    [
        ("NOPEUSDT", "UNKNOWN_SYMBOL"),
        ("btc usdt", "VALIDATION_ERROR"),
        ("x" * 40, "VALIDATION_ERROR"),
    ],
)
def test_a_bad_symbol_is_a_422_naming_the_field(exchange, api, bob, token_for, symbol, code):
    answer = api.get("/futures/premiumIndex", token=token_for(bob), symbol=symbol)
    assert answer.status_code == 422, answer.content
    error = answer.json()["error"]
    assert error["code"] == code and error["details"]["fields"][0]["field"] == "symbol"


def test_anonymous_gets_401(exchange, client, settings):
    settings.SPARK_PUBLIC_READS = False
    assert client.get("/futures/premiumIndex").status_code == 401


def test_the_copilots_funding_question_runs_for_the_named_symbol(exchange, api, bob, token_for):
    answer = interpret("ETH fonlama oranı")
    action = answer["action"]
    assert answer["intent"] == "market.funding" and answer["needsEndpoint"] is False
    assert (action["method"], action["path"]) == ("GET", "/futures/premiumIndex?symbol=ETHUSDT")
    path, _q, query = action["path"].partition("?")
    params = dict(p.split("=") for p in query.split("&"))
    rows = api.get(path, token=token_for(bob), **params).json()["rates"]
    assert [r["symbol"] for r in rows] == ["ETHUSDT"]
