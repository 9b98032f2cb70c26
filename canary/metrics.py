"""Every canary metric, declared once."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

RUNS = Counter(
    "spark_canary_runs_total",
    "Canary runs by resulting status (SIMULATED, CONFIRMED, REJECTED, FAILED, EXPIRED).",
    ["status"],
)
CONFIRM_LATENCY_MS = Histogram(
    "spark_canary_confirm_latency_ms",
    "Time from confirm request to the exchange's fill of a canary order, in milliseconds.",
    buckets=(10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000),
)
