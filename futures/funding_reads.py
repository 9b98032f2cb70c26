"""Funding rates and the next funding time (Binance's premiumIndex), for the page and copilot."""

from __future__ import annotations

import re

from futures.binance.errors import UnknownSymbol
from futures.binance.rest import client_from_settings
from futures.services import NOT_LISTED
from spark_site.errors import ValidationFailed

SYMBOL = re.compile(r"^[A-Z0-9]{2,20}$")


def funding_rates(*, symbol: str | None = None) -> list[dict]:
    """Mark and index price, last funding rate and next funding time of one symbol or all: the
    exchange's premiumIndex rows, by symbol (futures/schemas.py rates_out shapes them).

    The rate is a fraction per funding interval (0.0001 = 0.01 %), as Binance gives it; times
    are epoch milliseconds in UTC.
    """
    client = client_from_settings()
    params = {}
    if symbol is not None:
        symbol = symbol.strip().upper()
        if not SYMBOL.fullmatch(symbol):
            raise ValidationFailed(
                "symbol must be 2-20 letters or digits, e.g. BTCUSDT.",
                details={"fields": [{"field": "symbol", "message": "invalid"}]},
            )
        if client.symbol_filters(symbol) is None:
            raise UnknownSymbol(
                NOT_LISTED,
                params={"symbol": symbol},
                details={"fields": [{"field": "symbol", "message": "unknown"}]},
            )
        params["symbol"] = symbol
    body = client.request("GET", "/fapi/v1/premiumIndex", params)
    rows = body if isinstance(body, list) else [body]
    return sorted(rows, key=lambda r: r["symbol"])
