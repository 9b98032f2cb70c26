"""A real Prometheus scraping a real Spark that trades on the stand-in.

Spark runs under Daphne in multiprocess mode (PROMETHEUS_MULTIPROC_DIR) with embedded streams;
Prometheus (the Debian binary) scrapes it every second with the shipped rules, only
FuturesWsDisconnected's `for:` shortened. Checked through Prometheus's HTTP API: every spark_*
metric has samples, every dashboard query returns data, every rule loads and evaluates without
error and every series it reads exists, cutting the stand-in's WebSockets makes
FuturesWsDisconnected pending, and opening the circuit breaker fires RiskCircuitBreakerOpen.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests
import yaml

from tests.monitoring.support import (
    PROMETHEUS_DIR,
    RULE_FILES,
    alert_rules,
    declared_spark_metrics,
    panel_exprs,
    selectors,
)
from tests.support.servers import free_port

pytestmark = [pytest.mark.monitoring, pytest.mark.timeout(240)]

# Dashboard queries allowed to return nothing in this run, with the reason.
EMPTY_PANELS_ALLOWED: dict[str, str] = {}
# Rule selectors allowed to match nothing in this run, with the reason.
EMPTY_SELECTORS_ALLOWED = {
    'spark_canary_runs_total{status="FAILED"}': "exists only after a failed canary run; this "
    "run's canaries succeed (spark_canary_runs_total itself must have samples)",
}
# Grafana's variables, replaced by windows that cover the whole test run.
GRAFANA_VARS = {"$__rate_interval": "5m", "$__range": "5m", "$__interval": "15s"}
WS_DISCONNECTED_FOR = "3s"


class Prometheus:
    def __init__(self, target: str, workdir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.config = self._write_config(target)
        self.log = open(workdir / "prometheus.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc: subprocess.Popen | None = None

    def _write_config(self, target: str) -> Path:
        config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
        config["global"].update({"scrape_interval": "1s", "evaluation_interval": "1s"})
        (spark,) = [j for j in config["scrape_configs"] if j["job_name"] == "spark"]
        spark["static_configs"] = [{"targets": [target], "labels": {"service": "web"}}]
        # embedded mode: the streams run inside Daphne, so there is no stream worker port
        config["scrape_configs"] = [spark]
        rules_dir = self.workdir / "alerts"
        rules_dir.mkdir()
        for path in RULE_FILES:
            rules = yaml.safe_load(path.read_text())
            for group in rules["groups"]:
                for rule in group["rules"]:
                    if rule.get("alert") == "FuturesWsDisconnected":
                        rule["for"] = WS_DISCONNECTED_FOR
            (rules_dir / path.name).write_text(yaml.safe_dump(rules, sort_keys=False))
        config["rule_files"] = [str(rules_dir / "*.rules.yml")]
        out = self.workdir / "prometheus.yml"
        out.write_text(yaml.safe_dump(config, sort_keys=False))
        return out

    def start(self) -> Prometheus:
        exe = shutil.which("prometheus") or "/usr/bin/prometheus"
        assert Path(exe).exists(), "prometheus is missing: run scripts/test_services.sh"
        self.proc = subprocess.Popen(
            [
                exe,
                f"--config.file={self.config}",
                f"--storage.tsdb.path={self.workdir / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.output()
            try:
                if requests.get(self.url + "/-/ready", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError("Prometheus did not become ready:\n" + self.output())

    def output(self) -> str:
        self.log.flush()
        return (self.workdir / "prometheus.log").read_text()[-4000:]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def query(self, expr: str) -> dict:
        r = requests.post(self.url + "/api/v1/query", data={"query": expr}, timeout=10)
        body = r.json()
        assert r.status_code == 200 and body["status"] == "success", f"{expr}: {body}"
        return body["data"]

    def series_count(self, expr: str) -> int:
        return len(self.query(expr)["result"])

    def wait_for(self, what: str, check, seconds: float = 45):
        deadline = time.monotonic() + seconds
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}\n{self.output()}")
            time.sleep(0.5)


@pytest.fixture
def prometheus_for():
    started: list[Prometheus] = []
    workdirs: list[str] = []

    def start(target: str) -> Prometheus:
        workdir = tempfile.mkdtemp(prefix="spark-prom-")
        workdirs.append(workdir)
        prom = Prometheus(target, Path(workdir)).start()
        started.append(prom)
        return prom

    yield start
    for prom in started:
        prom.stop()
    for workdir in workdirs:
        shutil.rmtree(workdir, ignore_errors=True)


def expected_sample_names() -> set[str]:
    """The sample name that proves each declared spark_* family has data."""
    names = set()
    for family, kind in declared_spark_metrics().items():
        names.add({"counter": family + "_total", "histogram": family + "_bucket"}.get(kind, family))
    return names


def grafana_to_promql(expr: str) -> str:
    for var, value in GRAFANA_VARS.items():
        expr = expr.replace(var, value)
    return expr


def trade(base: str, token: str) -> None:
    """Dry-run and live orders, a risk rejection, account and risk reads, a canary run."""
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"

    def post(path: str, body: dict, ok=(200,)) -> dict:
        r = s.post(base + path, json=body, timeout=30)
        assert r.status_code in ok, f"POST {path} -> {r.status_code} {r.text[:500]}"
        return r.json()

    def get(path: str) -> dict:
        r = s.get(base + path, timeout=30)
        assert r.status_code == 200, f"GET {path} -> {r.status_code} {r.text[:500]}"
        return r.json()

    post("/futures/ws.start", {"symbols": ["ETHUSDT"]})
    order = {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}
    for _ in range(3):
        assert post("/futures/order.place", order)["dryRun"] is True
    for side in ("BUY", "SELL", "BUY"):
        assert (
            post("/futures/order.place", {**order, "side": side, "dryRun": False})["dryRun"]
            is False
        )
    # far over the 100 USD default max notional: refused by the risk gate (422)
    post("/futures/order.place", {**order, "quantity": "1"}, ok=(422,))
    get("/futures/account")
    get("/futures/positions")
    get("/futures/risk/status")
    get("/api/portfolio")
    # the canary runs only on a flat account: close the 0.01 ETH the live orders left
    post("/futures/order.place", {**order, "side": "SELL", "reduceOnly": True, "dryRun": False})
    run = post("/canary/run", {"symbol": "ETHUSDT", "side": "BUY", "quantity": "0.01"})["run"]
    assert run["status"] == "SIMULATED", run
    confirmed = post("/canary/confirm", {"runId": run["id"]})["run"]
    assert confirmed["status"] == "CONFIRMED", confirmed


def test_prometheus_sees_every_metric_query_and_the_ws_disconnect_alert(
    sim, daphne, alice, olga, token_for, prometheus_for, tmp_path
):
    sim.control.feed(True)  # the market streams tick only while prices move
    metrics_dir = tmp_path / "prom-multiproc"
    metrics_dir.mkdir()
    server = daphne(
        **sim.spark_env(),
        SPARK_STREAMS_EMBEDDED="true",
        SPARK_STREAM_SYMBOLS="ETHUSDT",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    prom = prometheus_for(server.url.removeprefix("http://"))
    prom.wait_for("the spark target to be up", lambda: prom.series_count('up{job="spark"} == 1'))

    trade(server.url, token_for(alice))
    # an exchange failing every call while the portfolio refreshes: spark_exchange_api_error_total
    sim.control.faults(error_rate=1.0)
    requests.get(server.url + "/api/portfolio?refresh=true", timeout=30)
    sim.control.clear_faults()
    requests.get(server.url + "/api/portfolio?refresh=true", timeout=30)  # and a good one again

    # cut every stand-in socket after one message: the supervisor keeps reconnecting
    prom.wait_for(
        "the market stream to be up",
        lambda: prom.series_count('spark_futures_ws_connection_status{connection="market"} == 1'),
    )
    sim.control.faults(ws_cut_after=1)
    prom.wait_for(
        "FuturesWsDisconnected to become pending",
        lambda: prom.series_count(
            'max_over_time(ALERTS{alertname="FuturesWsDisconnected",alertstate="pending"}[2m])'
        ),
        seconds=60,
    )
    sim.control.clear_faults()
    prom.wait_for(
        "the market stream to reconnect",
        lambda: prom.series_count('spark_futures_ws_connection_status{connection="market"} == 1'),
    )

    # every declared spark_* metric has samples in Prometheus
    expected = expected_sample_names()

    def missing() -> set[str]:
        found = {
            r["metric"]["__name__"]
            for r in prom.query('group by (__name__) ({__name__=~"spark_.+"})')["result"]
        }
        return expected - found

    try:
        prom.wait_for("every spark_* metric", lambda: not missing(), seconds=20)
    except AssertionError:
        log = server.output()[-3000:]
        pytest.fail(f"spark_* metrics without samples: {sorted(missing())}\n{log}")

    # every dashboard query parses and returns data (rates need two scrapes of a new series)
    def empty_panels() -> list[str]:
        return [
            f"{board} / {panel}: {expr}"
            for board, panel, expr in panel_exprs()
            if panel not in EMPTY_PANELS_ALLOWED and prom.series_count(grafana_to_promql(expr)) == 0
        ]

    try:
        prom.wait_for("every dashboard query to return data", lambda: not empty_panels(), 20)
    except AssertionError:
        pytest.fail("dashboard queries without data:\n" + "\n".join(empty_panels()))

    # every rule parses, is loaded and evaluates cleanly; every series it reads has data
    groups = requests.get(prom.url + "/api/v1/rules", timeout=10).json()["data"]["groups"]
    loaded = {r["name"]: r for g in groups for r in g["rules"]}
    assert set(loaded) == {r["alert"] for r in alert_rules()}
    unhealthy = {n: r.get("lastError") for n, r in loaded.items() if r["health"] != "ok"}
    assert not unhealthy, unhealthy
    no_data = []
    for rule in alert_rules():
        prom.query(rule["expr"])  # parses and evaluates
        for selector in selectors(rule["expr"]):
            if selector not in EMPTY_SELECTORS_ALLOWED and prom.series_count(selector) == 0:
                no_data.append(f"{rule['alert']}: {selector}")
    assert not no_data, "rule selectors without data:\n" + "\n".join(no_data)

    # an operator opens the circuit breaker: RiskCircuitBreakerOpen fires from the real gauge
    r = requests.post(
        server.url + "/futures/risk/circuit-breaker/open",
        json={"reason": "monitoring e2e"},
        headers={"Authorization": f"Bearer {token_for(olga)}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    prom.wait_for(
        "RiskCircuitBreakerOpen to fire",
        lambda: prom.series_count('ALERTS{alertname="RiskCircuitBreakerOpen",alertstate="firing"}'),
        seconds=30,
    )
