"""SIM_STATE_FILE: the whole exchange as JSON, saved shortly after every change and on stop.

Saves are debounced (one write per burst of changes) and atomic (temp file + rename), and the
clean-stop path flushes synchronously, so nothing acknowledged to a client is lost.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
from decimal import Decimal
from typing import TYPE_CHECKING

from simexchange.accounts import account_from_json, account_to_json

if TYPE_CHECKING:
    from simexchange.core import Sim

log = logging.getLogger("simexchange.persistence")
DEBOUNCE_SECONDS = 0.2
VERSION = 1


class Store:
    def __init__(self, path: str | None, sim: Sim):
        self.path = path
        self.sim = sim
        self.dirty = False
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()

    def mark_dirty(self) -> None:
        if not self.path:
            return
        self.dirty = True
        if self._loop is not None and self._handle is None:
            self._handle = self._loop.call_later(DEBOUNCE_SECONDS, self._timer)

    def _timer(self) -> None:
        self._handle = None
        try:
            self.flush()
        except OSError:
            log.exception("saving %s failed", self.path)

    def snapshot(self) -> dict:
        sim = self.sim
        eng = sim.engine
        return {
            "version": VERSION,
            "saved_at": sim.server_ms(),
            "anchor_ms": sim.anchor_ms,
            "clock_offset_ms": sim.clock_offset_ms,
            "counters": {
                "next_order_id": eng.next_order_id,
                "next_trade_id": eng.next_trade_id,
                "next_algo_id": eng.next_algo_id,
            },
            "prices": {s: [str(m.last), str(m.mark)] for s, m in sim.markets.items()},
            "accounts": {k: account_to_json(a) for k, a in sim.accounts.items()},
            "btcturk": {
                pub: {k: str(v) for k, v in data["balances"].items()}
                for pub, data in sim.btcturk.items()
            },
            "listen_keys": sim.users.to_json(),
        }

    def flush(self) -> None:
        """Write now if anything changed (synchronous: used on clean stop)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if not self.path or not self.dirty:
            return
        data = json.dumps(self.snapshot(), separators=(",", ":"))
        directory = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(prefix=".simstate-", dir=directory)
        with os.fdopen(fd, "w") as fh:
            fh.write(data)
        os.replace(tmp, self.path)
        self.dirty = False

    def load(self) -> None:
        """Restore a saved state if the file exists; keys no longer configured are dropped."""
        if not self.path or not os.path.exists(self.path):
            return
        with open(self.path) as fh:
            data = json.load(fh)
        sim = self.sim
        sim.anchor_ms = int(data.get("anchor_ms", sim.anchor_ms))
        prices = {s: (Decimal(v[0]), Decimal(v[1])) for s, v in data.get("prices", {}).items()}
        sim._build_markets(prices)
        counters = data.get("counters", {})
        sim.engine.next_order_id = counters.get("next_order_id", sim.engine.next_order_id)
        sim.engine.next_trade_id = counters.get("next_trade_id", sim.engine.next_trade_id)
        sim.engine.next_algo_id = counters.get("next_algo_id", sim.engine.next_algo_id)
        for key, acc in data.get("accounts", {}).items():
            if key in sim.keys:
                sim.accounts[key] = account_from_json(acc)
        for pub, balances in data.get("btcturk", {}).items():
            if pub in sim.btcturk:
                sim.btcturk[pub]["balances"] = {k: Decimal(v) for k, v in balances.items()}
        sim.users.load(data.get("listen_keys", {}))
