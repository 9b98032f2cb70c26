"""Every portfolio metric, declared once (names are the seed report's contract)."""

from __future__ import annotations

from prometheus_client import Gauge, Histogram

from futures import metrics as futures_metrics

REFRESH_LATENCY_MS = Histogram(
    "spark_portfolio_refresh_latency_ms",
    "Time to refresh the whole portfolio from every exchange, in milliseconds.",
    buckets=(10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000),
)
# Declared with the connector that counts it (every exchange path); the portfolio adds the
# failures no connector saw.
EXCHANGE_API_ERRORS = futures_metrics.EXCHANGE_API_ERRORS
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
