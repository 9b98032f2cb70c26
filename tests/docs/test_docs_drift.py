"""The docs are true to the code: endpoints, settings, metrics, alerts, error codes, copilot.

Each test compares what docs/en and docs/tr say with what the code has, both ways, so a new
endpoint, setting, metric, alert or error code without documentation fails here, and so does
documentation of something that no longer exists.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
LANGS = ("en", "tr")
PAGES = ("quick-start.md", "user-guide.md", "operations.md", "api-guide.md", "smoke.md")
APPS = (
    "accounts",
    "audit",
    "canary",
    "copilot",
    "futures",
    "history",
    "notifications",
    "portfolio",
    "risk",
    "strategies",
)
# Served outside the ninja API (django-prometheus, ninja's own pages).
NON_OPENAPI = {("GET", "/metrics"), ("GET", "/api/docs"), ("GET", "/api/openapi.json")}
# Environment variables read by processes rather than by spark_site/settings.py.
PROCESS_VARIABLES = {"PORT", "SIM_PORT", "PROMETHEUS_MULTIPROC_DIR", "GRAFANA_ADMIN_PASSWORD"}


def _load_gen_docs():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen_docs = _load_gen_docs()


def doc(lang: str, name: str) -> str:
    return (DOCS / lang / name).read_text(encoding="utf-8")


def all_docs(lang: str) -> str:
    return "\n".join(doc(lang, name) for name in PAGES)


def marked(text: str, name: str) -> str:
    """The text between <!-- name --> and <!-- /name -->."""
    match = re.search(rf"<!-- {name} -->\n(.*?)<!-- /{name} -->", text, re.S)
    assert match, f"block <!-- {name} --> is missing"
    return match.group(1)


def first_column(table: str) -> list[str]:
    """The backticked names in the first column of a Markdown table, header rows skipped."""
    return re.findall(r"^\| `([^`]+)` \|", table, re.M)


# ------------------------------------------------------------------------------ endpoints


def openapi_operations() -> set[tuple[str, str]]:
    from spark_site.api import api

    schema = api.get_openapi_schema()
    return {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}


def documented_operations(text: str) -> set[tuple[str, str]]:
    return {
        (method, path.rstrip("/") or "/")
        for method, path in re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s?]*)", text)
    }


@pytest.mark.parametrize("lang", LANGS)
def test_every_documented_endpoint_exists_in_the_openapi_schema(lang):
    known = openapi_operations() | NON_OPENAPI
    for page in PAGES:
        unknown = documented_operations(doc(lang, page)) - known
        assert not unknown, f"docs/{lang}/{page} documents endpoints that do not exist: {unknown}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_api_operation_is_documented_in_the_api_guide(lang):
    missing = openapi_operations() - documented_operations(doc(lang, "api-guide.md"))
    assert not missing, f"docs/{lang}/api-guide.md lacks: {sorted(missing)}"


def test_the_seed_reports_endpoints_have_a_curl_example():
    seed = [
        "/health", "/metrics", "/futures/health", "/futures/account", "/futures/positions",
        "/futures/openOrders", "/futures/order", "/futures/order.place", "/futures/order.cancel",
        "/futures/order.cancelAll", "/futures/leverage", "/futures/marginType",
        "/futures/ws.start", "/futures/ws.stop", "/futures/risk/status",
        "/futures/risk/circuit-breaker/close", "/futures/risk/record-pnl", "/canary/run",
        "/canary/confirm", "/canary/status", "/ai/chat", "/ai/generate-strategy",
        "/api/portfolio", "/positions",
    ]  # fmt: skip
    for lang in LANGS:
        curls = "\n".join(
            line for line in doc(lang, "api-guide.md").splitlines() if "curl " in line
        )
        for path in seed:
            assert re.search(rf"\$SPARK{re.escape(path)}(?![\w./-])", curls), (
                f"docs/{lang}/api-guide.md has no curl example for {path}"
            )


# ------------------------------------------------------------------------------- settings


def settings_variables() -> set[str]:
    return {name for name, _ in gen_docs.settings_env_calls()}


@pytest.mark.parametrize("lang", LANGS)
def test_every_setting_is_documented_and_every_documented_setting_exists(lang):
    table = re.search(
        r"<!-- BEGIN GENERATED: settings -->\n(.*?)<!-- END GENERATED: settings -->",
        doc(lang, "operations.md"),
        re.S,
    ).group(1)
    documented = set(first_column(table))
    assert documented == settings_variables(), (
        f"undocumented: {settings_variables() - documented}; "
        f"documented but not in settings.py: {documented - settings_variables()}"
    )


@pytest.mark.parametrize("lang", LANGS)
def test_every_variable_the_docs_mention_is_read_somewhere(lang):
    mentioned = set(
        re.findall(
            r"`((?:SPARK|BINANCE|BTCTURK|PORTFOLIO|DATABASE|REDIS)_[A-Z0-9_]*[A-Z0-9])[`=]",
            all_docs(lang),
        )
    )
    unknown = mentioned - settings_variables() - PROCESS_VARIABLES
    assert not unknown, f"docs/{lang} mention settings that do not exist: {unknown}"


# -------------------------------------------------------------------------------- metrics


def declared_metrics() -> set[str]:
    names: set[str] = set()
    for app in APPS:
        path = ROOT / app / "metrics.py"
        if path.exists():
            names |= set(re.findall(r'"(spark_[a-z0-9_]+)"', path.read_text(encoding="utf-8")))
    return names


@pytest.mark.parametrize("lang", LANGS)
def test_every_metric_is_documented_and_every_documented_metric_is_declared(lang):
    documented = set(first_column(marked(doc(lang, "operations.md"), "metrics")))
    declared = declared_metrics()
    assert declared, "no spark_* metric found in the apps' metrics modules"
    assert documented == declared, (
        f"undocumented: {declared - documented}; documented but not declared: "
        f"{documented - declared}"
    )


@pytest.mark.parametrize("lang", LANGS)
def test_every_metric_name_in_the_docs_is_declared(lang):
    declared = declared_metrics()
    accepted = declared | {name.removesuffix("_total") for name in declared}
    for name in set(
        re.findall(r"\b(spark_(?:futures|risk|canary|portfolio|exchange)_\w+)", all_docs(lang))
    ):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in accepted or base in accepted, f"docs/{lang} mention unknown metric {name}"


# --------------------------------------------------------------------------------- alerts


def rule_alerts() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "monitoring" / "prometheus" / "alerts").glob("*.yml"):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            names |= {rule["alert"] for rule in group["rules"] if "alert" in rule}
    return names


@pytest.mark.parametrize("lang", LANGS)
def test_every_alert_is_documented_with_its_runbook_and_no_other(lang):
    block = marked(doc(lang, "operations.md"), "alerts")
    documented = set(first_column(block))
    assert rule_alerts(), "no alert rules found"
    assert documented == rule_alerts(), (
        f"undocumented: {rule_alerts() - documented}; not a rule: {documented - rule_alerts()}"
    )
    for alert in documented:
        link = f"(../runbooks/{alert}.md)"
        assert link in block, f"{alert} has no runbook link in docs/{lang}/operations.md"
        assert (DOCS / "runbooks" / f"{alert}.md").exists(), f"runbook of {alert} is missing"


# ---------------------------------------------------------------------------- error codes

CODE_PATTERNS = (
    re.compile(r'^\s+code = "([A-Z][A-Z0-9_]+)"\s*$', re.M),  # DomainError subclasses
    re.compile(r'\bcode="([A-Z][A-Z0-9_]+)"'),  # DomainError(..., code="...")
    re.compile(r'error_response\(\s*[\w.]+,\s*"([A-Z][A-Z0-9_]+)"', re.S),
    re.compile(r'^\s+\d{3}: "([A-Z][A-Z0-9_]+)",$', re.M),  # middleware status -> code table
    re.compile(r'"([A-Z][A-Z0-9_]+)" if status'),  # middleware fallback
)


def code_error_codes() -> set[str]:
    codes: set[str] = set()
    for app in (*APPS, "spark_site"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            for pattern in CODE_PATTERNS:
                codes |= set(pattern.findall(text))
    return codes


def test_the_error_code_scan_finds_the_known_families():
    codes = code_error_codes()
    known = ("RISK_REJECTED", "VALIDATION_ERROR", "CSRF_FAILED", "METHOD_NOT_ALLOWED", "HTTP_ERROR")
    for code in (*known, "ORDER_NOT_CANCELABLE", "EXCHANGE_AUTH_FAILED", "CANARY_LIVE_REFUSED"):
        assert code in codes


@pytest.mark.parametrize("lang", LANGS)
def test_every_error_code_is_documented_and_every_documented_code_exists(lang):
    documented = set(first_column(marked(doc(lang, "api-guide.md"), "error-codes")))
    codes = code_error_codes()
    assert documented == codes, (
        f"undocumented: {codes - documented}; documented but not in the code: {documented - codes}"
    )


# ---------------------------------------------------------------------- generated blocks


def test_generated_blocks_are_current():
    stale = [
        str(path.relative_to(ROOT))
        for path, text in gen_docs.expected().items()
        if path.read_text(encoding="utf-8") != text
    ]
    assert not stale, f"stale generated blocks in {stale}: run .venv/bin/python scripts/gen_docs.py"


@pytest.mark.parametrize("lang", LANGS)
def test_every_copilot_command_is_in_the_user_guide(lang):
    from copilot.parser import command_table

    block = re.search(
        r"<!-- BEGIN GENERATED: copilot-commands -->\n(.*?)<!-- END GENERATED",
        doc(lang, "user-guide.md"),
        re.S,
    ).group(1)
    documented = set(first_column(block))
    intents = {row["intent"] for row in command_table()}
    assert documented == intents


# ------------------------------------------------------------------------------ structure


def test_both_languages_have_the_same_pages():
    for lang in LANGS:
        assert sorted(p.name for p in (DOCS / lang).glob("*.md")) == sorted(PAGES)


@pytest.mark.parametrize("lang", LANGS)
def test_relative_links_resolve(lang):
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc(lang, page)):
            if target.startswith(("http://", "https://")):
                continue
            assert (DOCS / lang / target).resolve().exists(), f"docs/{lang}/{page}: {target}"
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)\)", index):
        assert (DOCS / target).resolve().exists(), f"docs/index.md: {target}"


def test_the_generator_finds_a_new_setting_and_refuses_to_leave_it_undescribed(tmp_path):
    fake = tmp_path / "settings.py"
    fake.write_text(
        'X = env_int("SPARK_SOMETHING_NEW", 3)\nY = env_str("SPARK_LOG_LEVEL", "INFO")\n'
    )
    found = dict(gen_docs.settings_env_calls(fake))
    assert found == {"SPARK_SOMETHING_NEW": "3", "SPARK_LOG_LEVEL": "INFO"}
    assert "SPARK_SOMETHING_NEW" not in gen_docs.SETTINGS
    with pytest.raises(SystemExit, match="SPARK_SOMETHING_NEW"):
        gen_docs.settings_block("en", fake)
