"""Each indicator against values computed by hand on small series."""

from __future__ import annotations

import numpy as np
import pytest

from strategies import indicators as ind

X = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])


def test_sma_averages_the_last_n_values():
    out = ind.sma(X, 3)
    assert np.isnan(out[:2]).all()
    assert out[2:].tolist() == pytest.approx([2.0, 3.0, 4.0, 5.0])


def test_ema_is_seeded_with_the_sma_then_recursive():
    # n = 3: alpha = 0.5; seed = mean(1, 2, 3) = 2; then 0.5*4 + 0.5*2 = 3; 0.5*5 + 1.5 = 4 ...
    out = ind.ema(np.array([1.0, 2.0, 3.0, 4.0, 10.0, 0.0]), 3)
    assert np.isnan(out[:2]).all()
    assert out[2:].tolist() == pytest.approx([2.0, 3.0, 6.5, 3.25])


def test_ema_matches_a_plain_loop_on_a_long_series():
    rng = np.random.default_rng(7)
    x = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 20_000)))
    for n in (2, 9, 50, 200):
        a = 2 / (n + 1)
        s = x[:n].mean()
        expected = [s]
        for v in x[n:]:
            s = a * v + (1 - a) * s
            expected.append(s)
        got = ind.ema(x, n)[n - 1 :]
        assert np.allclose(got, expected, rtol=1e-12, atol=0)


def test_rsi_uses_wilder_smoothing():
    # diffs: +1, +1, -1, +2, -2 ; n = 2
    close = np.array([10.0, 11.0, 12.0, 11.0, 13.0, 11.0])
    out = ind.rsi(close, 2)
    # first averages over diffs 1..2: gain 1, loss 0 -> RSI 100 at index 2
    # index 3: gain = (1*1 + 0)/2 = 0.5, loss = (0 + 1)/2 = 0.5 -> 50
    # index 4: gain = (0.5 + 2)/2 = 1.25, loss = 0.25 -> 100 - 100/(1+5) = 83.333
    # index 5: gain = 0.625, loss = (0.25 + 2)/2 = 1.125 -> 100 - 100/(1+0.5556) = 35.714
    assert np.isnan(out[:2]).all()
    assert out[2:].tolist() == pytest.approx([100.0, 50.0, 83.3333333, 35.7142857])


def test_macd_is_the_difference_of_two_emas_with_a_signal_ema():
    close = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 7.0, 9.0])
    out = ind.macd(close, fast=2, slow=3, signal=2)
    fast, slow = ind.ema(close, 2), ind.ema(close, 3)
    assert np.allclose(out["macd"][2:], (fast - slow)[2:])
    # the line from index 2: 2.5-2, 3.5-3, 4.5-4, then fast 6.1667 - slow 6 ...
    line = out["macd"]
    assert line[2:5].tolist() == pytest.approx([0.5, 0.5, 0.5])
    # signal (n = 2) seeded with mean(line[2], line[3]) = 0.5 at index 3
    assert out["signal"][3] == pytest.approx(0.5)
    assert out["signal"][4] == pytest.approx(2 / 3 * 0.5 + 1 / 3 * 0.5)
    assert np.isnan(out["signal"][:3]).all()
    assert np.allclose(out["hist"][3:], (out["macd"] - out["signal"])[3:])


def test_bollinger_bands_use_population_std():
    close = np.array([2.0, 4.0, 6.0, 8.0])
    out = ind.bollinger(close, 3, 2.0)
    # window (2,4,6): mean 4, population std sqrt(8/3) = 1.63299
    assert out["middle"][2] == pytest.approx(4.0)
    assert out["upper"][2] == pytest.approx(4.0 + 2 * 1.6329932)
    assert out["lower"][3] == pytest.approx(6.0 - 2 * 1.6329932)


def test_atr_is_wilder_smoothed_true_range():
    high = np.array([10.0, 12.0, 13.0, 12.0])
    low = np.array([8.0, 9.0, 11.0, 9.0])
    close = np.array([9.0, 11.0, 12.0, 10.0])
    # TR: 2 (first bar H-L), max(3, 3, 0) = 3, max(2, 2, 0) = 2, max(3, 0, 3) = 3
    assert ind.true_range(high, low, close).tolist() == [2.0, 3.0, 2.0, 3.0]
    out = ind.atr(high, low, close, 2)
    # seed mean(2, 3) = 2.5 at index 1; (2.5*1 + 2)/2 = 2.25; (2.25 + 3)/2 = 2.625
    assert np.isnan(out[0])
    assert out[1:].tolist() == pytest.approx([2.5, 2.25, 2.625])


def test_stochastic_k_and_d():
    high = np.array([10.0, 11.0, 12.0, 13.0])
    low = np.array([8.0, 9.0, 10.0, 9.0])
    close = np.array([9.0, 10.0, 11.0, 12.0])
    out = ind.stochastic(high, low, close, n=2, d=2)
    # %K[1] = (10 - 8)/(11 - 8) = 66.67; [2] = (11 - 9)/(12 - 9) = 66.67; [3] = (12-9)/(13-9)=75
    assert np.isnan(out["k"][0])
    assert out["k"][1:].tolist() == pytest.approx([66.666667, 66.666667, 75.0])
    assert np.isnan(out["d"][:2]).all()
    assert out["d"][2:].tolist() == pytest.approx([66.666667, 70.833333])


def test_indicator_values_never_depend_on_later_bars():
    rng = np.random.default_rng(3)
    c = 100 + np.cumsum(rng.normal(0, 1, 500))
    h, lo = c + 1, c - 1
    bars = {"open": c, "high": h, "low": lo, "close": c}
    cut = {k: v[:300] for k, v in bars.items()}
    for kind in ind.REGISTRY:
        full = ind.compute(kind, {}, bars)
        part = ind.compute(kind, {}, cut)
        for name in full:
            assert np.allclose(full[name][:300], part[name], equal_nan=True), (kind, name)
