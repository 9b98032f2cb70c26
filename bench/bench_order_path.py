"""The full order path through a real Daphne vs the bare connector call, and dry-run vs trivial.

Live: `POST /futures/order.place` (token auth, permission, filters, risk gate with its row lock,
Order row, exchange call, order sync, audit, metrics, live event) vs `BinanceFutures.place_order`
alone, both placing the same LIMIT IOC order on the same stand-in. Target: p50 <= 1.5x.
Dry-run: `POST /futures/order.place` (dryRun) vs `GET /api/me` (a trivial authenticated ninja
endpoint) on the same server. The server's floor: `GET /api/me` anonymous (no query at all).

Both live rows run twice over: against the stand-in answering at once, and with every exchange
answer delayed by EXCHANGE_RTT_MS. Samples alternate the clients call by call (the lead rotates
each call), so both sides see the same machine load; each row is the median over ROUNDS rounds
of the round's p50 (and p90). Every live answer must say the exchange was called for a new order
(a reused clientOrderId would be answered from the database without any exchange call, which
once made the delayed row show Spark below the bare call), and the stand-in's request counter
gives the exchange calls per order of each side, Spark's occasional mark-price and position
refreshes included.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
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

# Client order ids unique over the whole run: an id seen before is answered from the database
# ("existing"), with no exchange call at all.
_RUN = uuid.uuid4().hex[:8]
_IDS = iter(range(10**9))


def new_cid(kind: str) -> str:
    return f"bench-{kind}-{_RUN}-{next(_IDS)}"


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def manage(env: dict, *args: str, root: Path = ROOT) -> str:
    """`manage.py args` of the tree at root (this one by default); its output."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=root,
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
        # No state file: the order path is measured without the stand-in's journal write
        # (SIM_STATE_FILE adds one per order; bench_simexchange measures that cost).
        sim_env.pop("SIM_STATE_FILE")
        with SimProcess(env=sim_env) as sim:
            sim.control.set_price(SYMBOL, "3400", mark="3400")
            spark_env = server_env(f"{tmp}/bench.sqlite3", sim)
            env = {**os.environ, **spark_env}
            token = prepare_database(env)
            server = DaphneServer(spark_env).start()
            try:
                connector = BinanceFutures(sim.base_url, KEY, SECRET)
                clients = order_clients(server.url, token, connector)
                sim.control.clear_faults()
                rows = _measure(sim, clients, ["live", "bare", "dry", "me", "floor"], rtt_ms=0)
                # The same comparison with a network in between: every exchange answer delayed
                # by EXCHANGE_RTT_MS (a nearby region's round trip to Binance).
                sim.control.faults(latency_ms=EXCHANGE_RTT_MS)
                try:
                    rows += _measure(sim, clients, ["live", "bare"], rtt_ms=EXCHANGE_RTT_MS)
                finally:
                    sim.control.clear_faults()
                if os.environ.get("SPARK_BENCH_PROFILE"):
                    _profile(env, token)
                return rows
            finally:
                server.stop()


