"""Portfolio refresh latency with three slow exchanges: concurrent fetch ~ the slowest, not the sum.

Three stand-in processes, one per source (Binance Spot, Binance Futures, BTCTurk), each given a
different added latency with the stand-in's `latency_ms` fault. Figures are medians over rounds:
each source alone, the three one after another (the sequential floor), and the service's
concurrent fetch (`portfolio.services.fetch_all`, with valuation).
"""

from __future__ import annotations

import os
import statistics
import time

ROUNDS = 7
LATENCY_MS = {"binance_spot": 100, "binance_futures": 200, "btcturk": 300}
KEY, SECRET = "spark-demo-key", "spark-demo-secret-0000000000000000"
BT_KEY, BT_SECRET = "spark-demo-btcturk", "c3BhcmstZGVtby1idGN0dXJrLXNlY3JldA=="


def _median_ms(fn, rounds: int = ROUNDS) -> float:
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def run() -> list[dict]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spark_site.settings")
    import django

    django.setup()
    from futures.binance.rest import BinanceFutures
    from portfolio.connectors.base import SourceFetch
    from portfolio.connectors.binance import FuturesSource, SpotClient
    from portfolio.connectors.btcturk import BTCTurkClient
    from portfolio.services import fetch_all
    from portfolio.valuation import value_holdings
    from simexchange.testing import SimProcess

    env = {
        "SIM_API_KEYS": f"{KEY}:{SECRET}",
        "SIM_BTCTURK_KEYS": f"{BT_KEY}:{BT_SECRET}",
        "SIM_FEED_RUNNING": "false",
    }
    sims = {name: SimProcess(env=env) for name in LATENCY_MS}
    try:
        for sim in sims.values():
            sim.start()
        sources = [
            SpotClient(sims["binance_spot"].base_url, KEY, SECRET, timeout=10),
            FuturesSource(BinanceFutures(sims["binance_futures"].base_url, KEY, SECRET)),
            BTCTurkClient(sims["btcturk"].base_url, BT_KEY, BT_SECRET, timeout=10),
        ]
        for s in sources:  # warm up: connection pools, the Binance clock offset
            s.fetch()
        for name, sim in sims.items():
            sim.control.faults(latency_ms=LATENCY_MS[name])

        def value(fetch: SourceFetch) -> None:
            value_holdings(fetch.holdings, fetch.prices_usd)

        alone = {s.exchange: _median_ms(lambda s=s: value(s.fetch())) for s in sources}

        def sequential() -> None:
            for s in sources:
                value(s.fetch())

        def concurrent() -> None:
            results = fetch_all(sources, timeout=10)
            assert all(isinstance(r, SourceFetch) for r in results.values()), results
            for r in results.values():
                value(r)

        seq_ms = _median_ms(sequential)
        conc_ms = _median_ms(concurrent)
    finally:
        for sim in sims.values():
            sim.stop()
    slowest = max(alone, key=alone.get)
    note = ", ".join(f"{k} {v:.0f} ms (+{LATENCY_MS[k]} ms/call)" for k, v in alone.items())
    return [
        {
            "name": "portfolio refresh, 3 sources concurrent (ms)",
            "figure": round(conc_ms, 1),
            "unit": "ms",
            "peer": f"slowest source alone ({slowest})",
            "peer_figure": round(alone[slowest], 1),
            "ratio": round(conc_ms / alone[slowest], 3),
            "note": f"lower is better; ~1.0 means total = slowest source. Alone: {note}",
        },
        {
            "name": "portfolio refresh speed-up over sequential fetch",
            "figure": round(conc_ms, 1),
            "unit": "ms",
            "peer": "sequential (one after another)",
            "peer_figure": round(seq_ms, 1),
            "ratio": round(seq_ms / conc_ms, 2),
            "note": f"higher is better; sum of sources alone = {sum(alone.values()):.0f} ms",
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
