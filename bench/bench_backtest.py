"""Backtest speed: a year of 1-minute bars, EMA 10/30 cross, Spark vs backtesting.py and vectorbt.

All three run the same deterministic data (525,600 bars, seeded log-normal walk) with the
same conventions: signal on a bar's close, fill at the next bar's open, fee 0.04 % per side,
no slippage, 10 units per trade. Timed: indicators + signals + simulation + the statistics
each library computes by default (for vectorbt: the portfolio and its total return), not
data generation. Medians over ROUNDS rounds (backtesting.py: fewer rounds, it is slow);
vectorbt's numba functions are compiled in an untimed warm-up run first.
"""

from __future__ import annotations

import os
import statistics
import time
import warnings

import numpy as np

N_BARS = 525_600
FAST, SLOW = 10, 30
FEE = 0.0004
UNITS = 10
STOP_PCT = 0.3  # tight enough that about a fifth of the trades end on the stop
ROUNDS = int(os.environ.get("SPARK_BENCH_ROUNDS", "5"))
PEER_ROUNDS = int(os.environ.get("SPARK_BENCH_PEER_ROUNDS", "2"))


def make_bars(n: int = N_BARS, seed: int = 20260101) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.0008, n)))
    open_ = np.concatenate(([100.0], close[:-1])) * (1 + rng.normal(0, 0.0002, n))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.0004, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.0004, n)))
    t = 1_735_689_600_000 + np.arange(n, dtype=np.int64) * 60_000
    return {"time": t, "open": open_, "high": high, "low": low, "close": close}


