"""The engine's execution conventions, risk limits, metrics and look-ahead detection."""

from __future__ import annotations

import numpy as np
import pytest

from strategies import engine
from strategies.documents import ema_cross, normalize

HOUR = 3_600_000


def bars_from(closes, opens=None, highs=None, lows=None, start=0, step=HOUR):
    c = np.asarray(closes, dtype=float)
    o = np.asarray(opens if opens is not None else np.concatenate(([c[0]], c[:-1])), float)
    h = np.asarray(highs if highs is not None else np.maximum(o, c), float)
    lo = np.asarray(lows if lows is not None else np.minimum(o, c), float)
    t = start + np.arange(c.size, dtype=np.int64) * step
    return {"time": t, "open": o, "high": h, "low": lo, "close": c}


def threshold_doc(**extra):
    """Enter when close > 10, exit when close < 10: easy to reason about by hand."""
    return normalize(
        {
            "indicators": [],
            "entry": {"rules": [{"left": "close", "op": ">", "right": 10}]},
            "exit": {"rules": [{"left": "close", "op": "<", "right": 10}]},
            "position_size": {"type": "fixed_qty", "value": 1},
            **extra,
        }
    )


def no_costs(**kw):
    return engine.BacktestConfig(initial_cash=1000, fee_rate=0, slippage=0, **kw)


def test_it_fills_a_signal_on_the_next_bars_open():
    closes = [9, 11, 12, 9, 8]
    opens = [9, 9.5, 11.5, 12.5, 8.5]
    r = engine.simulate(threshold_doc(), bars_from(closes, opens), no_costs())
    # signal on bar 1's close -> buy at bar 2's open 11.5; exit signal bar 3 -> sell at 8.5
    assert len(r.trades) == 1
    t = r.trades[0]
    assert (t["entry_bar"], t["exit_bar"]) == (2, 4)
    assert (t["entry_price"], t["exit_price"]) == (11.5, 8.5)
    assert t["pnl"] == pytest.approx(-3.0)
    assert r.equity.tolist() == pytest.approx([1000, 1000, 1000.5, 997.5, 997])


def test_it_charges_fees_and_slippage_on_both_sides():
    closes = [9, 11, 12, 9, 8]
    opens = [9, 9.5, 11.5, 12.5, 8.5]
    cfg = engine.BacktestConfig(initial_cash=1000, fee_rate=0.001, slippage=0.01)
    t = engine.simulate(threshold_doc(), bars_from(closes, opens), cfg).trades[0]
    assert t["entry_price"] == pytest.approx(11.5 * 1.01)
    assert t["exit_price"] == pytest.approx(8.5 * 0.99)
    fees = 0.001 * (11.5 * 1.01 + 8.5 * 0.99)
    assert t["fees"] == pytest.approx(fees)
    assert t["pnl"] == pytest.approx(8.5 * 0.99 - 11.5 * 1.01 - fees)


def test_it_closes_an_open_position_at_the_end():
    r = engine.simulate(threshold_doc(), bars_from([9, 11, 12, 13]), no_costs())
    assert r.trades[-1]["exit_reason"] == "end"
    assert r.trades[-1]["exit_price"] == 13


def test_stop_loss_fills_at_the_level_or_the_gapped_open():
    # entry at open of bar 2 (10.5); stop 10% -> 9.45; bar 3 low 9.0 touches it
    closes = [9, 11, 11, 10, 10.5]
    opens = [9, 9, 10.5, 10.8, 10]
    lows = [9, 9, 10.4, 9.0, 10]
    highs = [9, 11, 11, 10.8, 10.5]
    r = engine.simulate(
        threshold_doc(stop_loss_pct=10), bars_from(closes, opens, highs, lows), no_costs()
    )
    t = r.trades[0]
    assert (t["exit_reason"], t["exit_bar"]) == ("stop_loss", 3)
    assert t["exit_price"] == pytest.approx(10.5 * 0.9)
    # the same stop when bar 3 opens below it: filled at that open
    opens_gap = [9, 9, 10.5, 9.0, 10]
    r = engine.simulate(
        threshold_doc(stop_loss_pct=10), bars_from(closes, opens_gap, highs, lows), no_costs()
    )
    assert r.trades[0]["exit_price"] == 9.0


def test_take_profit_closes_a_short_position():
    closes = [11, 9, 9, 8, 9.5]
    opens = [11, 11, 9, 9, 8]
    lows = [11, 9, 8.9, 7.5, 8]
    doc = normalize(
        {
            "side": "short",
            "indicators": [],
            "entry": [{"left": "close", "op": "<", "right": 10}],
            "exit": [{"left": "close", "op": ">", "right": 10}],
            "take_profit_pct": 10,
            "position_size": {"type": "fixed_qty", "value": 2},
        }
    )
    r = engine.simulate(doc, bars_from(closes, opens, lows=lows), no_costs())
    t = r.trades[0]
    assert (t["side"], t["exit_reason"], t["entry_price"]) == ("short", "take_profit", 9)
    assert t["exit_price"] == pytest.approx(8.1)
    assert t["pnl"] == pytest.approx(2 * 0.9)


def test_it_caps_quantity_by_max_notional_and_max_qty():
    doc = threshold_doc(position_size={"type": "fixed_qty", "value": 5})
    b = bars_from([9, 11, 12, 9, 8], [9, 9.5, 10, 12.5, 8.5])
    assert engine.simulate(doc, b, no_costs(max_notional=25)).trades[0]["qty"] == 2.5
    assert engine.simulate(doc, b, no_costs(max_qty=1.5)).trades[0]["qty"] == 1.5


