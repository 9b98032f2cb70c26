"""Every portfolio metric, declared once (names are the seed report's contract)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REFRESH_LATENCY_MS = Histogram(
    "spark_portfolio_refresh_latency_ms",
    "Time to refresh the whole portfolio from every exchange, in milliseconds.",
    buckets=(10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000),
)
EXCHANGE_API_ERRORS = Counter(
    "spark_exchange_api_error_total",
    "Failed exchange API calls, by exchange and error code (HTTP status or exchange code).",
    ["exchange", "code"],
)
TOTAL_VALUE_USD = Gauge(
    "spark_portfolio_total_value_usd",
    "Total portfolio value across exchanges, in USD.",
    multiprocess_mode="mostrecent",
)
ASSET_COUNT = Gauge(
    "spark_portfolio_asset_count",
    "Number of assets with a non-zero balance across exchanges.",
    multiprocess_mode="mostrecent",
)
LAST_UPDATE_TIMESTAMP = Gauge(
    "spark_portfolio_last_update_timestamp",
    "Unix time of the last successful portfolio refresh.",
    multiprocess_mode="mostrecent",
)
