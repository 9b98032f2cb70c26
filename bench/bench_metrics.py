"""Cost of one /metrics scrape: multiprocess mode (5 processes' files) vs one process's registry.

Spark in scale-out mode answers a scrape by reading and merging every process's metric files
(prometheus_client's MultiProcessCollector). The floor is the same metrics, populated the same
way, exposed from one process's in-memory registry (what the embedded default does). Each side
runs in its own interpreter, because prometheus_client picks the mode at import time. Populated
like a busy day: 4 symbols x dry-run/live orders, 6 reject reasons, 3 stream connections,
4 stream types, 3 exchanges x 3 error codes, canary and risk series. Median over ROUNDS scrapes;
lower is better (ratio = Spark / floor).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = int(os.environ.get("SPARK_BENCH_ROUNDS", "200"))
PROCESSES = 5  # 4 Daphne workers + the stream worker

POPULATE = textwrap.dedent(
    """
    from futures import metrics as f
    from risk import metrics as r
    from canary import metrics as c
    from portfolio import metrics as p
    for sym in ("BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"):
        for dry in ("true", "false"):
            f.ORDER_ACK.labels(sym, dry).inc(3)
            for ms in (4, 20, 80, 300, 1200):
                f.ORDER_PLACE_LATENCY_MS.labels(sym, dry).observe(ms)
    for reason in ("risk_max_notional", "risk_max_position", "risk_circuit_breaker",
                   "filter_min_notional", "filter_lot_size", "exchange_-2019"):
        f.ORDER_REJECT.labels(reason).inc()
    for conn in ("market", "depth", "user"):
        f.WS_CONNECTS.labels(conn).inc(); f.WS_RECONNECTS.labels(conn).inc()
        f.WS_ERRORS.labels(conn).inc(); f.WS_CONNECTION_STATUS.labels(conn).set(1)
        f.WS_CONNECTION_DURATION_SECONDS.labels(conn).set(120)
        f.WS_LAST_MESSAGE_TIMESTAMP.labels(conn).set(1.7e9)
    for st in ("aggTrade", "markPriceUpdate", "24hrTicker", "depthUpdate"):
        f.WS_MESSAGES.labels(st).inc(1000)
    for g in (f.POSITION_COUNT, f.PNL_UNREALIZED_USD, f.ACCOUNT_BALANCE_USD, f.MARGIN_RATIO,
              f.RATE_LIMIT_REMAINING, r.CIRCUIT_BREAKER_OPEN, r.DAILY_PNL_USD,
              r.DAILY_LOSS_LIMIT_USD, p.TOTAL_VALUE_USD, p.ASSET_COUNT, p.LAST_UPDATE_TIMESTAMP):
        g.set(1)
    for outcome in ("allowed", "rejected"):
        r.DECISIONS.labels(outcome).inc(5)
    for status in ("SIMULATED", "CONFIRMED", "FAILED"):
        c.RUNS.labels(status).inc()
    c.CONFIRM_LATENCY_MS.observe(300)
    for ex in ("binance_futures", "binance_spot", "btcturk"):
        for code in ("429", "503", "-1021"):
            p.EXCHANGE_API_ERRORS.labels(ex, code).inc()
    p.REFRESH_LATENCY_MS.observe(400)
    """
)

SCRAPE = textwrap.dedent(
    """
    import json, os, statistics, sys, time
    from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector
    {populate}
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        def scrape():
            registry = CollectorRegistry()  # what django-prometheus builds per request
            MultiProcessCollector(registry)
            return generate_latest(registry)
    else:
        def scrape():
            return generate_latest(REGISTRY)
    body = scrape()
    times = []
    for _ in range(int(sys.argv[1])):
        t = time.perf_counter(); scrape(); times.append(time.perf_counter() - t)
    print(json.dumps({{"ms": statistics.median(times) * 1000, "bytes": len(body)}}))
    """
)


def _python(code: str, env: dict, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return out.stdout


def run() -> list[dict]:
    base = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    floor = json.loads(_python(SCRAPE.format(populate=POPULATE), base, str(ROUNDS)))
    with tempfile.TemporaryDirectory(prefix="spark-bench-prom-") as shared:
        env = {**base, "PROMETHEUS_MULTIPROC_DIR": shared}
        for _ in range(PROCESSES - 1):  # the other workers write their files and exit
            _python(POPULATE, env)
        spark = json.loads(_python(SCRAPE.format(populate=POPULATE), env, str(ROUNDS)))
    return [
        {
            "name": f"/metrics scrape, multiprocess ({PROCESSES} processes' files)",
            "figure": round(spark["ms"], 2),
            "unit": "ms",
            "peer": "one process's in-memory registry (floor)",
            "peer_figure": round(floor["ms"], 2),
            "ratio": round(spark["ms"] / floor["ms"], 2),
            "note": f"lower is better; body {spark['bytes']} vs {floor['bytes']} bytes",
        }
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
