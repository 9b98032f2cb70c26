"""The whole alert path with real programs: Spark under Daphne (embedded worker), the real
Prometheus on the shipped rules, the real Alertmanager on the shipped config, the Bot API
stand-in and a webhook receiver. An operator opens the circuit breaker: exactly one Telegram
message and one webhook call for the alert, then one of each when it resolves."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import requests
import yaml

from notifications.models import Channel, Kind
from notifications.services import preference_set
from tests.monitoring.test_prometheus_e2e import Prometheus
from tests.notifications.test_alertmanager import TOKEN, running_alertmanager
from tests.notifications.test_delivery import Receiver
from tests.support.waiting import poll

pytestmark = [pytest.mark.monitoring, pytest.mark.timeout(240)]
ALERT_KINDS = [Kind.ALERT_FIRING, Kind.ALERT_RESOLVED]


def _with_alertmanager(prom: Prometheus, alertmanager_url: str) -> None:
    config = yaml.safe_load(prom.config.read_text())
    target = alertmanager_url.removeprefix("http://")
    config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [target]}]}]}
    prom.config.write_text(yaml.safe_dump(config, sort_keys=False))


def test_an_open_breaker_reaches_telegram_and_a_webhook_once_and_resolves_once(
    sim, daphne, olga, token_for, telegram, link, tmp_path
):
    server = daphne(
        **sim.spark_env(),
        SPARK_ALERTMANAGER_TOKEN=TOKEN,
        SPARK_NOTIFIER_EMBEDDED="true",
        TELEGRAM_API_URL=telegram.url,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_POLL_TIMEOUT_SECONDS="1",
        SPARK_NOTIFY_POLL_SECONDS="0.2",
        SPARK_RISK_METRICS_SECONDS="0.5",
    )
    link(olga, 601)
    preference_set(user=olga, channel=Channel.TELEGRAM, kinds=ALERT_KINDS, enabled=True)
    receiver = Receiver()
    preference_set(
        user=olga, channel=Channel.WEBHOOK, kinds=ALERT_KINDS, enabled=True, url=receiver.url
    )
    workdir = Path(tempfile.mkdtemp(prefix="spark-prom-", dir=tmp_path))
    operator = {"Authorization": f"Bearer {token_for(olga)}"}
    with running_alertmanager(tmp_path, server.url) as am_url:
        prom = Prometheus(server.url.removeprefix("http://"), workdir)
        _with_alertmanager(prom, am_url)
        prom.start()
        try:
            prom.wait_for("spark up", lambda: prom.series_count('up{job="spark"} == 1'))
            opened = requests.post(
                f"{server.url}/futures/risk/circuit-breaker/open",
                json={"reason": "alert path drill"},
                headers=operator,
                timeout=30,
            )
            assert opened.status_code == 200, opened.text

            def alarms(prefix: str) -> list[str]:
                return [m["text"] for m in telegram.sent(601) if m["text"].startswith(prefix)]

            def hooks(kind: str) -> list[dict]:
                bodies = [json.loads(body) for _headers, body in receiver.calls]
                return [b for b in bodies if b["kind"] == kind]

            poll(lambda: alarms("Alarm: RiskCircuitBreakerOpen"), 90, what="the Telegram alarm")
            poll(lambda: hooks("alert.firing"), 30, what="the webhook call")
            closed = requests.post(
                f"{server.url}/futures/risk/circuit-breaker/close",
                json={"reason": "drill over"},
                headers=operator,
                timeout=30,
            )
            assert closed.status_code == 200, closed.text
            poll(lambda: alarms("Çözüldü: RiskCircuitBreakerOpen"), 90, what="resolved message")
            poll(lambda: hooks("alert.resolved"), 30, what="the resolved webhook call")
        finally:
            prom.stop()
            receiver.stop()
    # Prometheus sent the firing alert to Alertmanager on every evaluation; Alertmanager's
    # grouping and the outbox's keys made each state of the group one message.
    assert len(alarms("Alarm: RiskCircuitBreakerOpen")) == 1
    assert len(alarms("Çözüldü: RiskCircuitBreakerOpen")) == 1
    assert len(hooks("alert.firing")) == 1
    assert len(hooks("alert.resolved")) == 1


def test_cut_streams_reach_telegram_and_a_webhook_once_and_resolve_once(
    sim, daphne, olga, telegram, link, tmp_path
):
    """The issue's drill: the stand-in's streams are cut (sockets aborted, reconnects refused)
    until FuturesWsDisconnected fires through Prometheus and Alertmanager, then allowed back."""
    server = daphne(
        **{
            **sim.spark_env(),
            # Market streams only: one connection, so one alert and one group.
            "BINANCE_API_KEY": "",
        },
        SPARK_STREAMS_EMBEDDED="true",
        SPARK_STREAM_SYMBOLS="ETHUSDT",
        SPARK_ALERTMANAGER_TOKEN=TOKEN,
        SPARK_NOTIFIER_EMBEDDED="true",
        TELEGRAM_API_URL=telegram.url,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_POLL_TIMEOUT_SECONDS="1",
        SPARK_NOTIFY_POLL_SECONDS="0.2",
    )
    link(olga, 601)
    preference_set(user=olga, channel=Channel.TELEGRAM, kinds=ALERT_KINDS, enabled=True)
    receiver = Receiver()
    preference_set(
        user=olga, channel=Channel.WEBHOOK, kinds=ALERT_KINDS, enabled=True, url=receiver.url
    )
    workdir = Path(tempfile.mkdtemp(prefix="spark-prom-", dir=tmp_path))

    def alarms(prefix: str) -> list[str]:
        return [m["text"] for m in telegram.sent(601) if m["text"].startswith(prefix)]

    def hooks(kind: str) -> list[dict]:
        bodies = [json.loads(body) for _headers, body in receiver.calls]
        return [b for b in bodies if b["kind"] == kind and "FuturesWsDisconnected" in str(b)]

    with running_alertmanager(tmp_path, server.url) as am_url:
        prom = Prometheus(server.url.removeprefix("http://"), workdir)
        _with_alertmanager(prom, am_url)
        prom.start()
        try:
            prom.wait_for(
                "the market stream up",
                lambda: prom.series_count("spark_futures_ws_connection_status == 1"),
            )
            sim.control.faults(ws_refuse=1)
            poll(lambda: alarms("Alarm: FuturesWsDisconnected"), 120, what="the Telegram alarm")
            poll(lambda: hooks("alert.firing"), 30, what="the webhook call")
            sim.control.faults(ws_refuse=0)
            poll(lambda: alarms("Çözüldü: FuturesWsDisconnected"), 120, what="resolved message")
            poll(lambda: hooks("alert.resolved"), 30, what="the resolved webhook call")
        finally:
            sim.control.clear_faults()
            prom.stop()
            receiver.stop()
    assert len(alarms("Alarm: FuturesWsDisconnected")) == 1
    assert len(alarms("Çözüldü: FuturesWsDisconnected")) == 1
    assert len(hooks("alert.firing")) == 1
    assert len(hooks("alert.resolved")) == 1