def server_env(sqlite_path: str, sim) -> dict[str, str]:
    """Settings of a bench server: its own SQLite file, the stand-in sim, no streams."""
    return {
        "DATABASE_URL": f"sqlite:///{sqlite_path}",
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


def prepare_database(env: dict, root: Path = ROOT) -> str:
    """Migrate the database env names with the tree at root; a trader's API token for it."""
    manage(env, "migrate", "--noinput", root=root)
    token = manage(env, "create_api_token", "--user", "bench", "--role", "trader", root=root)
    return token.splitlines()[-1].strip()


def order_clients(url: str, token: str, connector) -> dict[str, Callable[[], None]]:
    """One call each: live and dry-run order.place, /api/me with and without the token, and
    the bare connector's place_order; each raises unless the answer is the expected one."""
    http = requests.Session()
    http.trust_env = False
    http.headers["Authorization"] = f"Bearer {token}"

    def live() -> None:
        body = {**ORDER, "dryRun": False, "clientOrderId": new_cid("live")}
        r = http.post(f"{url}/futures/order.place", json=body, timeout=30)
        if r.status_code != 200:
            raise RuntimeError(f"order.place: {r.status_code} {r.text[:500]}")
        answer = r.json()
        if answer["executed"] != "exchange" or not answer["created"]:
            raise RuntimeError(f"order.place did not reach the exchange: {r.text[:500]}")

    def dry() -> None:
        r = http.post(f"{url}/futures/order.place", json=ORDER, timeout=30)
        if r.status_code != 200:
            raise RuntimeError(f"order.place (dry): {r.status_code} {r.text[:500]}")

    def me() -> None:
        r = http.get(f"{url}/api/me", timeout=30)
        if r.status_code != 200:
            raise RuntimeError(f"/api/me: {r.status_code}")

    anonymous = requests.Session()
    anonymous.trust_env = False

    def floor() -> None:
        # No token, no session: Daphne, Django's middleware and ninja, and not one query.
        r = anonymous.get(f"{url}/api/me", timeout=30)
        if r.status_code != 200 or r.json()["authenticated"]:
            raise RuntimeError(f"/api/me (anonymous): {r.status_code}")

    qty, price = Decimal(ORDER["quantity"]), Decimal(ORDER["price"])

    def bare() -> None:
        answer = connector.place_order(
            symbol=SYMBOL,
            side="BUY",
            type="LIMIT",
            time_in_force="IOC",
            quantity=qty,
            price=price,
            client_order_id=new_cid("bare"),
        )
        if answer.get("status") != "EXPIRED":
            raise RuntimeError(f"bare place_order: unexpected answer {answer}")

    return {"live": live, "bare": bare, "dry": dry, "me": me, "floor": floor}


def exchange_calls(sim) -> int:
    """The stand-in's request counter: every exchange call so far, of any client."""
    return int(sim.control.counters()["requests"])


def _measure(sim, clients: dict, names: list[str], *, rtt_ms: int) -> list[dict]:
    """Rounds of calls alternating between the named clients; per-round p50/p90, medians."""
    for name in names:
        for _ in range(5):
            clients[name]()  # warm-up: connections, exchange info, clock, first queries
    p50: dict[str, list[float]] = {k: [] for k in names}
    p90: dict[str, list[float]] = {k: [] for k in names}
    calls = dict.fromkeys(names, 0)
    for r in range(ROUNDS):
        times: dict[str, list[float]] = {k: [] for k in names}
        for i in range(PER_ROUND):
            lead = (r + i) % len(names)
            for name in names[lead:] + names[:lead]:
                before = exchange_calls(sim) if name in ("live", "bare") else 0
                t0 = time.perf_counter()
                clients[name]()
                times[name].append((time.perf_counter() - t0) * 1000)
                if name in ("live", "bare"):
                    calls[name] += exchange_calls(sim) - before
        for name in names:
            p50[name].append(statistics.median(times[name]))
            p90[name].append(quantile(times[name], 0.9))
    n = ROUNDS * PER_ROUND
    fig = {k: (statistics.median(p50[k]), statistics.median(p90[k])) for k in names}
    per_order = {k: calls[k] / n for k in ("live", "bare")}
    where = f"exchange RTT {rtt_ms} ms" if rtt_ms else "stand-in with no latency"
    calls_note = (
        f"exchange calls per order: Spark {per_order['live']:.2f}, bare {per_order['bare']:.2f}; "
        f"median of {ROUNDS} rounds x {PER_ROUND}, clients alternating call by call"
    )
    # With no latency the bare call (~2 ms) costs about what Daphne alone does for an empty
    # answer (bench_server_floor), so only the row with a network in between can meet 1.5x.
    target = (
        "target p50 ratio <= 1.5"
        if rtt_ms
        else "reported, not a target: a bare ASGI app under Daphne costs about the bare call"
    )
    rows = []
    for q, idx in (("p50", 0), ("p90", 1)):
        rows.append(
            {
                "name": f"order.place live {q} vs bare connector call, {where}",
                "figure": round(fig["live"][idx], 2),
                "unit": "ms",
                "peer": "BinanceFutures.place_order",
                "peer_figure": round(fig["bare"][idx], 2),
                "ratio": round(fig["live"][idx] / fig["bare"][idx], 3),
                "note": f"lower is better; {target}; {calls_note}",
                "exchange_calls_per_order": round(per_order["live"], 3),
                "peer_exchange_calls_per_order": round(per_order["bare"], 3),
            }
        )
    if "dry" in names:
        rows.append(
            {
                "name": "order.place dry-run p50 via Daphne vs trivial endpoint",
                "figure": round(fig["dry"][0], 2),
                "unit": "ms",
                "peer": "GET /api/me",
                "peer_figure": round(fig["me"][0], 2),
                "ratio": round(fig["dry"][0] / fig["me"][0], 3),
                "note": f"lower is better; p90 {fig['dry'][1]:.2f} vs {fig['me'][1]:.2f} ms",
            }
        )
    if "floor" in names:
        rows.append(
            {
                "name": "order.place live p50 vs the server's floor (anonymous GET /api/me)",
                "figure": round(fig["live"][0], 2),
                "unit": "ms",
                "peer": "anonymous GET /api/me",
                "peer_figure": round(fig["floor"][0], 2),
                "ratio": round(fig["live"][0] / fig["floor"][0], 3),
                "note": (
                    "the floor is Daphne + Django middleware + ninja with no query; "
                    f"the bare call plus the floor is {fig['bare'][0] + fig['floor'][0]:.2f} ms, "
                    f"{(fig['bare'][0] + fig['floor'][0]) / fig['bare'][0]:.1f}x the bare call"
                ),
            }
        )
    return rows


PROFILE_SCRIPT = """
import asyncio, json, os, sys
import django
django.setup()
from asgiref.sync import sync_to_async
from django.test import Client
from pyinstrument import Profiler
client = Client()
auth = {"HTTP_AUTHORIZATION": "Bearer " + os.environ["BENCH_TOKEN"]}
order = json.loads(os.environ["BENCH_ORDER"])
def place(i):
    body = dict(order, dryRun=False, clientOrderId=f"prof-{i}")
    r = client.post("/futures/order.place", json.dumps(body), "application/json", **auth)
    assert r.status_code == 200, r.content
def profile():
    for i in range(10):
        place(i)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for i in range(10, 10 + int(os.environ["BENCH_N"])):
        place(i)
    profiler.stop()
    return profiler
async def serve():
    # As under Daphne: the request runs in a worker thread while an event loop runs, so the
    # live broadcast is queued on that loop rather than sent and awaited from the thread.
    return await sync_to_async(profile, thread_sensitive=False)()
profiler = asyncio.run(serve())
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
