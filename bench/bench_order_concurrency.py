"""Concurrent live orders on PostgreSQL + Redis: 8 clients vs the same orders from one client.

A real Daphne serving Spark on PostgreSQL (BENCH_PG_URL; the database is created when missing
and migrated) with the Redis channel layer (BENCH_REDIS_URL), trading on the stand-in over real
sockets. The same ORDERS live orders (LIMIT IOC below the mark: accepted by the gate, sent,
expired at once, so no position builds up between rows), alternating ETHUSDT and BNBUSDT, are
placed by 8 clients at once (two traders, one thread and HTTP session each) and by one client
one after another. Reported: orders/s over the batch and the p50/p99 of one order's answer.
Each pair runs again with every exchange answer delayed by EXCHANGE_RTT_MS (the stand-in's
latency fault: a nearby region's round trip to Binance).

Every order takes the risk gate's lock (one RiskLimits row, see README "What is serialized and
why") for its database work only; the exchange call is made after commit, so with an exchange
round trip in between the 8 clients overlap on the network while the lock stays short.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from itertools import count
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import requests

from bench.bench_order_path import server_env
from bench.support import unthrottled_sim_env

ROOT = Path(__file__).resolve().parents[1]
KEY = "spark-demo-key"
SECRET = "spark-demo-secret-0000000000000000"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/spark_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
CLIENTS = 8
ORDERS = int(os.environ.get("SPARK_BENCH_CONCURRENCY_N", "240"))
ROUNDS = int(os.environ.get("SPARK_BENCH_CONCURRENCY_ROUNDS", "3"))
EXCHANGE_RTT_MS = int(os.environ.get("SPARK_BENCH_EXCHANGE_RTT_MS", "20"))

# Below the mark: the gate accepts them (about 33 and 30 USD, under the 100 USD max notional)
# and the stand-in expires them at once (IOC), so every order is a full live round trip.
ORDER_OF = {
    "ETHUSDT": {"quantity": "0.01", "price": "3300"},
    "BNBUSDT": {"quantity": "0.05", "price": "590"},
}
PRICES = {"ETHUSDT": "3400", "BNBUSDT": "600"}
_RUN = uuid.uuid4().hex[:8]
_IDS = count()


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _ensure_database(url: str) -> None:
    """Create the bench's PostgreSQL database when it does not exist yet."""
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = urlunparse(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout.strip()


def _body(i: int) -> dict:
    symbol = "ETHUSDT" if i % 2 else "BNBUSDT"
    return {
        "symbol": symbol,
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "IOC",
        **ORDER_OF[symbol],
        "dryRun": False,
        "clientOrderId": f"conc-{_RUN}-{next(_IDS)}",
    }


def _place(http: requests.Session, url: str, body: dict) -> float:
    t0 = time.perf_counter()
    r = http.post(f"{url}/futures/order.place", json=body, timeout=60)
    took = (time.perf_counter() - t0) * 1000
    if r.status_code != 200:
        raise RuntimeError(f"order.place: {r.status_code} {r.text[:500]}")
    answer = r.json()
    if answer["executed"] != "exchange" or not answer["created"]:
        raise RuntimeError(f"order.place did not reach the exchange: {r.text[:500]}")
    return took


def _batch(url: str, tokens: list[str], clients: int) -> tuple[float, list[float]]:
    """ORDERS orders split over `clients` threads released together: (orders/s, latencies)."""
    sessions = []
    for i in range(clients):
        http = requests.Session()
        http.trust_env = False
        http.headers["Authorization"] = f"Bearer {tokens[i % len(tokens)]}"
        sessions.append(http)
    bodies = [_body(i) for i in range(ORDERS)]
    shares = [bodies[i::clients] for i in range(clients)]
    times: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    start = threading.Barrier(clients + 1)

    def work(i: int) -> None:
        start.wait(timeout=60)
        try:
            for body in shares[i]:
                times[i].append(_place(sessions[i], url, body))
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    start.wait(timeout=60)
    t0 = time.perf_counter()
    for t in threads:
        t.join(600)
    wall = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"{len(errors)} order(s) failed: {errors[0]}")
    return ORDERS / wall, [x for share in times for x in share]


