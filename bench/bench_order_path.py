"""The full order path through a real Daphne vs the bare connector call, and dry-run vs trivial.

Live: `POST /futures/order.place` (token auth, permission, filters, risk gate with its row lock,
Order row, exchange call, order sync, audit, metrics, signal) vs `BinanceFutures.place_order`
alone, both placing the same LIMIT IOC order on the same stand-in. Target: p50 <= 1.5x.
Dry-run: `POST /futures/order.place` (dryRun) vs `GET /api/me` (a trivial authenticated ninja
endpoint) on the same server. Medians of per-round p50s; rounds interleave the clients.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import requests

from bench.support import unthrottled_sim_env

ROOT = Path(__file__).resolve().parents[1]
KEY = "spark-demo-key"
SECRET = "spark-demo-secret-0000000000000000"
SYMBOL = "ETHUSDT"
ROUNDS = int(os.environ.get("SPARK_BENCH_ORDER_PATH_ROUNDS", "5"))
PER_ROUND = int(os.environ.get("SPARK_BENCH_ORDER_PATH_N", "60"))
EXCHANGE_RTT_MS = int(os.environ.get("SPARK_BENCH_EXCHANGE_RTT_MS", "20"))

ORDER = {
    "symbol": SYMBOL,
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "IOC",
    "quantity": "0.01",
    "price": "3300",  # below the mark: accepted and expired at once, no position drift
}


def _p50(fn, n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout.strip()


def run() -> list[dict]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spark_site.settings")
    import django

    django.setup()
    from futures.binance.rest import BinanceFutures
    from simexchange.testing import SimProcess
    from tests.support.servers import DaphneServer

    with tempfile.TemporaryDirectory() as tmp:
        sim_env = unthrottled_sim_env(tmp, KEY, SECRET)
        with SimProcess(env=sim_env) as sim:
            sim.control.set_price(SYMBOL, "3400", mark="3400")
            spark_env = {
                "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
                "DJANGO_SETTINGS_MODULE": "spark_site.settings",
                "SPARK_SECRET_KEY": "bench-secret-key",
                "BINANCE_FUTURES_BASE_URL": sim.base_url,
                "BINANCE_FUTURES_WS_URL": sim.ws_url,
                "BINANCE_API_KEY": KEY,
                "BINANCE_API_SECRET": SECRET,
                "SPARK_STREAMS_EMBEDDED": "false",
                "SPARK_RECONCILE_ON_START": "false",
                "SPARK_LOG_LEVEL": "WARNING",
            }
            env = {**os.environ, **spark_env}
            _manage(env, "migrate", "--noinput")
            token = _manage(env, "create_api_token", "--user", "bench", "--role", "trader")
            token = token.splitlines()[-1].strip()
            server = DaphneServer(spark_env).start()
            try:
                connector = BinanceFutures(sim.base_url, KEY, SECRET)
                rows = _measure(server.url, token, connector)
                # The same comparison with a network in between: every exchange answer delayed
                # by EXCHANGE_RTT_MS (a nearby region's round trip to Binance).
                sim.control.faults(latency_ms=EXCHANGE_RTT_MS)
                rows += _measure(server.url, token, connector, only_live=True)
                sim.control.clear_faults()
                if os.environ.get("SPARK_BENCH_PROFILE"):
                    _profile(env, token)
                return rows
            finally:
                server.stop()


def _measure(url: str, token: str, connector, *, only_live: bool = False) -> list[dict]:
    http = requests.Session()
    http.trust_env = False
    http.headers["Authorization"] = f"Bearer {token}"
    counter = iter(range(10**9))

    def live() -> None:
        body = {**ORDER, "dryRun": False, "clientOrderId": f"bench-live-{next(counter)}"}
        r = http.post(f"{url}/futures/order.place", json=body, timeout=30)
        if r.status_code != 200:
            raise RuntimeError(f"order.place: {r.status_code} {r.text[:500]}")

    def dry() -> None:
        r = http.post(f"{url}/futures/order.place", json=ORDER, timeout=30)
        if r.status_code != 200:
            raise RuntimeError(f"order.place (dry): {r.status_code} {r.text[:500]}")

    def me() -> None:
        r = http.get(f"{url}/api/me", timeout=30)
        if r.status_code != 200:
            raise RuntimeError(f"/api/me: {r.status_code}")

    qty, price = Decimal(ORDER["quantity"]), Decimal(ORDER["price"])

    def bare() -> None:
        connector.place_order(
            symbol=SYMBOL,
            side="BUY",
            type="LIMIT",
            time_in_force="IOC",
            quantity=qty,
            price=price,
            client_order_id=f"bench-bare-{next(counter)}",
        )

    clients = {"live": live, "bare": bare, "dry": dry, "me": me}
    if only_live:
        clients = {"live": live, "bare": bare}
    rounds = max(2, ROUNDS // 2) if only_live else ROUNDS
    per_round = max(10, PER_ROUND // 3) if only_live else PER_ROUND
    for fn in clients.values():
        for _ in range(5):
            fn()  # warm-up: connections, exchange info, clock, first queries
    samples: dict[str, list[float]] = {k: [] for k in clients}
    for r in range(rounds):
        names = list(clients)
        names = names[r % len(names) :] + names[: r % len(names)]
        for name in names:
            samples[name].append(_p50(clients[name], per_round))
    p50 = {k: statistics.median(v) for k, v in samples.items()}
    if only_live:
        return [
            {
                "name": f"order.place live p50 vs bare call, exchange RTT {EXCHANGE_RTT_MS} ms",
                "figure": round(p50["live"], 2),
                "unit": "ms",
                "peer": "BinanceFutures.place_order",
                "peer_figure": round(p50["bare"], 2),
                "ratio": round(p50["live"] / p50["bare"], 3),
                "note": f"stand-in answers delayed {EXCHANGE_RTT_MS} ms; target ratio <= 1.5",
            }
        ]
    return [
        {
            "name": "order.place live p50 via Daphne vs bare connector call",
            "figure": round(p50["live"], 2),
            "unit": "ms",
            "peer": "BinanceFutures.place_order",
            "peer_figure": round(p50["bare"], 2),
            "ratio": round(p50["live"] / p50["bare"], 3),
            "note": "lower is better; target ratio <= 1.5",
        },
        {
            "name": "order.place dry-run p50 via Daphne vs trivial endpoint",
            "figure": round(p50["dry"], 2),
            "unit": "ms",
            "peer": "GET /api/me",
            "peer_figure": round(p50["me"], 2),
            "ratio": round(p50["dry"] / p50["me"], 3),
            "note": "lower is better",
        },
    ]


PROFILE_SCRIPT = """
import json, os, sys
import django
django.setup()
from django.test import Client
from pyinstrument import Profiler
client = Client()
auth = {"HTTP_AUTHORIZATION": "Bearer " + os.environ["BENCH_TOKEN"]}
order = json.loads(os.environ["BENCH_ORDER"])
def place(i):
    body = dict(order, dryRun=False, clientOrderId=f"prof-{i}")
    r = client.post("/futures/order.place", json.dumps(body), "application/json", **auth)
    assert r.status_code == 200, r.content
for i in range(10):
    place(i)
profiler = Profiler(interval=0.0005)
profiler.start()
for i in range(10, 10 + int(os.environ["BENCH_N"])):
    place(i)
profiler.stop()
out = os.environ["BENCH_OUT"]
open(out + ".html", "w").write(profiler.output_html())
text = profiler.output_text(unicode=False, color=False)
print(chr(10).join(text.splitlines()[:80]))
"""


def _profile(env: dict, token: str) -> None:
    """pyinstrument of the live order path (the view, auth, gate, exchange call, sync, audit)
    in one process on the same database and stand-in; saved next to results.json."""
    out = ROOT / "bench" / "profile-order-path"
    done = subprocess.run(
        [sys.executable, "-c", PROFILE_SCRIPT],
        cwd=ROOT,
        env={
            **env,
            "BENCH_TOKEN": token,
            "BENCH_ORDER": json.dumps(ORDER),
            "BENCH_N": "200",
            "BENCH_OUT": str(out),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"profile failed: {done.stderr[-2000:]}")
    print(done.stdout)
    print(f"   profile of the live order path: {out}.html")


if __name__ == "__main__":
    for row in run():
        print(row)
