"""Trades and returns match backtesting.py (the peer) on the same data.

Conventions aligned for the comparison (and why the figures can still differ):
- both fill market orders at the next bar's open after the signal bar's close
  (backtesting.py with trade_on_close=False, the default);
- our `fee_rate` is backtesting.py's `commission` (charged on entry and on exit, on the
  filled value);
- our `slippage` moves EVERY fill against us; backtesting.py's `spread` only moves entry
  fills (a close fills at the raw open). The full comparisons run without slippage; a
  separate test checks that entries then agree and our exits are exactly (1 - slippage)
  times theirs;
- sizes are whole units (backtesting.py reads size >= 1 as units; we use fixed_qty), so no
  rounding of fractional equity sizes enters the comparison;
- a position still open at the end: we close it at the last bar's CLOSE, backtesting.py
  (finalize_trades=True) at the last bar's OPEN; that one trade is checked against each
  convention and the final equities must differ by exactly its PnL difference;
- the indicator arrays are ours in both (passed to backtesting.py through `self.I`), so the
  comparison tests the execution, not the indicator formulas (those have their own tests);
- backtesting.py calls `next()` only once every indicator is warm, we evaluate every bar but
  a NaN comparison is False: the same signals.
Tolerances: trade entry/exit bars identical, prices and PnL within 1e-9 relative, final
equity within 1e-9 relative. Sharpe/Sortino are NOT compared: backtesting.py computes them
from daily-resampled geometric returns, we from per-bar returns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest, Strategy

from strategies import engine, indicators
from strategies.documents import ema_cross, normalize

FEE, CASH, UNITS = 0.001, 100_000.0, 10


def make_bars(n=3000, seed=11):
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.concatenate(([100.0], close[:-1])) * (1 + rng.normal(0, 0.002, n))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.003, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.003, n)))
    t = 1_700_000_000_000 + np.arange(n, dtype=np.int64) * 3_600_000
    return {"time": t, "open": open_, "high": high, "low": low, "close": close}


def frame(bars):
    idx = pd.to_datetime(bars["time"], unit="ms")
    return pd.DataFrame(
        {
            "Open": bars["open"],
            "High": bars["high"],
            "Low": bars["low"],
            "Close": bars["close"],
            "Volume": np.ones(len(idx)),
        },
        index=idx,
    )


def crossed_above(a, b):
    return len(a) > 1 and a[-1] > b[-1] and a[-2] <= b[-2]


class EmaCross(Strategy):
    fast = 10
    slow = 30

    def init(self):
        self.f = self.I(indicators.ema, self.data.Close, self.fast)
        self.s = self.I(indicators.ema, self.data.Close, self.slow)

    def next(self):
        if not self.position and crossed_above(self.f, self.s):
            self.buy(size=UNITS)
        elif self.position and crossed_above(self.s, self.f):
            self.position.close()


class RsiRevert(Strategy):
    def init(self):
        self.r = self.I(indicators.rsi, self.data.Close, 14)

    def next(self):
        if not self.position and self.r[-1] < 30:
            self.buy(size=UNITS)
        elif self.position and self.r[-1] > 70:
            self.position.close()


def peer_run(strategy, bars, slippage=0.0):
    bt = Backtest(
        frame(bars),
        strategy,
        cash=CASH,
        commission=FEE,
        spread=slippage,
        finalize_trades=True,
        trade_on_close=False,
    )
    stats = bt.run()
    return stats, stats["_trades"]


def ours(doc, bars, slippage=0.0):
    cfg = engine.BacktestConfig(initial_cash=CASH, fee_rate=FEE, slippage=slippage)
    return engine.simulate(doc, bars, cfg)


def assert_same(result, stats, peer_trades, bars):
    assert len(result.trades) == len(peer_trades) > 5
    end_gap = 0.0
    for mine, (_, theirs) in zip(result.trades, peer_trades.iterrows(), strict=True):
        assert mine["entry_bar"] == theirs["EntryBar"]
        assert mine["qty"] == theirs["Size"]
        assert mine["entry_price"] == pytest.approx(theirs["EntryPrice"], rel=1e-9)
        if mine["exit_reason"] == "end":
            assert mine["exit_price"] == bars["close"][-1]
            assert theirs["ExitPrice"] == pytest.approx(bars["open"][-1], rel=1e-12)
            end_gap = mine["pnl"] - theirs["PnL"]
            continue
        assert mine["exit_bar"] == theirs["ExitBar"]
        assert mine["exit_price"] == pytest.approx(theirs["ExitPrice"], rel=1e-9)
        assert mine["pnl"] == pytest.approx(theirs["PnL"], rel=1e-9, abs=1e-9)
    final = result.metrics["final_equity"]
    assert final - end_gap == pytest.approx(stats["Equity Final [$]"], rel=1e-9)
    theirs_ret = stats["Return [%]"] + end_gap / CASH * 100
    assert result.metrics["total_return_pct"] == pytest.approx(theirs_ret, rel=1e-7)
    if end_gap == 0.0:
        assert result.metrics["win_rate_pct"] == pytest.approx(stats["Win Rate [%]"], rel=1e-9)


def test_ema_cross_matches_backtesting_py():
    bars = make_bars()
    stats, trades = peer_run(EmaCross, bars)
    result = ours(ema_cross(10, 30, position_size={"type": "fixed_qty", "value": UNITS}), bars)
    assert_same(result, stats, trades, bars)


def test_rsi_strategy_matches_backtesting_py():
    bars = make_bars(seed=12)
    stats, trades = peer_run(RsiRevert, bars)
    doc = normalize(
        {
            "indicators": [{"id": "rsi", "type": "RSI", "params": {"period": 14}}],
            "entry": [{"left": "rsi", "op": "<", "right": 30}],
            "exit": [{"left": "rsi", "op": ">", "right": 70}],
            "position_size": {"type": "fixed_qty", "value": UNITS},
        }
    )
    assert_same(ours(doc, bars), stats, trades, bars)


def test_slippage_matches_spread_on_entries_and_also_applies_to_exits():
    bars = make_bars(seed=13)
    slip = 0.0005
    _, trades = peer_run(EmaCross, bars, slippage=slip)
    doc = ema_cross(10, 30, position_size={"type": "fixed_qty", "value": UNITS})
    result = ours(doc, bars, slippage=slip)
    assert len(result.trades) == len(trades) > 5
    for mine, (_, theirs) in zip(result.trades, trades.iterrows(), strict=True):
        assert mine["entry_price"] == pytest.approx(theirs["EntryPrice"], rel=1e-9)
        assert mine["exit_price"] == pytest.approx(theirs["ExitPrice"] * (1 - slip), rel=1e-9)
