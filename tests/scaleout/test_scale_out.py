"""Spark as it runs when one process is not enough: PostgreSQL, the Redis channel layer, two
Daphne processes and one `manage.py run_streams` worker, all on the stand-in exchange.

The test brings its own PostgreSQL database (`spark_scaleout_<pid>`, migrated by
`manage.py migrate` in a subprocess, dropped afterwards), so it runs the same way whether the
pytest run itself is on SQLite or PostgreSQL, and never skips.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml
from websockets.sync.client import connect

from tests.support.servers import ROOT, DaphneServer
from tests.support.waiting import poll

PG_ADMIN_URL = os.environ.get(
    "SPARK_SCALEOUT_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
REDIS_BASE = os.environ.get("SPARK_SCALEOUT_REDIS_URL", "redis://127.0.0.1:6379/11")
SYMBOL = "ETHUSDT"

SETUP = """
from django.contrib.auth import get_user_model
from accounts.models import ApiToken
from accounts.roles import TRADER, assign_role
from tests.support.sessions import session_key
user = get_user_model().objects.create_user("ana", password="scale-out-password-1")
assign_role(user, TRADER)
print("TOKEN", ApiToken.issue(user)[1])
print("SESSION", session_key(user))
"""


def _manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def scale_db():
    """A fresh PostgreSQL database of this test, migrated; dropped after."""
    import psycopg

    name = f"spark_scaleout_{os.getpid()}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url():
    import redis

    client = redis.Redis.from_url(REDIS_BASE)
    client.flushdb()
    yield REDIS_BASE
    client.flushdb()


class Socket:
    """A browser's /ws/live/ socket: session cookie, same-origin header."""

    def __init__(self, server: DaphneServer, session: str, topics: str):
        self.ws = connect(
            f"{server.ws_url}/ws/live/?topics={topics}",
            additional_headers={"Cookie": f"sessionid={session}", "Origin": server.url},
            open_timeout=15,
        )
        self.seen: list[dict] = []

    def wait_for(self, predicate, seconds: float = 20.0) -> dict:
        for frame in self.seen:
            if predicate(frame):
                return frame
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                frame = json.loads(self.ws.recv(timeout=max(0.05, deadline - time.monotonic())))
            except TimeoutError:
                break
            self.seen.append(frame)
            if predicate(frame):
                return frame
        raise AssertionError(f"no such frame in {seconds}s; last frames: {self.seen[-5:]}")

    def close(self) -> None:
        self.ws.close()


def order_event(cid: str):
    return lambda f: (
        f.get("type") == "event" and f.get("topic") == "orders" and cid in json.dumps(f.get("data"))
    )


def ticker_at(price: str):
    return lambda f: (
        f.get("topic") == f"ticker:{SYMBOL}"
        and f.get("type") == "event"
        and price in json.dumps(f.get("data"))
    )


