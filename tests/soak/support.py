"""Shared pieces of the soak tests: a stand-in, Spark under Daphne, traders, the comparison."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
KEY = "soak-key"
SECRET = "soak-secret-00000000000000000000"
SYMBOL = "ETHUSDT"
MAX_POSITION_QTY = Decimal("1.5")


def sim_env(tmp: Path) -> dict[str, str]:
    return {
        "SIM_API_KEYS": f"{KEY}:{SECRET}",
        "SIM_WEIGHT_LIMIT": "100000000",
        "SIM_SEED": "7",
        "SIM_TICK_MS": "100",
        "SIM_FEED_RUNNING": "false",
        "SIM_START_BALANCE": "1000000",
        "SIM_STATE_FILE": str(tmp / "soak-state.json"),
    }


def spark_env(sim, **extra) -> dict[str, str]:
    env = {
        "BINANCE_FUTURES_BASE_URL": sim.base_url,
        "BINANCE_FUTURES_WS_URL": sim.ws_url,
        "BINANCE_API_KEY": KEY,
        "BINANCE_API_SECRET": SECRET,
        "SPARK_STREAMS_EMBEDDED": "true",
        "SPARK_STREAM_SYMBOLS": SYMBOL,
        "SPARK_LOG_LEVEL": "WARNING",
        "BINANCE_HTTP_TIMEOUT": "5",
    }
    env.update(extra)
    return env


def set_generous_limits() -> None:
    """Limits most orders pass; the per-symbol position cap is what the soak watches."""
    from risk.models import RiskLimits, SymbolPositionLimit

    limits = RiskLimits.load() if hasattr(RiskLimits, "load") else RiskLimits.objects.get(pk=1)
    limits.max_notional_usd = Decimal("1000")
    limits.default_max_position_usd = Decimal("100000")
    limits.daily_loss_limit_usd = Decimal("1000000")
    limits.save()
    SymbolPositionLimit.objects.update_or_create(
        limits=limits, symbol=SYMBOL, defaults={"max_position_qty": MAX_POSITION_QTY}
    )


def reconcile(env: dict[str, str]) -> str:
    """`manage.py reconcile_orders` in its own process, as an operator would run it."""
    full = {**os.environ, **env, "SPARK_RECONCILE_PENDING_GRACE_SECONDS": "0"}
    done = subprocess.run(
        [sys.executable, "manage.py", "reconcile_orders"],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    ops: int = 0
    statuses: Counter = field(default_factory=Counter)
    codes: Counter = field(default_factory=Counter)
    retries_same_id: int = 0
    errors: list = field(default_factory=list)

    def note(self, kind: str, status: int, body: str = "") -> None:
        code = ""
        if status >= 400 and body.startswith("{"):
            try:
                code = json.loads(body)["error"]["code"]
            except (ValueError, KeyError, TypeError):
                code = "NOT_JSON_ERROR"
        with self.lock:
            self.ops += 1
            self.statuses[f"{kind}:{status}"] += 1
            if code:
                self.codes[code] += 1
            if status >= 500 and status != 503:
                self.errors.append((kind, status, body[:300]))


class Market:
    """The last price and the exchange position, sampled from the stand-in's control surface."""

    def __init__(self, sim):
        self.sim = sim
        self.price = Decimal(sim.control.state()["prices"][SYMBOL]["last"])
        self.max_abs_position = Decimal(0)
        self.samples = 0

    def sample(self) -> None:
        state = self.sim.control.state()
        self.price = Decimal(str(state["prices"][SYMBOL]["last"]))
        position = state["accounts"][KEY]["positions"].get(SYMBOL)
        amt = abs(Decimal(str(position["amt"]))) if position else Decimal(0)
        self.max_abs_position = max(self.max_abs_position, amt)
        self.samples += 1


def trader(url: str, token: str, seed: int, stop, tally: Tally, market: Market, target: int):
    """One client: market and limit orders, cancels of its own resting orders, retries."""
    rnd = random.Random(seed)
    http = requests.Session()
    http.trust_env = False
    http.headers["Authorization"] = f"Bearer {token}"
    resting: list[str] = []
    n = 0
    while not stop.is_set() and tally.ops < target:
        n += 1
        roll = rnd.random()
        try:
            if roll < 0.25 and resting:
                cid = resting.pop(rnd.randrange(len(resting)))
                r = http.post(
                    f"{url}/futures/order.cancel",
                    json={"symbol": SYMBOL, "clientOrderId": cid},
                    timeout=30,
                )
                tally.note("cancel", r.status_code, r.text)
                continue
            side = rnd.choice(["BUY", "SELL"])
            qty = rnd.choice(["0.01", "0.02", "0.03", "0.05"])
            cid = f"soak-{seed}-{n}"
            body = {
                "symbol": SYMBOL,
                "side": side,
                "quantity": qty,
                "dryRun": False,
                "clientOrderId": cid,
            }
            if roll < 0.6:
                body["type"] = "MARKET"
            else:
                offset = Decimal(rnd.choice(["0.0002", "0.0005", "0.001"]))
                sign = -1 if side == "BUY" else 1
                price = (market.price * (1 + sign * offset)).quantize(Decimal("0.01"))
                body.update(type="LIMIT", timeInForce="GTC", price=str(price))
            r = http.post(f"{url}/futures/order.place", json=body, timeout=30)
            tally.note("place", r.status_code, r.text)
            if r.status_code >= 500:
                # Unknown outcome: retry with the same client order id; Spark must not place
                # it twice (it answers with the first order or settles it by reconciliation).
                r = http.post(f"{url}/futures/order.place", json=body, timeout=30)
                with tally.lock:
                    tally.retries_same_id += 1
                tally.note("place-retry", r.status_code, r.text)
            if (
                r.status_code == 200
                and body["type"] == "LIMIT"
                and r.json()["order"]["status"] in ("NEW", "PARTIALLY_FILLED")
            ):
                resting.append(cid)
        except requests.RequestException as exc:
            tally.note("transport", 599, repr(exc))


