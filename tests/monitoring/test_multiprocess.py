"""Several Spark processes, one scrape: prometheus_client's multiprocess mode end to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support.servers import ROOT, free_port

pytestmark = pytest.mark.monitoring

STREAM_WORKER = textwrap.dedent(
    """
    from futures import metrics
    metrics.WS_CONNECTION_STATUS.labels(connection="market").set(1)
    metrics.WS_RECONNECTS.labels(connection="market").inc(2)
    metrics.WS_MESSAGES.labels(stream_type="markPrice").inc(7)
    """
)


def samples(url: str) -> dict[tuple[str, frozenset], float]:
    response = requests.get(url + "/metrics", timeout=10)
    assert response.status_code == 200, response.text[:500]
    out = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def health_count(values: dict) -> float:
    return sum(
        v
        for (name, labels), v in values.items()
        if name == "django_http_requests_total_by_view_transport_method_total"
        and dict(labels).get("view", "").endswith("health")
    )


def test_one_workers_metrics_show_every_web_worker_and_the_stream_worker(daphne, tmp_path):
    shared = str(tmp_path / "prom")
    os.mkdir(shared)
    web_a = daphne(PROMETHEUS_MULTIPROC_DIR=shared)
    web_b = daphne(PROMETHEUS_MULTIPROC_DIR=shared)

    before = health_count(samples(web_a.url))
    for _ in range(5):
        assert requests.get(web_b.url + "/health", timeout=10).status_code == 200
    # the stream worker: another process writing futures metrics, then exiting
    subprocess.run(
        [sys.executable, "-c", STREAM_WORKER],
        cwd=ROOT,
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": shared},
        check=True,
        timeout=60,
    )
    after = samples(web_a.url)

    # B's five requests appear in A's /metrics (A served none of them)
    assert health_count(after) - before == 5
    market = frozenset({("connection", "market")})
    assert after[("spark_futures_ws_connection_status", market)] == 1.0
    assert after[("spark_futures_ws_reconnects_total", market)] == 2.0
    mark_price = frozenset({("stream_type", "markPrice")})
    assert after[("spark_futures_ws_messages_total", mark_price)] == 7
    # one file per process and kind: both web workers and the stream worker wrote there
    pids = {name[: -len(".db")].rsplit("_", 1)[1] for name in os.listdir(shared)}
    assert {str(web_a.proc.pid), str(web_b.proc.pid)} < pids


def test_the_real_stream_worker_reports_through_a_web_workers_metrics(sim, daphne, tmp_path):
    """`manage.py run_streams` (no port of its own) shows up in Daphne's /metrics."""
    sim.control.feed(True)
    shared = tmp_path / "prom"
    shared.mkdir()
    web = daphne(**sim.spark_env(), PROMETHEUS_MULTIPROC_DIR=str(shared))  # streams not embedded
    assert web.env["SPARK_STREAMS_EMBEDDED"] == "false"
    log = open(tmp_path / "run_streams.log", "w")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_streams", "--symbols", "ETHUSDT", "--metrics-port", "0"],
        cwd=ROOT,
        env=web.env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    market = frozenset({("connection", "market")})
    try:
        deadline = time.monotonic() + 45
        values: dict = {}
        while time.monotonic() < deadline:
            values = samples(web.url)
            messages = sum(
                v for (name, _), v in values.items() if name == "spark_futures_ws_messages_total"
            )
            last = values.get(("spark_futures_ws_last_message_timestamp_seconds", market), 0)
            up = values.get(("spark_futures_ws_connection_status", market)) == 1.0
            if up and messages and last > time.time() - 60:
                break
            assert worker.poll() is None, (tmp_path / "run_streams.log").read_text()
            time.sleep(0.5)
        else:
            raise AssertionError(
                "the stream worker's values never reached /metrics:\n"
                + (tmp_path / "run_streams.log").read_text()[-3000:]
            )
        assert values[("spark_futures_ws_connects_total", market)] >= 1
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        log.close()


def test_the_stream_worker_serves_its_own_port_only_without_a_shared_directory(tmp_path):
    port = free_port()
    code = textwrap.dedent(
        f"""
        import django, time, urllib.request
        django.setup()
        from futures import metrics
        from spark_site.prometheus import serve_streams_metrics
        metrics.WS_CONNECTION_STATUS.labels(connection="user").set(1)
        print(serve_streams_metrics({port}, addr="127.0.0.1"))
        body = urllib.request.urlopen("http://127.0.0.1:{port}/metrics", timeout=5).read()
        print("spark_futures_ws_connection_status" in body.decode())
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(port), "True"]

    shared = tmp_path / "prom"
    shared.mkdir()
    code = (
        "import django; django.setup()\n"
        "from spark_site.prometheus import serve_streams_metrics\n"
        f"print(serve_streams_metrics({port}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "PROMETHEUS_MULTIPROC_DIR": str(shared)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["None"]  # values go through the web workers' /metrics


def test_clean_empties_the_directory_of_a_previous_run(tmp_path):
    shared = tmp_path / "prom"
    shared.mkdir()
    (shared / "counter_123.db").write_bytes(b"x")
    (shared / "gauge_mostrecent_123.db").write_bytes(b"x")
    out = subprocess.run(
        [sys.executable, "-m", "spark_site.prometheus", "clean", str(shared)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "removed 2" in out.stdout
    assert list(shared.iterdir()) == []
