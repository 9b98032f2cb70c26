"""The backtest engine: a strategy document (plain dict) + OHLC arrays -> trades, equity, metrics.

Conventions (the peer test against backtesting.py relies on them):
- A rule is evaluated on the CLOSE of bar i with data up to bar i only; the order it causes
  fills at the OPEN of bar i + 1 (never on bar i itself: that would be look-ahead).
- Market fills pay slippage against us: a buy fills at open * (1 + slippage), a sell at
  open * (1 - slippage) (backtesting.py's `spread`). Fees are fee_rate * fill price * qty on
  each side (backtesting.py's `commission`).
- One position at a time, in the document's direction ("long" or "short"). While flat an entry
  signal opens a position unless the exit rule fires on the same bar; while in a position entry
  signals are ignored and the exit rule closes it.
- Stop-loss / take-profit are resting orders from the entry bar on, checked against each
  bar's low/high; a bar that gaps through the level fills at its open; if both levels lie in
  one bar the stop-loss is assumed first (the pessimistic reading of an OHLC bar).
- Risk limits: quantity = the document's position size, cut to max_qty and to
  max_notional / price; after the UTC day's realized loss reaches daily_loss_limit no new
  position opens until the next UTC day (an open position keeps its exits).
- A position still open on the last bar is closed at that bar's close (reason "end").
- Simulation walks from trade to trade: the next entry is found with a precomputed
  "next signal at or after i" index, the exit with the next exit signal and a scan of the
  bars in between for the stop levels. That is the bar-by-bar state machine without a Python
  step per bar, so a year of minutes takes milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from strategies import indicators
from strategies.documents import normalize

DAY_MS = 86_400_000
YEAR_MS = 365 * DAY_MS


@dataclass
class BacktestConfig:
    initial_cash: float = 10_000.0
    fee_rate: float = 0.0004  # Binance USD-M taker fee
    slippage: float = 0.0002
    max_notional: float | None = None
    max_qty: float | None = None
    daily_loss_limit: float | None = None


@dataclass
class BacktestResult:
    trades: list[dict]
    equity: np.ndarray
    position: np.ndarray
    metrics: dict
    times: np.ndarray
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- signals


def _operand(value, series: dict[str, np.ndarray], n: int) -> np.ndarray:
    if isinstance(value, bool):
        raise ValueError("a rule operand cannot be a boolean")
    if isinstance(value, int | float):
        return np.full(n, float(value))
    if isinstance(value, str):
        try:
            return np.full(n, float(value))
        except ValueError:
            pass
        key = value.lower()
        if key in series:
            return series[key]
        raise ValueError(f"unknown operand {value!r}; known: {', '.join(sorted(series))}")
    raise ValueError(f"bad operand {value!r}")


def _condition(rule: dict, series: dict[str, np.ndarray], n: int) -> np.ndarray:
    left = _operand(rule["left"], series, n)
    right = _operand(rule["right"], series, n)
    op = rule["op"]
    with np.errstate(invalid="ignore"):
        if op in (">", "gt"):
            out = left > right
        elif op in ("<", "lt"):
            out = left < right
        elif op in (">=", "gte"):
            out = left >= right
        elif op in ("<=", "lte"):
            out = left <= right
        elif op in ("crosses_above", "cross_above"):
            out = np.zeros(n, dtype=bool)
            out[1:] = (left[1:] > right[1:]) & (left[:-1] <= right[:-1])
        elif op in ("crosses_below", "cross_below"):
            out = np.zeros(n, dtype=bool)
            out[1:] = (left[1:] < right[1:]) & (left[:-1] >= right[:-1])
        else:
            raise ValueError(f"unknown operator {op!r}")
    return out  # comparisons with NaN (warm-up) are False


def _combine(block: dict, series: dict[str, np.ndarray], n: int) -> np.ndarray:
    rules = block.get("rules") or []
    if not rules:
        return np.zeros(n, dtype=bool)
    conds = [_condition(r, series, n) for r in rules]
    if block.get("logic", "all") == "any":
        return np.logical_or.reduce(conds)
    return np.logical_and.reduce(conds)


def compute_series(doc: dict, bars: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Price columns and every indicator output by name ("fast", "macd.signal", "bb.upper")."""
    series = {k: np.asarray(bars[k], dtype=np.float64) for k in ("open", "high", "low", "close")}
    if "volume" in bars:
        series["volume"] = np.asarray(bars["volume"], dtype=np.float64)
    for ind in doc["indicators"]:
        outs = indicators.compute(ind["type"], ind.get("params") or {}, series)
        name = ind["id"].lower()
        for out_name, arr in outs.items():
            series[f"{name}.{out_name}"] = arr
        first = next(iter(outs.values()))
        series[name] = outs.get("value", first)
    return series


