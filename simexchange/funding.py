"""Funding rates, 8-hourly settlement and the income ledger of the stand-in.

The stand-in's mark equals its index, so the premium is zero and Binance's formula
F = P + clamp(I - P, ±0.05 %) gives the interest rate, 0.01 %, for every symbol; a control knob
(`POST /_sim/funding`) sets another rate, within Binance's default ±0.75 % cap. Settlements run at
00:00, 08:00 and 16:00 UTC on the stand-in clock (wall, stepped or frozen) and on demand.
Fill income (REALIZED_PNL, COMMISSION) is read from the trade list; funding and transfers are
kept here, so matching and accounts stay untouched.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from simexchange.accounts import Account, money
from simexchange.market import SYMBOLS

if TYPE_CHECKING:
    from simexchange.core import Sim

PERIOD_MS = 8 * 3_600_000
INTEREST_RATE = Decimal("0.0001")
RATE_CAP = Decimal("0.0075")
MAX_CATCH_UP = 3 * 90  # settlements replayed at most when the clock jumps far ahead
FIRST_TRAN_ID = 9_000_000_001  # above every trade-derived id (2 * trade id + 1)
EIGHT = Decimal("0.00000001")


def rate_str(rate: Decimal) -> str:
    return f"{rate.quantize(EIGHT):f}"


class Funding:
    """Current rates, the settled history per symbol and the funding/transfer income rows."""

    def __init__(self, sim: Sim):
        self.sim = sim
        self.rates: dict[str, Decimal] = {}
        self.history: list[dict] = []
        self.income: dict[str, list[dict]] = {}
        self.next_tran_id = FIRST_TRAN_ID
        self.last_settled_ms = 0
        self.reset()

    def now(self) -> int:
        """The stand-in clock without the skew fault, so a skewed client never moves funding."""
        return self.sim.server_ms() - self.sim.faults.clock_skew_ms

    def reset(self) -> None:
        self.rates.clear()
        self.history.clear()
        self.income.clear()
        now = self.now()
        self.last_settled_ms = now - now % PERIOD_MS

    # ------------------------------------------------------------ rates

    def rate(self, symbol: str) -> Decimal:
        return self.rates.get(symbol, INTEREST_RATE)

    def set_rate(self, symbol: str, rate: Decimal) -> None:
        if abs(rate) > RATE_CAP:
            raise ValueError(f"rate must be within ±{RATE_CAP} (Binance's default cap)")
        self.rates[symbol] = rate
        self.sim.store.mark_dirty()

    # ------------------------------------------------------------ settlement

    def settle_due(self) -> int:
        """Settle every funding time the clock has passed since the last one; return how many."""
        now = self.now()
        floor = now - now % PERIOD_MS
        if floor < self.last_settled_ms:  # the clock went back: funding times lie ahead again
            self.last_settled_ms = floor
            return 0
        due = (floor - self.last_settled_ms) // PERIOD_MS
        if due > MAX_CATCH_UP:
            self.last_settled_ms = floor - MAX_CATCH_UP * PERIOD_MS
            due = MAX_CATCH_UP
        for _ in range(due):
            self.last_settled_ms += PERIOD_MS
            self.settle(list(SYMBOLS), self.last_settled_ms)
        return due

    def settle(self, symbols: list[str], at_ms: int) -> list[dict]:
        """Every open position pays (long, positive rate) or receives amt × mark × rate."""
        rows = []
        for sym in symbols:
            mkt = self.sim.markets[sym]
            rate = self.rate(sym)
            self.history.append(
                {
                    "symbol": sym,
                    "fundingTime": at_ms,
                    "fundingRate": rate_str(rate),
                    "markPrice": f"{mkt.mark.quantize(EIGHT):f}",
                }
            )
            for acc in self.sim.accounts.values():
                for pos in acc.symbol_positions(sym):  # BOTH, or LONG and SHORT in hedge mode
                    if not pos.amt:
                        continue
                    fee = (-pos.amt * mkt.mark * rate).quantize(EIGHT)
                    if not fee:
                        continue
                    acc.wallet += fee
                    if pos.margin_type == "isolated":
                        pos.isolated_wallet += fee
                    acc.update_time = self.now()
                    rows.append(self.record(acc, "FUNDING_FEE", fee, sym, at_ms))
                    self._event(acc, pos, fee)
            self.sim.engine.on_price(sym)  # a fee can take a position below maintenance
        self.sim.store.mark_dirty()
        return rows

    def _event(self, acc: Account, pos, fee: Decimal) -> None:
        """Binance's FUNDING_FEE update: the balance only; P carries an isolated position alone."""
        now = self.sim.server_ms()
        summary = acc.summary(self.sim.engine.marks())
        spec = SYMBOLS[pos.symbol]
        positions = []
        if pos.margin_type == "isolated":
            positions.append(
                {
                    "s": pos.symbol,
                    "pa": spec.fmt_qty(pos.amt),
                    "ep": money(pos.entry),
                    "bep": money(pos.break_even()),
                    "cr": money(pos.realized),
                    "up": money(pos.unrealized(self.sim.markets[pos.symbol].mark)),
                    "mt": pos.margin_type,
                    "iw": money(pos.isolated_wallet),
                    "ps": pos.side,
                    "ma": "USDT",
                }
            )
        self.sim.engine.emit(
            acc.api_key,
            {
                "e": "ACCOUNT_UPDATE",
                "E": now,
                "T": now,
                "a": {
                    "m": "FUNDING_FEE",
                    "B": [
                        {
                            "a": "USDT",
                            "wb": money(acc.wallet),
                            "cw": money(summary["cross_wallet"]),
                            "bc": money(fee),
                        }
                    ],
                    "P": positions,
                },
            },
        )

    # ------------------------------------------------------------ income

    def record(self, acc: Account, kind: str, amount: Decimal, symbol: str, at_ms: int) -> dict:
        row = {
            "symbol": symbol,
            "incomeType": kind,
            "income": money(amount),
            "asset": "USDT",
            "info": kind,
            "time": at_ms,
            "tranId": self.next_tran_id,
            "tradeId": "",
        }
        self.next_tran_id += 1
        self.income.setdefault(acc.api_key, []).append(row)
        self.sim.store.mark_dirty()
        return row

    def transfer(self, acc: Account, amount: Decimal) -> None:
        """A wallet set through the control surface books the difference as a TRANSFER."""
        if amount:
            self.record(acc, "TRANSFER", amount, "", self.now())

    def income_rows(self, acc: Account) -> list[dict]:
        """Every row of the account, oldest first: fills (from the trade list) and kept rows."""
        rows = list(self.income.get(acc.api_key, []))
        for t in acc.trades:
            parts = (
                ("REALIZED_PNL", Decimal(t["realizedPnl"]), 2 * t["id"] + 1),
                ("COMMISSION", -Decimal(t["commission"]), 2 * t["id"]),
            )
            for kind, amount, tran_id in parts:
                if amount:
                    rows.append(
                        {
                            "symbol": t["symbol"],
                            "incomeType": kind,
                            "income": money(amount),
                            "asset": t.get("commissionAsset", "USDT"),
                            "info": kind,
                            "time": t["time"],
                            "tranId": tran_id,
                            "tradeId": str(t["id"]),
                        }
                    )
        rows.sort(key=lambda r: (r["time"], r["tranId"]))
        return rows

    # ------------------------------------------------------------ persistence

    def to_json(self) -> dict:
        return {
            "rates": {k: str(v) for k, v in self.rates.items()},
            "history": self.history,
            "income": self.income,
            "next_tran_id": self.next_tran_id,
            "last_settled_ms": self.last_settled_ms,
        }

    def load(self, data: dict) -> None:
        self.rates = {k: Decimal(v) for k, v in data.get("rates", {}).items() if k in SYMBOLS}
        self.history = list(data.get("history", []))
        self.income = {k: list(v) for k, v in data.get("income", {}).items()}
        self.next_tran_id = int(data.get("next_tran_id", self.next_tran_id))
        self.last_settled_ms = int(data.get("last_settled_ms", self.last_settled_ms))
