"""How fast the stand-in serves: signed orders per second and WebSocket messages per second.

The stand-in runs as its own process (`python -m simexchange`), as the platform uses it; the
load comes from one asyncio client process. Floors are what the platform's tests need so the
stand-in is never their bottleneck.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import statistics
import tempfile
import time
from urllib.parse import urlencode

import aiohttp

from simexchange.testing import SimProcess

ORDER_FLOOR = 300.0  # signed orders / s
WS_FLOOR = 5000.0  # messages / s
DURABLE_FLOOR = 50.0  # signed orders / s with SIM_STATE_FILE fsynced per order (disk-bound)
SECONDS = 3.0


async def _orders(proc: SimProcess, seconds: float, workers: int = 16) -> float:
    done = 0
    stop_at = time.monotonic() + seconds

    async def worker(http: aiohttp.ClientSession, n: int) -> None:
        nonlocal done
        side = "BUY" if n % 2 else "SELL"
        while time.monotonic() < stop_at:
            params = {
                "symbol": "BTCUSDT",
                "side": side,
                "type": "MARKET",
                "quantity": "0.002",
                "timestamp": str(int(time.time() * 1000)),
            }
            query = urlencode(params)
            sig = hmac.new(proc.api_secret.encode(), query.encode(), hashlib.sha256).hexdigest()
            async with http.post(
                f"{proc.base_url}/fapi/v1/order?{query}&signature={sig}",
                headers={"X-MBX-APIKEY": proc.api_key},
            ) as r:
                await r.read()
                if r.status != 200:
                    raise RuntimeError(await r.text())
            done += 1
            side = "SELL" if side == "BUY" else "BUY"

    started = time.monotonic()
    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(worker(http, i) for i in range(workers)))
    return done / (time.monotonic() - started)


async def _ws(proc: SimProcess, seconds: float, conns: int = 16) -> float:
    streams = "/".join(
        f"{s}@{k}"
        for s in ("btcusdt", "ethusdt", "solusdt", "bnbusdt")
        for k in ("bookTicker", "aggTrade", "depth5@100ms")
    )
    count = 0

    async def reader(http: aiohttp.ClientSession) -> None:
        nonlocal count
        async with http.ws_connect(f"{proc.ws_url}/stream?streams={streams}") as ws:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                try:
                    msg = await asyncio.wait_for(ws.receive(), end - time.monotonic())
                except TimeoutError:
                    break
                if msg.type == aiohttp.WSMsgType.TEXT:
                    count += 1

    started = time.monotonic()
    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(reader(http) for _ in range(conns)))
    return count / (time.monotonic() - started)


async def _round_trips(proc: SimProcess, count: int) -> float:
    """Median ms of one signed MARKET order sent alone (the next waits for the answer)."""
    times = []
    async with aiohttp.ClientSession() as http:
        for i in range(count):
            params = {
                "symbol": "BTCUSDT",
                "side": "BUY" if i % 2 else "SELL",
                "type": "MARKET",
                "quantity": "0.002",
                "timestamp": str(int(time.time() * 1000)),
            }
            query = urlencode(params)
            sig = hmac.new(proc.api_secret.encode(), query.encode(), hashlib.sha256).hexdigest()
            started = time.perf_counter()
            async with http.post(
                f"{proc.base_url}/fapi/v1/order?{query}&signature={sig}",
                headers={"X-MBX-APIKEY": proc.api_key},
            ) as r:
                await r.read()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _row(name: str, figure: float, unit: str, floor: float) -> dict:
    return {
        "name": name,
        "figure": round(figure, 1),
        "unit": unit,
        "floor": floor,
        "peer": "floor",
        "peer_figure": floor,
        "ratio": round(figure / floor, 2),
    }


def run() -> list[dict]:
    rows = []
    env = {"SIM_FEED_RUNNING": "false", "SIM_WEIGHT_LIMIT": "100000000"}
    with SimProcess(env={**env, "SIM_START_BALANCE": "100000000"}) as proc:
        proc.control.set_price("BTCUSDT", "60000")
        asyncio.run(_orders(proc, 0.5))  # warm up
        rows.append(
            _row(
                "simexchange signed MARKET orders",
                asyncio.run(_orders(proc, SECONDS)),
                "orders/s",
                ORDER_FLOOR,
            )
        )
    # SIM_STATE_FILE: every accepted order is journaled (and by default fsynced) before its answer
    base = {**env, "SIM_START_BALANCE": "100000000"}
    p50 = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode, extra in (
            ("memory", {}),
            ("write", {"SIM_STATE_FILE": f"{tmp}/w.json", "SIM_STATE_SYNC": "write"}),
            ("fsync", {"SIM_STATE_FILE": f"{tmp}/f.json", "SIM_STATE_SYNC": "fsync"}),
        ):
            with SimProcess(env={**base, **extra}) as proc:
                proc.control.set_price("BTCUSDT", "60000")
                p50[mode] = asyncio.run(_round_trips(proc, 200))
                if mode == "fsync":
                    rows.append(
                        _row(
                            "simexchange signed MARKET orders, durable (journal fsync)",
                            asyncio.run(_orders(proc, SECONDS)),
                            "orders/s",
                            DURABLE_FLOOR,
                        )
                    )
    for mode in ("write", "fsync"):
        rows.append(
            {
                "name": f"simexchange order round trip p50, journal {mode} vs memory",
                "figure": round(p50[mode], 2),
                "unit": "ms",
                "peer": "memory only",
                "peer_figure": round(p50["memory"], 2),
                "ratio": round(p50["memory"] / p50[mode], 2),
                "note": f"journal cost per order {p50[mode] - p50['memory']:+.2f} ms",
            }
        )
    with SimProcess(env={"SIM_TICK_MS": "10", "SIM_SEED": "1"}) as proc:
        rows.append(
            _row(
                "simexchange WebSocket messages (16 combined sockets)",
                asyncio.run(_ws(proc, SECONDS)),
                "msg/s",
                WS_FLOOR,
            )
        )
    return rows


def main() -> list[dict]:
    rows = run()
    print(f"{'benchmark':55} {'figure':>12} {'unit':>9} {'floor':>8} {'ratio':>6}")
    for r in rows:
        figure, floor = f"{r['figure']:>12.1f}", f"{r['floor']:>8.0f}"
        print(f"{r['name']:55} {figure} {r['unit']:>9} {floor} {r['ratio']:>6.2f}")
    return rows


if __name__ == "__main__":
    main()
