"""The paper runners' market feed: closed bars from the exchange's kline stream.

Registered with `futures.klines` in StrategiesConfig.ready(), so it runs wherever the stream
supervisor runs (inside Daphne by default, in `run_streams` when scaled out): one feed per
deployment, hence one evaluation per runner and bar.

The supervisor subscribes `<symbol>@kline_<interval>` for every RUNNING runner. When a bar
closes (the stream's "x": true message, or the first message of the next bar), the feed
appends it to the last HISTORY_BARS closed bars it keeps per stream and hands them to each
runner of that stream. History comes from REST once, and again whenever the stream skipped a
bar (a reconnect, a restart, a stalled clock jump), so no closed bar is missed; a runner acts
on the newest bar only and its client order ids are per runner and bar, so a bar seen twice
never places twice.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from strategies import runner
from strategies.documents import INTERVALS
from strategies.models import StrategyRunner

logger = logging.getLogger(__name__)

Key = tuple[str, str]
COLUMNS = ("time", "open", "high", "low", "close", "volume")


def _running():
    return StrategyRunner.objects.filter(status=StrategyRunner.Status.RUNNING)


class RunnerFeed:
    def __init__(self, history: int = runner.HISTORY_BARS):
        self.history = history
        self.bars: dict[Key, dict[str, np.ndarray]] = {}
        self.newest: dict[Key, int] = {}  # open time of the newest closed bar handed on
        self.rest_loads = 0  # history and gap fills from REST (status and tests)
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget every stream's bars (the exchange was reset; tests)."""
        with self._lock:
            self.bars.clear()
            self.newest.clear()
            self.rest_loads = 0

    def wanted(self) -> set[Key]:
        docs = _running().values_list("document", flat=True)
        return {(d["symbol"], d["timeframe"]) for d in docs}

    def on_kline(self, data: dict) -> list[dict]:
        """Act on the bar this message shows closed, if no runner has seen it yet."""
        k = data["k"]
        key = (k["s"], k["i"])
        step = INTERVALS.get(k["i"])
        if step is None:
            return []
        closed = int(k["t"]) if k["x"] else int(k["t"]) - step
        with self._lock:
            if closed <= self.newest.get(key, -1):
                return []
            ids = list(
                _running()
                .filter(document__symbol=key[0], document__timeframe=key[1])
                .values_list("pk", flat=True)
            )
            if not ids:
                self.bars.pop(key, None)
                self.newest.pop(key, None)
                return []
            bars = self._bars_until(key, closed, step, k if k["x"] else None)
            self.newest[key] = closed
        events: list[dict] = []
        for rid in ids:
            try:
                events += runner.runner_tick(rid, bars)
            except Exception:  # one runner's failure (exchange down, bad data) stops no other
                logger.exception("strategy runner %s failed on bar %s", rid, closed)
        return events

    def _bars_until(self, key: Key, closed: int, step: int, final: dict | None) -> dict:
        have = self.bars.get(key)
        if (
            final is not None
            and have is not None
            and have["time"].size
            and int(have["time"][-1]) == closed - step
        ):
            row = (closed, *(float(final[f]) for f in "ohlcv"))
            bars = {
                name: np.append(have[name], np.array([v], dtype=have[name].dtype))[-self.history :]
                for name, v in zip(COLUMNS, row, strict=True)
            }
        else:  # first bar of this stream, or the stream skipped bars: the exchange has them
            self.rest_loads += 1
            bars = runner.recent_bars(key[0], key[1], self.history, end_ms=closed + step - 1)
        self.bars[key] = bars
        return bars


feed = RunnerFeed()
