"""Every notification metric, declared once. Labels are bounded: kinds, channels, outcomes."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

EVENTS = Counter(
    "spark_notify_events_total",
    "Notification events written to the outbox, by kind.",
    ["kind"],
)
DELIVERIES = Counter(
    "spark_notify_deliveries_total",
    "Delivery attempts by channel and outcome (sent, retry, failed, uncertain, requeued).",
    ["channel", "outcome"],
)
DELIVERY_LAG_SECONDS = Gauge(
    "spark_notify_delivery_lag_seconds",
    "Age of the oldest due, undelivered event or delivery, in seconds (0 when all are out).",
    multiprocess_mode="mostrecent",
)
PENDING = Gauge(
    "spark_notify_pending_deliveries",
    "Deliveries not yet sent or given up, by channel.",
    ["channel"],
    multiprocess_mode="mostrecent",
)
WORKER_HEARTBEAT = Gauge(
    "spark_notify_worker_heartbeat_timestamp_seconds",
    "Unix time of the delivery worker's last loop (for a worker-down alert).",
    multiprocess_mode="mostrecent",
)

# Every label set exists from the start at 0: `increase()` then sees the first failure, and a
# scrape shows the series before anything happened (the strings are Channel's and Kind's values).
CHANNELS = ("telegram", "webhook", "email")
OUTCOMES = ("sent", "retry", "failed", "uncertain", "requeued")
KINDS = (
    "fill",
    "order.rejected",
    "breaker.opened",
    "breaker.closed",
    "loss_budget.low",
    "canary.result",
    "proposal.pending",
    "alert.firing",
    "alert.resolved",
    "streams.down",
    "streams.up",
    "daily.summary",
)
for _channel in (*CHANNELS, "any"):
    for _outcome in OUTCOMES:
        DELIVERIES.labels(channel=_channel, outcome=_outcome)
for _kind in KINDS:
    EVENTS.labels(kind=_kind)
