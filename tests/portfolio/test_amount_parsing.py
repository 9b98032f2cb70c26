"""Exchange amounts parse into Decimal whatever their decimal separator."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pytest

from portfolio.connectors.base import parse_json, to_decimal
from portfolio.connectors.btcturk import usd_prices


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("27223,7283250757643288", Decimal("27223.7283250757643288")),
        ("0.10000000", Decimal("0.10000000")),
        ("1.234,56", Decimal("1234.56")),
        ("1,234.56", Decimal("1234.56")),
        (5, Decimal(5)),
        (Decimal("2070000.0"), Decimal("2070000.0")),
        (0.1, Decimal("0.1")),
    ],
)
def test_it_parses_amounts_with_either_decimal_separator(raw, expected):
    assert to_decimal(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "NaN", "Infinity", None, True])
def test_it_refuses_what_is_not_an_amount(raw):
    with pytest.raises((InvalidOperation, ValueError)):
        to_decimal(raw)


def test_json_numbers_become_decimals_not_floats():
    data = parse_json('{"last": 2070000.1, "n": 3}')
    assert data["last"] == Decimal("2070000.1")
    assert isinstance(data["n"], Decimal)


def test_it_values_assets_through_usdt_pairs_first_then_try_pairs_over_usdttry():
    tickers = [
        {"numeratorSymbol": "USDT", "denominatorSymbol": "TRY", "last": Decimal("40")},
        {"numeratorSymbol": "BTC", "denominatorSymbol": "TRY", "last": Decimal("4000000")},
        {"numeratorSymbol": "BTC", "denominatorSymbol": "USDT", "last": Decimal("99000")},
        {"numeratorSymbol": "ETH", "denominatorSymbol": "TRY", "last": Decimal("120000")},
    ]
    prices = usd_prices(tickers)
    assert prices["USDT"] == 1
    assert prices["BTC"] == Decimal("99000")  # the USDT pair wins over BTCTRY/USDTTRY
    assert prices["ETH"] == Decimal("3000")
    assert prices["TRY"] * 40 == 1
