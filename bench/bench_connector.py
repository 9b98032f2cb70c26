"""Signed order placement per second: Spark's connector vs a bare requests floor and three peers.

Everyone places the same order against the same stand-in process, in the same run, interleaved
round by round (medians over the rounds): a LIMIT IOC BUY below the market, which the matching
engine accepts and expires at once, so no position or balance drifts between rounds. Every
client sends symbol, side, type, timeInForce, quantity, price, newClientOrderId,
newOrderRespType=RESULT, recvWindow and timestamp, signed with HMAC-SHA256.

Peers: Binance's official modular SDK (binance-sdk-derivatives-trading-usds-futures), the older
binance-futures-connector (UMFutures) and python-binance. Target: Spark >= the fastest peer and
within 10% of the floor.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os
import statistics
import tempfile
import time
from decimal import Decimal
from urllib.parse import urlencode

import requests

from bench.support import unthrottled_sim_env

KEY = "bench-key"
SECRET = "bench-secret-000000000000000000000000"
SYMBOL = "ETHUSDT"
QTY = "0.01"
PRICE = "3300"  # below the 3400 mark: an IOC BUY expires unfilled
# Many short interleaved rounds: on a shared machine, load bursts then hit every client alike.
ORDERS_PER_ROUND = int(os.environ.get("SPARK_BENCH_CONNECTOR_ORDERS", "60"))
ROUNDS = int(os.environ.get("SPARK_BENCH_CONNECTOR_ROUNDS", "12"))

_ids = itertools.count(1)


def _cid(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{next(_ids)}"


def _floor(base: str):
    session = requests.Session()
    session.headers["X-MBX-APIKEY"] = KEY
    secret = SECRET.encode()

    def place() -> None:
        query = urlencode(
            [
                ("symbol", SYMBOL),
                ("side", "BUY"),
                ("type", "LIMIT"),
                ("timeInForce", "IOC"),
                ("quantity", QTY),
                ("price", PRICE),
                ("newClientOrderId", _cid("floor")),
                ("newOrderRespType", "RESULT"),
                ("recvWindow", "5000"),
                ("timestamp", str(int(time.time() * 1000))),
            ]
        )
        sig = hmac.new(secret, query.encode(), hashlib.sha256).hexdigest()
        r = session.post(f"{base}/fapi/v1/order?{query}&signature={sig}", timeout=10)
        if r.status_code != 200:
            raise RuntimeError(f"floor: {r.status_code} {r.text}")
        r.json()

    return place


def _spark(base: str):
    from futures.binance.rest import BinanceFutures

    client = BinanceFutures(base, KEY, SECRET, recv_window=5000, timeout=10)
    qty, price = Decimal(QTY), Decimal(PRICE)
    client.sync_time()

    def place() -> None:
        client.place_order(
            symbol=SYMBOL,
            side="BUY",
            type="LIMIT",
            time_in_force="IOC",
            quantity=qty,
            price=price,
            client_order_id=_cid("spark"),
        )

    return place


def _binance_sdk(base: str):
    from binance_common.configuration import ConfigurationRestAPI
    from binance_sdk_derivatives_trading_usds_futures import DerivativesTradingUsdsFutures
    from binance_sdk_derivatives_trading_usds_futures.rest_api.models import enums

    client = DerivativesTradingUsdsFutures(
        config_rest_api=ConfigurationRestAPI(
            api_key=KEY, api_secret=SECRET, base_path=base, retries=0, timeout=10_000
        )
    )
    rest = client.rest_api

    def place() -> None:
        resp = rest.new_order(
            symbol=SYMBOL,
            side=enums.NewOrderSideEnum["BUY"].value,
            type=enums.NewOrderTypeEnum["LIMIT"].value,
            time_in_force=enums.NewOrderTimeInForceEnum["IOC"].value,
            quantity=float(QTY),
            price=float(PRICE),
            new_client_order_id=_cid("sdk"),
            new_order_resp_type=enums.NewOrderNewOrderRespTypeEnum["RESULT"].value,
            recv_window=5000,
        )
        resp.data()

    return place


def _um_futures(base: str):
    from binance.um_futures import UMFutures

    client = UMFutures(key=KEY, secret=SECRET, base_url=base, timeout=10)

    def place() -> None:
        client.new_order(
            symbol=SYMBOL,
            side="BUY",
            type="LIMIT",
            timeInForce="IOC",
            quantity=QTY,
            price=PRICE,
            newClientOrderId=_cid("um"),
            newOrderRespType="RESULT",
            recvWindow=5000,
        )

    return place


def _python_binance(base: str):
    from binance.client import Client

    client = Client(KEY, SECRET, ping=False)
    client.FUTURES_URL = f"{base}/fapi"

    def place() -> None:
        client.futures_create_order(
            symbol=SYMBOL,
            side="BUY",
            type="LIMIT",
            timeInForce="IOC",
            quantity=QTY,
            price=PRICE,
            newClientOrderId=_cid("pyb"),
            newOrderRespType="RESULT",
            recvWindow=5000,
        )

    return place


CLIENTS = {
    "requests floor": _floor,
    "spark BinanceFutures": _spark,
    "binance-sdk-derivatives-trading-usds-futures": _binance_sdk,
    "binance-futures-connector UMFutures": _um_futures,
    "python-binance": _python_binance,
}


def _rate(place, n: int) -> tuple[float, float]:
    """(orders per second, client CPU milliseconds per order) of n placements."""
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        place()
    return n / (time.perf_counter() - started), (time.process_time() - cpu) * 1000 / n


CPU: dict[str, float] = {}


def measure(base: str, rounds: int = ROUNDS, n: int = ORDERS_PER_ROUND) -> dict[str, float]:
    """Median orders/second of each client (rounds interleaved, warm-up calls first).

    Also leaves the median client CPU per order in CPU (load on other processes barely moves
    it, so it shows the client's own cost when the wall-clock figures are noisy).
    """
    placers = {name: make(base) for name, make in CLIENTS.items()}
    for place in placers.values():
        for _ in range(5):
            place()  # warm-up: connections, clock sync, imports
    samples: dict[str, list[float]] = {name: [] for name in placers}
    cpu: dict[str, list[float]] = {name: [] for name in placers}
    for r in range(rounds):
        # Rotate the order each round so no client always runs right after the same one.
        names = list(placers)
        names = names[r % len(names) :] + names[: r % len(names)]
        for name in names:
            rate, cpu_ms = _rate(placers[name], n)
            samples[name].append(rate)
            cpu[name].append(cpu_ms)
    CPU.update({name: statistics.median(values) for name, values in cpu.items()})
    return {name: statistics.median(values) for name, values in samples.items()}


def run() -> list[dict]:
    from simexchange.testing import SimProcess

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spark_site.settings")
    import django

    django.setup()
    with tempfile.TemporaryDirectory() as tmp:
        env = unthrottled_sim_env(tmp, KEY, SECRET)
        with SimProcess(env=env) as sim:
            sim.control.set_price(SYMBOL, "3400", mark="3400")
            rates = measure(sim.base_url)
    floor = rates["requests floor"]
    spark = rates["spark BinanceFutures"]
    peers = {k: v for k, v in rates.items() if k not in ("requests floor", "spark BinanceFutures")}
    fastest_name = max(peers, key=peers.get)
    rows = [
        {
            "name": "signed order placement, Spark connector vs bare requests floor",
            "figure": round(spark, 1),
            "unit": "orders/s",
            "peer": "requests.Session floor",
            "peer_figure": round(floor, 1),
            "ratio": round(spark / floor, 3),
            "note": "target >= 0.90 (within 10% of the floor)",
        }
    ]
    spark_cpu = CPU["spark BinanceFutures"]
    for name in ["requests floor", *sorted(peers, key=lambda k: CPU[k])]:
        rows.append(
            {
                "name": f"client CPU per signed order, Spark vs {name}",
                "figure": round(spark_cpu, 3),
                "unit": "ms",
                "peer": name,
                "peer_figure": round(CPU[name], 3),
                "ratio": round(spark_cpu / CPU[name], 3),
                "note": "lower is better",
            }
        )
    for name, rate in sorted(peers.items(), key=lambda kv: -kv[1]):
        rows.append(
            {
                "name": f"signed order placement, Spark connector vs {name}",
                "figure": round(spark, 1),
                "unit": "orders/s",
                "peer": name,
                "peer_figure": round(rate, 1),
                "ratio": round(spark / rate, 3),
                "note": "fastest peer: target >= 1.0" if name == fastest_name else "",
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
