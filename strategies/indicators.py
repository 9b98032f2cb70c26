"""Technical indicators over NumPy float arrays, vectorized (no Python loop per bar).

Conventions (each value at index i uses only data up to and including bar i):
- warm-up values are NaN: an indicator of period n has its first value at index n - 1;
- EMA is seeded with the SMA of the first n values (TA-Lib / most charting tools), then
  y[i] = a * x[i] + (1 - a) * y[i - 1] with a = 2 / (n + 1);
- Wilder smoothing (RSI, ATR) is the same recursion with a = 1 / n, seeded the same way;
- Bollinger bands use the population standard deviation (ddof=0), like TA-Lib;
- Stochastic %K is the raw fast %K over n bars, %D its SMA over d bars.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

NAN = np.nan


def linear_recurrence(b: np.ndarray, w: float, y0: float = 0.0) -> np.ndarray:
    """Return y with y[i] = w * y[i - 1] + b[i] and y[-1] = y0, for 0 <= w < 1.

    Solved in blocks: inside a block y is a scaled cumulative sum (w**-j stays below 1e6 so
    no precision is lost), then one short Python loop carries the state across blocks.
    """
    b = np.asarray(b, dtype=np.float64)
    n = b.size
    if n == 0:
        return b.copy()
    if w <= 0.0:
        out = b.copy()
        return out
    if w >= 1.0:
        raise ValueError("decay must be below 1")
    block = max(1, min(4096, int(math.log(1e-6) / math.log(w))))
    nb = -(-n // block)
    padded = np.zeros(nb * block)
    padded[:n] = b
    blocks = padded.reshape(nb, block)
    j = np.arange(block, dtype=np.float64)
    up = w**-j  # <= 1e6
    down = w**j
    local = np.cumsum(blocks * up, axis=1) * down  # each block started from zero state
    # carry: state entering block k is s[k]; its contribution inside the block is s * w**(j+1)
    ends = local[:, -1]
    wl = w**block
    carry = np.empty(nb)
    s = y0
    for k in range(nb):  # one step per block (n / block iterations), not per bar
        carry[k] = s
        s = wl * s + ends[k]
    local += carry[:, None] * (down * w)[None, :]
    return local.reshape(-1)[:n]


def sma(x: np.ndarray, n: int) -> np.ndarray:
    """Simple moving average over n bars."""
    x = np.asarray(x, dtype=np.float64)
    out = np.full(x.size, NAN)
    if n <= 0 or x.size < n:
        return out
    base = x[0]
    # cumulative sums of the deviation from the first value keep the magnitudes small
    c = np.concatenate(([0.0], np.cumsum(x - base)))
    out[n - 1 :] = (c[n:] - c[:-n]) / n + base
    return out


def _smoothed(x: np.ndarray, n: int, alpha: float, start: int = 0) -> np.ndarray:
    """EMA-style recursion with the given alpha, seeded by the SMA of x[start:start+n]."""
    out = np.full(x.size, NAN)
    first = start + n - 1
    if n <= 0 or x.size <= first:
        return out
    seed = float(np.mean(x[start : first + 1]))
    rest = x[first + 1 :]
    out[first] = seed
    if rest.size:
        out[first + 1 :] = linear_recurrence(alpha * rest, 1.0 - alpha, seed)
    return out


def ema(x: np.ndarray, n: int) -> np.ndarray:
    """Exponential moving average (alpha = 2 / (n + 1)), SMA-seeded."""
    x = np.asarray(x, dtype=np.float64)
    return _smoothed(x, n, 2.0 / (n + 1))


def rsi(close: np.ndarray, n: int = 14) -> np.ndarray:
    """Wilder's RSI: averages of gains and losses smoothed with alpha = 1 / n."""
    close = np.asarray(close, dtype=np.float64)
    out = np.full(close.size, NAN)
    if close.size <= n:
        return out
    d = np.diff(close)
    gain = np.where(d > 0, d, 0.0)
    loss = np.where(d < 0, -d, 0.0)
    ag = _smoothed(gain, n, 1.0 / n)
    al = _smoothed(loss, n, 1.0 / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(al == 0, np.where(ag == 0, 50.0, 100.0), 100.0 - 100.0 / (1.0 + ag / al))
    out[1:] = r
    return out


def macd(
    close: np.ndarray, fast: int = 12, slow: int = 26, signal: int = 9
) -> dict[str, np.ndarray]:
    """MACD line (EMA fast - EMA slow), its signal EMA and the histogram."""
    close = np.asarray(close, dtype=np.float64)
    line = ema(close, fast) - ema(close, slow)
    sig = np.full(close.size, NAN)
    start = slow - 1
    if close.size > start:
        sig = _smoothed(line, signal, 2.0 / (signal + 1), start=start)
    return {"macd": line, "signal": sig, "hist": line - sig}


def _rolling_std(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(x.size, NAN)
    if x.size >= n:
        out[n - 1 :] = sliding_window_view(x, n).std(axis=1)
    return out


def bollinger(close: np.ndarray, n: int = 20, k: float = 2.0) -> dict[str, np.ndarray]:
    """Bollinger bands: SMA(n) and +/- k population standard deviations."""
    close = np.asarray(close, dtype=np.float64)
    mid = sma(close, n)
    sd = _rolling_std(close, n)
    return {"middle": mid, "upper": mid + k * sd, "lower": mid - k * sd}


def true_range(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    """True range; the first bar has no previous close, so it is high - low."""
    high, low, close = (np.asarray(a, dtype=np.float64) for a in (high, low, close))
    prev = np.concatenate(([NAN], close[:-1]))
    tr = np.fmax(high - low, np.fmax(np.abs(high - prev), np.abs(low - prev)))
    tr[0] = high[0] - low[0]
    return tr


def atr(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int = 14) -> np.ndarray:
    """Wilder's average true range, seeded with the mean of the first n true ranges."""
    return _smoothed(true_range(high, low, close), n, 1.0 / n)


def stochastic(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int = 14, d: int = 3
) -> dict[str, np.ndarray]:
    """Fast stochastic: %K = 100 * (close - lowest low) / (highest high - lowest low) over n."""
    high, low, close = (np.asarray(a, dtype=np.float64) for a in (high, low, close))
    k = np.full(close.size, NAN)
    if close.size >= n:
        hh = sliding_window_view(high, n).max(axis=1)
        ll = sliding_window_view(low, n).min(axis=1)
        rng = hh - ll
        with np.errstate(divide="ignore", invalid="ignore"):
            k[n - 1 :] = np.where(rng > 0, 100.0 * (close[n - 1 :] - ll) / rng, 50.0)
    dline = np.full(close.size, NAN)
    if close.size >= n + d - 1:
        dline[n - 1 :] = sma(k[n - 1 :], d)
    return {"k": k, "d": dline}


# name -> (function, which price arrays it takes, default params, output names)
REGISTRY: dict[str, dict] = {
    "SMA": {"inputs": ("close",), "params": {"period": 20}, "outputs": ("value",)},
    "EMA": {"inputs": ("close",), "params": {"period": 20}, "outputs": ("value",)},
    "RSI": {"inputs": ("close",), "params": {"period": 14}, "outputs": ("value",)},
    "MACD": {
        "inputs": ("close",),
        "params": {"fast": 12, "slow": 26, "signal": 9},
        "outputs": ("macd", "signal", "hist"),
    },
    "BB": {
        "inputs": ("close",),
        "params": {"period": 20, "std": 2.0},
        "outputs": ("middle", "upper", "lower"),
    },
    "ATR": {"inputs": ("high", "low", "close"), "params": {"period": 14}, "outputs": ("value",)},
    "STOCH": {
        "inputs": ("high", "low", "close"),
        "params": {"period": 14, "d": 3},
        "outputs": ("k", "d"),
    },
}
ALIASES = {"BOLLINGER": "BB", "BBANDS": "BB", "STOCHASTIC": "STOCH"}


def compute(kind: str, params: dict, bars: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Compute one indicator by name; return its outputs by name ("value" if single)."""
    kind = ALIASES.get(kind.upper(), kind.upper())
    if kind not in REGISTRY:
        raise ValueError(f"unknown indicator {kind!r}")
    p = {**REGISTRY[kind]["params"], **(params or {})}
    c = bars["close"]
    if kind == "SMA":
        return {"value": sma(c, int(p["period"]))}
    if kind == "EMA":
        return {"value": ema(c, int(p["period"]))}
    if kind == "RSI":
        return {"value": rsi(c, int(p["period"]))}
    if kind == "MACD":
        return macd(c, int(p["fast"]), int(p["slow"]), int(p["signal"]))
    if kind == "BB":
        return bollinger(c, int(p["period"]), float(p["std"]))
    if kind == "ATR":
        return {"value": atr(bars["high"], bars["low"], c, int(p["period"]))}
    return stochastic(bars["high"], bars["low"], c, int(p["period"]), int(p["d"]))
