"""ws.start / ws.stop / ws.status over HTTP against real servers, embedded and scale-out."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from audit.models import AuditEntry
from tests.support import servers
from tests.support.servers import ROOT, free_port
from tests.support.waiting import poll

pytestmark = [pytest.mark.timeout(120)]


def status(server) -> dict:
    return requests.get(server.url + "/futures/ws.status", timeout=5).json()


def post(server, path: str, body: dict | None = None, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(server.url + path, json=body or {}, headers=headers, timeout=15)


def all_up(s: dict) -> bool:
    return bool(s.get("connections")) and all(c["state"] == "up" for c in s["connections"])


def test_ws_controls_work_in_embedded_mode_with_permissions_validation_and_audit(
    daphne, sim, alice, bob, token_for
):
    server = daphne(
        SPARK_STREAMS_EMBEDDED="true", SPARK_STREAM_SYMBOLS="BTCUSDT", **sim.spark_env()
    )
    s = poll(lambda: (lambda s: s if all_up(s) else None)(status(server)))
    assert s["supervisor"] == "present" and s["mode"] == "embedded"
    assert {c["name"] for c in s["connections"]} == {"market", "user"}
    market = next(c for c in s["connections"] if c["name"] == "market")
    assert market["uptime_seconds"] >= 0 and market["reconnects"] == 0
    assert market["last_message_age_seconds"] is not None
    # Embedded, the stream metrics are on the server's own /metrics.
    text = requests.get(server.url + "/metrics", timeout=5).text
    assert 'spark_futures_ws_connection_status{connection="market"} 1.0' in text
    assert 'spark_futures_ws_connects_total{connection="user"} 1.0' in text

    # Over real HTTP a cookie-less POST is refused by the session auth's CSRF check (403)
    # before the 401 the test client sees (test_anonymous_ws_start_is_401 below).
    anon = post(server, "/futures/ws.start", {"symbols": ["ETHUSDT"]})
    assert anon.status_code in (401, 403), anon.text
    denied = post(server, "/futures/ws.start", {"symbols": ["ETHUSDT"]}, token_for(bob))
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "PERMISSION_DENIED"
    unknown = post(server, "/futures/ws.start", {"symbols": ["NOPEUSDT"]}, token_for(alice))
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"]["unknown"] == ["NOPEUSDT"]

    token = token_for(alice)
    r = post(server, "/futures/ws.start", {"symbols": ["btcusdt", "ETHUSDT"]}, token)
    assert r.status_code == 200, r.text
    assert r.json()["symbols"] == ["BTCUSDT", "ETHUSDT"]
    s = poll(
        lambda: (lambda s: s if all_up(s) and s["symbols"] == ["BTCUSDT", "ETHUSDT"] else None)(
            status(server)
        )
    )
    market = next(c for c in s["connections"] if c["name"] == "market")
    assert "ethusdt@aggTrade" in market["streams"] and market["connects"] == 1

    r = post(server, "/futures/ws.stop", {}, token)
    assert r.status_code == 200, r.text
    assert r.json()["running"] is False and r.json()["connections"] == []
    s = status(server)
    assert s["running"] is False and s["connections"] == []
    assert sim.control.state()["listen_keys"] == {}  # the listen key was closed

    actions = list(AuditEntry.objects.values_list("action", "outcome", "actor_name"))
    assert ("streams.start", "ok", "alice") in actions
    assert ("streams.stop", "ok", "alice") in actions
    assert ("streams.start", "denied", "bob") in actions
    assert ("streams.start", "rejected", "alice") in actions


def test_anonymous_ws_start_and_stop_are_401(api, db):
    for path, body in (("/futures/ws.start", {"symbols": ["BTCUSDT"]}), ("/futures/ws.stop", {})):
        r = api.post(path, body)
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "NOT_AUTHENTICATED"


def test_ws_status_without_a_supervisor_says_it_is_absent(api, db):
    r = api.get("/futures/ws.status")
    assert r.status_code == 200
    assert r.json() == {"running": False, "supervisor": "absent", "symbols": [], "connections": []}


def test_ws_start_without_any_supervisor_is_a_clear_503(daphne, sim, alice, token_for):
    server = daphne(SPARK_STREAMS_EMBEDDED="false", **sim.spark_env())
    assert status(server)["supervisor"] == "absent"
    r = post(server, "/futures/ws.start", {"symbols": ["BTCUSDT"]}, token_for(alice))
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "STREAMS_UNAVAILABLE"


@pytest.fixture
def redis_url():
    """A private redis-server for the scale-out test (the web and stream processes share it)."""
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    poll(lambda: _ping(redis, url), 10)
    yield url
    proc.terminate()
    proc.wait(10)


def _ping(redis, url) -> bool:
    try:
        return redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        return False


def test_scale_out_run_streams_takes_commands_over_redis_and_serves_its_metrics(
    daphne, sim, alice, token_for, redis_url
):
    metrics_port = free_port()
    env = {
        **os.environ,
        **sim.spark_env(),
        "DATABASE_URL": servers.test_database_url(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "SPARK_SECRET_KEY": "test-secret-key-for-daphne-subprocess",
        "REDIS_URL": redis_url,
        "SPARK_STREAMS_METRICS_PORT": str(metrics_port),
    }
    streams = subprocess.Popen(
        [sys.executable, "manage.py", "run_streams", "--no-autostart"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        web = daphne(SPARK_STREAMS_EMBEDDED="false", REDIS_URL=redis_url, **sim.spark_env())
        poll(lambda: status(web)["supervisor"] == "present", 30)
        assert status(web)["running"] is False and status(web)["mode"] == "scale-out"

        token = token_for(alice)
        r = post(web, "/futures/ws.start", {"symbols": ["BTCUSDT"]}, token)
        assert r.status_code == 200, r.text
        s = poll(lambda: (lambda s: s if all_up(s) else None)(status(web)))
        assert s["mode"] == "scale-out" and s["symbols"] == ["BTCUSDT"]

        def scraped():
            text = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
            return (
                text
                if 'spark_futures_ws_connection_status{connection="market"} 1.0' in text
                else None
            )

        text = poll(scraped)
        assert 'spark_futures_ws_connects_total{connection="market"}' in text
        assert 'spark_futures_ws_messages_total{stream_type="' in text

        r = post(web, "/futures/ws.stop", {}, token)
        assert r.status_code == 200 and r.json()["running"] is False
        poll(lambda: status(web)["running"] is False)
    finally:
        streams.terminate()
        try:
            out = streams.communicate(timeout=15)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            streams.kill()
            out = streams.communicate()[0].decode(errors="replace")
    assert streams.returncode == 0, out
    assert "stream supervisor stopped" in out
