"""Order round trip over REST vs over the WebSocket API, in the same run, against the stand-in.

Each sample is one signed placement answered by the exchange: Spark's `BinanceFutures.place_order`
(POST /fapi/v1/order on a pooled keep-alive session) and `BinanceFuturesWs.place_order`
(`order.place` on one persistent socket), plus each transport's floor: a bare signed
`requests.Session` POST and a bare `websockets` request/answer with the same HMAC signature.
The order is a LIMIT IOC BUY below the market, which the stand-in accepts and expires at once,
so nothing drifts between samples. Calls alternate transport by transport (the lead rotates each
call) so every client sees the same machine load; figures are the medians over ROUNDS rounds of
each round's p50 and p99. Picked up by `python -m bench` like every `bench_*.py`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from urllib.parse import urlencode

import requests

from bench.support import unthrottled_sim_env

KEY = "bench-key"
SECRET = "bench-secret-000000000000000000000000"
SYMBOL = "ETHUSDT"
QTY, PRICE = "0.01", "3300"  # below the 3400 mark: an IOC BUY expires unfilled
ROUNDS = int(os.environ.get("SPARK_BENCH_TRANSPORT_ROUNDS", "7"))
PER_ROUND = int(os.environ.get("SPARK_BENCH_TRANSPORT_N", "150"))

_ids = itertools.count(1)


def _cid(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{next(_ids)}"


def _order(cid_key: str, prefix: str) -> dict[str, str]:
    return {
        "symbol": SYMBOL,
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "IOC",
        "quantity": QTY,
        "price": PRICE,
        cid_key: _cid(prefix),
        "newOrderRespType": "RESULT",
        "recvWindow": "5000",
        "timestamp": str(int(time.time() * 1000)),
    }


def _rest_floor(base: str) -> Callable[[], None]:
    session = requests.Session()
    session.headers["X-MBX-APIKEY"] = KEY

    def place() -> None:
        query = urlencode(_order("newClientOrderId", "rf"))
        sig = hmac.new(SECRET.encode(), query.encode(), hashlib.sha256).hexdigest()
        r = session.post(f"{base}/fapi/v1/order?{query}&signature={sig}", timeout=10)
        if r.status_code != 200:
            raise RuntimeError(f"REST floor: {r.status_code} {r.text}")

    return place


def _ws_floor(ws_url: str) -> tuple[Callable[[], None], Callable[[], None]]:
    from websockets.sync.client import connect

    conn = connect(ws_url, compression=None, legacy=True)
    n = itertools.count(1)

    def place() -> None:
        params = {**_order("newClientOrderId", "wf"), "apiKey": KEY}
        payload = "&".join(f"{k}={params[k]}" for k in sorted(params))
        params["signature"] = hmac.new(SECRET.encode(), payload.encode(), "sha256").hexdigest()
        req_id = str(next(n))
        conn.send(json.dumps({"id": req_id, "method": "order.place", "params": params}))
        answer = json.loads(conn.recv(timeout=10))
        if answer.get("id") != req_id or answer.get("status") != 200:
            raise RuntimeError(f"WS floor: {answer}")

    return place, conn.close


def _spark(client) -> Callable[[], None]:
    qty, price = Decimal(QTY), Decimal(PRICE)

    def place() -> None:
        client.place_order(
            symbol=SYMBOL,
            side="BUY",
            type="LIMIT",
            time_in_force="IOC",
            quantity=qty,
            price=price,
            client_order_id=_cid("sp"),
        )

    return place


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(base: str, ws_url: str, rounds: int = ROUNDS, n: int = PER_ROUND) -> dict:
    """{client: (p50 ms, p99 ms)}: medians over the rounds of each round's quantiles."""
    from futures.binance.rest import BinanceFutures
    from futures.binance.ws_api import BinanceFuturesWs

    rest = BinanceFutures(base, KEY, SECRET, recv_window=5000, timeout=10)
    ws = BinanceFuturesWs(base, KEY, SECRET, ws_api_url=ws_url, recv_window=5000, timeout=10)
    ws_floor, close_floor = _ws_floor(ws_url)
    placers = {
        "REST floor": _rest_floor(base),
        "REST connector": _spark(rest),
        "WS-API floor": ws_floor,
        "WS-API connector": _spark(ws),
    }
    try:
        for place in placers.values():
            for _ in range(20):
                place()  # warm-up: connections, clock sync, socket, imports
        per_round: dict[str, list[tuple[float, float]]] = {k: [] for k in placers}
        names = list(placers)
        for _ in range(rounds):
            samples: dict[str, list[float]] = {k: [] for k in placers}
            for i in range(n):
                lead = i % len(names)
                for name in names[lead:] + names[:lead]:
                    t0 = time.perf_counter()
                    placers[name]()
                    samples[name].append((time.perf_counter() - t0) * 1000)
            for name, values in samples.items():
                per_round[name].append((_quantile(values, 0.5), _quantile(values, 0.99)))
    finally:
        ws.close()
        close_floor()
        rest.session.close()
    return {
        name: (
            statistics.median(p50 for p50, _ in rows),
            statistics.median(p99 for _, p99 in rows),
        )
        for name, rows in per_round.items()
    }


def run() -> list[dict]:
    from simexchange.testing import SimProcess

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spark_site.settings")
    import django

    django.setup()
    with (
        tempfile.TemporaryDirectory() as tmp,
        SimProcess(env=unthrottled_sim_env(tmp, KEY, SECRET)) as sim,
    ):
        sim.control.set_price(SYMBOL, "3400", mark="3400")
        figures = measure(sim.base_url, sim.ws_url + "/ws-fapi/v1")
    rest, ws = figures["REST connector"], figures["WS-API connector"]
    rows = []
    for i, q in enumerate(("p50", "p99")):
        rows.append(
            {
                "name": f"order round trip {q}, WS-API connector vs REST connector",
                "figure": round(ws[i], 3),
                "unit": "ms",
                "peer": "REST connector",
                "peer_figure": round(rest[i], 3),
                "ratio": round(ws[i] / rest[i], 3),
                "note": "lower is better; same run, same stand-in",
            }
        )
    for transport in ("REST", "WS-API"):
        mine, floor = figures[f"{transport} connector"], figures[f"{transport} floor"]
        rows.append(
            {
                "name": f"order round trip p50 / p99, {transport} connector vs its bare floor",
                "figure": f"{mine[0]:.3f} / {mine[1]:.3f}",
                "unit": "ms",
                "peer": f"bare {transport}",
                "peer_figure": f"{floor[0]:.3f} / {floor[1]:.3f}",
                "ratio": round(mine[0] / floor[0], 3),
                "note": "ratio of the p50s; lower is better",
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
