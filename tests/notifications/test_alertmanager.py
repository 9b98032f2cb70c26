"""The shipped Alertmanager configuration with the real Alertmanager (Debian package) in front
of Spark's receiver: routing, inhibition while the breaker alert fires, resolved messages."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from datetime import UTC, datetime

import pytest
import requests
import yaml

from notifications.models import Event, Kind
from notifications.worker import Worker
from tests.support.servers import ROOT, free_port, wait_http
from tests.support.waiting import poll

pytestmark = pytest.mark.monitoring
TOKEN = "am-test-token-123456"


@contextlib.contextmanager
def running_alertmanager(tmp_path, spark_url: str):
    """The real Alertmanager on the shipped config, sending to spark_url's receiver."""
    exe = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    assert exe, "Alertmanager is missing: run scripts/test_services.sh (prometheus-alertmanager)"
    config = yaml.safe_load((ROOT / "monitoring/alertmanager/alertmanager.yml").read_text())
    # Only the receiver's address, the token file and the timings change.
    hook = config["receivers"][0]["webhook_configs"][0]
    hook["url"] = f"{spark_url}/notifications/alertmanager"
    token_file = tmp_path / "spark-token"
    token_file.write_text(TOKEN + "\n")
    hook["http_config"]["authorization"]["credentials_file"] = str(token_file)
    for route in [config["route"], *config["route"]["routes"]]:
        # The shipped 10-30 s group_wait is what lets an inhibiting alert that arrives in the
        # same evaluation be known before a warning goes out; 1 s is enough for a local one.
        route["group_wait"] = "1s"
        route["group_interval"] = "1s"
    (tmp_path / "am.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    proc = subprocess.Popen(
        [
            exe,
            f"--config.file={tmp_path / 'am.yml'}",
            f"--storage.path={tmp_path / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/-/ready", 30)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def alertmanager(tmp_path, daphne):
    spark = daphne(SPARK_ALERTMANAGER_TOKEN=TOKEN, SPARK_NOTIFIER_EMBEDDED="false")
    with running_alertmanager(tmp_path, spark.url) as url:
        yield url


def _post(url: str, alerts: list[dict]) -> None:
    response = requests.post(f"{url}/api/v2/alerts", json=alerts, timeout=5)
    assert response.status_code == 200, response.text


def _alert(name: str, severity: str, **extra) -> dict:
    return {
        "labels": {"alertname": name, "severity": severity},
        "annotations": {"summary": f"{name} test"},
        **extra,
    }


def test_a_critical_alert_fires_resolves_and_inhibits_warnings(alertmanager, olga, telegram, link):
    link(olga, 601)
    _post(
        alertmanager,
        [
            _alert("RiskCircuitBreakerOpen", "critical"),
            _alert("FuturesOrderRejectRateHigh", "warning"),
        ],
    )
    firing = poll(
        lambda: list(Event.objects.filter(kind=Kind.ALERT_FIRING)), 30, what="the firing event"
    )
    # The warning is held back by the inhibition rule, as Alertmanager itself reports.
    state = requests.get(f"{alertmanager}/api/v2/alerts", timeout=5).json()
    warning = next(a for a in state if a["labels"]["alertname"] == "FuturesOrderRejectRateHigh")
    assert warning["status"]["inhibitedBy"]
    assert [e.payload["alertname"] for e in firing] == ["RiskCircuitBreakerOpen"]

    # The warning ends while still inhibited (it was never sent, so no "resolved" either);
    # then the breaker alert resolves.
    now = datetime.now(UTC).isoformat()
    _post(alertmanager, [_alert("FuturesOrderRejectRateHigh", "warning", endsAt=now)])
    _post(alertmanager, [_alert("RiskCircuitBreakerOpen", "critical", endsAt=now)])
    poll(
        lambda: Event.objects.filter(kind=Kind.ALERT_RESOLVED).exists(),
        30,
        what="the resolved event",
    )
    Worker().run_once()
    texts = [m["text"] for m in telegram.sent(601)]
    assert sum("Alarm: RiskCircuitBreakerOpen" in t for t in texts) == 1
    assert sum("Çözüldü: RiskCircuitBreakerOpen" in t for t in texts) == 1
    assert not any("FuturesOrderRejectRateHigh" in t for t in texts)


def test_the_receiver_refuses_a_wrong_token(api, settings, db):
    settings.SPARK_ALERTMANAGER_TOKEN = TOKEN
    body = {
        "alerts": [
            dict(
                _alert("X", "warning"),
                status="firing",
                startsAt="2026-01-01T00:00:00Z",
                fingerprint="ab",
            )
        ]
    }
    assert api.post("/notifications/alertmanager", body, token="wrong").status_code == 401
    assert api.post("/notifications/alertmanager", body, token=TOKEN).json() == {"accepted": 1}
    # Alertmanager repeats a notification: the same alert is one event.
    assert api.post("/notifications/alertmanager", body, token=TOKEN).json() == {"accepted": 0}


def test_the_receiver_is_off_without_a_token(api, settings, db):
    settings.SPARK_ALERTMANAGER_TOKEN = ""
    response = api.post("/notifications/alertmanager", {"alerts": []}, token="")
    assert response.status_code == 401
