"""Every risk metric, declared once."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

CIRCUIT_BREAKER_OPEN = Gauge(
    "spark_risk_circuit_breaker_open",
    "1 while the circuit breaker is open (trading suspended), else 0.",
    multiprocess_mode="mostrecent",
)
DAILY_PNL_USD = Gauge(
    "spark_risk_daily_pnl_usd",
    "PnL of the current trading day as the daily loss limit counts it (net by default, from "
    "an operator's breaker close), in USD.",
    multiprocess_mode="mostrecent",
)
DAILY_LOSS_LIMIT_USD = Gauge(
    "spark_risk_daily_loss_limit_usd",
    "The configured daily loss limit, in USD.",
    multiprocess_mode="mostrecent",
)
DECISIONS = Counter(
    "spark_risk_decisions_total",
    "Risk gate decisions, by outcome (allowed / rejected).",
    ["outcome"],
)