def _timed(fn, rounds: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(rounds):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def spark_run(bars):
    from strategies import engine
    from strategies.documents import ema_cross

    doc = ema_cross(FAST, SLOW, timeframe="1m", position_size={"type": "fixed_qty", "value": UNITS})
    cfg = engine.BacktestConfig(initial_cash=100_000.0, fee_rate=FEE, slippage=0.0)
    return engine.simulate(doc, bars, cfg)


def backtesting_run(bars):
    import pandas as pd
    from backtesting import Backtest, Strategy

    from strategies import indicators

    df = pd.DataFrame(
        {
            "Open": bars["open"],
            "High": bars["high"],
            "Low": bars["low"],
            "Close": bars["close"],
            "Volume": np.ones(bars["close"].size),
        },
        index=pd.to_datetime(bars["time"], unit="ms"),
    )

    class EmaCross(Strategy):
        def init(self):
            self.f = self.I(indicators.ema, self.data.Close, FAST)
            self.s = self.I(indicators.ema, self.data.Close, SLOW)

        def next(self):
            f, s = self.f, self.s
            if not self.position and f[-1] > s[-1] and f[-2] <= s[-2]:
                self.buy(size=UNITS)
            elif self.position and f[-1] < s[-1] and f[-2] >= s[-2]:
                self.position.close()

    bt = Backtest(df, EmaCross, cash=100_000.0, commission=FEE, finalize_trades=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bt.run()


def vectorbt_run(bars):
    import pandas as pd
    import vectorbt as vbt

    close = pd.Series(bars["close"])
    open_ = pd.Series(bars["open"])
    fast = vbt.MA.run(close, FAST, ewm=True).ma
    slow = vbt.MA.run(close, SLOW, ewm=True).ma
    entries = (fast > slow) & (fast.shift(1) <= slow.shift(1))
    exits = (fast < slow) & (fast.shift(1) >= slow.shift(1))
    # the signal of bar i is acted on at bar i + 1's open
    pf = vbt.Portfolio.from_signals(
        close,
        entries.shift(1, fill_value=False),
        exits.shift(1, fill_value=False),
        price=open_,
        size=UNITS,
        fees=FEE,
        init_cash=100_000.0,
    )
    pf.total_return()
    return pf


def spark_run_stops(bars):
    from strategies import engine
    from strategies.documents import ema_cross

    doc = ema_cross(
        FAST,
        SLOW,
        timeframe="1m",
        stop_loss_pct=STOP_PCT,
        position_size={"type": "fixed_qty", "value": UNITS},
    )
    cfg = engine.BacktestConfig(initial_cash=100_000.0, fee_rate=FEE, slippage=0.0)
    return engine.simulate(doc, bars, cfg)


def vectorbt_run_stops(bars):
    import pandas as pd
    import vectorbt as vbt

    close = pd.Series(bars["close"])
    fast = vbt.MA.run(close, FAST, ewm=True).ma
    slow = vbt.MA.run(close, SLOW, ewm=True).ma
    entries = (fast > slow) & (fast.shift(1) <= slow.shift(1))
    exits = (fast < slow) & (fast.shift(1) >= slow.shift(1))
    pf = vbt.Portfolio.from_signals(
        close,
        entries.shift(1, fill_value=False),
        exits.shift(1, fill_value=False),
        price=pd.Series(bars["open"]),
        open=pd.Series(bars["open"]),
        high=pd.Series(bars["high"]),
        low=pd.Series(bars["low"]),
        sl_stop=STOP_PCT / 100,
        size=UNITS,
        fees=FEE,
        init_cash=100_000.0,
    )
    pf.total_return()
    return pf


def _row(name, spark_s, peer, peer_s, note):
    return {
        "name": name,
        "figure": round(spark_s * 1000, 1),
        "unit": "ms (median)",
        "peer": peer,
        "peer_figure": round(peer_s * 1000, 1) if peer_s else None,
        "ratio": round(peer_s / spark_s, 2) if peer_s else None,
        "note": note,
    }


def run() -> list[dict]:
    bars = make_bars()
    small = {k: v[:5000] for k, v in bars.items()}
    spark_run(small)  # import and first-call costs
    spark_s, result = _timed(lambda: spark_run(bars), ROUNDS)
    stops_s, stops = _timed(lambda: spark_run_stops(bars), ROUNDS)
    trades = result.metrics["trades"]
    n_stops = sum(t["exit_reason"] == "stop_loss" for t in stops.trades)
    rows = []
    try:
        vectorbt_run(small)  # numba compilation, untimed
        vectorbt_run_stops(small)
        vbt_s, pf = _timed(lambda: vectorbt_run(bars), ROUNDS)
        rows.append(
            _row(
                "backtest_ema_cross_1y_1m_vs_vectorbt",
                spark_s,
                "vectorbt",
                vbt_s,
                f"ratio = vectorbt time / Spark time (>= 0.5 means within 2x; > 1 faster); "
                f"{N_BARS} bars; Spark {trades} trades, vectorbt {pf.trades.count()}",
            )
        )
        vbt_stop_s, pf_stop = _timed(lambda: vectorbt_run_stops(bars), ROUNDS)
        rows.append(
            _row(
                "backtest_ema_cross_stop_loss_1y_1m_vs_vectorbt",
                stops_s,
                "vectorbt (sl_stop, OHLC)",
                vbt_stop_s,
                f"{STOP_PCT}% stop-loss (Spark's trade-by-trade path): Spark "
                f"{stops.metrics['trades']} trades ({n_stops} on the stop), final "
                f"{stops.metrics['final_equity']:.0f}; vectorbt {pf_stop.trades.count()} "
                f"trades, final {pf_stop.final_value():.0f}",
            )
        )
    except ImportError as exc:
        rows.append(
            _row(
                "backtest_ema_cross_1y_1m_vs_vectorbt",
                spark_s,
                "vectorbt",
                None,
                f"vectorbt not installed: {exc}",
            )
        )
    try:
        bt_s, stats = _timed(lambda: backtesting_run(bars), PEER_ROUNDS)
        rows.append(
            _row(
                "backtest_ema_cross_1y_1m_vs_backtesting_py",
                spark_s,
                "backtesting.py",
                bt_s,
                f"ratio = backtesting.py time / Spark time; backtesting.py "
                f"{stats['# Trades']} trades",
            )
        )
    except ImportError as exc:
        rows.append(
            _row(
                "backtest_ema_cross_1y_1m_vs_backtesting_py",
                spark_s,
                "backtesting.py",
                None,
                f"backtesting.py not installed: {exc}",
            )
        )
    return rows


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spark_site.settings")
    django.setup()
    for row in run():
        print(row)
