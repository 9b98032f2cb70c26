"""The shipped Prometheus files pass the real promtool, and every alert is complete."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.monitoring.support import (
    PROMETHEUS_DIR,
    ROOT,
    RULE_FILES,
    RUNBOOKS,
    alert_rules,
)

pytestmark = pytest.mark.monitoring

SEED_ALERTS = {
    "spark-portfolio.rules.yml": {
        "PortfolioRefreshLatencyHighP95",
        "ExchangeApiErrorRateHigh",
        "PortfolioDataStale",
        "PortfolioValueDropAnomaly",
        "PortfolioNoAssets",
    },
    "spark-futures.rules.yml": {
        "FuturesOrderLatencyHighP95",
        "FuturesOrderRejectRateHigh",
        "FuturesWsReconnectSpike",
        "FuturesDataStale",
        "FuturesUnrealizedPnLDrop",
        "FuturesMarginRatioHigh",
        "FuturesWsDisconnected",
        "RiskCircuitBreakerOpen",
        "RiskDailyLossBudgetLow",
    },
}


def promtool(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("promtool")
    assert exe, "promtool is missing: run scripts/test_services.sh (Debian package prometheus)"
    return subprocess.run(
        [exe, *args], cwd=PROMETHEUS_DIR, capture_output=True, text=True, timeout=120
    )


def test_promtool_accepts_the_config_and_finds_every_rule_file():
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(RULE_FILES)} rule files found" in result.stdout + result.stderr


def test_promtool_accepts_every_rules_file():
    result = promtool("check", "rules", *[str(p) for p in RULE_FILES])
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_fires_on_bad_series_and_stays_silent_on_healthy_ones():
    tests = sorted(str(p) for p in (PROMETHEUS_DIR / "tests").glob("*.test.yml"))
    result = promtool("test", "rules", *tests)
    assert result.returncode == 0, result.stdout + result.stderr
    # every alert has a firing case (exp_labels) and a silent case (exp_alerts: []) in the tests
    text = "\n".join((PROMETHEUS_DIR / "tests" / p).read_text() for p in tests)
    for rule in alert_rules():
        name = rule["alert"]
        cases = re.findall(rf"alertname: {name}\n\s+exp_alerts:(.*)", text)
        assert any(c.strip() == "[]" for c in cases), f"{name} has no silent (healthy) case"
        assert any(c.strip() == "" for c in cases), f"{name} has no firing case"


def test_the_seed_alerts_are_all_there_in_their_files():
    by_file: dict[str, set[str]] = {}
    for rule in alert_rules():
        by_file.setdefault(rule["file"], set()).add(rule["alert"])
    for file, names in SEED_ALERTS.items():
        assert names <= by_file.get(file, set()), names - by_file.get(file, set())
    assert sum(len(v) for v in by_file.values()) >= 14


def test_every_alert_has_severity_annotations_and_an_existing_runbook():
    names = [r["alert"] for r in alert_rules()]
    assert len(names) == len(set(names)), "duplicate alert names"
    for rule in alert_rules():
        name = rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        ann = rule["annotations"]
        assert ann["summary"].strip() and ann["description"].strip(), name
        assert ann["runbook_url"] == f"docs/runbooks/{name}.md", name
        runbook = (ROOT / ann["runbook_url"]).read_text()
        for heading in ("## What it means", "## What to check", "## What to do"):
            assert heading in runbook, f"{name} runbook lacks {heading!r}"
        assert name in runbook.splitlines()[0], f"{name} runbook title"
    assert {p.stem for p in RUNBOOKS.glob("*.md")} >= set(names)


def test_docker_compose_accepts_the_monitoring_stack():
    if shutil.which("docker") and (
        subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        cmd = ["docker", "compose"]
    else:
        assert shutil.which("docker-compose"), (
            "neither `docker compose` nor `docker-compose` is installed (Debian: docker-compose)"
        )
        cmd = ["docker-compose"]
    result = subprocess.run(
        [*cmd, "-f", "monitoring/docker-compose.yml", "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "prometheus" in result.stdout and "grafana" in result.stdout
    assert "/etc/grafana/provisioning" in result.stdout
