"""RiskDailyLossBudgetLow and /futures/risk/status agree, before and after a breaker close.

Seen with a real Prometheus: the alert kept firing after an operator closed the breaker while the
status reported 49.98 USD of budget left (the gauge exported the raw day's PnL, the gate counted
from the reset). Here a real Prometheus scrapes a real Spark (Daphne, multiprocess metrics) with
the shipped rule, only its `for:` shortened: the alert fires exactly while the status's budget is
under 20 % of the limit, and the gauge equals the status's counted PnL at every step.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests
import yaml

from tests.monitoring.test_prometheus_e2e import Prometheus

pytestmark = [pytest.mark.monitoring, pytest.mark.timeout(240)]

ALERT = "RiskDailyLossBudgetLow"


class ShortForPrometheus(Prometheus):
    """The shipped rules with the loss-budget alert's `for:` cut to a second."""

    def _write_config(self, target: str):
        out = super()._write_config(target)
        for path in (self.workdir / "alerts").glob("*.rules.yml"):
            rules = yaml.safe_load(path.read_text())
            for group in rules["groups"]:
                for rule in group["rules"]:
                    if rule.get("alert") == ALERT:
                        rule["for"] = "1s"
            path.write_text(yaml.safe_dump(rules, sort_keys=False))
        return out


@pytest.fixture
def prometheus(tmp_path):
    started: list[Prometheus] = []

    def start(target: str) -> Prometheus:
        workdir = tmp_path / f"prom-{len(started)}"
        workdir.mkdir()
        prom = ShortForPrometheus(target, workdir).start()
        started.append(prom)
        return prom

    yield start
    for prom in started:
        prom.stop()


def test_the_loss_budget_alert_follows_the_status_through_a_breaker_close(
    sim, daphne, olga, token_for, prometheus, tmp_path
):
    metrics_dir = tmp_path / "prom-multiproc"
    metrics_dir.mkdir()
    server = daphne(
        **sim.spark_env(),
        SPARK_STREAMS_EMBEDDED="false",
        SPARK_RISK_METRICS_SECONDS="0.5",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    prom = prometheus(server.url.removeprefix("http://"))
    prom.wait_for("the spark target to be up", lambda: prom.series_count('up{job="spark"} == 1'))
    operator = {"Authorization": f"Bearer {token_for(olga)}"}

    def post(path: str, body: dict) -> dict:
        r = requests.post(server.url + path, json=body, headers=operator, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()

    def status() -> dict:
        return requests.get(server.url + "/futures/risk/status", timeout=10).json()["today"]

    def gauge() -> Decimal | None:
        result = prom.query("spark_risk_daily_pnl_usd")["result"]
        return Decimal(result[0]["value"][1]) if result else None

    def firing() -> int:
        return prom.series_count(f'ALERTS{{alertname="{ALERT}",alertstate="firing"}}')

    # 45 of 50 USD lost: under 20 % left, the status says so and the alert fires.
    post("/futures/risk/record-pnl", {"symbol": "ETHUSDT", "amount": "-45", "reference": "e2e-1"})
    today = status()
    assert Decimal(today["remainingLossBudget"]) == 5
    prom.wait_for(f"{ALERT} to fire", firing)
    assert gauge() == Decimal(today["countedPnl"]) == -45

    # 10 more: the breaker opens; an operator closes it, accepting the day's loss.
    post("/futures/risk/record-pnl", {"symbol": "ETHUSDT", "amount": "-10", "reference": "e2e-2"})
    post("/futures/risk/circuit-breaker/close", {"reason": "loss reviewed"})
    today = status()
    assert Decimal(today["remainingLossBudget"]) == 50 and Decimal(today["pnl"]) == -55
    prom.wait_for(f"{ALERT} to resolve after the close", lambda: not firing())
    prom.wait_for("the gauge to follow the status", lambda: gauge() == Decimal(0))
    assert gauge() == Decimal(status()["countedPnl"])

    # From the reset a further 41 USD loss fires it again, in step with the status.
    post("/futures/risk/record-pnl", {"symbol": "ETHUSDT", "amount": "-41", "reference": "e2e-3"})
    today = status()
    assert Decimal(today["remainingLossBudget"]) == 9
    prom.wait_for(f"{ALERT} to fire again", firing)
    assert gauge() == Decimal(today["countedPnl"]) == -41