def place(server: DaphneServer, token: str, cid: str, price: str = "3000") -> dict:
    body = {
        "symbol": SYMBOL,
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.01",
        "price": price,  # far below the mark: it rests on the exchange
        "clientOrderId": cid,
        "dryRun": False,
    }
    r = requests.post(
        server.url + "/futures/order.place",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert r.json()["order"]["status"] == "NEW", r.text
    return r.json()


def test_two_web_processes_and_a_stream_worker_share_orders_prices_and_metrics(
    scale_db, redis_url, sim, tmp_path
):
    shared_metrics = tmp_path / "prom"
    shared_metrics.mkdir()
    env = {
        **sim.spark_env(),
        "DATABASE_URL": scale_db,
        "REDIS_URL": redis_url,
        "PROMETHEUS_MULTIPROC_DIR": str(shared_metrics),
        "SPARK_STREAMS_EMBEDDED": "false",
        "SPARK_STREAM_SYMBOLS": SYMBOL,
        "SPARK_LOG_LEVEL": "WARNING",
        # one key for every process: a session made by one is valid on the others
        "SPARK_SECRET_KEY": "scale-out-secret-key",
    }
    full_env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    _manage(full_env, "migrate", "--noinput")
    out = _manage(full_env, "shell", "-c", SETUP)
    token = out.split("TOKEN ", 1)[1].split()[0]
    session = out.split("SESSION ", 1)[1].split()[0]
    sim.control.set_price(SYMBOL, "3400")

    worker_log = open(tmp_path / "run_streams.log", "w")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_streams", "--symbols", SYMBOL, "--metrics-port", "0"],
        cwd=ROOT,
        env=full_env,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    servers: list[DaphneServer] = []
    sockets: list[Socket] = []
    prometheus = None
    try:
        web_a = DaphneServer(env).start()
        servers.append(web_a)
        web_b = DaphneServer(env).start()
        servers.append(web_b)

        def streams_up():
            s = requests.get(web_a.url + "/futures/ws.status", timeout=5).json()
            conns = s.get("connections") or []
            return s.get("mode") == "scale-out" and conns and all(c["state"] == "up" for c in conns)

        poll(streams_up, 45, what="the stream worker's sockets (run_streams)")
        topics = f"orders,ticker:{SYMBOL}"
        on_a = Socket(web_a, session, topics)
        on_b = Socket(web_b, session, topics)
        sockets += [on_a, on_b]
        for s in (on_a, on_b):
            s.wait_for(lambda f: f.get("type") == "subscribed")

        # 1. An order placed through the first process appears live on a socket of the second.
        place(web_a, token, "scale-a-1")
        on_b.wait_for(order_event("scale-a-1"))
        on_a.wait_for(order_event("scale-a-1"))

        # 2. A price move on the stand-in (seen by run_streams) reaches sockets on both.
        sim.control.set_price(SYMBOL, "3456.78")
        on_a.wait_for(ticker_at("3456.78"))
        on_b.wait_for(ticker_at("3456.78"))

        # 3. Stop web B; orders go on through A; B comes back and nothing is missing.
        on_b.close()
        sockets.remove(on_b)
        web_b.stop()
        during = [f"scale-down-{i}" for i in range(5)]
        for cid in during:
            place(web_a, token, cid)
            on_a.wait_for(order_event(cid))
        web_b = DaphneServer(env).start()
        servers.append(web_b)
        on_b = Socket(web_b, session, "orders")
        sockets.append(on_b)
        snapshot = on_b.wait_for(lambda f: f.get("type") == "snapshot" and f["topic"] == "orders")
        for cid in ["scale-a-1", *during]:
            assert cid in json.dumps(snapshot["data"]), cid
            r = requests.get(
                web_b.url + "/futures/order",
                params={"clientOrderId": cid},
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert r.status_code == 200 and r.json()["order"]["status"] == "NEW", r.text
        place(web_b, token, "scale-b-1")
        on_a.wait_for(order_event("scale-b-1"))
        remote = sim.control.state()["accounts"][sim.api_key]["orders"].values()
        cids = [o["client_order_id"] for o in remote]
        expected = ["scale-a-1", *during, "scale-b-1"]
        assert sorted(cids) == sorted(expected), cids  # each once: nothing lost, nothing twice

        # 4. Requests only B served, and run_streams' stream metrics, in one scrape of A.
        for _ in range(7):
            assert requests.get(web_b.url + "/futures/risk/status", timeout=10).ok
        prometheus = _prometheus(web_a, tmp_path)
        market = 'max(spark_futures_ws_connection_status{connection="market"})'
        try:
            poll(lambda: _value(prometheus, market) == 1.0, 45, what="run_streams' gauge")
        except AssertionError:
            scraped = requests.get(web_a.url + "/metrics", timeout=10).text
            lines = [x for x in scraped.splitlines() if "ws_connection_status" in x]
            raise AssertionError(
                f"{prometheus.query('up')} {lines} {prometheus.output()[-1500:]}"
            ) from None
        risk_views = (
            "sum(django_http_requests_total_by_view_transport_method_total"
            '{view="api:status"})'  # /futures/risk/status
        )
        poll(
            lambda: (_value(prometheus, risk_views) or 0) >= 7,
            30,
            what="B's requests in Prometheus",
        )
        placed = 'sum(spark_futures_order_ack_total{dry_run="false"})'
        poll(lambda: (_value(prometheus, placed) or 0) >= 7, 30, what="orders of A and B")
        pids = {p.name.rsplit("_", 1)[1].split(".")[0] for p in shared_metrics.iterdir()}
        assert {str(worker.pid), str(web_a.proc.pid), str(web_b.proc.pid)} <= pids
        up = prometheus.query('up{job="spark"}')["result"]
        assert [r["value"][1] for r in up] == ["1"]
        print(
            f"\nSCALE-OUT: 2 Daphne + run_streams on PostgreSQL {scale_db.rsplit('/', 1)[1]} and "
            f"Redis {redis_url}; {len(expected)} orders, each once on the exchange; price and "
            f"order events on both sockets; B restarted without loss; one Prometheus target "
            f"saw metrics of {len(pids)} processes (pids {sorted(pids)})"
        )
    finally:
        for s in sockets:
            s.close()
        if prometheus is not None:
            prometheus.stop()
        for server in servers:
            server.stop()
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        worker_log.close()


def _prometheus(web, tmp_path: Path):
    """A real Prometheus on the monitoring engineer's config, its `spark` job pointed at web A."""
    from tests.monitoring.test_prometheus_e2e import PROMETHEUS_DIR, Prometheus

    source = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    jobs = {j["job_name"] for j in source["scrape_configs"]}
    assert "spark" in jobs  # one target per host: every process of the host through it
    workdir = tmp_path / "prometheus"
    workdir.mkdir()
    return Prometheus(web.url.removeprefix("http://"), workdir).start()


def _value(prometheus, expr: str) -> float | None:
    result = prometheus.query(expr)["result"]
    if not result:
        return None
    return float(result[0]["value"][1])