def metric_total(text: str, name: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            head, _, value = line.rpartition(" ")
            if head.split("{")[0] == name:
                total += float(value)
    return total


def compare_with_exchange(sim) -> dict:
    """Every exchange order against the database: status, quantity, fills, PnL; the counts."""
    from futures.models import Fill, Order
    from risk.models import PnLEntry

    account = sim.control.state()["accounts"][KEY]
    remote = list(account["orders"].values())
    trades = account["trades"]
    cids = Counter(o["client_order_id"] for o in remote)
    duplicates = {c: n for c, n in cids.items() if n > 1}
    trades_by_order: dict[int, list[dict]] = {}
    for t in trades:
        trades_by_order.setdefault(int(t["orderId"]), []).append(t)
    mismatches = []
    lost = []
    for o in remote:
        local = Order.objects.filter(client_order_id=o["client_order_id"]).first()
        if local is None:
            lost.append(o["client_order_id"])
            continue
        fills = list(local.fills.filter(simulated=False))
        remote_trades = trades_by_order.get(int(o["order_id"]), [])
        problems = {}
        if local.status != o["status"]:
            problems["status"] = (local.status, o["status"])
        if local.filled_qty != Decimal(o["executed_qty"]):
            problems["filled"] = (str(local.filled_qty), o["executed_qty"])
        if sorted(f.trade_id for f in fills) != sorted(int(t["id"]) for t in remote_trades):
            problems["fills"] = (len(fills), len(remote_trades))
        if local.exchange_order_id != int(o["order_id"]):
            problems["orderId"] = (local.exchange_order_id, o["order_id"])
        if problems:
            mismatches.append({"clientOrderId": o["client_order_id"], **problems})
    remote_ids = {o["client_order_id"] for o in remote}
    # A database order with an exchange id the exchange does not know would be invented.
    invented = list(
        Order.objects.filter(dry_run=False, exchange_order_id__isnull=False)
        .exclude(client_order_id__in=remote_ids)
        .values_list("client_order_id", flat=True)
    )
    stuck = list(
        Order.objects.filter(status__in=["UNKNOWN", "PENDING_SUBMIT"]).values_list(
            "client_order_id", "status"
        )
    )
    live_fills = Fill.objects.filter(simulated=False)
    fill_pnl = sum((f.realized_pnl for f in live_fills), start=Decimal(0))
    fill_fees = sum((f.commission for f in live_fills), start=Decimal(0))
    booked = PnLEntry.objects.filter(source="fill")
    realized = booked.filter(kind=PnLEntry.Kind.REALIZED)
    ledger = sum((e.amount for e in realized), start=Decimal(0))
    # Commissions are booked as losses beside realized PnL (issue 24): both must add up.
    fees = booked.filter(kind=PnLEntry.Kind.COMMISSION)
    ledger_fees = -sum((e.amount for e in fees), start=Decimal(0))
    exchange_pnl = sum((Decimal(t["realizedPnl"]) for t in trades), start=Decimal(0))
    exchange_fees = sum((Decimal(t["commission"]) for t in trades), start=Decimal(0))
    return {
        "exchange_orders": len(remote),
        "exchange_trades": len(trades),
        "db_live_orders": Order.objects.filter(dry_run=False).count(),
        "db_rejected": Order.objects.filter(dry_run=False, status="REJECTED").count(),
        "duplicates": duplicates,
        "lost": lost,
        "invented": invented,
        "mismatches": mismatches,
        "stuck": stuck,
        "fill_pnl": fill_pnl,
        "ledger_pnl": ledger,
        "exchange_pnl": exchange_pnl,
        "fill_commission": fill_fees,
        "ledger_commission": ledger_fees,
        "exchange_commission": exchange_fees,
        "position": account["positions"].get(SYMBOL, {}).get("amt", "0"),
    }


def wait_until(predicate, seconds: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