def signals(doc: dict, bars: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Return (entry, exit) booleans per bar, each known at that bar's close."""
    n = len(bars["close"])
    series = compute_series(doc, bars)
    return _combine(doc["entry"], series, n), _combine(doc["exit"], series, n)


def _next_true(mask: np.ndarray) -> np.ndarray:
    """nxt[i] = smallest j >= i with mask[j], or len(mask); one extra slot for i = len."""
    n = mask.size
    idx = np.where(mask, np.arange(n), n)
    out = np.empty(n + 1, dtype=np.int64)
    out[n] = n
    out[:n] = np.minimum.accumulate(idx[::-1])[::-1]
    return out


# ---------------------------------------------------------------- simulation


def _quantity(doc: dict, cfg: BacktestConfig, equity: float, price: float) -> float:
    size = doc["position_size"]
    kind, value = size["type"], float(size["value"])
    if kind == "fixed_qty":
        qty = value
    elif kind == "fixed_notional":
        qty = value / price
    else:  # percent_equity
        qty = equity * value / 100.0 / price
    if cfg.max_qty is not None:
        qty = min(qty, cfg.max_qty)
    if cfg.max_notional is not None:
        qty = min(qty, cfg.max_notional / price)
    return max(qty, 0.0)


def simulate(
    doc: dict,
    bars: dict[str, np.ndarray],
    cfg: BacktestConfig | None = None,
    entry: np.ndarray | None = None,
    exit_: np.ndarray | None = None,
    _force_loop: bool = False,
) -> BacktestResult:
    """Run the document over bars (arrays time/open/high/low/close); see the module notes."""
    cfg = cfg or BacktestConfig()
    doc = normalize(doc)
    times = np.asarray(bars["time"], dtype=np.int64)
    o = np.asarray(bars["open"], dtype=np.float64)
    h = np.asarray(bars["high"], dtype=np.float64)
    lo = np.asarray(bars["low"], dtype=np.float64)
    c = np.asarray(bars["close"], dtype=np.float64)
    n = c.size
    if entry is None or exit_ is None:
        entry, exit_ = signals(doc, bars)
    direction = -1.0 if doc.get("side") == "short" else 1.0
    sl_pct = doc.get("stop_loss_pct")
    tp_pct = doc.get("take_profit_pct")
    slip, fee = cfg.slippage, cfg.fee_rate

    if not (sl_pct or tp_pct) and cfg.daily_loss_limit is None and not _force_loop:
        return _simulate_signals_only(doc, cfg, times, o, c, entry, exit_, direction)

    next_entry = _next_true(entry & ~exit_)
    next_exit = _next_true(exit_)
    day = times // DAY_MS
    day_loss_limit = cfg.daily_loss_limit

    qty_delta = np.zeros(n + 1)
    basis_delta = np.zeros(n + 1)
    cash_delta = np.zeros(n + 1)
    trades: list[dict] = []
    cash = cfg.initial_cash
    day_pnl: dict[int, float] = {}
    i = 0
    while n > 1:
        k = int(next_entry[i])
        if k >= n - 1:  # no signal, or a signal on the last bar that can no longer fill
            break
        j = k + 1
        if day_loss_limit is not None and day_pnl.get(int(day[j]), 0.0) <= -day_loss_limit:
            # the day's loss stop is hit: skip to the first bar of the next UTC day
            i = int(np.searchsorted(day, day[j] + 1))
            continue
        entry_px = o[j] * (1.0 + direction * slip)
        qty = _quantity(doc, cfg, cash, entry_px)
        if qty <= 0:
            i = j
            continue
        entry_fee = entry_px * qty * fee
        x = int(next_exit[j])  # the exit signal fires on the close of bar x
        last = min(x, n - 1)
        reason, exit_bar, exit_px = None, None, None
        if sl_pct or tp_pct:
            sl = entry_px * (1 - direction * sl_pct / 100.0) if sl_pct else None
            tp = entry_px * (1 + direction * tp_pct / 100.0) if tp_pct else None
            seg_h, seg_l, seg_o = h[j : last + 1], lo[j : last + 1], o[j : last + 1]
            if direction > 0:
                hit_sl = seg_l <= sl if sl is not None else np.zeros(seg_l.size, dtype=bool)
                hit_tp = seg_h >= tp if tp is not None else np.zeros(seg_h.size, dtype=bool)
            else:
                hit_sl = seg_h >= sl if sl is not None else np.zeros(seg_h.size, dtype=bool)
                hit_tp = seg_l <= tp if tp is not None else np.zeros(seg_l.size, dtype=bool)
            hit = hit_sl | hit_tp
            if hit.any():
                s = int(np.argmax(hit))
                exit_bar = j + s
                if hit_sl[s]:
                    level, reason = sl, "stop_loss"
                    gapped = (seg_o[s] - sl) * direction < 0 if s > 0 else False
                else:
                    level, reason = tp, "take_profit"
                    gapped = (seg_o[s] - tp) * direction > 0 if s > 0 else False
                raw = seg_o[s] if gapped else level
                exit_px = raw * (1.0 - direction * slip)
        if exit_bar is None:
            if x + 1 < n:
                exit_bar, reason = x + 1, "signal"
                exit_px = o[exit_bar] * (1.0 - direction * slip)
            else:
                exit_bar, reason = n - 1, "end"
                exit_px = c[n - 1] * (1.0 - direction * slip)
        exit_fee = exit_px * qty * fee
        gross = direction * qty * (exit_px - entry_px)
        pnl = gross - entry_fee - exit_fee
        cash_delta[j] -= entry_fee
        cash_delta[exit_bar] += gross - exit_fee
        # mark-to-market: equity = cash + q * close - basis, with q signed
        qty_delta[j] += direction * qty
        qty_delta[exit_bar] -= direction * qty
        basis_delta[j] += direction * qty * entry_px
        basis_delta[exit_bar] -= direction * qty * entry_px
        cash += pnl
        d = int(day[exit_bar])
        day_pnl[d] = day_pnl.get(d, 0.0) + pnl
        trades.append(
            {
                "side": "long" if direction > 0 else "short",
                "entry_bar": j,
                "exit_bar": exit_bar,
                "entry_time": int(times[j]),
                "exit_time": int(times[exit_bar]),
                "qty": qty,
                "entry_price": entry_px,
                "exit_price": exit_px,
                "fees": entry_fee + exit_fee,
                "pnl": pnl,
                "return_pct": pnl / (entry_px * qty) * 100.0,
                "exit_reason": reason,
            }
        )
        # after a signal exit the next entry can come from the exit bar's own close; after an
        # intrabar stop too (the close of that bar is still ahead of the stop fill)
        i = exit_bar
    return _finish(cfg, trades, times, c, qty_delta, basis_delta, cash_delta)


def _simulate_signals_only(doc, cfg, times, o, c, entry, exit_, direction) -> BacktestResult:
    """The same state machine when only the rules move the position (no stops, no daily stop).

    Then "the last signal wins": after bar i's close the strategy is in a position exactly
    when the latest bar at or before i with a signal had an entry (and no exit) signal. Entry
    and exit bars follow from that state with array operations; only the compounding size of
    percent-of-equity strategies needs a (cheap) loop over trades.
    """
    n = c.size
    ev = np.where(exit_, -1, np.where(entry, 1, 0)).astype(np.int8)
    idx = np.where(ev != 0, np.arange(n), -1)
    last = np.maximum.accumulate(idx)
    state = np.where(last >= 0, ev[np.maximum(last, 0)], -1) == 1  # in position after close i
    prev = np.concatenate(([False], state[:-1]))
    opens = np.flatnonzero(state & ~prev)  # order at the close of these bars
    closes = np.flatnonzero(~state & prev)
    opens = opens[opens < n - 1]  # a signal on the last bar can no longer fill
    k = opens.size
    ent = opens + 1
    # the matching exit signal of each entry is the first close-transition after it
    pos = np.searchsorted(closes, ent)
    if closes.size:
        xsig = np.where(pos < closes.size, closes[np.minimum(pos, closes.size - 1)], n)
    else:
        xsig = np.full(k, n)
    ext = np.where(xsig + 1 < n, xsig + 1, n - 1)
    by_signal = xsig + 1 < n
    slip, fee = cfg.slippage, cfg.fee_rate
    entry_px = o[ent] * (1.0 + direction * slip)
    raw_exit = np.where(by_signal, o[np.minimum(ext, n - 1)], c[n - 1])
    exit_px = raw_exit * (1.0 - direction * slip)
    size = doc["position_size"]
    kind, value = size["type"], float(size["value"])
    if kind == "percent_equity":
        qty = np.empty(k)
        cash = cfg.initial_cash
        ep, xp = entry_px.tolist(), exit_px.tolist()
        for t in range(k):  # compounding: each size depends on the equity the last trade left
            q = cash * value / 100.0 / ep[t]
            if cfg.max_qty is not None:
                q = min(q, cfg.max_qty)
            if cfg.max_notional is not None:
                q = min(q, cfg.max_notional / ep[t])
            q = max(q, 0.0)
            qty[t] = q
            cash += direction * q * (xp[t] - ep[t]) - (ep[t] + xp[t]) * q * fee
    else:
        qty = np.full(k, value) if kind == "fixed_qty" else value / entry_px
        if cfg.max_qty is not None:
            qty = np.minimum(qty, cfg.max_qty)
        if cfg.max_notional is not None:
            qty = np.minimum(qty, cfg.max_notional / entry_px)
        qty = np.maximum(qty, 0.0)
    keep = qty > 0
    if not keep.all():
        ent, ext, by_signal = ent[keep], ext[keep], by_signal[keep]
        entry_px, exit_px, qty = entry_px[keep], exit_px[keep], qty[keep]
    entry_fee = entry_px * qty * fee
    exit_fee = exit_px * qty * fee
    gross = direction * qty * (exit_px - entry_px)
    pnl = gross - entry_fee - exit_fee
    qty_delta = np.zeros(n + 1)
    basis_delta = np.zeros(n + 1)
    cash_delta = np.zeros(n + 1)
    np.add.at(cash_delta, ent, -entry_fee)
    np.add.at(cash_delta, ext, gross - exit_fee)
    np.add.at(qty_delta, ent, direction * qty)
    np.add.at(qty_delta, ext, -direction * qty)
    np.add.at(basis_delta, ent, direction * qty * entry_px)
    np.add.at(basis_delta, ext, -direction * qty * entry_px)
    side = "long" if direction > 0 else "short"
    trades = [
        {
            "side": side,
            "entry_bar": a,
            "exit_bar": b,
            "entry_time": ta,
            "exit_time": tb,
            "qty": q,
            "entry_price": pa,
            "exit_price": pb,
            "fees": f,
            "pnl": p,
            "return_pct": p / (pa * q) * 100.0,
            "exit_reason": "signal" if sig else "end",
        }
        for a, b, ta, tb, q, pa, pb, f, p, sig in zip(
            ent.tolist(),
            ext.tolist(),
            times[ent].tolist(),
            times[ext].tolist(),
            qty.tolist(),
            entry_px.tolist(),
            exit_px.tolist(),
            (entry_fee + exit_fee).tolist(),
            pnl.tolist(),
            by_signal.tolist(),
            strict=True,
        )
    ]
    return _finish(cfg, trades, times, c, qty_delta, basis_delta, cash_delta, pnl)


def _finish(cfg, trades, times, c, qty_delta, basis_delta, cash_delta, pnl=None):
    n = c.size
    pos = np.cumsum(qty_delta[:n])
    # equity = cash + q * close - basis, built in place (a year of minutes: avoid temporaries)
    equity = np.cumsum(cash_delta[:n])
    equity += cfg.initial_cash
    tmp = np.multiply(pos, c)
    equity += tmp
    equity -= np.cumsum(basis_delta[:n], out=tmp)
    # a position exited on its bar is flat at that bar's close: remove float dust
    np.abs(pos, out=tmp)
    pos[tmp < 1e-12] = 0.0
    metrics = compute_metrics(trades, equity, pos, times, cfg.initial_cash, pnl)
    return BacktestResult(trades=trades, equity=equity, position=pos, metrics=metrics, times=times)


# ---------------------------------------------------------------- metrics


def _f(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def compute_metrics(
    trades: list[dict],
    equity: np.ndarray,
    pos: np.ndarray,
    times: np.ndarray,
    initial: float,
    pnls: np.ndarray | None = None,
) -> dict:
    """Return the summary figures (floats; None where undefined)."""
    n = equity.size
    out: dict = {"bars": int(n), "trades": len(trades)}
    if n == 0:
        return out
    final = float(equity[-1])
    out["final_equity"] = final
    out["total_return_pct"] = (final / initial - 1.0) * 100.0
    span = float(times[-1] - times[0]) if n > 1 else 0.0
    step = float(np.median(np.diff(times))) if n > 1 else 0.0
    span += step  # the last bar counts as a full bar
    years = span / YEAR_MS if span > 0 else 0.0
    if years > 0 and final > 0:
        out["cagr_pct"] = _f(((final / initial) ** (1.0 / years) - 1.0) * 100.0)
    else:
        out["cagr_pct"] = None
    peak = np.maximum.accumulate(np.concatenate(([initial], equity)))[1:]
    out["max_drawdown_pct"] = float(np.max(1.0 - equity / peak) * 100.0)
    rets = np.diff(np.concatenate(([initial], equity))) / np.concatenate(([initial], equity[:-1]))
    per_year = YEAR_MS / step if step > 0 else 0.0
    sd = float(np.std(rets, ddof=1)) if rets.size > 1 else 0.0
    mean = float(np.mean(rets)) if rets.size else 0.0
    out["sharpe"] = _f(mean / sd * math.sqrt(per_year)) if sd > 0 else None
    downside = float(np.sqrt(np.mean(np.minimum(rets, 0.0) ** 2))) if rets.size else 0.0
    out["sortino"] = _f(mean / downside * math.sqrt(per_year)) if downside > 0 else None
    if pnls is None:
        pnls = np.array([t["pnl"] for t in trades], dtype=np.float64)
    wins = pnls[pnls > 0]
    losses = pnls[pnls < 0]
    out["win_rate_pct"] = float(wins.size / pnls.size * 100.0) if pnls.size else None
    out["profit_factor"] = _f(float(wins.sum()) / float(-losses.sum())) if losses.size else None
    out["exposure_pct"] = float(np.count_nonzero(pos) / n * 100.0)
    out["net_pnl"] = float(pnls.sum()) if pnls.size else 0.0
    out["fees"] = float(math.fsum(t["fees"] for t in trades))
    return out


# ---------------------------------------------------------------- look-ahead detection


def find_lookahead(signal_fn, bars: dict[str, np.ndarray], cuts: int = 5) -> list[dict]:
    """Return where signal_fn(bars) -> (entry, exit) uses bars after the one it is known on.

    The signals of a prefix of the data must equal the full run's signals on that prefix: a
    rule that reads bar i + 1 to decide bar i changes its answer for the prefix's last bars
    when the future is cut off. Each cut is checked; an empty list means no look-ahead seen.
    """
    n = len(bars["close"])
    full_entry, full_exit = signal_fn(bars)
    found = []
    for k in range(1, cuts + 1):
        m = n * k // (cuts + 1)
        if m < 2:
            continue
        part = {key: v[:m] for key, v in bars.items()}
        e, x = signal_fn(part)
        diff = np.flatnonzero((e != full_entry[:m]) | (x != full_exit[:m]))
        if diff.size:
            found.append({"cut": m, "first_bar": int(diff[0]), "bars": int(diff.size)})
    return found


def document_signals(doc: dict):
    """The signal function of a document, for find_lookahead."""
    norm = normalize(doc)
    return lambda bars: signals(norm, bars)
