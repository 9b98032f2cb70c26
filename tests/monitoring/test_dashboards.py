"""The Grafana dashboards: seed titles and panels, 10 s refresh, stable uids, units, variable."""

from __future__ import annotations

import importlib.util

import yaml

from tests.monitoring.support import DASHBOARD_DIR, MONITORING, dashboards

SEED = {
    "spark-portfolio.json": (
        "Spark • Portfolio Performance",
        "spark-portfolio",
        [
            "Portfolio Refresh Latency (p50/p95)",
            "Exchange API Error Rate",
            "Total Portfolio Value (USD)",
            "Data Staleness",
            "Asset Count",
        ],
    ),
    "spark-futures.json": (
        "Spark • Futures Performance",
        "spark-futures",
        [
            "Order Placement Latency p95",
            "Order ACK vs Reject Rate",
            "WebSocket Reconnects",
            "WebSocket Uptime",
            "Unrealized PnL",
            "Margin Ratio",
        ],
    ),
    "spark-risk-canary.json": ("Spark • Risk & Canary", "spark-risk-canary", []),
}


def load_builder():
    spec = importlib.util.spec_from_file_location(
        "build_dashboards", MONITORING / "grafana" / "build_dashboards.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_json_is_what_the_builder_writes():
    rendered = load_builder().render()
    assert set(rendered) == {p.name for p in DASHBOARD_DIR.glob("*.json")}
    for name, text in rendered.items():
        assert (DASHBOARD_DIR / name).read_text(encoding="utf-8") == text, (
            f"{name} is stale: run python monitoring/grafana/build_dashboards.py"
        )


def test_the_seed_dashboards_have_their_titles_uids_and_panels():
    boards = dashboards()
    for file, (title, uid, panels) in SEED.items():
        board = boards[file]
        assert board["title"] == title
        assert board["uid"] == uid
        titles = [p["title"] for p in board["panels"]]
        assert titles[: len(panels)] == panels, titles
    assert len(boards["spark-risk-canary.json"]["panels"]) >= 4


def test_every_dashboard_refreshes_every_10s_with_a_datasource_variable():
    for name, board in dashboards().items():
        assert board["refresh"] == "10s", name
        variables = {v["name"]: v for v in board["templating"]["list"]}
        assert variables["datasource"]["type"] == "datasource", name
        assert variables["datasource"]["query"] == "prometheus", name


def test_every_panel_has_a_unit_queries_and_uses_the_variable():
    for name, board in dashboards().items():
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids)), name
        for panel in board["panels"]:
            where = f"{name} / {panel['title']}"
            assert panel["fieldConfig"]["defaults"].get("unit"), f"{where} has no unit"
            assert panel["description"], where
            assert panel["datasource"]["uid"] == "${datasource}", where
            assert panel["targets"], where
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == "${datasource}", where
                assert target["expr"].strip(), where
            pos = panel["gridPos"]
            assert pos["x"] + pos["w"] <= 24, where


def test_provisioning_points_grafana_at_prometheus_and_the_dashboards():
    prov = MONITORING / "grafana" / "provisioning"
    ds = yaml.safe_load((prov / "datasources" / "prometheus.yaml").read_text())
    (source,) = ds["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"
    assert source["uid"] == "spark-prometheus"
    boards = yaml.safe_load((prov / "dashboards" / "dashboards.yaml").read_text())
    (provider,) = boards["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/etc/grafana/provisioning/dashboards"
    compose = yaml.safe_load((MONITORING / "docker-compose.yml").read_text())
    assert (
        "./grafana/provisioning:/etc/grafana/provisioning:ro"
        in (compose["services"]["grafana"]["volumes"])
    )
