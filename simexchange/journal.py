"""The write-ahead journal of SIM_STATE_FILE: what changed since the last durable state.

A snapshot rewrites the whole exchange (milliseconds per megabyte), too slow to do before every
answer; a journal entry holds only what one mutation changed (an order, a position, a trade, the
wallet), so it can be appended and fsynced before the client gets its answer. An entry is a
diff of the JSON form the snapshot uses, so replaying it is dictionary edits on that JSON.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from simexchange.accounts import Account, json_ready

# Collections diffed item by item; every other Account field is small and compared whole.
COLLECTIONS = ("orders", "algo_orders", "trades", "recent_client_ids", "margin_history")
NOT_PERSISTED = ("order_times",)


class LogShadow:
    """An append-only list (trimmed at the front) as last made durable.

    `seq` counts the rows ever appended, so the rows added since the last commit are the last
    `seq - shadow.seq`; a list that shrank or was replaced (a reset) is written whole.
    """

    def __init__(self, rows: list, seq: int):
        self.seq = seq
        self.last = json_ready(rows[-1]) if rows else None

    def diff(self, rows: list, seq: int) -> dict | None:
        last = json_ready(rows[-1]) if rows else None
        added = seq - self.seq
        if added == 0 and last == self.last:
            return None
        if added <= 0 or added > len(rows):
            out: dict[str, Any] = {"all": json_ready(rows)}
        else:
            out = {"add": json_ready(rows[len(rows) - added :]), "len": len(rows)}
        out["seq"] = seq
        self.seq, self.last = seq, last
        return out


def apply_log(rows: list, d: dict) -> None:
    """Replay one LogShadow diff onto the list (in place)."""
    if "all" in d:
        rows[:] = d["all"]
        return
    rows.extend(d["add"])
    del rows[: max(0, len(rows) - d["len"])]


class ItemsShadow:
    """Orders (or algo orders) as last made durable: open ones whole, every id in a set.

    A closed order is final, so a commit compares only the orders open last time and the ids
    it has not seen; set differences find the new and the pruned ones without a scan in Python.
    """

    def __init__(self, items: dict):
        self.ids = set(items)
        self.open = {k: json_ready(v) for k, v in items.items() if v.is_open}

    def diff(self, items: dict) -> dict | None:
        keys = items.keys()
        new = keys - self.ids
        gone = self.ids - keys
        upd = {}
        for key in new:
            item = items[key]
            upd[str(key)] = dumped = json_ready(item)
            if item.is_open:
                self.open[key] = dumped
        for key, old in list(self.open.items()):
            if key in new:
                continue
            item = items.get(key)
            if item is None:
                del self.open[key]
                continue
            dumped = json_ready(item)
            if dumped != old:
                upd[str(key)] = dumped
            if item.is_open:
                self.open[key] = dumped
            else:
                del self.open[key]
        self.ids -= gone
        self.ids |= new
        if not upd and not gone:
            return None
        return {"set": upd, "del": [str(k) for k in gone]}


class AccountShadow:
    """The last durable form of one account, kept in the shape that is cheap to diff."""

    def __init__(self, acc: Account):
        self.fields = _small_fields(acc)
        self.orders = ItemsShadow(acc.orders)
        self.algos = ItemsShadow(acc.algo_orders)
        self.trades_len = len(acc.trades)
        self.last_trade_id = acc.trades[-1]["id"] if acc.trades else None
        self.cids = dict(acc.recent_client_ids)
        self.margins = LogShadow(acc.margin_history, acc.margin_seq)

    def diff(self, acc: Account) -> dict:
        """What changed since the shadow (and bring the shadow up to date)."""
        out: dict[str, Any] = {}
        small = _small_fields(acc)
        changed = {k: v for k, v in small.items() if self.fields.get(k) != v}
        if changed:
            out["set"] = changed
        self.fields = small
        for name, items, shadow in (
            ("orders", acc.orders, self.orders),
            ("algo_orders", acc.algo_orders, self.algos),
        ):
            d = shadow.diff(items)
            if d:
                out[name] = d
        trades = acc.trades
        last_id = trades[-1]["id"] if trades else None
        if last_id != self.last_trade_id or len(trades) != self.trades_len:
            start = 0 if self.last_trade_id is None else None
            for i in range(len(trades) - 1, -1, -1):
                if start is not None:
                    break
                if trades[i]["id"] == self.last_trade_id:
                    start = i + 1
            if start is None:  # the list was replaced (a reset): write it whole
                out["trades"] = {"all": json_ready(trades)}
            else:
                out["trades"] = {"add": json_ready(trades[start:]), "len": len(trades)}
            self.trades_len = len(trades)
            self.last_trade_id = last_id
        cids = acc.recent_client_ids
        if cids != self.cids:
            out["recent_client_ids"] = {
                "set": {k: v for k, v in cids.items() if self.cids.get(k) != v},
                "del": [k for k in self.cids if k not in cids],
            }
            self.cids = dict(cids)
        margins = self.margins.diff(acc.margin_history, acc.margin_seq)
        if margins:
            out["margin_history"] = margins
        return out


def _small_fields(acc: Account) -> dict:
    skip = COLLECTIONS + NOT_PERSISTED
    return {
        f.name: json_ready(getattr(acc, f.name))
        for f in dataclasses.fields(acc)
        if f.name not in skip
    }


class Shadow:
    """The last durable state of the whole exchange: globals plus one shadow per account."""

    def __init__(
        self, globals_: dict, accounts: dict[str, Account], logs: dict[str, tuple[list, int]]
    ):
        self.globals = globals_
        self.accounts = {k: AccountShadow(a) for k, a in accounts.items()}
        self.logs = {name: LogShadow(rows, seq) for name, (rows, seq) in logs.items()}

    def diff(
        self, globals_: dict, accounts: dict[str, Account], logs: dict[str, tuple[list, int]]
    ) -> dict:
        """One journal entry's body (empty when nothing durable changed)."""
        entry: dict[str, Any] = {}
        for name, (rows, seq) in logs.items():
            d = self.logs[name].diff(rows, seq)
            if d:
                entry.setdefault("logs", {})[name] = d
        g = {k: v for k, v in globals_.items() if self.globals.get(k) != v}
        if g:
            entry["globals"] = g
        self.globals = globals_
        acc_diffs: dict[str, Any] = {}
        for key, acc in accounts.items():
            shadow = self.accounts.get(key)
            if shadow is None:
                self.accounts[key] = AccountShadow(acc)
                acc_diffs[key] = {"new": json_ready(acc)}
                continue
            d = shadow.diff(acc)
            if d:
                acc_diffs[key] = d
        for key in [k for k in self.accounts if k not in accounts]:
            del self.accounts[key]
            acc_diffs[key] = {"gone": True}
        if acc_diffs:
            entry["accounts"] = acc_diffs
        return entry


def apply(state: dict, entry: dict) -> None:
    """Replay one entry onto a snapshot's JSON (in place)."""
    state.update(entry.get("globals", {}))
    for name, d in entry.get("logs", {}).items():
        log = state.setdefault(name, {"rows": [], "seq": 0})
        apply_log(log["rows"], d)
        log["seq"] = d["seq"]
    accounts = state.setdefault("accounts", {})
    for key, d in entry.get("accounts", {}).items():
        if d.get("gone"):
            accounts.pop(key, None)
            continue
        if "new" in d:
            accounts[key] = d["new"]
            continue
        acc = accounts.setdefault(key, {})
        acc.update(d.get("set", {}))
        for name in ("orders", "algo_orders", "recent_client_ids"):
            if name in d:
                target = acc.setdefault(name, {})
                target.update(d[name]["set"])
                for k in d[name]["del"]:
                    target.pop(k, None)
        if "trades" in d:
            t = d["trades"]
            if "all" in t:
                acc["trades"] = t["all"]
            else:
                trades = acc.setdefault("trades", [])
                trades.extend(t["add"])
                del trades[: max(0, len(trades) - t["len"])]
        if "margin_history" in d:
            apply_log(acc.setdefault("margin_history", []), d["margin_history"])
