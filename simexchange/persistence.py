"""SIM_STATE_FILE: the whole exchange as JSON, made durable before any answer is sent.

Every accepted mutation is appended to `<state file>.journal` (one JSON line: what changed) and
fsynced before the HTTP answer leaves (the app's middleware calls `commit()`), so an order the
client saw acknowledged survives a SIGKILL right after. The snapshot itself (temp file + fsync +
rename) is rewritten only at start, on clean stop and when the journal grows past
COMPACT_BYTES; loading replays the journal over it. Changes nobody is answered for (fills on a
price tick) are committed at the end of the tick, before their user-stream events are sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
from decimal import Decimal
from typing import TYPE_CHECKING

from simexchange import journal
from simexchange.accounts import account_from_json, account_to_json

if TYPE_CHECKING:
    from simexchange.core import Sim

log = logging.getLogger("simexchange.persistence")
DEBOUNCE_SECONDS = 0.2  # fallback commit for changes made outside a request or a tick
COMPACT_BYTES = 4 << 20
VERSION = 1
_sync = getattr(os, "fdatasync", os.fsync)


def _fsync_dir(path: str) -> None:
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Store:
    def __init__(self, path: str | None, sim: Sim, sync: str = "fsync"):
        self.path = path
        self.fsync = sync == "fsync"
        self.journal_path = f"{path}.journal" if path else None
        self.sim = sim
        self.dirty = False
        self.seq = 0  # sequence number of the last journal entry written
        self._shadow: journal.Shadow | None = None
        self._journal = None  # open append handle of the journal file
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
            self.commit()
        except OSError:
            log.exception("saving %s failed", self.path)

    def globals_json(self) -> dict:
        sim = self.sim
        eng = sim.engine
        return {
            "anchor_ms": sim.anchor_ms,
            "clock_offset_ms": sim.clock_offset_ms,
            "counters": {
                "next_order_id": eng.next_order_id,
                "next_trade_id": eng.next_trade_id,
                "next_algo_id": eng.next_algo_id,
            },
            "prices": {s: [str(m.last), str(m.mark)] for s, m in sim.markets.items()},
            "btcturk": {
                pub: {k: str(v) for k, v in data["balances"].items()}
                for pub, data in sim.btcturk.items()
            },
            "listen_keys": sim.users.to_json(),
            "funding": sim.funding.to_json(),
            "countdowns": sim.countdowns.to_json(),
        }

    def logs(self) -> dict[str, tuple[list, int]]:
        """Append-only lists journaled by what was added: name -> (rows, rows ever added)."""
        return {"amendments": (self.sim.amendments.rows, self.sim.amendments.next_id - 1)}

    def snapshot(self) -> dict:
        return {
            "version": VERSION,
            "saved_at": self.sim.server_ms(),
            "journal_seq": self.seq,
            **self.globals_json(),
            **{name: {"rows": rows, "seq": seq} for name, (rows, seq) in self.logs().items()},
            "accounts": {k: account_to_json(a) for k, a in self.sim.accounts.items()},
        }

    def commit(self, force: bool = False) -> None:
        """Append what changed since the last commit to the journal and fsync it.

        `force` diffs even when nothing marked the state dirty (a mutating request whose
        handler forgot to): the diff is cheap and an empty one writes nothing.
        """
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if not self.path or self._shadow is None or not (self.dirty or force):
            return
        self.dirty = False
        entry = self._shadow.diff(self.globals_json(), self.sim.accounts, self.logs())
        if not entry:
            return
        self.seq += 1
        line = json.dumps({"seq": self.seq, **entry}, separators=(",", ":")) + "\n"
        if self._journal is None:
            self._journal = open(self.journal_path, "ab")  # noqa: SIM115 - kept open
        self._journal.write(line.encode())
        self._journal.flush()  # in the OS now: a killed process cannot lose it
        if self.fsync:
            _sync(self._journal.fileno())  # on the disk: a crashed machine cannot either
        if self._journal.tell() > COMPACT_BYTES:
            self.compact()

    def compact(self) -> None:
        """Write the snapshot (durably), then empty the journal it now contains."""
        data = json.dumps(self.snapshot(), separators=(",", ":"))
        directory = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(prefix=".simstate-", dir=directory)
        with os.fdopen(fd, "w") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        _fsync_dir(self.path)
        if self._journal is None:
            self._journal = open(self.journal_path, "ab")  # noqa: SIM115 - kept open
        os.ftruncate(self._journal.fileno(), 0)
        _sync(self._journal.fileno())

    def flush(self) -> None:
        """Clean stop: commit what is pending and fold the journal into the snapshot."""
        if not self.path:
            return
        self.commit(force=True)
        self.compact()
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    def _read(self) -> dict | None:
        """The snapshot with every complete journal entry after it replayed over it."""
        data = None
        if os.path.exists(self.path):
            with open(self.path) as fh:
                data = json.load(fh)
        base_seq = self.seq = data.get("journal_seq", 0) if data else 0
        if not os.path.exists(self.journal_path):
            return data
        with open(self.journal_path, "rb") as fh:
            for raw in fh:
                try:
                    entry = json.loads(raw)
                except ValueError:
                    break  # a torn last line: its answer was never sent
                if entry.get("seq", 0) <= base_seq:
                    continue  # already in the snapshot (killed between rename and truncate)
                if data is None:
                    data = self.snapshot()
                journal.apply(data, entry)
                self.seq = entry["seq"]
        return data

    def load(self) -> None:
        """Restore a saved state if the file exists; keys no longer configured are dropped."""
        if not self.path:
            return
        data = self._read()
        if data is not None:
            self._apply(data)
        # a fresh snapshot and an empty journal: replay starts from here next time, and a
        # torn line left by a kill is gone before anything is appended after it
        self.compact()
        self._shadow = journal.Shadow(self.globals_json(), self.sim.accounts, self.logs())

    def _apply(self, data: dict) -> None:
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
        sim.funding.load(data.get("funding", {}))
        sim.countdowns.load(data.get("countdowns", []))
        amendments = data.get("amendments")
        if amendments:
            sim.amendments.load(amendments["rows"], amendments["seq"])
