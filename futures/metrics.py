"""Every futures metric, declared once (names are the seed report's contract).

Label sets are bounded: symbols come from exchange info, reasons from a fixed vocabulary,
streams and connections from the supervisor's own names. Never an order id or user text.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LATENCY_MS_BUCKETS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)

# --- every exchange call -----------------------------------------------------------------------
# Counted in one place, the connector (futures.binance.errors.count_error), on every path: REST
# orders, account and positions, listen keys, the WebSocket API; the portfolio counts only the
# failures no connector saw (BTCTurk, a read that ran out of time).
EXCHANGE_API_ERRORS = Counter(
    "spark_exchange_api_error_total",
    "Failed exchange API calls, by exchange and error code (HTTP status or exchange code).",
    ["exchange", "code"],
)

# --- orders and account -------------------------------------------------------------------------
ORDER_PLACE_LATENCY_MS = Histogram(
    "spark_futures_order_place_latency_ms",
    "Time to place an order through the order service (risk gate + exchange), in milliseconds.",
    ["symbol", "dry_run"],
    buckets=LATENCY_MS_BUCKETS,
)
ORDER_ACK = Counter(
    "spark_futures_order_ack_total",
    "Orders accepted (by the exchange, or by the simulator for dry-run).",
    ["symbol", "dry_run"],
)
ORDER_REJECT = Counter(
    "spark_futures_order_reject_total",
    "Orders refused, by reason (risk_<rule>, filter_<filter>, exchange_<code>, ...).",
    ["reason"],
)
POSITION_COUNT = Gauge(
    "spark_futures_position_count",
    "Open futures positions (non-zero position amount).",
    multiprocess_mode="mostrecent",
)
PNL_UNREALIZED_USD = Gauge(
    "spark_futures_pnl_unrealized_usd",
    "Unrealized PnL of all positions, in USD.",
    multiprocess_mode="mostrecent",
)
ACCOUNT_BALANCE_USD = Gauge(
    "spark_futures_account_balance_usd",
    "Futures wallet balance, in USD.",
    multiprocess_mode="mostrecent",
)
MARGIN_RATIO = Gauge(
    "spark_futures_margin_ratio",
    "Maintenance margin / margin balance (1.0 = liquidation).",
    multiprocess_mode="mostrecent",
)
RATE_LIMIT_REMAINING = Gauge(
    "spark_futures_rate_limit_remaining",
    "Request weight left in the exchange's current 1-minute window.",
    multiprocess_mode="mostrecent",
)

# --- WebSocket streams ----------------------------------------------------------------------------
WS_CONNECTS = Counter(
    "spark_futures_ws_connects_total",
    "WebSocket connections opened to the exchange.",
    ["connection"],
)
WS_RECONNECTS = Counter(
    "spark_futures_ws_reconnects_total",
    "WebSocket reconnections after a drop, an expiry or a planned cut.",
    ["connection"],
)
WS_MESSAGES = Counter(
    "spark_futures_ws_messages_total",
    "WebSocket messages received, by stream type.",
    ["stream_type"],
)
WS_ERRORS = Counter(
    "spark_futures_ws_errors_total",
    "WebSocket errors (drops, timeouts, bad frames).",
    ["connection"],
)
WS_CONNECTION_DURATION_SECONDS = Gauge(
    "spark_futures_ws_connection_duration_seconds",
    "Age of the current WebSocket connection, in seconds (0 while down).",
    ["connection"],
    multiprocess_mode="mostrecent",
)
WS_CONNECTION_STATUS = Gauge(
    "spark_futures_ws_connection_status",
    "1 while the WebSocket connection is up, 0 while it is down.",
    ["connection"],
    multiprocess_mode="mostrecent",
)
WS_STREAMS_ENABLED = Gauge(
    "spark_futures_ws_streams_enabled",
    "1 while the streams are meant to run (after ws.start), 0 after a deliberate ws.stop.",
    multiprocess_mode="mostrecent",
)
WS_LAST_MESSAGE_TIMESTAMP = Gauge(
    "spark_futures_ws_last_message_timestamp_seconds",
    "Unix time of the last message received on the connection (for staleness alerts).",
    ["connection"],
    multiprocess_mode="mostrecent",
)
