"""The dashboard chart's candles: history from the exchange's klines, live from its 1m stream.

One kline stream per streamed symbol (1m) feeds every timeframe: the page folds each 1m bar
into the current bar of the chosen timeframe (open from history, high/low widened, close
replaced), so switching timeframe never changes what the stream process subscribes and no
per-page demand has to be tracked across processes. Prices stay decimal strings end to end.
"""

from __future__ import annotations

from dataclasses import dataclass

from futures.binance.errors import UnknownSymbol
from futures.binance.rest import client_from_settings
from spark_site.errors import ValidationFailed

# The chart's timeframes (Binance's interval names) and their length in milliseconds.
INTERVALS = {
    "1m": 60_000,
    "5m": 300_000,
    "15m": 900_000,
    "1h": 3_600_000,
    "4h": 14_400_000,
    "1d": 86_400_000,
}
LIVE_INTERVAL = "1m"
MAX_BARS = 1500  # Binance's most bars per /fapi/v1/klines call
DEFAULT_BARS = 300


def topic(symbol: str) -> str:
    """The live topic of a symbol's 1m bars (futures/broadcast.py validates it)."""
    return f"kline:{symbol}"


def bar_payload(k: dict) -> dict:
    """A kline stream bar ("k" of Binance's kline event) as the chart's bar."""
    return {
        "t": int(k["t"]),
        "i": k["i"],
        "o": k["o"],
        "h": k["h"],
        "l": k["l"],
        "c": k["c"],
        "v": k["v"],
        "x": bool(k["x"]),
    }


@dataclass(frozen=True)
class Klines:
    """A symbol's bars at an interval as the exchange gave them (its klines rows, oldest
    first), with the live topic that continues them."""

    symbol: str
    interval: str
    interval_ms: int
    live: str
    rows: list[list]


def chart_klines(*, symbol: str, interval: str, limit: int = DEFAULT_BARS) -> Klines:
    """The newest `limit` bars of symbol at interval, oldest first (a read: any role)."""
    symbol = symbol.upper()
    if interval not in INTERVALS:
        raise ValidationFailed(
            "interval must be one of %(allowed)s.",
            params={"allowed": ", ".join(INTERVALS)},
            details={"fields": [{"field": "interval", "message": "unknown interval"}]},
        )
    if not 1 <= limit <= MAX_BARS:
        raise ValidationFailed(
            "limit must be 1 to %(max)s.",
            params={"max": MAX_BARS},
            details={"fields": [{"field": "limit", "message": f"1 to {MAX_BARS}"}]},
        )
    client = client_from_settings()
    if client.symbol_filters(symbol) is None:
        raise UnknownSymbol(
            "%(symbol)s is not a symbol the exchange trades.",
            params={"symbol": symbol},
            details={"fields": [{"field": "symbol", "message": "unknown"}]},
        )
    rows = client.klines(symbol, interval, limit=limit)
    return Klines(symbol, interval, INTERVALS[interval], topic(symbol), rows)
