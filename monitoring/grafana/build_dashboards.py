"""Write Spark's Grafana dashboards (JSON) from this one readable description.

Run `python monitoring/grafana/build_dashboards.py` after an edit; the test suite fails while the
committed JSON differs from what this script writes (tests/monitoring/test_dashboards.py).
Panel titles are the seed report's; every panel has a unit and uses the `datasource` variable.
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parent / "provisioning" / "dashboards"
DS = {"type": "prometheus", "uid": "${datasource}"}
RATE = "$__rate_interval"


def target(expr: str, legend: str = "", ref: str = "A") -> dict:
    return {"refId": ref, "datasource": DS, "expr": expr, "legendFormat": legend or "__auto"}


def panel(
    title: str,
    kind: str,
    unit: str,
    targets: list[dict],
    *,
    description: str,
    w: int = 12,
    h: int = 8,
    thresholds: list[tuple[float | None, str]] | None = None,
    mappings: list[dict] | None = None,
    min_: float | None = None,
    max_: float | None = None,
    decimals: int | None = None,
) -> dict:
    steps = [{"color": c, "value": v} for v, c in (thresholds or [(None, "green")])]
    defaults: dict = {
        "unit": unit,
        "thresholds": {"mode": "absolute", "steps": steps},
        "color": {"mode": "thresholds" if kind in ("stat", "gauge") else "palette-classic"},
    }
    if mappings:
        defaults["mappings"] = mappings
    if min_ is not None:
        defaults["min"] = min_
    if max_ is not None:
        defaults["max"] = max_
    if decimals is not None:
        defaults["decimals"] = decimals
    options: dict
    if kind == "timeseries":
        options = {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "desc"},
        }
    else:
        options = {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "orientation": "auto",
        }
        if kind == "stat":
            options.update({"colorMode": "value", "graphMode": "area", "textMode": "auto"})
    for i, t in enumerate(targets):
        t["refId"] = chr(ord("A") + i)
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DS,
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": options,
        "_size": (w, h),
    }


def dashboard(uid: str, title: str, description: str, panels: list[dict]) -> dict:
    x = y = row_h = 0
    for pid, p in enumerate(panels, start=1):
        w, h = p.pop("_size")
        if x + w > 24:
            x, y, row_h = 0, y + row_h, 0
        p["id"] = pid
        p["gridPos"] = {"h": h, "w": w, "x": x, "y": y}
        x += w
        row_h = max(row_h, h)
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["spark"],
        "timezone": "utc",
        "editable": True,
        "graphTooltip": 1,
        "refresh": "10s",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-1h", "to": "now"},
        "timepicker": {"refresh_intervals": ["10s", "30s", "1m", "5m"]},
        "annotations": {"list": []},
        "links": [],
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Data source",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {"text": "Spark Prometheus", "value": "spark-prometheus"},
                    "hide": 0,
                    "refresh": 1,
                    "regex": "",
                    "includeAll": False,
                    "multi": False,
                    "options": [],
                }
            ]
        },
        "panels": panels,
    }


def quantile(q: float, metric: str, by: str = "le") -> str:
    return f"histogram_quantile({q}, sum by ({by}) (rate({metric}_bucket[{RATE}])))"


def portfolio() -> dict:
    lat = "spark_portfolio_refresh_latency_ms"
    return dashboard(
        "spark-portfolio",
        "Spark • Portfolio Performance",
        "Portfolio refreshes across exchanges: latency, errors, value, freshness.",
        [
            panel(
                "Portfolio Refresh Latency (p50/p95)",
                "timeseries",
                "ms",
                [target(quantile(0.5, lat), "p50"), target(quantile(0.95, lat), "p95")],
                description="Time to refresh the whole portfolio. Alert: "
                "PortfolioRefreshLatencyHighP95 (p95 > 2000 ms for 5m).",
                thresholds=[(None, "green"), (2000, "red")],
            ),
            panel(
                "Exchange API Error Rate",
                "timeseries",
                "reqps",
                [
                    target(
                        f"sum by (exchange, code) (rate(spark_exchange_api_error_total[{RATE}]))",
                        "{{exchange}} {{code}}",
                    )
                ],
                description="Failed exchange calls per second by exchange and error code. "
                "Alert: ExchangeApiErrorRateHigh (> 0.1/s for 5m).",
                thresholds=[(None, "green"), (0.1, "red")],
            ),
            panel(
                "Total Portfolio Value (USD)",
                "stat",
                "currencyUSD",
                [target("max(spark_portfolio_total_value_usd)", "total")],
                description="Total value across exchanges. Alert: PortfolioValueDropAnomaly "
                "(below 90% of the 1-hour high for 5m).",
                w=8,
                decimals=2,
            ),
            panel(
                "Data Staleness",
                "stat",
                "s",
                [
                    target(
                        "time() - max(spark_portfolio_last_update_timestamp > 0)",
                        "age",
                    )
                ],
                description="Seconds since the last successful refresh. Alert: "
                "PortfolioDataStale (> 300 s for 2m).",
                w=8,
                thresholds=[(None, "green"), (120, "orange"), (300, "red")],
                decimals=0,
            ),
            panel(
                "Asset Count",
                "stat",
                "none",
                [target("max(spark_portfolio_asset_count)", "assets")],
                description="Assets with a non-zero balance. Alert: PortfolioNoAssets.",
                w=8,
                thresholds=[(None, "red"), (1, "green")],
                decimals=0,
            ),
        ],
    )


def futures() -> dict:
    lat = "spark_futures_order_place_latency_ms"
    return dashboard(
        "spark-futures",
        "Spark • Futures Performance",
        "Order placement, acknowledgements and rejects, exchange streams, PnL and margin.",
        [
            panel(
                "Order Placement Latency p95",
                "timeseries",
                "ms",
                [target(quantile(0.95, lat, "le, dry_run"), "p95 dry_run={{dry_run}}")],
                description="Risk gate + exchange round trip. Alert: FuturesOrderLatencyHighP95 "
                "(> 1000 ms for 5m).",
                thresholds=[(None, "green"), (1000, "red")],
            ),
            panel(
                "Order ACK vs Reject Rate",
                "timeseries",
                "ops",
                [
                    target(
                        f"sum by (dry_run) (rate(spark_futures_order_ack_total[{RATE}]))",
                        "ACK dry_run={{dry_run}}",
                    ),
                    target(
                        f"sum by (reason) (rate(spark_futures_order_reject_total[{RATE}]))",
                        "reject {{reason}}",
                    ),
                ],
                description="Orders per second accepted vs refused (by reason). Alert: "
                "FuturesOrderRejectRateHigh (> 20% rejected for 5m).",
            ),
            panel(
                "WebSocket Reconnects",
                "timeseries",
                "short",
                [
                    target(
                        "sum by (connection) "
                        f"(increase(spark_futures_ws_reconnects_total[{RATE}]))",
                        "reconnects {{connection}}",
                    ),
                    target(
                        f"sum by (connection) (increase(spark_futures_ws_connects_total[{RATE}]))",
                        "connects {{connection}}",
                    ),
                ],
                description="Connections opened and re-opened per interval. Alert: "
                "FuturesWsReconnectSpike (> 5 in 5m).",
            ),
            panel(
                "WebSocket Uptime",
                "timeseries",
                "s",
                [
                    target(
                        "max by (connection) (spark_futures_ws_connection_duration_seconds)",
                        "{{connection}}",
                    )
                ],
                description="Age of the current connection (drops to 0 on a reconnect). Alert: "
                "FuturesWsDisconnected (status 0 for 1m).",
            ),
            panel(
                "Unrealized PnL",
                "timeseries",
                "currencyUSD",
                [target("max(spark_futures_pnl_unrealized_usd)", "unrealized PnL")],
                description="Unrealized PnL of all positions. Alert: FuturesUnrealizedPnLDrop "
                "(loss beyond half the daily loss limit).",
                decimals=2,
            ),
            panel(
                "Margin Ratio",
                "gauge",
                "percentunit",
                [target("max(spark_futures_margin_ratio)", "margin ratio")],
                description="Maintenance margin / margin balance; 100% = liquidation. Alert: "
                "FuturesMarginRatioHigh (> 80% for 1m).",
                thresholds=[(None, "green"), (0.5, "orange"), (0.8, "red")],
                min_=0,
                max_=1,
            ),
            panel(
                "WebSocket Connection Status",
                "stat",
                "none",
                [
                    target(
                        "max by (connection) (spark_futures_ws_connection_status)",
                        "{{connection}}",
                    )
                ],
                description="1 = connected, 0 = down.",
                w=8,
                thresholds=[(None, "red"), (1, "green")],
                mappings=[
                    {
                        "type": "value",
                        "options": {
                            "0": {"text": "DOWN", "color": "red"},
                            "1": {"text": "UP", "color": "green"},
                        },
                    }
                ],
            ),
            panel(
                "Stream Data Age",
                "timeseries",
                "s",
                [
                    target(
                        "time() - max by (connection) "
                        "(spark_futures_ws_last_message_timestamp_seconds > 0)",
                        "{{connection}}",
                    )
                ],
                description="Seconds since the last message per connection (the user stream is "
                "quiet while nothing trades). Alert: FuturesDataStale (market > 60 s for 2m).",
                w=8,
            ),
            panel(
                "WebSocket Messages & Errors",
                "timeseries",
                "cps",
                [
                    target(
                        f"sum by (stream_type) (rate(spark_futures_ws_messages_total[{RATE}]))",
                        "{{stream_type}}",
                    ),
                    target(
                        f"sum by (connection) (rate(spark_futures_ws_errors_total[{RATE}]))",
                        "errors {{connection}}",
                    ),
                ],
                description="Messages per second by stream type, and errors per second.",
                w=8,
            ),
            panel(
                "Account Balance (USD)",
                "stat",
                "currencyUSD",
                [target("max(spark_futures_account_balance_usd)", "wallet balance")],
                description="Futures wallet balance.",
                w=8,
                decimals=2,
            ),
            panel(
                "Open Positions",
                "stat",
                "none",
                [target("max(spark_futures_position_count)", "positions")],
                description="Positions with a non-zero amount.",
                w=8,
                decimals=0,
            ),
            panel(
                "Rate Limit Remaining",
                "stat",
                "none",
                [target("min(spark_futures_rate_limit_remaining)", "weight left")],
                description="Request weight left in the exchange's 1-minute window. Alert: "
                "FuturesRateLimitLow (< 200 for 1m).",
                w=8,
                thresholds=[(None, "red"), (200, "orange"), (600, "green")],
                decimals=0,
            ),
        ],
    )


def risk_canary() -> dict:
    return dashboard(
        "spark-risk-canary",
        "Spark • Risk & Canary",
        "Risk gate decisions, the circuit breaker, the daily loss budget and canary runs.",
        [
            panel(
                "Circuit Breaker",
                "stat",
                "none",
                [target("max(spark_risk_circuit_breaker_open)", "breaker")],
                description="OPEN = trading suspended. Alert: RiskCircuitBreakerOpen.",
                w=6,
                thresholds=[(None, "green"), (1, "red")],
                mappings=[
                    {
                        "type": "value",
                        "options": {
                            "0": {"text": "CLOSED", "color": "green"},
                            "1": {"text": "OPEN", "color": "red"},
                        },
                    }
                ],
            ),
            panel(
                "Loss Budget Used",
                "gauge",
                "percentunit",
                [
                    target(
                        "clamp_min(-max(spark_risk_daily_pnl_usd), 0)"
                        " / max(spark_risk_daily_loss_limit_usd > 0)",
                        "used",
                    )
                ],
                description="Loss counted today (net of commissions and funding by default, "
                "from an operator's breaker close) / daily loss limit. Alert: "
                "RiskDailyLossBudgetLow (> 80%).",
                w=6,
                thresholds=[(None, "green"), (0.5, "orange"), (0.8, "red")],
                min_=0,
                max_=1,
            ),
            panel(
                "Daily PnL vs Loss Limit",
                "timeseries",
                "currencyUSD",
                [
                    target("max(spark_risk_daily_pnl_usd)", "counted PnL today"),
                    target("-max(spark_risk_daily_loss_limit_usd)", "loss limit"),
                ],
                description="The breaker opens when the counted PnL (net by default) reaches "
                "minus the limit; the same figure as /futures/risk/status countedPnl.",
                decimals=2,
            ),
            panel(
                "Risk Decisions",
                "timeseries",
                "ops",
                [
                    target(
                        f"sum by (outcome) (rate(spark_risk_decisions_total[{RATE}]))",
                        "{{outcome}}",
                    )
                ],
                description="Risk gate decisions per second by outcome.",
            ),
            panel(
                "Canary Runs by Status",
                "bargauge",
                "short",
                [
                    target(
                        "sum by (status) (increase(spark_canary_runs_total[$__range]))",
                        "{{status}}",
                    )
                ],
                description="Canary runs in the selected range by resulting status. Alert: "
                "CanaryRunsFailing.",
                decimals=0,
            ),
            panel(
                "Canary Confirm Latency p95",
                "timeseries",
                "ms",
                [target(quantile(0.95, "spark_canary_confirm_latency_ms"), "p95")],
                description="From confirm request to the exchange's fill of the canary order.",
            ),
        ],
    )


DASHBOARDS = {
    "spark-portfolio.json": portfolio,
    "spark-futures.json": futures,
    "spark-risk-canary.json": risk_canary,
}


def render() -> dict[str, str]:
    """Return {file name: JSON text} for every dashboard."""
    return {
        name: json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
        for name, build in DASHBOARDS.items()
    }


if __name__ == "__main__":
    for name, text in render().items():
        (OUT / name).write_text(text, encoding="utf-8")
        print("wrote", OUT / name)
