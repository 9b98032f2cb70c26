"""What the monitoring tests read: rules, dashboards, PromQL metric names, declared metrics."""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "monitoring"
PROMETHEUS_DIR = MONITORING / "prometheus"
RULE_FILES = sorted((PROMETHEUS_DIR / "alerts").glob("*.rules.yml"))
DASHBOARD_DIR = MONITORING / "grafana" / "provisioning" / "dashboards"
DASHBOARD_FILES = sorted(DASHBOARD_DIR.glob("*.json"))
RUNBOOKS = ROOT / "docs" / "runbooks"
METRICS_MODULES = (
    "futures.metrics",
    "risk.metrics",
    "canary.metrics",
    "portfolio.metrics",
    "notifications.metrics",
)

# Series Prometheus itself makes; expressions may read them without Spark declaring them.
PROMETHEUS_BUILTINS = {"up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds"}

_KEYWORDS = {
    "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
    "group_left", "group_right", "inf", "nan", "atan2",
}  # fmt: skip
_CLAUSE = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", re.I)
_IDENT = re.compile(r"(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()")


def metric_names(expr: str) -> set[str]:
    """Return the metric names an expression reads (selectors), ignoring functions and labels."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = _CLAUSE.sub(" ", text)
    text = re.sub(r"\$\{?\w+\}?", " ", text)
    return {m for m in _IDENT.findall(text) if m.lower() not in _KEYWORDS}


def alert_rules() -> list[dict]:
    """Every alerting rule of every rules file, with its file name under `file`."""
    rules = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    rules.append({**rule, "file": path.name})
    return rules


def dashboards() -> dict[str, dict]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in DASHBOARD_FILES}


def panel_exprs() -> list[tuple[str, str, str]]:
    """(dashboard title, panel title, expr) for every query of every panel."""
    out = []
    for board in dashboards().values():
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                out.append((board["title"], panel["title"], target["expr"]))
    return out


def exposed_names(family_name: str, kind: str) -> set[str]:
    """The sample names a metric family appears under in the text exposition."""
    if kind == "counter":
        return {family_name + "_total", family_name + "_created"}
    if kind == "histogram":
        return {family_name + s for s in ("_bucket", "_sum", "_count", "_created")}
    if kind == "summary":
        return {family_name, family_name + "_sum", family_name + "_count", family_name + "_created"}
    return {family_name}


def import_metrics_modules() -> None:
    """Import the seed's metrics modules and any other installed app's `<app>.metrics`."""
    from django.apps import apps

    for module in METRICS_MODULES:
        importlib.import_module(module)
    for app in apps.get_app_configs():
        if importlib.util.find_spec(f"{app.name}.metrics") is not None:
            importlib.import_module(f"{app.name}.metrics")


def declared_spark_metrics() -> dict[str, str]:
    """{family name: type} of every spark_* metric the platform declares (prometheus REGISTRY)."""
    from prometheus_client import REGISTRY

    import_metrics_modules()
    return {m.name: m.type for m in REGISTRY.collect() if m.name.startswith("spark_")}


def declared_sample_names() -> set[str]:
    """Every sample name the platform can expose (spark_* and django-prometheus alike)."""
    from prometheus_client import REGISTRY

    import_metrics_modules()
    names: set[str] = set()
    for family in REGISTRY.collect():
        names |= exposed_names(family.name, family.type)
    return names


def family_of(sample_name: str, families: dict[str, str]) -> str | None:
    """Map a sample name (x_bucket, x_total...) back to its declared family, if any."""
    for family, kind in families.items():
        if sample_name in exposed_names(family, kind):
            return family
    return None


def selectors(expr: str) -> set[str]:
    """Every vector selector of an expression with its label matchers (`name{a="b"}`)."""
    out = set()
    for name in metric_names(expr):
        found = re.findall(rf"(?<![\w:]){re.escape(name)}\s*(\{{[^}}]*\}})?(?![\w:(])", expr)
        for matchers in found or [""]:
            out.add(name + (matchers or ""))
    return out