def test_daily_loss_stop_blocks_new_entries_until_the_next_utc_day():
    # hourly bars, two days; closes alternate 11 / 9, so every bar flips the signal, and the
    # opens are 11 where a trade enters and 9 where it leaves: each trade loses 2
    closes = [11, 9] * 24
    opens = [10] + [11, 9] * 23 + [11]
    b = bars_from(closes, opens, step=HOUR)
    doc = threshold_doc()
    free = engine.simulate(doc, b, no_costs())
    stopped = engine.simulate(doc, b, no_costs(daily_loss_limit=3))
    assert len(free.trades) == 24
    # day 1: two losing trades (-2, -2) reach the limit; day 2 the same
    days = [t["entry_time"] // 86_400_000 for t in stopped.trades]
    assert days.count(0) == 2 and days.count(1) == 2
    assert stopped.metrics["net_pnl"] > free.metrics["net_pnl"]


def test_percent_equity_sizing_compounds():
    doc = threshold_doc(position_size={"type": "percent_equity", "value": 50})
    r = engine.simulate(doc, bars_from([9, 11, 12, 9, 11, 12, 9]), no_costs())
    first, second = r.trades[0], r.trades[1]
    assert first["qty"] == pytest.approx(1000 * 0.5 / 11)
    assert second["qty"] == pytest.approx((1000 + first["pnl"]) * 0.5 / 11)


def test_metrics_describe_the_equity_curve():
    r = engine.simulate(threshold_doc(), bars_from([9, 11, 12, 9, 11, 13, 9]), no_costs())
    m = r.metrics
    # trades: 11->12 (+1)... entries at opens 11 (bar 2) and 11 (bar 5)
    pnls = [t["pnl"] for t in r.trades]
    assert m["trades"] == 2
    assert m["win_rate_pct"] == pytest.approx(100 * sum(p > 0 for p in pnls) / 2)
    assert m["total_return_pct"] == pytest.approx(sum(pnls) / 1000 * 100)
    peak = np.maximum.accumulate(np.concatenate(([1000], r.equity)))[1:]
    assert m["max_drawdown_pct"] == pytest.approx(np.max(1 - r.equity / peak) * 100)
    assert m["exposure_pct"] == pytest.approx(100 * np.count_nonzero(r.position) / 7)
    assert m["sharpe"] is not None and m["sortino"] is not None


def test_a_document_with_no_look_ahead_passes_the_detector():
    rng = np.random.default_rng(5)
    b = bars_from(100 + np.cumsum(rng.normal(0, 1, 800)))
    assert engine.find_lookahead(engine.document_signals(ema_cross(5, 20)), b) == []


def test_a_strategy_that_peeks_at_the_next_bar_is_caught():
    rng = np.random.default_rng(5)
    b = bars_from(100 + np.cumsum(rng.normal(0, 1, 800)))

    def peeking(bars):
        c = bars["close"]
        nxt = np.concatenate((c[1:], [np.nan]))  # tomorrow's close: look-ahead
        with np.errstate(invalid="ignore"):
            return nxt > c, nxt < c

    found = engine.find_lookahead(peeking, b)
    assert found, "look-ahead not detected"
    assert all(f["first_bar"] == f["cut"] - 1 for f in found)


def test_a_centred_moving_average_is_caught_as_look_ahead():
    rng = np.random.default_rng(9)
    b = bars_from(100 + np.cumsum(rng.normal(0, 1, 600)))

    def centred(bars):
        c = bars["close"]
        m = np.convolve(c, np.ones(5) / 5, mode="same")  # uses two bars on each side
        return c > m, c < m

    assert engine.find_lookahead(centred, b)


@pytest.mark.parametrize(
    "size,side,limits",
    [
        ({"type": "fixed_qty", "value": 3}, "long", {}),
        ({"type": "fixed_notional", "value": 500}, "short", {"max_qty": 4.0}),
        ({"type": "percent_equity", "value": 40}, "long", {"max_notional": 350}),
        ({"type": "percent_equity", "value": 90}, "short", {}),
    ],
)
def test_the_array_path_gives_the_same_trades_as_the_trade_loop(size, side, limits):
    rng = np.random.default_rng(21)
    n = 3000
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    b = bars_from(closes)
    entry = rng.random(n) < 0.05
    exit_ = rng.random(n) < 0.05
    entry[-1] = True  # a signal on the last bar cannot fill
    doc = threshold_doc(position_size=size, side=side)
    cfg = engine.BacktestConfig(initial_cash=1000, fee_rate=0.001, slippage=0.0005, **limits)
    fast = engine.simulate(doc, b, cfg, entry=entry, exit_=exit_)
    loop = engine.simulate(doc, b, cfg, entry=entry, exit_=exit_, _force_loop=True)
    assert len(fast.trades) == len(loop.trades) > 50
    for a, c in zip(fast.trades, loop.trades, strict=True):
        assert a.keys() == c.keys()
        for key in a:
            if isinstance(a[key], str):
                assert a[key] == c[key], key
            else:
                assert a[key] == pytest.approx(c[key], rel=1e-9), key
    assert np.allclose(fast.equity, loop.equity, rtol=1e-12)
    assert fast.metrics == pytest.approx(loop.metrics, rel=1e-9)