def _pair(url: str, tokens: list[str], *, rtt_ms: int) -> list[dict]:
    """Rounds alternating 8 clients and 1 client; medians of the rounds' figures."""
    for _ in range(2):  # warm-up: connections, exchange info, first queries, thread pool
        _batch(url, tokens, CLIENTS)
    fig: dict[int, dict[str, list[float]]] = {
        n: {"ops": [], "p50": [], "p99": []} for n in (CLIENTS, 1)
    }
    for r in range(ROUNDS):
        for n in (CLIENTS, 1) if r % 2 == 0 else (1, CLIENTS):
            ops, lat = _batch(url, tokens, n)
            fig[n]["ops"].append(ops)
            fig[n]["p50"].append(statistics.median(lat))
            fig[n]["p99"].append(_quantile(lat, 0.99))
    med = {n: {k: statistics.median(v) for k, v in f.items()} for n, f in fig.items()}
    many, one = med[CLIENTS], med[1]
    where = f"exchange RTT {rtt_ms} ms" if rtt_ms else "stand-in with no latency"
    detail = (
        f"{ORDERS} live orders on ETHUSDT+BNBUSDT per batch, median of {ROUNDS} rounds; "
        f"{CLIENTS} clients p50 {many['p50']:.1f} ms p99 {many['p99']:.1f} ms, "
        f"1 client p50 {one['p50']:.1f} ms p99 {one['p99']:.1f} ms"
    )
    return [
        {
            "name": f"order.place live, {CLIENTS} clients vs 1, PostgreSQL+Redis, {where}",
            "figure": round(many["ops"], 1),
            "unit": "orders/s",
            "peer": "the same orders from 1 client",
            "peer_figure": round(one["ops"], 1),
            "ratio": round(many["ops"] / one["ops"], 2),
            "note": f"higher is better; {detail}",
            "p50_ms": round(many["p50"], 2),
            "p99_ms": round(many["p99"], 2),
            "peer_p50_ms": round(one["p50"], 2),
            "peer_p99_ms": round(one["p99"], 2),
        },
        {
            "name": f"order.place live p99, {CLIENTS} clients vs 1, PostgreSQL+Redis, {where}",
            "figure": round(many["p99"], 2),
            "unit": "ms",
            "peer": "p99 of 1 client",
            "peer_figure": round(one["p99"], 2),
            "ratio": round(many["p99"] / one["p99"], 2),
            "note": f"lower is better; {detail}",
        },
    ]


def run() -> list[dict]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spark_site.settings")
    from simexchange.testing import SimProcess
    from tests.support.servers import DaphneServer

    _ensure_database(PG_URL)
    with tempfile.TemporaryDirectory() as tmp:
        sim_env = unthrottled_sim_env(tmp, KEY, SECRET)
        sim_env.pop("SIM_STATE_FILE")  # as bench_order_path: no journal write per order
        with SimProcess(env=sim_env) as sim:
            for symbol, price in PRICES.items():
                sim.control.set_price(symbol, price, mark=price)
            spark_env = {
                **server_env("", sim),  # the order-path bench's server, on PostgreSQL + Redis
                "DATABASE_URL": PG_URL,
                "REDIS_URL": REDIS_URL,
                "PORTFOLIO_SNAPSHOT_INTERVAL_SECONDS": "0",
            }
            env = {**os.environ, **spark_env}
            _manage(env, "migrate", "--noinput")
            tokens = [
                _manage(env, "create_api_token", "--user", user, "--role", "trader")
                .splitlines()[-1]
                .strip()
                for user in ("bench-conc-a", "bench-conc-b")
            ]
            server = DaphneServer(spark_env).start()
            try:
                sim.control.clear_faults()
                rows = _pair(server.url, tokens, rtt_ms=0)
                sim.control.faults(latency_ms=EXCHANGE_RTT_MS)
                try:
                    rows += _pair(server.url, tokens, rtt_ms=EXCHANGE_RTT_MS)
                finally:
                    sim.control.clear_faults()
                return rows
            finally:
                server.stop()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    for row in run():
        print(row)
