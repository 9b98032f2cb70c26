"""Dashboards and rules read only metrics Spark declares, and every spark_* metric is used."""

from __future__ import annotations

from tests.monitoring.support import (
    PROMETHEUS_BUILTINS,
    alert_rules,
    declared_sample_names,
    declared_spark_metrics,
    family_of,
    metric_names,
    panel_exprs,
)

# spark_* metrics that no dashboard or rule needs to read, each with the reason.
UNUSED_ALLOWED: dict[str, str] = {
    "spark_notify_events": "read while debugging the outbox (which causes write events)",
    "spark_notify_pending_deliveries": "read while debugging a lag (which channel holds it)",
}

SEED_METRICS = {
    "spark_portfolio_refresh_latency_ms",
    "spark_exchange_api_error",  # counter family; exposed as spark_exchange_api_error_total
    "spark_portfolio_total_value_usd",
    "spark_portfolio_asset_count",
    "spark_portfolio_last_update_timestamp",
    "spark_futures_order_place_latency_ms",
    "spark_futures_order_ack",
    "spark_futures_order_reject",
    "spark_futures_position_count",
    "spark_futures_pnl_unrealized_usd",
    "spark_futures_account_balance_usd",
    "spark_futures_margin_ratio",
    "spark_futures_rate_limit_remaining",
    "spark_futures_ws_connects",
    "spark_futures_ws_reconnects",
    "spark_futures_ws_messages",
    "spark_futures_ws_errors",
    "spark_futures_ws_connection_duration_seconds",
    "spark_futures_ws_connection_status",
}


def all_exprs() -> list[tuple[str, str]]:
    exprs = [(f"rule {r['alert']}", r["expr"]) for r in alert_rules()]
    exprs += [(f"panel {d} / {p}", e) for d, p, e in panel_exprs()]
    return exprs


def test_the_parser_finds_selectors_and_skips_functions_labels_and_clauses():
    expr = (
        'histogram_quantile(0.95, sum by (le) (rate(a_bucket{x="b_c",le!~"1e3"}[5m])))'
        " / on () group_left () (b_total offset 5m) > 1e3 and time() - c unless"
        ' d{connection!~"user.*"} [$__rate_interval]'
    )
    assert metric_names(expr) == {"a_bucket", "b_total", "c", "d"}


def test_every_expression_reads_only_declared_metrics():
    known = declared_sample_names() | PROMETHEUS_BUILTINS
    for where, expr in all_exprs():
        unknown = metric_names(expr) - known
        assert not unknown, f"{where} reads undeclared metric(s) {sorted(unknown)}: {expr}"


def test_every_seed_metric_is_declared_with_help_text():
    from prometheus_client import REGISTRY

    declared = declared_spark_metrics()
    assert set(declared) >= SEED_METRICS, SEED_METRICS - set(declared)
    for family in REGISTRY.collect():
        if family.name.startswith("spark_"):
            assert family.documentation.strip(), family.name
            if family.type == "counter":
                # prometheus_client exposes counters as <name>_total: the seed's names
                assert not family.name.endswith("_total"), family.name


def test_every_spark_metric_is_used_by_a_dashboard_or_rule_or_has_a_reason():
    declared = declared_spark_metrics()
    used = set()
    for _, expr in all_exprs():
        for name in metric_names(expr):
            family = family_of(name, declared)
            if family:
                used.add(family)
    unused = set(declared) - used - set(UNUSED_ALLOWED)
    assert not unused, f"spark_* metrics no dashboard or rule reads: {sorted(unused)}"
    stale = set(UNUSED_ALLOWED) & used
    assert not stale, f"allow-listed but used (drop them from UNUSED_ALLOWED): {sorted(stale)}"
    assert all(reason.strip() for reason in UNUSED_ALLOWED.values())
